"""Factored (decoder x encoder) against full-matrix NEF connections: step time of one model.

``python -m benchmarks.nef_factored [--n 2000] [--reps 5]`` builds a 2-D ensemble of ``n`` LIF
neurons driving another of ``n`` neurons through a rotation, once with factored weights (two
``(2, n)`` products per step) and once with the full ``(n, n)`` matrix, and prints the median
time of 100 steps of each (alternating, after a compiling run) and their ratio. The currents of
the two forms are equal to 1e-9 (``tests/coding/test_connection.py``); this measures only cost.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from neurosim.coding import Model
from neurosim.core.simulator import Simulator

DT = 1e-3


def simulator(n: int, weights: str) -> Simulator:
    model = Model(seed=2)
    stim = model.node("stim", lambda t: np.stack([np.sin(2 * np.pi * t), np.cos(2 * np.pi * t)], 1))
    a = model.ensemble("a", n, 2, n_eval_points=750)
    b = model.ensemble("b", n, 2, n_eval_points=750)
    model.connect(stim, a)
    model.connect(a, b, transform=np.array([[0.0, -1.0], [1.0, 0.0]]), weights=weights)
    sim = Simulator(model.build(), dt=DT)
    sim.run(0.01)  # compile
    return sim


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    sims = {weights: simulator(args.n, weights) for weights in ("factored", "full")}
    seconds = {weights: [] for weights in sims}
    for _ in range(args.reps):
        for weights, sim in sims.items():
            started = time.perf_counter()
            sim.run(0.1)
            seconds[weights].append(time.perf_counter() - started)
    median = {weights: float(np.median(values)) for weights, values in seconds.items()}
    print(f"N = M = {args.n}, 100 steps, median of {args.reps}: factored {median['factored']:.4f} s, "
          f"full {median['full']:.4f} s, ratio full/factored {median['full'] / median['factored']:.1f}")


if __name__ == "__main__":
    from neurosim.units import si_floats

    with si_floats():  # this script computes its parameters in SI floats
        main()
