"""Rate units: the hand-written ``rate`` model against the equation model ``rate_logistic``.

Both networks are ``n`` logistic rate units (``tau = 5 ms``, bias 0.5) driven by a step input and
recording nothing, run for ``steps`` steps of 0.1 ms in one process, alternating after a warm-up
that compiles; figures are medians of the process CPU time (``time.process_time``: the machine is
shared) and their ratio (generated / hand-written).

    python -m benchmarks.rate_units [--n 100000] [--steps 1000] [--repeats 5]
"""
from __future__ import annotations

import argparse
import statistics
import time

from neurosim.core.network import Network
from neurosim.core.simulator import Simulator
from neurosim.core.stimuli import Step
from neurosim.units import si_floats

DT = 1e-4


def simulator(model: str, n: int, **options) -> Simulator:
    net = Network(seed=1)
    pop = net.add_population("R", n, model, params={"tau": 5e-3, "bias": 0.5}, **options)
    net.add(Step(pop, times=[0.0], amplitudes=[1.0]))
    return Simulator(net, dt=DT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    builds = {"hand-written": lambda: simulator("rate", args.n, activation="logistic"),
              "generated": lambda: simulator("rate_logistic", args.n)}
    times: dict[str, list[float]] = {k: [] for k in builds}
    for build in builds.values():  # warm-up: compiles
        build().run(10 * DT)
    for _ in range(args.repeats):
        for key, build in builds.items():
            sim = build()
            sim.run(DT)
            start = time.process_time()
            sim.run(args.steps * DT)
            times[key].append(time.process_time() - start)
    med = {k: statistics.median(v) for k, v in times.items()}
    for key, value in med.items():
        runs = [round(t, 3) for t in times[key]]
        print(f"{key:>13}: {value * 1e3:8.1f} ms CPU (median of {args.repeats}; all {runs})")
    print(f"generated / hand-written: {med['generated'] / med['hand-written']:.3f}")


if __name__ == "__main__":
    with si_floats():  # dt and run times below are SI seconds
        main()
