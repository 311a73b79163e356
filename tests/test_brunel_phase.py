"""Brunel (2000) model A lands in the paper's states at the example points of its Fig. 8.

Points of protocols/brunel_phase_sweep.yaml (V_r = 10 mV as in the paper, D = 1.5 ms), shortened
to 300 ms and measured over [100 ms, 300 ms] (after the transient from V_m = 0), through the
sweep's summary rows. The states follow from the measures' definitions
(:func:`neurosim.analysis.brunel_regime`): a synchronous state's population rate falls to zero
between volleys (modulation depth >= 1; independent Poisson firing gives 0), regular firing has an
ISI CV an order of magnitude below a Poisson train's 1, and the fast oscillation's frequency is
set by the delay (about 1 / (4 D) = 167 Hz).
"""
from __future__ import annotations

import pytest

from conftest import ROOT
from neurosim import analysis
from neurosim.protocol import load, run
from neurosim.sweep.summary import rows

WINDOW = "[100 ms, 300 ms]"


def _row(g: float, eta: float) -> dict:
    weight, rate = f"{-0.1 * g:g} mV", f"{10 * eta:g} Hz"
    sets = ["duration=300 ms", f"network.connections.2.weight={weight}", f"network.connections.3.weight={weight}",
            f"stimuli.0.rate={rate}", f"stimuli.1.rate={rate}",
            *(f"analyses.{i}.window={WINDOW}" for i in range(4))]
    protocol = load(ROOT / "protocols" / "brunel_phase_sweep.yaml", sets=sets)
    assert protocol.spec.network.populations["E"].params["v_reset"] == pytest.approx(0.01)  # the paper's V_r
    return next(row for row in rows(protocol, run(protocol).results) if row["population"] == "E")


@pytest.mark.slow
@pytest.mark.parametrize(("g", "eta", "regime"), [(3, 2, "SR"), (5, 2, "AI"), (6, 4, "SI fast")])
def test_brunel_example_points_are_in_the_papers_regime(g, eta, regime):
    row = _row(g, eta)
    assert analysis.brunel_regime(row["isi_cv.mean"], row["population_rate.modulation"],
                                  row["population_rate.peak_frequency"], delay=1.5e-3) == regime
    if regime == "SR":  # near the refractory ceiling 1 / tau_ref = 500 Hz, and phase-locked
        assert row["mean_rate"] > 100
    else:  # irregular: the E rate well below the ceiling
        assert row["mean_rate"] < 100
        assert row["isi_cv.mean"] > 0.1
