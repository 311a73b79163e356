"""Plastic projections: per-synapse state changed by pre and post spikes (STDP, short-term plasticity).

A :class:`Rule` is written in Brian2's ``Synapses`` vocabulary::

    equations:  w : weight                                            # per-synapse variable
                dApre/dt = -Apre/taupre : weight (event-driven)       # trace, updated lazily
                taupre : second                                        # parameter (in ``parameters``)
    on_pre:     out += w                                               # transmitted to the receptor
                Apre += dApre
                w = clip(w + Apost, 0, wmax)
    on_post:    Apost += dApost
                w = clip(w + Apre, 0, wmax)

The unit ``weight`` stands for the weight unit of the post receptor (amp, siemens or volt);
``out += expr`` (on_pre only) sends ``expr`` to the receptor as a peak amplitude, like a static
projection's weight. Event-driven equations must be linear with constant coefficients
(``dx/dt = a*x + b``); each synapse's traces are advanced exactly from the time of its last
update when one of its spikes arrives, so plasticity costs per event, not per synapse per step.

Conventions (Brian2's): the presynaptic pathway runs at *arrival* (the axonal delay, one for the
whole projection, delays both ``on_pre`` and the transmission); the postsynaptic pathway runs at
the post spike, without delay. In one step the arriving pre spikes are processed before the post
spikes (Brian2's pathway order). NEST's ``stdp_synapse`` instead treats the delay as dendritic.
A post spike reaches its synapses through a post-to-pre (CSC) index built once at build.
"""
from __future__ import annotations

import pathlib
import re
from typing import TYPE_CHECKING

import numba
import numpy as np
import sympy

from ..equations.dimensions import ONE, Dim, parse_unit
from ..equations.emit import Printer
from ..equations.parse import Converter, EquationError, parse_equations, statements
from ..errors import ParameterError, did_you_mean
from .connectivity import AllToAll, Projection
from .population import check_name

if TYPE_CHECKING:
    from .codegen import CodeWriter

#: Brian2 unit of a receptor's weight, by receptor kind (``None``: a projection without receptor).
WEIGHT_UNITS = {"current": "amp", "conductance": "siemens", "delta": "volt", None: "1"}
_EVENT = re.compile(r"\(\s*event-driven\s*\)\s*$")
_WEIGHT = re.compile(r":\s*weight\b")
_KEYS = ("name", "doc", "equations", "parameters", "on_pre", "on_post", "bounds", "initial")


class Rule:
    """A plasticity model: ``equations`` (per-synapse variables, event-driven traces, parameters),
    ``on_pre`` / ``on_post`` statements, ``parameters`` (every rule parameter with its default: ``None``
    for a required one, a quantity such as ``"20 ms"`` or
    expressions of other parameters such as ``"0.01*wmax"``), optional ``bounds`` (two
    parameter names or numbers, checked ``lower <= upper``) and ``initial`` values of traces."""

    def __init__(self, name: str, equations: str, on_pre: str = "", on_post: str = "", parameters: dict | None = None,
                 bounds=None, initial: dict | None = None, doc: str = "", source: str | None = None):
        self.name, self.equations, self.on_pre, self.on_post = name, equations, on_pre or "", on_post or ""
        self.parameters, self.bounds, self.doc, self.source = dict(parameters or {}), bounds, doc, source
        self.initial = dict(initial or {})  # initial values of per-synapse variables other than w (default 0)
        if not isinstance(equations, str):
            raise EquationError(name, "equations", "expected the equations as a string, one per line",
                                text=repr(equations))
        self.bind(None, {}, check_only=True)

    def bind(self, kind: str | None, given: dict, owner: str = "", check_only: bool = False) -> Bound:
        """Parse and check the rule for a receptor of ``kind`` with parameter values ``given``."""
        model = self.name
        unit = WEIGHT_UNITS[kind]
        event, lines = set(), []
        for line in self.equations.splitlines():
            code = line.split("#", 1)[0]
            if _EVENT.search(code):
                code = _EVENT.sub("", code)
                event.add(code.split("=", 1)[0].strip())
            lines.append(_WEIGHT.sub(f": {unit}", code))
        parsed = parse_equations("\n".join(lines), model)
        dims: dict[str, Dim] = {e.name: e.dim for e in parsed}
        params = [e.name for e in parsed if e.kind == "parameter" and e.name in self.parameters]
        variables = [e.name for e in parsed if e.kind == "parameter" and e.name not in params]
        traces = [e for e in parsed if e.kind == "differential"]
        for e in parsed:
            if e.kind == "subexpression":
                raise EquationError(model, "equations", "subexpressions are not supported in plasticity rules",
                                    text=e.text, line=e.line)
            if e.kind == "differential" and e.text.split("=", 1)[0].strip() not in event:
                raise EquationError(model, "equations", "synaptic differential equations must be '(event-driven)'",
                                    text=e.text, line=e.line)
        if "w" not in variables:
            raise EquationError(model, "equations", "a plasticity rule declares the weight 'w' as a per-synapse "
                                "variable ('w : weight')", text=self.equations)
        for key in given:
            if key not in params:
                raise ParameterError(f"{owner}plasticity '{model}': parameter", key,
                                     f"one of {sorted(params)}{did_you_mean(key, params)}", key=key)
        converter = Converter(model, dims)
        values: dict[str, float] = {}
        from .neurons.equation import _is_expression, _quantity
        for key in params:  # defaults and given values, in declaration order
            raw = given.get(key, self.parameters.get(key))
            if raw is None and check_only:
                values[key] = 1.0
                continue
            if raw is None:
                raise ParameterError(f"{owner}plasticity '{model}': parameter {key}", None, f"a value in {dims[key]}",
                                     key=key)
            try:
                value, dim = _quantity(raw, model, f"parameter {key}")
            except EquationError:
                if not (isinstance(raw, str) and _is_expression(raw)):
                    raise
                expr, dim = converter.expression(raw, f"parameter {key}")
                missing = [s.name for s in expr.free_symbols if s.name not in values]
                if missing:
                    raise EquationError(model, f"parameter {key}", f"'{raw}' uses {', '.join(missing)}, which is not "
                                        "a parameter defined before it", text=raw) from None
                value = float(expr.subs({converter.symbol(k): v for k, v in values.items()}))
            if dim != dims[key] and not (value == 0 and dim == ONE):
                raise ParameterError(f"{owner}plasticity '{model}': parameter {key}", raw,
                                     f"a quantity of dimension {dims[key]}", key=key)
            values[key] = value
        if self.bounds is not None and not check_only:
            low, high = (values.get(b, b) if isinstance(b, str) else b for b in self.bounds)
            if not float(low) <= float(high):
                raise ParameterError(f"{owner}plasticity '{model}': bounds {list(self.bounds)}", [low, high],
                                     "lower <= upper", key=str(self.bounds[1]))
        for trace in traces:
            trace.expr, dim = converter.expression(trace.expression, "equations", trace.text, trace.line)
            if dim != trace.dim / parse_unit("second"):
                raise EquationError(model, "equations", f"the right-hand side has dimension {dim}, expected "
                                    f"{trace.dim / parse_unit('second')}", text=trace.text, line=trace.line)
            x = converter.symbol(trace.name)
            a = sympy.diff(trace.expr, x)
            b = sympy.simplify(trace.expr - a * x)
            if not {s.name for s in (a.free_symbols | b.free_symbols)} <= set(params):
                raise EquationError(model, "equations", "an event-driven equation must be linear with constant "
                                    "coefficients (dx/dt = a*x + b, a and b made of parameters)",
                                    text=trace.text, line=trace.line)
            trace.linear = (a, b)
        state = [*variables, *(t.name for t in traces)]
        targets = {name: dims[name] for name in state}
        pre = statements(converter, self.on_pre, "on_pre", {**targets, "out": dims["w"]})
        post = statements(converter, self.on_post, "on_post", targets)
        return Bound(self, kind, values, variables, traces, pre, post, converter)


class Bound:
    """A rule bound to one receptor kind and parameter values: emits the two pathway kernels."""

    def __init__(self, rule, kind, values, variables, traces, pre, post, converter):
        self.rule, self.kind, self.values, self.variables, self.traces = rule, kind, values, variables, traces
        self.pre, self.post, self.converter = pre, post, converter
        self.state = [*variables, *(t.name for t in traces)]

    def kernel(self, name: str, pathway: str, counts: bool) -> str:
        """Source of an ``@njit`` function running ``pathway`` ('pre' or 'post') for the listed spikes."""
        names = {key: repr(value) for key, value in self.values.items()}
        names.update({key: f"_{key}" for key in self.state})
        names["_el"] = "_el"
        printer = Printer(names)
        args = ", ".join(f"s_{key}" for key in self.state)
        body = ["            _el = t - lastupdate[s]"]
        body += [f"            _{key} = s_{key}[s]" for key in self.state]
        el = sympy.Symbol("_el", real=True)
        for trace in self.traces:
            x = self.converter.symbol(trace.name)
            a, b = trace.linear
            solved = x * sympy.exp(a * el) if b == 0 else (x + b / a) * sympy.exp(a * el) - b / a
            body.append(f"            _{trace.name} = {printer(solved)}")
        for statement in (self.pre if pathway == "pre" else self.post):
            if statement.target == "out":
                body.append(f"            _amount = {printer(statement.expr)}")
                body.append("            for _r in range(rows.shape[0]):")
                body.append("                z[rows[_r], j] += b[_r] * _amount")
                continue
            symbol = self.converter.symbol(statement.target)
            body.append(f"            _{statement.target} = {printer(statement.value(symbol))}")
        body += [f"            s_{key}[s] = _{key}" for key in self.state]
        body.append("            lastupdate[s] = t")
        if pathway == "pre":
            head = [f"def {name}(spikes, counts, n_spikes, indptr, indices, t, lastupdate, {args}, z, rows, b):",
                    "    for k in range(n_spikes):",
                    "        i = spikes[k]",
                    f"        for _c in range({'counts[k]' if counts else '1'}):",
                    "          for s in range(indptr[i], indptr[i + 1]):",
                    "            j = indices[s]"]
        else:
            head = [f"def {name}(spikes, n_spikes, post_indptr, post_synapses, t, lastupdate, {args}):",
                    "    for k in range(n_spikes):",
                    "        j = spikes[k]",
                    "        for q in range(post_indptr[j], post_indptr[j + 1]):",
                    "            s = post_synapses[q]"]
        return "\n".join(["@numba.njit(cache=True, nogil=True)", *head, *body, "    return 0"]) + "\n"


class PlasticProjection(Projection):
    """A :class:`~neurosim.core.connectivity.Projection` whose synapses follow ``rule`` (a :class:`Rule`
    or the name of a shipped rule) with ``params``. ``receptor=None`` transmits nothing (plasticity
    between spike sources, as Brian2's ``Synapses`` without an effect on the target). ``initial``
    sets per-synapse variables other than ``w`` (scalars or arrays in the rule's order)."""

    def __init__(self, pre, post, receptor: str | None, plasticity, params: dict | None = None,
                 initial: dict | None = None, rule=AllToAll(), weight=0.0,  # noqa: B008 - frozen, as in Projection
                 delay=0.0, allow_autapses: bool = True, name: str | None = None):
        if receptor is None:  # no transmission: Projection's receptor checks do not apply
            self.pre, self.post, self.receptor, self.rule = pre, post, None, rule
            self.name = check_name(name or f"{pre.name}_to_{post.name}_plastic", "projection")
            self.weight, self.delay, self.allow_autapses = weight, delay, allow_autapses
            self.weight_dtype, self.receptor_index = np.dtype(np.float64), -1
            if not pre.spiking:
                raise ParameterError(f"projection '{self.name}': pre", pre.name, "a spiking population")
        else:
            super().__init__(pre, post, receptor, rule=rule, weight=weight, delay=delay,
                             allow_autapses=allow_autapses, name=name)
        if isinstance(plasticity, str):
            known = rules()
            if plasticity not in known:
                raise ParameterError(f"projection '{self.name}': plasticity model", plasticity,
                                     f"one of {sorted(known)}{did_you_mean(plasticity, known)}", key="model")
            plasticity = known[plasticity]
        if not isinstance(plasticity, Rule):
            raise ParameterError(f"projection '{self.name}': plasticity", plasticity, "a plasticity Rule or its name")
        kind = None if receptor is None else post.receptors[receptor].kind
        if kind == "delta":
            raise ParameterError(f"projection '{self.name}': receptor", receptor,
                                 "a current or conductance receptor (plastic projections do not drive delta receptors)")
        self.plasticity = plasticity
        self.bound = plasticity.bind(kind, dict(params or {}), owner=f"projection '{self.name}': ")
        if self.bound.post and not post.spiking:
            raise ParameterError(f"projection '{self.name}': plasticity '{plasticity.name}' on_post", post.name,
                                 "a post population that spikes (rate units have no post spikes)")
        self.initial = dict(initial or {})
        for key in self.initial:
            if key not in self.bound.state or key == "w":
                raise ParameterError(f"projection '{self.name}': initial", key,
                                     f"one of {[s for s in self.bound.state if s != 'w']} (set w with weight=)",
                                     key=key)

    constant_arrays = ("indptr", "indices", "post_indptr", "post_synapses")

    @property
    def immediate(self) -> bool:  # delays are handled by the projection's own spike queue, no ring buffer
        return True

    def build(self, dt: float, rng: np.random.Generator) -> None:
        super().build(dt, rng)
        label = f"projection '{self.name}'"
        if self.uniform_delay < 0 and self.n_synapses:
            raise ParameterError(f"{label}: delay", "heterogeneous delays",
                                 "one delay for all synapses of a plastic projection")
        self.delay_step = max(self.uniform_delay, 0)
        n = self.n_synapses
        self.state = {"w": self.weights.astype(np.float64)}
        for key in self.bound.state:
            if key != "w":
                value = self.initial.get(key, self.plasticity.initial.get(key, 0.0))
                self.state[key] = np.broadcast_to(np.asarray(value, np.float64), (n,)).copy()
        self.weights = self.state["w"]
        self.lastupdate = np.zeros(n, np.float64)
        order = np.argsort(self.indices, kind="stable")  # CSC: synapses of each post neuron, by pre
        self.post_synapses = order.astype(np.int64)
        self.post_indptr = np.zeros(self.post.n + 1, np.int64)
        np.cumsum(np.bincount(self.indices, minlength=self.post.n), out=self.post_indptr[1:])
        length = self.delay_step + 1
        self.queue = np.zeros((length, self.pre.n), np.int32)
        self.queue_counts = np.zeros((length, self.pre.n), np.int64)
        self.queue_n = np.zeros(length, np.int64)

    def emit(self, w: CodeWriter) -> None:
        r = (lambda local: w.ref(self, local))
        p = (lambda local: w.ref(self.pre, local))
        for local, value in (("indptr", self.indptr), ("indices", self.indices), ("lastupdate", self.lastupdate),
                             ("post_indptr", self.post_indptr), ("post_synapses", self.post_synapses),
                             ("queue", self.queue), ("queue_counts", self.queue_counts), ("queue_n", self.queue_n)):
            w.args[r(local)] = value
        for key, value in self.state.items():
            w.args[r(f"s_{key}")] = value
        if self.receptor is None:
            w.args[r("z")], rows, b = np.zeros((1, self.post.n)), np.zeros(0, np.int64), np.zeros(0)
            z = r("z")
        else:
            bank = self.post.bank
            assert bank is not None  # built before the code is written
            rows = np.array([row for row in bank.rows(self.receptor) if bank.b[row]], np.int64)
            b = bank.b[rows].astype(np.float64)
            z = w.ref(self.post, "z")
        w.args[r("rows")], w.args[r("b")] = rows, b
        state = ", ".join(r(f"s_{key}") for key in self.bound.state)
        multiple = self.pre.multiplicity
        w.definitions.append(self.bound.kernel(f"{r('on_pre')}", "pre", multiple))
        counts = p("counts") if multiple else p("spikes")
        w.imports.update({"import math", "from neurosim.core.plasticity import enqueue"})
        length = self.delay_step + 1
        w.lines["propagate"].append(
            f"enqueue({p('spikes')}, {counts}, {multiple}, {p('nspk')}[0], "
            f"{r('queue')}, {r('queue_counts')}, {r('queue_n')}, "
            f"(step + {self.delay_step}) % {length})")
        slot = f"step % {length}"
        w.lines["propagate"].append(
            f"{r('on_pre')}({r('queue')}[{slot}], {r('queue_counts')}[{slot}], {r('queue_n')}[{slot}], {r('indptr')}, "
            f"{r('indices')}, step * dt, {r('lastupdate')}, {state}, {z}, {r('rows')}, {r('b')})")
        w.lines["propagate"].append(f"{r('queue_n')}[{slot}] = 0")
        if self.bound.post:
            q = (lambda local: w.ref(self.post, local))
            w.definitions.append(self.bound.kernel(f"{r('on_post')}", "post", False))
            w.lines["propagate"].append(
                f"{r('on_post')}({q('spikes')}, {q('nspk')}[0], {r('post_indptr')}, {r('post_synapses')}, step * dt, "
                f"{r('lastupdate')}, {state})")

    def synaptic_state(self) -> dict[str, np.ndarray]:
        """Per-synapse variables with the pre and post index of every synapse (CSR order)."""
        pre = np.repeat(np.arange(self.pre.n), np.diff(self.indptr))
        return {"pre": pre, "post": self.indices.astype(np.int64), **{k: v.copy() for k, v in self.state.items()}}


@numba.njit(cache=True, nogil=True)
def enqueue(spikes, counts, has_counts, n_spikes, queue, queue_counts, queue_n, slot):
    """Append this step's spikes (with their multiplicities if ``has_counts``) to arrival slot ``slot``."""
    m = queue_n[slot]
    for k in range(n_spikes):
        queue[slot, m] = spikes[k]
        queue_counts[slot, m] = counts[k] if has_counts else 1
        m += 1
    queue_n[slot] = m


_RULES: dict[str, Rule] = {}


def rules() -> dict[str, Rule]:
    """The shipped rules (``neurosim/models/plasticity/*.yaml``) by name."""
    if not _RULES:
        for path in sorted((pathlib.Path(__file__).resolve().parents[1] / "models" / "plasticity").glob("*.yaml")):
            rule = load_rule(path)
            _RULES[rule.name] = rule
    return dict(_RULES)


def load_rule(path) -> Rule:
    """A :class:`Rule` from a YAML file with the keys ``name, doc, equations, parameters, on_pre, on_post, bounds``."""
    import yaml
    data = yaml.safe_load(pathlib.Path(path).read_text())
    if not isinstance(data, dict) or "name" not in data or "equations" not in data:
        raise ParameterError("plasticity model file", str(path), "a mapping with name, equations, on_pre, on_post")
    for key in data:
        if key not in _KEYS:
            raise ParameterError(f"plasticity model file {path}", key, f"one of {_KEYS}{did_you_mean(key, _KEYS)}",
                                 key=key)
    return Rule(**data, source=str(path))
