"""Memory and run-time estimates of a network protocol, checked before anything is built.

The estimate (bytes, float64 throughout) is the sum of

- populations: ``8 n (state variables + parameters + 4 per receptor + 4)``;
- synapses: ``BYTES_PER_SYNAPSE`` per expected synapse at the peak of building (pair indices,
  CSR sort, weights and delays); expected counts: all_to_all ``n_pre n_post``, one_to_one ``n``,
  fixed_probability ``p n_pre n_post``, fixed_indegree ``k n_post``, explicit ``len(pre)``,
  dense ``n_pre n_post`` plus the pairs;
- ring buffers: ``8 n_post (max delay / dt + 1)`` per receptor of a population with delayed input
  (the largest delay: the value, or ``high`` / ``mean + 5 std`` / ``exp(mu + 5 sigma)`` of a distribution);
- monitors: ``8 (steps / every) neurons`` per recorded state, ``8 steps`` per population rate,
  and spikes at ``SPIKE_RATE_GUESS`` per recorded neuron (16 bytes a spike).

``check`` refuses a protocol whose estimate exceeds the memory available now (``MemAvailable``)
and warns when ``steps x neurons`` exceeds ``HUGE_NEURON_STEPS`` (hours of run time).
"""
from __future__ import annotations

import math
import os
import warnings

from ..errors import NeurosimWarning
from . import schema
from .load import Protocol, yaml_models

BYTES_PER_SYNAPSE = 40
SPIKE_RATE_GUESS = 50.0  # Hz, for the spike monitors' share of the estimate
HUGE_NEURON_STEPS = 1e12  # about an hour at 3e8 neuron-steps per second


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation now (Linux ``MemAvailable``), or None if unknown."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _largest(value) -> float:
    """Largest plausible value of a fixed value, per-item array or distribution (SI)."""
    if hasattr(value, "high"):
        return float(value.high)
    if hasattr(value, "std"):
        return float(value.mean + 5 * value.std)
    if hasattr(value, "sigma"):
        return math.exp(min(value.mu + 5 * value.sigma, 700.0))
    try:
        import numpy as np

        return float(np.max(value)) if np.size(value) else 0.0
    except (TypeError, ValueError):
        return 0.0


def _synapses(rule: dict, n_pre: int, n_post: int) -> float:
    name = rule.get("name")
    if name == "one_to_one":
        return float(n_pre)
    if name == "fixed_probability":
        return float(rule.get("p", 1.0)) * n_pre * n_post
    if name == "fixed_indegree":
        return float(rule.get("k", 0)) * n_post
    if name == "explicit":
        return float(len(rule.get("pre", ())))
    if name == "dense":
        return 2.0 * n_pre * n_post
    return float(n_pre) * n_post  # all_to_all


def estimate(protocol: Protocol) -> dict[tuple, float]:
    """Bytes per component, keyed by the component's key path in the protocol."""
    spec = protocol.spec
    assert isinstance(spec, schema.NetworkProtocol)  # experiments are not estimated
    models = yaml_models()
    steps = max(1, round(spec.duration / spec.dt))
    populations = spec.network.populations
    parts: dict[tuple, float] = {}
    for name, population in populations.items():
        cls = models[population.model]
        per_neuron = len(getattr(cls, "state_spec", {})) + len(getattr(cls, "param_spec", {})) + 4
        per_neuron += 4 * len(population.receptors)
        parts[("network", "populations", name)] = 8.0 * population.n * per_neuron
    longest: dict[str, float] = {}
    for index, connection in enumerate(spec.network.connections):
        n_pre, n_post = populations[connection.pre].n, populations[connection.post].n
        parts[("network", "connections", index)] = BYTES_PER_SYNAPSE * _synapses(connection.rule, n_pre, n_post)
        longest[connection.post] = max(longest.get(connection.post, 0.0), _largest(connection.delay))
    for name, delay in longest.items():
        slots = min(delay / spec.dt, 2.0**16) + 1
        path: tuple = ("network", "populations", name)
        parts[path] += 8.0 * populations[name].n * slots * max(1, len(populations[name].receptors))
    record = spec.record
    for index, state in enumerate(record.states):
        neurons = len(state.neurons) if state.neurons else populations[state.population].n
        parts[("record", "states", index)] = 8.0 * (steps / state.every) * neurons
    for index in range(len(record.rates)):
        parts[("record", "rates", index)] = 8.0 * steps
    spiking = record.spikes if record.spikes is not None else list(populations)
    for index, name in enumerate(spiking):
        path = ("record", "spikes", index) if record.spikes is not None else ("record",)
        parts[path] = parts.get(path, 0.0) + 16.0 * SPIKE_RATE_GUESS * spec.duration * populations[name].n
    return parts


def gib(n_bytes: float) -> str:
    return f"{n_bytes / 2**30:.3g} GiB"


def check(protocol: Protocol, available: int | None = None) -> float:
    """Total estimated bytes; raises a located ``ProtocolError`` when it exceeds ``available``
    (default: the memory available now) and warns about huge step counts."""
    if protocol.is_experiment:
        return 0.0
    parts = estimate(protocol)
    total = sum(parts.values())
    available = available_memory() if available is None else available
    if available is not None and total > available:
        path, largest = max(parts.items(), key=lambda item: item[1])
        raise protocol.error(path, f"the run needs about {gib(total)} of memory (this entry {gib(largest)}; "
                                   f"see docs/protocols.md for the estimate), more than the {gib(available)} "
                                   "available; reduce it or pass --no-memory-check")
    spec = protocol.spec
    assert isinstance(spec, schema.NetworkProtocol)
    neurons = sum(p.n for p in spec.network.populations.values())
    neuron_steps = neurons * spec.duration / spec.dt
    if neuron_steps > HUGE_NEURON_STEPS:
        warnings.warn(f"'{protocol.name}': {spec.duration / spec.dt:.3g} steps x {neurons} neurons = "
                      f"{neuron_steps:.3g} neuron-steps; this run may take hours or more", NeurosimWarning,
                      stacklevel=2)
    return total
