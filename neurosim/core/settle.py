"""Settle: end a run when a network has settled (relaxation to a fixed point, as in predictive coding).

``Settle(populations, variable, tol)`` computes, on the steps with ``step % every == offset``, the
largest ``|variable|`` over the given populations (and over every copy of a batched network), with
the inputs of that step and the state before its update (when state monitors record); when it is
below ``tol`` the run ends after that step: :meth:`Simulator.run` returns early, with
``settled_at`` the step count. The next ``run`` starts unsettled.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..errors import ParameterError, did_you_mean
from .monitors import Monitor

if TYPE_CHECKING:
    from .codegen import CodeWriter


class Settle(Monitor):
    """Stop the run once ``max |variable| < tol`` over ``populations`` (checked every ``every`` steps)."""

    batchable = True

    def __init__(self, populations, variable: str, tol: float, every: int = 1, offset: int = 0):
        populations = list(populations)
        if not populations:
            raise ParameterError("settle: populations", populations, "at least one population")
        super().__init__(populations[0])
        for pop in populations:
            names = pop.recordable()
            if variable not in names:
                raise ParameterError(f"settle of '{pop.name}': variable", variable,
                                     f"one of {names}{did_you_mean(variable, names)}")
        if not np.isfinite(tol) or tol <= 0:
            raise ParameterError("settle: tol", tol, "a tolerance > 0")
        if isinstance(every, bool) or not isinstance(every, int) or every < 1 or not 0 <= offset < every:
            raise ParameterError("settle: every/offset", (every, offset), "every >= 1 and 0 <= offset < every")
        self.populations, self.variable, self.every, self.offset = populations, variable, every, offset
        self.tol = np.array([float(tol)])  # a loop argument: change it in place between runs
        self.flag = np.zeros(1, np.int64)
        self.largest = np.zeros(1)
        self.settled_at: int | None = None  # the step count after which the last run settled

    def emit(self, w: CodeWriter) -> None:
        flag, largest = w.ref(self, "flag"), w.ref(self, "largest")
        tol = w.ref(self, "tol")
        w.add_arguments({flag: self.flag, largest: self.largest, tol: self.tol})
        w.add_lines("precheck", self, [f"if {flag}[0] != 0: return k", f"{largest}[0] = 0.0"])
        check = f"step % {self.every} == {self.offset}"
        lines = [f"if {check}:"]
        for pop in self.populations:
            value = pop.record_expression(self.variable, "i", w)
            lines += [f"    for i in range({pop.n}):", f"        {largest}[0] = max({largest}[0], abs({value}))"]
        w.add_lines("record_state", self, lines)
        w.add_lines("record", self, f"if {check} and {largest}[0] < {tol}[0]: {flag}[0] = 1")

    def start(self) -> None:
        """Called by the simulator when a run starts: the network is not settled yet."""
        self.flag[0] = 0
        self.settled_at = None

    def stopped(self, step: int) -> bool:
        """Whether the run must end (after a chunk that ended at ``step``)."""
        if self.flag[0] and self.settled_at is None:
            self.settled_at = step
        return bool(self.flag[0])
