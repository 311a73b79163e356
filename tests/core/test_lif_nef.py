"""The NEF LIF model file (lif_dimensionless) with spike_timing step: its rate curve on the grid."""
import numpy as np
import pytest

from neurosim.core.network import Network
from neurosim.core.neurons.rate import lif_rate
from neurosim.core.simulator import Simulator
from neurosim.core.stimuli import Constant

pytestmark = pytest.mark.si_floats  # passes SI floats on purpose (opt-in: tests/conftest.py)

DT = 1e-4


def run(model, j, duration, **options):
    net = Network(seed=0)
    pop = net.add_population("L", len(j), model, **options)
    net.add(Constant(pop, np.asarray(j, float)))
    net.record_spikes(pop)
    net.record_state(pop, "v", every=1)
    return Simulator(net, dt=DT).run(duration)


@pytest.mark.parametrize("j", [1.5, 2.0, 4.0, 10.0])
def test_rate_curve_is_the_analytic_one_up_to_the_grid(j):
    """Each interspike interval is the analytic period T = tau_ref + t_c, t_c = tau_rc log1p(1/(J - 1)),
    on the step grid (Brian2's and the hand-written model's rule): integration resumes tau_ref after
    the spike step, and a spike is stamped with the start of the step at whose end v > 1, so
    ISI = tau_ref + (ceil(t_c/dt) - 1) dt, in [T - dt, T)."""
    t_c = 0.02 * np.log1p(1 / (j - 1))
    assert abs(1 / lif_rate(np.array([j]))[0] - (0.002 + t_c)) < 1e-15  # the curve the rate units use
    result = run("lif_dimensionless", [j], 0.5, spike_timing="step")
    isi = np.diff(result.spikes["L"].times)
    assert len(isi) >= 5
    np.testing.assert_allclose(isi, 0.002 + (np.ceil(t_c / DT) - 1) * DT, rtol=0, atol=1e-12)


def test_below_threshold_no_spikes_and_rest_at_j():
    result = run("lif_dimensionless", [0.0, 0.9], 0.3, spike_timing="step")
    assert len(result.spikes["L"].times) == 0
    v = result.states["L"]["v"].data[-1]
    np.testing.assert_allclose(v, [0.0, 0.9], rtol=0, atol=1e-6)  # exp(-0.3/0.02) of the way left
