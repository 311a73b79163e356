"""Predictive coding on the simulation core: value and error populations, dense projections, a
settling run per mini-batch (the numpy :mod:`.predictive_coding` stays the reference).

Layer ``l`` has a population of value units ``x_l`` (an equation model) and one of error units
``e_l`` (linear rate units without dynamics, ``e = i_ext``). Dense projections carry, for
``l = 1..L``: ``x_l -> e_l`` (one-to-one, ``pi_l``, reading the values ``x``), ``f(x_{l-1}) -> e_l``
(``-pi_l W_l^T``, all copies in one BLAS product) and a constant unit ``-> e_l`` (``-pi_l b_l``), so
``e_l = pi_l (x_l - W_l f(x_{l-1}) - b_l)``; then ``e_l -> x_l`` (one-to-one, ``rate``, the value's
first input ``err``) and ``e_{l+1} -> x_l`` (``rate W_{l+1}``, its input ``back``). A value unit
obeys ``dx/dt = (-err + f'(x) back) / tau`` with ``dt = tau``: the forward-Euler step
``x += rate (-e_l + f'(x_l) W_{l+1} e_{l+1})`` of the reference.

Schedule: one step is one relaxation iteration. The error units have no dynamics, so the
projections out of them read their summed input of the same step (``source="i_ext"``, added after
the projections into them): the values move with the errors of the current values, as in the
reference's synchronous iteration. A :class:`~neurosim.core.settle.Settle` ends the run after the
first iteration with ``max |rate dx| < rate tol`` (the reference's ``max |dx| < tol``). The
mini-batch is the batch dimension of the network (one copy per sample).

Phases of a training step (the protocol): clamp (the values of the input and label layers are set
per copy and hold, ``dx/dt = 0``; free values start at the feed-forward sweep), relax (one settling run), learn: in
the whole-batch ``learn`` phase of the run's last step, every projection ``f(x_{l-1}) -> e_l`` (a
:class:`~neurosim.core.dense_plasticity.PredictiveCodingProjection`, where the weights live across
mini-batches) changes by the local rule ``dW = lr <f(x_{l-1})^T e_l> / gamma`` (pre activity times
post error, mean over the copies; biases: a constant pre unit), and its tied feedback follows.
Inference (input clamped, values from 0) and generation (label clamped, input free under a Gaussian
prior) are the same network with other layers clamped.
"""
from __future__ import annotations

import numpy as np

from ..core.activations import MAX_SLOPE
from ..core.dense import DenseProjection
from ..core.dense_plasticity import PredictiveCodingProjection
from ..core.network import Network
from ..core.neurons.equation import Model
from ..core.settle import Settle
from ..core.simulator import Simulator
from ..errors import ParameterError
from ..units import ureg
from .data import check_count, check_rate, one_hot
from .predictive_coding import PredictiveCodingNetwork, Relaxation, train_epochs

#: f(x) and f'(x) in the equation language (same curves as ``neurosim.core.activations.VALUES``)
CURVES = {"logistic": ("1 / (1 + exp(-x))", "rate * (1 - rate)"), "tanh": ("tanh(x)", "1 - rate**2"),
          "linear": ("x", "1")}


#: Clamped layers (data): values that hold what they are set to, output ``rate = x``.
CLAMPED = Model("pc_clamped", "dx/dt = 0 / tau : 1\nrate = x : 1", parameters={"tau": "1 s"}, method="euler",
                doc="predictive-coding clamped value unit (input or label)")


def value_model(activation: str, feedback: bool = True) -> Model:
    """Value units of a hidden layer (``feedback``: with the gated input ``back`` from the layer above)
    or of the top layer; ``activation`` 'linear' is the input layer (no gate, ``f`` the identity)."""
    if activation not in CURVES:
        raise ParameterError("activation", activation, f"one of {sorted(CURVES)} on the engine")
    rate, slope = CURVES[activation]
    drive = f"-err + ({slope}) * back" if feedback else "-err"
    text = "\n".join(["dx/dt = drive / tau : 1", f"drive = {drive} : 1", f"rate = {rate} : 1"])
    inputs = {"err": "1", "back": "1"} if feedback else {"err": "1"}
    return Model(f"pc_value_{activation}{'' if feedback else '_top'}", text, parameters={"tau": "1 s"}, inputs=inputs,
                 method="euler", doc="predictive-coding value unit: dx/dt = (-err + f'(x) back) / tau")


class EngineNetwork:
    """One compiled network for a clamping mode: ``clamped`` layers follow data, the others relax.

    ``copies`` is the largest mini-batch; smaller batches repeat their first sample in the unused
    copies (it changes neither the largest step nor, as the learn phase skips them, the updates).
    ``plastic``: the projections start at the reference's weights and learn in the engine (see
    :meth:`relax`); otherwise every run takes the reference's current weights."""

    DT = 1.0 * ureg.second  # tau = dt, so an Euler step adds the drive itself

    def __init__(self, reference: PredictiveCodingNetwork, copies: int, clamped: set, precision: list,
                 prior_precision: float | None = None, seed: int = 0, plastic: bool = False):
        self.reference, self.copies, self.clamped = reference, check_count("copies", copies), set(clamped)
        self.plastic, self.feedback_rate = plastic, 1.0  # plastic: the tied feedback starts at rate 1
        self.precision, self.prior_precision = list(precision), prior_precision
        sizes, L = reference.sizes, reference.n_layers
        net = Network(seed=seed, batch=copies)
        self.values, self.data = [], {}
        for l, n in enumerate(sizes):
            if l in self.clamped:
                pop = net.add(CLAMPED.population_class()(f"x{l}", n))
            else:
                model = value_model("linear" if l == 0 else reference.activation, feedback=l < L)
                pop = net.add(model.population_class()(f"x{l}", n))
            self.values.append(pop)
        one = net.add_population("one", 1, "rate", activation="linear", params={"bias": 1.0},
                                 initial={"x": 1.0})  # the bias unit: output 1 from the first step on
        first = 0 if prior_precision is not None else 1
        self.errors = {l: net.add_population(f"e{l}", sizes[l], "rate", activation="linear")
                       for l in range(first, L + 1)}
        self.free = [l for l in range(L + 1) if l not in self.clamped]
        # the tied feedback e_{l+1} -> x_l (rate W_{l+1}); added after every projection into the error units
        back = {l: DenseProjection(self.errors[l + 1], self.values[l],
                                   matrix=reference.W[l] if plastic else np.zeros((sizes[l], sizes[l + 1])),
                                   target="back", source="i_ext", name=f"e{l + 1}_to_x{l}", blas=True)
                for l in self.free if l < L}
        self.dense = {}
        for l, error in self.errors.items():
            pi = prior_precision if l == 0 else self.precision[l - 1]
            self.dense[("own", l)] = net.add(DenseProjection(self.values[l], error, diagonal=np.full(sizes[l], pi),
                                                             source="x", name=f"x{l}_to_e{l}"))
            bias = np.zeros((sizes[l], 1)) if l == 0 or not plastic else -pi * reference.b[l - 1][:, None]
            self.dense[("bias", l)] = net.add(DenseProjection(one, error, matrix=bias, name=f"b{l}"))
            if l > 0 and plastic:  # the weights live here and learn in the engine
                self.dense[("forward", l)] = net.add(PredictiveCodingProjection(
                    self.values[l - 1], error, -pi * reference.W[l - 1].T, self.dense[("bias", l)], pi,
                    feedback=back.get(l - 1), name=f"W{l}"))
            elif l > 0:
                self.dense[("forward", l)] = net.add(DenseProjection(
                    self.values[l - 1], error, matrix=np.zeros((sizes[l], sizes[l - 1])), name=f"W{l}", blas=True))
        for l in self.free:  # after every projection into the error units: they read this step's errors
            self.dense[("err", l)] = net.add(DenseProjection(
                self.errors[l], self.values[l], diagonal=np.ones(sizes[l]), source="i_ext", name=f"e{l}_to_x{l}"))
            if l < L:
                self.dense[("back", l)] = net.add(back[l])
        self.settle = net.add(Settle([self.values[l] for l in self.free], "drive", 1.0))
        for key, projection in self.dense.items():
            if key[0] == "forward" and plastic:
                projection.settle = self.settle
        self.simulator = Simulator(net, dt=self.DT)
        built = self.simulator.network
        self.built_values = [built.population(f"x{l}") for l in range(L + 1)]
        self.built_errors = {l: built.population(f"e{l}") for l in self.errors}
        self.built = dict(zip(self.dense, built.projections, strict=True))
        self.encode = {key: p.encode for key, p in self.built.items()}
        self.settler = next(m for m in built.monitors if isinstance(m, Settle))

    def relax(self, x: list, rate: float, tol: float, max_iterations: int, prior_mean=None,
              learning_rate: float = 0.0) -> Relaxation:
        """One settling run from values ``x`` (list per layer, ``(batch, n)``): clamped layers hold
        them, free layers start from them; returns the equilibrium as the reference's ``relax``.
        A ``plastic`` network then learns in its last step with ``learning_rate`` (the 1 / gamma included)."""
        ref, L = self.reference, self.reference.n_layers
        size = len(x[0])
        if size > self.copies:
            raise ParameterError("mini-batch size", size, f"at most the network's {self.copies} copies")
        pad = (lambda a: np.concatenate([a, np.repeat(a[:1], self.copies - size, axis=0)]) if size < self.copies else a)
        start = self.simulator.step
        max_iterations = check_count("max_iterations", max_iterations)
        for l in range(1, L + 1):
            if self.plastic:  # the weights stay in the projections; the tied feedback follows the rate
                forward = self.built[("forward", l)]
                forward.learning_rate[0], forward.feedback_rate[0] = learning_rate, rate
                forward.copies_used[0], forward.learn_at[0] = size, start + max_iterations - 1
                if ("back", l - 1) in self.encode and rate != self.feedback_rate:
                    self.encode[("back", l - 1)] *= rate / self.feedback_rate
                continue
            pi = self.precision[l - 1]  # weights of this batch (the reference's W and b), tied feedback scaled by rate
            self.encode[("forward", l)][:] = -pi * ref.W[l - 1].T
            self.encode[("bias", l)][:, 0] = -pi * ref.b[l - 1]
            if ("back", l - 1) in self.encode:
                self.encode[("back", l - 1)][:] = rate * ref.W[l - 1]
        self.feedback_rate = rate
        for l in self.free:
            self.encode[("err", l)][:] = rate
        if self.prior_precision is not None:
            self.encode[("bias", 0)][:, 0] = -self.prior_precision * np.asarray(prior_mean, float).ravel()
        for l in range(L + 1):
            values = pad(np.asarray(x[l], float))
            pop = self.built_values[l]
            pop.state["x"][:] = values
            pop.extra["rate"][:] = values if l in self.clamped else ref.f(values, l)
        self.settler.tol[0] = rate * tol
        self.simulator.run(max_iterations * self.DT)
        iterations = self.simulator.step - start
        xs = [np.array(pop.state["x"][:size]) for pop in self.built_values]
        # error units are linear rate units: their output rate is x
        eps = [np.array(self.built_errors[l].state["x"][:size]) if l in self.built_errors else np.zeros_like(xs[0])
               for l in range(L + 1)]
        return Relaxation(xs, eps, int(iterations), np.zeros(0))

    def weights(self) -> tuple[list, list]:
        """The weights ``W_l`` (``n_{l-1} x n_l``) and biases ``b_l`` the projections hold."""
        L = self.reference.n_layers
        W = [-self.encode[("forward", l)].T / self.precision[l - 1] for l in range(1, L + 1)]
        b = [-self.encode[("bias", l)][:, 0] / self.precision[l - 1] for l in range(1, L + 1)]
        return W, b


def stable_rate(network: PredictiveCodingNetwork, rate: float, free, precision, prior: float = 0.0) -> float:
    """The reference's step cap ``1 / (1 + prior + max_l pi^{l+1} s_l^2 ||W^{l+1}||_2^2)``."""
    L = network.n_layers
    stiffness = max([precision[l] * (1.0 if l == 0 else MAX_SLOPE[network.activation]) ** 2
                     * np.linalg.norm(network.W[l], 2) ** 2 for l in free if l < L], default=0.0)
    return min(check_rate("rate", rate), 1.0 / (1.0 + prior + stiffness))


class EnginePredictiveCoding:
    """Training, inference and generation of a :class:`PredictiveCodingNetwork`'s weights on the engine."""

    def __init__(self, network: PredictiveCodingNetwork, copies: int, gamma: float = 0.1):
        if network.activation not in CURVES:
            raise ParameterError("activation", network.activation, f"one of {sorted(CURVES)} on the engine")
        self.network, self.gamma = network, check_rate("gamma", gamma)
        L = network.n_layers
        self.train_net = EngineNetwork(network, copies, {0, L}, [1.0] * (L - 1) + [self.gamma], plastic=True)
        self._infer, self._generate = None, None

    def train_step(self, X, Y, learning_rate: float, rate: float = 0.1, tol: float = 1e-4,
                   max_iterations: int = 500) -> Relaxation:
        """Clamp ``X`` and ``Y``, relax, learn: the projections apply ``W_l += lr <f(x_{l-1})^T e_l> / gamma``
        in the run's last step; the network's ``W`` and ``b`` are then read back from them."""
        net, L = self.network, self.network.n_layers
        X, Y = net._data(X, "X", 0), net._data(Y, "Y", L)
        x = net.forward(X)
        x[-1] = Y.copy()
        precision = [1.0] * (L - 1) + [self.gamma]
        step = stable_rate(net, rate, range(1, L), precision)
        relaxation = self.train_net.relax(x, step, tol, max_iterations, learning_rate=learning_rate / self.gamma)
        W, b = self.train_net.weights()
        for l in range(L):  # inference, generation and the metrics read the network's weights
            net.W[l][:], net.b[l][:] = W[l], b[l]
        return relaxation

    def infer(self, X, rate: float = 0.2, tol: float = 1e-6, max_iterations: int = 2000) -> Relaxation:
        """Input clamped, every other value relaxed from zero (precision 1 everywhere)."""
        net, L = self.network, self.network.n_layers
        X = net._data(X, "X", 0)
        if self._infer is None or self._infer.copies < len(X):
            self._infer = EngineNetwork(net, len(X), {0}, [1.0] * L)
        x = [X] + [np.zeros((len(X), n)) for n in net.sizes[1:]]
        return self._infer.relax(x, stable_rate(net, rate, range(1, L + 1), [1.0] * L), tol, max_iterations)

    def predict(self, X, **kwargs) -> np.ndarray:
        return self.infer(X, **kwargs).x[-1].argmax(axis=1)

    def generate(self, labels, mean_input, prior_precision: float = 0.1, gamma: float = 1.0, tol: float = 1e-4,
                 max_iterations: int = 20000) -> Relaxation:
        """Label clamped at the output; input (under the prior ``N(mean_input, 1/prior_precision)``) and
        hidden layers relaxed."""
        net, L = self.network, self.network.n_layers
        Y = one_hot(labels, net.sizes[-1])
        mean_input = net._data(mean_input, "mean_input", 0)
        precision = [1.0] * (L - 1) + [check_rate("gamma", gamma)]
        prior = check_rate("prior_precision", prior_precision)
        if self._generate is None or self._generate.copies < len(Y) or self._generate.precision != precision \
                or self._generate.prior_precision != prior:
            self._generate = EngineNetwork(net, len(Y), {L}, precision, prior_precision=prior)
        x = net.forward(np.repeat(mean_input, len(Y), axis=0))
        x[-1] = Y
        step = stable_rate(net, 1.0, range(L), precision, prior)
        return self._generate.relax(x, step, tol, max_iterations, prior_mean=mean_input)


def largest_batch(n_samples: int, batch_size: int) -> int:
    """The largest mini-batch of :func:`train` (``numpy.array_split`` into ``n // batch_size`` parts)."""
    return -(-n_samples // max(1, n_samples // batch_size))


def train(engine: EnginePredictiveCoding, X, y, rng: np.random.Generator, epochs: int = 20, batch_size: int = 20,
          learning_rate: float = 0.1, X_test=None, y_test=None, progress=None, **relax):
    """:func:`.predictive_coding.train` on the engine: same mini-batches, curves and metrics."""
    net = engine.network
    epochs, batch_size = check_count("epochs", epochs), check_count("batch_size", batch_size)
    learning_rate = check_rate("learning_rate", learning_rate)
    X = net._data(X, "X", 0)
    Y = one_hot(y, net.sizes[-1])
    return train_epochs(lambda Xb, Yb: engine.train_step(Xb, Yb, learning_rate, **relax), net, engine.predict,
                        X, Y, rng, epochs, batch_size, X_test, y_test, progress)


__all__ = ["EngineNetwork", "EnginePredictiveCoding", "stable_rate", "train", "value_model"]
