"""Shared measurement logic of the benchmarks: one child process per measured run, alternation
of neurosim and Brian2, medians, ratios, JSON.

Every run happens in a fresh child process (``python -m benchmarks.<network> --worker SPEC``),
so that each one starts cold or warm as asked, has its own peak memory and pays its own
imports: the end-to-end time is the wall time of that process, from start to the results in
memory. The child prints one JSON line with its measurements; the parent alternates the
simulators (neurosim, Brian2 cpp_standalone, Brian2 runtime, neurosim, ...) so that a change in
machine load hits all of them alike, and reports medians and neurosim/Brian2 ratios.

Simulators: ``neurosim`` (the core's Python API), ``brian2_cpp`` (cpp_standalone, OpenMP
threads set by ``prefs.devices.cpp_standalone.openmp_threads``), ``brian2_runtime`` (Cython
runtime; single-threaded by design), ``nest`` (NEST 3.10, the same network written with NEST's
models and connection rules, OpenMP threads, ``OMP_WAIT_POLICY=PASSIVE``: the default policy
stalls ~7.5 ms per step on this VM). Caches: ``cold`` uses a fresh ``NEUROSIM_CACHE_DIR``, a
fresh standalone project directory or a fresh Cython cache; ``warm`` reuses them (a first,
unrecorded run fills them).
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

RESULTS = pathlib.Path(__file__).resolve().parent / "results"
SIMULATORS = ("neurosim", "brian2_cpp", "brian2_runtime", "nest")
#: Figures compared between simulators (ratio = neurosim / Brian2).
FIGURES = ("sim_time", "e2e_time", "peak_rss_mb", "bytes_per_synapse", "events_per_s", "rate_hz")


def rss_mb() -> float:
    """Resident set size of this process now (MB)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def peak_rss_mb() -> float:
    """Peak resident set size of this process (MB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6  # ru_maxrss is in KiB on Linux


def connection_probability(n: int) -> float:
    """Brette et al. 2007: p = 0.02 at N = 4000; 80 synapses per neuron above."""
    return 0.02 if n <= 4000 else 80 / n


PROTOCOLS = pathlib.Path(__file__).resolve().parents[1] / "protocols"


def protocol_simulator(name: str, spec: dict):
    """The shipped protocol ``protocols/NAME.yaml`` built as users run it (``neurosim run``), with
    only the size (E 80 %, I 20 %, ``connection_probability``), seed, dt and threads set from the
    spec, plus any ``spec['sets']`` (``key.path=value`` overrides, e.g. HH ``tables``)."""
    from neurosim.protocol.build import build
    from neurosim.protocol.load import load

    n = spec["n"]
    sets = [f"network.populations.E.n={n * 4 // 5}", f"network.populations.I.n={n - n * 4 // 5}",
            f"seed={spec.get('seed', 1)}", f"dt={spec['dt']} s", f"threads={spec['threads']}"]
    p = np.format_float_positional(connection_probability(n))  # 8e-05 would be a YAML string
    sets += [f"network.connections.{k}.rule.p={p}" for k in range(4)]
    sets += list(spec.get("sets", ()))
    return build(load(PROTOCOLS / f"{name}.yaml", sets=sets))


def brian2_ei_objects(group, n: int, namespace: dict, b2) -> tuple[list, object, int]:
    """The same layout in Brian2, as in its examples: one group whose first 80 % are excitatory
    (``ge += we``) and the rest inhibitory (``gi += wi``), ``connect(p=...)``, a spike monitor.
    Returns (objects to run, the spike monitor, n)."""
    excitatory = b2.Synapses(group, group, on_pre="ge += we", namespace=namespace)
    inhibitory = b2.Synapses(group, group, on_pre="gi += wi", namespace=namespace)
    p = connection_probability(n)
    excitatory.connect(f"i<{n * 4 // 5}", p=p)
    inhibitory.connect(f"i>={n * 4 // 5}", p=p)
    spikes = b2.SpikeMonitor(group)
    return [group, excitatory, inhibitory, spikes], spikes, n


def synaptic_figures(n_spikes: int, n_synapses: int, n_neurons: int, sim_time: float) -> dict:
    """Synaptic events (spikes x mean out-degree) per second of wall time."""
    events = n_spikes * n_synapses / n_neurons
    return {"events": events, "events_per_s": events / sim_time if sim_time > 0 else float("nan")}


# -- child side -----------------------------------------------------------------------------------

def neurosim_measure(build, spec: dict) -> dict:
    """Build ``build(spec)`` (a neurosim Network), compile, run ``spec['duration']``; measurements.

    ``bytes_per_synapse`` is the growth of the peak RSS over the build and run (connectivity
    build transients included) per synapse; ``stored_bytes_per_synapse`` the synapse arrays."""
    from neurosim.core.simulator import Simulator
    from neurosim.units import si_floats

    rss0 = rss_mb()
    with si_floats():  # the benchmark specs are SI floats (dt, duration in s)
        started = time.perf_counter()
        built = build(spec)  # a shipped protocol's Simulator, or a Network
        sim = built if isinstance(built, Simulator) else \
            Simulator(built, dt=spec["dt"], dtype=spec.get("dtype", "float64"), threads=spec["threads"])
        net = sim.network
        build_time = time.perf_counter() - started
        started = time.perf_counter()
        sim.run(spec["dt"])  # one step: compiles (cold cache) or loads (warm cache) the step loop
        compile_time = time.perf_counter() - started
        started, cpu = time.perf_counter(), time.process_time()
        res = sim.run(spec["duration"] - spec["dt"])
    sim_time, cpu_time = time.perf_counter() - started, time.process_time() - cpu
    n_syn = sum(p.n_synapses for p in sim.network.projections)
    syn_bytes = sum(p.nbytes() for p in sim.network.projections)
    n_spikes = sum(len(s.times) for s in res.spikes.values())
    n = sum(pop.n for pop in net.populations.values())
    peak = peak_rss_mb()
    return {"build_time": build_time, "compile_time": compile_time, "sim_time": sim_time, "cpu_time": cpu_time,
            "n_synapses": n_syn,
            "n_neurons": n, "n_spikes": n_spikes, "rate_hz": n_spikes / (n * spec["duration"]),
            "peak_rss_mb": peak, "bytes_per_synapse": (peak - rss0) * 1e6 / n_syn if n_syn else None,
            "stored_bytes_per_synapse": syn_bytes / n_syn if n_syn else None,
            **synaptic_figures(n_spikes, n_syn, n, sim_time)}


def brian2_measure(build, spec: dict, workdir: str) -> dict:
    """Build the Brian2 model ``build(spec, b2)`` (returns (objects, spike_monitor, n_neurons)) on the
    device of ``spec['simulator']`` and run it; ``workdir`` holds the standalone project or the
    Cython cache (fresh for a cold run)."""
    import brian2 as b2

    b2.prefs.codegen.runtime.cython.cache_dir = os.path.join(workdir, "cython")
    b2.prefs.codegen.runtime.cython.multiprocess_safe = False
    standalone = spec["simulator"] == "brian2_cpp"
    rss_file = os.path.join(workdir, "binary_maxrss_kb")
    if standalone:
        b2.set_device("cpp_standalone", directory=os.path.join(workdir, "project"), build_on_run=False)
        b2.prefs.devices.cpp_standalone.openmp_threads = spec["threads"]
        b2.prefs.devices.cpp_standalone.run_cmd_unix = ["/usr/bin/time", "-f", "%M", "-o", rss_file, "./main"]
        # no seed(): a seed is compiled into main.cpp, so each seed would recompile it; unseeded,
        # every run of the binary draws a new network (neurosim's runs use seeds 1, 2, 3, ...)
    else:
        b2.prefs.codegen.target = "cython"
        b2.seed(spec.get("seed", 1))
    rss0 = rss_mb()
    started = time.perf_counter()
    objects, spikes, n = build(spec, b2)
    net = b2.Network(*objects)
    net.run(spec["duration"] * b2.second)
    if standalone:
        b2.device.build(directory=os.path.join(workdir, "project"), compile=True, run=True)
    total = time.perf_counter() - started
    sim_time = float(b2.device._last_run_time)
    n_syn = sum(len(o) for o in objects if isinstance(o, b2.Synapses))
    n_spikes = int(spikes.num_spikes)
    if standalone:  # the simulation runs in the binary: its peak memory, not Python's
        with open(rss_file) as f:
            peak = int(f.read().split()[-1]) / 1e3
        per_syn = peak * 1e6 / n_syn if n_syn else None
    else:
        peak = peak_rss_mb()
        per_syn = (peak - rss0) * 1e6 / n_syn if n_syn else None
    return {"build_time": total - sim_time, "sim_time": sim_time, "n_synapses": n_syn, "n_neurons": n,
            "n_spikes": n_spikes, "rate_hz": n_spikes / (n * spec["duration"]), "peak_rss_mb": peak,
            "bytes_per_synapse": per_syn, **synaptic_figures(n_spikes, n_syn, n, sim_time)}


def nest_measure(build, spec: dict) -> dict:
    """Build the NEST model ``build(spec, nest)`` (returns the spike recorder, the number of
    neurons and the number of connections that are not synapses: to the recorder, from stimuli) with
    ``spec['threads']`` threads and simulate ``spec['duration']``."""
    import nest

    nest.verbosity = nest.VerbosityLevel.ERROR
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": spec["dt"] * 1e3, "rng_seed": spec.get("seed", 1),
                          "local_num_threads": spec["threads"]})
    rss0 = rss_mb()
    started = time.perf_counter()
    recorder, n, auxiliary = build(spec, nest)
    nest.Prepare()
    build_time = time.perf_counter() - started
    started, cpu = time.perf_counter(), time.process_time()
    nest.Run(spec["duration"] * 1e3)
    sim_time, cpu_time = time.perf_counter() - started, time.process_time() - cpu
    nest.Cleanup()
    n_syn = nest.num_connections - auxiliary  # minus those to the spike recorder and from stimuli
    n_spikes = int(recorder.get("n_events"))
    peak = peak_rss_mb()
    return {"build_time": build_time, "sim_time": sim_time, "cpu_time": cpu_time, "n_synapses": n_syn,
            "n_neurons": n, "n_spikes": n_spikes, "rate_hz": n_spikes / (n * spec["duration"]), "peak_rss_mb": peak,
            "bytes_per_synapse": (peak - rss0) * 1e6 / n_syn if n_syn else None,
            **synaptic_figures(n_spikes, n_syn, n, sim_time)}


def worker_main(neurosim_build, brian2_build, nest_build=None) -> None:
    """Entry point of a benchmark script: ``--worker SPEC`` measures one run and prints its JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", help="JSON spec of one run (used by the parent process)")
    parser.add_argument("--set", default="quick", help="tiny, quick or standard (when run directly)")
    parser.add_argument("--simulators", nargs="*", help="a subset of neurosim, brian2_cpp, brian2_runtime")
    parser.add_argument("--results", default=str(RESULTS), help="directory of the JSON, table and plot")
    args = parser.parse_args()
    if args.worker is None:  # run directly: this network's part of a benchmark set
        from .run import run_sets
        network = sys.modules["__main__"].__spec__.name.rsplit(".", 1)[-1]
        run_sets(args.set, only=[network], simulators=args.simulators, results=pathlib.Path(args.results))
        return
    spec = json.loads(args.worker)
    if spec["simulator"] == "neurosim":
        result = neurosim_measure(neurosim_build, spec)
    elif spec["simulator"] == "nest":
        result = nest_measure(nest_build, spec)
    else:
        result = brian2_measure(brian2_build, spec, spec["workdir"])
    print("RESULT " + json.dumps(result))


# -- parent side ----------------------------------------------------------------------------------

def run_child(module: str, spec: dict, timeout: float = 1800) -> dict:
    """Run one measurement in a child process; adds the process's wall time as ``e2e_time``."""
    env = dict(os.environ)
    if spec["simulator"] == "neurosim":
        env["NEUROSIM_CACHE_DIR"] = os.path.join(spec["workdir"], "neurosim")
    env["OMP_NUM_THREADS"] = str(spec["threads"])
    if spec["simulator"] == "nest":
        env["OMP_WAIT_POLICY"] = "PASSIVE"
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", module, "--worker", json.dumps(spec)], capture_output=True,
                          text=True, env=env, timeout=timeout, check=False)
    e2e = time.perf_counter() - started
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode or not lines:
        raise RuntimeError(f"benchmark run failed: {module} {spec}\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    return {**spec, **json.loads(lines[-1][len("RESULT "):]), "e2e_time": e2e}


def alternate(module: str, configs: list[dict], simulators: list[str], reps: int, colds: int,
              scratch: str, log=print) -> list[dict]:
    """Measure every config with every simulator, alternating simulators within each repetition.

    ``colds`` of the ``reps`` repetitions use fresh caches (cold); the others reuse a warm cache
    that an unrecorded first run fills.
    """
    records = []
    for config in configs:
        key = f"{config['network']}-{config['n']}-t{config['threads']}"
        warm_dirs = {sim: tempfile.mkdtemp(prefix=f"{key}-{sim}-warm-", dir=scratch) for sim in simulators}
        for sim in simulators:  # fill the warm caches
            run_child(module, {**config, "simulator": sim, "workdir": warm_dirs[sim]})
        for rep in range(reps):
            cold = rep < colds
            for sim in simulators:
                workdir = tempfile.mkdtemp(prefix=f"{key}-{sim}-cold-", dir=scratch) if cold else warm_dirs[sim]
                record = run_child(module, {**config, "simulator": sim, "workdir": workdir, "seed": 1 + rep})
                record.update(rep=rep, cache="cold" if cold else "warm")
                records.append(record)
                log(f"  {key:<24} {sim:<15} {record['cache']:<5} sim {record['sim_time']:8.3f} s  "
                    f"e2e {record['e2e_time']:7.2f} s  rate {record['rate_hz']:6.2f} Hz  "
                    f"peak {record['peak_rss_mb']:7.0f} MB")
    return records


def summarise(records: list[dict]) -> list[dict]:
    """Medians per (network, n, threads, simulator) and ratios neurosim / each Brian2 device.

    ``sim_time``, rates, memory and events are medians over all runs (warm and cold alike: the
    simulation itself does not depend on the cache); ``e2e_time`` is given for warm and cold.
    """
    groups: dict[tuple, list[dict]] = {}
    for r in records:
        groups.setdefault((r["network"], r["n"], r["threads"], r["simulator"]), []).append(r)
    rows = []
    for (network, n, threads, sim), runs in groups.items():
        row = {"network": network, "n": n, "threads": threads, "simulator": sim, "runs": len(runs),
               "duration": runs[0]["duration"], "n_synapses": runs[0]["n_synapses"]}
        for figure in ("sim_time", "peak_rss_mb", "bytes_per_synapse", "stored_bytes_per_synapse",
                       "events_per_s", "rate_hz", "n_spikes", "compile_time"):
            values = [r[figure] for r in runs if r.get(figure) is not None]
            row[figure] = float(np.median(values)) if values else None
        for cache in ("warm", "cold"):
            values = [r["e2e_time"] for r in runs if r["cache"] == cache]
            row[f"e2e_{cache}"] = float(np.median(values)) if values else None
        row["sim_per_bio_s"] = row["sim_time"] / row["duration"]
        row["rate_range"] = [min(r["rate_hz"] for r in runs), max(r["rate_hz"] for r in runs)]
        rows.append(row)
    by_key = {(r["network"], r["n"], r["threads"], r["simulator"]): r for r in rows}
    for row in rows:
        if row["simulator"] != "neurosim":
            continue
        for other in SIMULATORS[1:]:
            ref = by_key.get((row["network"], row["n"], row["threads"], other))
            if ref is None:
                continue
            row[f"ratio_{other}"] = {
                figure: (row[figure] / ref[figure] if row.get(figure) and ref.get(figure) else None)
                for figure in ("sim_time", "e2e_warm", "e2e_cold", "peak_rss_mb", "bytes_per_synapse",
                               "events_per_s", "rate_hz")}
    return rows


def environment() -> dict:
    """Machine, versions and load, saved with every result file."""
    import brian2
    import numba

    with open("/proc/cpuinfo") as f:
        cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), platform.processor())
    return {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "machine": platform.node(), "cpu": cpu,
            "cores": os.cpu_count(), "python": platform.python_version(), "numpy": np.__version__,
            "numba": numba.__version__, "brian2": brian2.__version__, "nest": _version("nest-simulator"),
            "load_average": os.getloadavg()}


def _version(distribution: str) -> str | None:
    import importlib.metadata

    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def save(name: str, payload: dict, directory: pathlib.Path = RESULTS) -> pathlib.Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, indent=1, default=float))
    os.replace(tmp, path)
    return path
