"""Hodgkin–Huxley neurons: the 1952 squid axon (:class:`HHSquid`) and the Traub–Miles variant of
the COBAHH benchmark (:class:`HHTraub`).

``cm dv/dt = g_na m^3 h (e_na - v) + g_k n^4 (e_k - v) + g_leak (e_leak - v) + i_offset + i_ext + I_syn``
and ``dx/dt = alpha_x(v) (1 - x) - beta_x(v) x`` for the gates ``x = m, h, n``; the receptor rows
``z`` add ``I_syn = i.z + ge.z - v g.z`` (current- and conductance-based, as in ``lif.py``).

Units: parameters are absolute quantities per neuron (F, S, A, V, s), as in NEST (``hh_psc_alpha``
uses pF and nS) and Brian2's COBAHH example. The membrane ``area`` (m^2) converts the published
per-area values: ``cm``, ``g_na``, ``g_k``/``g_kd`` and ``g_leak`` default to their density times
``area`` unless given explicitly (then ``area`` does not change them), and :meth:`current` turns
a current density into the current per neuron: 1 uA/cm^2 (0.01 A/m^2) on 10 000 um^2 (1e-8 m^2)
is 100 pA.

Integration (``method``):

- ``"exponential_euler"`` (default), Brian2's ``exponential_euler`` state updater: every variable
  obeys ``dx/dt = A + B x`` with ``A, B`` evaluated on the *old* state, and is advanced by
  ``x <- -A/B + (x + A/B) exp(B dt)``; receptor rows are propagated exactly (``phi``). With
  Brian2's schedule (state update, then threshold, then incoming spikes) the two simulators
  agree to rounding.
- ``"rk4"``: classical fourth-order Runge–Kutta over ``(v, m, h, n)`` with ``i_ext`` and the
  receptor rows held at their values at the start of the step; rows then propagate exactly.

Code: exponential Euler is emitted specialised per population into the network's step loop
(homogeneous parameters as literals, receptor rows unrolled, the neuron loop a ``prange`` loop
for populations of at least ``PARALLEL_MIN_NEURONS`` when ``threads > 1``); it does the
arithmetic of :func:`hh_update`, the generic kernel that RK4 calls.

Gate tables (``gate_tables=True``, NEURON's ``usetable``): the gate propagators ``x_inf`` and
``exp(-(alpha+beta) dt)`` of exponential Euler depend on ``u = v - vt`` alone, so they are
tabulated once at build for the population's ``dt`` (``TABLE_RANGE`` -150..+150 mV in steps of
``TABLE_STEP`` 0.01 mV, computed from the exact rate functions) and interpolated linearly; outside
the range they are computed exactly. Interpolation error ``<= h^2/8 max|f''|``: below 1e-7 for
every propagator (measured maximum 7.7e-8, Traub h_inf at dt 0.1 ms), so squid spike times agree
with the exact path to the step and a COBAHH network's mean rate to 0.2 %
(``tests/core/test_hh_tables.py``). The update then costs about a third of the exact one (one
``exp``, for the membrane, instead of ten). The exact path stays the default: it is what agrees
with Brian2 to rounding.

Rate functions: the removable singularities ``x / (exp(x) - 1)`` are computed as
``x / expm1(x)`` with the limit 1 at ``x = 0`` (:func:`efun`), so they are exact and smooth
through the singular voltages (squid: alpha_m at -40 mV, alpha_n at -55 mV; Traub:
alpha_m at VT + 13 mV, beta_m at VT + 40 mV, alpha_n at VT + 15 mV).

Spikes: neuron ``i`` spikes in the step in which ``v`` crosses ``v_thresh`` upwards
(``v_old <= v_thresh < v_new``), unless it spiked within the last ``tau_refrac`` (in whole steps
by Brian2's rule, ``core.timegrid``, the same counting as ``lif.py``'s step mode: the earliest next
spike is ``floor(tau_refrac/dt)`` steps later). There is no reset. Brian2's COBAHH threshold
``v > -20 mV`` with ``refractory=3 ms`` is level-based: it agrees with the upward crossing
whenever ``v`` falls back below threshold within ``tau_refrac`` (every normal spike), and differs
only in depolarisation block, where Brian2 emits a spike every ``tau_refrac``.

Time-step bounds (checked at build; :class:`~neurosim.errors.ParameterError` above ``MAX_DT``).
Exponential Euler solves every variable exactly for a frozen rest of the state and cannot blow
up, but it must resolve the action potential (upstroke from -50 mV to the peak: 0.73 ms squid,
0.38 ms Traub; fastest gate time constant ``1/(alpha_m + beta_m)``: 0.12 ms squid, 0.03 ms Traub).
Measured (squid, 7-50 uA/cm^2): firing rates fall 1.2 % below the dt -> 0 value at 0.025 ms,
2.4 % at 0.05 ms, 5 % at 0.1 ms (Brian2's COBAHH step; Traub: 12 %), 10 % at 0.2 ms; at 0.25 ms
tonic firing at 50 uA/cm^2 stops after 15 spikes, so dt > 0.2 ms is rejected.
RK4 is explicit: its stability interval on the negative real axis is ``|lambda| dt < 2.785``; the
membrane rate ``(g_na m^3 h + g_k n^4 + g_leak)/cm`` peaks during a spike at 38/ms (squid) and
53/ms (Traub), i.e. dt < 0.074 and 0.052 ms; measured blow-up at 0.09 ms (squid) and 0.08 ms
(Traub). dt > 0.05 ms is rejected.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, ClassVar

import numba
import numpy as np

from ...errors import ParameterError, did_you_mean
from ...units import to_si
from ..params import Param
from ..population import Population
from ..timegrid import to_steps

if TYPE_CHECKING:
    from ..codegen import CodeWriter

mV, ms, um2 = 1e-3, 1e-3, 1e-12
UF_PER_CM2, MS_PER_CM2 = 1e-2, 10.0  # 1 uF/cm^2 = 1e-2 F/m^2, 1 mS/cm^2 = 10 S/m^2
METHODS = ("exponential_euler", "rk4")
MAX_DT = {"exponential_euler": 0.2 * ms, "rk4": 0.05 * ms}
#: Gate tables (``gate_tables=True``): voltage grid relative to ``vt`` (V) and its spacing (V).
TABLE_RANGE, TABLE_STEP = (-150.0 * mV, 150.0 * mV), 0.01 * mV
#: Populations at least this large split their update over threads when ``threads > 1``. An HH
#: neuron costs ~10x a LIF neuron per step, so the start of a parallel region (a few us) pays off
#: for smaller populations than ``CodeWriter.PARALLEL_MIN_NEURONS``.
PARALLEL_MIN_NEURONS = 1_000


@numba.njit(cache=True, nogil=True)
def efun(x):
    """``x / (exp(x) - 1)`` with its limit 1 at ``x = 0`` (``1/exprel(x)``; accurate for all ``x``)."""
    if x == 0.0:
        return 1.0
    return x / math.expm1(x)


@numba.njit(cache=True, nogil=True)
def squid_rates(v):
    """Hodgkin–Huxley 1952 rates (1/s) at ``v`` (V), modern convention (rest -65 mV, 6.3 °C).

    The 1952 paper measures depolarisation from rest with the opposite sign; these are the
    forms of NEURON's ``hh.mod`` at ``celsius = 6.3`` (temperature factor 1).
    """
    u = v * 1e3
    am = efun(-(u + 40.0) / 10.0)                     # 0.1 (u+40) / (1 - exp(-(u+40)/10))
    bm = 4.0 * math.exp(-(u + 65.0) / 18.0)
    ah = 0.07 * math.exp(-(u + 65.0) / 20.0)
    bh = 1.0 / (1.0 + math.exp(-(u + 35.0) / 10.0))
    an = 0.1 * efun(-(u + 55.0) / 10.0)               # 0.01 (u+55) / (1 - exp(-(u+55)/10))
    bn = 0.125 * math.exp(-(u + 65.0) / 80.0)
    return 1e3 * am, 1e3 * bm, 1e3 * ah, 1e3 * bh, 1e3 * an, 1e3 * bn


@numba.njit(cache=True, nogil=True)
def traub_rates(v, vt):
    """Traub–Miles rates (1/s) at ``v`` (V) with threshold offset ``vt`` (V), as in Brian2's COBAHH."""
    u = (v - vt) * 1e3
    am = 1.28 * efun((13.0 - u) / 4.0)                # 0.32 (13-u) / (exp((13-u)/4) - 1)
    bm = 1.4 * efun((u - 40.0) / 5.0)                 # 0.28 (u-40) / (exp((u-40)/5) - 1)
    ah = 0.128 * math.exp((17.0 - u) / 18.0)
    bh = 4.0 / (1.0 + math.exp((40.0 - u) / 5.0))
    an = 0.16 * efun((15.0 - u) / 5.0)                # 0.032 (15-u) / (exp((15-u)/5) - 1)
    bn = 0.5 * math.exp((10.0 - u) / 40.0)
    return 1e3 * am, 1e3 * bm, 1e3 * ah, 1e3 * bh, 1e3 * an, 1e3 * bn


@numba.njit(cache=True, nogil=True)
def rates(traub, v, vt):
    """The six rates (1/s) of the squid (``traub`` False) or Traub–Miles model."""
    if traub:
        return traub_rates(v, vt)
    return squid_rates(v)


@numba.njit(cache=True, nogil=True)
def steady_state(traub, v, vt, m, h, n):
    """Set the gates to their steady state ``alpha/(alpha+beta)`` at voltages ``v`` (V)."""
    for i in range(v.shape[0]):
        am, bm, ah, bh, an, bn = rates(traub, v[i], vt[i])
        m[i] = am / (am + bm)
        h[i] = ah / (ah + bh)
        n[i] = an / (an + bn)


@numba.njit(cache=True, nogil=True)
def gate_propagators(traub, u, dt):
    """Exponential-Euler propagators of the gates at ``u = v - vt`` (V; ``vt`` is 0 for the squid):
    ``(m_inf, m_decay, h_inf, h_decay, n_inf, n_decay)`` with ``x_inf = alpha/(alpha+beta)`` and
    ``decay = exp(-(alpha+beta) dt)``, so that ``x <- x_inf + (x - x_inf) decay``."""
    am, bm, ah, bh, an, bn = rates(traub, u, 0.0)
    sm, sh, sn = am + bm, ah + bh, an + bn
    return am / sm, math.exp(-sm * dt), ah / sh, math.exp(-sh * dt), an / sn, math.exp(-sn * dt)


@numba.njit(cache=True, nogil=True)
def fill_gate_table(traub, u_min, step, dt, table):
    """Row ``j`` of ``table`` (rows, 6): the :func:`gate_propagators` at ``u = u_min + j step``."""
    for j in range(table.shape[0]):
        table[j, 0], table[j, 1], table[j, 2], table[j, 3], table[j, 4], table[j, 5] = \
            gate_propagators(traub, u_min + j * step, dt)


@numba.njit(cache=True, nogil=True)
def table_gate_propagators(table, u_min, inv_step, traub, u, dt):
    """:func:`gate_propagators` interpolated linearly in ``table`` (built by :func:`fill_gate_table`
    for the same ``dt``), computed exactly outside the table's voltage range."""
    x = (u - u_min) * inv_step
    if not (0.0 <= x < table.shape[0] - 1):  # also catches NaN
        return gate_propagators(traub, u, dt)
    j = int(x)
    f = x - j
    a, b = table[j], table[j + 1]
    return (a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]), a[2] + f * (b[2] - a[2]),
            a[3] + f * (b[3] - a[3]), a[4] + f * (b[4] - a[4]), a[5] + f * (b[5] - a[5]))


@numba.njit(cache=True, nogil=True)
def derivatives(traub, v, m, h, n, vt, cm, g_na, g_k, g_leak, e_na, e_k, e_leak, g_syn, drive):
    """``(dv/dt, dm/dt, dh/dt, dn/dt)`` with ``drive`` = injected + ``i.z + ge.z`` (A), ``g_syn = g.z`` (S)."""
    am, bm, ah, bh, an, bn = rates(traub, v, vt)
    g_nam = g_na * m * m * m * h
    g_kn = g_k * n * n * n * n
    dv = (g_nam * (e_na - v) + g_kn * (e_k - v) + g_leak * (e_leak - v) + drive - g_syn * v) / cm
    return dv, am * (1.0 - m) - bm * m, ah * (1.0 - h) - bh * h, an * (1.0 - n) - bn * n


@numba.njit(cache=True, nogil=True)
def hh_update(v, m, h, n, ref_left, i_ext, i_offset, cm, g_na, g_k, g_leak, e_na, e_k, e_leak, vt,
              v_thresh, ref_time, z, phi, i_coef, g_coef, ge_coef, work, traub, rk4, dt, spikes, nspk):
    """Advance ``v, m, h, n`` and the receptor rows ``z`` by one step; write spiking indices to ``spikes``.

    ``ref_left`` (s) is the refractory time still to run at the start of the step, ``ref_time``
    (s) the refractory period rounded to whole steps; ``work`` is scratch of length ``z.shape[0]``.
    """
    n_rows = z.shape[0]
    count = 0
    for i in range(v.shape[0]):
        g_syn = 0.0
        drive = i_ext[i] + i_offset[i]
        for s in range(n_rows):
            work[s] = z[s, i]
            g_syn += g_coef[s] * work[s]
            drive += (ge_coef[s] + i_coef[s]) * work[s]
        v0, m0, h0, n0 = v[i], m[i], h[i], n[i]
        if rk4:
            args = (vt[i], cm[i], g_na[i], g_k[i], g_leak[i], e_na[i], e_k[i], e_leak[i], g_syn, drive)
            k1v, k1m, k1h, k1n = derivatives(traub, v0, m0, h0, n0, *args)
            half = 0.5 * dt
            k2v, k2m, k2h, k2n = derivatives(traub, v0 + half * k1v, m0 + half * k1m, h0 + half * k1h,
                                             n0 + half * k1n, *args)
            k3v, k3m, k3h, k3n = derivatives(traub, v0 + half * k2v, m0 + half * k2m, h0 + half * k2h,
                                             n0 + half * k2n, *args)
            k4v, k4m, k4h, k4n = derivatives(traub, v0 + dt * k3v, m0 + dt * k3m, h0 + dt * k3h,
                                             n0 + dt * k3n, *args)
            sixth = dt / 6.0
            v1 = v0 + sixth * (k1v + 2.0 * k2v + 2.0 * k3v + k4v)
            m[i] = m0 + sixth * (k1m + 2.0 * k2m + 2.0 * k3m + k4m)
            h[i] = h0 + sixth * (k1h + 2.0 * k2h + 2.0 * k3h + k4h)
            n[i] = n0 + sixth * (k1n + 2.0 * k2n + 2.0 * k3n + k4n)
        else:
            am, bm, ah, bh, an, bn = rates(traub, v0, vt[i])
            g_nam = g_na[i] * m0 * m0 * m0 * h0
            g_kn = g_k[i] * n0 * n0 * n0 * n0
            g_total = g_nam + g_kn + g_leak[i] + g_syn
            v_inf = (g_nam * e_na[i] + g_kn * e_k[i] + g_leak[i] * e_leak[i] + drive) / g_total
            v1 = v_inf + (v0 - v_inf) * math.exp(-g_total * dt / cm[i])
            s = am + bm
            m[i] = am / s + (m0 - am / s) * math.exp(-s * dt)
            s = ah + bh
            h[i] = ah / s + (h0 - ah / s) * math.exp(-s * dt)
            s = an + bn
            n[i] = an / s + (n0 - an / s) * math.exp(-s * dt)
        v[i] = v1
        ref = ref_left[i]
        ref_left[i] = max(ref - dt, 0.0)
        if v0 <= v_thresh[i] < v1 and ref - dt <= 0.5 * dt:
            spikes[count] = i
            count += 1
            ref_left[i] = ref_time[i]
        for s in range(n_rows):
            acc = 0.0
            for q in range(n_rows):
                acc += phi[s, q] * work[q]
            z[s, i] = acc
    nspk[0] = count


class _HHBase(Population):
    """Shared build and code of the HH models; subclasses set the specs, ``densities`` and ``traub``."""

    traub = False
    k_name = "g_k"
    densities: ClassVar[dict[str, float]] = {}  # parameter -> its value per m^2 (SI), scaled by ``area``
    options: ClassVar[dict[str, str]] = {"method": "'exponential_euler' or 'rk4'",
                                         "gate_tables": "interpolated gate propagators (faster; see hh.py)"}

    def __init__(self, name, n, params=None, receptors=None, initial=None, method="exponential_euler",
                 gate_tables=False):
        super().__init__(name, n, params, receptors, initial)
        given = params or {}
        for key, density in self.densities.items():
            if key not in given:
                self.params[key] = density * self.params["area"]
        if method not in METHODS:
            raise ParameterError(f"population '{name}': method", method,
                                 f"one of {METHODS}{did_you_mean(method, METHODS)}")
        if not isinstance(gate_tables, bool):
            raise ParameterError(f"population '{name}': gate_tables", gate_tables, "True or False")
        if gate_tables and method != "exponential_euler":
            raise ParameterError(f"population '{name}': gate_tables", gate_tables,
                                 "False with method 'rk4' (tables hold exponential-Euler propagators)")
        self.method, self.gate_tables = method, gate_tables

    def current(self, density) -> np.ndarray:
        """Current per neuron (A) for a current density (A/m^2 or a string such as ``"10 uA/cm^2"``)."""
        if isinstance(density, (str, list, tuple)):
            density = to_si(density, "current_density", f"population '{self.name}': current density")
        return np.asarray(density, float) * self.params["area"]

    def build(self, dt: float, dtype: type[np.floating], rng: np.random.Generator) -> None:
        """As :meth:`Population.build`; gates not given in ``initial`` start at steady state."""
        super().build(dt, dtype, rng)
        gates = {gate: np.empty(self.n) for gate in "mhn"}
        steady_state(self.traub, self.state["v"].astype(float), self.kernel["vt"], gates["m"], gates["h"], gates["n"])
        for gate, value in gates.items():
            if gate not in self.initial:
                self.state[gate][:] = value

    def prepare(self, dt: float) -> None:
        if dt > MAX_DT[self.method]:
            raise ParameterError(f"population '{self.name}' ({self.model}, {self.method}): dt", dt,
                                 f"a time step <= {MAX_DT[self.method] / ms:g} ms (the action potential is "
                                 "not resolved above it; see neurosim.core.neurons.hh)")
        p = self.params
        assert self.bank is not None  # built
        self.kernel = {
            "i_offset": p["i_offset"], "cm": p["cm"], "g_na": p["g_na"], "g_k": p[self.k_name],
            "g_leak": p["g_leak"], "e_na": p["e_na"], "e_k": p["e_k"], "e_leak": p["e_leak"],
            "vt": p["vt"] if self.traub else np.zeros(self.n), "v_thresh": p["v_thresh"],
            "ref_time": to_steps(p["tau_refrac"], dt, "refractory", f"population '{self.name}': tau_refrac") * dt,
            "phi": self.bank.phi,
            "i_coef": self.bank.i_coef, "g_coef": self.bank.g_coef, "ge_coef": self.bank.ge_coef,
            "work": np.zeros(self.bank.n_rows),
        }
        if self.gate_tables:
            rows = round((TABLE_RANGE[1] - TABLE_RANGE[0]) / TABLE_STEP) + 1
            self.table = np.empty((rows, 6))
            fill_gate_table(self.traub, TABLE_RANGE[0], TABLE_STEP, dt, self.table)

    def arrays(self):
        arrays = super().arrays()
        if self.method == "rk4":
            arrays.update({f"k_{key}": np.ascontiguousarray(value, self.dtype) for key, value in self.kernel.items()})
        return arrays

    def emit_update(self, w: CodeWriter) -> None:
        if self.method == "rk4":
            self._emit_kernel_call(w)
        else:
            self._emit_exponential_euler(w)

    def _emit_kernel_call(self, w):
        r = (lambda local: w.ref(self, local))
        k = (lambda key: r(f"k_{key}"))
        w.add_import("from neurosim.core.neurons.hh import hh_update")
        w.add_lines("update", self,
            f"hh_update({r('v')}, {r('m')}, {r('h')}, {r('n')}, {r('ref_left')}, {r('i_ext')}, {k('i_offset')}, "
            f"{k('cm')}, {k('g_na')}, {k('g_k')}, {k('g_leak')}, {k('e_na')}, {k('e_k')}, {k('e_leak')}, "
            f"{k('vt')}, {k('v_thresh')}, {k('ref_time')}, {r('z')}, {k('phi')}, {k('i_coef')}, {k('g_coef')}, "
            f"{k('ge_coef')}, {k('work')}, {self.traub}, {self.method == 'rk4'}, dt, {r('spikes')}, {r('nspk')})")

    def _emit_exponential_euler(self, w):
        """Exponential Euler specialised to this population, the same arithmetic as :func:`hh_update`:
        homogeneous parameters become literals, receptor rows are unrolled, and the gate
        propagators come from :func:`gate_propagators` (exact) or :func:`table_gate_propagators`.
        Every local is assigned once, so the neuron loop can run as a parallel (prange) loop; a
        second, serial loop collects the spiking indices in order."""
        q = w.prefix(self) + "__"
        arr = (lambda local: w.ref(self, local))
        k = (lambda key: w.value(self, f"k_{key}", np.asarray(self.kernel[key], self.dtype)))
        v, z, bank, rows = arr("v"), arr("z"), self.bank, range(self.bank.n_rows)
        current = f"{arr('i_ext')}[i] + {k('i_offset')}" if self.has_input else k("i_offset")
        g_syn = " + ".join(f"{w.constant(self, f'g_coef{s}', bank.g_coef[s])} * {q}z{s}"
                           for s in rows if bank.g_coef[s]) or "0.0"
        drive = " + ".join([current] + [
            f"{w.constant(self, f'i_coef{s}', bank.ge_coef[s] + bank.i_coef[s])} * {q}z{s}"
            for s in rows if bank.ge_coef[s] or bank.i_coef[s]])
        u = f"{q}v0 - {k('vt')}" if self.traub else f"{q}v0"
        if self.gate_tables:
            w.add_argument(arr("table"), self.table.astype(self.dtype))
            w.add_import("from neurosim.core.neurons.hh import table_gate_propagators")
            gates = (f"table_gate_propagators({arr('table')}, {TABLE_RANGE[0]!r}, {1.0 / TABLE_STEP!r}, "
                     f"{self.traub}, {u}, dt)")
        else:
            w.add_import("from neurosim.core.neurons.hh import gate_propagators")
            gates = f"gate_propagators({self.traub}, {u}, dt)"
        body = [f"{q}z{s} = {z}[{s}, i]" for s in rows]
        body += [f"{q}v0 = {v}[i]",
                 f"{q}m0 = {arr('m')}[i]",
                 f"{q}h0 = {arr('h')}[i]",
                 f"{q}n0 = {arr('n')}[i]",
                 f"{q}minf, {q}mdec, {q}hinf, {q}hdec, {q}ninf, {q}ndec = {gates}",
                 f"{q}gna = {k('g_na')} * {q}m0 * {q}m0 * {q}m0 * {q}h0",
                 f"{q}gk = {k('g_k')} * {q}n0 * {q}n0 * {q}n0 * {q}n0",
                 f"{q}gtot = {q}gna + {q}gk + {k('g_leak')} + {g_syn}",
                 (f"{q}vinf = ({q}gna * {k('e_na')} + {q}gk * {k('e_k')} + {k('g_leak')} * {k('e_leak')} "
                  f"+ {drive}) / {q}gtot"),
                 f"{q}v1 = {q}vinf + ({q}v0 - {q}vinf) * {w.exp_call()}(-{q}gtot * dt / {k('cm')})",
                 f"{v}[i] = {q}v1",
                 f"{arr('m')}[i] = {q}minf + ({q}m0 - {q}minf) * {q}mdec",
                 f"{arr('h')}[i] = {q}hinf + ({q}h0 - {q}hinf) * {q}hdec",
                 f"{arr('n')}[i] = {q}ninf + ({q}n0 - {q}ninf) * {q}ndec",
                 f"{q}ref = {arr('ref_left')}[i] - dt",
                 f"{q}spike = ({q}v0 <= {k('v_thresh')}) & ({k('v_thresh')} < {q}v1) & ({q}ref <= 0.5 * dt)",
                 f"{arr('ref_left')}[i] = {k('ref_time')} if {q}spike else max({q}ref, 0.0)",
                 f"{arr('fired')}[i] = {q}spike"]
        body += [f"{z}[{s}, i] = " + " + ".join(f"{w.constant(self, f'phi{s}_{col}', bank.phi[s, col])} * {q}z{col}"
                                                for col in rows if bank.phi[s, col])
                 for s in rows]
        loop = f"for i in {w.loop(self.n, PARALLEL_MIN_NEURONS)}:"
        w.add_lines("update", self, [loop] + ["    " + line for line in body])
        self.emit_spike_collection(w)


_GATES = {"m": ("dimensionless", 0.0), "h": ("dimensionless", 0.0), "n": ("dimensionless", 0.0),
          "ref_left": ("time", 0.0)}  # gates not given in ``initial`` are set to steady state at build


class HHSquid(_HHBase):
    """Hodgkin & Huxley (1952) squid giant axon at 6.3 °C; defaults for a 10 000 um^2 membrane.

    Densities: cm 1 uF/cm^2, g_na 120, g_k 36, g_leak 0.3 mS/cm^2 (NEST ``hh_psc_alpha``: 100 pF,
    12 uS, 3.6 uS, 30 nS on this area). e_leak -54.387 mV puts rest at -65.0 mV (NEURON's
    ``hh.mod`` rounds it to -54.3 mV). Spikes are detected at 0 mV (NEST's criterion).
    """

    model = "hh_squid"
    convention = "Hodgkin & Huxley 1952 / NEURON hh.mod; NEST hh_psc_alpha names (PyNN style)"
    densities: ClassVar[dict[str, float]] = {
        "cm": 1.0 * UF_PER_CM2, "g_na": 120.0 * MS_PER_CM2, "g_k": 36.0 * MS_PER_CM2, "g_leak": 0.3 * MS_PER_CM2}
    param_spec: ClassVar[dict[str, Param]] = {
        "area": Param("area", "area", 10_000 * um2, "positive", "membrane area: scales the density defaults"),
        "cm": Param("cm", "capacitance", 100e-12, "positive", "membrane capacitance (default 1 uF/cm^2 x area)"),
        "g_na": Param("g_na", "conductance", 12e-6, "nonnegative", "peak Na conductance (120 mS/cm^2 x area)"),
        "g_k": Param("g_k", "conductance", 3.6e-6, "nonnegative", "peak K conductance (36 mS/cm^2 x area)"),
        "g_leak": Param("g_leak", "conductance", 30e-9, "positive", "leak conductance (0.3 mS/cm^2 x area)"),
        "e_na": Param("e_na", "voltage", 50.0 * mV, "any", "Na reversal potential"),
        "e_k": Param("e_k", "voltage", -77.0 * mV, "any", "K reversal potential"),
        "e_leak": Param("e_leak", "voltage", -54.387 * mV, "any", "leak reversal potential"),
        "v_thresh": Param("v_thresh", "voltage", 0.0, "any", "spike detection: upward crossing of this voltage"),
        "tau_refrac": Param("tau_refrac", "time", 2.0 * ms, "nonnegative", "no new spike detected for this time"),
        "i_offset": Param("i_offset", "current", 0.0, "any", "constant injected current"),
    }
    state_spec: ClassVar[dict[str, tuple[str, object]]] = {"v": ("voltage", -65.0 * mV), **_GATES}


class HHTraub(_HHBase):
    """Traub & Miles (1991) HH as in the COBAHH benchmark (Brette et al. 2007; Brian2's example).

    Area 20 000 um^2: cm 200 pF (1 uF/cm^2), g_leak 10 nS (0.05 mS/cm^2), g_na 20 uS (100 mS/cm^2),
    g_kd 6 uS (30 mS/cm^2); e_leak -60, e_k -90, e_na +50 mV; rates shifted by vt = -63 mV;
    spikes detected at -20 mV with a 3 ms refractory period. ``v`` starts at ``e_leak``.
    """

    model = "hh_traub"
    convention = "Brette et al. 2007 COBAHH / Brian2 example; PyNN-style names"
    traub = True
    k_name = "g_kd"
    densities: ClassVar[dict[str, float]] = {
        "cm": 1.0 * UF_PER_CM2, "g_na": 100.0 * MS_PER_CM2, "g_kd": 30.0 * MS_PER_CM2, "g_leak": 0.05 * MS_PER_CM2}
    param_spec: ClassVar[dict[str, Param]] = {
        "area": Param("area", "area", 20_000 * um2, "positive", "membrane area: scales the density defaults"),
        "cm": Param("cm", "capacitance", 200e-12, "positive", "membrane capacitance (default 1 uF/cm^2 x area)"),
        "g_na": Param("g_na", "conductance", 20e-6, "nonnegative", "peak Na conductance (100 mS/cm^2 x area)"),
        "g_kd": Param("g_kd", "conductance", 6e-6, "nonnegative",
                      "peak delayed-rectifier K conductance (30 mS/cm^2 x area)"),
        "g_leak": Param("g_leak", "conductance", 10e-9, "positive", "leak conductance (0.05 mS/cm^2 x area)"),
        "e_na": Param("e_na", "voltage", 50.0 * mV, "any", "Na reversal potential"),
        "e_k": Param("e_k", "voltage", -90.0 * mV, "any", "K reversal potential"),
        "e_leak": Param("e_leak", "voltage", -60.0 * mV, "any", "leak reversal potential"),
        "vt": Param("vt", "voltage", -63.0 * mV, "any", "offset of the rate functions (VT)"),
        "v_thresh": Param("v_thresh", "voltage", -20.0 * mV, "any", "spike detection: upward crossing of this voltage"),
        "tau_refrac": Param("tau_refrac", "time", 3.0 * ms, "nonnegative", "no new spike detected for this time"),
        "i_offset": Param("i_offset", "current", 0.0, "any", "constant injected current"),
    }
    state_spec: ClassVar[dict[str, tuple[str, object]]] = {"v": ("voltage", "e_leak"), **_GATES}

