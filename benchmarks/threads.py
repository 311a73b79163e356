"""Speed-up of 2 threads over 1 on a shipped protocol, measured so that it means something on a
loaded machine (issue 19, item 2).

    python -m benchmarks.threads cuba 100000 [--rounds 5] [--seconds 0.2]

Builds the protocol twice in one process (threads 1 and 2), compiles both, then alternates runs
of ``--seconds`` of model time: 1, 2, 1, 2, ... Per run: the wall time, the CPU time of the
process (``os.times``) and of each of its threads (``/proc/self/task/*/stat``, 10 ms ticks).
On a loaded machine wall times measure the scheduler; CPU times do not. Printed per round: the
CPU ratio cpu2/cpu1 (1.0: the second thread adds no work) and the critical-path speed-up
cpu1 / (CPU of the busiest thread at 2 threads): what 2 idle cores would give if no thread ever
waited for the other (an upper bound; waits for wake-ups and descheduled threads come on top).
Then medians, the load average before and after, and whether both runs' spikes are bit-identical."""
import argparse
import os
import statistics
import time

import numpy as np

from benchmarks.common import protocol_simulator


def _thread_cpu() -> dict[str, float]:
    """CPU time (user + system, s) of each thread of this process."""
    ticks, times = os.sysconf("SC_CLK_TCK"), {}
    for task in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{task}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        times[task] = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return times


def _timed(sim, seconds: float) -> tuple[float, float, float]:
    """Wall time, process CPU time and the CPU time of the busiest thread of one run (s)."""
    threads, before, started = _thread_cpu(), os.times(), time.perf_counter()
    sim.run(f"{seconds} s")
    wall, after, threads_after = time.perf_counter() - started, os.times(), _thread_cpu()
    busiest = max(t - threads.get(task, 0.0) for task, t in threads_after.items())
    return wall, (after.user - before.user) + (after.system - before.system), busiest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("protocol", help="shipped protocol name: cuba, coba, cobahh")
    parser.add_argument("n", type=int, help="neurons (80 %% E, 20 %% I)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=0.2, help="model time per run (s)")
    parser.add_argument("--set", action="append", default=[], help="key.path=value override (repeatable)")
    args = parser.parse_args()
    sims = {t: protocol_simulator(args.protocol, {"n": args.n, "dt": 1e-4, "threads": t, "sets": args.set})
            for t in (1, 2)}
    for sim in sims.values():
        sim.run("1 ms")  # compile
    load_before = os.getloadavg()
    rows = []
    for _ in range(args.rounds):
        (w1, c1, _), (w2, c2, busiest) = _timed(sims[1], args.seconds), _timed(sims[2], args.seconds)
        rows.append((w1 / w2, c2 / c1, c1 / busiest))
        print(f"  1 thread {w1:.3f} s wall {c1:.3f} s CPU | 2 threads {w2:.3f} s wall {c2:.3f} s CPU, busiest "
              f"thread {busiest:.3f} s | wall speed-up {w1 / w2:.2f}, CPU ratio {c2 / c1:.2f}, critical-path "
              f"speed-up {c1 / busiest:.2f}", flush=True)
    load_after = os.getloadavg()
    one, two = (sims[t].results().spikes for t in (1, 2))
    identical = one.keys() == two.keys() and all(
        np.array_equal(one[k].node_ids, two[k].node_ids) and np.array_equal(one[k].times, two[k].times) for k in one)
    medians = [statistics.median(row[k] for row in rows) for k in range(3)]
    print(f"{args.protocol} N = {args.n}: medians: wall speed-up {medians[0]:.2f}, CPU ratio {medians[1]:.2f}, "
          f"critical-path speed-up {medians[2]:.2f}; load {load_before[0]:.2f} -> "
          f"{load_after[0]:.2f}; identical {identical}")


if __name__ == "__main__":
    main()
