"""Connection rules and sparse projections stored as CSR by presynaptic neuron.

Rules follow NEST's ``conn_spec`` names: ``all_to_all``, ``one_to_one``, ``fixed_probability``,
``fixed_indegree``, explicit index arrays and a dense weight matrix. Weights are peak amplitudes
(A for current-based, S for conductance-based receptors; see ``synapses``) and delays are in
seconds, converted to whole steps at build. Spikes propagate event-driven: each spike of
presynaptic neuron ``i`` walks CSR row ``i`` and adds its weights into the postsynaptic
receptor's ring buffer at slot ``(step + delay) mod L`` (NEST-style).
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

import numba
import numpy as np

from ..errors import ParameterError, did_you_mean
from ..units import quantity
from .codegen import PerThread
from .distributions import sample
from .population import Population, check_name
from .prefetch import prefetch_span
from .timegrid import to_steps

if TYPE_CHECKING:
    from .codegen import CodeWriter


@dataclass(frozen=True)
class AllToAll:
    """Every presynaptic neuron to every postsynaptic neuron."""

    def pairs(self, n_pre, n_post, rng):
        return np.repeat(np.arange(n_pre, dtype=np.int32), n_post), np.tile(np.arange(n_post, dtype=np.int32), n_pre)


@dataclass(frozen=True)
class OneToOne:
    """Neuron ``i`` to neuron ``i`` (equal sizes)."""

    def check(self, n_pre, n_post) -> None:
        """Raise ``ParameterError`` unless the rule can connect these population sizes."""
        if n_pre != n_post:
            raise ParameterError("one_to_one", f"{n_pre} -> {n_post}", "populations of equal size")

    def pairs(self, n_pre, n_post, rng):
        self.check(n_pre, n_post)
        index = np.arange(n_pre, dtype=np.int64)
        return index, index


@dataclass(frozen=True)
class FixedProbability:
    """Each pair independently with probability ``p``."""

    p: float

    def __post_init__(self):
        if isinstance(self.p, bool) or not isinstance(self.p, (int, float, np.integer, np.floating)) \
                or not 0 <= self.p <= 1:
            raise ParameterError("fixed_probability: p", self.p, "a probability in [0, 1]", key="p")

    def pairs(self, n_pre, n_post, rng):
        if self.p == 0:
            return np.zeros(0, np.int32), np.zeros(0, np.int32)
        # The int32 pairs are written straight into arrays sized for the expected count plus six
        # standard deviations (grown, rarely, if the draw exceeds it), then shrunk in place: no
        # temporaries of the synapse count. The compiled sampler returns to Python every
        # SAMPLER_BLOCK expected synapses, so Ctrl-C and SIGTERM are honoured within milliseconds;
        # the draws are the same, in the same order, however the rows are split.
        expected = n_pre * n_post * self.p
        # + 1: the sampler stops when the arrays are full, before the draw that ends the last row
        capacity = min(n_pre * n_post + 1, max(1, int(expected + CAPACITY_SIGMAS * np.sqrt(expected) + 16)))
        pre, post = np.empty(capacity, np.int32), np.empty(capacity, np.int32)
        rows = max(1, int(SAMPLER_BLOCK / max(n_post * self.p, 1.0)))
        i, j, count = 0, -1, 0
        while i < n_pre:
            if count == len(pre):
                pre, post = _doubled(pre), _doubled(post)
            i, j, count = _bernoulli_fill(i, min(i + rows, n_pre), j, n_post, self.p, rng, pre, post, count)
        pre.resize(count, refcheck=False)  # in place (a shrinking realloc): no copy of the pairs
        post.resize(count, refcheck=False)
        return pre, post


#: Expected synapses drawn per call of the compiled Bernoulli sampler (a few milliseconds).
SAMPLER_BLOCK = 1_000_000
#: Standard deviations above the expected synapse count preallocated by ``FixedProbability``.
CAPACITY_SIGMAS = 6.0


@numba.njit(cache=True)
def _bernoulli_fill(i, i_end, j, n_post, p, rng, pre, post, count):
    """Pairs of rows ``i .. i_end - 1``, each with probability ``p``, written in CSR order into
    ``pre``/``post`` from ``count`` on, resuming after column ``j`` of row ``i`` (-1: the row's
    start). Within a row, the gaps between chosen columns are geometric,
    ``1 + floor(log(u) / log(1 - p))`` with ``u`` uniform on (0, 1]. Returns ``(i, j, count)``:
    ``i == i_end`` when done, else the arrays are full and the call resumes from there."""
    log_q = np.log1p(-p) if p < 1.0 else -np.inf
    capacity = pre.shape[0]
    while i < i_end:
        while True:
            if count == capacity:
                return i, j, count
            u = 1.0 - rng.random()
            j += 1 + (0 if log_q == -np.inf else int(np.floor(np.log(u) / log_q)))
            if j >= n_post:
                break
            pre[count] = i
            post[count] = j
            count += 1
        i += 1
        j = -1
    return i, j, count


def _doubled(array):
    """``array`` followed by as many uninitialised elements (a NumPy array owning its data)."""
    return np.concatenate((array, np.empty_like(array)))


@dataclass(frozen=True)
class FixedIndegree:
    """Each postsynaptic neuron receives exactly ``k`` distinct presynaptic partners."""

    k: int

    def __post_init__(self):
        if isinstance(self.k, bool) or not isinstance(self.k, (int, np.integer)) or self.k < 0:
            raise ParameterError("fixed_indegree: k", self.k, "a non-negative integer", key="k")

    def check(self, n_pre, n_post) -> None:
        """Raise ``ParameterError`` unless the rule can connect these population sizes."""
        if self.k > n_pre:
            raise ParameterError("fixed_indegree: k", self.k, f"at most the {n_pre} presynaptic neurons", key="k")

    def pairs(self, n_pre, n_post, rng):
        self.check(n_pre, n_post)
        if self.k == 0:
            return np.zeros(0, np.int32), np.zeros(0, np.int32)
        return _indegree_pairs(n_pre, n_post, self.k, rng)


@numba.njit(cache=True)
def _indegree_pairs(n_pre, n_post, k, rng):
    """For each post neuron ``j`` (in order), ``k`` distinct pre neurons drawn uniformly without
    replacement by Floyd's algorithm (exactly ``k`` draws); returned in CSR order (by pre, then
    post) by a counting sort, so that the build needs no sort."""
    chosen = np.empty(n_post * k, np.int32)
    stamp = np.full(n_pre, -1, np.int64)  # stamp[i] == j: i already chosen for post j
    for j in range(n_post):
        base = j * k
        for m in range(n_pre - k, n_pre):
            t = rng.integers(0, m + 1)
            if stamp[t] == j:
                t = m
            stamp[t] = j
            chosen[base] = t
            base += 1
    start = np.zeros(n_pre + 1, np.int64)
    for s in range(chosen.shape[0]):
        start[chosen[s] + 1] += 1
    for i in range(n_pre):
        start[i + 1] += start[i]
    pre = np.empty(n_post * k, np.int32)
    post = np.empty(n_post * k, np.int32)
    for s in range(chosen.shape[0]):  # posts in increasing order: each row ends up sorted by post
        i = chosen[s]
        position = start[i]
        pre[position] = i
        post[position] = s // k
        start[i] = position + 1
    return pre, post


@dataclass(frozen=True)
class Explicit:
    """Given index arrays ``pre[k] -> post[k]``."""

    pre: np.ndarray
    post: np.ndarray

    def __post_init__(self):
        for key in ("pre", "post"):
            index = getattr(self, key)
            if isinstance(index, (list, tuple)) and any(isinstance(i, bool) or not isinstance(i, (int, np.integer))
                                                        for i in index):
                raise ParameterError(f"explicit: {key}", index, "a list of integer neuron indices", key=key)
            if isinstance(index, np.ndarray) and index.size and index.dtype.kind not in "iu":
                raise ParameterError(f"explicit: {key}", f"an array of {index.dtype}", "integer neuron indices",
                                     key=key)

    def check(self, n_pre, n_post) -> None:
        """Raise ``ParameterError`` unless the indices are valid for these population sizes."""
        pre, post = np.asarray(self.pre), np.asarray(self.post)
        if pre.shape != post.shape or pre.ndim != 1:
            raise ParameterError("explicit connection indices", f"shapes {pre.shape} and {post.shape}",
                                 "two 1-D index arrays of equal length", key="post")
        if pre.size and (pre.min() < 0 or pre.max() >= n_pre or post.min() < 0 or post.max() >= n_post):
            raise ParameterError("explicit connection indices", "out of range",
                                 f"pre in [0, {n_pre}) and post in [0, {n_post})")

    def pairs(self, n_pre, n_post, rng):
        self.check(n_pre, n_post)
        pre, post = np.asarray(self.pre), np.asarray(self.post)
        return pre.astype(np.int64), post.astype(np.int64)


@dataclass(frozen=True)
class DenseMatrix:
    """A dense ``(n_post, n_pre)`` weight matrix; zero entries make no synapse."""

    matrix: np.ndarray

    def __post_init__(self):
        try:
            matrix = np.asarray(self.matrix, float)
        except (TypeError, ValueError):
            raise ParameterError("dense weight matrix", "ragged or non-numeric rows", "a matrix of numbers",
                                 key="matrix") from None
        if matrix.ndim != 2 or not np.all(np.isfinite(matrix)):
            raise ParameterError("dense weight matrix", f"shape {matrix.shape}", "a 2-D matrix of finite numbers",
                                 key="matrix")

    def check(self, n_pre, n_post) -> None:
        """Raise ``ParameterError`` unless the matrix has shape ``(n_post, n_pre)``."""
        matrix = np.asarray(self.matrix, float)
        if matrix.shape != (n_post, n_pre):
            raise ParameterError("dense weight matrix", f"shape {matrix.shape}",
                                 f"shape (n_post, n_pre) = {(n_post, n_pre)}", key="matrix")

    def pairs(self, n_pre, n_post, rng):
        self.check(n_pre, n_post)
        matrix = np.asarray(self.matrix, float)
        post, pre = np.nonzero(matrix)
        return pre.astype(np.int64), post.astype(np.int64)

    def weights(self, pre, post):
        return np.asarray(self.matrix, float)[post, pre]


ConnectionRule = AllToAll | OneToOne | FixedProbability | FixedIndegree | Explicit | DenseMatrix
RULES: dict[str, type[ConnectionRule]] = {
    "all_to_all": AllToAll, "one_to_one": OneToOne, "fixed_probability": FixedProbability,
    "fixed_indegree": FixedIndegree, "explicit": Explicit, "dense": DenseMatrix}


def rule(name: str, **params):
    """A connection rule by its NEST-style name, e.g. ``rule("fixed_probability", p=0.02)``."""
    if name not in RULES:
        raise ParameterError("connection rule", name, f"one of {sorted(RULES)}{did_you_mean(name, RULES)}")
    try:
        return RULES[name](**params)
    except TypeError:
        names = [f.name for f in fields(RULES[name])]
        raise ParameterError(f"connection rule '{name}'", params, f"the parameters {names}") from None


class Projection:
    batchable = True  # static connectivity: shared by the copies of a batched network
    """Sparse synapses from ``pre`` to receptor ``receptor`` of ``post``, event-driven, with delays.

    ``weight`` and ``delay`` are scalars, arrays (one per synapse, in the rule's order) or
    distributions. ``allow_autapses=False`` drops ``i -> i`` when ``pre is post``.
    ``weight_dtype`` ('float64' or 'float32') is the precision of the stored weights: float32
    stores 8.2 instead of 12.2 B per synapse (weights rounded to the nearest float32, ~6e-8 relative).
    A scalar weight is stored once (``weights`` is then a read-only view of that one value, one
    element per synapse): 4.2 B per synapse, the same results as an array of equal values.
    """

    receptor: str | None  # None only for a PlasticProjection that transmits nothing

    def __init__(self, pre: Population, post: Population, receptor: str, rule=AllToAll(), weight=0.0,
                 delay=0.0, allow_autapses: bool = True, name: str | None = None, weight_dtype=np.float64):
        self.pre, self.post, self.receptor, self.rule = pre, post, receptor, rule
        self.name = check_name(name or f"{pre.name}_to_{post.name}_{receptor}", "projection")
        self.weight, self.delay, self.allow_autapses = _si(weight, _weight_dimension(post, receptor), "weight"), \
            _si(delay, "time", "delay"), allow_autapses
        self.weight_dtype = _weight_dtype(weight_dtype, self.name)
        if not post.spiking and not hasattr(post, "receptors"):
            raise ParameterError(f"projection '{self.name}': post", post.name, "a population with receptors")
        if not pre.spiking:
            raise ParameterError(f"projection '{self.name}': pre", pre.name,
                                 "a spiking population (use a DenseProjection for rate units)")
        self.receptor_index = post.receptor_index(receptor)

    def build(self, dt: float, rng: np.random.Generator) -> None:
        """Draw the synapses and store them as CSR by presynaptic neuron; delays in steps.

        Scalar weights and delays are never expanded to float64 arrays, and rules that already
        return pairs in CSR order (sorted by pre, then post) skip the sort: the build's peak
        memory stays a small multiple of what the projection stores."""
        label = f"projection '{self.name}'"
        try:
            pre, post = self.rule.pairs(self.pre.n, self.post.n, rng)
        except ParameterError as error:
            raise ParameterError(f"{label}: {error.name}", error.value, error.expected) from None
        if not self.allow_autapses and self.pre is self.post:
            keep = pre != post
            pre, post = pre[keep], post[keep]
        n = len(pre)
        ordered = _csr_ordered(pre, post)
        if ordered and not hasattr(self.rule, "weights"):  # pre indices freed before the weights exist
            self.indptr = _row_pointers(pre, self.pre.n)
            pre = None
        if hasattr(self.rule, "weights"):
            weights = self.rule.weights(pre, post)
        elif _is_scalar(self.weight):  # one stored value, read through a stride-0 view
            weights = np.broadcast_to(self.weight_dtype.type(self.weight), n)
        else:
            weights = sample(self.weight, rng, n, f"{label}: weight")
        if not np.all(np.isfinite(weights[:1] if homogeneous(weights) else weights)):
            raise ParameterError(f"{label}: weight", "non-finite", "finite weights")
        if _is_scalar(self.delay):
            delays = np.array(float(self.delay))
        else:
            delays = sample(self.delay, rng, n, f"{label}: delay")
        if delays.size and (not np.all(np.isfinite(delays)) or delays.min() < 0):
            raise ParameterError(f"{label}: delay", float(delays.min()), "delays >= 0 s")
        steps = np.asarray(to_steps(delays, dt, "delay", f"{label}: delay"), np.int64)
        if steps.size and steps.max() > np.iinfo(np.uint16).max:
            raise ParameterError(f"{label}: delay", float(delays.max()),
                                 f"at most {np.iinfo(np.uint16).max} steps of dt = {dt} s")
        if not ordered:
            order = np.lexsort((post, pre))
            pre, post = pre[order], post[order]
            weights = weights if homogeneous(weights) else weights[order]
            steps = steps[order] if steps.ndim else steps
        if pre is not None:
            self.indptr = _row_pointers(pre, self.pre.n)
        self.indices = post.astype(np.int32, copy=False)
        self.weights = weights if homogeneous(weights) else weights.astype(self.weight_dtype, copy=False)
        uniform = steps.ndim == 0 or (n > 0 and np.all(steps == steps[0]))
        self.uniform_delay = int(steps.flat[0]) if uniform and steps.size else -1
        self.delay_steps = np.zeros(0, np.uint16) if uniform else steps.astype(np.uint16)
        self.max_delay = int(steps.max()) if n and steps.size else 0

    #: Arrays the step loop only reads (checkpoints store their digest, not their contents).
    constant_arrays: tuple[str, ...] = ("indptr", "indices", "weights", "delays")
    #: Not run state: where each thread's targets start in each row, derived from ``indices`` and
    #: the thread count (a checkpoint resumes at any thread count).
    scratch_arrays: tuple[str, ...] = ("splits",)

    @property
    def n_synapses(self) -> int:
        return len(self.indices)

    def nbytes(self) -> int:
        """Memory of the synapse arrays (bytes); a homogeneous weight is one value."""
        weights = self.weights.itemsize if homogeneous(self.weights) else self.weights.nbytes
        return self.indices.nbytes + weights + self.delay_steps.nbytes + self.indptr.nbytes

    @property
    def immediate(self) -> bool:
        """All delays are zero: events go straight into the receptor states, with no ring buffer."""
        return self.uniform_delay == 0

    def emit(self, w: CodeWriter) -> None:
        assert self.receptor is not None  # PlasticProjection emits its own code when it transmits nothing
        r = (lambda local: w.ref(self, local))
        for local, value in (("indptr", self.indptr), ("indices", self.indices), ("weights", self.weights),
                             ("delays", self.delay_steps)):
            w.add_argument(r(local), value)
        pre = (lambda local: w.ref(self.pre, local))
        counts = pre("counts") if self.pre.multiplicity else w.add_argument("no_counts", np.zeros(0, np.int32))
        threaded = w.threads > 1 and self.post.n >= w.PARALLEL_MIN_TARGETS
        w.add_argument(r("splits"), row_splits(self.indptr, self.indices, self.post.n, w.threads if threaded else 1))
        spikes = (f"{pre('spikes')}, {counts}, {pre('nspk')}[0], {r('indptr')}, {r('splits')}, {r('indices')}, "
                  f"{r('weights')}")
        blocks = f"_b, {w.threads}" if threaded else "0, 1"

        def line(text: str, writes: str) -> str:
            """``text``, for each thread's block if threaded (the writer schedules the blocks)."""
            return PerThread(text, writes, self.pre.n, self.n_synapses) if threaded else text

        if self.immediate and self.post.receptor_is_delta(self.receptor):
            w.add_import("from neurosim.core.connectivity import propagate_jumps_now")
            target = self.post.jump_target(w)
            w.add_lines("propagate", self, line(f"propagate_jumps_now({spikes}, {target}, dt, {blocks})", target))
        elif self.immediate:
            # Delivered now, as the ring slot of this step would be at the end of the step.
            w.add_import("from neurosim.core.connectivity import propagate_now")
            bank = self.post.bank
            assert bank is not None  # built before the code is written
            for row in bank.rows(self.receptor):
                if bank.b[row]:
                    target, scale = f"{w.ref(self.post, 'z')}[{row}]", w.constant(self, f"b{row}", bank.b[row])
                    w.add_lines("propagate", self,
                                line(f"propagate_now({spikes}, {target}, {scale}, {blocks})", target))
        else:
            w.add_import("from neurosim.core.connectivity import propagate")
            ring = w.ref(self.post, "ring")
            w.add_lines("propagate", self, line(f"propagate({spikes}, {r('delays')}, {self.uniform_delay}, "
                                                f"{ring}, {self.receptor_index}, step, {blocks})", ring))


#: Precisions a projection may store its weights in.
WEIGHT_DTYPES = ("float64", "float32")


def _weight_dtype(value, name: str) -> np.dtype:
    """``value`` as one of ``WEIGHT_DTYPES``, else ``ParameterError`` naming the projection."""
    try:
        dtype = np.dtype(value)
    except TypeError:
        dtype = None
    if dtype is None or dtype.name not in WEIGHT_DTYPES:
        raise ParameterError(f"projection '{name}': weight_dtype", value, f"one of {list(WEIGHT_DTYPES)}",
                             owner=("projection", name), key="weight_dtype")
    return dtype


def _weight_dimension(post, receptor: str) -> str:
    """What a weight onto ``receptor`` of ``post`` is: a current, a conductance, or (delta) a voltage jump."""
    synapse = getattr(post, "receptors", {}).get(receptor)
    kind = getattr(synapse, "kind", "current")
    if kind == "delta" and "v" in getattr(post, "state_spec", {}):
        return post.variable_dimension("v")  # the unit of v (dimensionless for the NEF's LIF)
    return {"conductance": "conductance", "delta": "voltage"}.get(kind, "current")


def _si(value, dimension: str, key: str):
    """Strings with units, pint quantities, numbers and arrays (scalars or lists) to SI by the API's
    unit rule (:func:`neurosim.units.quantity`); distributions as they are."""
    if hasattr(value, "draw"):
        return value
    return quantity(value, dimension, key)


def homogeneous(weights: np.ndarray) -> bool:
    """Whether ``weights`` is one value seen as one per synapse (a read-only stride-0 view, as a
    scalar weight is stored): the kernels read it like any array, at no memory per synapse."""
    return weights.ndim == 1 and weights.size > 1 and weights.strides[0] == 0


def _is_scalar(value) -> bool:
    return not hasattr(value, "draw") and np.ndim(value) == 0


@numba.njit(cache=True, nogil=True)
def _csr_ordered(pre, post):
    """Whether the pairs are sorted by ``pre`` and, within a row, strictly by ``post`` (a loop: no
    temporaries of the synapse count)."""
    for s in range(1, pre.shape[0]):
        if pre[s] < pre[s - 1] or (pre[s] == pre[s - 1] and post[s] <= post[s - 1]):
            return False
    return True


@numba.njit(cache=True, nogil=True)
def _row_pointers(pre, n_pre):
    """CSR row pointers (int64, ``n_pre + 1``) of pairs sorted by ``pre``."""
    indptr = np.zeros(n_pre + 1, np.int64)
    for s in range(pre.shape[0]):
        indptr[pre[s] + 1] += 1
    for i in range(n_pre):
        indptr[i + 1] += indptr[i]
    return indptr


# Spike propagation. Each kernel walks, for every spike in order, the synapses of its CSR row whose
# targets lie in block ``block`` of ``blocks`` (``[block n / blocks, (block + 1) n / blocks)``; rows
# are sorted by target, and ``splits[i, b - 1]`` is where block ``b`` starts in row ``i``, found at
# build by ``row_splits``). The serial loop calls it with ``0, 1`` (``splits`` has no columns);
# with ``threads > 1`` the generated loop runs ``block = 0 .. threads - 1`` as one
# ``prange`` over all its threaded projections (one parallel region per step for the propagation
# phase). Each target is then written by one thread only, and its sum is formed in the same order
# whatever the thread count (spikes in order, then synapses in row order): bit-identical results.
# ``counts`` holds the spikes per listed neuron of sources that fire several times per step
# (Poisson); it is empty for ordinary populations (one spike each: the factor 1 is exact).


@numba.njit(cache=True, nogil=True, forceinline=True)
def _owned(indptr, splits, i, block, blocks):
    """The synapses ``[first, end)`` of CSR row ``i`` whose targets lie in block ``block`` of
    ``blocks``."""
    first = indptr[i] if block == 0 else splits[i, block - 1]
    end = indptr[i + 1] if block == blocks - 1 else splits[i, block]
    return first, end


@numba.njit(cache=True, nogil=True)
def row_splits(indptr, indices, n_post, blocks):
    """Where each block ``b = 1 .. blocks - 1`` of the targets (``[b n_post / blocks, ...)``)
    starts in each CSR row: int64, ``(rows, blocks - 1)``."""
    splits = np.empty((indptr.shape[0] - 1, blocks - 1), np.int64)
    for i in range(indptr.shape[0] - 1):
        start = indptr[i]
        for b in range(1, blocks):
            start = _first_at_least(indices, start, indptr[i + 1], b * n_post // blocks)
            splits[i, b - 1] = start
    return splits


@numba.njit(cache=True, nogil=True)
def _first_at_least(indices, a, b, value):
    """The first position in ``[a, b)`` of the sorted ``indices`` holding ``>= value`` (else ``b``)."""
    while a < b:
        mid = (a + b) // 2
        if indices[mid] < value:
            a = mid + 1
        else:
            b = mid
    return a


#: How many spikes ahead of the one being added the ``propagate*`` kernels prefetch CSR rows. A
#: step's spiking neurons have rows scattered over synapse arrays much larger than the caches, and a
#: row's loads depend on ``indptr``, so without prefetch each row costs one or two memory latencies
#: in series. 2 to 64 measured alike on CUBA at N = 100 000 (benchmarks/README.md).
PREFETCH_AHEAD = 4
#: Projections whose ``indices`` take fewer bytes are not prefetched: their rows stay in the caches
#: (1 MiB, the L2 cache of a current x86 core), and the prefetches cost more than they save (CUBA at
#: N = 4000, 0.8 MB: 20 % slower with them).
PREFETCH_MIN_BYTES = 1 << 20
#: The ``delays`` of ``_prefetch_row`` for kernels that have none.
NO_DELAYS = np.zeros(0, np.uint16)


@numba.njit(cache=True, nogil=True, forceinline=True)
def _prefetch_ahead(indices, n_spikes):
    """The spikes to prefetch before the first (0 if the projection fits in the caches)."""
    return min(PREFETCH_AHEAD, n_spikes) if indices.shape[0] * indices.itemsize >= PREFETCH_MIN_BYTES else 0


@numba.njit(cache=True, nogil=True, forceinline=True)
def _prefetch_row(indptr, splits, block, blocks, indices, weights, delays, i):
    """Prefetch the synapses of CSR row ``i`` in block ``block`` of ``blocks``: their indices,
    their weights (unless one stride-0 value) and their delays (if ``delays`` holds one per
    synapse)."""
    start, end = _owned(indptr, splits, i, block, blocks)
    prefetch_span(indices, start, end)
    prefetch_span(weights, start, end)
    if delays.shape[0]:
        prefetch_span(delays, start, end)


@numba.njit(cache=True, nogil=True)
def propagate_now(spikes, counts, n_spikes, indptr, splits, indices, weights, target, scale, block, blocks):
    """Add ``scale`` times the weights of every spiking neuron's CSR row (its targets in block
    ``block`` of ``blocks``) into ``target``."""
    ahead = _prefetch_ahead(indices, n_spikes)
    for k in range(ahead):
        _prefetch_row(indptr, splits, block, blocks, indices, weights, NO_DELAYS, spikes[k])
    for k in range(n_spikes):
        if ahead and k + ahead < n_spikes:
            _prefetch_row(indptr, splits, block, blocks, indices, weights, NO_DELAYS, spikes[k + ahead])
        factor = scale * counts[k] if counts.shape[0] else scale
        first, end = _owned(indptr, splits, spikes[k], block, blocks)
        for s in range(first, end):
            target[indices[s]] += factor * weights[s]


@numba.njit(cache=True, nogil=True)
def propagate_jumps_now(spikes, counts, n_spikes, indptr, splits, indices, weights, v, ref_left, dt, block,
                        blocks):
    """Add the weights (voltage jumps of a delta receptor) of every spiking neuron's CSR row (its
    targets in block ``block`` of ``blocks``) to ``v``, dropping those that reach refractory
    neurons (``ref_left > dt/2``)."""
    ahead = _prefetch_ahead(indices, n_spikes)
    for k in range(ahead):
        _prefetch_row(indptr, splits, block, blocks, indices, weights, NO_DELAYS, spikes[k])
    for k in range(n_spikes):
        if ahead and k + ahead < n_spikes:
            _prefetch_row(indptr, splits, block, blocks, indices, weights, NO_DELAYS, spikes[k + ahead])
        first, end = _owned(indptr, splits, spikes[k], block, blocks)
        if counts.shape[0]:
            count = counts[k]
            for s in range(first, end):
                j = indices[s]
                if ref_left[j] <= 0.5 * dt:
                    v[j] += count * weights[s]
        else:
            for s in range(first, end):
                j = indices[s]
                if ref_left[j] <= 0.5 * dt:
                    v[j] += weights[s]


@numba.njit(cache=True, nogil=True)
def propagate(spikes, counts, n_spikes, indptr, splits, indices, weights, delays, uniform_delay, ring, receptor,
              step, block, blocks):
    """Add the weights of every spiking neuron's CSR row (its targets in block ``block`` of
    ``blocks``) into the ring buffer at its delay (``uniform_delay`` steps if >= 0, else ``delays``)."""
    length = ring.shape[0]
    ahead = _prefetch_ahead(indices, n_spikes)
    for k in range(ahead):
        _prefetch_row(indptr, splits, block, blocks, indices, weights, delays, spikes[k])
    for k in range(n_spikes):
        if ahead and k + ahead < n_spikes:
            _prefetch_row(indptr, splits, block, blocks, indices, weights, delays, spikes[k + ahead])
        count = counts[k] if counts.shape[0] else 1
        first, end = _owned(indptr, splits, spikes[k], block, blocks)
        if uniform_delay >= 0:
            target = ring[(step + uniform_delay) % length, receptor]
            for s in range(first, end):
                target[indices[s]] += count * weights[s]
        else:
            for s in range(first, end):
                ring[(step + delays[s]) % length, receptor, indices[s]] += count * weights[s]
