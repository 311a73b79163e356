"""Registered experiments of the local-learning networks: Hopfield recall and capacity, RBM on digits,
predictive coding on digits beside its backprop twin. Each returns metrics, curves, arrays and figures."""
from __future__ import annotations

import copy
import time

import numpy as np
from matplotlib.figure import Figure

from ..errors import ParameterError
from ..experiment import ExperimentOutput
from ..rng import generator
from . import pc_engine, rbm_network
from .data import binary_digits, check_count, check_rate, corrupt, random_patterns, scaled_digits
from .hopfield import Hopfield, breakdown_load, capacity_curve, overlap
from .predictive_coding import PredictiveCodingNetwork, backprop_gradients, train, train_backprop
from .rbm import RBM

CAPACITY_LOADS = tuple(round(0.02 + 0.01 * k, 2) for k in range(24))  # 0.02 ... 0.25
REFERENCE_OVERLAP_N1000 = {0.05: 1.0, 0.10: 0.999, 0.138: 0.94, 0.15: 0.89, 0.20: 0.37}  # REFERENCE_FACTS.md


def _axes(columns: int = 1, width: float = 4.5, height: float = 3.5):
    figure = Figure(figsize=(width * columns, height), layout="constrained")
    return figure, figure.subplots(1, columns, squeeze=False)[0]


def _mosaic(images: np.ndarray, columns: int, shape=(8, 8), gap: int = 1) -> np.ndarray:
    """Tile (n, h*w) images into one array with ``gap`` NaN pixels between them."""
    h, w = shape
    rows = -(-len(images) // columns)
    canvas = np.full((rows * (h + gap) - gap, columns * (w + gap) - gap), np.nan)
    for k, image in enumerate(images):
        r, c = divmod(k, columns)
        canvas[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = image.reshape(h, w)
    return canvas


def _show(ax, images, title, columns, shape=(8, 8), cmap="gray_r", symmetric=False, gap=1):
    import matplotlib

    limit = np.nanmax(np.abs(images)) if symmetric else None
    colours = matplotlib.colormaps[cmap].with_extremes(bad="lightsteelblue")
    ax.imshow(_mosaic(np.asarray(images), columns, shape, gap), cmap=colours,
              vmin=-limit if symmetric else None, vmax=limit if symmetric else None)
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])


def feature_accuracy(F_train, y_train, F_test, y_test, C: float = 6000.0) -> float:
    """Test accuracy of a converged logistic regression on features (scikit-learn's RBM example uses
    ``C = 6000``; its ``tol = 1`` stops at iteration 0, so the default tolerance is kept here)."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=C, max_iter=20000).fit(F_train, y_train)
    return float(model.score(F_test, y_test))


def hopfield_recall(n: int = 400, load: float = 0.05, corruption: float = 0.1, max_sweeps: int = 50,
                    gain: float = 4.0, shown: int = 4, *, seed, progress):
    """Recall of corrupted cues by asynchronous, synchronous (core) and continuous (core) dynamics."""
    start = time.perf_counter()
    n = check_count("n", n)
    side = int(np.sqrt(n))
    shape = (side, n // side) if side * (n // side) == n else (1, n)
    m = max(1, round(check_rate("load", load) * n))
    patterns = random_patterns(m, n, generator(seed, "build", "hopfield:patterns"))
    cues = corrupt(patterns, corruption, generator(seed, "build", "hopfield:cues"))
    net = Hopfield(n).store(patterns)
    asynchronous = [net.recall(cue, seed, max_sweeps, record=True) for cue in cues]  # each cue: the seed's order stream
    progress(0.4, "asynchronous recall done")
    shown = min(check_count("shown", shown), m)
    synchronous = [net.recall_sync(cue, max_steps=max_sweeps) for cue in cues[:shown]]
    continuous = [net.recall_continuous(cue, gain=gain) for cue in cues[:shown]]
    progress(0.9, "synchronous and continuous recall done")
    q_async = overlap(patterns, np.array([r.state for r in asynchronous]))
    q_sync = overlap(patterns[:shown], np.array([r.state for r in synchronous]))
    q_cont = overlap(patterns[:shown], np.array([r.state for r in continuous]))
    energy_steps = np.concatenate([np.diff(np.concatenate([[net.energy(c)], r.energy]))
                                   for c, r in zip(cues, asynchronous, strict=True)])

    images = np.concatenate([patterns[:shown], cues[:shown], [r.state for r in asynchronous[:shown]],
                             [r.state for r in synchronous], [r.state for r in continuous]])
    recall_figure, (ax,) = _axes(1, 7, 6)
    _show(ax, images, f"{corruption:.0%} corrupted cues, M/N = {m / n:.3f}", shown, shape, "gray", gap=3)
    ax.set_yticks([(k + 0.5) * (shape[0] + 3) - 2 for k in range(5)],
                  ["stored", "cue", "asynchronous", "synchronous\n(core)", "continuous\n(core)"])
    energy_figure, (a_ax, s_ax, c_ax) = _axes(3)
    for c, r in zip(cues[:shown], asynchronous[:shown], strict=True):
        a_ax.plot(np.arange(len(r.energy) + 1) / n, np.concatenate([[net.energy(c)], r.energy]))
    a_ax.set(xlabel="sweeps (N single-unit updates)", ylabel="energy E", title="asynchronous updates")
    for r in synchronous:
        s_ax.plot(np.arange(len(r.energy)), r.energy, "o-")
    s_ax.set(xlabel="synchronous step", ylabel="energy E", title="synchronous (sign units, core)")
    for r in continuous:
        c_ax.plot(r.times * 1e3, r.energy)
    c_ax.set(xlabel="time (ms)", ylabel="Lyapunov energy", title=f"continuous, tau 10 ms, gain {gain:g}")
    return ExperimentOutput(
        metrics={"patterns": float(m), "load": m / n, "overlap_async_mean": float(q_async.mean()),
                 "exact_recall_async": float(np.mean(q_async == 1.0)), "overlap_sync_mean": float(q_sync.mean()),
                 "overlap_continuous_mean": float(q_cont.mean()), "max_energy_increase": float(energy_steps.max()),
                 "sweeps_mean": float(np.mean([r.steps for r in asynchronous])),
                 "wall_time_s": time.perf_counter() - start},
        curves={"energy_async_first_cue": asynchronous[0].energy, "energy_continuous_first_cue": continuous[0].energy,
                "overlap_async": q_async},
        arrays={"patterns": patterns, "cues": cues, "recalled": np.array([r.state for r in asynchronous])},
        figures={"hopfield_recall": recall_figure, "hopfield_energy": energy_figure})


def hopfield_capacity(sizes=(500, 1000), loads=CAPACITY_LOADS,
                      threshold: float = 0.95, max_sweeps: int = 50, *, seed, progress):
    """Mean recall overlap versus load M/N (each stored pattern as its own cue); breakdown = the load
    where the mean overlap first falls below ``threshold`` (interpolated)."""
    start = time.perf_counter()
    figure, (ax,) = _axes(1, 6, 4)
    metrics, curves = {}, {"load": np.asarray(loads, float)}
    for k, n in enumerate(sizes):
        n = check_count("sizes", n)
        loads_, mean, std, exact = capacity_curve(n, loads, seed, max_sweeps)
        curves[f"overlap_mean_N{n}"], curves[f"overlap_std_N{n}"], curves[f"exact_fraction_N{n}"] = mean, std, exact
        metrics[f"breakdown_load_N{n}"] = breakdown_load(loads_, mean, threshold)
        ax.errorbar(loads_, mean, yerr=std, marker="o", ms=3, capsize=2, label=f"N = {n}")
        progress((k + 1) / len(sizes), f"N = {n}: breakdown at M/N = {metrics[f'breakdown_load_N{n}']:.3f}")
    ref = np.array(list(REFERENCE_OVERLAP_N1000.items()))
    ax.plot(ref[:, 0], ref[:, 1], "k*", ms=9, label="reference N = 1000")
    ax.axvline(0.138, color="gray", ls="--", label="alpha_c = 0.138")
    ax.axhline(threshold, color="gray", ls=":", label=f"breakdown threshold {threshold}")
    ax.set(xlabel="load M / N", ylabel="mean overlap after recall", title="Hopfield capacity (Hebbian, asynchronous)",
           ylim=(0, 1.05))
    ax.legend(loc="lower left")
    metrics["wall_time_s"] = time.perf_counter() - start
    return ExperimentOutput(metrics=metrics, curves=curves, figures={"hopfield_capacity": figure})


def rbm_digits(n_hidden: int = 100, epochs: int = 10, learning_rate: float = 0.06, batch_size: int = 10, k: int = 1,
               persistent: bool = False, momentum: float = 0.5, weight_decay: float = 1e-4, gibbs_steps: int = 1000,
               compare_sklearn: bool = True, *, seed, progress):
    """RBM on binarised digits, trained and sampled on the core (:mod:`neurosim.learning.rbm_network`):
    held-out reconstruction error and pseudo-log-likelihood per epoch, filters, Gibbs samples, logistic
    regression on hidden features (beside scikit-learn's BernoulliRBM)."""
    start = time.perf_counter()
    X_train, X_test, y_train, y_test = binary_digits()
    rbm = RBM(64, n_hidden, generator(seed, "build", "rbm:weights"))
    curves = rbm_network.fit(rbm, X_train, seed, epochs, learning_rate, batch_size, k, persistent, momentum,
                             weight_decay, V_valid=X_test, progress=lambda f, s: progress(0.7 * f, s))
    train_time = time.perf_counter() - start
    _, samples = rbm_network.generate(rbm, 20, check_count("gibbs_steps", gibbs_steps), seed)
    metrics = {"reconstruction_error": float(curves["reconstruction_error"][-1]),
               "pseudo_log_likelihood": float(curves["pseudo_log_likelihood"][-1]),
               "feature_accuracy": feature_accuracy(rbm.transform(X_train), y_train, rbm.transform(X_test), y_test),
               "pixel_accuracy": feature_accuracy(X_train, y_train, X_test, y_test), "train_time_s": train_time}
    if compare_sklearn:
        from sklearn.neural_network import BernoulliRBM

        reference = BernoulliRBM(n_components=n_hidden, learning_rate=learning_rate, batch_size=batch_size,
                                 n_iter=epochs,
                                 random_state=int(generator(seed, "build", "rbm:sklearn").integers(2**31)))
        reference.fit(X_train)
        metrics["sklearn_feature_accuracy"] = feature_accuracy(reference.transform(X_train), y_train,
                                                               reference.transform(X_test), y_test)
    progress(1.0, f"feature accuracy {metrics['feature_accuracy']:.4f}")
    filters_figure, (ax,) = _axes(1, 6, 6)
    _show(ax, rbm.W.T[:100], "hidden-unit filters (columns of W)", 10, cmap="RdBu_r", symmetric=True)
    samples_figure, (d_ax, s_ax) = _axes(2)
    _show(d_ax, X_test[:20], "held-out digits (binarised)", 5)
    _show(s_ax, samples, f"Gibbs samples p(v | h) after {gibbs_steps} steps", 5)
    curve_figure, (r_ax, p_ax) = _axes(2)
    r_ax.plot(curves["reconstruction_error"], "o-")
    r_ax.set(xlabel="epoch", ylabel="squared reconstruction error per image", title="held-out reconstruction")
    p_ax.plot(curves["pseudo_log_likelihood"], "o-")
    p_ax.set(xlabel="epoch", ylabel="pseudo-log-likelihood (nats per image)", title="held-out pseudo-log-likelihood")
    metrics["wall_time_s"] = time.perf_counter() - start
    return ExperimentOutput(metrics=metrics, curves=curves, arrays={"weights": rbm.W, "samples": samples},
                            figures={"rbm_filters": filters_figure, "rbm_samples": samples_figure,
                                     "rbm_learning_curve": curve_figure})


def pc_digits(sizes=(64, 64, 10), activation: str = "logistic", epochs: int = 30, batch_size: int = 20,
              learning_rate: float = 0.2, gamma: float = 0.1, rate: float = 0.3, tol: float = 1e-4,
              engine: bool = True, *, seed, progress):
    """Predictive coding on digits beside backprop on the same network (same initial weights, loss,
    mini-batches and learning rate); gradient agreement before training; generated digits.
    ``engine``: run the network on the simulation core (:mod:`.pc_engine`), else the numpy reference."""
    if not isinstance(engine, bool):
        raise ParameterError("engine", engine, "true (the simulation core) or false (the numpy reference)")
    start = time.perf_counter()
    X_train, X_test, y_train, y_test = scaled_digits()
    pc = PredictiveCodingNetwork(list(sizes), generator(seed, "build", "pc:weights"), activation)
    bp = copy.deepcopy(pc)
    probe = pc.forward(X_train[:100])
    probe[-1] = np.eye(sizes[-1])[y_train[:100]]
    L = pc.n_layers
    precision = [1.0] * (L - 1) + [gamma]
    if engine:
        runner = pc_engine.EnginePredictiveCoding(pc, pc_engine.largest_batch(len(X_train), batch_size), gamma)
        prober = pc_engine.EngineNetwork(pc, 100, {0, L}, precision, plastic=True)
        before, _ = prober.weights()
        step = pc_engine.stable_rate(pc, rate, range(1, L), precision)
        prober.relax(probe, step, 1e-9, 20000, learning_rate=1 / gamma)
        dW = [after - w for after, w in zip(prober.weights()[0], before, strict=True)]  # the engine's learn phase
    else:
        runner = pc
        dW, _ = pc.weight_updates(pc.relax(probe, {0, L}, gamma, rate=rate, tol=1e-9, max_iterations=20000), gamma)
    gW, _ = backprop_gradients(pc, X_train[:100], np.eye(sizes[-1])[y_train[:100]])
    cosines = [float(np.vdot(a, -g) / np.linalg.norm(a) / np.linalg.norm(g)) for a, g in zip(dW, gW, strict=True)]
    report = (lambda f, s: progress(0.8 * f, "PC " + s))
    if engine:
        pc_curves = pc_engine.train(runner, X_train, y_train, generator(seed, "run", "pc:batches"), epochs, batch_size,
                                    learning_rate, X_test, y_test, progress=report, rate=rate, tol=tol)
    else:
        pc_curves = train(pc, X_train, y_train, generator(seed, "run", "pc:batches"), epochs, batch_size, learning_rate,
                          gamma, X_test, y_test, progress=report, rate=rate, tol=tol)
    pc_time = time.perf_counter() - start
    bp_start = time.perf_counter()
    bp_curves = train_backprop(bp, X_train, y_train, generator(seed, "run", "pc:batches"), epochs, batch_size,
                               learning_rate, X_test, y_test)
    bp_time = time.perf_counter() - bp_start
    generated = runner.generate(np.arange(sizes[-1]), X_train.mean(axis=0, keepdims=True)).x[0]
    progress(1.0, f"PC {pc_curves['test_accuracy'][-1]:.4f}, backprop {bp_curves['test_accuracy'][-1]:.4f}")
    figure, (acc_ax, loss_ax) = _axes(2)
    epoch_axis = np.arange(1, epochs + 1)
    acc_ax.plot(epoch_axis, pc_curves["test_accuracy"], label=f"predictive coding (gamma {gamma:g})")
    acc_ax.plot(epoch_axis, bp_curves["test_accuracy"], "--", label="backprop, same network")
    acc_ax.set(xlabel="epoch", ylabel="test accuracy", title="held-out digits (20 %)", ylim=(0.5, 1.0))
    acc_ax.legend(loc="lower right")
    loss_ax.plot(epoch_axis, pc_curves["train_loss"], label="predictive coding")
    loss_ax.plot(epoch_axis, bp_curves["train_loss"], "--", label="backprop")
    loss_ax.set(xlabel="epoch", ylabel="training loss 1/2 ||y - output||^2", yscale="log", title="learning curve")
    loss_ax.legend()
    gen_figure, (g_ax,) = _axes(1, 6, 2)
    _show(g_ax, np.clip(generated, 0, 1), "generation: label clamped 0..9, input layer read out", 10)
    return ExperimentOutput(
        metrics={"pc_test_accuracy": float(pc_curves["test_accuracy"][-1]),
                 "backprop_test_accuracy": float(bp_curves["test_accuracy"][-1]),
                 **{f"cosine_to_backprop_layer{l + 1}": c for l, c in enumerate(cosines)},
                 "pc_train_time_s": pc_time, "backprop_train_time_s": bp_time,
                 "mean_relaxation_iterations": float(pc_curves["iterations"].mean()),
                 "wall_time_s": time.perf_counter() - start},
        curves={**{f"pc_{k}": v for k, v in pc_curves.items()}, **{f"backprop_{k}": v for k, v in bp_curves.items()}},
        arrays={"generated": generated},
        figures={"pc_vs_backprop": figure, "pc_generation": gen_figure})
