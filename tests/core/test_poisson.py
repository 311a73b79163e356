"""Poisson drive: counts per step (any rate exact), count x weight propagation, PoissonInput.

Tolerances are 4.5 standard deviations of the statistic under the Poisson model (false alarm
about 7e-6 per check), derived from the stated distribution, not from a run.
"""
import warnings

import numpy as np
import pytest

from neurosim.core.connectivity import OneToOne, Projection
from neurosim.core.network import Network
from neurosim.core.neurons.lif import LIF
from neurosim.core.simulator import Simulator
from neurosim.core.stimuli import PoissonInput, PoissonSource
from neurosim.core.synapses import Synapse
from neurosim.errors import ParameterError

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
    net = Network(seed=3)
    source = net.add(PoissonSource("src", 4, [0.0, 50.0, 2e4, 1e5]))  # 0 ... 10 spikes per step
    post = net.add(LIF("post", 4, params=FLAT, receptors={"d": Synapse(kind="delta")}))
    net.add(Projection(source, post, "d", rule=OneToOne(), weight=1e-3))
    net.record_spikes(source)
    net.record_state(post, "v")
    steps = 2000
    results = Simulator(net, dt=DT).run(steps * DT)
    trains = results.spikes["src"]
    received = np.bincount(trains.node_ids[trains.times < (steps - 1) * DT], minlength=4)
    # spikes of step k are in v from step k + 1 (decay over 0.2 s with tau_m 1e6 s: < 1e-6 relative)
    np.testing.assert_allclose(results.states["post"]["v"].data[-1], received * 1e-3, rtol=1e-6)
    assert received[3] > 10 * (steps - 1) * 0.9  # several spikes per step do count


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


def test_high_rates_do_not_warn():
    # every Poisson population can emit several spikes per step now: nothing to warn about
    net = Network()
    net.add(PoissonSource("src", 3, 5e3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Simulator(net, dt=DT)
