"""The ``neurosim`` command end to end, through the installed console script."""
from __future__ import annotations

import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from neurosim import io
from neurosim.cli import main

pytestmark = pytest.mark.slow  # the console script end to end


@pytest.fixture(scope="module")
def small_run(tmp_path_factory, small_protocol_text, neurosim_command):
    """One run of the small protocol: (completed process, output directory)."""
    folder = tmp_path_factory.mktemp("small")
    (folder / "small.yaml").write_text(small_protocol_text)
    done = subprocess.run([str(neurosim_command), "run", "small.yaml", "-o", "out"], check=False, cwd=folder,
                          capture_output=True, text=True, timeout=120)
    return done, folder / "out"


def test_run_writes_results_plots_and_summary(small_run):
    done, out = small_run
    assert done.returncode == 0, done.stderr
    for name in ("raster.png", "traces.png", "rates.png"):
        assert (out / name).stat().st_size > 10_000
    results = io.load(out / "results.h5")
    assert results.complete
    assert results.duration == pytest.approx(0.2)
    assert "name: small" in results.attributes["protocol_yaml"]
    summary = results.analysis["summary"]
    for population, row in summary.items():
        line = next(line for line in done.stdout.splitlines() if line.startswith(population + " "))
        assert line.split()[1:4] == [str(row["neurons"]), str(row["spikes"]), f"{row['mean_rate']:.2f}"]
    assert summary["E"]["spikes"] == len(results.spikes["E"].times) > 0


def test_set_and_seed_override_the_protocol(small_run, neurosim):
    _, out = small_run
    folder = out.parent
    done = neurosim("run", "small.yaml", "-o", "over", "--quiet", "--seed", "11", "--set", "duration=50 ms",
                    "--set", "network.populations.I.n=100", "--set", "network.connections.3.weight=-0.9 nA",
                    cwd=folder)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # --quiet
    results = io.load(folder / "over" / "results.h5")
    assert results.duration == pytest.approx(0.05)
    assert results.seed == 11
    assert results.population_sizes["I"] == 100
    assert "--set network.connections.3.weight=-0.9 nA" in results.attributes["protocol_yaml"]
    assert "weight: -0.9 nA" in results.attributes["protocol_yaml"]
    baseline = io.load(out / "results.h5")
    assert not np.array_equal(results.spikes["E"].times, baseline.spikes["E"].times[: len(results.spikes["E"].times)])


def test_plot_redraws_from_the_results_file(small_run, tmp_path):
    _, out = small_run
    assert main(["plot", str(out / "results.h5"), "-o", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.glob("*.png")) == ["raster.png", "rates.png", "traces.png"]


def test_cuba_is_asynchronous_irregular_at_a_few_hz(neurosim, root, tmp_path):
    done = neurosim("run", "protocols/cuba.yaml", "-o", tmp_path, "--quiet", cwd=root)
    assert done.returncode == 0, done.stderr
    assert "ISI CV" in done.stdout
    results = io.load(tmp_path / "results.h5")
    summary = results.analysis["summary"]
    spikes = sum(row["spikes"] for row in summary.values())
    rate = spikes / (4000 * results.duration)
    assert 3.0 < rate < 9.0  # Brian2 2.9.0: 5.5-5.6 Hz
    # Mean over neurons with >= 2 intervals; Brian2 2.9.0 gives 0.52 on this network (seeds 1-4
    # of neurosim: 0.51-0.53). Irregular means far from regular firing (CV ~ 0) and near Brian2:
    # 0.52 +- 0.1 leaves room for seed-to-seed spread (about 0.01) and still fails a regular regime.
    cv = sum(row["isi_cv"] * row["cv_neurons"] for row in summary.values()) / sum(
        row["cv_neurons"] for row in summary.values())
    assert 0.42 < cv < 0.62
    assert results.analysis["synchrony"]["E"]["chi"] < 0.05  # asynchronous: ~1/N, synchronous: ~1


def test_ctrl_c_writes_incomplete_results(root, tmp_path, neurosim_command):
    # 1000 s of CUBA 4000 take about 20 s here (0.015-0.022 s per biological second): 100 s ended
    # within the 1.5 s before the interrupt on a fast machine
    process = subprocess.Popen([str(neurosim_command), "run", "protocols/cuba.yaml", "-o", str(tmp_path),
                                "--set", "duration=1000 s"], cwd=root, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        lines = [process.stderr.readline()]
        while lines[-1] and "running 'cuba'" not in lines[-1]:  # after the load and build log lines
            lines.append(process.stderr.readline())
        assert "running 'cuba'" in lines[-1], lines
        time.sleep(1.5)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert "complete = False" in stderr
    results = io.load(tmp_path / "results.h5")
    assert not results.complete
    assert 0 < results.duration < 1000
    assert results.spikes["E"].times.max() < results.duration


def test_compare_without_the_comparison_module(monkeypatch, capsys, root):
    monkeypatch.setitem(sys.modules, "neurosim.compare.command", None)  # import fails as if missing
    assert main(["compare", str(root / "protocols/cuba.yaml"), "--against", "brian2"]) == 2
    assert "neurosim.compare.command" in capsys.readouterr().err


def test_experiment_protocol_stores_metrics_and_figures(neurosim, root, tmp_path):
    done = neurosim("run", "protocols/baseline_mlp_digits.yaml", "-o", tmp_path, "--quiet",
                    "--set", "config.epochs=1", "--set", "config.repeats=1", cwd=root)
    assert done.returncode == 0, done.stderr
    results = io.load(tmp_path / "results.h5")
    stored = results.analysis["baseline_mlp_digits"]
    assert 0 < stored["metrics"]["test_accuracy_mean"] <= 1
    assert f"{stored['metrics']['test_accuracy_mean']:.6g}" in done.stdout
    assert list(tmp_path.glob("*.png"))


@pytest.mark.slow  # a fresh interpreter
def test_python_dash_m_neurosim_is_the_command_line():
    """``python -m neurosim`` runs the same main as the ``neurosim`` script (it used to exit 0 silently)."""
    import neurosim

    done = subprocess.run([sys.executable, "-m", "neurosim", "--version"], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert neurosim.__version__ in done.stdout
    bad = subprocess.run([sys.executable, "-m", "neurosim", "run"], capture_output=True, text=True,
                         timeout=120, check=False)
    assert bad.returncode == 2
