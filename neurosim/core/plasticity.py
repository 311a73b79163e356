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
whole projection or one per synapse, delays both ``on_pre`` and the transmission); the postsynaptic
pathway runs at the post spike, without delay. In one step the arriving pre spikes are processed before the post
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

from ..equations.dimensions import ONE, Dim, of_unit, parse_unit
from ..equations.emit import Printer
from ..equations.parse import Converter, EquationError, parse_equations, statements
from ..errors import ParameterError, did_you_mean
from ..units import DIMENSIONS
from .connectivity import AllToAll, Projection
from .dense import DenseProjection
from .population import Population, check_name

if TYPE_CHECKING:
    from .codegen import CodeWriter

#: Brian2 unit of a receptor's weight, by receptor kind (``None``: a projection without receptor).
WEIGHT_UNITS = {"current": "amp", "conductance": "siemens", "delta": "volt", None: "1"}
_EVENT = re.compile(r"\(\s*event-driven\s*\)\s*$")
_CLOCK = re.compile(r"\(\s*clock-driven\s*\)\s*$")
_SUMMED = re.compile(r"\(\s*summed\s*\)\s*$")
_WEIGHT = re.compile(r":\s*weight\b")
_NEURON_REF = re.compile(r"\b[A-Za-z][A-Za-z0-9_]*?_(?:pre|post)\b")
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

    def bind(self, kind: str | None, given: dict, owner: str = "", check_only: bool = False,
             neurons: dict[str, Dim] | None = None) -> Bound | None:
        """Parse and check the rule for a receptor of ``kind`` with parameter values ``given``;
        ``neurons`` maps the neuron-variable references the projection offers (``v_post``, ``rate_pre``)
        to their dimensions (None when checking the rule alone: references are then checked at binding)."""
        model = self.name
        unit = WEIGHT_UNITS[kind]
        event: set[str] = set()
        clock: set[str] = set()
        summed: set[str] = set()
        lines = []
        for line in self.equations.splitlines():
            code = line.split("#", 1)[0]
            for pattern, flagged in ((_EVENT, event), (_CLOCK, clock), (_SUMMED, summed)):
                if pattern.search(code):
                    code = pattern.sub("", code)
                    flagged.add(code.split("=", 1)[0].strip())
            lines.append(_WEIGHT.sub(f": {unit}", code))
        parsed = parse_equations("\n".join(lines), model)
        dims: dict[str, Dim] = {e.name: e.dim for e in parsed}
        params = [e.name for e in parsed if e.kind == "parameter" and e.name in self.parameters]
        variables = [e.name for e in parsed if e.kind == "parameter" and e.name not in params]
        traces = [e for e in parsed if e.kind == "differential" and e.text.split("=", 1)[0].strip() in event]
        clocked = [e for e in parsed if e.kind == "differential" and e.text.split("=", 1)[0].strip() in clock]
        sums = [e for e in parsed if e.kind == "subexpression"]
        for e in parsed:
            left = e.text.split("=", 1)[0].strip()
            if e.kind == "subexpression" and (left not in summed or e.name != "i_ext_post"):
                raise EquationError(model, "equations", "the only subexpression a plasticity rule may have is the "
                                    "input it sends to rate units, 'i_ext_post = expression : 1 (summed)'",
                                    text=e.text, line=e.line)
            if e.kind == "differential" and left not in event | clock:
                raise EquationError(model, "equations", "synaptic differential equations must be '(event-driven)' "
                                    "or '(clock-driven)'", text=e.text, line=e.line)
        if "w" not in variables and "w" not in {e.name for e in clocked}:
            raise EquationError(model, "equations", "a plasticity rule declares the weight 'w' as a per-synapse "
                                "variable ('w : weight')", text=self.equations)
        for key in given:
            if key not in params:
                raise ParameterError(f"{owner}plasticity '{model}': parameter", key,
                                     f"one of {sorted(params)}{did_you_mean(key, params)}", key=key)
        texts = [self.on_pre, self.on_post, *(e.expression for e in parsed if e.kind != "parameter")]
        referenced = sorted({m.group(0) for text in texts for m in _NEURON_REF.finditer(text)} - set(dims))
        if neurons is None:  # the rule alone: references are checked when a projection binds it
            if referenced:
                return None
            neurons = {}
        for name in referenced:
            if name not in neurons:
                side = "pre" if name.endswith("_pre") else "post"
                offered = sorted(n for n in neurons if n.endswith(f"_{side}"))
                where = next(label for label, text in (("on_pre", self.on_pre), ("on_post", self.on_post),
                                                       ("equations", self.equations)) if name in text)
                raise EquationError(model, where, f"'{name}' is not a variable of the {side}synaptic population "
                                    f"(its variables: {', '.join(offered) or 'none'}){did_you_mean(name, offered)}",
                                    text=next(line for line in (self.on_pre + "\n" + self.on_post + "\n"
                                                                + self.equations).splitlines() if name in line),
                                    term=name)
        dims.update({name: neurons[name] for name in referenced})
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
        for trace in [*traces, *clocked]:
            trace.expr, dim = converter.expression(trace.expression, "equations", trace.text, trace.line)
            if dim != trace.dim / parse_unit("second"):
                raise EquationError(model, "equations", f"the right-hand side has dimension {dim}, expected "
                                    f"{trace.dim / parse_unit('second')}", text=trace.text, line=trace.line)
        event_names = {t.name for t in traces}
        for trace in traces:
            x = converter.symbol(trace.name)
            a = sympy.diff(trace.expr, x)
            b = sympy.simplify(trace.expr - a * x)
            if not {s.name for s in (a.free_symbols | b.free_symbols)} <= set(params):
                raise EquationError(model, "equations", "an event-driven equation must be linear with constant "
                                    "coefficients (dx/dt = a*x + b, a and b made of parameters)",
                                    text=trace.text, line=trace.line)
            trace.linear = (a, b)
        for e in sums:
            e.expr, dim = converter.expression(e.expression, "equations", e.text, e.line)
            if neurons.get("i_ext_post", dim) != dim:
                raise EquationError(model, "equations", f"the right-hand side has dimension {dim}, expected the post "
                                    f"population's input dimension {neurons['i_ext_post']}", text=e.text, line=e.line)
        for e in [*clocked, *sums]:
            assert e.expr is not None  # converted above
            stale = sorted(s.name for s in e.expr.free_symbols if s.name in event_names)
            if stale:
                raise EquationError(model, "equations", f"a clock-driven or summed expression cannot read the "
                                    f"event-driven trace(s) {', '.join(stale)} (they are only up to date at events)",
                                    text=e.text, line=e.line, term=stale[0])
        state = [*variables, *(t.name for t in traces), *(t.name for t in clocked)]
        targets = {name: dims[name] for name in state}
        targets.update({name: dims[name] for name in referenced})  # on_pre: v_post += w
        pre = statements(converter, self.on_pre, "on_pre", {**targets, "out": dims["w"]})
        post = statements(converter, self.on_post, "on_post", targets)
        return Bound(self, kind, values, variables, traces, pre, post, converter, clocked, sums, referenced)


class Bound:
    """A rule bound to one receptor kind, parameter values and neuron variables: emits the kernels."""

    def __init__(self, rule, kind, values, variables, traces, pre, post, converter, clocked=(), sums=(),
                 referenced=()):
        self.rule, self.kind, self.values, self.variables, self.traces = rule, kind, values, variables, traces
        self.pre, self.post, self.converter = pre, post, converter
        self.clocked, self.sums, self.referenced = list(clocked), list(sums), list(referenced)
        self.state = [*variables, *(t.name for t in traces), *(t.name for t in clocked)]

    @property
    def neuron_args(self) -> str:
        """Kernel arguments of the referenced neuron variables (``n_v_post``), with a leading comma."""
        return "".join(f", n_{name}" for name in self.referenced)

    def _printer(self) -> Printer:
        names = {key: repr(value) for key, value in self.values.items()}
        names.update({key: f"_{key}" for key in self.state})
        names.update({name: f"n_{name}[{'i' if name.endswith('_pre') else 'j'}]" for name in self.referenced})
        names["_el"] = "_el"
        return Printer(names)

    def clock_kernel(self, name: str) -> str:
        """Source of an ``@njit`` function run every step over all synapses: the summed input to the post
        units (``i_ext_post``, from the values at the start of the step), then one Euler step ``dt`` of
        the clock-driven equations (all derivatives from the old values)."""
        printer = self._printer()
        args = ", ".join(f"s_{key}" for key in self.state)
        body = [f"            _{key} = s_{key}[s]" for key in self.state]
        for e in self.sums:
            body.append(f"            i_ext[j] += {printer(e.expr)}")
        for e in self.clocked:
            body.append(f"            _d_{e.name} = {printer(e.expr)}")
        body += [f"            s_{e.name}[s] = _{e.name} + dt * _d_{e.name}" for e in self.clocked]
        head = [f"def {name}(indptr, indices, dt, i_ext, {args}{self.neuron_args}):",
                "    for i in range(indptr.shape[0] - 1):",
                "        for s in range(indptr[i], indptr[i + 1]):",
                "            j = indices[s]"]
        return "\n".join(["@numba.njit(cache=True, nogil=True)", *head, *body, "    return 0"]) + "\n"

    def kernel(self, name: str, pathway: str, counts: bool) -> str:
        """Source of an ``@njit`` function running ``pathway`` ('pre' or 'post') for the listed spikes."""
        printer = self._printer()
        args = ", ".join(f"s_{key}" for key in self.state)
        body = ["            _el = t - lastupdate[s]"]
        body += [f"            _{key} = s_{key}[s]" for key in self.state]
        el = sympy.Symbol("_el", real=True)
        for trace in self.traces:
            x = self.converter.symbol(trace.name)
            a, b = trace.linear
            solved = x * sympy.exp(a * el) if b == 0 else (x + b / a) * sympy.exp(a * el) - b / a
            body.append(f"            _{trace.name} = {printer(solved)}")
        for statement in (self.pre if pathway.startswith("pre") else self.post):
            if statement.target == "out":
                body.append(f"            _amount = {printer(statement.expr)}")
                body.append("            for _r in range(rows.shape[0]):")
                body.append("                z[rows[_r], j] += b[_r] * _amount")
                continue
            symbol = self.converter.symbol(statement.target)
            target = printer(symbol)
            body.append(f"            {target} = {printer(statement.value(symbol))}")
        body += [f"            s_{key}[s] = _{key}" for key in self.state]
        body.append("            lastupdate[s] = t")
        extra = self.neuron_args
        if pathway == "pre":
            head = [f"def {name}(spikes, counts, n_spikes, indptr, indices, t, lastupdate, {args}, z, rows, b{extra}):",
                    "    for k in range(n_spikes):",
                    "        i = spikes[k]",
                    f"        for _c in range({'counts[k]' if counts else '1'}):",
                    "          for s in range(indptr[i], indptr[i + 1]):",
                    "            j = indices[s]"]
        elif pathway == "pre_synapses":  # the queue lists synapses (heterogeneous delays)
            head = [f"def {name}(synapses, counts, n_arrivals, synapse_pre, indices, t, lastupdate, {args}, z, rows, "
                    f"b{extra}):",
                    "    for k in range(n_arrivals):",
                    "        s = synapses[k]",
                    "        i = synapse_pre[s]",
                    "        j = indices[s]",
                    "        for _c in range(counts[k]):"]
        else:
            head = [f"def {name}(spikes, n_spikes, post_indptr, post_synapses, synapse_pre, t, lastupdate, {args}"
                    f"{extra}):",
                    "    for k in range(n_spikes):",
                    "        j = spikes[k]",
                    "        for q in range(post_indptr[j], post_indptr[j + 1]):",
                    "            s = post_synapses[q]",
                    "            i = synapse_pre[s]"]
        return "\n".join(["@numba.njit(cache=True, nogil=True)", *head, *body, "    return 0"]) + "\n"


class PlasticProjection(Projection):
    batchable = False  # the copies of a batched network would couple through the shared weights
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
        bound = plasticity.bind(kind, dict(params or {}), owner=f"projection '{self.name}': ",
                                neurons=neuron_variables(pre, post))
        assert bound is not None  # None only when checking a rule without populations
        self.bound: Bound = bound
        if self.bound.pre and not pre.spiking:
            raise ParameterError(f"projection '{self.name}': plasticity '{plasticity.name}' on_pre", pre.name,
                                 "a pre population that spikes (rate units have no pre spikes)")
        if self.bound.sums and receptor is not None:
            raise ParameterError(f"projection '{self.name}': receptor", receptor,
                                 "none (a rule with a summed 'i_ext_post' sends its input itself)")
        if self.bound.post and not post.spiking:
            raise ParameterError(f"projection '{self.name}': plasticity '{plasticity.name}' on_post", post.name,
                                 "a post population that spikes (rate units have no post spikes)")
        self.initial = dict(initial or {})
        for key in self.initial:
            if key not in self.bound.state or key == "w":
                raise ParameterError(f"projection '{self.name}': initial", key,
                                     f"one of {[s for s in self.bound.state if s != 'w']} (set w with weight=)",
                                     key=key)

    constant_arrays: tuple[str, ...] = ("indptr", "indices", "post_indptr", "post_synapses", "synapse_pre")

    @property
    def drives_input(self) -> bool:  # a summed 'i_ext_post' adds to the post population's input
        return bool(self.bound.sums)

    @property
    def immediate(self) -> bool:  # delays are handled by the projection's own spike queue, no ring buffer
        return True

    def build(self, dt: float, rng: np.random.Generator) -> None:
        super().build(dt, rng)
        self.heterogeneous = bool(self.uniform_delay < 0 and self.n_synapses)
        self.delay_step = self.max_delay if self.heterogeneous else max(self.uniform_delay, 0)
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
        self.synapse_pre = np.repeat(np.arange(self.pre.n, dtype=np.int64), np.diff(self.indptr))
        length = self.delay_step + 1
        width = n if self.heterogeneous else self.pre.n  # entries of one arrival slot: synapses, or pre neurons
        self.queue = np.zeros((length, width), np.int32)
        self.queue_counts = np.zeros((length, width), np.int64)
        self.synapse_delays = self.delay_steps.astype(np.int64) if self.heterogeneous else np.zeros(0, np.int64)
        self.queue_n = np.zeros(length, np.int64)

    def emit(self, w: CodeWriter) -> None:
        r = (lambda local: w.ref(self, local))
        p = (lambda local: w.ref(self.pre, local))
        for local, value in (("indptr", self.indptr), ("indices", self.indices), ("lastupdate", self.lastupdate),
                             ("post_indptr", self.post_indptr), ("post_synapses", self.post_synapses),
                             ("synapse_pre", self.synapse_pre),
                             ("queue", self.queue), ("queue_counts", self.queue_counts), ("queue_n", self.queue_n)):
            w.add_argument(r(local), value)
        for key, value in self.state.items():
            w.add_argument(r(f"s_{key}"), value)
        if self.receptor is None:
            w.add_argument(r("z"), np.zeros((1, self.post.n)))
            rows, b = np.zeros(0, np.int64), np.zeros(0)
            z = r("z")
        else:
            bank = self.post.bank
            assert bank is not None  # built before the code is written
            rows = np.array([row for row in bank.rows(self.receptor) if bank.b[row]], np.int64)
            b = bank.b[rows].astype(np.float64)
            z = w.ref(self.post, "z")
        w.add_arguments({r("rows"): rows, r("b"): b})
        state = ", ".join(r(f"s_{key}") for key in self.bound.state)
        neurons = "".join(f", {w.ref(self.pre if n.endswith('_pre') else self.post, n.rsplit('_', 1)[0])}"
                          for n in self.bound.referenced)
        w.add_import("import math")
        if self.bound.clocked or self.bound.sums:
            w.add_definition(self.bound.clock_kernel(r("clock")))
            i_ext = w.ref(self.post, "i_ext") if self.bound.sums else r("no_input")
            if not self.bound.sums:
                w.add_argument(i_ext, np.zeros(0))
            w.add_lines("input", self, f"{r('clock')}({r('indptr')}, {r('indices')}, dt, {i_ext}, {state}{neurons})")
        if self.bound.post:
            q = (lambda local: w.ref(self.post, local))
            w.add_definition(self.bound.kernel(f"{r('on_post')}", "post", False))
            post_line = (f"{r('on_post')}({q('spikes')}, {q('nspk')}[0], {r('post_indptr')}, {r('post_synapses')}, "
                         f"{r('synapse_pre')}, step * dt, {r('lastupdate')}, {state}{neurons})")
        if not self.pre.spiking:
            if self.bound.post:
                w.add_lines("propagate", self, post_line)
            return
        multiple = self.pre.multiplicity
        counts = p("counts") if multiple else p("spikes")
        length = self.delay_step + 1
        slot = f"step % {length}"
        if self.heterogeneous:  # each synapse's arrival queued in its own slot
            w.add_argument(r("synapse_delays"), self.synapse_delays)
            w.add_definition(self.bound.kernel(f"{r('on_pre')}", "pre_synapses", True))
            w.add_import("from neurosim.core.plasticity import enqueue_synapses")
            w.add_lines("propagate", self,
                f"enqueue_synapses({p('spikes')}, {counts}, {multiple}, {p('nspk')}[0], {r('indptr')}, "
                f"{r('synapse_delays')}, step, {r('queue')}, {r('queue_counts')}, {r('queue_n')})")
            first = f"{r('synapse_pre')}"
        else:
            w.add_definition(self.bound.kernel(f"{r('on_pre')}", "pre", multiple))
            w.add_import("from neurosim.core.plasticity import enqueue")
            w.add_lines("propagate", self,
                f"enqueue({p('spikes')}, {counts}, {multiple}, {p('nspk')}[0], {r('queue')}, {r('queue_counts')}, "
                f"{r('queue_n')}, (step + {self.delay_step}) % {length})")
            first = f"{r('indptr')}"
        w.add_lines("propagate", self,
            f"{r('on_pre')}({r('queue')}[{slot}], {r('queue_counts')}[{slot}], {r('queue_n')}[{slot}], {first}, "
            f"{r('indices')}, step * dt, {r('lastupdate')}, {state}, {z}, {r('rows')}, {r('b')}{neurons})")
        w.add_lines("propagate", self, f"{r('queue_n')}[{slot}] = 0")
        if self.bound.post:
            w.add_lines("propagate", self, post_line)

    def synaptic_state(self) -> dict[str, np.ndarray]:
        """Per-synapse variables with the pre and post index of every synapse (CSR order)."""
        pre = np.repeat(np.arange(self.pre.n), np.diff(self.indptr))
        return {"pre": pre, "post": self.indices.astype(np.int64), **{k: v.copy() for k, v in self.state.items()}}


def neuron_variables(pre: Population, post: Population) -> dict[str, Dim]:
    """The neuron variables a rule may reference, Brian2-style: ``<state>_pre``, ``<state>_post`` with their
    dimensions (a rate model's output ``rate`` among them), and the summed target ``i_ext_post`` (the post
    population's input)."""
    offered = {}
    for side, pop in (("pre", pre), ("post", post)):
        variables = {key: dimension for key, (dimension, _) in pop.state_spec.items()}
        if not pop.spiking and "rate" not in variables:  # a rate model's output (an equation subexpression)
            variables["rate"] = pop.variable_dimension("rate")
        for key, dimension in variables.items():
            offered[f"{key}_{side}"] = of_unit(DIMENSIONS[dimension])
    offered["i_ext_post"] = of_unit(DIMENSIONS[post.input_dimension])
    return offered


@numba.njit(cache=True, nogil=True)
def enqueue(spikes, counts, has_counts, n_spikes, queue, queue_counts, queue_n, slot):
    """Append this step's spikes (with their multiplicities if ``has_counts``) to arrival slot ``slot``."""
    m = queue_n[slot]
    for k in range(n_spikes):
        queue[slot, m] = spikes[k]
        queue_counts[slot, m] = counts[k] if has_counts else 1
        m += 1
    queue_n[slot] = m


@numba.njit(cache=True, nogil=True)
def enqueue_synapses(spikes, counts, has_counts, n_spikes, indptr, delays, step, queue, queue_counts, queue_n):
    """Append every synapse of this step's spikes to the slot of its own arrival, ``step + delays[s]``."""
    length = queue_n.shape[0]
    for k in range(n_spikes):
        i = spikes[k]
        c = counts[k] if has_counts else 1
        for s in range(indptr[i], indptr[i + 1]):
            slot = (step + delays[s]) % length
            m = queue_n[slot]
            queue[slot, m] = s
            queue_counts[slot, m] = c
            queue_n[slot] = m + 1


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


class PESProjection(DenseProjection):
    """A factored :class:`~neurosim.core.dense.DenseProjection` whose decoders learn online by PES
    (Nengo's ``PES(learning_rate, pre_synapse)``; MacNeil & Eliasmith 2011).

    Every step, after the populations update, the decoders ``D`` (k x n_pre, the ``pre_matrix``)
    change by ``delta D = -(learning_rate * dt / n_pre) * outer(e, a)``, with ``e`` the ``rate`` of the
    ``error`` population (k linear units: the error signal, the sum of what connections into it
    deliver) and ``a`` the pre activity (spikes as ``1/dt`` impulses, or rates) lowpassed with
    ``pre_tau`` (s), Nengo's ``pre_synapse``. Dividing by ``n_pre`` is Nengo's convention: the
    learning rate does not scale with the ensemble's size. Cost O(k n_pre) per step.
    """

    def __init__(self, pre: Population, post: Population, pre_matrix, post_matrix, error: Population,
                 learning_rate: float = 1e-4, pre_tau: float = 0.005, tau: float = 0.0, name: str | None = None):
        super().__init__(pre, post, pre_matrix=pre_matrix, post_matrix=post_matrix, tau=tau, name=name)
        label = f"projection '{self.name}'"
        if isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float)) or \
                not np.isfinite(learning_rate) or learning_rate < 0:
            raise ParameterError(f"{label}: PES learning_rate", learning_rate, "a finite number >= 0")
        if isinstance(pre_tau, bool) or not isinstance(pre_tau, (int, float)) or not np.isfinite(pre_tau) or \
                pre_tau < 0:
            raise ParameterError(f"{label}: PES pre_synapse", pre_tau, "a lowpass time constant >= 0 s")
        if error.spiking or error.n != self.rank:
            raise ParameterError(f"{label}: PES error", error.name,
                                 f"a rate population of {self.rank} unit(s), one per decoded dimension")
        self.error, self.learning_rate, self.pre_tau = error, float(learning_rate), float(pre_tau)

    constant_arrays: tuple[str, ...] = ("encode",)  # the decoders change

    def build(self, dt: float, rng: np.random.Generator | None = None) -> None:
        super().build(dt, rng)
        self.pre_decay = float(np.exp(-dt / self.pre_tau)) if self.pre_tau > 0 else 0.0
        self.activities = np.zeros(self.pre.n, np.float64)
        self.alpha = -self.learning_rate * dt / self.pre.n

    def emit(self, w: CodeWriter) -> None:
        super().emit(w)
        r = (lambda local: w.ref(self, local))
        pre = (lambda local: w.ref(self.pre, local))
        w.add_argument(r("activities"), self.activities)
        w.add_import("from neurosim.core.plasticity import pes_update")
        counts = pre("counts") if self.pre.multiplicity else r("no_counts")
        n_spikes = f"{pre('nspk')}[0]" if self.pre.spiking else "-1"
        rates = r("empty") if self.pre.spiking else pre("rate")
        w.add_lines("propagate", self,
            f"pes_update({pre('spikes')}, {counts}, {n_spikes}, {rates}, {r('activities')}, {self.pre_decay!r}, "
            f"{w.ref(self.error, 'rate')}, {r('decode')}, {self.alpha!r}, dt)")

    def synaptic_state(self) -> dict[str, np.ndarray]:
        """The learned decoders (n_pre x k)."""
        return {"decoders": self.decode.copy()}


@numba.njit(cache=True, nogil=True)
def pes_update(spikes, counts, n_spikes, rates, activities, decay, error, decode, alpha, dt):
    """Lowpass this step's pre activity into ``activities``, then ``decode += alpha * outer(a, e)``.

    ``n_spikes >= 0``: the activity is the listed spikes (``1/dt`` each, times ``counts`` unless empty);
    ``-1``: ``rates``. ``decode`` is n_pre x k, ``error`` has k entries.
    """
    n = activities.shape[0]
    gain = 1.0 - decay
    for i in range(n):
        activities[i] *= decay
    if n_spikes >= 0:
        weighted = counts.shape[0] > 0
        for j in range(n_spikes):
            activities[spikes[j]] += gain / dt * (counts[j] if weighted else 1)
    else:
        for i in range(n):
            activities[i] += gain * rates[i]
    k = error.shape[0]
    for i in range(n):
        scaled = alpha * activities[i]
        if scaled != 0.0:
            for d in range(k):
                decode[i, d] += scaled * error[d]
