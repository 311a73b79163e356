"""Predictive coding per training epoch: the engine version against the numpy reference.

The pc_digits settings (64-64-10 logistic, gamma 0.1, batch 20, learning rate 0.2, rate 0.3,
tol 1e-4) on the 8x8 digits. One process; after a warm-up epoch each (the engine compiles its
loop), epochs of the two versions alternate on twin networks with the same mini-batches, and the
figure is the median process CPU time per epoch (wall time is inflated by other load on a shared
machine). The final weights of the two must agree (the run stops otherwise).

    python -m benchmarks.pc_engine [--epochs 5]
"""
from __future__ import annotations

import argparse
import copy
import statistics
import time

import numpy as np


def main() -> None:
    from neurosim.learning import pc_engine, predictive_coding
    from neurosim.learning.data import scaled_digits
    from neurosim.rng import generator

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()
    X, _, y, _ = scaled_digits()
    reference = predictive_coding.PredictiveCodingNetwork([64, 64, 10], generator(1, "build", "pc:weights"))
    twin = copy.deepcopy(reference)
    engine = pc_engine.EnginePredictiveCoding(twin, pc_engine.largest_batch(len(X), 20), gamma=0.1)
    settings = {"epochs": 1, "batch_size": 20, "learning_rate": 0.2}
    relax = {"rate": 0.3, "tol": 1e-4}
    times = {"numpy": [], "engine": []}
    for epoch in range(args.epochs + 1):
        started = time.process_time()
        predictive_coding.train(reference, X, y, generator(epoch, "run", "pc:batches"), gamma=0.1, **settings, **relax)
        numpy_time = time.process_time() - started
        started = time.process_time()
        pc_engine.train(engine, X, y, generator(epoch, "run", "pc:batches"), **settings, **relax)
        engine_time = time.process_time() - started
        if epoch:  # epoch 0 compiles the engine's loop
            times["numpy"].append(numpy_time)
            times["engine"].append(engine_time)
    difference = max(float(np.max(np.abs(a - b)) / np.max(np.abs(a))) for a, b in zip(reference.W, twin.W, strict=True))
    if difference > 1e-10:
        raise SystemExit(f"the engine's weights differ from the reference's by {difference:.3g} (relative)")
    numpy_median, engine_median = statistics.median(times["numpy"]), statistics.median(times["engine"])
    print(f"epochs timed: {args.epochs} (after one warm-up epoch each); "
          f"largest relative weight difference {difference:.2e}")
    print("| version | CPU s per epoch (median) |")
    print("|---|---|")
    print(f"| numpy reference | {numpy_median:.3f} |")
    print(f"| engine | {engine_median:.3f} |")
    print(f"engine / numpy = {engine_median / numpy_median:.2f}")


if __name__ == "__main__":
    main()
