"""Decoder-only transformer (Vaswani et al. 2017, pre-layer-norm blocks) on sequence reversal.

A sequence ``s_1..s_n SEP s_n..s_1`` is modelled left to right with causal self-attention; the
loss counts only the reversed half, which the model must produce from the first half.
"""
from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from . import autodiff as ad
from .layers import Dense, Embedding, LayerNorm, Module
from .losses import cross_entropy
from .optim import Adam, clip_grad_norm


def reversal_batch(n: int, length: int, symbols: int, rng: np.random.Generator) -> np.ndarray:
    """(n, 2 length + 1) token sequences: random symbols, separator (token ``symbols``), reversal."""
    source = rng.integers(symbols, size=(n, length))
    separator = np.full((n, 1), symbols)
    return np.concatenate([source, separator, source[:, ::-1]], axis=1)


def sinusoidal_encoding(positions: int, dim: int) -> np.ndarray:
    """PE[p, 2i] = sin(p / 10000^(2i/dim)), PE[p, 2i+1] = cos(same)."""
    angle = np.arange(positions)[:, None] / 10000 ** (np.arange(0, dim, 2) / dim)
    encoding = np.zeros((positions, dim))
    encoding[:, 0::2], encoding[:, 1::2] = np.sin(angle), np.cos(angle[:, :dim // 2])
    return encoding


def causal_mask(length: int) -> np.ndarray:
    """Additive mask: 0 where position j <= i may be attended, a large negative number elsewhere."""
    return np.triu(np.full((length, length), -1e9), k=1)


class MultiHeadAttention(Module):
    """Causal scaled dot-product self-attention with ``heads`` heads; keeps the last attention maps."""

    def __init__(self, dim: int, heads: int, rng: np.random.Generator):
        if dim % heads:
            raise ParameterError("MultiHeadAttention: heads", heads, f"a divisor of the model dimension {dim}")
        self.dim, self.heads = dim, heads
        self.qkv = Dense(dim, 3 * dim, rng)
        self.out = Dense(dim, dim, rng)
        self.attention = None

    def forward(self, x: ad.Tensor) -> ad.Tensor:
        batch, length, _ = x.shape
        head_dim = self.dim // self.heads
        qkv = ad.transpose(self.qkv(x).reshape(batch, length, 3, self.heads, head_dim), (2, 0, 3, 1, 4))
        q, k, v = qkv[0], qkv[1], qkv[2]  # (batch, heads, length, head_dim)
        scores = (q @ ad.transpose(k, (0, 1, 3, 2))) * (1.0 / np.sqrt(head_dim)) + causal_mask(length)
        weights = ad.softmax(scores, axis=-1)
        self.attention = weights.data
        merged = ad.transpose(weights @ v, (0, 2, 1, 3)).reshape(batch, length, self.dim)
        return self.out(merged)


class Block(Module):
    """x + attention(LN(x)), then x + MLP(LN(x))."""

    def __init__(self, dim: int, heads: int, hidden: int, rng: np.random.Generator):
        self.norm1, self.norm2 = LayerNorm(dim), LayerNorm(dim)
        self.attention = MultiHeadAttention(dim, heads, rng)
        self.up, self.down = Dense(dim, hidden, rng, gain=np.sqrt(2.0)), Dense(hidden, dim, rng)

    def forward(self, x: ad.Tensor) -> ad.Tensor:
        x = x + self.attention(self.norm1(x))
        return x + self.down(ad.relu(self.up(self.norm2(x))))


class DecoderTransformer(Module):
    """Token embedding + sinusoidal positions, ``layers`` blocks, final layer norm, logits over the vocabulary."""

    def __init__(self, vocab: int, dim: int, heads: int, layers: int, hidden: int, max_length: int,
                 rng: np.random.Generator):
        self.vocab, self.max_length = vocab, max_length
        self.embedding = Embedding(vocab, dim, rng)
        self.positions = sinusoidal_encoding(max_length, dim)
        self.blocks = [Block(dim, heads, hidden, rng) for _ in range(layers)]
        self.norm = LayerNorm(dim)
        self.head = Dense(dim, vocab, rng)

    def forward(self, tokens: np.ndarray) -> ad.Tensor:
        tokens = np.asarray(tokens)
        if tokens.ndim != 2 or tokens.shape[1] > self.max_length:
            raise ParameterError("DecoderTransformer: tokens shape", tokens.shape,
                                 f"(batch, length <= {self.max_length})")
        x = self.embedding(tokens) + self.positions[:tokens.shape[1]]
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x))

    def attention_maps(self) -> list[np.ndarray]:
        """Attention weights (batch, heads, query, key) of each block from the last forward pass."""
        return [block.attention.attention for block in self.blocks]


def greedy_decode(model: DecoderTransformer, prefix: np.ndarray, steps: int) -> np.ndarray:
    """Append ``steps`` tokens, each the most probable next token."""
    tokens = np.asarray(prefix)
    for _ in range(steps):
        following = model(tokens).data[:, -1].argmax(axis=1)
        tokens = np.concatenate([tokens, following[:, None]], axis=1)
    return tokens[:, prefix.shape[1]:]


def beam_search(model: DecoderTransformer, prefix: np.ndarray, steps: int, width: int = 3):
    """Keep the ``width`` most probable continuations per sequence; returns (best tokens, log-probability)."""
    if width < 1:
        raise ParameterError("beam_search: width", width, ">= 1")
    sequences = np.asarray(prefix)[:, None, :]  # (n, beams, length)
    scores = np.zeros((len(prefix), 1))
    rows = np.arange(len(prefix))[:, None]
    for _ in range(steps):
        n, beams, length = sequences.shape
        logits = model(sequences.reshape(n * beams, length)).data[:, -1]
        log_p = ad.log_softmax(logits).data.reshape(n, beams, -1)
        total = (scores[:, :, None] + log_p).reshape(n, -1)
        best = np.argsort(-total, axis=1, kind="stable")[:, :width]
        beam, token = np.divmod(best, log_p.shape[2])
        sequences = np.concatenate([sequences[rows, beam], token[:, :, None]], axis=2)
        scores = np.take_along_axis(total, best, axis=1)
    return sequences[:, 0, prefix.shape[1]:], scores[:, 0]


def train_reversal(rng: np.random.Generator, length: int = 8, symbols: int = 10, dim: int = 64, heads: int = 4,
                   layers: int = 2, hidden: int = 128, steps: int = 1500, batch_size: int = 64,
                   learning_rate: float = 1e-3, progress=None):
    """Train on fresh random reversal batches; returns (model, loss curve, teacher-forced token accuracy)."""
    model = DecoderTransformer(symbols + 1, dim, heads, layers, hidden, 2 * length, rng)
    optimizer = Adam(model.parameters(), learning_rate)
    losses, accuracy = np.zeros(steps), np.zeros(steps)
    for step in range(steps):
        sequences = reversal_batch(batch_size, length, symbols, rng)
        optimizer.zero_grad()
        logits = model(sequences[:, :-1])[:, length:]
        loss = cross_entropy(logits, sequences[:, length + 1:])
        loss.backward()
        clip_grad_norm(optimizer.params, 1.0)
        optimizer.step()
        losses[step] = loss.item()
        accuracy[step] = (logits.data.argmax(axis=-1) == sequences[:, length + 1:]).mean()
        if progress and (step + 1) % 100 == 0:
            progress((step + 1) / steps, f"step {step + 1}: loss {losses[step]:.4f}")
    return model, losses, accuracy
