"""Logging, progress, ``--version`` and ``neurosim models``."""
from __future__ import annotations

import logging
import pathlib
import subprocess
import sys

import pytest

import neurosim as ns

pytestmark = pytest.mark.si_floats  # passes SI floats on purpose (opt-in: tests/conftest.py)

NEUROSIM = pathlib.Path(sys.executable).parent / "neurosim"


def _cli(*args, cwd=None, env=None):
    return subprocess.run([str(NEUROSIM), *args], check=False, capture_output=True, text=True, timeout=300, cwd=cwd,
                          env=env)


def test_version():
    done = _cli("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"neurosim {ns.__version__}"


def test_simulator_logs_build_compile_and_run_with_the_right_counts(caplog):
    net = ns.Network(seed=2)
    pre = net.add_population("input", 30, "poisson", rate="10 Hz")
    post = net.add_population("E", 10, "lif", receptors={"exc": ns.Synapse()})
    net.connect(pre, post, receptor="exc", rule=ns.FixedProbability(0.3), weight=1e-10)
    with caplog.at_level(logging.INFO, logger="neurosim"):
        sim = ns.Simulator(net, dt=1e-4)
        sim.run(0.01)
    synapses = sim.network.projections[0].indices.size
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("neurosim")]
    assert f"build: 40 neurons in 2 populations, {synapses} synapses in 1 projections" in messages[0]
    assert messages[1].startswith("compile: ")
    assert messages[2].startswith("run: 0.01 s of model time (100 steps)")


@pytest.mark.slow  # the console script end to end
def test_cli_prints_one_line_per_phase_and_nothing_with_q(tmp_path, small_protocol_text):
    (tmp_path / "small.yaml").write_text(small_protocol_text)
    done = _cli("run", "small.yaml", "-o", "out", "--set", "duration=20 ms", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    phases = [line.split(":")[1].strip() for line in done.stderr.splitlines() if line.startswith("neurosim: ")]
    assert [p for p in phases if p in ("load", "build", "compile", "run", "write")] == \
        ["load", "build", "compile", "run", "write"]
    assert "synapses" in done.stderr
    assert "sonata/" in done.stderr
    again = _cli("-q", "run", "small.yaml", "-o", "out2", "--set", "duration=20 ms", cwd=tmp_path)
    assert again.returncode == 0
    assert again.stderr == ""
    verbose = _cli("run", "small.yaml", "-o", "out3", "--set", "duration=20 ms", cwd=tmp_path)
    assert "compile: cache hit" in verbose.stderr  # the same network: Numba's on-disk cache


def test_progress_counts_model_seconds():
    from neurosim.cli import _Progress
    progress = _Progress(False, "s", 1e-4)
    progress(2500, 10000)
    assert progress.bar.total == pytest.approx(1.0)
    assert progress.bar.n == pytest.approx(0.25)
    progress(10000, 10000)
    assert progress.bar is None  # closed at the end, before the run's summary line


@pytest.mark.slow  # the console script end to end
def test_models_lists_builtin_and_user_models_with_units(tmp_path):
    model = tmp_path / "my_lif.yaml"
    model.write_text("name: my_lif\ndoc: a test LIF\nequations: |\n  dv/dt = (E_L - v)/tau + I/C : volt\n"
                     "inputs:\n  I: amp\nparameters:\n  tau: {value: 10 ms, doc: membrane time constant}\n"
                     "  E_L: -60 mV\n  C: 200 pF\nthreshold: v > -50*mV\nreset: v = E_L\n")
    done = _cli("models", str(model))
    assert done.returncode == 0, done.stderr
    builtin, user = done.stdout.split("your models:")
    assert "  lif: " in builtin
    assert "tau_m (time, default 20 ms): membrane time constant" in builtin
    assert "adex" in builtin
    assert "hh_traub" in builtin
    assert "my_lif: a test LIF" in user
    assert "tau (time, default 10 ms): membrane time constant" in user
    assert "C (capacitance, default 200 pF)" in user
    assert _cli("models", str(tmp_path / "missing.yaml")).returncode == 2


def test_compare_progress_goes_to_the_neurosim_logger(caplog):
    from neurosim.compare.command import progress
    with caplog.at_level(logging.INFO, logger="neurosim"):
        progress("seed 1: brian2 ...")
    assert [(r.name, r.getMessage()) for r in caplog.records] == [("neurosim.compare", "compare: seed 1: brian2 ...")]
