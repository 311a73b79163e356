"""HH accuracy per cost: spike-time error against a dt -> 0 reference vs time per neuron-step.

The Traub-Miles cell of COBAHH (``hh_traub``) for 1 s under conductance input: Poisson
trains of excitatory (6 nS, 0 mV, 5 ms) and inhibitory (67 nS, -80 mV, 10 ms) events on the 0.1 ms
grid (the same events at every dt), drawn once from a fixed seed. Spike times are the upward
crossings of -20 mV, linearly interpolated between steps. The reference is RK4 at dt = 1 us; its
own error is stated (RK4 at 2 us against it). Cost: the same cell as a population of ``--n``
neurons (all receiving the same input), seconds of run time per neuron-step, median of
``--repeats`` alternating runs (the machine load is printed with it).

    python -m benchmarks.hh_accuracy [--n 2000] [--repeats 3]
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np

from neurosim.core.connectivity import AllToAll, Projection
from neurosim.core.network import Network
from neurosim.core.neurons import make_population
from neurosim.core.neurons.sources import SpikeSource
from neurosim.core.simulator import Simulator
from neurosim.core.synapses import Synapse

DURATION, THRESHOLD = 1.0, -20e-3
GRID = 1e-4  # input events lie on this grid, a multiple of every dt below
RATES = {"exc": 2500.0, "inh": 400.0}
WEIGHTS = {"exc": 6e-9, "inh": 67e-9}
METHODS = ("exponential_euler", "exponential_midpoint", "rk2", "rk4")
DTS = (0.1e-3, 0.05e-3, 0.025e-3, 0.01e-3)


def _events(seed: int = 19):
    rng = np.random.default_rng(seed)
    steps = round(DURATION / GRID)
    return {name: np.flatnonzero(rng.random(steps) < rate * GRID) * GRID for name, rate in RATES.items()}


def network(method: str, dt: float, n: int = 1, record: bool = True):
    net = Network(seed=1)
    receptors = {"exc": Synapse("exponential", 5e-3, "conductance", 0.0),
                 "inh": Synapse("exponential", 10e-3, "conductance", -80e-3)}
    cell = net.add(make_population("hh_traub", "cell", n, receptors=receptors, method=method))
    for name, times in _events().items():
        source = net.add(SpikeSource(f"in_{name}", 1, np.zeros(len(times), np.int64), times))
        # an event arrives at the end of the step plus the delay: delay GRID - dt makes it t + GRID at every dt
        net.add(Projection(source, cell, name, rule=AllToAll(), weight=WEIGHTS[name], delay=round(GRID / dt - 1) * dt))
    if record:
        net.record_state(cell, "v", neurons=[0])
    return Simulator(net, dt=dt)


def spike_times(method: str, dt: float) -> np.ndarray:
    """Interpolated upward crossings of THRESHOLD by v (s)."""
    v = network(method, dt).run(DURATION).states["cell"]["v"].data[:, 0]
    up = np.flatnonzero((v[:-1] <= THRESHOLD) & (v[1:] > THRESHOLD))
    return (up + (THRESHOLD - v[up]) / (v[up + 1] - v[up])) * dt


def error(times: np.ndarray, reference: np.ndarray) -> tuple[float, float, int]:
    """(max, mean) distance (s) from each spike to the nearest spike of the other train, both ways
    (a missing or extra spike counts with its distance to the nearest one), and the count difference."""
    if not len(times) or not len(reference):
        return np.inf, np.inf, len(times) - len(reference)
    d = np.concatenate([np.abs(reference[:, None] - times[None, :]).min(axis=1),
                        np.abs(times[:, None] - reference[None, :]).min(axis=1)])
    return float(d.max()), float(d.mean()), len(times) - len(reference)


def cost(method: str, dt: float, n: int, repeats: int) -> float:
    """Median seconds per neuron-step over ``repeats`` runs of 0.1 s (compiled before timing)."""
    simulator = network(method, dt, n, record=False)
    simulator.run(dt)
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        simulator.run(0.1)
        samples.append(time.perf_counter() - start)
    return float(np.median(samples)) / (n * round(0.1 / dt))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-cost", action="store_true")
    args = parser.parse_args(argv)
    reference = spike_times("rk4", 1e-6)
    own = error(spike_times("rk4", 2e-6), reference)
    print(f"reference rk4 dt 1 us: {len(reference)} spikes; rk4 at 2 us differs by max {own[0] * 1e6:.3f} us")
    print(f"load average at start: {os.getloadavg()}")
    print(f"| method | dt (ms) | spikes (ref {len(reference)}) | max error (us) | mean error (us) | ns / neuron-step |")
    print("|---|---|---|---|---|---|")
    for dt in DTS:
        for method in METHODS:
            try:
                times = spike_times(method, dt)
            except ZeroDivisionError:  # the explicit method diverged (v -> inf)
                print(f"| {method} | {dt * 1e3:g} | diverged | | | |", flush=True)
                continue
            worst, mean, extra = error(times, reference)
            ns = cost(method, dt, args.n, args.repeats) * 1e9 if not args.no_cost else np.nan
            print(f"| {method} | {dt * 1e3:g} | {len(times)} ({extra:+d}) | {worst * 1e6:.1f} | {mean * 1e6:.1f} | "
                  f"{ns:.0f} |", flush=True)
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    from neurosim.units import si_floats

    with si_floats():  # this script computes its parameters in SI floats
        main()
