"""``load(path)``: YAML -> includes and overrides -> schema check -> SI values -> :class:`Protocol`.

Every error is a :class:`~neurosim.errors.ProtocolError` naming the file, the line and the key
path of the offending value and saying what was expected.
"""
from __future__ import annotations

import copy
import pathlib
import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pydantic
import pydantic_core

from .. import experiment as experiments
from ..core import connectivity, distributions, params
from ..core.neurons import equation, models
from ..core.neurons.sources import MAX_EXPECTED_COUNT
from ..core.synapses import KERNELS
from ..equations.dimensions import Dim
from ..equations.parse import EquationError
from ..errors import ParameterError, ProtocolError, did_you_mean
from ..units import si_floats, to_si
from . import schema
from .compose import apply_set, resolve_includes
from .source import Map, dump, locate, parse, read


@dataclass
class Protocol:
    """A validated protocol: ``spec`` (SI values), the composed YAML ``tree`` and where it came from."""

    spec: schema.NetworkProtocol | schema.ExperimentProtocol
    tree: Map
    file: str
    sets: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def is_experiment(self) -> bool:
        return isinstance(self.spec, schema.ExperimentProtocol)

    def yaml(self) -> str:
        """The composed protocol as self-contained YAML (includes expanded, overrides applied)."""
        header = f"# composed from {self.file}" + "".join(f"\n# --set {s}" for s in self.sets)
        return f"{header}\n{dump(self.tree)}"

    def error(self, path: tuple, message: str) -> ProtocolError:
        """A :class:`ProtocolError` located at key ``path`` of the composed tree."""
        where = locate(self.tree, path)
        return ProtocolError(message, where.file if where else self.file, where.line if where else None,
                             _dotted(path))


def load(path: str | pathlib.Path, sets: Iterable[str] = (), seed: int | None = None) -> Protocol:
    """Load and validate a protocol file; ``sets`` are ``key.path=value`` overrides."""
    return _finish(read(path), str(path), list(sets), seed)


def load_tree(tree: Map, file: str, sets: Iterable[str] = (), seed: int | None = None) -> Protocol:
    """Validate a copy of an already read (and composed) tree with ``sets`` applied, as :func:`load`."""
    return _finish(copy.deepcopy(tree), file, list(sets), seed)


def loads(text: str, label: str) -> Protocol:
    """Validate protocol ``text`` (e.g. the copy stored in a results file); ``label`` names it in errors.

    Such a text is self-contained: an ``include:`` in it is refused.
    """
    return _finish(parse(text, label), label, [], None, includes=False)


def _finish(tree, file: str, sets: list[str], seed: int | None, includes: bool = True) -> Protocol:
    if not isinstance(tree, Map):
        raise ProtocolError("a protocol must be a YAML mapping (name: ..., network: ... or experiment: ...)", file, 1)
    tree = resolve_includes(tree, (), (file,), allowed=includes)
    for assignment in sets:
        apply_set(tree, assignment)
    if seed is not None:
        apply_set(tree, f"seed={int(seed)}")
    model = schema.ExperimentProtocol if "experiment" in tree else schema.NetworkProtocol
    try:
        spec = model.model_validate(tree)
    except pydantic.ValidationError as exc:
        raise _schema_error(exc, model, tree, file) from None
    protocol = Protocol(spec, tree, file, sets)
    if not protocol.is_experiment:
        _load_models(protocol)
    if protocol.is_experiment:
        _check_experiment(protocol)
    else:
        Checker(protocol).run()
    return protocol


# -- schema errors -------------------------------------------------------------------------------
def _dotted(path) -> str:
    return ".".join(str(key) for key in path)


def _unwrap(annotation):
    """Strip ``Annotated`` and ``X | None``."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def _walk(model, loc) -> tuple[tuple, list[str]]:
    """Map a pydantic error ``loc`` to a key path in the tree, and the keys allowed at its end."""
    path, allowed, annotation = [], [], model
    for item in loc:
        annotation = _unwrap(annotation)
        origin = typing.get_origin(annotation)
        if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
            allowed = list(annotation.model_fields)
            path.append(item)
            annotation = annotation.model_fields[item].annotation if item in annotation.model_fields else None
        elif origin in (dict, list, tuple):
            path.append(item)
            annotation = typing.get_args(annotation)[-1 if origin is dict else 0]
        elif origin in (typing.Union, types.UnionType):  # discriminated union: loc holds the tag
            for member in typing.get_args(annotation):
                fields = getattr(member, "model_fields", {})
                if "type" in fields and item in typing.get_args(fields["type"].annotation):
                    annotation = member
                    break
        else:
            break
    return tuple(path), allowed


def _describe(error: pydantic_core.ErrorDetails, allowed: list[str], key) -> str:
    kind, given = error["type"], error.get("input")
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        context = error.get("ctx") or {}
        if "expected_tags" not in context:  # e.g. a stimulus given as a list or a number
            return f"expected a mapping with a 'type' key (got {given!r})"[:300]
        tags = [tag.strip("' ") for tag in context["expected_tags"].split(",")]
        if kind == "union_tag_not_found":
            return f"required key 'type' is missing; one of {', '.join(tags)}"
        tag = error["ctx"]["tag"]
        return f"unknown type '{tag}'{did_you_mean(tag, tags)}; one of {', '.join(tags)}"
    if kind == "extra_forbidden":
        return f"unknown key '{key}'{did_you_mean(key, allowed)}; allowed keys: {', '.join(allowed)}"
    if kind == "missing":
        return f"required key '{key}' is missing"
    message = error["msg"].removeprefix("Value error, ")
    if kind in ("value_error", "assertion_error"):
        return message
    return f"{message} (got {given!r})" if not isinstance(given, dict) else message


def _schema_error(exc: pydantic.ValidationError, model, tree, file: str) -> ProtocolError:
    lines = []
    # unknown keys first: a misspelt key also shows up as the required key it was meant to be
    for error in sorted(exc.errors(), key=lambda error: error["type"] != "extra_forbidden"):
        path, allowed = _walk(model, error["loc"])
        if error["type"] == "union_tag_invalid":
            path = (*path, "type")
        message = _describe(error, allowed, path[-1] if path else "")
        where = locate(tree, path)
        lines.append((where, _dotted(path), message))
    (where, key_path, message), rest = lines[0], lines[1:]
    for other_where, other_path, other_message in rest:
        place = f"{other_where.file}:{other_where.line}" if other_where and other_where.line else file
        message += f"\n  also {place}: {other_path}: {other_message}"
    return ProtocolError(message, where.file if where else file, where.line if where else None, key_path)


# -- model files ---------------------------------------------------------------------------------
def _load_models(protocol: Protocol) -> None:
    """Load and register the protocol's model files (``models: [path, ...]``, relative to the file)."""
    import pathlib

    base = pathlib.Path(protocol.file).parent
    assert isinstance(protocol.spec, schema.NetworkProtocol)  # experiments have no model files
    for index, relative in enumerate(protocol.spec.models):
        path = base / relative
        if not path.is_file():
            raise protocol.error(("models", index), f"model file '{relative}' not found (looked for {path})")
        try:
            model = equation.load_file(path)
        except EquationError as exc:
            raise ProtocolError(f"{exc.message}" + (f" in '{exc.text.strip()}'" if exc.text.strip() else "") +
                                f" (model '{exc.model}', {exc.part})", str(path), exc.file_line, exc.part) from None
        except ParameterError as exc:
            raise protocol.error(("models", index), str(exc)) from None
        equation.register(model, replace=True) if _same_source(model, path) else _register(protocol, index, model)


def _same_source(model, path) -> bool:
    """Whether ``model`` was registered before from the same file (a protocol loaded twice)."""
    known = {**equation.registered(), **equation.synapse_models()}.get(model.name)
    definition = getattr(known, "definition", known)
    return definition is not None and getattr(definition, "source", None) == str(path)


def _register(protocol: Protocol, index: int, model) -> None:
    try:
        equation.register(model)
    except ParameterError as exc:
        raise protocol.error(("models", index), f"model '{model.name}' is already defined ({exc.expected})") from None


# -- experiments ---------------------------------------------------------------------------------
def _check_experiment(protocol: Protocol) -> None:
    spec = protocol.spec
    assert isinstance(spec, schema.ExperimentProtocol)
    if spec.experiment not in experiments.EXPERIMENTS:
        names = sorted(experiments.EXPERIMENTS)
        raise protocol.error(("experiment",), f"unknown experiment '{spec.experiment}'"
                             f"{did_you_mean(spec.experiment, names)}; registered: {', '.join(names)}")
    allowed = experiments.config_keys(spec.experiment)
    for key in spec.config:
        if key not in allowed:
            raise protocol.error(("config", key), f"unknown key '{key}' for experiment '{spec.experiment}'"
                                 f"{did_you_mean(key, allowed)}; allowed keys: {', '.join(allowed)}")
    try:
        spec.config = experiments.check_config(spec.experiment, dict(spec.config))
    except ParameterError as exc:
        raise protocol.error(("config", *_key_path(exc.key)), schema.explain(exc)) from None


def _key_path(key: str | None) -> tuple:
    """``"params.tau_m"`` or ``"hidden[1]"`` -> a key path tuple (list indices as ints)."""
    path = []
    for part in (key or "").replace("]", "").replace("[", ".").split("."):
        if part:
            path.append(int(part) if part.isdigit() else part)
    return tuple(path)


def yaml_models() -> dict:
    """The models a protocol can use: the builder can construct them from ``params``, ``receptors``
    and ``initial`` (``poisson`` from ``rate``); others (``spike_source``, models without receptor
    ports) need the Python API."""
    import inspect

    runnable = {}
    for name, cls in models().items():
        accepted = set(inspect.signature(cls.__init__).parameters)
        if name == "poisson" or {"params", "receptors", "initial"} <= accepted:
            runnable[name] = cls
    return runnable


# -- network protocols: model-dependent checks and SI conversion ---------------------------------
class Checker:
    """Checks names across the protocol and converts model-dependent values to SI, in place."""

    def __init__(self, protocol: Protocol):
        spec = protocol.spec
        assert isinstance(spec, schema.NetworkProtocol)  # experiments: _check_experiment
        self.protocol, self.spec = protocol, spec
        self.models = yaml_models()
        self.populations = self.spec.network.populations

    def fail(self, path, message: str) -> typing.NoReturn:
        raise self.protocol.error(tuple(path), message)

    def core(self, path, check, *args):
        """``check(*args)``, a core validation; its ``ParameterError`` is reported at ``path`` + its key.
        The loader's values are SI floats already converted from their units, hence ``si_floats()``."""
        try:
            with si_floats():
                return check(*args)
        except ParameterError as exc:
            self.fail((*path, *_key_path(exc.key)), str(exc))

    def dimension(self, dim: Dim, path: tuple, what: str) -> str:
        """The ``neurosim.units`` name of an equation model's dimension (the unit a value is read in)."""
        name = equation.dimension_name(dim)
        if name is None:
            self.fail(path, f"{what} has dimension {dim}, which has no name in neurosim.units: "
                            "a protocol cannot give its value")
        return name

    def run(self) -> None:
        for name, population in self.populations.items():
            self.population(name, population)
        for index, connection in enumerate(self.spec.network.connections):
            self.connection(("network", "connections", index), connection)
        for index, stimulus in enumerate(self.spec.stimuli):
            self.stimulus(("stimuli", index), stimulus)
        self.record(self.spec.record)
        for index, analysis in enumerate(self.spec.analyses):
            self.analysis(("analyses", index), analysis)
        for index, plot in enumerate(self.spec.plots):
            self.plot(("plots", index), plot)
        self.time_grid()

    def time_grid(self) -> None:
        """Times that the run would silently change: a duration shorter than a step, reversed or
        negative windows, non-zero fixed delays that round to zero steps."""
        spec = self.spec
        if spec.duration < spec.dt:
            self.fail(("duration",), f"{spec.duration:g} s is shorter than one step (dt = {spec.dt:g} s)")
        windows: list[tuple[tuple, tuple[float, float] | None]]
        windows = [(("analyses", i), a.window) for i, a in enumerate(spec.analyses)]
        windows += [(("plots", i), p.window) for i, p in enumerate(spec.plots)]
        if spec.compare is not None:
            windows.append((("compare",), spec.compare.window))
        for path, window in windows:
            if window is not None and not 0 <= window[0] < window[1]:
                self.fail((*path, "window"), f"expected [start, stop] with 0 <= start < stop, got "
                                             f"[{window[0]:g} s, {window[1]:g} s]")
        for index, analysis in enumerate(spec.analyses):
            start, stop = analysis.window or (0.0, spec.duration)
            if stop > spec.duration * (1 + 1e-12):
                self.fail(("analyses", index, "window"), f"ends at {stop:g} s, after the run ({spec.duration:g} s)")
            if analysis.type in ("fano_factor", "synchrony", "population_rate") \
                    and min(stop, spec.duration) - start < analysis.bin_size:
                self.fail(("analyses", index, "bin_size" if analysis.window is None else "window"),
                          f"the window ({min(stop, spec.duration) - start:g} s of the run) is shorter than one "
                          f"bin ({analysis.bin_size:g} s)")
        for index, connection in enumerate(spec.network.connections):
            delay = connection.delay
            if np.ndim(delay) == 0 and not hasattr(delay, "draw") and 0 < float(delay) < spec.dt / 2:
                self.fail(("network", "connections", index, "delay"),
                          f"{float(delay):g} s is below half a step (dt = {spec.dt:g} s) and would become 0; "
                          "write 0 ms for an immediate connection")

    # values
    def value(self, raw, dimension: str, n: int, path, random: bool = False):
        """A scalar, per-neuron list, ``{linspace: [a, b]}`` or (if ``random``) a distribution, in SI."""
        if isinstance(raw, dict):
            if "linspace" in raw:
                ends = raw["linspace"]
                if set(raw) != {"linspace"} or not isinstance(ends, list) or len(ends) != 2:
                    self.fail((*path, "linspace"), "expected {linspace: [start, stop]} (one value per neuron)")
                low, high = (self.value(end, dimension, 1, (*path, "linspace", i)) for i, end in enumerate(ends))
                return np.linspace(low, high, n)
            if "distribution" in raw and random:
                return self.distribution(raw, dimension, path)
            expected = "{linspace: [start, stop]}" + (" or {distribution: ..., ...}" if random else "")
            self.fail(path, f"expected a {dimension}, a list with one per neuron, or {expected}")
        if isinstance(raw, list):
            if len(raw) != n:
                self.fail(path, f"expected {n} values (one per neuron), got {len(raw)}")
            return np.array([self.value(item, dimension, 1, (*path, i)) for i, item in enumerate(raw)])
        try:
            return to_si(raw, dimension, _dotted(path))
        except ParameterError as exc:
            self.fail(path, schema.explain(exc))

    def distribution(self, raw: dict, dimension: str, path):
        name = raw["distribution"]
        kinds = distributions.DISTRIBUTIONS
        if not isinstance(name, str) or name not in kinds:
            self.fail((*path, "distribution"), f"unknown distribution '{name}'{did_you_mean(name, kinds)}; "
                                               f"one of {', '.join(kinds)}")
        fields = list(kinds[name].__dataclass_fields__)
        for key in raw:
            if key != "distribution" and key not in fields:
                self.fail((*path, key), f"unknown key '{key}' for a {name} distribution{did_you_mean(key, fields)}; "
                                        f"allowed keys: {', '.join(fields)}")
        for key in fields:
            if key not in raw:
                self.fail(path, f"required key '{key}' of a {name} distribution is missing")
        # lognormal's mu and sigma describe the logarithm: dimensionless
        unit_of = (lambda key: "dimensionless" if name == "lognormal" else dimension)
        values = {key: self.value(raw[key], unit_of(key), 1, (*path, key)) for key in fields}
        try:
            return kinds[name](**values)
        except ParameterError as exc:
            self.fail((*path, *_key_path(exc.key)), schema.explain(exc))

    def population_class(self, name: str, path):
        if name not in self.populations:
            names = list(self.populations)
            self.fail(path, f"unknown population '{name}'{did_you_mean(name, names)}; defined: {', '.join(names)}")
        return self.models[self.populations[name].model]

    def neurons(self, neurons, n: int, path):
        if neurons is not None and (not neurons or min(neurons) < 0 or max(neurons) >= n):
            self.fail(path, f"expected neuron indices in [0, {n})")

    # sections
    def population(self, name: str, population: schema.Population) -> None:
        path = ("network", "populations", name)
        if population.model not in self.models:
            names = sorted(self.models)
            self.fail((*path, "model"), f"unknown model '{population.model}'{did_you_mean(population.model, names)}; "
                                        f"available: {', '.join(names)}")
        cls, n = self.models[population.model], population.n
        for key in population.options:
            if key not in cls.options:
                keys = [*schema.Population.model_fields, *cls.options]
                moved = (" (gate_tables became the generic tables: {v: {min: -150 mV, max: 100 mV, step: 0.01 mV}},"
                         " docs/models.md)" if key == "gate_tables" and "tables" in cls.options else "")
                self.fail((*path, key), f"model '{population.model}' has no option '{key}'"
                                        f"{did_you_mean(key, keys)}; its options: {', '.join(cls.options) or 'none'}"
                                        f"{moved}")
        if population.model == "poisson":
            if population.rate is None:
                self.fail(path, "required key 'rate' of a Poisson population is missing")
            population.rate = self.value(population.rate, "frequency", n, (*path, "rate"))
            self.rate(population.rate, (*path, "rate"))
            for key in ("params", "receptors", "initial"):
                if getattr(population, key):
                    self.fail((*path, key), "a Poisson population takes only n, model and rate")
            return
        if population.rate is not None:
            self.fail((*path, "rate"), "'rate' is for Poisson populations (model: poisson)")
        self.receptors(path, population)
        # names and constraints are the core's (the check the build repeats): one validation, located by key
        owner, model = ("population", name), f"model '{population.model}'"
        self.core(path, params.check_names, cls.param_spec, population.params, owner, model)
        for key, raw in population.params.items():
            population.params[key] = self.value(raw, cls.param_spec[key].dimension, n, (*path, "params", key))
        self.core(path, params.check, cls.param_spec, population.params, owner, model)
        # receptor states (syn_<receptor>) are accepted here; models that cannot set them say so at build
        receptor_states = {f"syn_{key}": "current" if r.kind == "current" else "conductance"
                           for key, r in population.receptors.items() if r.kind != "delta"}
        variables = {**{key: spec[0] for key, spec in cls.state_spec.items()}, **receptor_states}
        for key, raw in population.initial.items():
            if key not in variables:
                self.fail((*path, "initial", key), f"unknown state variable '{key}' of model '{population.model}'"
                                                   f"{did_you_mean(key, variables)}; "
                                                   f"variables: {', '.join(variables)}")
            population.initial[key] = self.value(raw, variables[key], n, (*path, "initial", key), random=True)

    def receptors(self, path, population: schema.Population) -> None:
        synapse_models = equation.synapse_models()
        kernels = [*KERNELS, *synapse_models]
        for key, receptor in population.receptors.items():
            where = (*path, "receptors", key)
            if receptor.kernel in synapse_models:
                model = synapse_models[receptor.kernel]
                for pkey, raw in receptor.params.items():
                    if pkey not in model.parameters:
                        self.fail((*where, "params", pkey), f"unknown parameter '{pkey}' of synapse model "
                                                            f"'{model.name}'{did_you_mean(pkey, model.parameters)}; "
                                                            f"parameters: {', '.join(model.parameters)}")
                    dimension = self.dimension(model.parameters[pkey].dim, (*where, "params", pkey),
                                               f"parameter '{pkey}' of synapse model '{model.name}'")
                    receptor.params[pkey] = self.value(raw, dimension, 1, (*where, "params", pkey))
            elif receptor.kernel not in KERNELS:
                self.fail((*where, "kernel"), f"unknown kernel '{receptor.kernel}'"
                                              f"{did_you_mean(receptor.kernel, kernels)}; "
                                              f"kernels: {', '.join(kernels)}")
            elif receptor.params:
                self.fail((*where, "params"), f"'params' are for synapse models, not the built-in kernel "
                                              f"'{receptor.kernel}' (use tau, tau_rise, e_rev)")

    def connection(self, path, connection: schema.Connection) -> None:
        self.population_class(connection.pre, (*path, "pre"))
        post_class = self.population_class(connection.post, (*path, "post"))
        receptors = self.populations[connection.post].receptors
        if connection.receptor not in receptors:
            self.fail((*path, "receptor"), f"population '{connection.post}' has no receptor '{connection.receptor}'"
                                           f"{did_you_mean(connection.receptor, receptors)}; "
                                           f"receptors: {', '.join(receptors) or 'none'}")
        rule = dict(connection.rule)
        name = rule.pop("name", None)
        if not isinstance(name, str) or name not in connectivity.RULES:
            self.fail((*path, "rule", "name") if name else (*path, "rule"),
                      f"expected a rule name, one of {', '.join(connectivity.RULES)}"
                      f"{did_you_mean(name, connectivity.RULES)}")
        fields = list(connectivity.RULES[name].__dataclass_fields__)
        for key in rule:
            if key not in fields:
                self.fail((*path, "rule", key), f"unknown key '{key}' for rule '{name}'{did_you_mean(key, fields)}; "
                                                f"allowed keys: name, {', '.join(fields)}")
        try:
            built = connectivity.rule(name, **rule)
            if hasattr(built, "check"):
                built.check(self.populations[connection.pre].n, self.populations[connection.post].n)
        except ParameterError as exc:
            self.fail((*path, "rule", *_key_path(exc.key)), schema.explain(exc))
        receptor = receptors[connection.receptor]
        synapse_models = equation.synapse_models()
        if receptor.kernel in synapse_models:
            dimension = self.dimension(synapse_models[receptor.kernel].weight, (*path, "weight"),
                                       f"the weight of synapse model '{receptor.kernel}'")
        else:
            dimension = {"current": post_class.input_dimension, "conductance": "conductance",
                         "delta": post_class.state_spec.get("v", ("voltage",))[0]}[receptor.kind]
        if isinstance(connection.weight, dict) and "from" in connection.weight:
            self.saved_weights(path, connection)
        else:
            connection.weight = self.value(connection.weight, dimension, 1, (*path, "weight"), random=True)
        connection.delay = self.value(connection.delay, "time", 1, (*path, "delay"), random=True)

    def saved_weights(self, path, connection: schema.Connection) -> None:
        """``weight: {from: results.h5, projection: name}``: the synapses (pre, post, w) of a plastic
        projection saved in a results file replace the rule's pairs and weights."""
        import pathlib

        from ..errors import OutputError
        from ..io import hdf5
        raw, where = connection.weight, (*path, "weight")
        if set(raw) != {"from", "projection"} or not all(isinstance(v, str) for v in raw.values()):
            self.fail(where, "expected {from: results.h5, projection: name}")
        file = pathlib.Path(raw["from"])
        if not file.is_absolute():
            file = pathlib.Path(self.protocol.file).resolve().parent / file
        try:
            saved = hdf5.load(file).synapses
        except OutputError as exc:
            self.fail((*where, "from"), str(exc))
        if raw["projection"] not in saved:
            self.fail((*where, "projection"), f"{file} has no plastic projection '{raw['projection']}'"
                                              f"{did_you_mean(raw['projection'], saved)}; "
                                              f"saved: {', '.join(saved) or 'none'}")
        synapses = saved[raw["projection"]]
        n_pre, n_post = self.populations[connection.pre].n, self.populations[connection.post].n
        if synapses["pre"].size and (synapses["pre"].max() >= n_pre or synapses["post"].max() >= n_post):
            self.fail(where, f"the saved synapses connect neurons beyond {connection.pre} (n = {n_pre}) or "
                             f"{connection.post} (n = {n_post})")
        connection.rule = {"name": "explicit", "pre": synapses["pre"], "post": synapses["post"]}
        connection.weight = synapses["w"]

    def rate(self, rate, path) -> None:
        """Poisson rates: finite, >= 0 Hz, at most ``MAX_EXPECTED_COUNT`` spikes per step."""
        rate = np.asarray(rate, float)
        bad = rate[~np.isfinite(rate) | (rate < 0)]
        if bad.size:
            self.fail(path, f"{bad[0]:g} Hz is not valid: expected a finite rate >= 0 Hz")
        if rate.size and rate.max() * self.spec.dt > MAX_EXPECTED_COUNT:
            self.fail(path, f"{rate.max():g} Hz is not valid: expected rate * dt <= {MAX_EXPECTED_COUNT:g} spikes "
                            f"per step (dt = {self.spec.dt:g} s gives {rate.max() * self.spec.dt:g})")

    def stimulus(self, path, stimulus) -> None:
        cls = self.population_class(stimulus.population, (*path, "population"))
        n = self.populations[stimulus.population].n
        self.neurons(stimulus.neurons, n, (*path, "neurons"))
        if isinstance(stimulus, schema.PoissonInputStimulus):
            receptors = self.populations[stimulus.population].receptors
            if stimulus.receptor not in receptors:
                self.fail((*path, "receptor"), f"population '{stimulus.population}' has no receptor "
                                               f"'{stimulus.receptor}'{did_you_mean(stimulus.receptor, receptors)}; "
                                               f"receptors: {', '.join(receptors) or 'none'}")
            self.rate(stimulus.rate, (*path, "rate"))
            kind = receptors[stimulus.receptor].kind
            dimension = {"current": cls.input_dimension, "conductance": "conductance",
                         "delta": cls.state_spec.get("v", ("voltage",))[0]}[kind]
            stimulus.weight = self.value(stimulus.weight, dimension, 1, (*path, "weight"))
            if not np.isfinite(stimulus.weight):
                self.fail((*path, "weight"), f"{stimulus.weight!r} is not valid: expected a finite weight")
            return
        count = len(stimulus.neurons) if stimulus.neurons else n
        dimension = cls.input_dimension
        for key in ("amplitude", "amplitude_start", "amplitude_stop", "offset", "mean", "sigma"):
            if hasattr(stimulus, key):
                per_neuron = key not in ("amplitude_start", "amplitude_stop")
                setattr(stimulus, key, self.value(getattr(stimulus, key), dimension, count if per_neuron else 1,
                                                  (*path, key)))
        if isinstance(stimulus, schema.StepStimulus):
            if len(stimulus.times) != len(stimulus.amplitudes):
                self.fail((*path, "amplitudes"), f"expected one amplitude per time ({len(stimulus.times)})")
            stimulus.amplitudes = [self.value(a, dimension, 1, (*path, "amplitudes", i))
                                   for i, a in enumerate(stimulus.amplitudes)]

    def recordable(self, name: str) -> list[str]:
        population = self.populations[name]
        cls = self.models[population.model]
        extra = []
        if issubclass(cls, equation.EquationPopulation):  # subexpressions and inputs are recordable too
            extra = [*cls.definition.system.subexpressions, *cls.definition.inputs]
        return list(cls.state_spec) + extra + [f"syn_{key}" for key, r in population.receptors.items()
                                               if r.kind != "delta"] + ["i_ext"]

    def record(self, record: schema.Record) -> None:
        for key in ("spikes", "rates"):
            for index, name in enumerate(getattr(record, key) or []):
                self.population_class(name, ("record", key, index))
        for index, state in enumerate(record.states):
            path = ("record", "states", index)
            self.population_class(state.population, (*path, "population"))
            names = self.recordable(state.population)
            if state.variable not in names:
                self.fail((*path, "variable"), f"'{state.variable}' cannot be recorded"
                                               f"{did_you_mean(state.variable, names)}; "
                                               f"recordable: {', '.join(names)}")
            self.neurons(state.neurons, self.populations[state.population].n, (*path, "neurons"))

    def analysis(self, path, analysis: schema.Analysis) -> None:
        self.population_class(analysis.population, (*path, "population"))
        recorded = self.spec.record.spikes
        if recorded is not None and analysis.population not in recorded:
            self.fail((*path, "population"), f"population '{analysis.population}' has no recorded spikes "
                                             f"(add it to record.spikes: {', '.join(recorded) or 'none'})")
        if analysis.type != "tuning_curve":
            return
        if analysis.input is None:
            self.fail(path, "required key 'input' (key path of the per-neuron input, "
                            "e.g. network.populations.P.params.i_offset) is missing")
        keys = analysis.input.split(".")
        n = self.populations[analysis.population].n
        values = resolve_path(self.spec, analysis.input)
        of_population = keys[:3] == ["network", "populations", analysis.population] and len(keys) == 5 \
            and keys[3] in ("params", "initial")
        of_stimulus = len(keys) == 3 and keys[0] == "stimuli" and keys[1].isdigit() \
            and values is not None and self.spec.stimuli[int(keys[1])].population == analysis.population
        if not (of_population or of_stimulus) or np.ndim(values) != 1 or len(values) != n:
            self.fail((*path, "input"), f"'{analysis.input}' must name a per-neuron value of population "
                                        f"'{analysis.population}' ({n} values, e.g. a linspace)")

    def plot(self, path, plot: schema.Plot) -> None:
        name = plot.file or f"{plot.type}.png"
        earlier = [p.file or f"{p.type}.png" for p in self.spec.plots[:path[-1]]]
        if name in earlier:
            self.fail((*path, "file") if plot.file else path, f"two plots write '{name}'; give each its own file")
        for index, name in enumerate(plot.populations or []):
            self.population_class(name, (*path, "populations", index))
        if plot.type == "traces":
            recorded = [state.variable for state in self.spec.record.states]
            if plot.variable not in recorded:
                self.fail((*path, "variable"), f"traces need a recorded variable (record.states); recorded: "
                                               f"{', '.join(recorded) or 'none'}")
        if plot.type == "tuning_curve" and not any(a.type == "tuning_curve" for a in self.spec.analyses):
            self.fail(path, "a tuning_curve plot needs a tuning_curve analysis")
        if plot.analytic == "lif_rate":
            for analysis in self.spec.analyses:
                model = self.populations[analysis.population].model
                if analysis.type == "tuning_curve" and model != "lif_dimensionless":
                    self.fail((*path, "analytic"), f"the analytic lif_rate curve is for model lif_dimensionless, "
                                                   f"not '{model}' (population '{analysis.population}')")


def resolve_path(spec, dotted: str):
    """The value at ``dotted`` (e.g. ``network.populations.P.params.bias``) of a spec, or None."""
    node = spec
    for key in dotted.split("."):
        if isinstance(node, dict):
            node = node.get(key)
        elif isinstance(node, list):
            node = node[int(key)] if key.isdigit() and int(key) < len(node) else None
        else:
            node = getattr(node, key, None)
        if node is None:
            return None
    return node
