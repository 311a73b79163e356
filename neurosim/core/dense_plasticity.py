"""Rate-based learning on dense projections: the weight matrix changes every step by a local rule
of the activities on its two sides (``rate`` of rate and binary populations, after their update).

``hebbian``: ``dW_ij = learning_rate * post_i * pre_j`` (Hebb). Presenting ``M`` patterns ``x`` on a
clamped population (``BinaryPopulation(update='clamped')``), one per step, with ``learning_rate =
1/N`` stores Hopfield's ``W = (1/N) sum_mu x^mu x^mu^T``.
``storkey`` (Storkey 1997): ``dW_ij = learning_rate * (x_i x_j - x_i h_ji - h_ij x_j)`` with the local
field ``h_ij = h_i - W_ij x_j`` of unit ``i`` without unit ``j``'s contribution, ``h_i`` the input
``i_ext`` of unit ``i`` in that step (so the projection must be the population's only input);
recurrent projections only.

A recurrent projection (pre is post) never learns its diagonal: a unit has no synapse onto itself
(Hopfield's zero diagonal; the Hebbian term ``x_i^2 = 1`` carries no information).

Rules averaged over the copies of a batched network, once per mini-batch, in the whole-batch
``learn`` phase: contrastive divergence (:class:`BoltzmannProjection`) and predictive coding
(:class:`PredictiveCodingProjection`, pre activity times post error at the end of a relaxation).
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numba
import numpy as np

from ..errors import ParameterError
from .dense import DenseProjection

if TYPE_CHECKING:
    from .codegen import CodeWriter

RULES = ("hebbian", "storkey")


@numba.njit(cache=True, nogil=True)
def hebbian_update(W, post, pre, rate, skip_diagonal):
    """``W += rate * outer(post, pre)``, the diagonal left unchanged if ``skip_diagonal``."""
    for i in range(W.shape[0]):
        a = rate * post[i]
        if a != 0.0:
            row = W[i]
            for j in range(W.shape[1]):
                if j != i or not skip_diagonal:
                    row[j] += a * pre[j]


@numba.njit(cache=True, nogil=True)
def storkey_update(W, x, h, rate):
    """Storkey's rule for a recurrent ``W`` (zero diagonal), state ``x`` and input ``h = W x``."""
    n = x.shape[0]
    old = W.copy()
    for i in range(n):
        for j in range(n):
            if i != j:
                W[i, j] += rate * (x[i] * x[j] - x[i] * (h[j] - old[j, i] * x[i]) - (h[i] - old[i, j] * x[j]) * x[j])


class LearningDenseProjection(DenseProjection):
    """A full-matrix :class:`DenseProjection` between non-spiking populations whose weights follow
    ``rule`` ('hebbian' or 'storkey') with ``learning_rate`` every step; read the learned weights
    from the built projection (``simulator.network.projections[k].encode``)."""

    constant_arrays = ("decode",)  # the weights change

    def __init__(self, pre, post, matrix, rule: str = "hebbian", learning_rate: float = 1.0, name: str | None = None):
        super().__init__(pre, post, matrix=matrix, name=name)
        label = f"projection '{self.name}'"
        if rule not in RULES:
            raise ParameterError(f"{label}: rule", rule, f"one of {RULES}")
        if rule == "storkey" and pre is not post:
            raise ParameterError(f"{label}: rule", rule, "'hebbian' (Storkey's rule needs a recurrent projection)")
        for pop in (pre, post):
            if pop.spiking:
                raise ParameterError(f"{label}: population", pop.name,
                                     "a rate or binary population (the rules read 'rate')")
        if isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float)) \
                or not math.isfinite(learning_rate):
            raise ParameterError(f"{label}: learning_rate", learning_rate, "a finite number")
        self.rule, self.learning_rate = rule, float(learning_rate)

    def emit(self, w: CodeWriter) -> None:
        super().emit(w)
        r = (lambda local: w.ref(self, local))
        rate = w.constant(self, "learning_rate", self.learning_rate)
        if self.rule == "hebbian":
            w.add_import("from neurosim.core.dense_plasticity import hebbian_update")
            w.add_lines("propagate", self, f"hebbian_update({r('encode')}, {w.ref(self.post, 'rate')}, "
                                        f"{w.ref(self.pre, 'rate')}, {rate}, {self.pre is self.post})")
        else:
            w.add_import("from neurosim.core.dense_plasticity import storkey_update")
            w.add_lines("propagate", self, f"storkey_update({r('encode')}, {w.ref(self.post, 'rate')}, "
                                        f"{w.ref(self.post, 'i_ext')}, {rate})")


@numba.njit(cache=True, nogil=True)
def boltzmann_hidden_input(W, c, v, i_ext):
    """``i_ext += v W + c`` (hidden units' input from visible states ``v``; ``W`` is n_visible x n_hidden)."""
    for j in range(c.shape[0]):
        i_ext[j] += c[j]
    for i in range(v.shape[0]):
        a = v[i]
        if a != 0.0:
            row = W[i]
            for j in range(c.shape[0]):
                i_ext[j] += a * row[j]


@numba.njit(cache=True, nogil=True)
def boltzmann_visible_input(W, b, h, i_ext):
    """``i_ext += W h + b`` (visible units' input from hidden states ``h``)."""
    for i in range(b.shape[0]):
        row = W[i]
        acc = b[i]
        for j in range(h.shape[0]):
            acc += row[j] * h[j]
        i_ext[i] += acc


@numba.njit(cache=True, nogil=True)
def contrastive_update(W, b, c, vW, vb, vc, v_data, p_data, v_model, p_model, rate, momentum, decay):
    """One mini-batch update from the copies (rows) of the data and model phases:
    ``grad W = <v p>_data - <v p>_model - decay W``, ``velocity <- momentum velocity + rate grad``,
    ``W <- W + velocity`` (and likewise for the biases, without decay)."""
    n_v, n_h = W.shape
    for i in range(n_v):
        for j in range(n_h):
            vW[i, j] = momentum * vW[i, j] - rate * decay * W[i, j]
    vb *= momentum
    vc *= momentum
    for v, p, scale in ((v_data, p_data, rate / v_data.shape[0]), (v_model, p_model, -rate / v_model.shape[0])):
        for r in range(v.shape[0]):
            for i in range(n_v):
                a = scale * v[r, i]
                vb[i] += a
                if a != 0.0:
                    row = vW[i]
                    for j in range(n_h):
                        row[j] += a * p[r, j]
            for j in range(n_h):
                vc[j] += scale * p[r, j]
    for i in range(n_v):
        b[i] += vb[i]
        for j in range(n_h):
            W[i, j] += vW[i, j]
    for j in range(n_h):
        c[j] += vc[j]


class BoltzmannProjection:
    """Symmetric weights ``W`` (n_visible x n_hidden) and biases ``b``, ``c`` between binary
    ``visible`` and ``hidden`` populations of a restricted Boltzmann machine: hidden units receive
    ``v W + c`` in odd steps, visible units ``W h + b`` in even steps (give the populations
    ``every=2`` with ``offset`` 0 and 1: block Gibbs sampling as alternating updates).

    With ``data = (data_visible, data_hidden)`` (the visible units clamped to the training data,
    the hidden units they drive through the same weights) the projection learns by contrastive
    divergence, a local rule of each synapse's two sides: at the last step of every mini-batch of
    ``steps_per_batch`` steps, ``dW = <v p(h|v)>_data - <v p(h|v)>_model`` averaged over the
    copies of a batched network (data rows and Gibbs chains), with ``momentum`` and L2
    ``weight_decay`` on ``W``. ``persistent`` (PCD, Tieleman 2008): the chains (``visible``,
    ``hidden``) run on across mini-batches, ``2 k`` steps per batch; otherwise (CD-k) they restart
    each batch from the data's hidden sample (in the batch's third step), ``2 k + 2`` steps.
    Read the learned ``W``, ``b``, ``c`` from the built projection.
    """

    batchable = True
    max_delay = 0
    constant_arrays = ()

    def __init__(self, visible, hidden, weights, visible_bias=None, hidden_bias=None, data=None,
                 learning_rate: float = 0.0, k: int = 1, persistent: bool = True, momentum: float = 0.0,
                 weight_decay: float = 0.0, name: str | None = None):
        from .population import check_name

        self.name = check_name(name or f"{visible.name}_{hidden.name}_boltzmann", "projection")
        label = f"projection '{self.name}'"
        self.pre, self.post = visible, hidden
        pops = [visible, hidden, *(data or ())]
        if data is not None and (len(data) != 2 or data[0].n != visible.n or data[1].n != hidden.n):
            raise ParameterError(f"{label}: data", data, "(data_visible, data_hidden) populations of the visible "
                                 "and hidden sizes")
        for pop in pops:
            if getattr(pop, "model", "") != "binary":
                raise ParameterError(f"{label}: population", pop.name, "a binary population")
        weights = np.asarray(weights, float)
        if weights.shape != (visible.n, hidden.n) or not np.all(np.isfinite(weights)):
            raise ParameterError(f"{label}: weights", f"shape {weights.shape}",
                                 f"finite weights of shape (n_visible, n_hidden) = {(visible.n, hidden.n)}")
        self.weights = weights
        self.visible_bias = np.zeros(visible.n) if visible_bias is None else np.asarray(visible_bias, float)
        self.hidden_bias = np.zeros(hidden.n) if hidden_bias is None else np.asarray(hidden_bias, float)
        if self.visible_bias.shape != (visible.n,) or self.hidden_bias.shape != (hidden.n,):
            raise ParameterError(f"{label}: biases", (self.visible_bias.shape, self.hidden_bias.shape),
                                 f"shapes ({visible.n},) and ({hidden.n},)")
        for key, value, ok in (("learning_rate", learning_rate, lambda x: x >= 0),
                               ("momentum", momentum, lambda x: 0 <= x < 1),
                               ("weight_decay", weight_decay, lambda x: x >= 0)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                    or not ok(value):
                raise ParameterError(f"{label}: {key}", value, "a finite number (learning_rate, weight_decay >= 0; "
                                     "momentum in [0, 1))")
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ParameterError(f"{label}: k", k, "an integer >= 1 (Gibbs rounds per mini-batch)")
        self.data, self.k, self.persistent = data, int(k), bool(persistent)
        self.learning_rate, self.momentum = float(learning_rate), float(momentum)
        self.weight_decay = float(weight_decay)
        self.posts = tuple(pop for pop in (visible, hidden, *(data[1:] if data else ())))

    @property
    def steps_per_batch(self) -> int:
        return 2 * self.k + (0 if self.persistent else 2)

    def build(self, dt: float, rng: np.random.Generator | None = None) -> None:
        """Copy the weights and biases (what the run changes) and zero the velocities."""
        self.W = self.weights.copy()
        self.b, self.c = self.visible_bias.copy(), self.hidden_bias.copy()
        self.vW, self.vb, self.vc = np.zeros_like(self.W), np.zeros_like(self.b), np.zeros_like(self.c)

    def emit(self, w: CodeWriter) -> None:
        r = (lambda local: w.ref(self, local))
        for local in ("W", "b", "c", "vW", "vb", "vc"):
            w.add_argument(r(local), getattr(self, local))
        visible, hidden = self.pre, self.post
        q = (lambda pop, local: w.ref(pop, local))
        w.add_import("from neurosim.core.dense_plasticity import boltzmann_hidden_input, boltzmann_visible_input")
        pairs = [(visible, hidden)] + ([self.data] if self.data else [])
        for v, h in pairs:
            w.add_lines("input", self, f"if step % 2 == 1: boltzmann_hidden_input({r('W')}, {r('c')}, {q(v, 'rate')}, "
                                    f"{q(h, 'i_ext')})")
        source = q(hidden, "rate")
        if self.data and not self.persistent:  # CD-k: the chains restart from the data's hidden sample
            source = f"({q(self.data[1], 'rate')} if step % {self.steps_per_batch} == 2 else {source})"
        w.add_lines("input", self, f"if step % 2 == 0: boltzmann_visible_input({r('W')}, {r('b')}, {source}, "
                                f"{q(visible, 'i_ext')})")
        if self.data:
            w.add_import("from neurosim.core.dense_plasticity import contrastive_update")
            d_v, d_h = self.data
            w.add_lines("learn", self,
                f"if step % {self.steps_per_batch} == {self.steps_per_batch - 1}: contrastive_update("
                f"{r('W')}, {r('b')}, {r('c')}, {r('vW')}, {r('vb')}, {r('vc')}, {w.whole(d_v, 'rate')}, "
                f"{w.whole(d_h, 'p')}, {w.whole(visible, 'rate')}, {w.whole(hidden, 'p')}, "
                f"{w.constant(self, 'rate', self.learning_rate)}, {w.constant(self, 'momentum', self.momentum)}, "
                f"{w.constant(self, 'decay', self.weight_decay)})")


@numba.njit(cache=True, nogil=True)
def predictive_coding_update(W, bias, feedback, pre, post, used, rate, precision, feedback_rate):
    """``dW = rate <post^T pre>`` and ``db = rate <post>`` over the first ``used`` copies (rows), added
    to ``W = -precision W_ref^T`` (``post x pre``) and its ``bias`` as ``-precision`` times them, and to
    the tied ``feedback = feedback_rate W_ref`` (``pre x post``, empty if none) as ``feedback_rate`` times."""
    n_post, n_pre = W.shape
    grad = np.zeros((n_post, n_pre))
    mean = np.zeros(n_post)
    for r in range(used):
        for i in range(n_post):
            a = post[r, i]
            mean[i] += a
            row = grad[i]
            for j in range(n_pre):
                row[j] += a * pre[r, j]
    scale = rate / used
    forward = -precision * scale
    for i in range(n_post):
        bias[i, 0] += forward * mean[i]
        for j in range(n_pre):
            W[i, j] += forward * grad[i, j]
    if feedback.shape[0] > 0:
        back = feedback_rate * scale
        for i in range(n_post):
            for j in range(n_pre):
                feedback[j, i] += back * grad[i, j]


class PredictiveCodingProjection(DenseProjection):
    """The prediction ``f(x_{l-1}) -> e_l`` of predictive coding (``matrix = -precision W^T``, a BLAS
    product over the copies) with its ``bias`` projection (a constant unit ``-> e_l``, ``-precision b``)
    and optional tied ``feedback`` (``e_l -> x_{l-1}``, ``feedback_rate W``), plastic by the local rule
    ``dW = learning_rate <f(x_{l-1})^T e_l>``, ``db = learning_rate <e_l>`` (pre activity times post
    error, mean over the first ``copies_used`` copies; ``learning_rate`` includes the ``1 / gamma``).

    The rule runs once per run, in the whole-batch ``learn`` phase of the step in which ``settle``
    (a :class:`~neurosim.core.settle.Settle`) settles, or of step ``learn_at`` (the last step of the
    relaxation). ``learning_rate``, ``feedback_rate``, ``copies_used`` and ``learn_at`` are one-element
    arrays of the built projection: set them in place between runs (``learning_rate`` 0: no learning).
    """

    constant_arrays = ("decode",)  # the weights change

    def __init__(self, pre, post, matrix, bias: DenseProjection, precision: float, feedback=None,
                 name: str | None = None):
        super().__init__(pre, post, matrix=matrix, name=name, blas=True)
        label = f"projection '{self.name}'"
        if bias.pre.n != 1 or bias.post is not post or bias.diagonal is not None:
            raise ParameterError(f"{label}: bias", bias.name, f"a full projection from one unit onto '{post.name}'")
        if feedback is not None and (feedback.pre is not post or feedback.post is not pre
                                     or feedback.diagonal is not None):
            raise ParameterError(f"{label}: feedback", feedback.name,
                                 f"a full projection from '{post.name}' back onto '{pre.name}'")
        if not math.isfinite(precision) or precision <= 0:
            raise ParameterError(f"{label}: precision", precision, "a finite number > 0")
        for tied in (bias, feedback):
            if tied is not None:
                tied.constant_arrays = ("decode",)  # the rule changes their weights too
        self.bias, self.feedback, self.precision, self.settle = bias, feedback, float(precision), None
        self.learning_rate, self.feedback_rate = np.zeros(1), np.zeros(1)
        self.copies_used, self.learn_at = np.ones(1, np.int64), np.full(1, -1, np.int64)

    def emit(self, w: CodeWriter) -> None:
        super().emit(w)
        r = (lambda local: w.ref(self, local))
        w.add_arguments({r("learning_rate"): self.learning_rate, r("feedback_rate"): self.feedback_rate,
                         r("copies_used"): self.copies_used, r("learn_at"): self.learn_at})
        when = f"step == {r('learn_at')}[0]"
        if self.settle is not None:
            s = self.settle
            when += (f" or (step % {s.every} == {s.offset} and {w.ref(s, 'largest')}[0] < {w.ref(s, 'tol')}[0])")
        feedback = r("no_feedback")
        if self.feedback is None:
            w.add_argument(feedback, np.zeros((0, 0)))
        else:
            feedback = w.ref(self.feedback, "encode")
        rows = (lambda pop: w.whole(pop, "rate") if w.batch is not None else f"{w.ref(pop, 'rate')}.reshape(1, -1)")
        w.add_import("from neurosim.core.dense_plasticity import predictive_coding_update")
        w.add_lines("learn", self, [
            f"if {r('learning_rate')}[0] != 0.0 and ({when}):",
            f"    predictive_coding_update({r('encode')}, {w.ref(self.bias, 'encode')}, {feedback}, "
            f"{rows(self.pre)}, {rows(self.post)}, {r('copies_used')}[0], {r('learning_rate')}[0], "
            f"{w.constant(self, 'precision', self.precision)}, {r('feedback_rate')}[0])"])
