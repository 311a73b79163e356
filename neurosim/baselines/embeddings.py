"""Word embeddings by skip-gram with negative sampling (Mikolov et al. 2013), cosine similarity,
nearest neighbours and analogies by vector arithmetic (3CosAdd: b - a + c)."""
from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from . import autodiff as ad
from .layers import Module
from .optim import Adam


def skipgram_pairs(stream: np.ndarray, window: int, rng: np.random.Generator | None = None,
                   subsample: float = 0.0) -> np.ndarray:
    """(centre, context) id pairs for every context word within ``window`` positions of each centre.

    With ``subsample`` = t > 0, each occurrence of a word of frequency f is first dropped with
    probability 1 - sqrt(t / f) (word2vec's subsampling of frequent words; needs ``rng``).
    """
    if int(window) != window or window < 1:
        raise ParameterError("skipgram_pairs: window", window, "a positive integer")
    stream = np.asarray(stream)
    if subsample > 0:
        frequency = np.bincount(stream) / len(stream)
        keep = rng.random(len(stream)) < np.sqrt(subsample / frequency[stream])
        stream = stream[keep]
    pairs = [np.stack([stream[:-d], stream[d:]], axis=1) for d in range(1, window + 1)]
    pairs += [p[:, ::-1] for p in pairs]
    return np.concatenate(pairs)


class SkipGram(Module):
    """Input vectors v_w and output vectors u_c (both (vocab, dim)); the loss of a pair (w, c) with
    negatives n_1..n_k is -log logistic(u_c . v_w) - sum_i log logistic(-u_{n_i} . v_w)."""

    def __init__(self, vocab: int, dim: int, rng: np.random.Generator):
        if vocab < 2 or dim < 1:
            raise ParameterError("SkipGram: (vocab, dim)", (vocab, dim), "vocab >= 2 and dim >= 1")
        self.input_vectors = ad.parameter(rng.uniform(-0.5 / dim, 0.5 / dim, (vocab, dim)))  # word2vec's init
        self.output_vectors = ad.parameter(np.zeros((vocab, dim)))

    def loss(self, centres: np.ndarray, contexts: np.ndarray, negatives: np.ndarray) -> ad.Tensor:
        """Mean negative-sampling loss over the batch; ``negatives`` is (batch, k)."""
        v = self.input_vectors[centres]  # (B, d)
        positive = (v * self.output_vectors[contexts]).sum(axis=-1)
        negative = (self.output_vectors[negatives] * v.reshape(len(centres), 1, -1)).sum(axis=-1)
        return (ad.softplus(-positive) + ad.softplus(negative).sum(axis=-1)).mean()


def train_skipgram(stream: np.ndarray, vocab: int, rng: np.random.Generator, dim: int = 20, window: int = 3,
                   negatives: int = 5, epochs: int = 3, batch_size: int = 512, learning_rate: float = 0.01,
                   subsample: float = 0.0):
    """Adam on the negative-sampling loss, negatives drawn from the unigram distribution to the power 3/4.
    Returns (model, per-step loss curve)."""
    if negatives < 1:
        raise ParameterError("train_skipgram: negatives", negatives, ">= 1")
    model = SkipGram(vocab, dim, rng)
    noise = np.bincount(stream, minlength=vocab) ** 0.75
    noise /= noise.sum()
    optimizer = Adam(model.parameters(), learning_rate)
    losses = []
    for _ in range(epochs):
        pairs = skipgram_pairs(stream, window, rng, subsample)
        pairs = pairs[rng.permutation(len(pairs))]
        for start in range(0, len(pairs), batch_size):
            batch = pairs[start:start + batch_size]
            optimizer.zero_grad()
            loss = model.loss(batch[:, 0], batch[:, 1], rng.choice(vocab, size=(len(batch), negatives), p=noise))
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return model, np.array(losses)


def cosine_similarity(vectors: np.ndarray) -> np.ndarray:
    """Pairwise cosine similarity of the rows."""
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return unit @ unit.T


def nearest_neighbours(vectors: np.ndarray, k: int) -> np.ndarray:
    """Indices of each row's ``k`` most cosine-similar other rows, most similar first."""
    similarity = cosine_similarity(vectors)
    np.fill_diagonal(similarity, -np.inf)
    return np.argsort(-similarity, axis=1)[:, :k]


def analogy(vectors: np.ndarray, a: int, b: int, c: int) -> int:
    """The word d (not a, b or c) whose unit vector is most cosine-similar to b - a + c (a:b :: c:d),
    all vectors normalised first (3CosAdd, Levy & Goldberg 2014)."""
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    scores = unit @ (unit[b] - unit[a] + unit[c])
    scores[[a, b, c]] = -np.inf
    return int(np.argmax(scores))


def analogy_questions(grids: dict[str, list[tuple[str, str]]]) -> list[tuple[str, str, str, str, str]]:
    """Every (family, a, b, c, d) with a, b in one row and c, d in another of a grid: a:b :: c:d, both
    column orders and, transposed, the row relation (a:c :: b:d) as well."""
    questions = []
    for family, rows in grids.items():
        for i, j in ((i, j) for i in range(len(rows)) for j in range(len(rows)) if i != j):
            for p, q in ((0, 1), (1, 0)):
                questions.append((family, rows[i][p], rows[i][q], rows[j][p], rows[j][q]))
                questions.append((family, rows[i][p], rows[j][p], rows[i][q], rows[j][q]))
    return questions
