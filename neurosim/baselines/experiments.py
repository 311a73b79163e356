"""Registered experiments: one full training run per baseline, with metrics, curves and figures."""
from __future__ import annotations

import functools
import time

import numpy as np
from matplotlib.figure import Figure
from threadpoolctl import threadpool_limits

from ..datasets import load_digits_levels, load_digits_split
from ..errors import ParameterError, did_you_mean
from ..experiment import ExperimentOutput
from . import autodiff as ad
from . import grammar
from .adversarial import accuracy_vs_epsilon, adversarial_batch_loss, fgsm, pgd, trades_batch_loss
from .autoencoder import Autoencoder, TiedAutoencoder, pca_reconstruction, train_autoencoder
from .cnn import train_cnn
from .data import gaussian_mixture_ring, ring_centres
from .diffusion import sample, train_diffusion
from .embeddings import analogy, analogy_questions, cosine_similarity, nearest_neighbours, train_skipgram
from .gan import mode_coverage, train_gan
from .mlp import train_mlp
from .recurrent import MODELS as RECURRENT_MODELS
from .recurrent import stream_windows, train_adding, train_next_word
from .transformer import beam_search, greedy_decode, reversal_batch, train_reversal
from .vae import LEVELS, PIXELS, independent_pixel_nll, train_vae

LEVELS_UNIFORM_NLL = PIXELS * float(np.log(LEVELS))  # 181.3 nats: every pixel level equally likely


def _timed_single_thread(function):
    """Run with one BLAS thread (the matrices are small: more threads only contend) and add the
    run's wall-clock and CPU times to its metrics (CPU time does not depend on other load)."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        wall, cpu = time.perf_counter(), time.process_time()
        with threadpool_limits(limits=1, user_api="blas"):
            output = function(*args, **kwargs)
        output.metrics["wall_time_s"] = time.perf_counter() - wall
        output.metrics["cpu_time_s"] = time.process_time() - cpu
        return output

    return wrapper


def _axes(columns: int = 1, width: float = 4.5, height: float = 3.5):
    figure = Figure(figsize=(width * columns, height), layout="constrained")
    return figure, figure.subplots(1, columns, squeeze=False)[0]


def _samples_scatter(ax, data: np.ndarray, generated: np.ndarray, label: str, title: str) -> None:
    """2-D data and generated samples, one dot each."""
    ax.scatter(*data.T, s=2, alpha=0.4, label="data")
    ax.scatter(*generated.T, s=2, alpha=0.4, label=label)
    ax.set(xlabel="x1", ylabel="x2", title=title, aspect="equal")
    ax.legend(markerscale=5)


def _running_means(ax, curves: dict[str, np.ndarray], window: int) -> None:
    """Each loss curve as its ``window``-step running mean, plotted at the window's last step."""
    for name, curve in curves.items():
        ax.plot(np.arange(window, len(curve) + 1), np.convolve(curve, np.ones(window) / window, "valid"), label=name)


def _mosaic(images: np.ndarray, columns: int, side: int = 8, gap: int = 1) -> np.ndarray:
    """Tile (n, side*side) images into one array with ``gap`` pixels of background between them."""
    rows = -(-len(images) // columns)
    canvas = np.full((rows * (side + gap) - gap, columns * (side + gap) - gap), np.nan)
    for k, image in enumerate(images):
        r, c = divmod(k, columns)
        canvas[r * (side + gap):r * (side + gap) + side, c * (side + gap):c * (side + gap) + side] = \
            image.reshape(side, side)
    return canvas


def _show_digits(ax, images: np.ndarray, title: str, columns: int = 10) -> None:
    ax.imshow(_mosaic(images, columns), cmap="gray_r", vmin=0, vmax=1)
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])


@_timed_single_thread
def mlp_digits(hidden=(100,), epochs: int = 60, learning_rate: float = 1e-3, batch_size: int = 32,
               weight_decay: float = 0.0, dropout: float = 0.0, repeats: int = 5, *, seed, progress):
    """MLP on digits (80/20 stratified split): test accuracy over ``repeats`` seeds seed, seed+1, ..."""
    X_train, X_test, y_train, y_test = load_digits_split()
    accuracies, curves = [], {}
    for r in range(repeats):
        model, run_curves = train_mlp(X_train, y_train, np.random.default_rng(seed + r), hidden=tuple(hidden),
                                      epochs=epochs, learning_rate=learning_rate, batch_size=batch_size,
                                      weight_decay=weight_decay, dropout=dropout, X_test=X_test, y_test=y_test)
        accuracies.append(model.accuracy(X_test, y_test))
        if r == 0:
            curves = run_curves
        progress((r + 1) / repeats, f"run {r + 1}: test accuracy {accuracies[-1]:.4f}")
    figure, (loss_ax, acc_ax) = _axes(2)
    epochs_axis = np.arange(1, epochs + 1)
    loss_ax.plot(epochs_axis, curves["train_loss"])
    loss_ax.set(xlabel="epoch", ylabel="training cross-entropy (nats)", yscale="log", title="MLP training loss")
    acc_ax.plot(epochs_axis, curves["test_accuracy"])
    acc_ax.axhline(0.977, color="gray", ls="--", label="scikit-learn MLPClassifier((100,))")
    acc_ax.set(xlabel="epoch", ylabel="test accuracy", ylim=(0.9, 1.0), title="held-out digits (20 %)")
    acc_ax.legend(loc="lower right")
    return ExperimentOutput(
        metrics={"test_accuracy_mean": float(np.mean(accuracies)), "test_accuracy_min": float(np.min(accuracies)),
                 "test_accuracy_max": float(np.max(accuracies))},
        curves={**curves, "test_accuracy_per_seed": np.array(accuracies)},
        figures={"mlp_training": figure})


@_timed_single_thread
def fgsm_digits(hidden=(100,), epochs: int = 60, learning_rate: float = 1e-3,
                epsilons=(0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3), *, seed, progress):
    """FGSM against the digits MLP: test accuracy versus epsilon, beside random-sign noise of equal size."""
    X_train, X_test, y_train, y_test = load_digits_split()
    rng = np.random.default_rng(seed)
    model, _ = train_mlp(X_train, y_train, rng, hidden=tuple(hidden), epochs=epochs, learning_rate=learning_rate)
    progress(0.8, "attacking")
    epsilons = np.asarray(epsilons, dtype=float)
    adversarial = accuracy_vs_epsilon(model, X_test, y_test, epsilons)
    noise = np.array([model.accuracy(np.clip(X_test + e * rng.choice([-1.0, 1.0], X_test.shape), 0, 1), y_test)
                      for e in epsilons])
    examples = np.concatenate([fgsm(model, X_test[:10], y_test[:10], e) for e in (0.0, 0.1, 0.2)])
    figure, (ax, ex_ax) = _axes(2)
    ax.plot(epsilons, adversarial, "o-", label="FGSM")
    ax.plot(epsilons, noise, "s--", label="random sign noise")
    ax.set(xlabel="epsilon (pixel range 0-1)", ylabel="test accuracy", title="MLP under FGSM", ylim=(0, 1.02))
    ax.legend()
    _show_digits(ex_ax, examples, "FGSM examples, rows: eps 0, 0.1, 0.2")
    metrics = {f"accuracy_eps_{e:g}": float(a) for e, a in zip(epsilons, adversarial, strict=True)}
    return ExperimentOutput(metrics=metrics,
                            curves={"epsilon": epsilons, "fgsm_accuracy": adversarial, "noise_accuracy": noise},
                            arrays={"examples": examples}, figures={"fgsm_accuracy": figure})


@_timed_single_thread
def rnn_adding(models=("rnn", "gru", "lstm", "mingru"), lengths=(10, 50, 100), hidden: int = 32,
               steps: int = 1200, batch_size: int = 64, learning_rate: float = 3e-3, *, seed, progress):
    """Adding problem: test MSE of each recurrent model at each sequence length (1/6 = predicting the mean)."""
    mse = np.zeros((len(models), len(lengths)))
    curves = {}
    for i, kind in enumerate(models):
        for j, length in enumerate(lengths):
            _, losses, mse[i, j] = train_adding(kind, length, np.random.default_rng([seed, i, j]), hidden=hidden,
                                                steps=steps, batch_size=batch_size, learning_rate=learning_rate)
            curves[f"{kind}_T{length}_loss"] = losses
            progress((i * len(lengths) + j + 1) / (len(models) * len(lengths)), f"{kind} T={length}: {mse[i, j]:.4f}")
    figure, (curve_ax, mse_ax) = _axes(2)
    longest = lengths[-1]
    window = 25
    for kind in models:
        smooth = np.convolve(curves[f"{kind}_T{longest}_loss"], np.ones(window) / window, mode="valid")
        curve_ax.plot(np.arange(window, steps + 1), smooth, label=kind)
    curve_ax.axhline(1 / 6, color="gray", ls=":", label="predict the mean")
    curve_ax.set(xlabel="training step", ylabel="training MSE (25-step mean)", yscale="log",
                 title=f"adding problem, T = {longest}")
    for i, kind in enumerate(models):
        mse_ax.plot(lengths, mse[i], "o-", label=kind)
    mse_ax.axhline(1 / 6, color="gray", ls=":", label="predict the mean")
    mse_ax.set(xlabel="sequence length T", ylabel="test MSE", yscale="log", title="test MSE versus length")
    figure.legend(*mse_ax.get_legend_handles_labels(), loc="outside right center")
    metrics = {f"{kind}_T{length}_test_mse": float(mse[i, j])
               for i, kind in enumerate(models) for j, length in enumerate(lengths)}
    return ExperimentOutput(metrics=metrics, curves=curves, arrays={"test_mse": mse, "lengths": np.array(lengths)},
                            figures={"rnn_adding": figure})


@_timed_single_thread
def transformer_reverse(length: int = 8, symbols: int = 10, dim: int = 64, heads: int = 4, layers: int = 2,
                        hidden: int = 128, steps: int = 600, batch_size: int = 64, learning_rate: float = 1e-3,
                        test_size: int = 500, beam_width: int = 3, *, seed, progress):
    """Sequence reversal: greedy and beam-search token/sequence accuracy on fresh test sequences."""
    rng = np.random.default_rng(seed)
    model, losses, train_accuracy = train_reversal(rng, length, symbols, dim, heads, layers, hidden, steps,
                                                   batch_size, learning_rate, progress=progress)
    test = reversal_batch(test_size, length, symbols, rng)
    prefix, target = test[:, :length + 1], test[:, length + 1:]
    greedy = greedy_decode(model, prefix, length)
    beam, _ = beam_search(model, prefix, length, beam_width)
    model(test[:1, :-1])
    maps = model.attention_maps()
    figure = Figure(figsize=(3.2 * heads, 3.2 * layers + 3.2), layout="constrained")
    maps_figure, curves_figure = figure.subfigures(2, 1, height_ratios=[layers, 1])
    axes = maps_figure.subplots(layers, heads, squeeze=False)
    labels = [str(t) if t < symbols else "SEP" for t in test[0, :-1]]
    for block, weights in enumerate(maps):
        for head in range(heads):
            ax = axes[block, head]
            ax.imshow(weights[0, head], cmap="viridis", vmin=0, vmax=1)
            ax.set(title=f"block {block + 1}, head {head + 1}", xlabel="key token", ylabel="query token")
            ax.set_xticks(range(len(labels)), labels, fontsize=6)
            ax.set_yticks(range(len(labels)), labels, fontsize=6)
    maps_figure.suptitle("attention weights for one test sequence")
    loss_ax, acc_ax = curves_figure.subplots(1, 2)
    loss_ax.plot(np.arange(1, steps + 1), losses)
    loss_ax.set(xlabel="training step", ylabel="cross-entropy (nats/token)", yscale="log", title="training loss")
    acc_ax.plot(np.arange(1, steps + 1), train_accuracy)
    acc_ax.set(xlabel="training step", ylabel="token accuracy (teacher forcing)", title="training accuracy")
    metrics = {"greedy_token_accuracy": float((greedy == target).mean()),
               "greedy_sequence_accuracy": float((greedy == target).all(axis=1).mean()),
               "beam_token_accuracy": float((beam == target).mean()),
               "beam_sequence_accuracy": float((beam == target).all(axis=1).mean()),
               "final_train_loss": float(losses[-20:].mean())}
    return ExperimentOutput(metrics=metrics, curves={"train_loss": losses, "train_token_accuracy": train_accuracy},
                            arrays={"attention_block1": maps[0][0], "test_sequences": test[:20],
                                    "greedy_output": greedy[:20]},
                            figures={"transformer_reverse": figure})


@_timed_single_thread
def vae_digits(latent: int = 16, hidden: int = 256, epochs: int = 80, batch_size: int = 50,
               learning_rate: float = 1e-3, beta: float = 1.0, *, seed, progress):
    """VAE on 17-level digits (1000/350/447 split): held-out -ELBO in nats, reconstructions and samples."""
    train, validation, test = load_digits_levels()
    rng = np.random.default_rng(seed)
    model, curves = train_vae(train, validation, rng, latent, hidden, epochs, batch_size, learning_rate, beta,
                              progress=progress)
    test_elbo = model.evaluate(test, samples=20)
    independent = independent_pixel_nll(train, test)
    figure, (loss_ax, rec_ax, sample_ax) = _axes(3, width=4.2)
    for name in ("train_neg_elbo", "validation_neg_elbo"):
        loss_ax.plot(np.arange(1, epochs + 1), curves[name], label=name.replace("_", " "))
    loss_ax.axhline(LEVELS_UNIFORM_NLL, color="gray", ls=":", label="uniform pixels")
    loss_ax.axhline(independent, color="gray", ls="--", label="independent pixels (test)")
    loss_ax.set(xlabel="epoch", ylabel="-ELBO (nats per image)", ylim=(60, 190), title=f"VAE, latent {latent}")
    loss_ax.legend()
    originals = test[:10] / 16.0
    _show_digits(rec_ax, np.concatenate([originals, model.reconstruct(test[:10])]),
                 "test digits (top) and reconstructions", columns=10)
    _show_digits(sample_ax, model.sample(30), "samples from the prior", columns=10)
    metrics = {"test_neg_elbo_nats": test_elbo,
               "best_validation_neg_elbo_nats": float(curves["validation_neg_elbo"].min()),
               "independent_pixels_nll_nats": independent,
               "uniform_nll_nats": LEVELS_UNIFORM_NLL}
    return ExperimentOutput(metrics=metrics, curves=curves, figures={"vae_digits": figure})


@_timed_single_thread
def gan_mixture(modes: int = 8, noise_dim: int = 8, hidden: int = 128, steps: int = 3000, batch_size: int = 256,
                learning_rate: float = 2e-3, samples: int = 2000, digits_noise_dim: int = 16,
                digits_hidden: int = 256, digits_steps: int = 5000, digits_batch_size: int = 64,
                digits_learning_rate: float = 5e-4, confidence: float = 0.9, *, seed, progress):
    """GAN on 8 Gaussians on a circle (std 0.05): samples within 3 std of a mode, and modes covered.
    Then a GAN on digits (scaled to [-1, 1]): samples judged by the digits MLP classifier."""
    rng = np.random.default_rng(seed)
    std = 0.05
    data = gaussian_mixture_ring(10000, rng, modes=modes, std=std)
    generator, losses = train_gan(data, rng, noise_dim, hidden, steps, batch_size, learning_rate,
                                  lambda f, text: progress(0.4 * f, text))
    generated = generator(rng.standard_normal((samples, noise_dim))).data
    centres = ring_centres(modes)
    quality, per_mode = mode_coverage(generated, centres, 3 * std)
    covered = int((per_mode >= 0.1 * samples / modes).sum())
    figure, (scatter_ax, loss_ax, mode_ax) = _axes(3, width=4.2)
    _samples_scatter(scatter_ax, data[:samples], generated, "generator", "samples")
    _running_means(loss_ax, {name.replace("_", " "): curve for name, curve in losses.items()}, 50)
    loss_ax.axhline(2 * np.log(2), color="gray", ls=":", label="D at equilibrium (2 ln 2)")
    loss_ax.set(xlabel="training step", ylabel="loss (nats, 50-step mean)", title="alternating updates")
    loss_ax.legend()
    mode_ax.bar(np.arange(modes), per_mode / samples)
    mode_ax.axhline(1 / modes, color="gray", ls=":", label="uniform coverage")
    mode_ax.set(xlabel="mode", ylabel="fraction of samples within 3 std", title=f"{covered} of {modes} modes covered",
                ylim=(0, 1.4 * max(per_mode.max() / samples, 1 / modes)))
    mode_ax.legend()
    X_train, _, y_train, _ = load_digits_split()
    classifier, _ = train_mlp(X_train, y_train, np.random.default_rng(seed))
    digit_generator, digit_losses = train_gan(2 * X_train - 1, rng, digits_noise_dim, digits_hidden, digits_steps,
                                              digits_batch_size, digits_learning_rate,
                                              lambda f, text: progress(0.4 + 0.6 * f, text))
    digits = np.clip((digit_generator(rng.standard_normal((400, digits_noise_dim))).data + 1) / 2, 0, 1)
    probs = classifier.predict_proba(digits)
    confident = probs.max(axis=1) >= confidence
    classes = np.bincount(probs.argmax(axis=1)[confident], minlength=10)
    digit_figure, (sample_ax, digit_loss_ax, class_ax) = _axes(3, width=4.2)
    _show_digits(sample_ax, digits[:40], f"GAN digit samples ({confident.mean():.0%} with p >= {confidence})")
    _running_means(digit_loss_ax, {name.replace("_", " "): curve for name, curve in digit_losses.items()}, 50)
    digit_loss_ax.set(xlabel="training step", ylabel="loss (nats, 50-step mean)", title="digits GAN losses")
    digit_loss_ax.legend()
    class_ax.bar(np.arange(10), classes)
    class_ax.set(xlabel="class given by the MLP", ylabel=f"confident samples (of {len(digits)})",
                 title="classes of confident samples", xticks=range(10))
    metrics = {"modes_covered": float(covered), "high_quality_fraction": quality,
               "digits_confident_fraction": float(confident.mean()),
               "digits_classes_present": float((classes >= 0.02 * len(digits)).sum())}
    curves = {**losses, **{f"digits_{name}": curve for name, curve in digit_losses.items()}}
    return ExperimentOutput(metrics=metrics, curves=curves,
                            arrays={"samples": generated, "per_mode": per_mode, "digit_samples": digits,
                                    "digit_class_counts": classes},
                            figures={"gan_mixture": figure, "gan_digits": digit_figure})


@_timed_single_thread
def diffusion(diffusion_steps: int = 1000, mixture_steps: int = 3000, mixture_hidden: int = 128,
              digits_steps: int = 5000, digits_hidden: int = 512, learning_rate: float = 1e-3,
              samples_2d: int = 2000, samples_digits: int = 400, confidence: float = 0.9, *, seed, progress):
    """DDPM on a 2-D ring mixture (std 0.1) and on digits; digit samples judged by the MLP classifier."""
    rng = np.random.default_rng(seed)
    std = 0.1
    ring = gaussian_mixture_ring(10000, rng, std=std)
    model_2d, schedule, loss_2d = train_diffusion(ring, rng, mixture_hidden, steps=mixture_steps,
                                                  learning_rate=learning_rate, diffusion_steps=diffusion_steps)
    points = sample(model_2d, schedule, samples_2d, rng)
    quality, per_mode = mode_coverage(points, ring_centres(), 3 * std)
    progress(0.15, f"2-D done: {quality:.3f} within 3 std")
    X_train, X_test, y_train, _ = load_digits_split()
    classifier, _ = train_mlp(X_train, y_train, np.random.default_rng(seed))
    model_dig, schedule, loss_dig = train_diffusion(2 * X_train - 1, rng, digits_hidden, steps=digits_steps,
                                                    learning_rate=learning_rate, diffusion_steps=diffusion_steps,
                                                    progress=lambda f, text: progress(0.15 + 0.75 * f, text))
    digits = np.clip((sample(model_dig, schedule, samples_digits, rng) + 1) / 2, 0, 1)
    probs = classifier.predict_proba(digits)
    confident = probs.max(axis=1) >= confidence
    # controls: real held-out digits, and images whose pixels are drawn independently from each
    # pixel's training marginal (right pixel statistics, no shape)
    independent = np.stack([rng.choice(X_train[:, j], samples_digits) for j in range(X_train.shape[1])], axis=1)
    real_confident, independent_confident = (float((classifier.predict_proba(x).max(axis=1) >= confidence).mean())
                                             for x in (X_test, independent))
    figure, (scatter_ax, loss_ax, digit_ax) = _axes(3, width=4.2)
    _samples_scatter(scatter_ax, ring[:samples_2d], points, "DDPM samples", "2-D mixture")
    _running_means(loss_ax, {"2-D": loss_2d, "digits": loss_dig}, 100)
    loss_ax.set(xlabel="training step", ylabel="noise-prediction MSE (100-step mean)", title="training loss")
    loss_ax.legend()
    _show_digits(digit_ax, digits[:40], f"DDPM digit samples ({confident.mean():.0%} with p >= {confidence})")
    metrics = {"mixture_within_3std_fraction": quality,
               "mixture_modes_covered": float((per_mode >= 0.1 * samples_2d / 8).sum()),
               "digits_confident_fraction": float(confident.mean()),
               "real_test_digits_confident_fraction": real_confident,
               "independent_pixels_confident_fraction": independent_confident}
    return ExperimentOutput(metrics=metrics, curves={"loss_2d": loss_2d, "loss_digits": loss_dig},
                            arrays={"samples_2d": points, "samples_digits": digits,
                                    "digit_class_counts": np.bincount(probs.argmax(axis=1)[confident], minlength=10)},
                            figures={"diffusion": figure})


@_timed_single_thread
def cnn_digits(channels: tuple[int, int] = (16, 32), hidden: int = 128, epochs: int = 30,
               learning_rate: float = 1e-3, batch_size: int = 32, repeats: int = 3,
               mlp_hidden: tuple[int, ...] = (100,), *, seed, progress):
    """CNN on digits (80/20 stratified split) against the MLP with the same split, epochs, batches and
    seeds seed, seed+1, ...: test accuracy over ``repeats`` seeds."""
    X_train, X_test, y_train, y_test = load_digits_split()
    results = {"cnn": [], "mlp": []}
    curves = {}
    for r in range(repeats):
        for name in ("cnn", "mlp"):
            rng = np.random.default_rng(seed + r)
            if name == "cnn":
                model, run = train_cnn(X_train, y_train, rng, tuple(channels), hidden, epochs=epochs,
                                       learning_rate=learning_rate, batch_size=batch_size, X_test=X_test,
                                       y_test=y_test)
            else:
                model, run = train_mlp(X_train, y_train, rng, tuple(mlp_hidden), epochs=epochs,
                                       learning_rate=learning_rate, batch_size=batch_size, X_test=X_test,
                                       y_test=y_test)
            results[name].append(model.accuracy(X_test, y_test))
            curves[f"{name}_test_accuracy_seed{seed + r}"] = run["test_accuracy"]
            curves[f"{name}_train_loss_seed{seed + r}"] = run["train_loss"]
            if name == "cnn" and r == 0:
                filters = model.conv1.weight.data[:, 0]
        progress((r + 1) / repeats, f"seed {seed + r}: CNN {results['cnn'][-1]:.4f}, MLP {results['mlp'][-1]:.4f}")
    figure, (acc_ax, filter_ax) = _axes(2)
    epochs_axis = np.arange(1, epochs + 1)
    for name, colour in (("cnn", "C0"), ("mlp", "C1")):
        for r in range(repeats):
            acc_ax.plot(epochs_axis, curves[f"{name}_test_accuracy_seed{seed + r}"], color=colour, lw=1,
                        label=f"{name.upper()} (mean {np.mean(results[name]):.4f})" if r == 0 else None)
    acc_ax.axhline(0.98, color="gray", ls=":", label="target 0.98")
    acc_ax.set(xlabel="epoch", ylabel="test accuracy", ylim=(0.9, 1.0),
               title=f"held-out digits (20 %), {repeats} seeds each")
    acc_ax.legend(loc="lower right")
    scaled = 0.5 + filters.reshape(len(filters), -1) / (2 * np.abs(filters).max())  # white = weight 0
    filter_ax.imshow(_mosaic(scaled, columns=8, side=3), cmap="RdBu_r", vmin=0, vmax=1)
    filter_ax.set(title=f"first-layer 3x3 filters (seed {seed}; red > 0, blue < 0)", xticks=[], yticks=[])
    metrics = {}
    for name in ("cnn", "mlp"):
        metrics.update({f"{name}_test_accuracy_mean": float(np.mean(results[name])),
                        f"{name}_test_accuracy_min": float(np.min(results[name])),
                        f"{name}_test_accuracy_max": float(np.max(results[name]))})
    return ExperimentOutput(metrics=metrics, curves=curves,
                            arrays={"cnn_test_accuracy": np.array(results["cnn"]),
                                    "mlp_test_accuracy": np.array(results["mlp"]), "conv1_filters": filters},
                            figures={"cnn_digits": figure})


DEFENCES = ("plain", "adversarial", "trades")


@_timed_single_thread
def adversarial_defence(architecture: str = "mlp", hidden: tuple[int, ...] = (100,),
                        channels: tuple[int, int] = (8, 16), epochs: int = 60, learning_rate: float = 1e-3,
                        train_epsilon: float = 0.1, train_steps: int = 5, adversarial_weight: float = 0.5,
                        trades_beta: float = 6.0,
                        epsilons: tuple[float, ...] = (0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3),
                        attack_steps: int = 10, *, seed, progress):
    """Plain, adversarially trained and TRADES classifiers (``architecture`` mlp or cnn; for the CNN,
    ``hidden`` holds the one dense layer's size): test accuracy under PGD-``attack_steps`` and FGSM
    against epsilon (pixels in [0, 1]), with PGD-50 at ``train_epsilon`` as a check for masked gradients."""
    if architecture not in ("mlp", "cnn"):
        raise ParameterError("baseline_adversarial: architecture", architecture, "'mlp' or 'cnn'")
    X_train, X_test, y_train, y_test = load_digits_split()
    epsilons = np.asarray(epsilons, dtype=float)
    results, models = {}, {}
    for k, defence in enumerate(DEFENCES):
        rng = np.random.default_rng([seed, k])
        loss = {"plain": None,
                "adversarial": adversarial_batch_loss(train_epsilon, rng, train_steps, adversarial_weight),
                "trades": trades_batch_loss(train_epsilon, trades_beta, rng, train_steps)}[defence]
        if architecture == "mlp":
            model, _ = train_mlp(X_train, y_train, rng, tuple(hidden), epochs, learning_rate, batch_loss=loss)
        else:
            model, _ = train_cnn(X_train, y_train, rng, tuple(channels), int(hidden[0]), epochs=epochs,
                                 learning_rate=learning_rate, batch_loss=loss)
        progress((k + 0.7) / len(DEFENCES), f"{defence} trained, attacking")
        attack_rng = np.random.default_rng([seed, k, 1])
        results[f"{defence}_pgd"] = accuracy_vs_epsilon(model, X_test, y_test, epsilons, attack=pgd,
                                                        steps=attack_steps, rng=attack_rng)
        results[f"{defence}_fgsm"] = accuracy_vs_epsilon(model, X_test, y_test, epsilons)
        results[f"{defence}_pgd50"] = model.accuracy(pgd(model, X_test, y_test, train_epsilon, 50, rng=attack_rng),
                                                     y_test)
        models[defence] = model
        progress((k + 1) / len(DEFENCES), f"{defence}: clean {model.accuracy(X_test, y_test):.3f}")
    figure, (ax, ex_ax) = _axes(2, width=5.0)
    for k, defence in enumerate(DEFENCES):
        ax.plot(epsilons, results[f"{defence}_pgd"], "o-", color=f"C{k}", label=f"{defence}, PGD-{attack_steps}")
        ax.plot(epsilons, results[f"{defence}_fgsm"], "s--", color=f"C{k}", alpha=0.6, label=f"{defence}, FGSM")
    ax.axvline(train_epsilon, color="gray", ls=":", label=f"training epsilon {train_epsilon:g}")
    ax.set(xlabel="epsilon (L-infinity, pixel range 0-1)", ylabel="test accuracy", ylim=(0, 1.02),
           title=f"digits {architecture.upper()}: robust accuracy")
    ax.legend(fontsize=7)
    examples = np.concatenate([X_test[:10]] + [pgd(models[d], X_test[:10], y_test[:10], train_epsilon, attack_steps,
                                                   rng=np.random.default_rng(0)) for d in DEFENCES])
    _show_digits(ex_ax, examples, f"rows: test; PGD (eps {train_epsilon:g}) vs plain, adv., TRADES")
    metrics = {}
    for defence in DEFENCES:
        metrics[f"{defence}_clean_accuracy"] = float(results[f"{defence}_pgd"][0]) if epsilons[0] == 0 else \
            models[defence].accuracy(X_test, y_test)
        metrics[f"{defence}_pgd50_accuracy_eps_{train_epsilon:g}"] = float(results[f"{defence}_pgd50"])
        for e, a_pgd, a_fgsm in zip(epsilons, results[f"{defence}_pgd"], results[f"{defence}_fgsm"], strict=True):
            metrics[f"{defence}_pgd_accuracy_eps_{e:g}"] = float(a_pgd)
            metrics[f"{defence}_fgsm_accuracy_eps_{e:g}"] = float(a_fgsm)
    curves = {"epsilon": epsilons, **{k: v for k, v in results.items() if not k.endswith("pgd50")}}
    return ExperimentOutput(metrics=metrics, curves=curves, arrays={"examples": examples},
                            figures={"robust_accuracy": figure})


@_timed_single_thread
def autoencoder_digits(latents: tuple[int, ...] = (2, 4, 8, 16), hidden: tuple[int, ...] = (128,),
                       epochs: int = 80, batch_size: int = 50, learning_rate: float = 1e-3, vae_epochs: int = 30,
                       vae_hidden: int = 256, shown_latent: int = 8, *, seed, progress):
    """Plain and tied-weight autoencoders, the VAE (its decoder's mean image) and PCA on digits (pixels /16,
    1000/350/447 split): held-out reconstruction MSE against latent size, and reconstructions."""
    train_levels, validation_levels, test_levels = load_digits_levels()
    train, validation, test = (a / 16.0 for a in (train_levels, validation_levels, test_levels))
    names = ("autoencoder", "tied_autoencoder", "vae", "pca")
    errors = {name: np.zeros(len(latents)) for name in names}
    shown = {"original": test[:10]}
    curves = {}
    for j, latent in enumerate(latents):
        reconstructions = {}
        for k, (name, cls) in enumerate((("autoencoder", Autoencoder), ("tied_autoencoder", TiedAutoencoder))):
            rng = np.random.default_rng([seed, j, k])
            model = cls(64, tuple(hidden), latent, rng)
            run = train_autoencoder(model, train, validation, rng, epochs, batch_size, learning_rate)
            curves.update({f"{name}_latent{latent}_{key}": value for key, value in run.items()})
            reconstructions[name] = model(ad.Tensor(test)).data
        vae, _ = train_vae(train_levels, validation_levels, np.random.default_rng([seed, j, 2]), latent, vae_hidden,
                           vae_epochs)
        reconstructions["vae"] = vae.reconstruct(test_levels)
        reconstructions["pca"] = pca_reconstruction(train, test, latent)
        for name in names:
            errors[name][j] = float(((reconstructions[name] - test) ** 2).mean())
        if latent == shown_latent:
            shown.update({name: reconstructions[name][:10] for name in names})
        progress((j + 1) / len(latents), f"latent {latent}: " + ", ".join(f"{n} {errors[n][j]:.4f}" for n in names))
    figure, (mse_ax, rec_ax) = _axes(2, width=5.0)
    labels = {"autoencoder": "autoencoder", "tied_autoencoder": "tied-weight autoencoder",
              "vae": "VAE (decoder mean of the posterior mean)", "pca": "PCA"}
    for name in names:
        mse_ax.plot(latents, errors[name], "o-", label=labels[name])
    mse_ax.set(xlabel="latent size", ylabel="test reconstruction MSE (pixels in [0, 1])", xscale="log", yscale="log",
               title="digits reconstruction error")
    mse_ax.set_xticks(latents, [str(n) for n in latents])
    mse_ax.tick_params(axis="x", which="minor", bottom=False, labelbottom=False)
    mse_ax.legend(fontsize=8)
    if len(shown) > 1:
        _show_digits(rec_ax, np.concatenate(list(shown.values())),
                     f"latent {shown_latent}; rows: test, AE, tied AE, VAE, PCA")
    metrics = {f"{name}_test_mse_latent{latent}": float(errors[name][j])
               for name in names for j, latent in enumerate(latents)}
    return ExperimentOutput(metrics=metrics, curves=curves,
                            arrays={"latents": np.array(latents), **{f"{n}_test_mse": e for n, e in errors.items()}},
                            figures={"autoencoder_digits": figure})


@_timed_single_thread
def grammar_words(sentences: int = 3000, dim: int = 20, window: int = 3, negatives: int = 5,
                  skipgram_epochs: int = 3, skipgram_learning_rate: float = 0.01, subsample: float = 0.0,
                  models: tuple[str, ...] = ("rnn", "gru", "lstm"), hidden: int = 32, steps: int = 800,
                  batch_size: int = 32, length: int = 24, learning_rate: float = 1e-2,
                  test_sentences: int = 1000, *, seed, progress):
    """Skip-gram embeddings of a corpus drawn from :mod:`grammar` (nearest neighbours by cosine against
    the grammar's word categories; 3CosAdd analogies on its 6 x 2 grids), then next-word prediction
    over those (fixed, unit-length) vectors by an Elman SRN, a GRU and an LSTM against the exact ceiling."""
    for kind in models:  # checked before any training
        if kind not in RECURRENT_MODELS:
            raise ParameterError("baseline_grammar_words: models", kind,
                                 f"one of {sorted(RECURRENT_MODELS)}{did_you_mean(kind, RECURRENT_MODELS)}")
    rng = np.random.default_rng(seed)
    vocab = grammar.vocabulary()
    index = {w: i for i, w in enumerate(vocab)}
    stream = grammar.encode(grammar.sample_sentences(sentences, rng), vocab)
    skipgram, sg_losses = train_skipgram(stream, len(vocab), rng, dim, window, negatives, skipgram_epochs,
                                         learning_rate=skipgram_learning_rate, subsample=subsample)
    vectors = skipgram.input_vectors.data
    category = {w: c for c, words in grammar.CATEGORIES.items() for w in words}
    words = [w for w in vocab if w in category]
    neighbour = nearest_neighbours(vectors, 1)[:, 0]
    nn_match = float(np.mean([category.get(vocab[neighbour[index[w]]]) == category[w] for w in words]))
    precision = []  # of the (category size - 1) nearest neighbours, the fraction in the word's category
    for w in words:
        k = len(grammar.CATEGORIES[category[w]]) - 1
        neighbours = nearest_neighbours(vectors, k)[index[w]]
        precision.append(np.mean([category.get(vocab[j]) == category[w] for j in neighbours]))
    questions = analogy_questions(grammar.GRIDS)
    correct = {family: [] for family in grammar.GRIDS}
    for family, a, b, c, d in questions:
        correct[family].append(analogy(vectors, index[a], index[b], index[c]) == index[d])
    progress(0.15, f"embeddings: analogies {np.mean([x for v in correct.values() for x in v]):.3f}")

    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    test = grammar.encode(grammar.sample_sentences(test_sentences, np.random.default_rng([seed, 1])), vocab)
    test_starts = np.flatnonzero(test == index[grammar.END])
    test_starts = test_starts[test_starts + length < len(test)]
    test_windows = stream_windows(test, test_starts, length)  # overlapping windows, each from a sentence start
    targets = test_windows[:, 1:]
    oracle_guess = grammar.ceiling_predictions(test, vocab)[test_starts[:, None] + np.arange(length)]
    accuracy, lm_losses = {}, {}
    for k, kind in enumerate(models):
        model, lm_losses[kind] = train_next_word(kind, stream, unit, np.flatnonzero(stream == index[grammar.END]),
                                                 np.random.default_rng([seed, 2, k]), hidden, steps, batch_size,
                                                 length, learning_rate)
        accuracy[kind] = float((model(test_windows[:, :-1]).data.argmax(axis=-1) == targets).mean())
        progress(0.15 + 0.85 * (k + 1) / len(models), f"{kind}: next-word accuracy {accuracy[kind]:.3f}")
    ceiling = grammar.ceiling_accuracy()
    oracle = float((oracle_guess == targets).mean())
    table = grammar.sentences()
    entropy = -sum(p * np.log(p) for _, p in table) / sum(p * len(s) for s, p in table)

    figure, (map_ax, sim_ax, lm_ax) = _axes(3, width=4.6, height=4.2)
    grid_words = [w for rows in grammar.GRIDS.values() for row in rows for w in row]
    centred = unit[[index[w] for w in grid_words]] - unit[[index[w] for w in grid_words]].mean(axis=0)
    projection = centred @ np.linalg.svd(centred, full_matrices=False)[2][:2].T
    position = dict(zip(grid_words, projection, strict=True))
    for f, rows in enumerate(grammar.GRIDS.values()):
        for left, right in rows:
            map_ax.plot(*np.stack([position[left], position[right]]).T, "-", color=f"C{f}", lw=0.8)
        for left, right in rows:
            for word, marker in ((left, "o"), (right, "s")):
                map_ax.plot(*position[word], marker, color=f"C{f}", ms=4)
                map_ax.annotate(word, position[word], fontsize=6)
    map_ax.set(xlabel="PC 1", ylabel="PC 2", title="grid words (unit vectors), pairs joined")
    order = [index[w] for c in grammar.CATEGORIES.values() for w in c]
    sim_ax.imshow(cosine_similarity(vectors)[np.ix_(order, order)], cmap="RdBu_r", vmin=-1, vmax=1)
    edges = np.cumsum([len(c) for c in grammar.CATEGORIES.values()])[:-1] - 0.5
    for e in edges:
        sim_ax.axhline(e, color="k", lw=0.4)
        sim_ax.axvline(e, color="k", lw=0.4)
    sim_ax.set(title="cosine similarity, words grouped by category", xticks=[], yticks=[])
    window_avg = 25
    for kind in models:
        curve = np.convolve(lm_losses[kind], np.ones(window_avg) / window_avg, mode="valid")
        lm_ax.plot(np.arange(window_avg, steps + 1), curve, label=f"{kind} (accuracy {accuracy[kind]:.3f})")
    lm_ax.axhline(entropy, color="gray", ls="--", label=f"entropy rate {entropy:.3f} nats")
    lm_ax.set(xlabel="training step", ylabel="next-word cross-entropy (nats, 25-step mean)", yscale="log",
              title=f"next word; ceiling accuracy {ceiling:.4f}")
    lm_ax.legend(fontsize=7)
    metrics = {"nearest_neighbour_category_match": nn_match, "neighbour_category_precision": float(np.mean(precision)),
               "analogy_accuracy": float(np.mean([x for v in correct.values() for x in v])),
               **{f"analogy_accuracy_{family}": float(np.mean(v)) for family, v in correct.items()},
               "analogy_questions": float(len(questions)),
               "next_word_ceiling_accuracy": ceiling, "next_word_oracle_test_accuracy": oracle,
               "entropy_rate_nats": float(entropy),
               **{f"{kind}_next_word_accuracy": accuracy[kind] for kind in models},
               **{f"{kind}_final_train_loss": float(lm_losses[kind][-50:].mean()) for kind in models}}
    return ExperimentOutput(metrics=metrics,
                            curves={"skipgram_loss": sg_losses, **{f"{k}_loss": v for k, v in lm_losses.items()}},
                            arrays={"word_vectors": vectors}, figures={"grammar_words": figure})
