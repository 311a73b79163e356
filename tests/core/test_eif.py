"""The exponential integrate-and-fire model file (neurosim/models/neurons/eif.yaml) against its
analysis (Fourcaud-Trocme et al. 2003): the rest point, the rheobase g_L (V_th - E_L - Delta_T) and
the firing period as the integral of C dv / f(v) from V_reset to V_peak, plus t_ref. The contract
suite (tests/core/test_model_contract.py) covers it by registration alone."""
import numpy as np
import pytest
from scipy.integrate import quad
from scipy.optimize import brentq

from neurosim.core.network import Network
from neurosim.core.simulator import Simulator

C, G_L, E_L, V_TH, DELTA_T, V_PEAK, V_RESET, T_REF = 200e-12, 20e-9, -65e-3, -59.9e-3, 3.48e-3, -30e-3, -68e-3, 2e-3
pytestmark = [pytest.mark.slow, pytest.mark.si_floats]  # compiled runs of 1 s at dt = 10 us

RHEOBASE = G_L * (V_TH - E_L - DELTA_T)  # where the stable and unstable fixed points merge


def current(v, i):
    """C dv/dt (A) below V_peak."""
    return -G_L * (v - E_L) + G_L * DELTA_T * np.exp((v - V_TH) / DELTA_T) + i


def run(amplitudes, duration, dt=1e-5):
    net = Network(seed=0)
    pop = net.add_population("E", len(amplitudes), "eif", params={"I_e": np.asarray(amplitudes)})
    net.record_state(pop, "v")
    net.record_spikes(pop)
    return Simulator(net, dt=dt).run(duration)


def test_rest_point_and_rheobase():
    result = run([0.0, 0.9 * RHEOBASE, 0.98 * RHEOBASE, 1.02 * RHEOBASE], 1.0)
    v = result.states["E"]["v"].data
    for column, i in enumerate([0.0, 0.9 * RHEOBASE]):  # the stable fixed point below V_th
        rest = brentq(current, E_L - 0.01, V_TH, args=(i,), xtol=1e-15)
        assert v[-1, column] == pytest.approx(rest, abs=1e-9)
    counts = np.bincount(result.spikes["E"].node_ids, minlength=4)
    assert counts[0] == counts[1] == counts[2] == 0  # below the rheobase: no spike
    assert counts[3] >= 2  # above it: repetitive firing


@pytest.mark.parametrize("factor", [1.5, 3.0])
def test_period_is_the_integral_of_the_trajectory(factor):
    i, dt = factor * RHEOBASE, 1e-5
    spikes = run([i], 1.0, dt).spikes["E"].times
    period = quad(lambda v: C / current(v, i), V_RESET, V_PEAK, limit=200, epsabs=1e-12)[0] + T_REF
    isi = np.diff(spikes[1:])  # after the first spike every cycle starts from V_reset
    assert len(isi) >= 8
    # the spike is stamped at the start of the step in which v crosses V_peak and the refractory
    # period counts from that stamp (Brian2's rule): each ISI is the period rounded down to a step
    assert np.all(isi >= period - 1.01 * dt)
    assert np.all(isi <= period + 0.01 * dt)
