"""Generated (equation model) against the hand-written HH emitter on the COBAHH network.

The shipped protocol (protocols/cobahh.yaml) is run once as it is and once with its populations'
model replaced by the equation form (``hh_traub_equations``; ``cobahh_tables``: the hand-written
``gate_tables`` against the equation
model's ``tables`` over v, -150..100 mV in steps of 0.01 mV); both use the same seed,
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
COBAHH_PARAMS = ("{cm: 200 pF, g_leak: 10 nS, e_leak: -60 mV, e_k: -90 mV, e_na: 50 mV, g_na: 20 uS, "
                 "g_kd: 6 uS, vt: -63 mV, v_thresh: -20 mV}")
#: network -> equation model; cobahh_tables: the hand-written gate_tables against the generic tables
NETWORKS = {"cobahh": "hh_traub_equations", "cobahh_tables": "hh_traub_equations"}
TABLES = "{v: {min: -150 mV, max: 100 mV, step: 0.01 mV}}"


def simulator(network: str, model: str | None, threads: int):
    from neurosim.protocol.build import build
    from neurosim.protocol.load import load

    sets = [f"threads={threads}"]  # recording as shipped: the same cost in both variants
    protocol = network.removesuffix("_tables")
    if network.endswith("_tables"):
        sets += [f"network.populations.{p}.{'tables=' + TABLES if model else 'gate_tables=true'}" for p in ("E", "I")]
    if model:
        sets += [f"network.populations.{p}.model={model}" for p in ("E", "I")]
        if protocol == "cobahh":  # the same values; the equation model has no area, and no tau_refrac
            sets += [f"network.populations.{p}.params={COBAHH_PARAMS}" for p in ("E", "I")]
    return build(load(ROOT / "protocols" / f"{protocol}.yaml", sets=sets))


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
