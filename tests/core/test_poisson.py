"""Poisson drive: counts per step (any rate exact), count x weight propagation, PoissonInput.

Tolerances are 4.5 standard deviations of the statistic under the Poisson model (false alarm
about 7e-6 per check), derived from the stated distribution, not from a run.
"""
import warnings

import numpy as np
import pytest

from neurosim.core.connectivity import OneToOne, Projection
from neurosim.core.network import Network
from neurosim.core.neurons import models
from neurosim.core.neurons.sources import PoissonSource
from neurosim.core.simulator import Simulator
from neurosim.core.stimuli import PoissonInput
from neurosim.core.synapses import Synapse
from neurosim.errors import ParameterError

LIF = models()["lif"]  # the equation model neurosim/models/neurons/lif.yaml
pytestmark = pytest.mark.si_floats  # passes SI floats on purpose (opt-in: tests/conftest.py)

DT, Z = 1e-4, 4.5
#: rate (Hz) -> neurons, so that each population has 2e3 .. 1e6 expected spikes in 1 s
SIZES = {1.0: 2000, 10.0: 1000, 100.0: 500, 1e3: 200, 1e4: 50, 5e4: 20, 1e5: 10}
#: a LIF that never fires and barely leaks: v - v_rest is the sum of the jumps it received
FLAT = {"tau_m": 1e6, "v_rest": 0.0, "v_reset": 0.0, "v_thresh": 1e3, "tau_refrac": 0.0}


@pytest.fixture(scope="module")
def poisson_run():
    net = Network(seed=11)
    for rate, n in SIZES.items():
        pop = net.add(PoissonSource(f"r{int(rate)}", n, rate))
        net.record_spikes(pop)
        net.record_rate(pop)
    steps = 10_000
    return Simulator(net, dt=DT).run(steps * DT), steps


@pytest.mark.parametrize("rate", list(SIZES))
def test_counts_have_poisson_mean_and_variance(poisson_run, rate):
    results, steps = poisson_run
    n, lam = SIZES[rate], rate * DT
    trains = results.spikes[f"r{int(rate)}"]
    cells = n * steps  # one count per neuron and step, i.i.d. Poisson(lam)
    total = len(trains.times)
    assert abs(total - cells * lam) < Z * np.sqrt(cells * lam)
    # sample variance of the per-step counts: Var(s^2) ~ (mu4 - sigma^4) / N = (lam + 2 lam^2) / N
    _, counts = np.unique(trains.node_ids * steps + np.round(trains.times / DT).astype(np.int64), return_counts=True)
    mean = total / cells
    variance = (counts.astype(float) ** 2).sum() / cells - mean**2
    assert abs(variance - lam) < Z * np.sqrt((lam + 2 * lam**2) / cells)
    # the rate monitor counts every spike of a step, not every spiking neuron
    rates = results.rates[f"r{int(rate)}"].rate
    assert np.sum(rates) * n * DT == pytest.approx(total, abs=1e-6)


def test_count_times_weight_reaches_the_target():
    """Every propagation path adds count x weight: delta receptor without and with delay (ring
    buffer), current receptor without and with delay."""
    net = Network(seed=3)
    source = net.add(PoissonSource("src", 4, [0.0, 50.0, 2e4, 1e5]))  # 0 ... 10 spikes per step
    tau, delay = 5e-3, 10
    for name, steps_late in (("now", 0), ("later", delay)):  # v of a delta target, syn_e of a current target
        jumps = net.add(LIF(name, 4, params=FLAT, receptors={"d": Synapse(kind="delta")}))
        currents = net.add(LIF(f"{name}_e", 4, params=FLAT, receptors={"e": Synapse(tau=tau)}))
        net.add(Projection(source, jumps, "d", rule=OneToOne(), weight=1e-3, delay=steps_late * DT))
        net.add(Projection(source, currents, "e", rule=OneToOne(), weight=1e-9, delay=steps_late * DT))
        net.record_state(jumps, "v")
        net.record_state(currents, "syn_e")
    net.record_spikes(source)
    steps = 2000
    results = Simulator(net, dt=DT).run(steps * DT)
    trains = results.spikes["src"]
    spike_steps = np.round(trains.times / DT).astype(np.int64)
    last = steps - 1  # the last recorded step
    phi = np.exp(-DT / tau)
    for name, steps_late in (("now", 0), ("later", delay)):
        # a spike of step m arrives after the update of step m + delay: in v from step m + delay + 1
        arrived = spike_steps + steps_late + 1 <= last
        received = np.bincount(trains.node_ids[arrived], minlength=4)
        np.testing.assert_allclose(results.states[name]["v"].data[-1], received * 1e-3, rtol=1e-6)  # tau_m 1e6 s
        decayed = phi ** (last - 1 - steps_late - spike_steps[arrived])
        current = np.bincount(trains.node_ids[arrived], weights=1e-9 * decayed, minlength=4)
        np.testing.assert_allclose(results.states[f"{name}_e"]["syn_e"].data[-1], current, rtol=1e-9, atol=1e-21)
    assert np.count_nonzero(trains.node_ids == 3) > 10 * steps * 0.9  # several spikes per step do count


def _flat_target(n, receptors):
    return LIF("post", n, params=FLAT, receptors=receptors)


def test_poisson_input_delta_mean_and_variance_of_the_drive():
    n, sources, rate, weight, steps = 400, 1000, 20.0, 1e-4, 1000
    net = Network(seed=5)
    post = net.add(_flat_target(n, {"d": Synapse(kind="delta")}))
    net.add(PoissonInput(post, "d", sources, rate, weight))
    net.record_state(post, "v", every=steps)
    results = Simulator(net, dt=DT).run((steps + 1) * DT)
    counts = results.states["post"]["v"].data[-1] / weight  # events in steps 0 .. steps - 1
    lam = sources * rate * DT * steps  # N r T per neuron
    assert abs(counts.mean() - lam) < Z * np.sqrt(lam / n)
    # the sample variance of n Poisson(lam) values has sd ~ lam sqrt(2 / (n - 1)) (lam >> 1)
    assert abs(counts.var(ddof=1) - lam) < Z * lam * np.sqrt(2 / (n - 1))
    np.testing.assert_allclose(counts, np.round(counts), atol=1e-6)  # whole numbers of events


def test_poisson_input_current_receptor_mean_is_n_r_w_tau():
    n, sources, rate, weight, tau, steps = 2000, 500, 10.0, 2e-11, 5e-3, 400
    net = Network(seed=8)
    post = net.add(_flat_target(n, {"exc": Synapse(tau=tau)}))
    net.add(PoissonInput(post, "exc", sources, rate, weight, neurons=np.arange(n // 2)))
    net.record_state(post, "syn_exc", every=steps)
    current = Simulator(net, dt=DT).run((steps + 1) * DT).states["post"]["syn_exc"].data[-1]
    # events of step m decay by phi^(K-1-m) by step K: mean = lam w sum_j phi^j, var = lam w^2 sum_j phi^2j
    lam, phi = sources * rate * DT, np.exp(-DT / tau)
    mean = lam * weight * (1 - phi**steps) / (1 - phi)
    sd = np.sqrt(lam * weight**2 * (1 - phi ** (2 * steps)) / (1 - phi**2))
    driven = current[: n // 2]
    assert abs(driven.mean() - mean) < Z * sd / np.sqrt(n // 2)
    assert mean == pytest.approx(sources * rate * weight * tau, rel=0.02)  # N r w tau up to dt/tau
    assert np.all(current[n // 2:] == 0)  # neurons not chosen get nothing


def test_poisson_input_is_reproducible_and_seeded():
    def run(seed):
        net = Network(seed=seed)
        post = net.add(_flat_target(10, {"d": Synapse(kind="delta")}))
        net.add(PoissonInput(post, "d", 100, 50.0, 1e-3))
        net.record_state(post, "v", every=100)
        return Simulator(net, dt=DT).run(0.02).states["post"]["v"].data

    np.testing.assert_array_equal(run(1), run(1))
    assert not np.array_equal(run(1), run(2))


@pytest.mark.parametrize("rate", [-1.0, np.nan, np.inf])
def test_bad_poisson_rates_are_refused(rate):
    with pytest.raises(ParameterError, match="rate"):
        PoissonSource("src", 3, rate)
    with pytest.raises(ParameterError, match="rate"):
        PoissonInput(_flat_target(2, {"d": Synapse(kind="delta")}), "d", 10, rate, 1e-3)


def test_absurd_rate_per_step_is_refused_at_build():
    net = Network()
    net.add(PoissonSource("src", 3, 2e7))  # 2000 spikes per step at dt 0.1 ms
    with pytest.raises(ParameterError, match=r"src.*rate \* dt"):
        Simulator(net, dt=DT)
    net = Network()
    post = net.add(_flat_target(2, {"d": Synapse(kind="delta")}))
    net.add(PoissonInput(post, "d", 10, 2e7, 1e-3, name="drive"))
    with pytest.raises(ParameterError, match=r"drive.*rate \* dt"):
        Simulator(net, dt=DT)


@pytest.mark.parametrize("kwargs", [{"n_sources": 0}, {"n_sources": 2.5}, {"weight": np.nan}, {"receptor": "x"}])
def test_bad_poisson_input_parameters(kwargs):
    arguments = {"receptor": "d", "n_sources": 10, "rate": 5.0, "weight": 1e-3, **kwargs}
    with pytest.raises(ParameterError):
        PoissonInput(_flat_target(2, {"d": Synapse(kind="delta")}), **arguments)


def test_high_rates_do_not_warn_in_the_core():
    # every Poisson population can emit several spikes per step now: nothing to warn about
    net = Network()
    net.add(PoissonSource("src", 3, 5e3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Simulator(net, dt=DT)


def test_brian2_translation_warns_that_poissongroup_caps_at_one_spike_per_step():
    from neurosim.compare.brian2 import Brian2Model, NoBrian2Counterpart
    from neurosim.errors import DriveWarning

    net = Network()
    net.add(PoissonSource("fast", 3, 5e3))  # rate * dt = 0.5
    model = Brian2Model(Simulator(net, dt=DT))
    with pytest.warns(DriveWarning, match="at most one spike per step"):
        model._groups_for(10)
    net = Network()
    net.add(PoissonSource("slow", 3, 50.0))
    model = Brian2Model(Simulator(net, dt=DT))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model._groups_for(10)
    net = Network()  # delta receptors are refused by name rather than translated wrongly
    source = net.add(PoissonSource("src", 1, 5.0))
    post = net.add(_flat_target(1, {"d": Synapse(kind="delta")}))
    net.add(Projection(source, post, "d", rule=OneToOne(), weight=1e-3))
    with pytest.raises(NoBrian2Counterpart, match="delta"):
        Brian2Model(Simulator(net, dt=DT))


def test_dense_projection_sees_every_spike_of_a_step():
    from neurosim.core.dense import DenseProjection

    net = Network(seed=4)
    source = net.add(PoissonSource("src", 2, [50.0, 1e5]))
    post = net.add(LIF("post", 2, params=FLAT))
    net.add(DenseProjection(source, post, matrix=np.diag([1e-9, 2e-9])))
    net.record_spikes(source)
    net.record_state(post, "i_ext")
    steps = 300
    results = Simulator(net, dt=DT).run(steps * DT)
    trains = results.spikes["src"]
    counts = np.zeros((steps, 2))
    np.add.at(counts, (np.round(trains.times / DT).astype(np.int64), trains.node_ids), 1)
    # the input applied in step k is the activity of step k - 1, each spike an impulse 1/dt
    expected = np.vstack([np.zeros((1, 2)), counts[:-1]]) / DT * [1e-9, 2e-9]
    np.testing.assert_allclose(results.states["post"]["i_ext"].data, expected, rtol=1e-12)
    assert counts[:, 1].max() > 1


def test_poisson_input_jumps_are_dropped_while_refractory():
    net = Network(seed=6)
    refractory = net.add(LIF("ref", 20, params={**FLAT, "v_thresh": 10e-3, "tau_refrac": 1.0}, initial={"v": 20e-3},
                             receptors={"d": Synapse(kind="delta")}))
    control = net.add(_flat_target(20, {"d": Synapse(kind="delta")}))
    for target in (refractory, control):
        net.add(PoissonInput(target, "d", 1000, 20.0, 1e-4))
        net.record_state(target, "v")
    results = Simulator(net, dt=DT).run(0.02)
    # every "ref" neuron spikes in step 0 and stays refractory: v is v_reset = 0 and no jump lands
    assert np.all(results.states["ref"]["v"].data[1:] == 0.0)
    assert np.all(results.states["post"]["v"].data[-1] > 0.0)
