from pathlib import Path

import numpy as np
import pytest
import yaml
from matplotlib.figure import Figure

from neurosim.errors import ParameterError
from neurosim.experiment import EXPERIMENTS, config_keys, run_experiment

PROTOCOLS = Path(__file__).parents[2] / "protocols"
NAMES = ["hopfield_recall", "hopfield_capacity", "rbm_digits", "pc_digits"]
SMALL = {"hopfield_recall": {"n": 100, "shown": 2},
         "hopfield_capacity": {"sizes": [200], "loads": [0.05, 0.1, 0.2, 0.3]},
         "rbm_digits": {"n_hidden": 20, "epochs": 2, "gibbs_steps": 20, "compare_sklearn": False},
         "pc_digits": {"sizes": [64, 16, 10], "epochs": 2}}


@pytest.mark.parametrize("name", NAMES)
def test_protocol_file_is_in_the_shared_form_and_names_valid_keys(name):
    protocol = yaml.safe_load((PROTOCOLS / f"{name}.yaml").read_text())
    assert list(protocol) == ["name", "description", "seed", "experiment", "config"]
    assert protocol["name"] == protocol["experiment"] == name
    assert name in EXPERIMENTS
    assert set(protocol["config"]) <= set(config_keys(name))


#: The experiments that train or recall over many compiled runs (7-12 s each): the full suite runs
#: them; their networks have fast tests of their own (test_hopfield, test_rbm_network, test_pc_engine).
LONG = {"hopfield_recall", "rbm_digits", "pc_digits"}


@pytest.fixture(scope="module")
def experiment_output():
    """``experiment_output(name)``: the experiment run once per module on its ``SMALL`` config."""
    outputs = {}

    def run(name):
        if name not in outputs:
            outputs[name] = run_experiment(name, SMALL[name], seed=3)
        return outputs[name]

    return run


@pytest.mark.parametrize("name", [pytest.param(name, marks=pytest.mark.slow) if name in LONG else name
                                  for name in NAMES])
def test_experiment_returns_finite_metrics_and_labelled_figures(name, experiment_output):
    output = experiment_output(name)
    assert output.metrics
    assert all(np.isfinite(v) for v in output.metrics.values())
    assert output.figures
    for figure in output.figures.values():
        assert isinstance(figure, Figure)
        for ax in figure.axes:
            assert ax.get_title() or ax.get_xlabel()
            if ax.get_xlabel():
                assert ax.get_ylabel()


def test_capacity_experiment_reports_the_breakdown(experiment_output):
    output = experiment_output("hopfield_capacity")
    assert 0.05 < output.metrics["breakdown_load_N200"] < 0.3


def test_unknown_config_key_raises_parameter_error():
    with pytest.raises(ParameterError, match="sweps"):
        run_experiment("hopfield_recall", {"max_sweps": 3}, seed=0)
