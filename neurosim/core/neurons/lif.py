"""Leaky integrate-and-fire neurons: ``tau_m dv/dt = -(v - v_rest) + R*I`` with ``R = tau_m/cm``.

Two parameterisations share one kernel:

- :class:`LIF`, dimensional, with PyNN's ``IF_curr_exp`` / ``IF_cond_exp`` names and defaults
  (cm 1 nF, tau_m 20 ms, v_rest = v_reset = -65 mV, v_thresh -50 mV, tau_refrac 0.1 ms).
- :class:`LIFDimensionless`, the course notes' and Nengo's form ``tau_rc dv/dt = J - v`` with
  threshold 1, reset 0, a per-neuron ``bias`` and Nengo's clamp of ``v`` at ``min_voltage`` 0.

Integration: with only current-based receptors the membrane and the synaptic states are
propagated exactly over a step (the input ``i_ext`` held constant, as Brian2's ``exact`` method and
NEST's ``iaf_psc_*`` do); with conductance-based receptors the membrane uses exponential Euler
(conductances held over the step, as Brian2's ``exponential_euler``). During the refractory period
``v`` is clamped (Brian2's ``unless refractory``) while synapses keep decaying.

Spike timing: ``"step"`` (Brian2 and NEST grid semantics: a spike at the end of the step in which
``v`` exceeds threshold, refractory periods rounded to whole steps) or ``"precise"`` (Nengo's:
the crossing time inside the step is interpolated from the exact solution and the refractory
period starts there, so rates have no dt quantisation; requires receptor-free input).
"""
from __future__ import annotations

import math

import numba
import numpy as np

from ...errors import ParameterError
from ..params import Param
from ..network import Population
from ..synapses import current_coupling

mV, ms, nF, nA = 1e-3, 1e-3, 1e-9, 1e-9
SPIKE_TIMINGS = ("step", "precise")


@numba.njit(cache=True, nogil=True)
def lif_update(v, ref_left, i_ext, i_offset, v_rest, r_m, tau_m, decay, v_thresh, v_reset, ref_time,
               v_min, z, phi, coupling, i_coef, g_coef, ge_coef, conductance, precise, dt, spikes, nspk):
    """Advance ``v`` and the receptor states ``z`` by one step; write spiking indices to ``spikes``.

    ``ref_left`` is the refractory time (s) still to run at the start of the step; ``decay`` is
    ``exp(-dt/tau_m)`` and ``coupling`` the exact propagator from current-based receptor states
    to ``v`` (see ``synapses.current_coupling``).
    """
    n_rows = z.shape[0]
    count = 0
    zs = np.empty(n_rows)
    for i in range(v.shape[0]):
        ref = ref_left[i]
        if precise:
            active = min(max(dt - ref, 0.0), dt)
        else:
            active = 0.0 if ref - dt > 0.5 * dt else dt
        ref_left[i] = ref - dt
        current = i_ext[i] + i_offset[i]
        for s in range(n_rows):
            zs[s] = z[s, i]
        v_inf = v_rest[i] + r_m[i] * current
        if active > 0.0:
            vi = v[i]
            if conductance:
                g_total = 0.0
                drive = current
                for s in range(n_rows):
                    g_total += g_coef[s] * zs[s]
                    drive += ge_coef[s] * zs[s] + i_coef[s] * zs[s]
                leak = 1.0 + r_m[i] * g_total
                v_inf = (v_rest[i] + r_m[i] * drive) / leak
                vi = v_inf + (vi - v_inf) * math.exp(-active * leak / tau_m[i])
            elif active == dt:
                vi = v_inf + (vi - v_inf) * decay[i]
                for s in range(n_rows):
                    vi += coupling[s, i] * zs[s]
            else:
                vi = v_inf + (vi - v_inf) * math.exp(-active / tau_m[i])
            if vi > v_thresh[i]:
                spikes[count] = i
                count += 1
                if precise:
                    after = -tau_m[i] * math.log1p((vi - v_thresh[i]) / (v_thresh[i] - v_inf))
                    ref_left[i] = ref_time[i] - after
                else:
                    ref_left[i] = ref_time[i]
                vi = v_reset[i]
            v[i] = max(vi, v_min[i])
        for s in range(n_rows):
            acc = 0.0
            for q in range(n_rows):
                acc += phi[s, q] * zs[q]
            z[s, i] = acc
    nspk[0] = count


class _LIFBase(Population):
    """Shared build and code of both LIF parameterisations (kernel arguments in SI units)."""

    state_spec = {"v": ("voltage", "v_rest"), "ref_left": ("time", 0.0)}
    default_timing = "step"

    def __init__(self, name, n, params=None, receptors=None, initial=None, spike_timing=None):
        super().__init__(name, n, params, receptors, initial)
        self.spike_timing = spike_timing or self.default_timing
        if self.spike_timing not in SPIKE_TIMINGS:
            raise ParameterError(f"population '{name}': spike_timing", self.spike_timing, f"one of {SPIKE_TIMINGS}")
        if self.spike_timing == "precise" and self.receptors:
            raise ParameterError(f"population '{name}': spike_timing", "precise",
                                 "'step' for populations with receptors (precise timing needs input held over the step)")

    def membrane(self) -> dict[str, np.ndarray]:
        """Kernel parameters in the dimensional form: v_rest, r_m, tau_m, v_thresh, v_reset, tau_refrac, i_offset, v_min."""
        raise NotImplementedError

    def prepare(self, dt):
        m = self.membrane()
        if self.spike_timing == "step":
            ref_time = np.round(m["tau_refrac"] / dt) * dt
        else:
            ref_time = m["tau_refrac"]
        bank = self.bank
        self.kernel = {
            "i_offset": m["i_offset"], "v_rest": m["v_rest"], "r_m": m["r_m"], "tau_m": m["tau_m"],
            "decay": np.exp(-dt / m["tau_m"]), "v_thresh": m["v_thresh"], "v_reset": m["v_reset"],
            "ref_time": ref_time, "v_min": m["v_min"], "phi": bank.phi,
            "coupling": current_coupling(bank, m["tau_m"], m["r_m"], dt),
            "i_coef": bank.i_coef, "g_coef": bank.g_coef, "ge_coef": bank.ge_coef,
        }

    def arrays(self):
        arrays = super().arrays()
        arrays.update({f"k_{key}": np.ascontiguousarray(value, self.dtype) for key, value in self.kernel.items()})
        return arrays

    def emit_update(self, w):
        r = (lambda local: w.ref(self, local))
        w.imports.add("from neurosim.core.neurons.lif import lif_update")
        k = (lambda key: r(f"k_{key}"))
        w.lines["update"].append(
            f"lif_update({r('v')}, {r('ref_left')}, {r('i_ext')}, {k('i_offset')}, {k('v_rest')}, {k('r_m')}, "
            f"{k('tau_m')}, {k('decay')}, {k('v_thresh')}, {k('v_reset')}, {k('ref_time')}, {k('v_min')}, "
            f"{r('z')}, {k('phi')}, {k('coupling')}, {k('i_coef')}, {k('g_coef')}, {k('ge_coef')}, "
            f"{self.bank.has_conductance}, {self.spike_timing == 'precise'}, dt, {r('spikes')}, {r('nspk')})")


class LIF(_LIFBase):
    """Dimensional LIF with PyNN names and ``IF_curr_exp`` defaults; input ``i_ext`` in amperes."""

    model = "lif"
    convention = "PyNN IF_curr_exp / IF_cond_exp"
    param_spec = {
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
    input_dimension = "dimensionless"
    state_spec = {"v": ("dimensionless", 0.0), "ref_left": ("time", 0.0)}
    param_spec = {
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
    j = np.asarray(j, float)
    rate = np.zeros_like(j)
    above = j > 1
    rate[above] = 1.0 / (tau_ref + tau_rc * np.log1p(1.0 / (j[above] - 1.0)))
    return rate
