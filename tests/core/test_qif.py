"""The quadratic integrate-and-fire model file against its analytic firing period."""
import numpy as np
import pytest

from neurosim.core.network import Network
from neurosim.core.simulator import Simulator
from neurosim.core.stimuli import Constant

pytestmark = pytest.mark.si_floats  # passes SI floats on purpose (opt-in: tests/conftest.py)


def test_qif_period_is_analytic():
    """With x = v - (v_rest + v_thresh)/2 the equation is tau dx/dt = x^2/delta + c with
    c = R I - (v_thresh - v_rest)^2/(4 delta) > 0, so the time from x_r to x_p is
    tau sqrt(delta/c) (atan(x_p/sqrt(delta c)) - atan(x_r/sqrt(delta c)))."""
    tau, v_rest, v_thresh, delta, r, i = 10e-3, -65e-3, -50e-3, 15e-3, 100e6, 0.2e-9
    mid = (v_rest + v_thresh) / 2
    c = r * i - (v_thresh - v_rest) ** 2 / (4 * delta)
    s = np.sqrt(delta * c)
    period = tau * np.sqrt(delta / c) * (np.arctan((20e-3 - mid) / s) - np.arctan((-70e-3 - mid) / s))
    net = Network(seed=0)
    pop = net.add_population("Q", 1, "qif", initial={"v": "-70 mV"})
    net.add(Constant(pop, "0.2 nA"))
    net.record_spikes(pop)
    dt = 1e-5
    times = Simulator(net, dt=dt).run(0.2).spikes["Q"].times
    assert pop.method == "rk4"
    assert len(times) >= 5
    # the first spike ends a run from v_reset; later ones too, each on the grid (+- one step)
    assert np.all(np.abs(np.diff(times) - period) <= dt)
    assert abs(times[0] - period) <= 1.5 * dt
