"""Fuzzing ``neurosim validate`` over mutations of the shipped protocols and the hostile corpus
(``tests/data/hostile/``): every case ends in exit 0 or a located exit-2 error, with no traceback,
no hang (a generous alarm turns one into a failure) and no file written (issue 12)."""
from __future__ import annotations

import contextlib
import io
import pathlib
import random
import signal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzz_mutations import mutate, outcome_ok
from neurosim.cli import main

pytestmark = pytest.mark.slow  # hundreds of validate runs (hypothesis)

ROOT = pathlib.Path(__file__).resolve().parents[1]
SMALL_PROTOCOL = (ROOT / "tests" / "data" / "small.yaml").read_text()

HOSTILE = sorted((ROOT / "tests" / "data" / "hostile").glob("*.yaml"))
#: Network protocols (validating them exercises the model-dependent checks) and two experiments.
BASES = [SMALL_PROTOCOL] + [(ROOT / "protocols" / name).read_text() for name in (
    "cuba.yaml", "coba.yaml", "hh_step.yaml", "lif_fi_curve.yaml", "nef_square.yaml", "baseline_mlp_digits.yaml")]
HANG_SECONDS = 60  # far above any case (milliseconds); only a hang reaches it


class Hang(Exception):
    pass


def _validate(path) -> tuple[int, str]:
    def alarm(signum, frame):
        raise Hang(f"validate {path} did not return within {HANG_SECONDS} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(HANG_SECONDS)
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            status = main(["validate", str(path)])
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    return status, err.getvalue()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A copy of protocols/ and models/ so that includes of mutated protocols resolve."""
    import shutil

    folder = tmp_path_factory.mktemp("fuzz")
    for name in ("protocols", "models"):
        shutil.copytree(ROOT / name, folder / name)
    return folder


def _snapshot(folder):
    return sorted(str(p) for p in folder.rglob("*"))


@pytest.mark.parametrize("path", HOSTILE, ids=lambda p: p.name)
def test_hostile_corpus(path, tmp_path):
    target = tmp_path / path.name
    target.write_bytes(path.read_bytes())
    status, err = _validate(target)
    assert outcome_ok(status, err), err
    assert _snapshot(tmp_path) == [str(target)]


@settings(max_examples=250, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), base=st.sampled_from(range(len(BASES) + len(HOSTILE))))
def test_mutated_protocols(workdir, seed, base):
    text = BASES[base] if base < len(BASES) else HOSTILE[base - len(BASES)].read_text(errors="replace")
    _, mutated = mutate(random.Random(seed), text)
    path = workdir / "protocols" / "fuzz.yaml"
    path.write_bytes(mutated if isinstance(mutated, bytes) else mutated.encode("utf-8", "surrogatepass"))
    before = _snapshot(workdir)
    status, err = _validate(path)
    assert outcome_ok(status, err), err
    assert _snapshot(workdir) == before
