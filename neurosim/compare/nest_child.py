"""Child process of :mod:`neurosim.compare.nest`: ``python -m neurosim.compare.nest_child DIR``.

Reads ``DIR/model.json`` (a list of plain descriptions in NEST units: mV, ms, pF, nS, pA, Hz; one
per realisation), builds and simulates each in turn (``nest.ResetKernel`` between them), and
writes ``DIR/result<i>.npz``. Imports numpy and ``nest`` only: NEST's
bundled libgomp and neurosim's Numba OpenMP layer must not share a process.

Description keys: ``dt``, ``duration`` (ms), ``seed``, ``threads``; ``populations`` (name, nest
model, n, ``params`` and ``initial`` values: a number, a per-neuron list or a distribution
``{distribution, <NEST arguments>, factor}``, ``gates``: ``squid``/``traub`` to start the gates at
steady state of the initial ``V_m``, ``rate`` for Poisson sources); ``connections`` (pre, post,
``conn_spec``, ``syn_spec`` with weight and delay values, or explicit ``sources``/``targets``);
``currents`` (one ``step_current_generator`` each: population, neurons, times, values);
``record`` (``spikes``: population names; ``states``: population, NEST variable, neurons, interval).
"""
from __future__ import annotations

import json
import pathlib
import sys
import time

import numpy as np


def _value(nest, value):
    """A number or list as is; a distribution as a ``nest.random`` parameter."""
    if not isinstance(value, dict):
        return value
    args = {key: item for key, item in value.items() if key not in ("distribution", "factor")}
    parameter = getattr(nest.random, value["distribution"])(**args)
    return parameter * value["factor"] if value.get("factor", 1.0) != 1.0 else parameter


def steady_state_gates(kind: str, v: np.ndarray, vt: np.ndarray) -> dict[str, np.ndarray]:
    """Steady-state ``Act_m``, ``Inact_h``, ``Act_n`` at ``v`` (mV), with the rates (1/ms) as written in
    NEST's ``hh_psc_alpha`` (``kind`` squid) and ``hh_cond_exp_traub`` (``traub``, shifted by ``V_T``)."""
    if kind == "squid":
        am = 0.1 * (v + 40.0) / (1.0 - np.exp(-(v + 40.0) / 10.0))
        bm = 4.0 * np.exp(-(v + 65.0) / 18.0)
        ah = 0.07 * np.exp(-(v + 65.0) / 20.0)
        bh = 1.0 / (1.0 + np.exp(-(v + 35.0) / 10.0))
        an = 0.01 * (v + 55.0) / (1.0 - np.exp(-(v + 55.0) / 10.0))
        bn = 0.125 * np.exp(-(v + 65.0) / 80.0)
    else:
        u = v - vt
        am = 0.32 * (13.0 - u) / (np.exp((13.0 - u) / 4.0) - 1.0)
        bm = 0.28 * (u - 40.0) / (np.exp((u - 40.0) / 5.0) - 1.0)
        ah = 0.128 * np.exp((17.0 - u) / 18.0)
        bh = 4.0 / (1.0 + np.exp((40.0 - u) / 5.0))
        an = 0.032 * (15.0 - u) / (np.exp((15.0 - u) / 5.0) - 1.0)
        bn = 0.5 * np.exp((10.0 - u) / 40.0)
    return {"Act_m": am / (am + bm), "Inact_h": ah / (ah + bh), "Act_n": an / (an + bn)}


def simulate(description: dict) -> dict[str, np.ndarray]:
    """Build and run ``description`` in NEST; spikes (NEST's time stamps, ms) and records as arrays."""
    import nest

    nest.verbosity = nest.VerbosityLevel.ERROR
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": description["dt"], "rng_seed": int(description["seed"]) + 1,
                          "local_num_threads": int(description.get("threads", 1))})
    started = time.perf_counter()
    nodes, out = {}, {}
    for pop in description["populations"]:
        if pop["model"] == "poisson_generator":
            parrots = nest.Create("parrot_neuron", pop["n"])
            rates = np.broadcast_to(np.asarray(pop["rate"], float), (pop["n"],))
            generators = nest.Create("poisson_generator", pop["n"], params={"rate": rates.tolist()})
            nest.Connect(generators, parrots, "one_to_one", {"delay": description["dt"]})
            nodes[pop["name"]] = parrots
            continue
        created = nest.Create(pop["model"], pop["n"])
        params = {key: _value(nest, value) for key, value in pop["params"].items()}
        created.set(params)
        for key, value in pop["initial"].items():
            created.set({key: _value(nest, value)})
        if pop.get("gates"):
            v = np.asarray(created.get("V_m"), float).reshape(-1)
            vt = np.asarray(created.get("V_T"), float).reshape(-1) if pop["gates"] == "traub" else v
            created.set({key: value.tolist() for key, value in steady_state_gates(pop["gates"], v, vt).items()
                         if key not in pop["initial"]})
        nodes[pop["name"]] = created
    for conn in description["connections"]:
        syn_spec = {key: _value(nest, value) for key, value in conn["syn_spec"].items()}
        pre, post = nodes[conn["pre"]], nodes[conn["post"]]
        if "sources" in conn:
            sources = np.asarray(pre.tolist())[np.asarray(conn["sources"], int)]
            targets = np.asarray(post.tolist())[np.asarray(conn["targets"], int)]
            arrays = {key: np.broadcast_to(np.asarray(value, float), sources.shape).copy()
                      for key, value in syn_spec.items()}  # NEST connects arrays with per-synapse arrays
            nest.Connect(sources, targets, "one_to_one", arrays)
        else:
            nest.Connect(pre, post, conn["conn_spec"], syn_spec)
    for current in description["currents"]:
        generator = nest.Create("step_current_generator", params={
            "amplitude_times": current["times"], "amplitude_values": current["values"],
            "allow_offgrid_times": True})
        targets = nodes[current["population"]]
        nest.Connect(generator, targets[current["neurons"]], "all_to_all", {"delay": description["dt"]})
    recorders = {}
    for name in description["record"]["spikes"]:
        recorders[name] = nest.Create("spike_recorder")
        nest.Connect(nodes[name], recorders[name])
    meters = []
    for index, state in enumerate(description["record"]["states"]):
        meter = nest.Create("multimeter", params={"record_from": [state["variable"]], "interval": state["interval"]})
        watched = nodes[state["population"]][state["neurons"]]
        nest.Connect(meter, watched)
        # synaptic currents of the iaf_psc_* and hh_psc_alpha models are recordable but not readable: they start at 0
        initial = np.zeros(len(watched)) if state["variable"].startswith("I_syn") else watched.get(state["variable"])
        out[f"state{index}_initial"] = np.asarray(initial, float).reshape(-1)
        meters.append((index, meter, np.asarray(watched.tolist())))
    built = time.perf_counter()
    nest.Simulate(description["duration"])
    done = time.perf_counter()
    for name, recorder in recorders.items():
        events = recorder.get("events")
        first = nodes[name].tolist()[0]
        out[f"spikes_{name}_ids"] = np.asarray(events["senders"], np.int64) - first
        out[f"spikes_{name}_times"] = np.asarray(events["times"], float)
    for index, meter, ids in meters:
        events = meter.get("events")
        variable = description["record"]["states"][index]["variable"]
        times, senders = np.asarray(events["times"], float), np.asarray(events["senders"], np.int64)
        steps = np.unique(times)
        column = {node: j for j, node in enumerate(ids)}
        data = np.full((len(steps), len(ids)), np.nan)
        row = np.searchsorted(steps, times)
        data[row, [column[s] for s in senders]] = np.asarray(events[variable], float)
        out[f"state{index}_times"], out[f"state{index}_data"] = steps, data
    out["timings"] = np.array([built - started, done - built])
    return out


def main(directory: str) -> int:
    folder = pathlib.Path(directory)
    import nest

    for index, description in enumerate(json.loads((folder / "model.json").read_text())):
        out = simulate(description)
        out["nest_version"] = np.array(nest.__version__)
        np.savez(folder / f"result{index}.npz", **out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
