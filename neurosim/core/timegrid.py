"""Times -> whole steps: the one function that puts a time on the step grid, by Brian2 2.9's rules.

``to_steps(value, dt, rule, what)`` converts a time (s; scalar or array) into a number of steps of
``dt``, exactly as Brian2 2.9 does it (the arithmetic is the same, so float corner cases agree):

- ``"spike_time"``: ``SpikeGeneratorGroup.before_run``, ``int((t + 1e-3*dt) / dt)``: the step that
  contains ``t`` (floor), shifted by a thousandth of a step so that a multiple of ``dt`` computed
  in floating point stays on its own step.
- ``"refractory"``: the refractory condition of ``NeuronGroup``,
  ``timestep(t - lastspike, dt) >= timestep(refractory, dt)`` with
  ``timestep(t, dt) = int((t + 1e-3*dt) / dt)``: floor with the same shift. A neuron that spiked
  in step ``m`` can spike again from step ``m + steps`` on.
- ``"delay"``: the spike queue of Brian2's runtime targets (``cspikequeue.cpp``),
  ``(int)(delay / dt + 0.5)``: nearest step, halves rounded up.
- ``"duration"``: ``Clock._calc_timestep``: the nearest step if it is within ``1e-4 dt``, else the
  next step up.

A value that is not a whole multiple of ``dt`` (relative difference above ``TOLERANCE``) gives a
:class:`~neurosim.errors.TimeGridWarning` naming the parameter, the value and the steps it became.
``docs/time_grid.md`` compares these rules with NEST's.
"""
from __future__ import annotations

import warnings

import numpy as np

from ..errors import ParameterError, TimeGridWarning

RULES = {"spike_time": "the step containing it, as Brian2's SpikeGeneratorGroup",
         "refractory": "rounded down, as Brian2's refractory condition",
         "delay": "rounded to the nearest step, halves up, as Brian2's spike queue",
         "duration": "rounded up unless within 1e-4 dt of a step, as Brian2's clock"}
#: Relative difference from a multiple of ``dt`` above which a value counts as off the grid.
TOLERANCE = 1e-9


def to_steps(value, dt: float, rule: str, what: str):
    """``value`` (s, scalar or array, >= 0) in whole steps of ``dt`` by ``rule`` (one of ``RULES``);
    an ``int`` for a scalar, else an int64 array. Warns (``TimeGridWarning``) about off-grid values."""
    if rule not in RULES:
        raise ParameterError("time grid rule", rule, f"one of {sorted(RULES)}")
    times = np.asarray(value, np.float64)
    if rule == "delay":
        steps = np.asarray(times / dt + 0.5).astype(np.int64)
    elif rule == "duration":
        nearest = np.round(times / dt).astype(np.int64)
        close = (nearest * dt == times) | (np.abs(nearest * dt - times) / dt <= 1e-4)
        steps = np.where(close, nearest, np.ceil(times / dt).astype(np.int64))
    else:
        steps = np.asarray((times + 1e-3 * dt) / dt).astype(np.int64)
    off = np.abs(times - np.round(times / dt) * dt) > TOLERANCE * np.abs(times)
    if np.any(off):
        first = np.flatnonzero(np.ravel(off))[0]
        example, became = float(np.ravel(times)[first]), int(np.ravel(steps)[first])
        count = f"{int(np.sum(off))} of {times.size} values are" if times.ndim else "it is"
        warnings.warn(TimeGridWarning(
            f"{what} = {example!r} s: {count} not a multiple of dt = {dt!r} s; {example!r} s became "
            f"{became} steps ({became * dt:.6g} s: {RULES[rule]})"), stacklevel=3)
    return int(steps) if steps.ndim == 0 else steps
