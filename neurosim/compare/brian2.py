"""The same network in Brian2: a reference run for neurosim's results.

:class:`Brian2Model` reads a *built* :class:`~neurosim.core.simulator.Simulator` before it runs
and keeps copies of everything Brian2 needs: per-neuron parameters, the initial state arrays, the
synapse lists (CSR rows -> ``Synapses.connect(i=, j=)`` with the same weights and delays in
steps), stimulus waveforms (the values neurosim would inject in each step, as ``TimedArray``),
Poisson rates, spike lists and monitors. :meth:`Brian2Model.run` builds and runs the Brian2
network (runtime target with Cython or numpy code generation, or ``cpp_standalone``) and returns
a :class:`~neurosim.core.results.Results` like ``Simulator.run``.

Correspondence of the step (Brian2's default schedule equals neurosim's phases): state monitors
record at ``start``; stimuli are summed into ``I_ext`` by a ``run_regularly`` operation
``before_groups`` (held over the step); neuron equations are integrated in ``groups`` (equation
models, LIF and HH among them, by their own equations with the receptors merged in and the method
neurosim states for the joint system, :mod:`.brian2_equations`; ``before(x)`` in a threshold is a
variable ``x_before`` saved ``before_groups``); a model's ``clamp`` runs ``after_groups``;
thresholds, then ``on_pre`` adds ``b * w`` to the receptor states
(``delay`` = neurosim's delay in steps), then resets. Refractoriness uses Brian2's
``timestep(t - lastspike) >= timestep(ref_time)`` with neurosim's rounded ``ref_time``.

Random numbers: Poisson spikes and OU noise follow the same rules, but Brian2 draws from its own
generator (seeded with the network seed), so they cannot match neurosim sample by sample; compare
such runs statistically. Brian2 runs in float64 whatever neurosim's ``dtype``.

Parts with no Brian2 counterpart raise :class:`NoBrian2Counterpart` naming them: rate and binary
units, dense projections, ``spike_timing='precise'``, and neurons that start refractory.
"""
from __future__ import annotations

import re
import tempfile
import time
import warnings
from dataclasses import dataclass, field, replace

import numpy as np

from ..core.connectivity import Projection
from ..core.monitors import RateMonitor, SpikeMonitor, StateMonitor
from ..core.neurons.equation import EquationPopulation
from ..core.neurons.sources import PoissonSource, SpikeSource
from ..core.results import RateRecord, Results, SpikeTrains, StateRecord
from ..core.simulator import Simulator
from ..core.stimuli import OUNoise, Waveform
from ..errors import DriveWarning, NeurosimError, ParameterError
from ..units import BRIAN2_UNITS, si_symbol

TARGETS = ("runtime", "cpp_standalone")
CODEGENS = ("cython", "numpy")


class NoBrian2Counterpart(NeurosimError, NotImplementedError):
    """A part of the network that this translation cannot express in Brian2."""

    def __init__(self, part: str, reason: str):
        self.part = part
        super().__init__(f"{part}: no Brian2 counterpart ({reason})")


@dataclass
class Group:
    """One Brian2 group: what to construct and the SI values to set on it before the run."""

    name: str
    kind: str  # "neurons", "poisson" or "spikes"
    n: int
    equations: list[str] = field(default_factory=list)
    values: dict[str, np.ndarray] = field(default_factory=dict)
    threshold: str = ""
    reset: str = ""
    method: str = ""
    input_unit: str = "amp"
    before_groups: list[str] = field(default_factory=list)
    after_groups: list[str] = field(default_factory=list)
    after_resets: list[str] = field(default_factory=list)
    refractory: str | bool = "ref_time"
    timed: dict[str, tuple[np.ndarray, str]] = field(default_factory=dict)  # TimedArray name -> (values, unit)
    on_pre: dict[str, str] = field(default_factory=dict)  # receptor -> code adding the weight ``w``
    weight_unit: dict[str, str] = field(default_factory=dict)
    variables: dict[str, str] = field(default_factory=dict)  # recordable neurosim name -> Brian2 name
    source: dict = field(default_factory=dict)  # Poisson rates or spike list


def _num(value) -> str:
    """A float literal for Brian2 code (the shortest repr that round-trips)."""
    return repr(float(value))


def _unit(dimension: str) -> str:
    return BRIAN2_UNITS[dimension]


def _divide(numerator: str, denominator: str) -> str:
    if denominator == "1":
        return numerator
    if numerator == "1":
        return f"1/{denominator}"
    return f"{numerator}/{denominator}"


def _receptors(pop, group: Group, v_unit: str, propagate_in_equations: bool) -> dict[str, str]:
    """Receptor rows ``z_<receptor>_<k>`` of ``pop`` as Brian2 variables; returns the sums
    ``I_syn`` (current), ``G_syn`` (conductance) and ``GE_syn`` (conductance x reversal)."""
    bank = pop.bank
    i_unit = group.input_unit
    g_unit = _divide(i_unit, v_unit)
    names = [f"z_{bank.names[bank.row_receptor[s]]}_{s}" for s in range(bank.n_rows)]
    sums = {"I_syn": [], "G_syn": [], "GE_syn": []}
    for s, name in enumerate(names):
        receptor = bank.names[bank.row_receptor[s]]
        unit = i_unit if bank.synapses[bank.row_receptor[s]].kind == "current" else g_unit
        if propagate_in_equations:
            terms = " + ".join(f"({_num(bank.a_matrix[s, q])})*{names[q]}" for q in range(bank.n_rows)
                               if bank.a_matrix[s, q] != 0)
            group.equations.append(f"d{name}/dt = ({terms})/second : {unit}")
        else:
            group.equations.append(f"{name} : {unit}")
        group.values[name] = pop.z[s].astype(float)
        for key, coef in (("I_syn", bank.i_coef[s]), ("G_syn", bank.g_coef[s]), ("GE_syn", bank.ge_coef[s])):
            if coef != 0:  # ge_coef is c * e_rev, a voltage
                scale = f"*{v_unit}" if key == "GE_syn" and v_unit != "1" else ""
                sums[key].append(f"({_num(coef)}{scale})*{name}")
        group.on_pre[receptor] = group.on_pre.get(receptor, "") + f"{name}_post += ({_num(bank.b[s])})*w\n"
        group.weight_unit[receptor] = unit
    if not propagate_in_equations and bank.n_rows:
        phi = bank.phi
        if np.any(np.triu(phi, 1) != 0):
            raise NoBrian2Counterpart(f"population '{pop.name}': receptors",
                                      "a receptor propagator that is not lower-triangular")
        for s in reversed(range(bank.n_rows)):  # rows depend only on themselves and earlier rows
            terms = " + ".join(f"({_num(phi[s, q])})*{names[q]}" for q in range(s + 1) if phi[s, q] != 0)
            group.after_groups.append(f"{names[s]} = {terms or '0*' + names[s]}")
    for receptor in bank.names:
        rows = bank.rows(receptor)
        coef = bank.i_coef + bank.g_coef
        unit = group.weight_unit[receptor]
        group.equations.append(f"syn_{receptor} = {' + '.join(f'({_num(coef[s])})*{names[s]}' for s in rows)} : {unit}")
        group.variables[f"syn_{receptor}"] = f"syn_{receptor}"
    units = {"I_syn": i_unit, "G_syn": g_unit, "GE_syn": i_unit}
    for key, terms in sums.items():
        group.equations.append(f"{key} = {' + '.join(terms) if terms else '0*' + units[key].replace('1', '1.0')} "
                               f": {units[key]}")
    return sums


def _params(group: Group, values: dict[str, np.ndarray], units: dict[str, str]) -> None:
    for name, value in values.items():
        group.equations.append(f"{name} : {units[name]} (constant)")
        group.values[name] = np.asarray(value, float)


def _check_not_refractory(pop) -> None:
    if np.any(pop.state["ref_left"] > 0):
        raise NoBrian2Counterpart(f"population '{pop.name}': initial ref_left", "neurons that start refractory")


def _equation(pop) -> Group:
    """An equation model: its own equations, threshold, reset and method (generic translation,
    :mod:`neurosim.compare.brian2_equations`); receptor states are equation states, ``before(x)``
    in the threshold is a variable ``x_before`` saved ``before_groups``."""
    from ..equations.dimensions import brian2_unit
    from .brian2_equations import translate
    if "ref_left" in pop.state:
        _check_not_refractory(pop)
    model = translate(pop)
    group = Group(pop.name, "neurons", pop.n, method=model.method, input_unit=_unit(pop.input_dimension))
    group.equations = [re.sub(r"\bi_ext\b", "I_ext", line) for line in model.equations.splitlines() if line]
    group.values.update({**model.values, **model.initial})
    group.threshold = model.threshold or ""
    group.reset = model.reset or ""
    group.before_groups += model.before
    group.after_groups += model.clamp
    if model.refractory is False:
        group.refractory = False
    elif "ref_left" in pop.state:  # neurosim's duration rounded to whole steps
        _params(group, {"ref_time": pop.ref_time}, {"ref_time": "second"})
    else:
        group.refractory = model.refractory
    for key, code in model.on_pre.items():
        group.on_pre[key] = code + "\n"
        group.weight_unit[key] = (brian2_unit(pop.receptor_models[key][0].weight) if key in pop.receptor_models
                                  else _unit(pop.state_spec["v"][0]))  # delta receptors: a jump of v
    group.variables.update({s: model.renames.get(s, s) for s in pop.system.states})
    group.variables.update({f"syn_{key}": model.renames.get(state, state) for key, state in pop._syn_states().items()})
    group.variables["i_ext"] = "I_ext"
    return group


def _poisson(pop: PoissonSource, total_steps: int) -> Group:
    group = Group(pop.name, "poisson", pop.n)
    if pop.rate_function is None:
        group.source["rates"] = pop.rate.astype(float)
        high = float(pop.rate.max()) * pop.dt
    else:
        rates = pop.chunk_values(0, max(total_steps, 1))[:, 0] / pop.dt
        high = float(rates.max()) * pop.dt
    if high > 0.1:  # neurosim draws Poisson counts; Brian2's PoissonGroup at most one spike per step
        warnings.warn(f"population '{pop.name}': rate * dt = {high:g} > 0.1, but Brian2's PoissonGroup emits at most "
                      f"one spike per step (probability rate * dt): its drive falls short of neurosim's Poisson "
                      f"counts", DriveWarning, stacklevel=3)
    if pop.rate_function is not None:
        group.timed[f"rate_{pop.name}"] = (rates if rates.shape[1] > 1 else rates[:, 0], "Hz")
        group.source["rates"] = f"rate_{pop.name}(t{', i' if rates.shape[1] > 1 else ''})"
    return group


def _spike_source(pop: SpikeSource) -> Group:
    group = Group(pop.name, "spikes", pop.n)
    group.source.update(indices=pop.order_indices.astype(np.int64), steps=pop.steps.copy())
    return group




def _stimulus_terms(simulator: Simulator, groups: dict[str, Group], total_steps: int) -> None:
    """Sum every stimulus into its target's ``I_ext`` before the state update, in neurosim's order."""
    terms: dict[str, list[str]] = {}
    updates: dict[str, list[str]] = {}
    for index, stim in enumerate(simulator.network.stimuli):
        group = groups[stim.target.name]
        tag = f"s{index}"
        mask = np.zeros(group.n)
        np.add.at(mask, stim.neurons, 1.0)
        if isinstance(stim, Waveform):
            values = stim.chunk_values(0, max(total_steps, 1)).astype(float)
            if values.shape[1] == 1:
                group.timed[f"stim_{tag}"] = (values[:, 0], group.input_unit)
                terms.setdefault(group.name, []).append(f"stim_{tag}(t)*mask_{tag}")
            else:
                unique, column = np.unique(stim.neurons, return_inverse=True)
                summed = np.zeros((values.shape[0], len(unique)))
                np.add.at(summed, (slice(None), column), values)
                col = np.zeros(group.n)
                col[unique] = np.arange(len(unique))
                mask = np.minimum(mask, 1.0)
                group.timed[f"stim_{tag}"] = (summed, group.input_unit)
                group.equations.append(f"col_{tag} : integer (constant)")
                group.values[f"col_{tag}"] = col
                terms.setdefault(group.name, []).append(f"stim_{tag}(t, col_{tag})*mask_{tag}")
        elif isinstance(stim, OUNoise):
            if len(np.unique(stim.neurons)) != len(stim.neurons):
                raise NoBrian2Counterpart(f"stimulus '{stim.name}': neurons", "repeated neurons in OU noise")
            current, mean, decay, kick = (np.zeros(group.n) for _ in range(4))
            current[stim.neurons] = stim.current
            mean[stim.neurons], decay[stim.neurons], kick[stim.neurons] = stim.mean, stim.decay, stim.kick
            _params(group, {f"mean_{tag}": mean, f"decay_{tag}": decay, f"kick_{tag}": kick},
                    {f"mean_{tag}": group.input_unit, f"decay_{tag}": "1", f"kick_{tag}": group.input_unit})
            group.equations.append(f"ou_{tag} : {group.input_unit}")
            group.values[f"ou_{tag}"] = current
            terms.setdefault(group.name, []).append(f"ou_{tag}*mask_{tag}")
            updates.setdefault(group.name, []).append(
                f"ou_{tag} = mean_{tag} + (ou_{tag} - mean_{tag})*decay_{tag} + kick_{tag}*randn()")
        else:
            raise NoBrian2Counterpart(f"stimulus '{stim.name}' ({type(stim).__name__})", "not translated")
        group.equations.append(f"mask_{tag} : 1 (constant)")
        group.values[f"mask_{tag}"] = mask
    for name, parts in terms.items():
        groups[name].before_groups += [f"I_ext = {' + '.join(parts)}", *updates.get(name, [])]


@dataclass
class Record:
    """One monitor: ``kind`` 'spikes', 'state' or 'rate' of ``population``."""

    kind: str
    population: str
    variable: str = ""
    brian2_variable: str = ""
    neurons: np.ndarray | None = None
    every: int = 1
    unit: str = ""


@dataclass
class Synapses:
    pre: str
    post: str
    receptor: str
    i: np.ndarray
    j: np.ndarray
    w: np.ndarray
    delay_steps: np.ndarray | int


class Brian2Model:
    """A snapshot of a built, not yet run :class:`Simulator`, runnable in Brian2 (see the module doc)."""

    def __init__(self, simulator: Simulator):
        if simulator.step != 0:
            raise ParameterError("simulator", f"at step {simulator.step}",
                                 "a simulator that has not run yet (Brian2 starts from the initial state)")
        net = simulator.network
        self.dt, self.seed = simulator.dt, net.seed
        self.population_sizes = {name: pop.n for name, pop in net.populations.items()}
        self._simulator = simulator
        self.groups: dict[str, Group] = {}
        for name, pop in net.populations.items():
            if isinstance(pop, PoissonSource):
                continue  # translated per run (time-varying rates depend on the duration)
            if isinstance(pop, SpikeSource):
                self.groups[name] = _spike_source(pop)
            elif any(getattr(synapse, "is_delta", False) for synapse in getattr(pop, "receptors", {}).values()):
                raise NoBrian2Counterpart(f"population '{name}': delta receptors", "not translated yet")
            elif isinstance(pop, EquationPopulation):
                self.groups[name] = _equation(pop)
            else:
                raise NoBrian2Counterpart(f"population '{name}' (model '{pop.model}')",
                                          "only equation models, Poisson and spike sources are translated")
        self.synapses = []
        for projection in net.projections:
            if not isinstance(projection, Projection):
                raise NoBrian2Counterpart(f"projection '{projection.name}' ({type(projection).__name__})",
                                          "dense and factored projections are not translated")
            counts = np.diff(projection.indptr)
            if projection.uniform_delay >= 0:
                delays = projection.uniform_delay
            else:
                delays = projection.delay_steps.astype(np.int64)
            self.synapses.append(Synapses(projection.pre.name, projection.post.name, projection.receptor,
                                          np.repeat(np.arange(projection.pre.n), counts),
                                          projection.indices.astype(np.int64), projection.weights.astype(float),
                                          delays))
        self.monitors = []
        for monitor in net.monitors:
            name = monitor.population.name
            if isinstance(monitor, StateMonitor):
                variables = self.groups[name].variables if name in self.groups else {}
                if monitor.variable not in variables:
                    raise NoBrian2Counterpart(f"state monitor of '{name}': {monitor.variable}",
                                              f"Brian2 records only {sorted(variables)} here")
                unit = si_symbol(monitor.population.variable_dimension(monitor.variable))
                self.monitors.append(Record("state", name, monitor.variable, variables[monitor.variable],
                                            monitor.neurons.copy(), monitor.every, unit))
            elif isinstance(monitor, SpikeMonitor):
                self.monitors.append(Record("spikes", name, neurons=monitor.neurons.copy()))
            elif isinstance(monitor, RateMonitor):
                self.monitors.append(Record("rate", name))

    def _groups_for(self, total_steps: int) -> dict[str, Group]:
        """Groups with the stimuli and Poisson rates for a run of ``total_steps`` steps (in network order)."""
        net = self._simulator.network
        groups = {}
        for name, pop in net.populations.items():
            if isinstance(pop, PoissonSource):
                groups[name] = _poisson(pop, total_steps)
            else:
                original = self.groups[name]
                groups[name] = replace(original, equations=list(original.equations), values=dict(original.values),
                                       timed=dict(original.timed), before_groups=list(original.before_groups))
        _stimulus_terms(self._simulator, groups, total_steps)
        return groups

    def run(self, duration: float, target: str = "runtime", codegen: str = "cython",
            build_dir: str | None = None) -> Results:
        """Build the network in Brian2, run it for ``duration`` s and return its :class:`Results`.

        ``target``: 'runtime' (``codegen`` 'cython' or 'numpy') or 'cpp_standalone' (compiled in
        ``build_dir``, a new temporary directory by default; the device is reset afterwards).
        """
        if target not in TARGETS:
            raise ParameterError("target", target, f"one of {TARGETS}")
        if codegen not in CODEGENS:
            raise ParameterError("codegen", codegen, f"one of {CODEGENS}")
        import brian2 as b2

        total_steps = round(duration / self.dt)
        groups = self._groups_for(total_steps)
        started = time.perf_counter()
        b2.prefs.codegen.target = codegen
        if target == "cpp_standalone":
            directory = build_dir or tempfile.mkdtemp(prefix="neurosim-brian2-")
            b2.set_device("cpp_standalone", directory=directory, build_on_run=True, with_output=False)
        try:
            b2.defaultclock.dt = self.dt * b2.second
            b2.seed(self.seed)
            objects, namespace, made = self._build(b2, groups)
            network = b2.Network(*objects)
            build_time = time.perf_counter() - started
            network.run(total_steps * self.dt * b2.second, namespace=namespace)
            results = self._results(b2, made, total_steps)
        finally:
            if target == "cpp_standalone":
                b2.device.reinit()
                b2.set_device("runtime")
        results.timings = {"build": build_time, "run": time.perf_counter() - started - build_time}
        return results

    def _build(self, b2, groups: dict[str, Group]):
        namespace, objects, made = {}, [], {}
        for group in groups.values():
            for name, (values, unit) in group.timed.items():
                namespace[name] = b2.TimedArray(values if unit == "1" else values * getattr(b2, unit),
                                                dt=self.dt * b2.second)
            if group.kind == "poisson":
                rates = group.source["rates"]
                obj = b2.PoissonGroup(group.n, rates if isinstance(rates, str) else rates * b2.Hz,
                                      name=f"ns_{group.name}", namespace=namespace)
            elif group.kind == "spikes":
                obj = b2.SpikeGeneratorGroup(group.n, group.source["indices"],
                                             group.source["steps"] * self.dt * b2.second, name=f"ns_{group.name}")
            else:
                obj = b2.NeuronGroup(group.n, "\n".join(group.equations), threshold=group.threshold,
                                     reset=group.reset or None, refractory=group.refractory, method=group.method,
                                     name=f"ns_{group.name}", namespace=namespace)
                for var, value in group.values.items():
                    setattr(obj, f"{var}_", value.astype(np.int32) if var.startswith("col_") else value)
                for when, code in (("before_groups", group.before_groups), ("after_groups", group.after_groups),
                                   ("after_resets", group.after_resets)):
                    if code:
                        objects.append(obj.run_regularly("\n".join(code), when=when, name=f"ns_{group.name}_{when}"))
            objects.append(obj)
            made[group.name] = obj
        for index, syn in enumerate(self.synapses):
            post = groups[syn.post]
            unit = post.weight_unit[syn.receptor]
            uniform = np.ndim(syn.delay_steps) == 0
            obj = b2.Synapses(made[syn.pre], made[syn.post], model=f"w : {unit} (constant)",
                              on_pre=post.on_pre[syn.receptor],
                              delay=(syn.delay_steps * self.dt * b2.second) if uniform else None,
                              name=f"ns_syn{index}")
            obj.connect(i=syn.i, j=syn.j)
            obj.w_ = syn.w
            if not uniform:
                obj.delay_ = syn.delay_steps * self.dt
            objects.append(obj)
        monitors = []
        for record in self.monitors:
            if record.kind == "spikes":
                monitor = b2.SpikeMonitor(made[record.population])
            elif record.kind == "rate":
                monitor = b2.PopulationRateMonitor(made[record.population])
            else:
                monitor = b2.StateMonitor(made[record.population], record.brian2_variable, record=record.neurons,
                                          dt=record.every * self.dt * b2.second, when="start")
            monitors.append(monitor)
        objects += monitors
        made["__monitors__"] = monitors
        return objects, namespace, made

    def _results(self, b2, made, total_steps: int) -> Results:
        return results_of(b2, self.monitors, made["__monitors__"], self.dt, total_steps, self.seed,
                          self.population_sizes)


def results_of(b2, records: list[Record], monitors: list, dt: float, total_steps: int, seed: int,
               population_sizes: dict[str, int]) -> Results:
    """:class:`Results` of a Brian2 run from its ``monitors`` (one per :class:`Record`, in order)."""
    results = Results(dt=dt, duration=total_steps * dt, seed=seed, complete=True,
                      population_sizes=dict(population_sizes))
    results.attributes["simulator"] = f"brian2 {b2.__version__}"
    for record, monitor in zip(records, monitors, strict=True):
        name, neurons = record.population, record.neurons
        steps = np.round(np.asarray(monitor.t_) / dt).astype(np.int64)
        if record.kind == "spikes":
            ids = np.asarray(monitor.i[:], np.int64)
            keep = np.isin(ids, neurons)
            order = np.lexsort((ids[keep], steps[keep]))
            results.spikes[name] = SpikeTrains(ids[keep][order], steps[keep][order] * dt, population_sizes[name])
        elif record.kind == "rate":
            results.rates[name] = RateRecord(steps * dt, np.asarray(monitor.rate_, float))
        else:
            data = np.asarray(getattr(monitor, f"{record.brian2_variable}_"), float).T
            results.states.setdefault(name, {})[record.variable] = StateRecord(
                record.variable, neurons, steps * dt, data, record.unit)
    return results
