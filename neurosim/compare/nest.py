"""NEST 3.10 as a second reference: a protocol built in NEST and run in a child process.

:func:`describe` maps a validated protocol (:func:`neurosim.protocol.load`: parameters in SI
units, connection rules, distributions) to a plain description in NEST's units (mV, ms, pF, nS,
pA, Hz) and NEST's names -- never from neurosim's built arrays, so connectivity and initial values
are NEST's own draws (``nest.random``) from the protocol's rules. :func:`run` serialises it to
``python -m neurosim.compare.nest_child`` (NEST's bundled libgomp and Numba's OpenMP layer
segfault in one process) and returns the child's spikes and records as a
:class:`~neurosim.core.results.Results` in neurosim's conventions.

Model mapping: ``lif`` with exponential current receptors -> ``iaf_psc_exp``, alpha current ->
``iaf_psc_alpha``, exponential conductance -> ``iaf_cond_exp``; ``hh_squid`` (alpha current
receptors or none) -> ``hh_psc_alpha``; ``hh_traub`` (exponential conductance receptors) ->
``hh_cond_exp_traub``; ``adex`` with delta receptors or none -> ``aeif_psc_delta``, exponential /
alpha current -> ``aeif_psc_exp`` / ``aeif_psc_alpha``, exponential / alpha conductance ->
``aeif_cond_exp`` / ``aeif_cond_alpha`` (NEST's RKF45 tightened to ``gsl_error_tol`` =
:data:`AEIF_ERROR_TOL`, a converged reference); ``poisson`` -> ``poisson_generator`` +
``parrot_neuron``; ``constant`` and ``step`` stimuli -> ``step_current_generator``. A receptor
port is NEST's excitatory or inhibitory port by the sign of its weights (current) or the larger
reversal potential (conductance).

Conventions handled here (docs/compare.md): NEST stamps a spike at the end of its step, so its
times are reported ``- dt``; ``t_ref = tau_refrac - dt`` (NEST clamps one step longer);
``V_th`` is the next float above ``v_thresh`` (NEST fires at ``V_m >= V_th``, neurosim at
``v > v_thresh``); a current change at step ``k`` is a generator time ``(k - 1) dt`` with delay
``dt`` (a change at step 0 goes into ``I_e``); HH gates start at steady state of the initial
``V_m``; ``aeif_*`` take neurosim's ``t_ref`` rounded to steps (both clamp ``v`` for that many
steps after the spike step); HH spikes (NEST detects peaks) are, in deterministic runs, the upward crossings of
``v_thresh`` of NEST's membrane potential recorded every step. What has no NEST counterpart raises
:class:`NoNESTCounterpart` naming it.
"""
from __future__ import annotations

import importlib.util
import json
import math
import os
import pathlib
import subprocess
import sys
import tempfile

import numpy as np

from ..core.results import Results, SpikeTrains, StateRecord
from ..errors import NeurosimError
from ..rng import generator

#: SI -> NEST unit factors by dimension.
NEST_UNITS = {"voltage": 1e3, "time": 1e3, "capacitance": 1e12, "conductance": 1e9, "current": 1e12,
              "frequency": 1.0, "dimensionless": 1.0}
SI_UNITS = {"voltage": "V", "time": "s", "capacitance": "F", "conductance": "S", "current": "A",
            "dimensionless": ""}

#: neurosim parameter -> NEST parameter (None: used only by neurosim, e.g. to derive defaults);
#: the NEST value is the SI value times NEST_UNITS[dimension] unless :func:`nest_params` derives it.
PARAMETERS = {
    "lif": {"cm": "C_m", "tau_m": "tau_m", "v_rest": "E_L", "v_reset": "V_reset", "v_thresh": "V_th",
            "tau_refrac": "t_ref", "i_offset": "I_e"},
    "hh_squid": {"cm": "C_m", "g_na": "g_Na", "g_k": "g_K", "g_leak": "g_L", "e_na": "E_Na", "e_k": "E_K",
                 "e_leak": "E_L", "tau_refrac": "t_ref", "i_offset": "I_e", "area": None, "v_thresh": None},
    "hh_traub": {"cm": "C_m", "g_na": "g_Na", "g_kd": "g_K", "g_leak": "g_L", "e_na": "E_Na", "e_k": "E_K",
                 "e_leak": "E_L", "vt": "V_T", "tau_refrac": "t_ref", "i_offset": "I_e", "area": None,
                 "v_thresh": None},
    "adex": {key: key for key in ("C_m", "g_L", "E_L", "V_th", "Delta_T", "tau_w", "a", "b", "V_reset", "V_peak",
                                  "t_ref", "I_e")},
}
#: neurosim state variable -> NEST state variable and its dimension (receptor states are mapped per port).
STATES = {"v": ("V_m", "voltage"), "m": ("Act_m", "dimensionless"), "h": ("Inact_h", "dimensionless"),
          "n": ("Act_n", "dimensionless"), "w": ("w", "current")}
HH_MODELS = ("hh_psc_alpha", "hh_cond_exp_traub")
#: ``adex`` receptors (kernel, kind; ``delta`` for voltage jumps) -> NEST's aeif model.
AEIF_MODELS = {frozenset(): "aeif_psc_delta", frozenset({"delta"}): "aeif_psc_delta",
               frozenset({("exponential", "current")}): "aeif_psc_exp",
               frozenset({("alpha", "current")}): "aeif_psc_alpha",
               frozenset({("exponential", "conductance")}): "aeif_cond_exp",
               frozenset({("alpha", "conductance")}): "aeif_cond_alpha"}
#: ``gsl_error_tol`` of NEST's aeif models in comparisons (NEST's default 1e-6). Measured on
#: protocols/adex_step.yaml against 1e-12: 1e-6 moves spike stamps by up to 5 steps (Tonic, 84
#: spikes), 1e-10 by at most one (one crossing next to a step boundary; Adapting: none).
AEIF_ERROR_TOL = 1e-10
#: A test hook: NEST parameter -> factor applied after mapping (e.g. {"tau_m": 1.1}), to check
#: that a wrong mapping makes a comparison fail.
PERTURB: dict[str, float] = {}


class NoNESTCounterpart(NeurosimError):
    """A part of the protocol that NEST 3.10 has no model or convention for (the message names it)."""


def available() -> bool:
    """True when the ``nest`` package (``pip install 'neurosim[nest]'``) can be imported (not imported here)."""
    return importlib.util.find_spec("nest") is not None


def nest_model(name: str, population) -> str:
    """The NEST model of protocol population ``name`` (its model and receptor kernels)."""
    kinds = {"delta" if r.kind == "delta" else (r.kernel, r.kind) for r in population.receptors.values()}
    if population.model == "poisson":
        return "poisson_generator"
    if population.model == "lif":
        if not kinds or kinds == {("exponential", "current")}:
            return "iaf_psc_exp"
        if kinds == {("alpha", "current")}:
            return "iaf_psc_alpha"
        if kinds == {("exponential", "conductance")}:
            return "iaf_cond_exp"
    elif population.model == "hh_squid" and kinds <= {("alpha", "current")}:
        return "hh_psc_alpha"
    elif population.model == "hh_traub" and kinds <= {("exponential", "conductance")}:
        return "hh_cond_exp_traub"
    elif population.model == "adex" and frozenset(kinds) in AEIF_MODELS:
        return AEIF_MODELS[frozenset(kinds)]
    elif population.model not in PARAMETERS:
        raise NoNESTCounterpart(f"population '{name}': model '{population.model}' has no NEST counterpart "
                                f"(mapped: lif, hh_squid, hh_traub, adex, poisson)")
    receptors = ", ".join(f"{key} ({r.kernel} {r.kind})" for key, r in population.receptors.items())
    raise NoNESTCounterpart(f"population '{name}': model '{population.model}' with receptors {receptors} has no "
                            f"NEST counterpart (lif: all exponential current, all alpha current or all "
                            f"exponential conductance; hh_squid: alpha current; hh_traub: exponential conductance; "
                            f"adex: all delta, all exponential or all alpha, of one kind)")


def model_params(population) -> dict[str, float]:
    """Every parameter of a protocol population in SI: the protocol's values (scalars, or arrays of
    one per neuron), the model's defaults otherwise (derived ones, HH densities times ``area``,
    from the values they name)."""
    from ..core.neurons import models

    cls = models()[population.model]
    params = {key: spec.default for key, spec in cls.param_spec.items()}
    params.update(population.params)
    if hasattr(cls, "definition"):  # derived defaults (HH densities times area)
        cls.definition.derive(params, population.params)
    return params


def nest_params(model: str, nest_name: str, params: dict, dt: float) -> dict:
    """NEST parameters (NEST units) of ``params`` (SI) of neurosim ``model`` mapped to ``nest_name``;
    ``dt`` in s."""
    from ..core.neurons import models

    spec = models()[model].param_spec
    out = {}
    for key, target in PARAMETERS[model].items():
        if target is None:
            continue
        value = np.asarray(params[key], float) * NEST_UNITS[spec[key].dimension]
        if key in ("tau_refrac", "t_ref"):  # neurosim rounds to steps; NEST's iaf_* clamp one step more
            steps = np.round(np.asarray(params[key], float) / dt)
            value = (np.maximum(steps - 1, 0) if nest_name.startswith(("iaf", "aeif")) else steps) * dt * 1e3
        if key == "v_thresh":  # NEST fires at V_m >= V_th, neurosim at v > v_thresh
            value = np.nextafter(value, np.inf)
        out[target] = value
    if nest_name == "iaf_cond_exp":  # NEST gives the leak as a conductance
        out["g_L"] = out["C_m"] / out.pop("tau_m")
    if nest_name.startswith("aeif"):
        out["gsl_error_tol"] = AEIF_ERROR_TOL
    for key, factor in PERTURB.items():
        if key in out:
            out[key] = out[key] * factor
    return {key: _plain(value) for key, value in out.items()}


def _plain(value):
    array = np.asarray(value, float)
    return float(array) if array.ndim == 0 else array.tolist()


def _distribution(value, scale: float, what: str, factor: float = 1.0):
    """A protocol value (number, array or distribution, SI) as a description value in NEST units."""
    from ..core import distributions

    if isinstance(value, distributions.Uniform):
        low, high = sorted((value.low * scale * factor, value.high * scale * factor))
        return {"distribution": "uniform", "min": low, "max": high}
    if isinstance(value, distributions.Normal):
        return {"distribution": "normal", "mean": value.mean * scale * factor, "std": value.std * scale}
    if isinstance(value, distributions.LogNormal):
        return {"distribution": "lognormal", "mean": value.mu + math.log(scale), "std": value.sigma, "factor": factor}
    if hasattr(value, "draw"):
        raise NoNESTCounterpart(f"{what}: distribution {type(value).__name__} has no nest.random counterpart")
    return _plain(np.asarray(value, float) * scale * factor)


def _sign(value) -> float:
    """+1 / -1 when every value of a weight (number, array or distribution) has that sign, else 0."""
    from ..core import distributions

    if isinstance(value, distributions.Uniform):
        low, high = value.low, value.high
    elif isinstance(value, distributions.LogNormal):
        low = high = 1.0
    elif isinstance(value, distributions.Normal):
        low = high = value.mean if value.std == 0 else 0.0
    else:
        array = np.asarray(value, float)
        low, high = array.min(), array.max()
    return 1.0 if low > 0 else -1.0 if high < 0 else 0.0


def ports(name: str, population, connections) -> dict[str, str]:
    """Receptor -> NEST port ``ex`` / ``in``: current receptors by the sign of their weights,
    conductance receptors by reversal potential (the larger is ``ex``)."""
    receptors = population.receptors
    if len(receptors) > 2:
        raise NoNESTCounterpart(f"population '{name}': {len(receptors)} receptors (NEST's models have two ports)")
    if not receptors:
        return {}
    if next(iter(receptors.values())).kind == "delta":  # one port, weights of either sign
        return dict.fromkeys(receptors, "delta")
    if next(iter(receptors.values())).kind == "conductance":
        order = sorted(receptors, key=lambda key: -receptors[key].e_rev)
        return dict(zip(order, ("ex", "in"), strict=True))
    signs = {}
    for key in receptors:
        for conn in connections:
            if conn.post == name and conn.receptor == key:
                sign = _sign(conn.weight)
                if sign == 0 or signs.get(key, sign) != sign:
                    raise NoNESTCounterpart(f"population '{name}': receptor '{key}' receives weights of both signs "
                                            f"(NEST picks the port of a current synapse by the weight's sign)")
                signs[key] = sign
    out = {key: "ex" if sign > 0 else "in" for key, sign in signs.items()}
    if len(set(out.values())) < len(out):
        raise NoNESTCounterpart(f"population '{name}': receptors {', '.join(out)} receive weights of one sign "
                                f"(NEST has one excitatory and one inhibitory port)")
    for key in receptors:
        if key not in out:
            out[key] = "in" if "ex" in out.values() else "ex"
    return out


def _steps(time: float, dt: float) -> int:
    """The first step ``k`` with ``k dt >= time`` (neurosim's stimulus windows, 1e-12 s slack)."""
    return max(math.ceil((time - 1e-12) / dt - 1e-9), 0)


def _currents(spec, populations: dict) -> list[dict]:
    """Stimuli as step-current generators in NEST's timing; values at step 0 go to ``I_e``."""
    from ..protocol import schema

    dt, currents = spec.dt, []
    for index, stimulus in enumerate(spec.stimuli):
        name = stimulus.population
        n = spec.network.populations[name].n
        neurons = np.arange(n) if stimulus.neurons is None else np.asarray(stimulus.neurons)
        if isinstance(stimulus, schema.ConstantStimulus):
            amplitude = np.broadcast_to(np.asarray(stimulus.amplitude, float), neurons.shape)
            changes = [(_steps(stimulus.start, dt), amplitude)]
            if stimulus.stop is not None:
                changes.append((_steps(stimulus.stop, dt), np.zeros(neurons.shape)))
        elif isinstance(stimulus, schema.StepStimulus):
            changes = [(_steps(t, dt), np.full(neurons.shape, float(a)))
                       for t, a in zip(stimulus.times, stimulus.amplitudes, strict=True)]
        else:
            raise NoNESTCounterpart(f"stimuli[{index}]: a '{stimulus.type}' stimulus (mapped: constant, step)")
        scale = NEST_UNITS["current"]
        first = np.zeros(neurons.shape)
        for step, values in changes:
            if step == 0:
                first = values
        description = populations[name]
        i_e = np.broadcast_to(np.asarray(description["params"].get("I_e", 0.0), float), (n,)).copy()
        i_e[neurons] += first * scale
        description["params"]["I_e"] = _plain(i_e)
        later = [(step, values) for step, values in changes if step > 0]
        if not later:
            continue
        table = np.array([values - first for _, values in later]) * scale  # (changes, neurons)
        groups = {}
        for column, neuron in enumerate(neurons):
            groups.setdefault(tuple(table[:, column]), []).append(int(neuron))
        times = [round((step - 1) * dt * 1e3, 9) for step, _ in later]
        for values, members in groups.items():
            currents.append({"population": name, "neurons": sorted(members), "times": times,
                             "values": list(values)})
    return currents


def minimum_delays(protocol) -> list[str]:
    """``--set`` overrides that raise every fixed delay below ``dt`` to ``dt`` (NEST's minimum delay),
    to compare a protocol with zero delays (e.g. CUBA) in both simulators as NEST can run it."""
    dt = protocol.spec.dt
    return [f"network.connections.{index}.delay={dt * 1e3!r} ms"
            for index, conn in enumerate(protocol.spec.network.connections)
            if not hasattr(conn.delay, "draw") and np.any(np.round(np.asarray(conn.delay, float) / dt) < 1)]


def describe(protocol, seed: int | None = None, deterministic: bool = False) -> dict:
    """The plain description (NEST names and units) of a validated network protocol; ``seed``
    defaults to the protocol's. ``deterministic``: record HH membrane potentials every step, to
    detect their spikes with neurosim's criterion."""
    spec = protocol.spec
    network, dt = spec.network, spec.dt
    seed = spec.seed if seed is None else seed
    populations, connections = {}, []
    port_of = {}
    for name, population in network.populations.items():
        model = nest_model(name, population)
        entry = {"name": name, "model": model, "n": population.n, "params": {}, "initial": {}}
        if model == "poisson_generator":
            entry["rate"] = _plain(population.rate)
            populations[name] = entry
            continue
        params = model_params(population)
        entry["params"] = nest_params(population.model, model, params, dt)
        port_of[name] = ports(name, population, network.connections)
        for key, receptor in population.receptors.items():
            if receptor.kind == "delta":
                continue
            entry["params"][f"tau_syn_{port_of[name][key]}"] = receptor.tau * 1e3
            if receptor.kind == "conductance":
                entry["params"][f"E_{port_of[name][key]}"] = receptor.e_rev * 1e3
        for key, value in population.initial.items():
            entry["initial"].update(_initial(name, population, key, value, params, port_of[name]))
        if "V_m" not in entry["initial"]:  # the model's default: a value or the name of a parameter
            from ..core.neurons import models

            cls = models()[population.model]
            if hasattr(cls, "definition"):  # an equation model: its initial v, an expression of parameters
                from ..equations import emit
                definition = cls.definition
                expr = definition.initial_exprs["v"]
                values = {s: np.asarray(params[s.name], float) for s in expr.free_symbols}
                shape = np.broadcast_shapes(*(np.shape(x) for x in values.values()))
                v0 = emit.evaluate(expr, values, int(np.prod(shape))).reshape(shape)
            else:
                default = cls.state_spec["v"][1]
                v0 = np.asarray(params[default] if isinstance(default, str) else default)
            entry["initial"]["V_m"] = _plain(v0 * 1e3)
        if model in HH_MODELS:
            entry["gates"] = "traub" if model == "hh_cond_exp_traub" else "squid"
        populations[name] = entry
    for index, conn in enumerate(network.connections):
        connections.append(_connection(index, conn, network, port_of, dt))
    currents = _currents(spec, populations)
    record = _record(protocol, populations, port_of, deterministic)
    rng = generator(seed, "build", "nest")
    return {"dt": dt * 1e3, "duration": spec.duration * 1e3, "seed": int(rng.integers(1, 2**31 - 1)),
            "protocol_seed": int(seed), "threads": 1, "populations": list(populations.values()),
            "connections": connections, "currents": currents, "record": record}


def _initial(name, population, key, value, params, port_of) -> dict:
    what = f"population '{name}': initial {key}"
    if key in STATES:
        target, dimension = STATES[key]
        return {target: _distribution(value, NEST_UNITS[dimension], what)}
    if key.startswith("syn_") and key[4:] in population.receptors:
        receptor = population.receptors[key[4:]]
        port = port_of[key[4:]]
        if receptor.kernel != "exponential":
            raise NoNESTCounterpart(f"{what}: NEST cannot start an {receptor.kernel} receptor away from zero")
        if receptor.kind == "conductance" and population.model == "lif":
            return {f"g_{port}": _distribution(value, NEST_UNITS["conductance"], what)}
        if receptor.kind == "conductance":
            raise NoNESTCounterpart(f"{what}: hh_cond_exp_traub starts its conductances at zero (not settable)")
        raise NoNESTCounterpart(f"{what}: NEST's current-based models start their synaptic currents at zero")
    if key == "ref_left" and np.all(np.asarray(value) == 0) and not hasattr(value, "draw"):
        return {}
    raise NoNESTCounterpart(f"{what}: NEST cannot set it")


_RULES = {"all_to_all": "all_to_all", "one_to_one": "one_to_one", "fixed_probability": "pairwise_bernoulli",
          "fixed_indegree": "fixed_indegree"}


def _connection(index, conn, network, port_of, dt) -> dict:
    what = f"network.connections[{index}] ({conn.pre} -> {conn.post})"
    rule = dict(conn.rule)
    name = rule.pop("name")
    entry = {"pre": conn.pre, "post": conn.post}
    if name == "explicit":
        if hasattr(conn.weight, "draw") or hasattr(conn.delay, "draw"):
            raise NoNESTCounterpart(f"{what}: an explicit rule with random weights or delays")
        entry["sources"], entry["targets"] = (np.asarray(rule[k], int).tolist() for k in ("pre", "post"))
    elif name in _RULES:
        entry["conn_spec"] = {"rule": _RULES[name], **rule}
        if name != "one_to_one":
            entry["conn_spec"]["allow_autapses"] = bool(conn.allow_autapses) or conn.pre != conn.post
        if name == "fixed_indegree":
            entry["conn_spec"]["indegree"] = entry["conn_spec"].pop("k")
            entry["conn_spec"]["allow_multapses"] = False
    else:
        raise NoNESTCounterpart(f"{what}: rule '{name}' (mapped: {', '.join(_RULES)}, explicit)")
    receptor = network.populations[conn.post].receptors[conn.receptor]
    port = port_of[conn.post][conn.receptor]
    dimension = {"conductance": "conductance", "current": "current", "delta": "voltage"}[receptor.kind]
    factor = -1.0 if receptor.kind == "conductance" and port == "in" else 1.0  # NEST: inhibitory g as w < 0
    if receptor.kind == "conductance" and _sign(conn.weight) < 0:
        raise NoNESTCounterpart(f"{what}: negative conductance weights")
    delay = conn.delay
    if hasattr(delay, "draw"):
        if getattr(delay, "low", -1.0) < dt * (1 - 1e-9):
            raise NoNESTCounterpart(f"{what}: a delay distribution that can fall below NEST's minimum delay dt "
                                    f"(only uniform with low >= dt is mapped)")
        delay_value = _distribution(delay, 1e3, what)
    else:
        steps = np.round(np.asarray(delay, float) / dt)
        if np.any(steps < 1):
            raise NoNESTCounterpart(f"{what}: delay {float(np.min(delay)) * 1e3:g} ms is below NEST's minimum "
                                    f"delay dt = {dt * 1e3:g} ms")
        delay_value = _plain(steps * dt * 1e3)
    entry["syn_spec"] = {"weight": _distribution(conn.weight, NEST_UNITS[dimension], what, factor),
                         "delay": delay_value}
    return entry


def _record(protocol, populations, port_of, deterministic) -> dict:
    spec = protocol.spec
    spikes = list(spec.network.populations) if spec.record.spikes is None else list(spec.record.spikes)
    states = []
    for index, state in enumerate(spec.record.states):
        variable, pop = state.variable, spec.network.populations[state.population]
        if variable in STATES:
            target, dimension = STATES[variable]
            unit = NEST_UNITS[dimension]
        elif variable.startswith("syn_") and variable[4:] in pop.receptors and \
                pop.receptors[variable[4:]].kind != "delta":
            receptor = pop.receptors[variable[4:]]
            port = port_of[state.population][variable[4:]]
            target = f"g_{port}" if receptor.kind == "conductance" else f"I_syn_{port}"
            dimension = "conductance" if receptor.kind == "conductance" else "current"
            unit = NEST_UNITS[dimension]
        else:
            raise NoNESTCounterpart(f"record.states[{index}]: variable '{variable}' of population "
                                    f"'{state.population}' has no NEST counterpart")
        neurons = list(range(pop.n)) if state.neurons is None else list(state.neurons)
        states.append({"population": state.population, "variable": target, "neurons": neurons,
                       "interval": state.every * spec.dt * 1e3, "name": variable, "scale": unit,
                       "unit": SI_UNITS[dimension]})
    detect = []
    if deterministic:  # HH spikes from the membrane potential, with neurosim's criterion
        for name in spikes:
            if populations[name]["model"] in HH_MODELS:
                pop = spec.network.populations[name]
                states.append({"population": name, "variable": "V_m", "neurons": list(range(pop.n)),
                               "interval": spec.dt * 1e3, "name": None, "scale": 1e3})
                detect.append(name)
    return {"spikes": spikes, "states": states, "detect_from_v": detect}


def run(protocol, seed: int | None = None, deterministic: bool = False, threads: int = 1,
        timeout: float = 3600.0) -> Results:
    """Run ``protocol`` in NEST (child process); spikes, records and timings in neurosim's conventions."""
    return run_many(protocol, [protocol.spec.seed if seed is None else seed], deterministic, threads, timeout)[0]


def run_many(protocol, seeds, deterministic: bool = False, threads: int = 1, timeout: float = 3600.0) -> list[Results]:
    """One NEST realisation of ``protocol`` per seed (connectivity and initial values drawn by NEST
    from the seed), all in one child process with ``threads`` OpenMP threads."""
    descriptions = [describe(protocol, seed, deterministic) for seed in seeds]
    outputs = simulate(descriptions, threads, timeout)
    return [to_results(protocol, description, arrays)
            for description, arrays in zip(descriptions, outputs, strict=True)]


def simulate(descriptions: list[dict], threads: int = 1, timeout: float = 3600.0) -> list[dict[str, np.ndarray]]:
    """Run plain descriptions (see :mod:`neurosim.compare.nest_child`, NEST units) in one NEST child
    process; returns the child's arrays per description (spike times as NEST stamps them, ms)."""
    if not available():
        raise NeurosimError("NEST is not installed: pip install 'neurosim[nest]' (nest-simulator 3.10.0)")
    for description in descriptions:
        description["threads"] = int(threads)
    with tempfile.TemporaryDirectory(prefix="neurosim_nest_") as folder:
        path = pathlib.Path(folder)
        (path / "model.json").write_text(json.dumps(descriptions))
        env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE", "OMP_NUM_THREADS": str(int(threads))}
        child = subprocess.run([sys.executable, "-m", "neurosim.compare.nest_child", folder], env=env,
                               capture_output=True, text=True, timeout=timeout, check=False)
        if child.returncode != 0:
            tail = "\n".join((child.stderr or child.stdout).strip().splitlines()[-15:])
            raise NeurosimError(f"the NEST child process failed (exit status {child.returncode}):\n{tail}")
        outputs = []
        for index in range(len(descriptions)):
            with np.load(path / f"result{index}.npz") as data:
                outputs.append({key: data[key] for key in data.files})
    return outputs


def to_results(protocol, description: dict, arrays: dict) -> Results:
    """The child's arrays as :class:`Results`: spike times ``- dt`` (NEST stamps the end of the step),
    records from ``t = 0`` (the initial values) to the last step before ``duration``."""
    spec = protocol.spec
    dt, n_steps = spec.dt, round(spec.duration / spec.dt)
    sizes = {name: pop.n for name, pop in spec.network.populations.items()}
    results = Results(dt=dt, duration=n_steps * dt, seed=description["protocol_seed"], population_sizes=sizes,
                      attributes={"simulator": f"NEST {arrays['nest_version']}"})
    results.timings = {"build": float(arrays["timings"][0]), "run": float(arrays["timings"][1])}
    states = description["record"]["states"]
    voltages = {}
    for index, state in enumerate(states):
        steps = np.round(arrays[f"state{index}_times"] / (state["interval"])).astype(np.int64)
        keep = steps * round(state["interval"] / spec.dt / 1e3) < n_steps
        data = np.vstack([arrays[f"state{index}_initial"][None, :], arrays[f"state{index}_data"][keep]])
        every = round(state["interval"] / (spec.dt * 1e3))
        times = np.arange(data.shape[0]) * every * dt
        data = data / state["scale"]
        if state["name"] is None:
            voltages[state["population"]] = data
            continue
        results.states.setdefault(state["population"], {})[state["name"]] = StateRecord(
            state["name"], np.asarray(state["neurons"], np.int64), times, data, state["unit"])
    for name in description["record"]["spikes"]:
        ids = arrays[f"spikes_{name}_ids"]
        times = arrays[f"spikes_{name}_times"] * 1e-3 - dt
        if name in voltages:
            population = spec.network.populations[name]
            own = len(ids)
            params = model_params(population)
            ids, times = crossings(voltages[name], params["v_thresh"], params["tau_refrac"], dt)
            results.attributes.setdefault("nest_own_spike_counts", {})[name] = own
        keep = times < n_steps * dt - dt / 2
        order = np.lexsort((ids[keep], times[keep]))
        results.spikes[name] = SpikeTrains(ids[keep][order].astype(np.int64), times[keep][order], sizes[name])
    return results


def crossings(v: np.ndarray, threshold, tau_refrac, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """neurosim's HH spike criterion on a trace ``v[step, neuron]`` (V): a spike in step ``k`` when
    ``v[k] <= threshold < v[k + 1]``, at least ``round(tau_refrac / dt)`` steps after the last."""
    n = v.shape[1]
    threshold = np.broadcast_to(np.asarray(threshold, float), (n,))
    gap = np.broadcast_to(np.round(np.asarray(tau_refrac, float) / dt).astype(np.int64), (n,))
    ids, steps = [], []
    for j in range(n):
        candidates = np.flatnonzero((v[:-1, j] <= threshold[j]) & (v[1:, j] > threshold[j]))
        last = -(10**12)
        for k in candidates:
            if k - last >= gap[j]:
                ids.append(j)
                steps.append(k)
                last = k
    return np.asarray(ids, np.int64), np.asarray(steps, float) * dt
