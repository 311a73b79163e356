"""Layers built from autodiff operations: dense, 2-D convolution and max pooling, embedding, dropout,
normalisation."""
from __future__ import annotations

import itertools

import numpy as np

from ..errors import ParameterError, did_you_mean
from . import autodiff as ad
from .autodiff import Tensor

ACTIVATIONS = {"logistic": ad.logistic, "tanh": ad.tanh, "relu": ad.relu, "softplus": ad.softplus}


def activation(name: str):
    """The activation function called ``name`` (one of :data:`ACTIVATIONS`)."""
    if name not in ACTIVATIONS:
        raise ParameterError("activation", name, f"one of {sorted(ACTIVATIONS)}{did_you_mean(name, ACTIVATIONS)}")
    return ACTIVATIONS[name]


class Module:
    """Base class: finds parameters in attributes, sub-modules and lists of them; train/eval mode."""

    training = True

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def children(self):
        for value in vars(self).values():
            items = value if isinstance(value, (list, tuple)) else [value]
            yield from (item for item in items if isinstance(item, (Module, Tensor)))

    def parameters(self) -> list[Tensor]:
        found, seen = [], set()
        for child in self.children():
            params = child.parameters() if isinstance(child, Module) else [child] if child.requires_grad else []
            for p in params:
                if id(p) not in seen:
                    seen.add(id(p))
                    found.append(p)
        return found

    def train(self, mode: bool = True):
        self.training = mode
        for child in self.children():
            if isinstance(child, Module):
                child.train(mode)
        return self

    def eval(self):
        return self.train(False)

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = None


def _check_features(layer: str, x: Tensor, expected: int, axis: int = -1) -> None:
    if x.ndim == 0 or x.shape[axis] != expected:
        raise ParameterError(f"{layer}: input shape", x.shape, f"size {expected} along axis {axis}")


def _positive_int(name: str, value) -> int:
    if int(value) != value or value < 1:
        raise ParameterError(name, value, "a positive integer")
    return int(value)


class Dense(Module):
    """y = x W + b, weights drawn with Glorot/He scaling (``gain``) for the activation that follows."""

    def __init__(self, in_features: int, out_features: int, rng: np.random.Generator, gain: float = 1.0,
                 bias: bool = True):
        self.in_features = _positive_int("Dense: in_features", in_features)
        self.out_features = _positive_int("Dense: out_features", out_features)
        scale = gain * np.sqrt(2.0 / (in_features + out_features))
        self.weight = ad.parameter(rng.normal(0.0, scale, (in_features, out_features)))
        self.bias = ad.parameter(np.zeros(out_features)) if bias else None

    def forward(self, x) -> Tensor:
        x = ad.as_tensor(x)
        _check_features(f"Dense({self.in_features}->{self.out_features})", x, self.in_features)
        y = x @ self.weight
        return y if self.bias is None else y + self.bias


class Conv2d(Module):
    """2-D convolution (cross-correlation) of (N, C, H, W) inputs via im2col and one matrix product."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, rng: np.random.Generator,
                 stride: int = 1, padding: int = 0):
        self.in_channels = _positive_int("Conv2d: in_channels", in_channels)
        self.out_channels = _positive_int("Conv2d: out_channels", out_channels)
        self.kernel_size = _positive_int("Conv2d: kernel_size", kernel_size)
        self.stride = _positive_int("Conv2d: stride", stride)
        if padding < 0:
            raise ParameterError("Conv2d: padding", padding, ">= 0")
        self.padding = int(padding)
        fan_in = in_channels * kernel_size**2
        self.weight = ad.parameter(rng.normal(0.0, np.sqrt(2.0 / fan_in),
                                              (out_channels, in_channels, kernel_size, kernel_size)))
        self.bias = ad.parameter(np.zeros(out_channels))

    def forward(self, x) -> Tensor:
        x = ad.as_tensor(x)
        if x.ndim != 4:
            raise ParameterError("Conv2d: input shape", x.shape, "(batch, channels, height, width)")
        _check_features(f"Conv2d({self.in_channels}->{self.out_channels})", x, self.in_channels, axis=1)
        p, k, s = self.padding, self.kernel_size, self.stride
        if p:
            x = ad.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        out_h, out_w = (x.shape[2] - k) // s + 1, (x.shape[3] - k) // s + 1
        if out_h < 1 or out_w < 1:
            raise ParameterError("Conv2d: input size", x.shape[2:], f"at least the kernel size {k}")
        patches = ad.im2col(x, k, s)  # (N * out_h * out_w, C * k * k)
        out = patches @ ad.transpose(self.weight.reshape(self.out_channels, -1)) + self.bias  # one matrix product
        return ad.transpose(out.reshape(x.shape[0], out_h, out_w, self.out_channels), (0, 3, 1, 2))


class MaxPool2d(Module):
    """Maximum over non-overlapping ``size`` x ``size`` windows of (N, C, H, W); H and W must be multiples."""

    def __init__(self, size: int = 2):
        self.size = _positive_int("MaxPool2d: size", size)

    def forward(self, x) -> Tensor:
        x = ad.as_tensor(x)
        if x.ndim != 4 or x.shape[2] % self.size or x.shape[3] % self.size:
            raise ParameterError("MaxPool2d: input shape", x.shape,
                                 f"(batch, channels, height, width) with height and width multiples of {self.size}")
        return ad.max_pool2d(x, self.size)


class Embedding(Module):
    """A table of learned vectors, looked up by integer token."""

    def __init__(self, num_embeddings: int, dim: int, rng: np.random.Generator):
        self.num_embeddings = _positive_int("Embedding: num_embeddings", num_embeddings)
        self.weight = ad.parameter(rng.normal(0.0, 1.0, (num_embeddings, _positive_int("Embedding: dim", dim))))

    def forward(self, tokens: np.ndarray) -> Tensor:
        tokens = np.asarray(tokens)
        if tokens.size and (tokens.min() < 0 or tokens.max() >= self.num_embeddings):
            raise ParameterError("Embedding: token", int(tokens.max()), f"in [0, {self.num_embeddings})")
        return self.weight[tokens]


class Dropout(Module):
    """Inverted dropout: zero each unit with probability ``p`` while training, scale the rest by 1/(1-p)."""

    def __init__(self, p: float, rng: np.random.Generator):
        if not 0 <= p < 1:
            raise ParameterError("Dropout: p", p, "in [0, 1)")
        self.p, self.rng = float(p), rng

    def forward(self, x) -> Tensor:
        x = ad.as_tensor(x)
        if not self.training or self.p == 0:
            return x
        keep = self.rng.random(x.shape) >= self.p
        return x * (keep / (1 - self.p))


class BatchNorm(Module):
    """Normalise each feature over the batch (axis 0); running averages are used in eval mode."""

    def __init__(self, features: int, momentum: float = 0.1, eps: float = 1e-5):
        self.features = _positive_int("BatchNorm: features", features)
        self.momentum, self.eps = momentum, eps
        self.gamma = ad.parameter(np.ones(features))
        self.beta = ad.parameter(np.zeros(features))
        self.running_mean, self.running_var = np.zeros(features), np.ones(features)

    def forward(self, x) -> Tensor:
        x = ad.as_tensor(x)
        _check_features(f"BatchNorm({self.features})", x, self.features)
        if self.training:
            centred = x - x.mean(axis=0, keepdims=True)
            var = (centred * centred).mean(axis=0, keepdims=True)
            m = self.momentum
            self.running_mean = (1 - m) * self.running_mean + m * x.data.mean(axis=0)
            self.running_var = (1 - m) * self.running_var + m * var.data[0] * x.shape[0] / max(x.shape[0] - 1, 1)
            normalised = centred * (var + self.eps) ** -0.5
        else:
            normalised = (x - self.running_mean) * (1.0 / np.sqrt(self.running_var + self.eps))
        return normalised * self.gamma + self.beta


class LayerNorm(Module):
    """Normalise each sample over its last axis, then scale and shift per feature."""

    def __init__(self, features: int, eps: float = 1e-5):
        self.features = _positive_int("LayerNorm: features", features)
        self.eps = eps
        self.gamma = ad.parameter(np.ones(features))
        self.beta = ad.parameter(np.zeros(features))

    def forward(self, x) -> Tensor:
        x = ad.as_tensor(x)
        _check_features(f"LayerNorm({self.features})", x, self.features)
        centred = x - x.mean(axis=-1, keepdims=True)
        var = (centred * centred).mean(axis=-1, keepdims=True)
        return centred * (var + self.eps) ** -0.5 * self.gamma + self.beta


class Sequential(Module):
    """Apply layers (modules or functions) in turn; consecutive Dense sizes must agree."""

    def __init__(self, *layers):
        dense = [layer for layer in layers if isinstance(layer, Dense)]
        for i, (before, after) in enumerate(itertools.pairwise(dense)):
            if before.out_features != after.in_features:
                raise ParameterError(f"Sequential: Dense layer {i + 1} in_features", after.in_features,
                                     f"{before.out_features} (out_features of Dense layer {i})")
        self.layers = list(layers)

    def children(self):
        yield from (layer for layer in self.layers if isinstance(layer, Module))

    def forward(self, x) -> Tensor:
        for layer in self.layers:
            x = layer(x)
        return x
