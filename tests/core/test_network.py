"""Propagation, determinism, stimuli, sources, run control and bad input of the core engine."""
import signal

import numba
import numpy as np
import pytest

from neurosim.core import connectivity as conn
from neurosim.core.connectivity import Projection
from neurosim.core.dense import DenseProjection
from neurosim.core.distributions import Uniform
from neurosim.core.network import Network
from neurosim.core.neurons import make_population, models
from neurosim.core.neurons.rate import rate_population
from neurosim.core.neurons.sources import PoissonSource, SpikeSource
from neurosim.core.simulator import Simulator
from neurosim.core.stimuli import Constant, OUNoise, Ramp, Sine, Step, TimeSeries
from neurosim.core.synapses import Synapse
from neurosim.errors import ParameterError, SimulationError

LIF = models()["lif"]  # the equation model neurosim/models/neurons/lif.yaml
pytestmark = pytest.mark.si_floats  # passes SI floats on purpose (opt-in: tests/conftest.py)

DT = 1e-4


def counting_network(rule, delay=0.0, n_pre=60, n_post=40, seed=2):
    """Poisson spikes into never-firing neurons with a non-decaying receptor: z counts deliveries."""
    net = Network(seed=seed)
    source = net.add(PoissonSource("src", n_pre, rate=200.0))
    sink = net.add(LIF("sink", n_post, params={"v_thresh": 10.0}, receptors={"r": Synapse("exponential", 1e9)}))
    projection = net.add(Projection(source, sink, "r", rule=rule, weight=1.0, delay=delay))
    net.record_spikes(source)
    return net, projection


@pytest.mark.parametrize("rule", [conn.AllToAll(), conn.FixedProbability(0.3), conn.FixedIndegree(7)],
                         ids=["all_to_all", "fixed_probability", "fixed_indegree"])
def test_delivered_events_equal_sum_of_out_degrees(rule):
    net, _ = counting_network(rule, delay=Uniform(0.0, 2e-3))
    sim = Simulator(net, dt=DT)
    results = sim.run(0.1)
    projection = sim.network.projections[0]  # the simulator's built copy
    out_degree = np.diff(projection.indptr)
    sent_before_end = results.spikes["src"]
    expected = 0
    for node, t in zip(sent_before_end.node_ids, sent_before_end.times, strict=True):
        row = slice(projection.indptr[node], projection.indptr[node + 1])
        if projection.uniform_delay < 0:
            steps = projection.delay_steps[row]
        else:
            steps = np.full(out_degree[node], projection.uniform_delay)
        expected += np.count_nonzero(round(t / DT) + steps < sim.step)  # arrived by the end of the run
    delivered = sim.population("sink").z.sum()  # b = 1 and no decay over 0.1 s (tau 1e9 s)
    assert delivered == pytest.approx(expected, rel=1e-9)  # decay over the run: 0.1 s / 1e9 s = 1e-10
    assert expected > 1000


def test_connection_rules_have_their_structure():
    rng = np.random.default_rng(0)
    pre, post = conn.FixedIndegree(5).pairs(50, 30, rng)
    assert np.all(np.bincount(post, minlength=30) == 5)
    pre, post = conn.FixedProbability(0.1).pairs(400, 300, rng)
    n, p = 400 * 300, 0.1
    assert abs(len(pre) - n * p) < 5 * np.sqrt(n * p * (1 - p))  # 5 sigma of the binomial
    assert len(set(zip(pre.tolist(), post.tolist(), strict=True))) == len(pre)  # no multapses
    pre, post = conn.OneToOne().pairs(4, 4, rng)
    np.testing.assert_array_equal(pre, post)


def test_autapses_can_be_excluded():
    net = Network()
    pop = net.add(LIF("a", 20, receptors={"r": Synapse()}))
    net.add(Projection(pop, pop, "r", rule=conn.AllToAll(), name="with"))
    net.add(Projection(pop, pop, "r", rule=conn.AllToAll(), allow_autapses=False, name="without"))
    with_self, without = Simulator(net, dt=DT).network.projections
    assert with_self.n_synapses == 400
    assert without.n_synapses == 380
    rows = np.repeat(np.arange(20), np.diff(without.indptr))
    assert np.all(rows != without.indices)


def test_dense_matrix_rule_keeps_weights():
    matrix = np.array([[0.0, 2.0], [3.0, 0.0], [0.0, 5.0]])
    net = Network()
    src = net.add(SpikeSource("s", 2, indices=[0], times=[0.0]))
    pop = net.add(LIF("a", 3, receptors={"r": Synapse()}))
    net.add(Projection(src, pop, "r", rule=conn.DenseMatrix(matrix)))
    projection = Simulator(net, dt=DT).network.projections[0]
    np.testing.assert_array_equal(projection.indptr, [0, 1, 3])
    np.testing.assert_array_equal(projection.weights, [3.0, 2.0, 5.0])


def poisson_lif_network(seed):
    net = Network(seed=seed)
    src = net.add(PoissonSource("src", 100, rate=20.0))
    pop = net.add(LIF("a", 50, params={"v_thresh": -60e-3}, receptors={"e": Synapse()},
                      initial={"v": Uniform(-70e-3, -60e-3)}))
    net.add(Projection(src, pop, "e", rule=conn.FixedProbability(0.2), weight=Uniform(0.5e-9, 2e-9)))
    net.add(OUNoise(pop, mean=0.0, sigma=0.2e-9, tau=5e-3))
    net.record_spikes(pop)
    return net


def test_same_seed_identical_spikes_different_seed_different():
    first = Simulator(poisson_lif_network(7), dt=DT).run(0.3).spikes["a"]
    again = Simulator(poisson_lif_network(7), dt=DT).run(0.3).spikes["a"]
    other = Simulator(poisson_lif_network(8), dt=DT).run(0.3).spikes["a"]
    assert len(first.times) > 100
    np.testing.assert_array_equal(first.times, again.times)
    np.testing.assert_array_equal(first.node_ids, again.node_ids)
    assert len(first.times) != len(other.times) or np.any(first.node_ids != other.node_ids)


def test_split_run_equals_single_run():
    whole = Simulator(poisson_lif_network(3), dt=DT).run(0.2).spikes["a"]
    sim = Simulator(poisson_lif_network(3), dt=DT)
    sim.run(0.07)
    parts = sim.run(0.13).spikes["a"]
    np.testing.assert_array_equal(whole.times, parts.times)
    np.testing.assert_array_equal(whole.node_ids, parts.node_ids)


def test_float32_option_agrees_with_float64():
    def trace(dtype):
        net = Network()
        pop = net.add(LIF("a", 1, params={"i_offset": 0.7e-9}))
        net.record_state(pop, "v")
        return Simulator(net, dt=DT, dtype=dtype).run(0.05).states["a"]["v"].data[:, 0]

    single = trace("float32")
    assert single.dtype == np.float64  # records are float64; the state was float32
    np.testing.assert_allclose(single, trace("float64"), atol=1e-6)  # float32 resolution of ~65 mV


def test_poisson_source_limits_and_rate():
    net = Network(seed=1)
    silent = net.add(PoissonSource("silent", 10, rate=0.0))
    every = net.add(PoissonSource("every", 5, rate=1 / DT))
    medium = net.add(PoissonSource("medium", 200, rate=50.0))
    for pop in (silent, every, medium):
        net.record_spikes(pop)
    results = Simulator(net, dt=DT).run(0.5)
    steps = 5000
    assert len(results.spikes["silent"].times) == 0
    # Poisson counts per step (not capped at one): the total over n x steps is Poisson(n steps rate dt)
    for name, n, rate in (("every", 5, 1 / DT), ("medium", 200, 50.0)):
        mean = n * steps * rate * DT
        assert abs(len(results.spikes[name].times) - mean) < 4 * np.sqrt(mean)


def test_time_varying_poisson_rate():
    net = Network(seed=5)
    src = net.add(PoissonSource("src", 500, rate=lambda t: np.where(t < 0.25, 0.0, 80.0)))
    net.record_spikes(src)
    times = Simulator(net, dt=DT).run(0.5).spikes["src"].times
    assert times.min() >= 0.25
    mean = 500 * 0.25 * 80
    assert abs(len(times) - mean) < 4 * np.sqrt(mean)


def test_spike_source_emits_on_the_grid_and_rejects_double_spikes():
    net = Network()
    src = net.add(SpikeSource("s", 3, indices=[2, 0, 1], times=[3e-3, 1e-3, 1e-3]))
    net.record_spikes(src)
    trains = Simulator(net, dt=DT).run(0.01).spikes["s"]
    np.testing.assert_allclose(trains.times, [1e-3, 1e-3, 3e-3])
    np.testing.assert_array_equal(trains.node_ids, [0, 1, 2])
    bad = Network()
    bad.add(SpikeSource("s", 1, indices=[0, 0], times=[1e-3, 1.02e-3]))
    with pytest.raises(ParameterError, match="two spikes of one neuron in one step"):
        Simulator(bad, dt=DT)


def test_waveform_stimuli_values():
    net = Network()
    pop = net.add(LIF("a", 5, params={"v_thresh": 1.0}))
    net.add(Constant(pop, 1e-9, start=2e-3, stop=5e-3, neurons=[0]))
    net.add(Step(pop, times=[1e-3, 4e-3], amplitudes=[2e-9, -1e-9], neurons=[1]))
    net.add(Ramp(pop, 0.0, 1e-9, start=0.0, stop=10e-3, neurons=[2]))
    net.add(Sine(pop, amplitude=1e-9, frequency=100.0, offset=0.5e-9, neurons=[3]))
    net.add(TimeSeries(pop, values=[0.0, 3e-9, 1e-9], sample_dt=2e-3, neurons=[4]))
    net.record_state(pop, "i_ext")
    record = Simulator(net, dt=DT).run(0.01).states["a"]["i_ext"]
    t, i = record.times, record.data
    np.testing.assert_allclose(i[:, 0], np.where((t >= 2e-3 - 1e-12) & (t < 5e-3 - 1e-12), 1e-9, 0))
    np.testing.assert_allclose(i[:, 1], np.select([t < 1e-3 - 1e-12, t < 4e-3 - 1e-12], [0, 2e-9], -1e-9))
    np.testing.assert_allclose(i[:, 2], 1e-9 * t / 10e-3, atol=1e-24)
    np.testing.assert_allclose(i[:, 3], 0.5e-9 + 1e-9 * np.sin(2 * np.pi * 100 * t), atol=1e-22)
    np.testing.assert_allclose(i[:, 4], np.array([0.0, 3e-9, 1e-9])[np.minimum((t / 2e-3 + 1e-9).astype(int), 2)])


def test_ou_noise_has_stationary_mean_std_and_correlation_time():
    n, tau, sigma, mean = 2000, 5e-3, 2e-10, 1e-10
    net = Network(seed=3)
    pop = net.add(LIF("a", n, params={"v_thresh": 1.0}))
    net.add(OUNoise(pop, mean=mean, sigma=sigma, tau=tau))
    net.record_state(pop, "i_ext", every=10)
    data = Simulator(net, dt=DT).run(0.1).states["a"]["i_ext"].data
    # n independent samples per time point: mean within 5 standard errors, std within 5 %.
    assert abs(data[-1].mean() - mean) < 5 * sigma / np.sqrt(n)
    assert data[-1].std() == pytest.approx(sigma, rel=0.05)
    lag = round(tau / (10 * DT))  # one correlation time
    rho = np.mean([np.corrcoef(data[k], data[k + lag])[0, 1] for k in range(0, 40, 5)])
    assert rho == pytest.approx(np.exp(-1), abs=0.05)


def test_nan_during_run_raises_simulation_error_naming_population_and_neuron():
    net = Network()
    runaway = net.add(rate_population("runaway", 3, activation="linear", initial={"x": [0.0, 1.0, 0.0]}))
    net.add(DenseProjection(runaway, runaway, matrix=np.diag([0.0, 3.0, 0.0])))
    net.record_state(runaway, "x")
    sim = Simulator(net, dt=1e-3)
    # x[1] triples every step and overflows near step 650; 0 * inf then makes the others NaN.
    with pytest.raises(SimulationError,
                       match=r"population 'runaway': x of neuron \d became (inf|nan) between t = ") as info:
        sim.run(2.0)
    assert info.value.population == "runaway"
    assert info.value.time <= 2.0
    kept = sim.results()
    assert not kept.complete
    assert kept.states["runaway"]["x"].data.shape[0] > 100


def test_ctrl_c_stops_cleanly_and_keeps_records():
    net = poisson_lif_network(1)
    sim = Simulator(net, dt=DT, target_chunk_seconds=0.01)
    calls = []

    def progress(done, total):
        calls.append(done)
        if len(calls) == 3:
            signal.raise_signal(signal.SIGINT)

    results = sim.run(5.0, progress=progress)
    assert not results.complete
    assert 0 < results.duration < 5.0
    assert len(results.spikes["a"].times) > 0
    assert results.spikes["a"].times.max() < results.duration


@pytest.mark.parametrize(("build", "match"), [
    (lambda: LIF("a", 3, params={"tau_m": -0.02}), r"tau_m = '-20 ms': expected a value > 0"),
    (lambda: LIF("a", 3, params={"cm": 0.0}), r"cm = '0 pF': expected a value > 0"),
    (lambda: LIF("a", 0), r"n = 0: expected a positive integer"),
    (lambda: LIF("a", 3, params={"tau_mem": 0.01}), r"did you mean 'tau_m'"),
    (lambda: LIF("a", 3, params={"v_thresh": [1.0, 2.0]}), r"expected a scalar or an array of shape \(3,\)"),
    (lambda: LIF("a", 3, params={"tau_m": "20 mV"}), r"tau_m = '20 mV': expected a time"),
    (lambda: make_population("lfi", "a", 3), r"did you mean 'lif'"),
    (lambda: Projection(LIF("a", 2, receptors={"exc": Synapse()}), LIF("b", 2, receptors={"exc": Synapse()}), "ecx"),
     r"receptor = 'ecx'.*did you mean 'exc'"),
    (lambda: conn.FixedProbability(1.5), r"p = 1.5"),
    (lambda: DenseProjection(rate_population("a", 2), rate_population("b", 3), matrix=np.ones((2, 2))),
     r"shape \(n_post, n_pre\) = \(3, 2\)"),
])
def test_bad_input_raises_parameter_error(build, match):
    with pytest.raises(ParameterError, match=match):
        build()


@pytest.mark.parametrize(("kwargs", "match"), [({"dt": -1e-4}, "dt"), ({"dt": 0.0}, "dt"),
                                           ({"dtype": "float16"}, "dtype"), ({"threads": 0}, "threads")])
def test_bad_simulator_settings_raise(kwargs, match):
    net = Network()
    net.add(LIF("a", 1))
    with pytest.raises(ParameterError, match=match):
        Simulator(net, **{"dt": DT, **kwargs})


def test_negative_delay_raises_before_running():
    net, _ = counting_network(conn.AllToAll(), delay=-1e-3)
    with pytest.raises(ParameterError, match="delay"):
        Simulator(net, dt=DT)


@pytest.mark.slow  # compiles parallel (prange) loops
@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="NUMBA_NUM_THREADS=1: no second thread to compare")
def test_threads_give_identical_results():
    def run(threads):
        net = Network(seed=4)
        src = net.add(PoissonSource("src", 200, rate=50.0))
        big = net.add(LIF("big", 12_000, params={"v_thresh": -64e-3}, receptors={"e": Synapse()},
                          initial={"v": Uniform(-66e-3, -64e-3), "syn_e": Uniform(0.0, 0.2e-9)}))
        net.add(Projection(src, big, "e", rule=conn.FixedIndegree(5), weight=0.3e-9))
        net.record_spikes(big)
        net.record_state(big, "v", neurons=[0, 11_999])
        return Simulator(net, dt=DT, threads=threads).run(0.02)

    one, two = run(1), run(2)
    assert len(one.spikes["big"].times) > 100
    np.testing.assert_array_equal(one.spikes["big"].node_ids, two.spikes["big"].node_ids)
    np.testing.assert_array_equal(one.states["big"]["v"].data, two.states["big"]["v"].data)


def test_initial_receptor_state_is_set_and_checked():
    net = Network()
    net.add(LIF("a", 3, receptors={"e": Synapse(kind="conductance")}, initial={"syn_e": "4 nS"}))
    np.testing.assert_allclose(Simulator(net, dt=DT).population("a").z[0], 4e-9)
    with pytest.raises(ParameterError, match=r"initial syn_x.*did you mean 'syn_e'"):
        LIF("b", 3, receptors={"e": Synapse()}, initial={"syn_x": 1e-9})
