"""Leaky integrate-and-fire neurons: ``tau_m dv/dt = -(v - v_rest) + R*I`` with ``R = tau_m/cm``.

Two parameterisations share one update:

- :class:`LIF`, dimensional, with PyNN's ``IF_curr_exp`` / ``IF_cond_exp`` names and defaults
  (cm 1 nF, tau_m 20 ms, v_rest = v_reset = -65 mV, v_thresh -50 mV, tau_refrac 0.1 ms).
- :class:`LIFDimensionless`, the course notes' and Nengo's form ``tau_rc dv/dt = J - v`` with
  threshold 1, reset 0, a per-neuron ``bias`` and Nengo's clamp of ``v`` at ``min_voltage`` 0.

Integration: with only current-based receptors the membrane and the synaptic states are
propagated exactly over a step (the input ``i_ext`` held constant, as Brian2's ``exact`` method and
NEST's ``iaf_psc_*`` do); with conductance-based receptors the membrane uses exponential Euler
(conductances held over the step, as Brian2's ``exponential_euler``). During the refractory period
``v`` is clamped (Brian2's ``unless refractory``) while synapses keep decaying.

Delta receptors (``Synapse(kind="delta")``, weight in the unit of ``v``) add their weights to
``v`` when they arrive, after the update of the step (Brian2's ``synapses`` slot, so the jump
is seen by the next step's threshold); weights arriving while the neuron is refractory (in its
spike step and the clamped steps after it) are dropped, as NEST's ``iaf_psc_delta``
(``refractory_input=False``) and Brian2's ``on_pre='v += w'`` on a ``(unless refractory)``
equation do.

Spike timing: ``"step"`` (Brian2 and NEST grid semantics: a spike at the end of the step in which
``v`` exceeds threshold, refractory periods in whole steps by Brian2's rule, ``core.timegrid``)
or ``"precise"`` (Nengo's: the crossing time inside the step is interpolated from the exact solution and the refractory
period starts there, so rates have no dt quantisation; requires receptor-free input).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from ...errors import ParameterError
from ..params import Param
from ..population import Population
from ..synapses import current_coupling
from ..timegrid import to_steps
from .rate import activation_values

if TYPE_CHECKING:
    from ..codegen import CodeWriter

mV, ms, nF, nA = 1e-3, 1e-3, 1e-9, 1e-9
SPIKE_TIMINGS = ("step", "precise")


class _LIFBase(Population):
    """Shared build and code of both LIF parameterisations (kernel arguments in SI units)."""

    batchable = True

    supports_delta = True

    state_spec: ClassVar[dict[str, tuple[str, object]]] = {"v": ("voltage", "v_rest"), "ref_left": ("time", 0.0)}
    default_timing = "step"
    refractory_name = "tau_refrac"
    options: ClassVar[dict[str, str]] = {
        "spike_timing": "'step' (Brian2/NEST grid) or 'precise' (Nengo's interpolation)"}

    def __init__(self, name, n, params=None, receptors=None, initial=None, spike_timing=None):
        super().__init__(name, n, params, receptors, initial)
        self.spike_timing = spike_timing or self.default_timing
        if self.spike_timing not in SPIKE_TIMINGS:
            raise ParameterError(f"population '{name}': spike_timing", self.spike_timing, f"one of {SPIKE_TIMINGS}")
        membrane = self.membrane()
        if np.any(membrane["v_thresh"] <= membrane["v_reset"]):
            key = "v_thresh" if "v_thresh" in self.param_spec else "tau_rc"
            raise ParameterError(f"population '{name}': v_thresh", f"{np.min(membrane['v_thresh']):g} V",
                                 f"a threshold above v_reset ({np.max(membrane['v_reset']):g} V)",
                                 owner=("population", name), key=f"params.{key}")
        if self.spike_timing == "precise" and self.receptors:
            raise ParameterError(f"population '{name}': spike_timing", "precise",
                                 "'step' for populations with receptors "
                                 "(precise timing needs input held over the step)")

    def membrane(self) -> dict[str, np.ndarray]:
        """Kernel parameters in the dimensional form: v_rest, r_m, tau_m, v_thresh, v_reset, tau_refrac,
        i_offset, v_min."""
        raise NotImplementedError

    def prepare(self, dt: float) -> None:
        m = self.membrane()
        if self.spike_timing == "step":
            owner = f"population '{self.name}': {self.refractory_name}"
            ref_time = to_steps(m["tau_refrac"], dt, "refractory", owner) * dt
        else:
            ref_time = m["tau_refrac"]
        bank = self.bank
        assert bank is not None  # built
        self.kernel = {  # arrays of the dimensional form, in SI units
            "i_offset": m["i_offset"], "v_rest": m["v_rest"], "r_m": m["r_m"], "tau_m": m["tau_m"],
            "decay": np.exp(-dt / m["tau_m"]), "v_thresh": m["v_thresh"], "v_reset": m["v_reset"],
            "ref_time": ref_time, "v_min": m["v_min"], "phi": bank.phi,
            "coupling": current_coupling(bank, m["tau_m"], m["r_m"], dt),
            "i_coef": bank.i_coef, "g_coef": bank.g_coef, "ge_coef": bank.ge_coef,
        }

    def jump_target(self, w: CodeWriter) -> str:
        """Code arguments ``v, ref_left`` for kernels that add voltage jumps (delta receptors)."""
        return f"{w.ref(self, 'v')}, {w.ref(self, 'ref_left')}"

    def emit_update(self, w: CodeWriter) -> None:
        """Emit the update specialised to this population: homogeneous parameters become literals,
        receptor rows are unrolled, and in step mode the loop (update, threshold, reset in Brian2's
        order) has no branches so that it vectorises; a second loop collects the spiking indices."""
        q = w.prefix(self) + "__"  # prefix of this update's local variables
        w.add_import("import math")
        arr = (lambda local: w.ref(self, local))
        k = (lambda key: w.value(self, f"k_{key}", self.kernel[key].astype(self.dtype)))
        v, ref, z = arr("v"), arr("ref_left"), arr("z")
        current = f"({arr('i_ext')}[i] + {k('i_offset')})" if self.has_input else k("i_offset")
        bank = self.bank
        assert bank is not None  # built
        rows = range(bank.n_rows)
        body = [f"{q}z{s} = {z}[{s}, i]" for s in rows]
        v_min = "" if np.all(np.isneginf(self.kernel["v_min"])) else k("v_min")
        if self.spike_timing == "precise":
            body += [f"{q}ref = {ref}[i]",
                     f"{q}active = min(max(dt - {q}ref, 0.0), dt)",
                     f"{ref}[i] = {q}ref - dt",
                     f"{q}vinf = {k('v_rest')} + {k('r_m')} * {current}",
                     f"{q}v = {v}[i]",
                     f"if {q}active == dt:",
                     f"    {q}v = {q}vinf + ({q}v - {q}vinf) * {k('decay')}",
                     f"elif {q}active > 0.0:",
                     f"    {q}v = {q}vinf + ({q}v - {q}vinf) * math.exp(-{q}active / {k('tau_m')})",
                     f"if {q}active > 0.0 and {q}v > {k('v_thresh')}:",
                     f"    {arr('spikes')}[{q}count] = i",
                     f"    {q}count += 1",
                     (f"    {ref}[i] = {k('ref_time')} + {k('tau_m')} * math.log1p(({q}v - {k('v_thresh')}) / "
                      f"({k('v_thresh')} - {q}vinf))"),
                     f"    {q}v = {k('v_reset')}",
                     f"{v}[i] = max({q}v, {v_min})" if v_min else f"{v}[i] = {q}v"]
            loop = [f"{q}count = 0", f"for i in range({self.n}):", *("    " + line for line in body)]
            w.add_lines("update", self, loop)
            w.add_lines("update", self, f"{arr('nspk')}[0] = {q}count")
        else:
            # every local is assigned once, so the loop can also run as a parallel (prange) loop
            body += [f"{q}ref = {ref}[i] - dt"]
            if bank.has_conductance:
                g = " + ".join([f"{w.constant(self, f'g_coef{s}', bank.g_coef[s])} * {q}z{s}"
                                for s in rows if bank.g_coef[s]] or ["0.0"])
                drive = " + ".join([current] + [
                    f"{w.constant(self, f'i_coef{s}', bank.ge_coef[s] + bank.i_coef[s])} * {q}z{s}"
                    for s in rows if bank.ge_coef[s] or bank.i_coef[s]])
                body += [f"{q}leak = 1.0 + {k('r_m')} * ({g})",
                         f"{q}vinf = ({k('v_rest')} + {k('r_m')} * ({drive})) / {q}leak",
                         f"{q}vint = {q}vinf + ({v}[i] - {q}vinf) * {w.exp_call()}(-dt * {q}leak / {k('tau_m')})"]
            else:
                coupled = "".join(f" + {w.value(self, f'k_coupling{s}', self.kernel['coupling'][s].astype(self.dtype))}"
                                  f" * {q}z{s}" for s in rows)
                body += [f"{q}vinf = {k('v_rest')} + {k('r_m')} * {current}",
                         f"{q}vint = {q}vinf + ({v}[i] - {q}vinf) * {k('decay')}{coupled}"]
            integrated = f"max({q}vint, {v_min})" if v_min else f"{q}vint"
            # refractory clamp, threshold and reset as selects: the loop stays branch-free and vectorises
            body += [f"{q}vnew = {v}[i] if {q}ref > 0.5 * dt else {integrated}",
                     f"{q}spike = ({q}ref <= 0.5 * dt) & ({q}vnew > {k('v_thresh')})",
                     f"{v}[i] = {k('v_reset')} if {q}spike else {q}vnew",
                     f"{ref}[i] = {k('ref_time')} if {q}spike else {q}ref",
                     f"{arr('fired')}[i] = {q}spike"]
            # receptor states propagate exactly, also during the refractory period
            body += [f"{z}[{s}, i] = " + " + ".join(f"{w.constant(self, f'phi{s}_{col}', bank.phi[s, col])} * {q}z{col}"
                                                    for col in rows if bank.phi[s, col])
                     for s in rows]
            w.add_lines("update", self, [f"for i in {w.loop(self.n)}:"] + ["    " + line for line in body])
            self.emit_spike_collection(w)


class LIF(_LIFBase):
    """Dimensional LIF with PyNN names and ``IF_curr_exp`` defaults; input ``i_ext`` in amperes."""

    model = "lif"
    convention = "PyNN IF_curr_exp / IF_cond_exp"
    param_spec: ClassVar[dict[str, Param]] = {
        "cm": Param("cm", "capacitance", 1.0 * nF, "positive", "membrane capacitance"),
        "tau_m": Param("tau_m", "time", 20.0 * ms, "positive", "membrane time constant"),
        "v_rest": Param("v_rest", "voltage", -65.0 * mV, "any", "resting potential"),
        "v_reset": Param("v_reset", "voltage", -65.0 * mV, "any", "reset potential after a spike"),
        "v_thresh": Param("v_thresh", "voltage", -50.0 * mV, "any", "spike threshold"),
        "tau_refrac": Param("tau_refrac", "time", 0.1 * ms, "nonnegative", "absolute refractory period"),
        "i_offset": Param("i_offset", "current", 0.0, "any", "constant injected current"),
    }

    def membrane(self):
        p = self.params
        return {"v_rest": p["v_rest"], "r_m": p["tau_m"] / p["cm"], "tau_m": p["tau_m"], "v_thresh": p["v_thresh"],
                "v_reset": p["v_reset"], "tau_refrac": p["tau_refrac"], "i_offset": p["i_offset"],
                "v_min": np.full(self.n, -np.inf)}


class LIFDimensionless(_LIFBase):
    """The notes' and Nengo's LIF: ``tau_rc dv/dt = J - v``, threshold 1, reset 0; input ``J`` dimensionless."""

    model = "lif_dimensionless"
    convention = "Nengo LIF (tau_rc, tau_ref, min_voltage)"
    default_timing = "precise"
    refractory_name = "tau_ref"
    input_dimension = "dimensionless"
    state_spec: ClassVar[dict[str, tuple[str, object]]] = {"v": ("dimensionless", 0.0), "ref_left": ("time", 0.0)}
    param_spec: ClassVar[dict[str, Param]] = {
        "tau_rc": Param("tau_rc", "time", 20.0 * ms, "positive", "membrane RC time constant"),
        "tau_ref": Param("tau_ref", "time", 2.0 * ms, "nonnegative", "absolute refractory period"),
        "bias": Param("bias", "dimensionless", 0.0, "any", "constant input current J_bias"),
        "min_voltage": Param("min_voltage", "dimensionless", 0.0, "any", "lower clamp of v (Nengo's default 0)"),
    }

    def membrane(self):
        p, n = self.params, self.n
        return {"v_rest": np.zeros(n), "r_m": np.ones(n), "tau_m": p["tau_rc"], "v_thresh": np.ones(n),
                "v_reset": np.zeros(n), "tau_refrac": p["tau_ref"], "i_offset": p["bias"],
                "v_min": p["min_voltage"]}


def lif_rate(j, tau_rc=0.02, tau_ref=0.002):
    """Analytic firing rate (Hz) of the dimensionless LIF for constant input ``j``.

    ``r = 1 / (tau_ref + tau_rc * log1p(1/(j - 1)))`` for ``j > 1``, else 0 (equal to the
    literature's ``1/(tau_ref - tau_rc ln(1 - 1/j))``; log1p keeps it accurate near ``j = 1``). The
    course notes print ``1/(tau_m ln(1 - v_in))``, which drops the refractory period and inverts
    the argument of the logarithm; this follows the literature (Eliasmith & Anderson 2003).
    """
    return activation_values("lif", j, tau_rc, tau_ref)  # the rate units' compiled curve: one definition
