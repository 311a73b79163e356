"""Integration methods of an equation system over one step ``dt``, chosen per system and stated.

- ``exact``: the system is linear with constant coefficients, ``x' = A x + c`` (``A`` from
  parameters only, ``c`` from parameters and inputs, which are held over the step, as Brian2's
  ``exact`` and NEST's ``iaf_psc_*`` do). ``x <- Phi x + Gamma c`` with ``Phi = expm(A dt)`` and
  ``Gamma = int_0^dt expm(A s) ds``, both computed at build for every distinct parameter set.
  A relaxation ``dx/dt = (target - x)/tau`` of a state on its own, whose time constant ``tau`` is
  a parameter that may be 0 (constraint ``nonnegative``), is ``x <- target + (x - target) phi``
  with ``phi = exp(-dt/tau)`` computed at build, and ``phi = 0`` where ``tau = 0``: ``x`` then
  follows its target instantly (rate units), with no division by ``tau`` in the step.
- ``exponential_euler``: every equation is linear in its own variable, ``x' = a x + b`` with ``a``
  and ``b`` depending on the other variables (conditionally linear: Hodgkin-Huxley gates,
  conductance-based membranes); ``x <- (x + b/a) exp(a dt) - b/a`` with ``a, b`` on the old state
  (Brian2's form). States that form a linear, constant-coefficient system on their own (synaptic
  kernels such as alpha or exp2) are propagated exactly inside it.
- ``exponential_midpoint``: the second-order form of exponential Euler for the same systems (the
  exponential midpoint rule; Rush-Larsen 2 in cardiac modelling). A half step of exponential Euler
  gives the midpoint state; ``a`` and ``b`` evaluated there (time ``t + dt/2``) take the full step,
  ``x <- (x + b/a) exp(a dt) - b/a``. Linear decays stay exact; where ``a = 0`` it is midpoint RK2.
  Two rate evaluations per step (exponential Euler: one; RK4: four).
- ``euler``, ``rk2`` (midpoint) and ``rk4`` (classical): explicit, any system (Brian2's tableaux).
- ``dopri5``: adaptive, any system. Dormand-Prince 5(4) with error control inside each step, per
  neuron (as NEST integrates its HH models with GSL's RKF45): substeps of a length ``h`` kept per
  neuron from step to step, accepted when the embedded 4th-order error of every state is at most
  ``tolerance * (scale + |x|)`` (``scale``: 1 in the state's customary unit, mV, nS, nA, ms; 1
  for dimensionless states), ``h`` then scaled by ``0.9 err^(-1/5)`` (within 0.2-5x). The last
  substep ends exactly at the end of the step; inputs are held over the step. Seven rate
  evaluations per substep, six where the last stage serves as the next substep's first (FSAL:
  the per-neuron loop of ``tables``; the SIMD loops evaluate the first stage afresh).
- ``bs23``: the same substep control with the Bogacki-Shampine 3(2) pair (MATLAB's ``ode23``):
  third order, embedded second-order error, ``h`` scaled by ``0.9 err^(-1/3)``; four rate
  evaluations per substep, three with FSAL (as ``dopri5``).

``auto`` takes the first that applies of ``exact``, ``exponential_euler``, ``rk4``. This departs
from Brian2's default order (exact, euler, heun) on purpose: explicit Euler is first order and
unstable on Hodgkin-Huxley gates at customary steps, while exponential Euler is what Brian2's
documentation recommends for them; a model that needs Brian2's choice states ``method: euler``.
A method requested explicitly that cannot apply is an error saying why.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.linalg
import sympy

from .parse import EquationError
from .system import System

METHODS = ("exact", "exponential_euler", "exponential_midpoint", "euler", "rk2", "rk4", "bs23", "dopri5")
AUTO_ORDER = ("exact", "exponential_euler", "rk4")
ADAPTIVE = ("bs23", "dopri5")
DEFAULT_TOLERANCE = 1e-3
#: the adaptive methods' tolerance in their update, a parameter of the population (``tolerance``),
#: so that networks that differ only in it can share one compiled loop (``inline_constants=False``)
TOLERANCE = sympy.Symbol("_tolerance", positive=True)


@dataclass
class Update:
    """One step of a system: ``assignments`` (temporaries, in order) then ``new[state]``.

    ``matrices`` maps each symbol standing for an entry of ``Phi``/``Gamma`` to ``(kind, row, col)``;
    their values are computed at build by :func:`propagators`. ``decays`` maps the propagator
    ``phi`` of each relaxation to its time constant (its value at build: :func:`decay`).
    """

    method: str
    new: dict[str, sympy.Expr]
    assignments: list[tuple[sympy.Symbol, sympy.Expr]] = field(default_factory=list)
    matrices: dict[sympy.Symbol, tuple[str, int, int]] = field(default_factory=dict)
    decays: dict[sympy.Symbol, sympy.Symbol] = field(default_factory=dict)
    exact_states: list[str] = field(default_factory=list)
    matrix: sympy.Matrix | None = None   # A of the exactly propagated states
    adaptive: Adaptive | None = None


@dataclass
class Adaptive:
    """The substep loop of an adaptive method: ``loop`` (assignments of one trial substep of
    length ``h`` from time ``t + tt``), then ``error`` (<= 1: accept), ``accept[state]`` (the
    substep's result) and ``carry`` (symbol -> its value for the next substep: the FSAL stage).
    ``Update.assignments`` hold what is computed once before the loop; ``Update.new`` is empty."""

    h: sympy.Symbol
    tt: sympy.Symbol
    loop: list[tuple[sympy.Symbol, sympy.Expr]]
    error: sympy.Expr
    accept: dict[str, sympy.Expr]
    carry: dict[sympy.Symbol, sympy.Symbol]
    order: int
    stages: dict[str, list[sympy.Symbol]]   # state -> the symbols of its stage values


def _constants(system: System) -> set[sympy.Symbol]:
    return {system.symbol(name) for name in system.parameters} | {system.dt}


def linear_reason(system: System, states: list[str]) -> str | None:
    """Why ``states`` are not a linear system with constant coefficients (None when they are)."""
    symbols = [system.symbol(name) for name in states]
    constants = _constants(system)
    for name in states:
        rhs = system.rhs[name]
        for other in system.states:
            if other not in states and system.symbol(other) in rhs.free_symbols:
                return f"d{name}/dt depends on '{other}'"
        for symbol in symbols:
            coefficient = sympy.diff(rhs, symbol)
            extra = coefficient.free_symbols - constants
            if extra:
                return (f"d{name}/dt is not linear with constant coefficients in '{symbol.name}' "
                        f"(its coefficient depends on {', '.join(sorted(s.name for s in extra))})")
        offset = rhs.xreplace({s: 0 for s in symbols})
        if system.t in offset.free_symbols:
            return f"d{name}/dt depends on time t"
        if offset.has(sympy.Piecewise):
            return f"d{name}/dt contains a condition"
    return None


def conditionally_linear_reason(system: System) -> str | None:
    """Why the system is not conditionally linear (None when every equation is linear in its variable)."""
    for name in system.states:
        symbol = system.symbol(name)
        coefficient = sympy.diff(system.rhs[name], symbol)
        if symbol in coefficient.free_symbols and sympy.simplify(sympy.diff(coefficient, symbol)) != 0:
            return f"d{name}/dt is not linear in '{name}'"
    return None


def _linear_subsystem(system: System) -> list[str]:
    """The largest set of states whose equations involve only each other, linearly with constant
    coefficients (a synaptic kernel, for instance), or [] when there is none."""
    chosen = list(system.states)
    while chosen:
        keep = [name for name in chosen if _closed(system, name, chosen)]
        if keep == chosen:
            break
        chosen = keep
    return chosen


def _closed(system: System, name: str, chosen: list[str]) -> bool:
    """``d name/dt`` involves only states of ``chosen``, linearly with constant coefficients."""
    rhs = system.rhs[name]
    if any(system.symbol(s) in rhs.free_symbols for s in system.states if s not in chosen):
        return False
    constants = _constants(system)
    symbols = [system.symbol(s) for s in chosen]
    if any(not sympy.diff(rhs, s).free_symbols <= constants for s in symbols):
        return False
    offset = rhs.xreplace({s: 0 for s in symbols})
    return system.t not in offset.free_symbols and not offset.has(sympy.Piecewise)


def choose(system: System, method: str) -> str:
    """The method that will integrate ``system``: ``method`` itself, or the first of AUTO_ORDER for 'auto'."""
    if method == "auto":
        for candidate in AUTO_ORDER:
            if reason(system, candidate) is None:
                return candidate
    if method not in METHODS:
        from ..errors import did_you_mean
        raise EquationError(system.model, "method", f"unknown method '{method}'{did_you_mean(method, METHODS)}; "
                            f"methods: auto, {', '.join(METHODS)}", text=str(method))
    why = reason(system, method)
    if why is not None:
        raise EquationError(system.model, "method", f"'{method}' cannot integrate this system: {why}", text=method)
    return method


def reason(system: System, method: str) -> str | None:
    if method == "exact":
        return linear_reason(system, system.states)
    if method in ("exponential_euler", "exponential_midpoint"):
        return conditionally_linear_reason(system)
    return None


def update(system: System, method: str, vanishing: frozenset[str] = frozenset()) -> Update:
    """The symbolic one-step update of ``system`` by ``method`` (already checked by :func:`choose`);
    ``vanishing``: the parameters that may be 0 (a time constant among them makes its relaxation
    one that may be instant, see the module docstring). The adaptive methods' tolerance is the
    symbol :data:`TOLERANCE`."""
    if method in EMBEDDED:
        return _embedded(system, method)
    if method == "exact":
        step = Update("exact", {})
        relaxing = _relaxations(system, vanishing)
        for name, tau in relaxing.items():
            _relax(system, name, tau, step)
        rest = [name for name in system.states if name not in relaxing]
        return _exact(system, rest, step) if rest else step
    if method == "exponential_euler":
        step = Update(method, {})
        exact = _linear_subsystem(system)
        coupled = any(system.symbol(other) in system.rhs[name].free_symbols
                      for name in exact for other in exact if other != name)
        if coupled and len(exact) < len(system.states):
            _exact(system, exact, step)   # e.g. alpha/exp2 kernels: exact, as exponential Euler is not
        else:
            exact = []  # uncoupled decays are exact under exponential Euler already
        dt = system.dt
        for name in system.states:
            if name in exact:
                continue
            x = system.symbol(name)
            rhs = system.rhs[name]
            a = sympy.diff(rhs, x)
            b = rhs.xreplace({x: 0}) if a != 0 else rhs
            if a == 0:
                step.new[name] = x + dt * b
            elif b == 0:
                step.new[name] = x * sympy.exp(a * dt)
            else:
                ratio = sympy.Symbol(f"_BA_{name}", real=True)
                step.assignments.append((ratio, b / a))
                step.new[name] = (x + ratio) * sympy.exp(a * dt) - ratio
        return step
    if method == "exponential_midpoint":
        return _exponential_midpoint(system)
    return _explicit(system, method)


def _exponential_midpoint(system: System) -> Update:
    """Half an exponential Euler step to the midpoint, then the full step with the midpoint's
    ``a`` and ``b`` (see the module docstring). While refractory, the half step holds the
    ``(unless refractory)`` states as the full step does."""
    dt, t = system.dt, system.t
    step = Update("exponential_midpoint", {})
    refractory = sympy.Symbol("_refractory", real=True)  # 1.0 while refractory (see emit)
    symbols = {name: system.symbol(name) for name in system.states}

    def advance(name, point, h, label):
        """``x`` advanced by ``h`` with ``a``, ``b`` of d name/dt evaluated at ``point``."""
        x = symbols[name]
        rhs = system.rhs[name]
        a = sympy.diff(rhs, x)
        b = rhs.xreplace({x: 0}) if a != 0 else rhs
        a, b = a.xreplace(point), b.xreplace(point)
        if a == 0:
            return x + h * b
        if b == 0:
            return x * sympy.exp(a * h)
        ratio = sympy.Symbol(f"_BA{label}_{name}", real=True)
        step.assignments.append((ratio, b / a))
        return (x + ratio) * sympy.exp(a * h) - ratio

    middle = {}
    for name in system.states:
        half = sympy.Symbol(f"_half_{name}", real=True)
        value = advance(name, {}, dt / 2, "1")
        if name in system.unless_refractory:
            value = symbols[name] + (1 - refractory) * (value - symbols[name])
        step.assignments.append((half, value))
        middle[symbols[name]] = half
    point = {**middle, t: t + dt / 2}
    for name in system.states:
        step.new[name] = advance(name, point, dt, "2")
    return step


def _exact(system: System, states: list[str], step: Update) -> Update:
    symbols = [system.symbol(name) for name in states]
    matrix = sympy.Matrix([[sympy.diff(system.rhs[r], s) for s in symbols] for r in states])
    offsets = [sympy.expand(system.rhs[r].xreplace({s: 0 for s in symbols})) for r in states]
    reach = _reachable(matrix)
    for row, name in enumerate(states):
        terms = []
        for col, symbol in enumerate(symbols):
            if reach[row][col]:  # Phi and Gamma vanish where col cannot influence row
                phi = sympy.Symbol(f"_phi_{name}_{states[col]}", real=True)
                step.matrices[phi] = ("phi", row, col)
                terms.append(phi * symbol)
                if offsets[col] != 0:
                    gamma = sympy.Symbol(f"_gamma_{name}_{states[col]}", real=True)
                    step.matrices[gamma] = ("gamma", row, col)
                    terms.append(sympy.expand(gamma * offsets[col]))
        step.new[name] = sympy.Add(*terms)
    step.exact_states = list(states)
    step.matrix = matrix
    return step


def _relaxations(system: System, vanishing: frozenset[str]) -> dict[str, sympy.Symbol]:
    """State -> time constant of the states ``dx/dt = (target - x)/tau`` on their own (no other
    state in their equation, and in no other state's) whose ``tau`` is a parameter in ``vanishing``."""
    candidates = {system.symbol(p) for p in vanishing}
    found = {}
    for name in system.states:
        x = system.symbol(name)
        rhs = system.rhs[name]
        others = {system.symbol(s) for s in system.states if s != name}
        if rhs.free_symbols & others or any(x in system.rhs[s].free_symbols for s in system.states if s != name):
            continue
        tau = -1 / sympy.diff(rhs, x)
        if tau in candidates:
            found[name] = tau
    return found


def _relax(system: System, name: str, tau: sympy.Symbol, step: Update) -> None:
    """``x <- target + (x - target) phi`` (``target`` and ``x - target`` temporaries, kept as they are)."""
    x = system.symbol(name)
    target = sympy.expand(x + tau * system.rhs[name])  # free of x (the slope is -1/tau)
    phi = sympy.Symbol(f"_phi_{name}_{name}", real=True)
    held, gap = sympy.Symbol(f"_target_{name}", real=True), sympy.Symbol(f"_gap_{name}", real=True)
    step.decays[phi] = tau
    step.assignments += [(held, target), (gap, x - held)]
    step.new[name] = held + gap * phi


def decay(tau: np.ndarray, dt: float) -> np.ndarray:
    """``exp(-dt/tau)`` of a relaxation, 0 where ``tau = 0`` (computed without dividing by 0)."""
    positive = tau > 0
    return np.where(positive, np.exp(-dt / np.where(positive, tau, 1.0)), 0.0)


def _reachable(matrix: sympy.Matrix) -> list[list[bool]]:
    """``reach[i][j]``: state j influences state i through the non-zero entries of A (or i == j)."""
    n = matrix.shape[0]
    reach = [[i == j or matrix[i, j] != 0 for j in range(n)] for i in range(n)]
    for k in range(n):
        for i in range(n):
            if reach[i][k]:
                for j in range(n):
                    reach[i][j] = reach[i][j] or reach[k][j]
    return reach


def propagators(matrix: np.ndarray, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """``Phi = expm(A dt)`` and ``Gamma = int_0^dt expm(A s) ds`` of one parameter set (augmented expm)."""
    n = matrix.shape[0]
    augmented = np.zeros((2 * n, 2 * n))
    augmented[:n, :n] = matrix * dt
    augmented[:n, n:] = np.eye(n) * dt
    full = scipy.linalg.expm(augmented)
    return full[:n, :n], full[:n, n:]


def _explicit(system: System, method: str) -> Update:
    """Euler, midpoint RK2 or classical RK4; ``(unless refractory)`` derivatives are zero when refractory."""
    dt, t = system.dt, system.t
    symbols = {name: system.symbol(name) for name in system.states}
    refractory = sympy.Symbol("_refractory", real=True)  # 1.0 while refractory (see emit)
    factor = {name: (1 - refractory) if name in system.unless_refractory else 1 for name in system.states}
    step = Update(method, {})

    def stage(label: str, shift: dict[str, sympy.Expr], time) -> dict[str, sympy.Symbol]:
        ks = {}
        for name in system.states:
            k = sympy.Symbol(f"_k{label}_{name}", real=True)
            expr = system.rhs[name].xreplace({**{symbols[s]: value for s, value in shift.items()}, t: time})
            step.assignments.append((k, dt * factor[name] * expr))
            ks[name] = k
        return ks

    if method == "euler":
        k1 = stage("1", {}, t)
        step.new = {name: symbols[name] + k1[name] for name in system.states}
    elif method == "rk2":
        k1 = stage("1", {}, t)
        k2 = stage("2", {n: symbols[n] + k1[n] / 2 for n in system.states}, t + dt / 2)
        step.new = {name: symbols[name] + k2[name] for name in system.states}
    else:
        k1 = stage("1", {}, t)
        k2 = stage("2", {n: symbols[n] + k1[n] / 2 for n in system.states}, t + dt / 2)
        k3 = stage("3", {n: symbols[n] + k2[n] / 2 for n in system.states}, t + dt / 2)
        k4 = stage("4", {n: symbols[n] + k3[n] for n in system.states}, t + dt)
        step.new = {name: symbols[name] + (k1[name] + 2 * k2[name] + 2 * k3[name] + k4[name]) / 6
                    for name in system.states}
    return step


#: Dormand & Prince (1980) 5(4): nodes, stage coefficients, 5th-order weights (= the last stage,
#: FSAL) and the difference of the 5th- and embedded 4th-order weights.
DOPRI5_C = (0, sympy.Rational(1, 5), sympy.Rational(3, 10), sympy.Rational(4, 5), sympy.Rational(8, 9), 1, 1)
DOPRI5_A = (
    (),
    (sympy.Rational(1, 5),),
    (sympy.Rational(3, 40), sympy.Rational(9, 40)),
    (sympy.Rational(44, 45), sympy.Rational(-56, 15), sympy.Rational(32, 9)),
    (sympy.Rational(19372, 6561), sympy.Rational(-25360, 2187), sympy.Rational(64448, 6561),
     sympy.Rational(-212, 729)),
    (sympy.Rational(9017, 3168), sympy.Rational(-355, 33), sympy.Rational(46732, 5247), sympy.Rational(49, 176),
     sympy.Rational(-5103, 18656)),
    (sympy.Rational(35, 384), 0, sympy.Rational(500, 1113), sympy.Rational(125, 192), sympy.Rational(-2187, 6784),
     sympy.Rational(11, 84)),
)
DOPRI5_E = (sympy.Rational(71, 57600), 0, sympy.Rational(-71, 16695), sympy.Rational(71, 1920),
            sympy.Rational(-17253, 339200), sympy.Rational(22, 525), sympy.Rational(-1, 40))
#: Bogacki & Shampine (1989) 3(2), the same layout: the last stage is the 3rd-order result's rate
BS23_C = (0, sympy.Rational(1, 2), sympy.Rational(3, 4), 1)
BS23_A = ((), (sympy.Rational(1, 2),), (0, sympy.Rational(3, 4)),
          (sympy.Rational(2, 9), sympy.Rational(1, 3), sympy.Rational(4, 9)))
BS23_E = (sympy.Rational(-5, 72), sympy.Rational(1, 12), sympy.Rational(1, 9), sympy.Rational(-1, 8))
#: method -> (nodes, stage coefficients, error weights, order of the error estimate in h)
EMBEDDED = {"dopri5": (DOPRI5_C, DOPRI5_A, DOPRI5_E, 5), "bs23": (BS23_C, BS23_A, BS23_E, 3)}


def state_scale(system: System, name: str) -> float:
    """1 of the customary unit of state ``name`` in SI (1 mV -> 1e-3; 1 for dimensionless)."""
    from ..units import DISPLAY_UNITS, ureg
    from .dimensions import dimension_name
    dimension = dimension_name(system.dims[name])
    unit = DISPLAY_UNITS.get(dimension or "", "")
    if not unit:
        return 1.0
    return float(ureg.Quantity(1.0, unit.replace("^", "**")).to_base_units().magnitude)


def _embedded(system: System, method: str) -> Update:
    """Substeps of an embedded pair (``EMBEDDED``) with error control (see the module docstring)."""
    t = system.t
    h, tt = sympy.Symbol("_h", real=True), sympy.Symbol("_tt", real=True)
    symbols = {name: system.symbol(name) for name in system.states}
    refractory = sympy.Symbol("_refractory", real=True)  # 1.0 while refractory (see emit)
    factor = {name: (1 - refractory) if name in system.unless_refractory else 1 for name in system.states}
    nodes, coefficients, weights, order = EMBEDDED[method]
    last = len(nodes)  # the stage whose point is the substep's result (FSAL)
    step = Update(method, {})
    loop: list[tuple[sympy.Symbol, sympy.Expr]] = []

    def rates(label: str, point: dict[str, sympy.Expr], time, into) -> dict[str, sympy.Symbol]:
        ks = {}
        for name in system.states:
            k = sympy.Symbol(f"_k{label}_{name}", real=True)
            expr = system.rhs[name].xreplace({**{symbols[s]: v for s, v in point.items()}, t: time})
            into.append((k, factor[name] * expr))
            ks[name] = k
        return ks

    ks = [rates("1", {}, t + tt, step.assignments)]
    for stage in range(1, last):
        point = {}
        for name in system.states:
            y = sympy.Symbol(f"_y{stage + 1}_{name}", real=True)
            increment = sympy.Add(*[a * k[name] for a, k in zip(coefficients[stage], ks, strict=True)])
            loop.append((y, symbols[name] + h * increment))
            point[name] = y
        ks.append(rates(str(stage + 1), point, t + tt + nodes[stage] * h, loop))
    ratios = []
    for name in system.states:
        x, new = symbols[name], sympy.Symbol(f"_y{last}_{name}", real=True)
        error = h * sympy.Add(*[e * k[name] for e, k in zip(weights, ks, strict=True) if e != 0])
        bound = TOLERANCE * state_scale(system, name) + TOLERANCE * sympy.Max(sympy.Abs(x), sympy.Abs(new))
        ratios.append(sympy.Abs(error) / bound)
    accept = {name: sympy.Symbol(f"_y{last}_{name}", real=True) for name in system.states}
    carry = {ks[0][name]: ks[-1][name] for name in system.states}
    stages = {name: [sympy.Symbol(f"_y{stage}_{name}", real=True) for stage in range(2, last + 1)]
              for name in system.states}
    step.adaptive = Adaptive(h, tt, loop, sympy.Max(*ratios), accept, carry, order, stages)
    return step
