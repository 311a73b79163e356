"""Generated (equation model) against hand-written emitters on the CUBA and COBA networks.

The shipped protocols (protocols/cuba.yaml, coba.yaml) are run once as they are and once with
their populations' model replaced by the equation form (``lif_equations``). COBAHH is no longer
here: its hand-written HH emitter is gone (``hh_traub`` is the equation model; the last
measurement, generated/hand-written 0.882 exact and 0.743 with tables, is in
benchmarks/README.md). Both use the same seed,
connectivity and step. One process, runs of each variant alternate (``--repeats`` times) after
a warm-up run that compiles; the figure is the
median CPU time (``time.process_time``) of ``Simulator.run`` per simulated second
(CPU time: less inflated than wall time on a loaded machine).

    python -m benchmarks.equations [--duration 0.5] [--repeats 3] [--only cobahh]
"""
from __future__ import annotations

import argparse
import pathlib
import statistics
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
NETWORKS = {"cuba": "lif_equations", "coba": "lif_equations"}


def simulator(network: str, model: str | None, threads: int):
    from neurosim.protocol.build import build
    from neurosim.protocol.load import load

    sets = [f"threads={threads}"]  # recording as shipped: the same cost in both variants
    if model:
        sets += [f"network.populations.{p}.model={model}" for p in ("E", "I")]
    return build(load(ROOT / "protocols" / f"{network}.yaml", sets=sets))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=0.5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--only", choices=list(NETWORKS), action="append")
    args = parser.parse_args()
    print("| network | hand-written (CPU s/bio-s) | generated (CPU s/bio-s) | generated / hand-written |")
    print("|---|---|---|---|")
    for network, model in NETWORKS.items():
        if args.only and network not in args.only:
            continue
        sims = {"hand": simulator(network, None, args.threads), "generated": simulator(network, model, args.threads)}
        for sim in sims.values():
            sim.run("10 ms")  # compile or load the loop
        times = {key: [] for key in sims}
        for _ in range(args.repeats):
            for key, sim in sims.items():
                started = time.process_time()
                sim.run(f"{args.duration} s")
                times[key].append((time.process_time() - started) / args.duration)
        hand, generated = (statistics.median(times[key]) for key in ("hand", "generated"))
        print(f"| {network} | {hand:.3f} | {generated:.3f} | {generated / hand:.3f} |")


if __name__ == "__main__":
    main()
