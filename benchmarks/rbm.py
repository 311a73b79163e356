"""The RBM on the core against the numpy reference, per epoch, on the 8x8 digits.

Both train the same RBM (64-100, PCD-1, lr 0.06, batch 10, no momentum, no weight decay) from the
same initial weights, with the same per-epoch evaluation (held-out reconstruction error and
pseudo-log-likelihood, numpy on both sides). One process, alternating runs after a warm-up that
compiles; figures are medians of the process CPU time per epoch (``time.process_time``: the
machine is shared, wall time is inflated by load) and their ratio, all from the same run.

    python -m benchmarks.rbm [--epochs 3] [--repeats 3]
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np


def main() -> None:
    from neurosim.learning import rbm_network
    from neurosim.learning.data import binary_digits
    from neurosim.learning.rbm import RBM

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    X_train, X_test, _, _ = binary_digits()

    def core():
        rbm_network.fit(RBM(64, 100, np.random.default_rng(0)), X_train, seed=0, epochs=args.epochs, V_valid=X_test)

    def reference():
        RBM(64, 100, np.random.default_rng(0)).fit(X_train, np.random.default_rng(1), args.epochs, 0.06, 10, 1, True,
                                                    0.0, 0.0, V_valid=X_test)

    runs = {"core": core, "numpy": reference}
    for run in runs.values():
        run()  # compile or load the kernels
    times = {key: [] for key in runs}
    for _ in range(args.repeats):
        for key, run in runs.items():
            started = time.process_time()
            run()
            times[key].append((time.process_time() - started) / args.epochs)
    core_s, numpy_s = (statistics.median(times[key]) for key in ("core", "numpy"))
    print(f"load average {os.getloadavg()[0]:.1f}; {args.epochs} epochs x {args.repeats} alternating runs")
    print("| version | CPU s per epoch (median) |\n|---|---|")
    print(f"| core (rbm_network.fit) | {core_s:.4f} |\n| numpy reference (RBM.fit) | {numpy_s:.4f} |")
    print(f"core / numpy = {core_s / numpy_s:.2f}")


if __name__ == "__main__":
    main()
