"""Shared fixtures: the project root, the installed ``neurosim`` command and scratch copies of protocols."""
from __future__ import annotations

import pathlib
import shutil
import subprocess
import sys

import pytest

from neurosim import units

# Most tests drive the core with SI floats computed from references (a bare 5e-3 for 5 ms): the
# whole session runs inside units.si_floats(), entered here so that it also covers objects built at
# collection time. Tests of the API's unit rule (and of user-facing examples) take `strict_units`.
_SESSION_SI_FLOATS = units.si_floats()  # kept referenced: collecting the generator would leave the block
_SESSION_SI_FLOATS.__enter__()

ROOT = pathlib.Path(__file__).resolve().parents[1]

#: A 1000-neuron CUBA-like protocol that runs in well under a second (after compilation).
SMALL_PROTOCOL_FILE = ROOT / "tests" / "data" / "small.yaml"


@pytest.fixture
def strict_units():
    """The API's unit rule as users get it: bare numbers for dimensional arguments are errors."""
    with units.si_floats(False):
        yield


@pytest.fixture
def root() -> pathlib.Path:
    return ROOT


@pytest.fixture
def project_copy(tmp_path) -> pathlib.Path:
    """A scratch copy of ``protocols/`` and ``models/`` (relative includes keep working)."""
    for folder in ("protocols", "models"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return tmp_path


@pytest.fixture(scope="session")
def small_protocol_text() -> str:
    """The text of ``tests/data/small.yaml``."""
    return SMALL_PROTOCOL_FILE.read_text()


@pytest.fixture
def small_protocol(tmp_path, small_protocol_text) -> pathlib.Path:
    path = tmp_path / "small.yaml"
    path.write_text(small_protocol_text)
    return path


NEUROSIM = pathlib.Path(sys.executable).parent / "neurosim"


@pytest.fixture(scope="session")
def neurosim_command() -> pathlib.Path:
    """The installed ``neurosim`` console script (next to the running Python)."""
    return NEUROSIM


@pytest.fixture
def neurosim():
    """``neurosim(*args, cwd=None)``: run the installed console script, capture its output."""

    def run(*args, cwd=None, timeout=120) -> subprocess.CompletedProcess:
        return subprocess.run([str(NEUROSIM), *map(str, args)], check=False, capture_output=True, text=True, cwd=cwd,
                              timeout=timeout)

    return run
