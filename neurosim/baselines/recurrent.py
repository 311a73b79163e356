"""Recurrent networks trained with backpropagation through time on the adding problem.

Vanilla (Elman) RNN, GRU (reset-after as in PyTorch and Keras, or reset-before as in Cho et al.
2014), LSTM (Hochreiter & Schmidhuber 1997, forget gate of Gers et al. 2000) and minGRU (Feng et
al. 2024). The first three step through the sequence; minGRU's gates depend on the input only, so
its hidden states are one linear recurrence solved by a parallel (associative) scan,
:func:`autodiff.linear_recurrence`. Every model maps (batch, time, inputs) to all hidden states
(:meth:`sequence`, (batch, time, hidden)); calling it gives the final state.
"""
from __future__ import annotations

import numpy as np

from ..errors import ParameterError, did_you_mean
from . import autodiff as ad
from .layers import Dense, Module
from .losses import cross_entropy, mse
from .optim import Adam, clip_grad_norm


def adding_problem(n: int, length: int, rng: np.random.Generator):
    """Inputs (n, length, 2): a value in [0, 1) and a marker; target: the sum of the two marked values.

    One marker falls in the first half of the sequence, one in the second (Le et al. 2015).
    Predicting the mean, 1, gives MSE 1/6.
    """
    if length < 2:
        raise ParameterError("adding_problem: length", length, ">= 2")
    values = rng.random((n, length))
    markers = np.zeros((n, length))
    rows = np.arange(n)
    first, second = rng.integers(length // 2, size=n), rng.integers(length // 2, length, size=n)
    markers[rows, first] = markers[rows, second] = 1.0
    return np.stack([values, markers], axis=2), values[rows, first] + values[rows, second]


class _Recurrent(Module):
    """Shared input check; subclasses map (batch, time, inputs) to the hidden states (batch, time, hidden)."""

    def __init__(self, inputs: int, hidden: int):
        self.inputs, self.hidden = inputs, hidden

    def forward(self, x) -> ad.Tensor:
        """The final hidden state (batch, hidden)."""
        return self.sequence(x)[:, -1]

    def _check(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if x.ndim != 3 or x.shape[2] != self.inputs:
            raise ParameterError(f"{type(self).__name__}({self.inputs}->{self.hidden}): input shape", x.shape,
                                 f"(batch, time, {self.inputs})")
        return x


class VanillaRNN(_Recurrent):
    """h_t = tanh(x_t W_x + h_{t-1} W_h + b)."""

    def __init__(self, inputs: int, hidden: int, rng: np.random.Generator):
        super().__init__(inputs, hidden)
        self.input_layer = Dense(inputs, hidden, rng)
        self.recurrent = ad.parameter(np.linalg.qr(rng.standard_normal((hidden, hidden)))[0])  # orthogonal

    def sequence(self, x) -> ad.Tensor:
        x = self._check(x)
        h = ad.Tensor(np.zeros((x.shape[0], self.hidden)))
        states = []
        for t in range(x.shape[1]):
            h = ad.tanh(self.input_layer(x[:, t]) + h @ self.recurrent)
            states.append(h)
        return ad.stack(states, axis=1)


class GRU(_Recurrent):
    """Gated recurrent unit with PyTorch's parameter layout and gate order (r, z, n).

    r = logistic(x W_ir + b_ir + h W_hr + b_hr),  z = logistic(x W_iz + b_iz + h W_hz + b_hz),
    h' = (1 - z) n + z h, and the candidate n is

    - ``reset_after=True`` (default; ``torch.nn.GRU``, Keras ``reset_after=True``):
      n = tanh(x W_in + b_in + r * (h W_hn + b_hn)), the reset applied after the hidden matmul;
    - ``reset_after=False`` (Cho et al. 2014, eq. 8; Keras ``reset_after=False``):
      n = tanh(x W_in + b_in + (r * h) W_hn + b_hn), the reset applied before it.

    The two differ whenever r < 1 (b_hn and W_hn h are both scaled by r in one, only h in the
    other), so weights trained with one variant do not carry over to the other. z is the fraction
    of the old state kept (PyTorch's and Cho's convention; the course notes' gate g is 1 - z). ``weight_ih`` is
    (inputs, 3 hidden) and ``weight_hh`` (hidden, 3 hidden): PyTorch's ``weight_ih_l0`` and
    ``weight_hh_l0`` transposed.
    """

    def __init__(self, inputs: int, hidden: int, rng: np.random.Generator, reset_after: bool = True):
        super().__init__(inputs, hidden)
        self.reset_after = bool(reset_after)
        bound = 1.0 / np.sqrt(hidden)  # PyTorch's U(-1/sqrt(hidden), 1/sqrt(hidden)) initialisation
        self.weight_ih = ad.parameter(rng.uniform(-bound, bound, (inputs, 3 * hidden)))
        self.weight_hh = ad.parameter(rng.uniform(-bound, bound, (hidden, 3 * hidden)))
        self.bias_ih = ad.parameter(rng.uniform(-bound, bound, 3 * hidden))
        self.bias_hh = ad.parameter(rng.uniform(-bound, bound, 3 * hidden))

    def sequence(self, x) -> ad.Tensor:
        x = self._check(x)
        H = self.hidden
        h = ad.Tensor(np.zeros((x.shape[0], H)))
        if not self.reset_after:
            w_rz, b_rz = self.weight_hh[:, :2 * H], self.bias_hh[:2 * H]
            w_n, b_n = self.weight_hh[:, 2 * H:], self.bias_hh[2 * H:]
        states = []
        for t in range(x.shape[1]):
            gi = ad.Tensor(x[:, t]) @ self.weight_ih + self.bias_ih
            if self.reset_after:
                gh = h @ self.weight_hh + self.bias_hh
                rz = ad.logistic(gi[:, :2 * H] + gh[:, :2 * H])
                hidden_n = rz[:, :H] * gh[:, 2 * H:]
            else:
                rz = ad.logistic(gi[:, :2 * H] + h @ w_rz + b_rz)
                hidden_n = (rz[:, :H] * h) @ w_n + b_n
            n = ad.tanh(gi[:, 2 * H:] + hidden_n)
            h = n + rz[:, H:] * (h - n)
            states.append(h)
        return ad.stack(states, axis=1)


class LSTM(_Recurrent):
    """Input, forget and output gates around a cell state c; h_t = o tanh(c_t). Forget bias starts at 1."""

    def __init__(self, inputs: int, hidden: int, rng: np.random.Generator):
        super().__init__(inputs, hidden)
        self.gates = Dense(inputs + hidden, 4 * hidden, rng)
        self.gates.bias.data[hidden:2 * hidden] = 1.0

    def sequence(self, x) -> ad.Tensor:
        x = self._check(x)
        H = self.hidden
        h = c = ad.Tensor(np.zeros((x.shape[0], H)))
        states = []
        for t in range(x.shape[1]):
            z = self.gates(ad.concat([x[:, t], h], axis=1))
            sig = ad.logistic(z[:, :3 * H])
            i, f, o = sig[:, :H], sig[:, H:2 * H], sig[:, 2 * H:]
            c = f * c + i * ad.tanh(z[:, 3 * H:])
            h = o * ad.tanh(c)
            states.append(h)
        return ad.stack(states, axis=1)


class MinGRU(_Recurrent):
    """z_t = logistic(x_t W_z), h~_t = x_t W_h, h_t = (1 - z_t) h_{t-1} + z_t h~_t, solved by a parallel scan.

    ``layers`` minGRU layers are stacked, each followed by a ReLU layer (except the last), since a
    single minGRU is linear in its candidate. The scan runs in linear space; the paper's
    log-space variant is not needed because no division or exponentiation of the states occurs.
    """

    def __init__(self, inputs: int, hidden: int, rng: np.random.Generator, layers: int = 2):
        super().__init__(inputs, hidden)
        sizes = [inputs] + [hidden] * layers
        self.projections = [Dense(a, 2 * hidden, rng) for a in sizes[:-1]]
        self.mixers = [Dense(hidden, hidden, rng, gain=np.sqrt(2.0)) for _ in range(layers - 1)]

    def sequence(self, x) -> ad.Tensor:
        h = ad.Tensor(self._check(x))
        H = self.hidden
        h0 = ad.Tensor(np.zeros(H))
        for k, projection in enumerate(self.projections):
            if k:
                h = ad.relu(self.mixers[k - 1](h))
            zh = projection(h)
            z = ad.logistic(zh[:, :, :H])
            h = ad.linear_recurrence(1.0 - z, z * zh[:, :, H:], h0)
        return h


def _gru_reset_before(inputs: int, hidden: int, rng: np.random.Generator) -> GRU:
    return GRU(inputs, hidden, rng, reset_after=False)


MODELS = {"rnn": VanillaRNN, "gru": GRU, "gru_reset_before": _gru_reset_before, "lstm": LSTM, "mingru": MinGRU}


class SequenceRegressor(Module):
    """A recurrent network followed by a linear read-out of its final hidden state."""

    def __init__(self, kind: str, inputs: int, hidden: int, rng: np.random.Generator):
        if kind not in MODELS:
            raise ParameterError("recurrent model", kind, f"one of {sorted(MODELS)}{did_you_mean(kind, MODELS)}")
        self.body = MODELS[kind](inputs, hidden, rng)
        self.head = Dense(hidden, 1, rng)

    def forward(self, x) -> ad.Tensor:
        return self.head(self.body(x))[:, 0]


def train_adding(kind: str, length: int, rng: np.random.Generator, hidden: int = 32, steps: int = 600,
                 batch_size: int = 64, learning_rate: float = 3e-3, clip: float = 1.0, test_size: int = 1000):
    """Train ``kind`` on fresh adding-problem batches; returns (model, training-loss curve, test MSE)."""
    model = SequenceRegressor(kind, 2, hidden, rng)
    optimizer = Adam(model.parameters(), learning_rate)
    losses = np.zeros(steps)
    for step in range(steps):
        x, y = adding_problem(batch_size, length, rng)
        optimizer.zero_grad()
        loss = mse(model(x), y)
        loss.backward()
        clip_grad_norm(optimizer.params, clip)
        optimizer.step()
        losses[step] = loss.item()
    x, y = adding_problem(test_size, length, rng)
    return model, losses, float(mse(model(x), y).item())


class NextWordModel(Module):
    """Fixed word vectors (vocab, dim) -> recurrent network -> logits over the vocabulary at every step."""

    def __init__(self, kind: str, word_vectors: np.ndarray, hidden: int, rng: np.random.Generator):
        if kind not in MODELS:
            raise ParameterError("recurrent model", kind, f"one of {sorted(MODELS)}{did_you_mean(kind, MODELS)}")
        self.word_vectors = np.asarray(word_vectors, dtype=float)  # a constant: not a parameter
        self.body = MODELS[kind](self.word_vectors.shape[1], hidden, rng)
        self.head = Dense(hidden, len(self.word_vectors), rng)

    def forward(self, tokens: np.ndarray) -> ad.Tensor:
        """Logits (batch, time, vocab) for the word following each of ``tokens`` (batch, time)."""
        return self.head(self.body.sequence(self.word_vectors[np.asarray(tokens)]))


def stream_windows(stream: np.ndarray, starts: np.ndarray, length: int) -> np.ndarray:
    """Rows stream[s : s + length + 1] for each start s (inputs are row[:-1], targets row[1:])."""
    return stream[np.asarray(starts)[:, None] + np.arange(length + 1)]


def train_next_word(kind: str, stream: np.ndarray, word_vectors: np.ndarray, starts: np.ndarray,
                    rng: np.random.Generator, hidden: int = 32, steps: int = 300, batch_size: int = 32,
                    length: int = 24, learning_rate: float = 1e-2, clip: float = 1.0):
    """Cross-entropy next-word training by BPTT on windows of ``stream`` beginning at ``starts`` (drawn
    at random each step); returns (model, per-step loss curve in nats per word)."""
    starts = np.asarray(starts)
    starts = starts[starts + length < len(stream)]
    model = NextWordModel(kind, word_vectors, hidden, rng)
    optimizer = Adam(model.parameters(), learning_rate)
    losses = np.zeros(steps)
    for step in range(steps):
        window = stream_windows(stream, rng.choice(starts, batch_size), length)
        optimizer.zero_grad()
        loss = cross_entropy(model(window[:, :-1]), window[:, 1:])
        loss.backward()
        clip_grad_norm(optimizer.params, clip)
        optimizer.step()
        losses[step] = loss.item()
    return model, losses
