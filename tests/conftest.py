"""Shared fixtures: the project root, the installed ``neurosim`` command and scratch copies of protocols."""
from __future__ import annotations

import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]

#: A 1000-neuron CUBA-like protocol that runs in well under a second (after compilation).
SMALL_PROTOCOL = """\
name: small
description: small CUBA-like network for tests
seed: 3
network:
  populations:
    E:
      n: 800
      model: lif
      params: {cm: 1 nF, tau_m: 20 ms, v_rest: -49 mV, v_thresh: -50 mV, v_reset: -60 mV, tau_refrac: 5 ms}
      receptors: {exc: {tau: 5 ms}, inh: {tau: 10 ms}}
      initial: {v: {distribution: uniform, low: -60 mV, high: -50 mV}}
    I:
      n: 200
      model: lif
      params: {cm: 1 nF, tau_m: 20 ms, v_rest: -49 mV, v_thresh: -50 mV, v_reset: -60 mV, tau_refrac: 5 ms}
      receptors: {exc: {tau: 5 ms}, inh: {tau: 10 ms}}
      initial: {v: {distribution: uniform, low: -60 mV, high: -50 mV}}
  connections:
    - {pre: E, post: E, receptor: exc, rule: {name: fixed_probability, p: 0.08}, weight: 0.081 nA}
    - {pre: E, post: I, receptor: exc, rule: {name: fixed_probability, p: 0.08}, weight: 0.081 nA}
    - {pre: I, post: E, receptor: inh, rule: {name: fixed_probability, p: 0.08}, weight: -0.45 nA, delay: 1 ms}
    - {pre: I, post: I, receptor: inh, rule: {name: fixed_probability, p: 0.08}, weight: -0.45 nA, delay: 1 ms}
stimuli:
  - {type: constant, population: E, amplitude: 0.01 nA, start: 50 ms, neurons: [0, 1, 2, 3]}
dt: 0.1 ms
duration: 200 ms
record:
  spikes: [E, I]
  rates: [E]
  states:
    - {population: E, variable: v, neurons: [0, 1, 2]}
    - {population: I, variable: syn_exc, neurons: [5], every: 10}
analyses:
  - {type: isi_cv, population: E}
  - {type: firing_rates, population: I}
  - {type: fano_factor, population: E, bin_size: 20 ms}
  - {type: synchrony, population: E}
  - {type: population_rate, population: E}
plots:
  - {type: raster, file: raster.png}
  - {type: traces, variable: v, file: traces.png}
  - {type: rates, file: rates.png}
"""


@pytest.fixture
def root() -> pathlib.Path:
    return ROOT


@pytest.fixture
def project_copy(tmp_path) -> pathlib.Path:
    """A scratch copy of ``protocols/`` and ``models/`` (relative includes keep working)."""
    for folder in ("protocols", "models"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return tmp_path


@pytest.fixture
def small_protocol(tmp_path) -> pathlib.Path:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL_PROTOCOL)
    return path


NEUROSIM = pathlib.Path(sys.executable).parent / "neurosim"


@pytest.fixture
def neurosim():
    """``neurosim(*args, cwd=None)``: run the installed console script, capture its output."""

    def run(*args, cwd=None, timeout=120) -> subprocess.CompletedProcess:
        return subprocess.run([str(NEUROSIM), *map(str, args)], check=False, capture_output=True, text=True, cwd=cwd,
                              timeout=timeout)

    return run
