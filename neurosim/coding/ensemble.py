"""Ensembles: ``n_neurons`` neurons representing a ``dimensions``-dimensional value (the NEF).

Neuron ``i`` receives ``J_i(x) = gain_i * (e_i . x) / radius + bias_i`` for the represented value
``x``, with a unit encoder ``e_i``. Names, defaults and conventions are Nengo's (3.0 and later):
``max_rates`` Uniform(200, 400) Hz, ``intercepts`` Uniform(-1, 0.9), LIF ``tau_rc`` 20 ms,
``tau_ref`` 2 ms. ``intercepts`` are in units of the radius (the neuron starts firing at
``e_i . x = intercept_i * radius``) and must lie in [-1, 1); ``max_rates`` (Hz) are reached at
``e_i . x = radius`` and must lie in (0, 1/tau_ref).

Neuron types: ``"lif"`` (spiking, the ``lif_dimensionless`` model with Nengo's precise spike timing and
initial voltages Uniform(0, 1)), ``"lif_rate"`` (``rate_population(activation="lif")``), both tuned
by the analytic LIF rate (:func:`neurosim.core.neurons.rate.lif_rate`); and the equation models
``"hh_squid"`` and ``"hh_traub"`` with an empirically
measured tuning curve (see :mod:`neurosim.coding.hh_tuning`), input ``J`` in amperes.

Randomness: each quantity has its own build-phase stream of the model seed,
``neurosim.rng.generator(seed, "build", f"ensemble:{name}:{quantity}")`` (quantities:
``encoders``, ``max_rates``, ``intercepts``, ``eval_points``), so giving one explicitly does not
change the draws of the others.
"""
from __future__ import annotations

import numpy as np

from ..core.distributions import Uniform, sample
from ..core.neurons import make_population
from ..core.neurons.rate import lif_rate, rate_population
from ..core.population import check_name
from ..errors import ParameterError
from ..rng import generator
from ..units import quantity

LIF_TYPES = ("lif", "lif_rate")
DEFAULT_MAX_RATES = Uniform(200.0, 400.0)   # Hz, Nengo's default
DEFAULT_INTERCEPTS = Uniform(-1.0, 0.9)     # units of the radius, Nengo's default since 3.0
HH_TYPES = ("hh_squid", "hh_traub")


NEURON_TYPES = LIF_TYPES + HH_TYPES


def sample_hypersphere(rng: np.random.Generator, n: int, dimensions: int, surface: bool) -> np.ndarray:
    """``n`` points uniform on the unit sphere (``surface``) or in the unit ball (Nengo's UniformHypersphere)."""
    points = rng.standard_normal((n, dimensions))
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    if surface:
        return points
    return points * rng.uniform(0.0, 1.0, (n, 1)) ** (1.0 / dimensions)


def default_n_eval_points(n_neurons: int, dimensions: int) -> int:
    """Nengo's default: ``max(clip(500 D, 750, 2500), 2 N)``."""
    return int(max(np.clip(500 * dimensions, 750, 2500), 2 * n_neurons))


def lif_gain_bias(max_rates, intercepts, tau_rc: float, tau_ref: float) -> tuple[np.ndarray, np.ndarray]:
    """Gain and bias so that ``lif_rate(gain * x + bias)`` is 0 up to ``x = intercept`` and ``max_rate`` at ``x = 1``.

    The current that gives rate ``r`` is ``J(r) = 1 / (1 - exp((tau_ref - 1/r) / tau_rc))``; the
    threshold current is 1, so ``gain = (J(r) - 1) / (1 - intercept)``, ``bias = 1 - gain * intercept``.
    """
    max_rates, intercepts = np.asarray(max_rates, float), np.asarray(intercepts, float)
    j_max = -1.0 / np.expm1((tau_ref - 1.0 / max_rates) / tau_rc)
    gain = (j_max - 1.0) / (1.0 - intercepts)
    return gain, 1.0 - gain * intercepts


def _positive_int(value, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ParameterError(label, value, "a positive integer")
    return int(value)


def _positive(value, label: str, allow_zero: bool = False) -> float:
    ok = isinstance(value, (int, float, np.number)) and not isinstance(value, bool) and np.isfinite(value)
    if not ok or value < 0 or (value == 0 and not allow_zero):
        raise ParameterError(label, value, "a number >= 0" if allow_zero else "a number > 0")
    return float(value)


class Ensemble:
    """A population of neurons with encoders, gains and biases (Nengo's ``Ensemble``).

    ``encoders`` (n_neurons x dimensions; normalised to unit length) default to random unit
    vectors; ``max_rates`` (Hz) and ``intercepts`` (units of ``radius``) may be scalars, arrays or
    :class:`~neurosim.core.distributions.Uniform` distributions; ``eval_points`` (M x dimensions,
    in the units of ``x``) default to ``n_eval_points`` points uniform in the ball of ``radius``.
    ``tau_rc`` and ``tau_ref`` (s) parameterise the LIF types; HH types take ``hh_params`` (the
    core model's parameters) and measure their tuning curve with time step ``hh_dt`` (s).
    """

    def __init__(self, name: str, n_neurons: int, dimensions: int = 1, *, seed: int = 0, radius: float = 1.0,
                 encoders=None, max_rates=DEFAULT_MAX_RATES, intercepts=DEFAULT_INTERCEPTS,
                 tau_rc="20 ms", tau_ref="2 ms", eval_points=None, n_eval_points: int | None = None,
                 neuron_type: str = "lif", hh_params: dict | None = None, hh_dt="0.025 ms"):
        self.name = check_name(name, "ensemble")
        label = f"ensemble '{name}'"
        self.n_neurons = _positive_int(n_neurons, f"{label}: n_neurons")
        self.dimensions = _positive_int(dimensions, f"{label}: dimensions")
        self.radius = _positive(radius, f"{label}: radius")
        self.tau_rc = _positive(quantity(tau_rc, "time", f"{label}: tau_rc"), f"{label}: tau_rc")
        self.tau_ref = _positive(quantity(tau_ref, "time", f"{label}: tau_ref"), f"{label}: tau_ref", allow_zero=True)
        hh_dt = _positive(quantity(hh_dt, "time", f"{label}: hh_dt"), f"{label}: hh_dt")
        if not hasattr(max_rates, "draw"):  # distributions draw SI values (Hz)
            max_rates = quantity(max_rates, "frequency", f"{label}: max_rates")
        self.seed = seed
        available = NEURON_TYPES
        if neuron_type not in available:
            raise ParameterError(f"{label}: neuron_type", neuron_type, f"one of {available}")
        self.neuron_type = neuron_type
        self.encoders = self._encoders(encoders, label)
        self.max_rates = sample(max_rates, self.rng("max_rates"), self.n_neurons, f"{label}: max_rates")
        self.intercepts = sample(intercepts, self.rng("intercepts"), self.n_neurons, f"{label}: intercepts")
        if not np.all((self.intercepts >= -1.0) & (self.intercepts < 1.0)):
            bad = self.intercepts[(self.intercepts < -1.0) | ~(self.intercepts < 1.0)][0]
            raise ParameterError(f"{label}: intercepts", float(bad),
                                 "values in [-1, 1) (units of the radius: a neuron must start firing inside it)")
        self.hh_curve, self.hh_dt = None, hh_dt
        if neuron_type in HH_TYPES:
            from .hh_tuning import measure_tuning

            self.hh_curve = measure_tuning(neuron_type, hh_params or {}, hh_dt)
            self.gain, self.bias = self.hh_curve.gain_bias(self.max_rates, self.intercepts, label)
        else:
            limit = 1.0 / self.tau_ref if self.tau_ref > 0 else np.inf
            if not np.all((self.max_rates > 0) & (self.max_rates < limit)):
                bad = self.max_rates[~((self.max_rates > 0) & (self.max_rates < limit))][0]
                raise ParameterError(f"{label}: max_rates", float(bad),
                                     f"rates in (0, 1/tau_ref = {limit:g}) Hz (a LIF neuron cannot fire faster)")
            self.gain, self.bias = lif_gain_bias(self.max_rates, self.intercepts, self.tau_rc, self.tau_ref)
        self.eval_points = self._eval_points(eval_points, n_eval_points, label)

    def rng(self, quantity: str) -> np.random.Generator:
        """The build-phase stream of one quantity of this ensemble."""
        return generator(self.seed, "build", f"ensemble:{self.name}:{quantity}")

    def _encoders(self, encoders, label):
        if encoders is None:
            return sample_hypersphere(self.rng("encoders"), self.n_neurons, self.dimensions, surface=True)
        encoders = np.array(encoders, float)
        if encoders.ndim == 1 and self.dimensions == 1 and encoders.shape[0] == self.n_neurons:
            encoders = encoders[:, None]
        if encoders.shape != (self.n_neurons, self.dimensions):
            raise ParameterError(f"{label}: encoders", f"shape {encoders.shape}",
                                 f"shape (n_neurons, dimensions) = {(self.n_neurons, self.dimensions)}")
        norms = np.linalg.norm(encoders, axis=1, keepdims=True)
        if not np.all(np.isfinite(encoders)) or np.any(norms == 0):
            raise ParameterError(f"{label}: encoders", "zero or non-finite rows", "finite non-zero vectors")
        return encoders / norms

    def _eval_points(self, eval_points, n_eval_points, label):
        if eval_points is not None:
            points = np.array(eval_points, float)
            if points.ndim == 1 and self.dimensions == 1:
                points = points[:, None]
            if points.ndim != 2 or points.shape[1] != self.dimensions or points.shape[0] == 0 \
                    or not np.all(np.isfinite(points)):
                raise ParameterError(f"{label}: eval_points", f"shape {points.shape}",
                                     f"finite points of shape (M, dimensions = {self.dimensions})")
            return points
        n = default_n_eval_points(self.n_neurons, self.dimensions) if n_eval_points is None else \
            _positive_int(n_eval_points, f"{label}: n_eval_points")
        return self.radius * sample_hypersphere(self.rng("eval_points"), n, self.dimensions, surface=False)

    @property
    def scaled_encoders(self) -> np.ndarray:
        """``gain_i e_i / radius`` (n_neurons x dimensions): the map from ``x`` to input current."""
        return self.encoders * (self.gain / self.radius)[:, None]

    def currents(self, x) -> np.ndarray:
        """Input currents ``J`` (M x n_neurons) at the points ``x`` (M x dimensions, or M values if 1-D)."""
        x = np.asarray(x, float)
        if x.ndim == 1 and self.dimensions == 1:
            x = x[:, None]
        if x.ndim != 2 or x.shape[1] != self.dimensions:
            raise ParameterError(f"ensemble '{self.name}': points", f"shape {x.shape}",
                                 f"shape (M, dimensions = {self.dimensions})")
        return x @ self.scaled_encoders.T + self.bias

    def rates(self, x) -> np.ndarray:
        """Steady firing rates (Hz, M x n_neurons) at the points ``x``: the tuning curves."""
        j = self.currents(x)
        if self.hh_curve is not None:
            return self.hh_curve.rates(j)
        return lif_rate(j, self.tau_rc, self.tau_ref)

    def population(self):
        """The core population that simulates this ensemble (named like the ensemble)."""
        if self.neuron_type == "lif":
            return make_population("lif_dimensionless", self.name, self.n_neurons,
                                   params={"tau_rc": self.tau_rc, "tau_ref": self.tau_ref, "bias": self.bias},
                                   initial={"v": Uniform(0.0, 1.0)}, spike_timing="precise")
        if self.neuron_type == "lif_rate":
            return rate_population(self.name, self.n_neurons, activation="lif",
                                  params={"tau_rc": self.tau_rc, "tau_ref": self.tau_ref, "bias": self.bias})
        return self.hh_curve.population(self.name, self.n_neurons, self.bias)

    @property
    def spiking(self) -> bool:
        return self.neuron_type != "lif_rate"
