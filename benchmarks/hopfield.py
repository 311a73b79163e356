"""Hopfield capacity at N = 1000 on the engine against a compiled reference outside it.

The engine side is :func:`neurosim.learning.hopfield.capacity_curve` (Hebbian storage as a rule on
the recurrent projection, asynchronous recall by a ``BinaryPopulation`` until a sweep changes
nothing, each cue one run). The reference is the kernel the project used before recall moved onto
the engine: storage ``W = X^T X / N`` in numpy, then one Numba function recalling every cue with
``rng.permutation`` sweeps from one Generator (field ``W s + b`` from BLAS, then corrected change by
change). Both run the protocol's loads (``protocols/hopfield_capacity.yaml``: 0.02 ... 0.25, seed
1, 50 sweeps at most) in one process, alternating after a warm-up that compiles; figures are medians
of the process CPU time (``time.process_time``: the machine is shared) and their ratio.

    python -m benchmarks.hopfield [--n 1000] [--repeats 3]
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def _recall_rows(S, W, b, rng, max_sweeps):
    """Asynchronous recall of each row of ``S`` in place: sweeps in ``rng.permutation`` order until
    one changes nothing (or ``max_sweeps``)."""
    n = S.shape[1]
    for r in range(S.shape[0]):
        s = S[r].copy()
        h = W @ s + b
        for _ in range(max_sweeps):
            order = rng.permutation(n)
            changed = 0
            for t in range(n):
                i = order[t]
                new = 1.0 if h[i] > 0.0 else (-1.0 if h[i] < 0.0 else s[i])
                if new != s[i]:
                    row, delta = W[i], new - s[i]
                    for j in range(n):
                        h[j] += row[j] * delta
                    s[i] = new
                    changed += 1
            if changed == 0:
                break
        S[r] = s


def reference_curve(n: int, loads, seed: int, max_sweeps: int) -> np.ndarray:
    """Mean recall overlap per load, the reference way (same patterns and order stream as the engine)."""
    from neurosim.learning.data import random_patterns
    from neurosim.rng import generator

    means = []
    for load in loads:
        m = max(1, round(load * n))
        X = random_patterns(m, n, generator(seed, "build", f"hopfield:patterns:N{n}:M{m}"))
        W = X.T @ X / n
        np.fill_diagonal(W, 0.0)
        S = X.copy()
        _recall_rows(S, W, np.zeros(n), generator(seed, "run", "population:hopfield"), max_sweeps)
        means.append(np.mean(np.einsum("ij,ij->i", X, S) / n))
    return np.array(means)


def main() -> None:
    from neurosim.learning.experiments import CAPACITY_LOADS
    from neurosim.learning.hopfield import breakdown_load, capacity_curve

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    runs = {"engine": lambda: capacity_curve(args.n, CAPACITY_LOADS, 1, 50)[1],
            "reference": lambda: reference_curve(args.n, CAPACITY_LOADS, 1, 50)}
    means = {key: run() for key, run in runs.items()}  # compile or load the kernels
    times: dict[str, list[float]] = {key: [] for key in runs}
    for _ in range(args.repeats):
        for key, run in runs.items():
            started = time.process_time()
            run()
            times[key].append(time.process_time() - started)
    engine_s, reference_s = (statistics.median(times[key]) for key in ("engine", "reference"))
    print(f"load average {os.getloadavg()[0]:.1f}; N = {args.n}, {len(CAPACITY_LOADS)} loads, "
          f"{args.repeats} alternating runs")
    print("| version | CPU s per capacity curve (median) | capacity (overlap 0.95) |\n|---|---|---|")
    for key, label, seconds in (("engine", "engine (capacity_curve)", engine_s),
                                ("reference", "compiled reference kernel", reference_s)):
        print(f"| {label} | {seconds:.2f} | {breakdown_load(CAPACITY_LOADS, means[key], 0.95):.4f} |")
    print(f"engine / reference = {engine_s / reference_s:.2f}; "
          f"largest difference of the mean overlaps {np.max(np.abs(means['engine'] - means['reference'])):.2g}")


if __name__ == "__main__":
    main()
