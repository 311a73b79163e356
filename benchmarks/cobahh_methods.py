"""COBAHH at N = 4000: neurosim's HH integration methods against NEST 3.10 in one run.

Every variant is a child process (``benchmarks.cobahh --worker``; NEST cannot share a process
with Numba), the variants alternate within each repetition, and the figure is the CPU time
(``time.process_time`` of the child) of the simulation per biological second, median over
``--repeats``; the load average is printed with it. Variants: NEST's ``hh_cond_exp_traub``
(adaptive RKF45); the shipped ``protocols/cobahh.yaml`` (``hh_traub``, exponential
Euler); and the equation model ``hh_traub`` with ``dopri5`` and with ``bs23`` (tolerance 1e-3),
with and without ``tables`` over v (the ``--set`` lines are printed, usable with ``neurosim run``).

    python -m benchmarks.cobahh_methods [--n 4000] [--duration 0.5] [--repeats 3]
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile

from .common import run_child

POPULATIONS = ("E", "I")
TABLES = "{v: {min: -150 mV, max: 100 mV, step: 0.01 mV}}"
DOPRI5 = [f"network.populations.{p}.method=dopri5" for p in POPULATIONS]
BS23 = [f"network.populations.{p}.method=bs23" for p in POPULATIONS]
WITH_TABLES = [f"network.populations.{p}.tables={TABLES}" for p in POPULATIONS]
VARIANTS = {
    "NEST 3.10 hh_cond_exp_traub (RKF45)": {"simulator": "nest"},
    "neurosim cobahh.yaml as shipped (exponential Euler)": {"simulator": "neurosim"},
    "neurosim hh_traub, dopri5": {"simulator": "neurosim", "sets": DOPRI5},
    "neurosim hh_traub, dopri5 + tables": {"simulator": "neurosim", "sets": [*DOPRI5, *WITH_TABLES]},
    "neurosim hh_traub, bs23": {"simulator": "neurosim", "sets": BS23},
    "neurosim hh_traub, bs23 + tables": {"simulator": "neurosim", "sets": [*BS23, *WITH_TABLES]},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=4000)
    parser.add_argument("--duration", type=float, default=0.5)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    scratch = tempfile.mkdtemp(prefix="cobahh-methods-")
    base = {"network": "cobahh", "n": args.n, "dt": 1e-4, "duration": args.duration, "threads": 1}
    warm = {name: tempfile.mkdtemp(dir=scratch) for name in VARIANTS}
    for name, variant in VARIANTS.items():  # compile once into each warm cache
        run_child("benchmarks.cobahh", {**base, "duration": 0.01, **variant, "workdir": warm[name]})
    records: dict[str, list[dict]] = {name: [] for name in VARIANTS}
    loads = [os.getloadavg()]
    for rep in range(args.repeats):
        for name, variant in VARIANTS.items():
            records[name].append(run_child("benchmarks.cobahh", {**base, **variant, "workdir": warm[name],
                                                                 "seed": 1 + rep}))
            loads.append(os.getloadavg())
    nest = statistics.median(r["cpu_time"] for r in records[next(iter(VARIANTS))]) / args.duration
    print(f"COBAHH N = {args.n}, {args.duration} s, 1 thread, {args.repeats} alternating repetitions; "
          f"load average (1 min) {min(l[0] for l in loads):.1f}-{max(l[0] for l in loads):.1f}")
    print("| variant | CPU s per biological second (median) | wall s per biological second | rate (Hz) | NEST / this |")
    print("|---|---|---|---|---|")
    for name, rows in records.items():
        cpu = statistics.median(r["cpu_time"] for r in rows) / args.duration
        wall = statistics.median(r["sim_time"] for r in rows) / args.duration
        rate = statistics.median(r["rate_hz"] for r in rows)
        print(f"| {name} | {cpu:.2f} | {wall:.2f} | {rate:.1f} | {nest / cpu:.1f} |", flush=True)
    sets = VARIANTS[list(VARIANTS)[-1]]["sets"]
    print("sets of the bs23 + tables variant:", " ".join(f"--set '{s}'" for s in sets))


if __name__ == "__main__":
    main()
