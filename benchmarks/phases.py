"""Where a shipped protocol's step goes: the generated step loop with phases replaced by ``pass``.

    python -m benchmarks.phases cuba [--n 100000] [--threads 1] [--steps 1000] [--repeats 7]

Builds the protocol at size ``--n`` (``benchmarks.common.protocol_simulator``), runs 20 ms, then
compiles variants of its generated loop (``codegen.compile_chunk``) in which the lines of one kind
of phase are replaced by ``pass`` and times each on the simulator's own arrays: µs per step,
median of ``--repeats`` runs of ``--steps`` steps after one unrecorded run. A phase's share is the
difference to the full loop. Without propagation no spike reaches a target, so that variant also
changes the dynamics it runs (a few per cent of the update's work at CUBA's rates); the figures
are for finding the large costs, not for the last per cent.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import time

import numba

from neurosim.core import codegen

from .common import protocol_simulator

#: variant -> regular expressions of the lines it replaces by ``pass``
VARIANTS = {
    "full": [],
    "without propagation": [r"^\s+propagate_\w+\(", r"^\s+deliver\w*\("],
    "without monitors": [r"^\s+record_spikes\(", r"monitor\d+_counts\[k\] =", r"statemonitor\d+_buffer\[",
                         r"statemonitor\d+_count\[0\] \+= 1"],
    "update loops only": [r"^\s+propagate_\w+\(", r"^\s+deliver\w*\(", r"^\s+record_spikes\(",
                          r"monitor\d+_counts\[k\] =", r"^\s+collect_spikes\("],
}


def variant(source: str, patterns: list[str]) -> str:
    """``source`` with every line matching one of ``patterns`` replaced by ``pass`` (same indent)."""
    lines = source.split("\n")
    return "\n".join(line[:len(line) - len(line.lstrip())] + "pass" if any(re.search(p, line) for p in patterns)
                     else line for line in lines)


def measure(protocol: str, n: int, threads: int, steps: int, repeats: int) -> dict[str, float]:
    """µs per step of every variant (median of ``repeats`` runs after one unrecorded run)."""
    sim = protocol_simulator(protocol, {"n": n, "dt": 1e-4, "threads": threads})
    sim.run("20 ms")
    numba.set_num_threads(threads)
    per_step = {}
    for name, patterns in VARIANTS.items():
        chunk = codegen.compile_chunk(variant(sim.source, patterns))
        times = []
        for _ in range(repeats + 1):
            for monitor in sim.network.monitors:
                monitor.prepare_chunk(steps)
            args = [*sim.writer.args.values(),
                    *[component.chunk_values(sim.step, steps) for component in sim.writer.chunk_args.values()]]
            started = time.perf_counter()
            done = chunk(sim.step, steps, sim.dt, *args)
            times.append(time.perf_counter() - started)
            for monitor in sim.network.monitors:  # keeps the monitors' buffers from overflowing
                monitor.flush(sim.step, done, sim.dt)
        per_step[name] = statistics.median(times[1:]) / steps * 1e6
    return per_step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("protocol", help="a shipped protocol with populations E and I: cuba, coba, cobahh")
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    per_step = measure(args.protocol, args.n, args.threads, args.steps, args.repeats)
    print(f"{args.protocol} N = {args.n}, {args.threads} thread(s), {args.steps} steps, median of {args.repeats}; "
          f"load average {os.getloadavg()[0]:.2f}")
    for name, us in per_step.items():
        print(f"| {name} | {us:.1f} µs per step | {us / per_step['full']:.2f} of full |")


if __name__ == "__main__":
    main()
