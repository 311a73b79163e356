"""Registration of the baseline experiments and the protocol files that call them."""
from pathlib import Path

import numpy as np
import pytest
import yaml

import neurosim.baselines  # noqa: F401  (registers the experiments)
from neurosim.errors import ParameterError
from neurosim.experiment import EXPERIMENTS, config_keys, run_experiment

NAMES = ["baseline_mlp_digits", "baseline_rnn_adding", "baseline_transformer_reverse", "baseline_vae_digits",
         "baseline_gan_mixture", "baseline_diffusion", "baseline_fgsm"]
PROTOCOLS = Path(__file__).resolve().parents[2] / "protocols"


def test_all_baselines_registered_on_import():
    assert set(NAMES) <= set(EXPERIMENTS)


@pytest.mark.parametrize("name", NAMES)
def test_protocol_file_matches_experiment(name):
    protocol = yaml.safe_load((PROTOCOLS / f"{name}.yaml").read_text())
    assert protocol["name"] == protocol["experiment"] == name
    assert isinstance(protocol["seed"], int) and protocol["description"]
    assert set(protocol["config"]) <= set(config_keys(name))


def test_experiment_output_has_labelled_figure():
    out = run_experiment("baseline_fgsm", {"epochs": 3, "epsilons": [0.0, 0.1]}, seed=0)
    assert out.metrics["accuracy_eps_0"] > out.metrics["accuracy_eps_0.1"]
    np.testing.assert_array_equal(out.curves["epsilon"], [0.0, 0.1])
    ax = out.figures["fgsm_accuracy"].axes[0]
    assert ax.get_xlabel() and ax.get_ylabel()


def test_unknown_config_key_rejected():
    with pytest.raises(ParameterError, match="did you mean 'learning_rate'"):
        run_experiment("baseline_mlp_digits", {"learning_rat": 0.1}, seed=0)
