"""Binary units: stochastic (Boltzmann) units and deterministic sign units.

``stochastic``: each step ``s = 1`` with probability ``logistic((i_ext + bias) / temperature)``,
else ``low`` (0 for Boltzmann machines, -1 for Ising-style units), drawn from the population's
run-phase Generator. ``sign``: ``s = +1`` if ``i_ext + bias > 0``, ``-1`` if negative, unchanged
at exactly 0 (synchronous Hopfield update). The output array is ``rate`` (= ``s``).
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, ClassVar

import numba

from ...errors import ParameterError
from ..params import Param
from ..population import Population

if TYPE_CHECKING:
    from ..codegen import CodeWriter

MODES = ("stochastic", "sign")


@numba.njit(cache=True, nogil=True)
def binary_update(s, i_ext, bias, temperature, low, stochastic, rng):
    """One synchronous step of all units."""
    for i in range(s.shape[0]):
        field = i_ext[i] + bias[i]
        if stochastic:
            p = 1.0 / (1.0 + math.exp(-field / temperature[i]))
            s[i] = 1.0 if rng.random() < p else low
        elif field > 0:
            s[i] = 1.0
        elif field < 0:
            s[i] = -1.0


class BinaryPopulation(Population):
    """``n`` binary units; ``mode`` 'stochastic' (values ``low``/1) or 'sign' (values -1/+1)."""

    model = "binary"
    spiking = False
    input_dimension = "dimensionless"
    param_spec: ClassVar[dict[str, Param]] = {
        "bias": Param("bias", "dimensionless", 0.0, "any", "constant input"),
        "temperature": Param("temperature", "dimensionless", 1.0, "positive", "noise temperature of stochastic units"),
    }
    state_spec: ClassVar[dict[str, tuple[str, object]]] = {"rate": ("dimensionless", 0.0)}

    def __init__(self, name, n, params=None, initial=None, mode="stochastic", low=0.0):
        super().__init__(name, n, params, None, initial)
        if mode not in MODES:
            raise ParameterError(f"population '{name}': mode", mode, f"one of {MODES}")
        if low not in (0.0, -1.0):
            raise ParameterError(f"population '{name}': low", low, "0 or -1")
        self.mode, self.low = mode, float(low) if mode == "stochastic" else -1.0

    def emit_update(self, w: CodeWriter) -> None:
        r = (lambda local: w.ref(self, local))
        w.args[r("rng")] = self.run_rng
        w.imports.add("from neurosim.core.neurons.binary import binary_update")
        w.lines["update"].append(f"binary_update({r('rate')}, {r('i_ext')}, {r('p_bias')}, {r('p_temperature')}, "
                                 f"{w.constant(self, 'low', self.low)}, {self.mode == 'stochastic'}, {r('rng')})")

