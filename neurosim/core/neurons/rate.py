"""Rate units: the course notes' activation functions, with optional first-order dynamics.

A rate population's output is ``rate = f(x)``. With ``tau = 0`` the state follows its input
instantly, ``x = J + bias``; with ``tau > 0`` it obeys ``tau dx/dt = -x + J + bias``, integrated
exactly for input held over a step (so ``tau dx/dt = -x + W f(x) + b``, the continuous Hopfield
network, is a rate population with a recurrent dense projection). The units are the equation
models ``rate_<activation>`` (``neurosim/models/neurons``; :func:`rate_population`, model name
``rate`` in ``make_population``); this module builds them and gives the LIF rate curve in numpy
(:func:`lif_rate`). The other curves in numpy are :mod:`neurosim.core.activations`. Inputs are
dimensionless; ``f = "lif"`` is the LIF rate curve in Hz (Nengo's ``LIFRate``).
"""
from __future__ import annotations

import numpy as np

from ..activations import VALUES, check

#: The activations of rate units: the curves of :mod:`neurosim.core.activations` and ``lif``.
ACTIVATIONS = (*VALUES, "lif")


def lif_rate(j, tau_rc=0.02, tau_ref=0.002):
    """Analytic firing rate (Hz) of the dimensionless LIF (``lif_dimensionless``) for constant input ``j``.

    ``r = 1 / (tau_ref + tau_rc * log1p(1/(j - 1)))`` for ``j > 1``, else 0 (equal to the
    literature's ``1/(tau_ref - tau_rc ln(1 - 1/j))``; log1p keeps it accurate near ``j = 1``). The
    course notes print ``1/(tau_m ln(1 - v_in))``, which drops the refractory period and inverts
    the argument of the logarithm; this follows the literature (Eliasmith & Anderson 2003).
    """
    j = np.asarray(j, float)
    above = j > 1.0
    safe = np.where(above, j, 2.0)  # no log of a non-positive number where the rate is 0
    return np.where(above, 1.0 / (tau_ref + tau_rc * np.log1p(1.0 / (safe - 1.0))), 0.0)


def rate_population(name: str, n: int, activation: str = "logistic", params=None, initial=None, **options):
    """``n`` rate units ``rate = f(x)`` of ``activation``: the equation model ``rate_<activation>``
    (``neurosim/models/neurons``), with ``tau = 0`` (x follows its input instantly) unless given."""
    from .equation import registered
    model = registered()[f"rate_{check(activation, ACTIVATIONS)}"]
    return model(name, n, params={"tau": "0 s", **(params or {})}, initial=initial, **options)
