"""Regenerate the figures and numbers quoted in the docs, so that the docs cannot drift from the code.

    python scripts/docs_figures.py                   # everything (the sweeps take tens of minutes)
    python scripts/docs_figures.py brunel_phase      # one item; names below
    python scripts/docs_figures.py --list

Items (each prints what the docs quote and writes its figures to docs/figures/ or its notebook):

- ``notebooks``: executes notebooks/*.ipynb and stores their outputs (tests/test_notebooks.py
  checks that a fresh execution prints the same numbers);
- ``cuba_realisations``: protocols/cuba.yaml, 1 s, seeds 1-8, mean +- sd of the E and I rates over
  realisations, with delays raised to 0.1 ms and with the protocol's 0 ms (docs/compare.md);
- ``brunel_phase``: the Brunel (2000) g x eta sweep (protocols/brunel_phase_sweep.yaml) and its phase
  diagram docs/figures/brunel_phase.png, with the table of docs/sweeps.md;
- ``cuba_sweep``, ``lif_fi_sweep``: the sweep figures of docs/sweeps.md;
- ``neural_sampling``, ``spiking_pc``: the spiking variants' closeness to their rate versions
  (docs/architecture.md): samples of a digits RBM vs Gibbs samples; the fixed point of LIF
  predictive coding vs the rate network's.

Sweeps write to results/<name>/ and reuse completed points (delete the directory to redo them).
"""
from __future__ import annotations

import argparse
import pathlib
import shutil
import subprocess
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
FIGURES = ROOT / "docs" / "figures"
CUBA_SEEDS = range(1, 9)


def notebooks() -> None:
    import nbformat
    from nbclient import NotebookClient

    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        NotebookClient(notebook, timeout=1200, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        nbformat.write(notebook, path)
        print(f"executed {path.relative_to(ROOT)}")


def cuba_rates(delay: str | None, seeds=CUBA_SEEDS) -> dict[str, tuple[float, float]]:
    """Mean and sd over realisations (seeds) of the E and I rates of protocols/cuba.yaml, 1 s, with
    every connection's delay set to ``delay`` (None: the protocol's)."""
    import neurosim as ns

    delays = [f"network.connections.{i}.delay={delay}" for i in range(4)] if delay else []
    sets = ["duration=1 s", "plots=[]", *delays]
    rates = {"E": [], "I": []}
    for seed in seeds:
        summary = ns.run(ns.load(ROOT / "protocols" / "cuba.yaml", sets, seed=seed)).results.analysis["summary"]
        for name in rates:
            rates[name].append(summary[name]["mean_rate"])
    return {name: (float(np.mean(values)), float(np.std(values, ddof=1))) for name, values in rates.items()}


def cuba_text(rates: dict[str, tuple[float, float]]) -> str:
    """As docs/compare.md writes it: ``E 5.43 ± 0.18, I 5.58 ± 0.04``."""
    return ", ".join(f"{name} {mean:.2f} ± {sd:.2f}" for name, (mean, sd) in rates.items())


def cuba_realisations() -> None:
    print("neurosim", cuba_text(cuba_rates("0.1 ms")), "Hz (delays 0.1 ms); with its 0 ms delays:",
          cuba_text(cuba_rates(None)), "Hz")


def _sweep(protocol: str, output: pathlib.Path) -> pathlib.Path:
    subprocess.run([sys.executable, "-m", "neurosim.cli", "sweep", str(ROOT / "protocols" / protocol),
                    "-o", str(output), "-j", "1", "--quiet"], check=True, cwd=ROOT)
    return output


def brunel_table(summary) -> list[dict]:
    """One row per point of the Brunel sweep's summary (population E): g, eta, the measures and
    the state :func:`neurosim.analysis.brunel_regime` assigns."""
    from neurosim.analysis import brunel_regime

    rows = []
    for _, row in summary[summary["population"] == "E"].iterrows():
        g = -row["network.connections.2.weight [V]"] / 1e-4  # J_I = -g J, J = 0.1 mV
        eta = row["stimuli.0.rate [Hz]"] / 10.0  # nu_thr = theta / (J C_E tau_m) = 10 Hz
        rows.append({"g": round(g, 3), "eta": round(eta, 3), "rate": row["mean_rate"], "cv": row["isi_cv.mean"],
                     "m": row["population_rate.modulation"],
                     "f": row["population_rate.peak_frequency"], "chi": row["synchrony.chi"],
                     "regime": brunel_regime(row["isi_cv.mean"], row["population_rate.modulation"],
                                             row["population_rate.peak_frequency"], delay=1.5e-3)})
    return sorted(rows, key=lambda r: (r["eta"], r["g"]))


def brunel_figure(rows: list[dict], path: pathlib.Path) -> pathlib.Path:
    """The g x eta grid, each cell coloured by its state and labelled with its measures."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colours = {"SR": "#d62728", "AI": "#2ca02c", "SI fast": "#1f77b4", "SI slow": "#9467bd"}
    gs, etas = sorted({r["g"] for r in rows}), sorted({r["eta"] for r in rows})
    fig, ax = plt.subplots(figsize=(7.5, 4.8), dpi=120)
    for r in rows:
        x, y = gs.index(r["g"]), etas.index(r["eta"])
        ax.add_patch(plt.Rectangle((x - 0.5, y - 0.5), 1, 1, color=colours[r["regime"]], alpha=0.35, lw=0))
        ax.text(x, y, f"{r['regime']}\n{r['rate']:.0f} Hz, CV {r['cv']:.2f}\nm {r['m']:.2f}, {r['f']:.0f} Hz",
                ha="center", va="center", fontsize=8)
    ax.set(xlim=(-0.5, len(gs) - 0.5), ylim=(-0.5, len(etas) - 0.5), xticks=range(len(gs)),
           xticklabels=[f"{g:g}" for g in gs], yticks=range(len(etas)), yticklabels=[f"{e:g}" for e in etas],
           xlabel="g (relative inhibition, J_I = -g J)", ylabel="eta = nu_ext / nu_thr",
           title="Brunel (2000) model A, 12 500 LIF, D = 1.5 ms, V_r = 10 mV: states")
    ax.legend(handles=[plt.Rectangle((0, 0), 1, 1, color=c, alpha=0.35) for c in colours.values()],
              labels=list(colours), loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    fig.text(0.01, 0.01, "E rate (0-500 ms); ISI CV, population-rate modulation m and spectral peak over [100, 500] ms",
             fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def brunel_phase(output: pathlib.Path | None = None) -> None:
    import pandas as pd

    output = output or _sweep("brunel_phase_sweep.yaml", ROOT / "results" / "brunel_phase_sweep")
    rows = brunel_table(pd.read_csv(output / "summary.csv"))
    print(f"wrote {brunel_figure(rows, FIGURES / 'brunel_phase.png').relative_to(ROOT)}")
    print("| g | eta | E rate, 0-500 ms (Hz) | ISI CV | modulation m | peak (Hz) | chi | state |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['g']:g} | {r['eta']:g} | {r['rate']:.1f} | {r['cv']:.2f} | {r['m']:.2f} | {r['f']:.0f} | "
              f"{r['chi']:.3f} | {r['regime']} |")


def cuba_sweep() -> None:
    output = _sweep("cuba_sweep.yaml", ROOT / "results" / "cuba_sweep")
    for source, target in (("heatmap.png", "cuba_sweep_rate_heatmap.png"), ("rate_vs_weight.png",
                                                                            "cuba_sweep_rate_vs_weight.png")):
        shutil.copy(output / source, FIGURES / target)
        print(f"wrote docs/figures/{target}")


def lif_fi_sweep() -> None:
    output = _sweep("lif_fi_sweep.yaml", ROOT / "results" / "lif_fi_sweep")
    figure = sorted(output.glob("*.png"))[0]
    shutil.copy(figure, FIGURES / "lif_fi_sweep.png")
    print("wrote docs/figures/lif_fi_sweep.png")


def neural_sampling() -> None:
    """A 64x64 RBM trained by PCD on the binary digits (20 epochs); 20 chains x 100 samples (40 steps
    apart, after 400) of numpy Gibbs sampling and of neural sampling with tau = 1, 10, 20."""
    from neurosim.learning.data import binary_digits
    from neurosim.learning.neural_sampling import collect, rbm_simulator
    from neurosim.learning.rbm import RBM

    X_train = binary_digits()[0]
    rbm = RBM(64, 64, np.random.default_rng(0))
    rbm.fit(X_train, np.random.default_rng(1), epochs=20, learning_rate=0.05, persistent=True, momentum=0.0,
            weight_decay=0.0)
    chains, samples, gap, burn = 20, 100, 40, 400

    def show(v, label):
        F = rbm.free_energy(v)
        print(f"{label:15s} pixel mean {v.mean():.4f}  free energy {F.mean():.2f} +- {F.std() / np.sqrt(len(v)):.2f}"
              f"  PLL {rbm.pseudo_log_likelihood(v):.2f}")
        return v.mean(axis=0)

    show(X_train, "training data")
    rng = np.random.default_rng(5)
    v = rbm.sample(rbm.visible_probabilities(np.zeros((chains, 64))), rng)
    v = rbm.gibbs(v, burn // 2, rng)[0]
    gibbs = []
    for _ in range(samples):
        v = rbm.gibbs(v, gap // 2, rng)[0]
        gibbs.append(v)
    m_gibbs = show(np.concatenate(gibbs), "numpy Gibbs")
    for tau in (1, 10, 20):
        v = collect(rbm_simulator(rbm, tau, seed=7, copies=chains), "visible", samples, gap, burn).reshape(-1, 64)
        m = show(v, f"neural tau={tau}")
        pooled = (m + m_gibbs) / 2
        z = (m - m_gibbs) / np.maximum(np.sqrt(pooled * (1 - pooled) * 2 / len(v)), 1e-9)
        print(f"    pixel means vs Gibbs: max |diff| {np.abs(m - m_gibbs).max():.4f}, rms z-score "
              f"{np.sqrt((z ** 2).mean()):.2f} (1 for independent samples)")


def spiking_pc() -> None:
    """Relative errors of LIF predictive coding (8-6-4 linear, input and label clamped, 3 samples)
    at the rate network's fixed point, by neurons per sign and unit m and read-out window."""
    from neurosim.learning.pc_spiking import SpikingRelaxation
    from neurosim.learning.predictive_coding import PredictiveCodingNetwork

    def rel(a, b):
        return np.linalg.norm(a - b) / np.linalg.norm(b)

    for gamma in (1.0, 0.1):
        rng = np.random.default_rng(0)
        net = PredictiveCodingNetwork([8, 6, 4], rng, activation="linear")
        for W in net.W:
            W *= 0.5
        data = [(rng.uniform(0, 1, 8), np.eye(4)[k]) for k in range(3)]
        for m in (5, 20, 80):
            for window in (0.25, 1.0):
                errors = []
                for seed, (X, Y) in enumerate(data):
                    x = net.forward(X[None])
                    x[-1] = Y[None].copy()
                    ref = net.relax(x, {0, 2}, gamma=gamma, rate=0.1, tol=1e-12, max_iterations=200000)
                    d = SpikingRelaxation(net, [X, np.zeros(6), Y], {0, 2}, gamma=gamma, m=m, seed=seed).run(
                        f"{0.5 + window} s", f"{window} s")
                    errors.append([rel(d[("x", 1)], ref.x[1][0]), rel(d[("e", 1)], ref.eps[1][0]),
                                   rel(d[("e", 2)], ref.eps[2][0])])
                x1, e1, e2 = np.mean(errors, axis=0)
                print(f"gamma {gamma:g}  m {m:2d}  window {window:.2f} s  relative error x1 {x1:.4f}  e1 {e1:.4f}"
                      f"  e2 {e2:.4f}")


ITEMS = {"notebooks": notebooks, "cuba_realisations": cuba_realisations, "brunel_phase": brunel_phase,
         "cuba_sweep": cuba_sweep, "lif_fi_sweep": lif_fi_sweep, "neural_sampling": neural_sampling,
         "spiking_pc": spiking_pc}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("items", nargs="*", choices=[*ITEMS, []], help="what to regenerate (default: all)")
    parser.add_argument("--list", action="store_true", help="list the items")
    parser.add_argument("--brunel-sweep", type=pathlib.Path, help="an existing Brunel sweep output to draw from")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(ITEMS))
        return 0
    for name in args.items or ITEMS:
        if name == "brunel_phase" and args.brunel_sweep:
            brunel_phase(args.brunel_sweep)
        else:
            ITEMS[name]()
    return 0


if __name__ == "__main__":
    sys.exit(main())
