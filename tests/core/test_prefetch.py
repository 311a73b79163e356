"""The propagation kernels prefetch the CSR rows of a step's spikes (``neurosim.core.prefetch``);
prefetching changes no result."""
import platform

import numba
import numpy as np
import pytest

from neurosim.core import connectivity as conn


def _rows(n_pre, n_post, per_row, rng):
    """A random CSR with sorted rows of ``per_row`` distinct targets."""
    indices = np.concatenate([np.sort(rng.choice(n_post, per_row, replace=False)) for _ in range(n_pre)])
    return np.arange(0, n_pre * per_row + 1, per_row, dtype=np.int64), indices.astype(np.int32)


@pytest.mark.parametrize("blocks", [1, 3])
def test_propagation_with_prefetch_adds_every_row_once(blocks):
    """A projection large enough to be prefetched and more spikes than ``PREFETCH_AHEAD`` (the
    window slides to the end), with and without per-synapse delays, against ``np.add.at``."""
    rng = np.random.default_rng(5)
    n_pre, n_post, per_row = 300, 1200, 1000
    indptr, indices = _rows(n_pre, n_post, per_row, rng)
    assert indices.nbytes >= conn.PREFETCH_MIN_BYTES
    weights = rng.normal(size=indices.size)
    spikes = np.sort(rng.choice(n_pre, 3 * conn.PREFETCH_AHEAD + 1, replace=False)).astype(np.int32)
    rows = np.concatenate([np.arange(indptr[i], indptr[i + 1]) for i in spikes])
    expected = np.zeros(n_post)
    np.add.at(expected, indices[rows], weights[rows])
    splits = conn.row_splits(indptr, indices, n_post, blocks)
    target = np.zeros(n_post)
    for block in range(blocks):
        conn.propagate_now(spikes, np.zeros(0, np.int32), spikes.size, indptr, splits, indices, weights, target,
                           1.0, block, blocks)
    np.testing.assert_allclose(target, expected, rtol=1e-12)
    delays = rng.integers(0, 3, indices.size).astype(np.uint16)
    ring = np.zeros((4, 1, n_post))
    for block in range(blocks):
        conn.propagate(spikes, np.zeros(0, np.int32), spikes.size, indptr, splits, indices, weights, delays, -1,
                       ring, 0, 0, block, blocks)
    np.testing.assert_allclose(ring.sum(axis=(0, 1)), expected, rtol=1e-12)
    for d in range(3):
        at = np.zeros(n_post)
        np.add.at(at, indices[rows][delays[rows] == d], weights[rows][delays[rows] == d])
        np.testing.assert_allclose(ring[d, 0], at, rtol=1e-12, atol=1e-15)


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="checks x86 machine code")
@pytest.mark.parametrize("kernel", ["propagate_now", "propagate", "propagate_jumps_now"])
def test_propagation_kernels_issue_prefetches(kernel):
    """The machine code of each kernel (compiled afresh: cached code cannot be inspected) holds
    ``prefetcht0``, the instruction of ``llvm.prefetch`` with locality 3."""
    rng = np.random.default_rng(0)
    indptr, indices = _rows(4, 6, 3, rng)
    weights, spikes, counts = np.ones(indices.size), np.array([0, 2], np.int32), np.zeros(0, np.int32)
    whole = conn.row_splits(indptr, indices, 6, 1)
    compiled = numba.njit(nogil=True)(getattr(conn, kernel).py_func)
    if kernel == "propagate_now":
        compiled(spikes, counts, 2, indptr, whole, indices, weights, np.zeros(6), 1.0, 0, 1)
    elif kernel == "propagate":
        compiled(spikes, counts, 2, indptr, whole, indices, weights, np.zeros(0, np.uint16), 0, np.zeros((1, 1, 6)),
                 0, 0, 0, 1)
    else:
        compiled(spikes, counts, 2, indptr, whole, indices, weights, np.zeros(6), np.zeros(6), 1e-4, 0, 1)
    assert "prefetcht0" in next(iter(compiled.inspect_asm().values()))

