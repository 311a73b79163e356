"""HH accuracy per cost: spike-time error against a dt -> 0 reference vs time per neuron-step.

The Traub-Miles cell of COBAHH (``hh_traub``) for 1 s under conductance input: Poisson
trains of excitatory (6 nS, 0 mV, 5 ms) and inhibitory (67 nS, -80 mV, 10 ms) events on a 0.2 ms
grid (at most one per grid point; the same events at every dt), drawn once from a fixed seed.
Spike times are the upward crossings of -20 mV, located by the cubic through the four samples
around each (also stated: linear interpolation between two, whose own error is ~20 us at
0.1 ms, see :func:`crossings`). The reference is RK4 at dt = 1 us; its
own error is stated (RK4 at 2 us against it). "Integration" compares with the reference's trace
sampled at the same dt and located by the same cubic (the integrator's share of the error, without
that of locating a crossing between samples dt apart). Every method at every dt, also with
``tables`` over v (-150..100 mV in 0.01 mV steps), ``dopri5`` and ``bs23`` at
two tolerances each. Cost: the same cell as a population of ``--n`` neurons (all
receiving the same input), CPU seconds (``time.process_time``) per neuron-step of 0.1 s runs,
median of ``--repeats`` runs after a compiling run (the machine load is printed with it).

    python -m benchmarks.hh_accuracy [--n 4000] [--repeats 3] [--dt 0.1] [--method bs23] [--no-cost]
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
from neurosim.errors import SimulationError

DURATION, THRESHOLD = 1.0, -20e-3
GRID = 2e-4  # input events lie on this grid, a multiple of every dt below
RATES = {"exc": 2500.0, "inh": 400.0}
WEIGHTS = {"exc": 6e-9, "inh": 67e-9}
TABLES = {"v": {"min": "-150 mV", "max": "100 mV", "step": "0.01 mV"}}
#: (method, tolerance, tables) of every row
VARIANTS = (("exponential_euler", None, False), ("exponential_euler", None, True),
            ("exponential_midpoint", None, False), ("exponential_midpoint", None, True),
            ("rk2", None, False), ("rk4", None, False), ("rk4", None, True),
            ("dopri5", 1e-3, False), ("dopri5", 1e-3, True), ("dopri5", 1e-4, False), ("dopri5", 1e-4, True),
            ("bs23", 1e-3, False), ("bs23", 1e-3, True), ("bs23", 1e-4, False), ("bs23", 1e-4, True))
DTS = (0.2e-3, 0.1e-3, 0.05e-3, 0.025e-3)


def _events(seed: int = 19):
    rng = np.random.default_rng(seed)
    steps = round(DURATION / GRID)
    return {name: np.flatnonzero(rng.random(steps) < rate * GRID) * GRID for name, rate in RATES.items()}


def network(method: str, dt: float, n: int = 1, record: bool = True, tolerance=None, tables=False):
    net = Network(seed=1)
    receptors = {"exc": Synapse("exponential", 5e-3, "conductance", 0.0),
                 "inh": Synapse("exponential", 10e-3, "conductance", -80e-3)}
    options = {"tolerance": tolerance} if tolerance is not None else {}
    if tables:
        options["tables"] = TABLES
    cell = net.add(make_population("hh_traub", "cell", n, receptors=receptors, method=method, **options))
    for name, times in _events().items():
        source = net.add(SpikeSource(f"in_{name}", 1, np.zeros(len(times), np.int64), times))
        # an event arrives at the end of the step plus the delay: delay GRID - dt makes it t + GRID at every dt
        net.add(Projection(source, cell, name, rule=AllToAll(), weight=WEIGHTS[name], delay=round(GRID / dt - 1) * dt))
    if record:
        net.record_state(cell, "v", neurons=[0])
    return Simulator(net, dt=dt)


def trace(method: str, dt: float, **options) -> np.ndarray:
    """v (V) at every step over DURATION."""
    return network(method, dt, **options).run(DURATION).states["cell"]["v"].data[:, 0]


def crossings(v: np.ndarray, dt: float) -> dict[str, np.ndarray]:
    """Upward crossings of THRESHOLD by v (s), located by linear interpolation between the two
    samples around each and by the cubic through the four samples around it (the latter's own
    error is O(dt^4); the linear one's, ~dt^2 v''/8 v', is ~20 us at dt 0.1 ms on the upstroke)."""
    up = np.flatnonzero((v[:-1] <= THRESHOLD) & (v[1:] > THRESHOLD))
    linear = up + (THRESHOLD - v[up]) / (v[up + 1] - v[up])
    cubic = linear.copy()
    for index, k in enumerate(up):
        if 1 <= k < len(v) - 2:
            roots = np.roots(np.polyfit([-1.0, 0.0, 1.0, 2.0], v[k - 1:k + 3] - THRESHOLD, 3))
            real = roots[(np.abs(roots.imag) < 1e-9) & (roots.real >= 0.0) & (roots.real <= 1.0)].real
            if len(real):
                cubic[index] = k + real[np.argmin(np.abs(real - (linear[index] - k)))]
    return {"linear": linear * dt, "cubic": cubic * dt}


def error(times: np.ndarray, reference: np.ndarray) -> tuple[float, float, int]:
    """(max, mean) distance (s) from each spike to the nearest spike of the other train, both ways
    (a missing or extra spike counts with its distance to the nearest one), and the count difference."""
    if not len(times) or not len(reference):
        return np.inf, np.inf, len(times) - len(reference)
    d = np.concatenate([np.abs(reference[:, None] - times[None, :]).min(axis=1),
                        np.abs(times[:, None] - reference[None, :]).min(axis=1)])
    return float(d.max()), float(d.mean()), len(times) - len(reference)


def cost(method: str, dt: float, n: int, repeats: int, **options) -> float:
    """Median CPU seconds per neuron-step over ``repeats`` runs of 0.1 s (compiled before timing)."""
    simulator = network(method, dt, n, record=False, **options)
    simulator.run(dt)
    samples = []
    for _ in range(repeats):
        start = time.process_time()
        simulator.run(0.1)
        samples.append(time.process_time() - start)
    return float(np.median(samples)) / (n * round(0.1 / dt))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dt", type=float, action="append", help="only this dt (ms); repeatable")
    parser.add_argument("--no-cost", action="store_true")
    parser.add_argument("--method", action="append", help="only this method (all its rows); repeatable")
    args = parser.parse_args(argv)
    dts = [dt * 1e-3 for dt in args.dt] if args.dt else DTS
    fine = 1e-6
    reference_v = trace("rk4", fine)
    reference = crossings(reference_v, fine)["cubic"]
    own = error(crossings(trace("rk4", 2 * fine), 2 * fine)["cubic"], reference)
    print(f"reference rk4 dt 1 us: {len(reference)} spikes; rk4 at 2 us differs by max {own[0] * 1e6:.3f} us")
    print(f"load average at start: {os.getloadavg()}")
    print(f"| method | dt (ms) | spikes (ref {len(reference)}) | max error (us) | mean error (us) | "
          "max error, linear crossing (us) | max error of the integration (us) | CPU ns / neuron-step |")
    print("|---|---|---|---|---|---|---|---|")
    for dt in dts:
        sampled = crossings(reference_v[::round(dt / fine)], dt)["cubic"]  # the reference seen at dt
        for method, tolerance, tables in VARIANTS:
            if args.method and method not in args.method:
                continue
            label = method + (f" tol {tolerance:g}" if tolerance else "") + (" + tables" if tables else "")
            options = {"tolerance": tolerance, "tables": tables}
            try:
                times = crossings(trace(method, dt, **options), dt)
            except (ZeroDivisionError, SimulationError):  # the explicit method diverged (v -> inf or NaN)
                print(f"| {label} | {dt * 1e3:g} | diverged | | | | | |", flush=True)
                continue
            worst, mean, extra = error(times["cubic"], reference)
            linear, integration = error(times["linear"], reference), error(times["cubic"], sampled)
            ns = cost(method, dt, args.n, args.repeats, **options) * 1e9 if not args.no_cost else np.nan
            print(f"| {label} | {dt * 1e3:g} | {len(times['cubic'])} ({extra:+d}) | {worst * 1e6:.1f} | "
                  f"{mean * 1e6:.1f} | {linear[0] * 1e6:.1f} | {integration[0] * 1e6:.2f} | {ns:.0f} |", flush=True)
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    from neurosim.units import si_floats

    with si_floats():  # this script computes its parameters in SI floats
        main()
