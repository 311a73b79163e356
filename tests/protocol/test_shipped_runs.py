"""The single-neuron protocols run end to end and show the physics their comments promise."""
from __future__ import annotations

import numpy as np
import pytest

from neurosim.core.neurons.rate import lif_rate
from neurosim.protocol import load, run


def test_hh_step_protocol(root):
    outcome = run(load(root / "protocols" / "hh_step.yaml"))
    counts = outcome.results.spikes["HH"].counts()
    v = outcome.results.states["HH"]["v"]
    assert v.data[0] == pytest.approx([-65e-3] * 3, abs=0.1e-3)        # rest -65.0 mV (REFERENCE_FACTS)
    assert counts[0] == 1                                               # 3 uA/cm^2: one spike (threshold 2.24)
    assert counts[1] >= 5
    assert counts[2] >= 8
    assert 30e-3 < v.data[:, 2].max() < 50e-3                           # first peak near +40 mV
    assert -78e-3 < v.data[v.times > 0.03, 2].min() < -72e-3           # AHP near -75 mV
    assert set(outcome.figures) == {"traces.png", "raster.png"}


def test_hh_fi_curve_protocol_matches_reference_rates(root):
    curve = run(load(root / "protocols" / "hh_fi_curve.yaml")).results.analysis["tuning_curve"]["HH"]
    current, rate = curve["input"], curve["rate"]
    per_cm2 = current / 1e-10                                           # 1 uA/cm^2 = 0.1 nA on 10 000 um^2
    assert np.all(rate[per_cm2 < 6.0] == 0)                             # type II: silent below onset 6.26
    # Steady rates 68.3, 86.5, 117 Hz (solve_ivp) at 10, 20, 50 uA/cm^2; counted over 0.8 s, so
    # +-1.25 Hz of counting resolution, and exponential Euler at 10 us runs ~0.5 % slow: 3 % bounds.
    for density, reference in ((10, 68.3), (20, 86.5), (50, 117.0)):
        assert rate[np.argmin(abs(per_cm2 - density))] == pytest.approx(reference, rel=0.03)


def test_lif_fi_curve_protocol_matches_analytic_curve(root):
    curve = run(load(root / "protocols" / "lif_fi_curve.yaml")).results.analysis["tuning_curve"]["P"]
    analytic = lif_rate(curve["input"])
    # Precise spike timing: only counting in the 1.8 s window (0.2-2 s) quantises, by at most
    # one spike: 1 / 1.8 s = 0.56 Hz.
    assert np.max(np.abs(curve["rate"] - analytic)) <= 1.0 / 1.8 + 1e-9
