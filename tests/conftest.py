"""Shared fixtures: the project root, the installed ``neurosim`` command and scratch copies of protocols."""
from __future__ import annotations

import pathlib
import shutil
import subprocess
import sys

import pytest

from neurosim import units


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """The unit rule holds in tests as for users; a test marked ``si_floats`` (or a module with
    ``pytestmark = pytest.mark.si_floats``) runs inside :func:`neurosim.units.si_floats`, setup,
    fixtures and teardown included, because it passes SI floats on purpose (values computed from a
    reference)."""
    if item.get_closest_marker("si_floats") is None:
        return (yield)
    with units.si_floats():
        return (yield)


ROOT = pathlib.Path(__file__).resolve().parents[1]

#: A 1000-neuron CUBA-like protocol that runs in well under a second (after compilation).
SMALL_PROTOCOL_FILE = ROOT / "tests" / "data" / "small.yaml"


@pytest.fixture
def strict_units():
    """The API's unit rule as users get it, also in a module marked ``si_floats``: bare numbers
    for dimensional arguments are errors."""
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
