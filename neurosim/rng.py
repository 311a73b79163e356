"""Random streams: one protocol seed -> independent ``numpy.random.Generator`` per named component.

Each stream comes from ``SeedSequence(seed, spawn_key=(phase, hash(name)))``, so adding a
population does not change the draws of the others, and build-time randomness (connectivity,
initial values, encoders) is separate from run-time randomness (noise, Poisson spikes). The
Generators are passed into Numba kernels, which draw exactly what NumPy would draw (the legacy
``np.random.seed`` does not reach compiled code and is never used).
"""
from __future__ import annotations

import zlib

import numpy as np

PHASES = {"build": 0, "run": 1, "analysis": 2}


def _name_key(name: str) -> int:
    return zlib.crc32(name.encode("utf-8"))


def generator(seed: int | None, phase: str, name: str, copy: int = 0) -> np.random.Generator:
    """The Generator of component ``name`` in ``phase`` ('build', 'run' or 'analysis'); ``copy`` numbers
    the copies of a batched network (copy 0 is the stream of the unbatched network)."""
    if seed is None:
        seed = 0
    key = (PHASES[phase], _name_key(name)) + ((int(copy),) if copy else ())
    sequence = np.random.SeedSequence(int(seed), spawn_key=key)
    return np.random.Generator(np.random.PCG64(sequence))
