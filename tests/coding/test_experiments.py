"""Registration, protocols and figures of the nef_* experiments."""
import pathlib

import numpy as np
import pytest
import yaml
from matplotlib.figure import Figure

import neurosim.coding  # noqa: F401  (registers the experiments)
from neurosim.experiment import EXPERIMENTS, config_keys, run_experiment

ROOT = pathlib.Path(__file__).resolve().parents[2]
NAMES = ["nef_tuning_curves", "nef_communication_channel", "nef_square", "nef_integrator", "nef_oscillator"]


def test_registered_on_import():
    assert set(NAMES) <= set(EXPERIMENTS)


@pytest.mark.parametrize("path", sorted((ROOT / "protocols").glob("nef_*.yaml")), ids=lambda p: p.name)
def test_protocol_files(path):
    protocol = yaml.safe_load(path.read_text())
    assert list(protocol) == ["name", "description", "seed", "experiment", "config"]
    assert protocol["name"] == path.stem
    assert protocol["experiment"] in NAMES
    assert set(protocol["config"]) <= set(config_keys(protocol["experiment"]))


def test_tuning_curves_simulated_rates_match_analytic():
    """Precise spike timing: counted rates over 1 s are within one spike (1 Hz) of the analytic curve
    (plus the first interval, which starts from v = 0)."""
    out = run_experiment("nef_tuning_curves", {"n_neurons": 10, "n_points": 11}, seed=1)
    assert out.metrics["max_rate_error_hz"] <= 1.0 + 1e-9
    assert out.arrays["measured_rates"].shape == (11, 10)
    fig = out.figures["tuning_curves"]
    assert isinstance(fig, Figure)
    assert all(ax.get_xlabel() and ax.get_ylabel() for ax in fig.axes)
    assert "Hz" in fig.axes[0].get_ylabel()


def test_oscillator_figure_has_phase_portrait():
    out = run_experiment("nef_oscillator", {"n_neurons": 50, "duration": 1.0, "mode": "rate"}, seed=1)
    axes = out.figures["oscillator"].axes
    assert [ax.get_xlabel() for ax in axes] == ["time (s)", "x0"]
    assert axes[1].get_ylabel() == "x1"
    assert np.isfinite(out.metrics["frequency_hz"])


def test_unknown_mode_and_short_integrator_raise():
    from neurosim.errors import ParameterError

    with pytest.raises(ParameterError, match="mode"):
        run_experiment("nef_square", {"mode": "analog"}, seed=1)
    with pytest.raises(ParameterError, match="duration"):
        run_experiment("nef_integrator", {"duration": 1.0}, seed=1)
