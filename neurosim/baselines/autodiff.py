"""Reverse-mode automatic differentiation over numpy arrays.

A :class:`Tensor` wraps an array; every operation on tensors that need gradients records its
inputs and a function mapping the output gradient to input gradients. ``loss.backward()`` walks
the graph in reverse topological order and accumulates gradients (``+``) wherever branches meet.
Gradients of broadcast operations are summed back to each input's shape (:func:`unbroadcast`).
"""
from __future__ import annotations

import numpy as np

from ..core import activations


class Tensor:
    """A value in the expression graph, with its gradient once :meth:`backward` has run."""

    __array_priority__ = 100  # ``ndarray * Tensor`` defers to Tensor.__rmul__
    __slots__ = ("_backward", "_parents", "data", "grad", "requires_grad")

    def __init__(self, data, requires_grad: bool = False, _parents: tuple = (), _backward=None):
        self.data = data if isinstance(data, np.ndarray) else np.asarray(data, dtype=float)
        self.grad = None
        self.requires_grad = requires_grad
        self._parents = _parents
        self._backward = _backward

    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    size = property(lambda self: self.data.size)

    def __repr__(self):
        return f"Tensor(shape={self.shape}, requires_grad={self.requires_grad})"

    def item(self) -> float:
        return float(self.data)

    def zero_grad(self) -> None:
        self.grad = None

    def backward(self, grad=None) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``grad`` (``self`` must be scalar if no grad)."""
        if grad is None:
            if self.data.size != 1:
                raise ValueError(f"backward() without a gradient needs a scalar, got shape {self.shape}")
            grad = np.ones_like(self.data)
        order = _topological_order(self)
        self.grad = grad if self.grad is None else self.grad + grad
        for node in reversed(order):
            if node._backward is None or node.grad is None:
                continue
            for parent, g in zip(node._parents, node._backward(node.grad), strict=True):
                if g is not None and parent.requires_grad:
                    parent.grad = g if parent.grad is None else parent.grad + g
            node.grad = None  # intermediate gradients are released; leaves keep theirs

    # operators
    def __add__(self, other): return add(self, other)
    def __radd__(self, other): return add(other, self)
    def __sub__(self, other): return sub(self, other)
    def __rsub__(self, other): return sub(other, self)
    def __mul__(self, other): return mul(self, other)
    def __rmul__(self, other): return mul(other, self)
    def __truediv__(self, other): return div(self, other)
    def __rtruediv__(self, other): return div(other, self)
    def __neg__(self): return neg(self)
    def __pow__(self, exponent): return power(self, exponent)
    def __matmul__(self, other): return matmul(self, other)
    def __rmatmul__(self, other): return matmul(other, self)
    def __getitem__(self, index): return getitem(self, index)

    def sum(self, axis=None, keepdims=False): return tensor_sum(self, axis, keepdims)
    def mean(self, axis=None, keepdims=False): return mean(self, axis, keepdims)
    def reshape(self, *shape): return reshape(self, shape[0] if len(shape) == 1 else shape)


def _topological_order(root: Tensor) -> list[Tensor]:
    """Nodes that need gradients, each after all of its parents (iterative depth-first search)."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, finished = stack.pop()
        if finished:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((p, False) for p in node._parents if p.requires_grad and id(p) not in seen)
    return order


def as_tensor(x) -> Tensor:
    """``x`` itself if it is a Tensor, else a constant Tensor (no gradient)."""
    return x if isinstance(x, Tensor) else Tensor(np.asarray(x))


def parameter(data) -> Tensor:
    """A leaf tensor that collects gradients."""
    return Tensor(np.asarray(data), requires_grad=True)


def _node(data, parents, backward) -> Tensor:
    if any(p.requires_grad for p in parents):
        return Tensor(data, True, parents, backward)
    return Tensor(data)


def unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``grad`` over the axes along which an array of ``shape`` was broadcast."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return grad.sum(axis=axes, keepdims=True) if axes else grad


# elementwise binary operations (numpy broadcasting)
def add(a, b) -> Tensor:
    a, b = as_tensor(a), as_tensor(b)
    return _node(a.data + b.data, (a, b), lambda g: (unbroadcast(g, a.shape), unbroadcast(g, b.shape)))


def sub(a, b) -> Tensor:
    a, b = as_tensor(a), as_tensor(b)
    return _node(a.data - b.data, (a, b), lambda g: (unbroadcast(g, a.shape), unbroadcast(-g, b.shape)))


def mul(a, b) -> Tensor:
    a, b = as_tensor(a), as_tensor(b)
    return _node(a.data * b.data, (a, b),
                 lambda g: (unbroadcast(g * b.data, a.shape) if a.requires_grad else None,
                            unbroadcast(g * a.data, b.shape) if b.requires_grad else None))


def div(a, b) -> Tensor:
    a, b = as_tensor(a), as_tensor(b)
    out = a.data / b.data
    return _node(out, (a, b), lambda g: (unbroadcast(g / b.data, a.shape),
                                         unbroadcast(-g * out / b.data, b.shape)))


def neg(a) -> Tensor:
    a = as_tensor(a)
    return _node(-a.data, (a,), lambda g: (-g,))


def power(a, exponent: float) -> Tensor:
    """``a ** exponent`` for a constant scalar exponent."""
    a = as_tensor(a)
    return _node(a.data ** exponent, (a,), lambda g: (g * exponent * a.data ** (exponent - 1),))


def matmul(a, b) -> Tensor:
    """Matrix product with numpy's batching rules (both operands at least 2-D)."""
    a, b = as_tensor(a), as_tensor(b)
    if a.ndim < 2 or b.ndim < 2:
        raise ValueError(f"matmul needs operands of at least 2 dimensions, got {a.shape} and {b.shape}")

    def backward(g):
        ga = gb = None
        if a.requires_grad:
            ga = unbroadcast(g @ np.swapaxes(b.data, -1, -2), a.shape)
        if b.requires_grad:
            if b.ndim == 2 and a.ndim > 2:  # (..., n, k) @ (k, m): fold the batch into one product
                gb = a.data.reshape(-1, a.shape[-1]).T @ g.reshape(-1, g.shape[-1])
            else:
                gb = unbroadcast(np.swapaxes(a.data, -1, -2) @ g, b.shape)
        return ga, gb

    return _node(a.data @ b.data, (a, b), backward)


# elementwise unary functions
def exp(a) -> Tensor:
    a = as_tensor(a)
    out = np.exp(a.data)
    return _node(out, (a,), lambda g: (g * out,))


def log(a) -> Tensor:
    a = as_tensor(a)
    return _node(np.log(a.data), (a,), lambda g: (g / a.data,))


def _activation(name: str):
    """The activation ``name`` of :mod:`neurosim.core.activations` as an autodiff operation."""
    value, slope = activations.VALUES[name], activations.SLOPES[name]

    def apply(a) -> Tensor:
        a = as_tensor(a)
        out = value(a.data)
        return _node(out, (a,), lambda g: (g * slope(a.data, out),))

    apply.__name__ = apply.__qualname__ = name
    apply.__doc__ = f"The {name} activation (:mod:`neurosim.core.activations`), differentiable."
    return apply


logistic, tanh, relu, softplus = (_activation(name) for name in ("logistic", "tanh", "relu", "softplus"))


# reductions and shape operations
def tensor_sum(a, axis=None, keepdims=False) -> Tensor:
    a = as_tensor(a)

    def backward(g):
        if axis is not None and not keepdims:
            g = np.expand_dims(g, axis)
        return (np.broadcast_to(g, a.shape),)

    return _node(a.data.sum(axis=axis, keepdims=keepdims), (a,), backward)


def mean(a, axis=None, keepdims=False) -> Tensor:
    a = as_tensor(a)
    count = a.size if axis is None else int(np.prod([a.shape[i] for i in np.atleast_1d(axis)]))
    return tensor_sum(a, axis, keepdims) * (1.0 / count)


def reshape(a, shape) -> Tensor:
    a = as_tensor(a)
    return _node(a.data.reshape(shape), (a,), lambda g: (g.reshape(a.shape),))


def transpose(a, axes=None) -> Tensor:
    """Permute axes (reverse them when ``axes`` is None)."""
    a = as_tensor(a)
    inverse = None if axes is None else np.argsort(axes)
    return _node(np.transpose(a.data, axes), (a,), lambda g: (np.transpose(g, inverse),))


def _is_advanced(index) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(p, (np.ndarray, list)) for p in parts)


def getitem(a, index) -> Tensor:
    """``a[index]``; with integer-array indices repeated entries accumulate their gradients."""
    a = as_tensor(a)

    def backward(g):
        full = np.zeros(a.shape, dtype=g.dtype)
        if _is_advanced(index):
            np.add.at(full, index, g)
        else:
            full[index] = g
        return (full,)

    return _node(a.data[index], (a,), backward)


def pad(a, widths) -> Tensor:
    """Zero padding, ``widths`` as for ``numpy.pad``."""
    a = as_tensor(a)
    inner = tuple(slice(before, before + n) for (before, _), n in zip(widths, a.shape, strict=True))
    return _node(np.pad(a.data, widths), (a,), lambda g: (g[inner],))


def concat(tensors, axis: int = 0) -> Tensor:
    tensors = [as_tensor(t) for t in tensors]
    splits = np.cumsum([t.shape[axis] for t in tensors])[:-1]
    return _node(np.concatenate([t.data for t in tensors], axis=axis), tuple(tensors),
                 lambda g: tuple(np.split(g, splits, axis=axis)))


def stack(tensors, axis: int = 0) -> Tensor:
    tensors = [as_tensor(t) for t in tensors]
    return _node(np.stack([t.data for t in tensors], axis=axis), tuple(tensors),
                 lambda g: tuple(np.moveaxis(g, axis, 0)))


def im2col(a, kernel_size: int, stride: int = 1) -> Tensor:
    """Receptive fields of (N, C, H, W) as rows of an (N * out_h * out_w, C * k * k) matrix.

    Rows run over (sample, output row, output column), columns over (channel, kernel row, kernel
    column), so ``im2col(x) @ weight.reshape(O, -1).T`` is the convolution; out_h = (H - k) // stride + 1.
    The backward pass (col2im) adds each of the k*k kernel offsets' gradients into a strided slice.
    """
    a = as_tensor(a)
    k, s = kernel_size, stride
    n, c, height, width = a.shape
    out_h, out_w = (height - k) // s + 1, (width - k) // s + 1
    windows = np.lib.stride_tricks.sliding_window_view(a.data, (k, k), axis=(2, 3))[:, :, ::s, ::s]
    out = windows.transpose(0, 2, 3, 1, 4, 5).reshape(n * out_h * out_w, c * k * k)

    def backward(g):
        g = g.reshape(n, out_h, out_w, c, k, k).transpose(0, 3, 4, 5, 1, 2)  # (N, C, k, k, out_h, out_w)
        full = np.zeros(a.shape, dtype=g.dtype)
        for dy in range(k):
            for dx in range(k):
                full[:, :, dy:dy + s * (out_h - 1) + 1:s, dx:dx + s * (out_w - 1) + 1:s] += g[:, :, dy, dx]
        return (full,)

    return _node(out, (a,), backward)


def max_pool2d(a, size: int) -> Tensor:
    """Maximum over non-overlapping ``size`` x ``size`` windows of (N, C, H, W) (H, W multiples of size).

    The gradient goes to the (first) maximal element of each window.
    """
    a = as_tensor(a)
    n, c, height, width = a.shape
    oh, ow = height // size, width // size
    windows = a.data.reshape(n, c, oh, size, ow, size).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, oh, ow, -1)
    winner = windows.argmax(axis=-1)[..., None]
    out = np.take_along_axis(windows, winner, axis=-1)[..., 0]

    def backward(g):
        spread = np.zeros(windows.shape, dtype=g.dtype)
        np.put_along_axis(spread, winner, g[..., None], axis=-1)
        return (spread.reshape(n, c, oh, ow, size, size).transpose(0, 1, 2, 4, 3, 5).reshape(a.shape),)

    return _node(out, (a,), backward)


# normalised exponentials
def log_softmax(a, axis: int = -1) -> Tensor:
    """log(softmax(a)) along ``axis``, shifted by the maximum for stability."""
    a = as_tensor(a)
    shifted = a.data - a.data.max(axis=axis, keepdims=True)
    out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    return _node(out, (a,), lambda g: (g - np.exp(out) * g.sum(axis=axis, keepdims=True),))


def softmax(a, axis: int = -1) -> Tensor:
    a = as_tensor(a)
    e = np.exp(a.data - a.data.max(axis=axis, keepdims=True))
    out = e / e.sum(axis=axis, keepdims=True)
    return _node(out, (a,), lambda g: (out * (g - (g * out).sum(axis=axis, keepdims=True)),))


# recurrences
def scan_linear(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """h_t = a_t h_{t-1} + b_t along axis 1 with h_{-1} = 0, by an associative (Hillis-Steele) scan.

    The pairs (a, b) compose as (a1, b1) then (a2, b2) -> (a1 a2, a2 b1 + b2); log2(T) doubling
    steps, each one vectorised over the whole sequence.
    """
    a, h = a.copy(), b.copy()
    offset = 1
    while offset < a.shape[1]:
        h[:, offset:] = a[:, offset:] * h[:, :-offset] + h[:, offset:]
        a[:, offset:] = a[:, offset:] * a[:, :-offset]
        offset *= 2
    return h


def linear_recurrence(a, b, h0) -> Tensor:
    """Hidden states h_t = a_t * h_{t-1} + b_t for a, b of shape (batch, time, features).

    Forward and backward are both parallel scans: the adjoint obeys the reversed recurrence
    lambda_t = dL/dh_t + a_{t+1} lambda_{t+1}.
    """
    a, b, h0 = as_tensor(a), as_tensor(b), as_tensor(h0)
    first = b.data.copy()
    first[:, 0] += a.data[:, 0] * h0.data
    h = scan_linear(a.data, first)

    def backward(g):
        shifted = np.zeros_like(a.data)
        shifted[:, :-1] = a.data[:, 1:]
        adjoint = scan_linear(shifted[:, ::-1], g[:, ::-1])[:, ::-1]
        previous = np.concatenate([np.broadcast_to(h0.data, h[:, :1].shape), h[:, :-1]], axis=1)
        return adjoint * previous, adjoint, unbroadcast(a.data[:, 0] * adjoint[:, 0], h0.shape)

    return _node(h, (a, b, h0), backward)
