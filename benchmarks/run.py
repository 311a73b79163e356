"""Run a set of benchmarks: ``python -m benchmarks.run --set quick|targets|standard [--only cuba cobahh]``.

Writes ``benchmarks/results/<set>.json`` (every run, medians, ratios, machine and versions),
``<set>.md`` (the table of README.md) and ``<set>.png`` (scaling plot), and prints the table.
"""
from __future__ import annotations

import argparse
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

from .common import RESULTS, alternate, environment, run_child, save, summarise

ROOT = pathlib.Path(__file__).resolve().parents[1]
DT = 1e-4
BOTH = ["neurosim", "brian2_cpp"]
ALL = ["neurosim", "brian2_cpp", "brian2_runtime"]
WITH_NEST = ["neurosim", "brian2_cpp", "nest"]


def _configs(network, sizes, threads, simulators, reps, colds):
    """Configurations of one network. Large networks simulate less than 1 s (about 4000
    neuron-seconds, at least 50 ms); times are also reported per simulated second."""
    out = []
    for n in sizes:
        for t in threads:
            sims = [s for s in simulators if t == 1 or s != "brian2_runtime"]  # runtime has no threads
            duration = min(1.0, max(0.05, 4000 / n))
            out.append(({"network": network, "n": n, "threads": t, "duration": duration, "dt": DT}, sims, reps,
                        colds if n == 4000 else 0))
    return out


SETS = {
    "tiny": lambda: _configs("cuba", [400], [1], BOTH, 1, 0),  # the smoke test's
    "quick": lambda: (
        _configs("cuba", [4000], [1], WITH_NEST, 2, 0) + _configs("cobahh", [4000], [1], WITH_NEST, 2, 0)),
    "standard": lambda: (
        _configs("cuba", [4000], [1, 2], [*ALL, "nest"], 3, 1) + _configs("cuba", [20_000], [1, 2], BOTH, 3, 0)
        + _configs("cuba", [100_000], [1, 2], WITH_NEST, 2, 0) + _configs("cuba", [1_000_000], [1, 2], BOTH, 1, 0)
        + _configs("coba", [4000, 20_000], [1, 2], BOTH, 3, 0) + _configs("coba", [100_000], [1, 2], BOTH, 2, 0)
        + _configs("cobahh", [4000], [1, 2], [*ALL, "nest"], 3, 1) + _configs("cobahh", [20_000], [1, 2], BOTH, 3, 0)
        + _configs("cobahh", [100_000], [1, 2], BOTH, 2, 0)
        + _configs("scaling", [4000, 100_000, 1_000_000], [1, 2], BOTH, 2, 0)),
    # the configurations issue 19's targets name (shipped protocols at their defaults), with NEST at
    # 4000: about 20 minutes where "standard" takes over an hour
    "targets": lambda: (
        _configs("cuba", [4000], [1], WITH_NEST, 3, 0) + _configs("cuba", [100_000], [1, 2], BOTH, 2, 0)
        + _configs("coba", [4000], [1], BOTH, 3, 0) + _configs("coba", [100_000], [1], BOTH, 2, 0)
        + _configs("cobahh", [4000], [1], WITH_NEST, 3, 0) + _configs("cobahh", [100_000], [1, 2], BOTH, 2, 0)),
}
CLI_REPS = {"tiny": 0, "quick": 0, "standard": 3, "targets": 0}


def cli_end_to_end(reps: int, scratch: str, log) -> list[dict]:
    """``neurosim run protocols/cuba.yaml`` (process start to results written, warm cache) against
    Brian2 cpp_standalone's warm end to end on the same network (CUBA, N = 4000, 1 s), alternating."""
    exe = pathlib.Path(sys.executable).parent / "neurosim"
    out = os.path.join(scratch, "cli")
    spec = {"network": "cuba", "n": 4000, "threads": 1, "duration": 1.0, "dt": DT, "simulator": "brian2_cpp",
            "workdir": tempfile.mkdtemp(prefix="cli-b2-", dir=scratch)}

    def cli():
        started = time.perf_counter()
        subprocess.run([str(exe), "run", "protocols/cuba.yaml", "-o", out], cwd=ROOT, check=True,
                       capture_output=True)
        return time.perf_counter() - started

    cli()
    run_child("benchmarks.cuba", spec)  # warm caches
    records = []
    for rep in range(reps):
        records.append({"what": "neurosim run protocols/cuba.yaml", "rep": rep, "e2e_time": cli()})
        b2 = run_child("benchmarks.cuba", spec)
        records.append({"what": "brian2 cpp_standalone CUBA 4000, 1 s", "rep": rep, "e2e_time": b2["e2e_time"]})
        log(f"  cli e2e {records[-2]['e2e_time']:.2f} s   brian2_cpp e2e {records[-1]['e2e_time']:.2f} s")
    return records


def _fmt(x, spec=".3g"):
    return "–" if x is None else format(x, spec)


def table(rows: list[dict]) -> str:
    """Markdown table: one line per (network, N, threads) with neurosim's figures and ratios."""
    head = ("| network | N | thr | synapses | sim s/bio-s ns | b2 cpp | b2 rt | ratio cpp | ratio rt | "
            "NEST | ratio NEST | "
            "e2e warm ns / b2 cpp | e2e cold ns / b2 cpp | peak MB ns / b2 cpp | B/syn stored ns | "
            "B/syn RSS ns / b2 cpp | events/s ns | rate Hz ns / b2 cpp |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    by = {(r["network"], r["n"], r["threads"], r["simulator"]): r for r in rows}
    for r in rows:
        if r["simulator"] != "neurosim":
            continue
        key = (r["network"], r["n"], r["threads"])
        cpp, rt = by.get((*key, "brian2_cpp"), {}), by.get((*key, "brian2_runtime"), {})
        reference = by.get((*key, "nest"), {})
        ratio = r.get("ratio_brian2_cpp", {})
        lines.append(
            f"| {r['network']} | {r['n']} | {r['threads']} | {r['n_synapses']:,} | {_fmt(r['sim_per_bio_s'])} | "
            f"{_fmt(cpp.get('sim_per_bio_s'))} | {_fmt(rt.get('sim_per_bio_s'))} | "
            f"{_fmt(ratio.get('sim_time'), '.2f')} | "
            f"{_fmt(r.get('ratio_brian2_runtime', {}).get('sim_time'), '.2f')} | "
            f"{_fmt(reference.get('sim_per_bio_s'))} | {_fmt(r.get('ratio_nest', {}).get('sim_time'), '.3f')} | "
            f"{_fmt(r['e2e_warm'], '.2f')} / {_fmt(cpp.get('e2e_warm'), '.2f')} | "
            f"{_fmt(r['e2e_cold'], '.2f')} / {_fmt(cpp.get('e2e_cold'), '.2f')} | "
            f"{_fmt(r['peak_rss_mb'], '.0f')} / {_fmt(cpp.get('peak_rss_mb'), '.0f')} | "
            f"{_fmt(r['stored_bytes_per_synapse'], '.1f')} | {_fmt(r['bytes_per_synapse'], '.1f')} / "
            f"{_fmt(cpp.get('bytes_per_synapse'), '.1f')} | {_fmt(r['events_per_s'], '.3g')} | "
            f"{_fmt(r['rate_hz'], '.2f')} / {_fmt(cpp.get('rate_hz'), '.2f')} |")
    return "\n".join(lines)


def plot(rows: list[dict], path: pathlib.Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    networks = sorted({r["network"] for r in rows})
    fig, axes = plt.subplots(1, len(networks), figsize=(4.2 * len(networks), 3.8), squeeze=False)
    styles = {"neurosim": ("C0", "o"), "brian2_cpp": ("C1", "s"), "brian2_runtime": ("C2", "^"), "nest": ("C3", "D")}
    for ax, network in zip(axes[0], networks, strict=True):
        for sim, (color, marker) in styles.items():
            for threads, line in ((1, "-"), (2, "--")):
                pts = sorted((r["n"], r["sim_per_bio_s"]) for r in rows
                             if r["network"] == network and r["simulator"] == sim and r["threads"] == threads)
                if pts:
                    ax.plot(*zip(*pts, strict=True), line, color=color, marker=marker, label=f"{sim}, {threads} thr")
        ax.set(xscale="log", yscale="log", xlabel="neurons N", title=network)
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].set_ylabel("wall time per simulated second (s)")
    handles = {label: handle for ax in axes[0] for handle, label in zip(*ax.get_legend_handles_labels(), strict=True)}
    axes[0][-1].legend(handles.values(), handles.keys(), fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def run_sets(name: str, only: list[str] | None = None, simulators: list[str] | None = None,
             results: pathlib.Path = RESULTS, log=print) -> dict:
    """Run set ``name`` (restricted to the networks ``only`` and the ``simulators``, if given) and
    write its JSON, table and plot to ``results``."""
    configs = [(config, [s for s in sims if not simulators or s in simulators], reps, colds)
               for config, sims, reps, colds in SETS[name]() if not only or config["network"] in only]
    scratch = tempfile.mkdtemp(prefix="neurosim-bench-")
    started = time.perf_counter()
    env = environment()
    log(f"benchmark set '{name}': {len(configs)} configurations, load average {env['load_average']}")
    records = []
    try:
        for config, sims, reps, colds in configs:
            records += alternate(f"benchmarks.{config['network']}", [config], sims, reps, colds, scratch, log)
        cli = cli_end_to_end(CLI_REPS[name], scratch, log) if not (only or simulators) else []
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    rows = summarise(records)
    env["load_average_end"] = os.getloadavg()
    env["wall_time"] = time.perf_counter() - started
    tag = "-".join([name, *(only or [])])
    payload = {"set": name, "environment": env, "summary": rows, "runs": records, "cli": cli}
    path = save(tag, payload, results)
    md = table(rows)
    (results / f"{tag}.md").write_text(md + "\n")
    plot(rows, results / f"{tag}.png")
    log(md)
    log(f"saved {path} ({env['wall_time']:.0f} s, load average at end {env['load_average_end']})")
    return payload


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=sorted(SETS), default="quick")
    parser.add_argument("--only", nargs="*", help="networks to run (cuba, coba, cobahh, scaling)")
    parser.add_argument("--simulators", nargs="*", help="a subset of neurosim, brian2_cpp, brian2_runtime, nest")
    parser.add_argument("--results", default=str(RESULTS), help="directory of the JSON, table and plot")
    args = parser.parse_args()
    run_sets(args.set, args.only, args.simulators, pathlib.Path(args.results))


if __name__ == "__main__":
    main()
