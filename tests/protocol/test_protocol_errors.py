"""Every shipped protocol validates; broken copies fail with file:line, key path and exit status 2."""
from __future__ import annotations

import pathlib
import re

import pytest

from neurosim.errors import ProtocolError
from neurosim.protocol import load

ROOT = pathlib.Path(__file__).resolve().parents[2]

PROTOCOLS = sorted(p.name for p in (ROOT / "protocols").glob("*.yaml"))


@pytest.mark.parametrize("name", PROTOCOLS)
def test_shipped_protocol_validates(name):
    protocol = load(ROOT / "protocols" / name)
    assert protocol.name == name.removesuffix(".yaml")


def _line(text: str, pattern: str) -> int:
    """1-based number of the first line matching ``pattern``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if re.match(pattern, line))


def _breakages(text: str, experiment: bool):
    """(kind, broken text, line the error must point at, expected words) for one protocol."""
    first = _line(text, r"[a-z]")  # the root mapping starts at the first key
    key = "seed" if re.search(r"^seed:", text, flags=re.MULTILINE) else "name"
    yield ("unknown_key", re.sub(rf"^{key}:", f"{key}x:", text, count=1, flags=re.MULTILINE), _line(text, f"{key}:"),
           f"unknown key '{key}x' (did you mean '{key}'?)")
    yield ("missing_key", re.sub(r"^name:.*\n", "", text, count=1, flags=re.MULTILINE), first, "'name' is missing")
    if experiment:
        yield ("bad_value", re.sub(r"^seed:.*$", "seed: -1", text, count=1, flags=re.MULTILINE), _line(text, r"seed:"),
               "seed")
    else:
        yield ("wrong_unit", re.sub(r"^duration: (\S+) \S+", r"duration: \1 mV", text, count=1, flags=re.MULTILINE),
               _line(text, r"duration:"), "expected a time")


@pytest.mark.slow  # the console script end to end
def test_broken_copies_fail_with_file_line_and_status_2(project_copy, neurosim):
    cases = []
    for name in PROTOCOLS:
        text = (project_copy / "protocols" / name).read_text()
        for kind, broken, line, words in _breakages(text, "experiment:" in text):
            assert broken != text
            path = project_copy / "protocols" / f"broken_{kind}_{name}"
            path.write_text(broken)
            cases.append((path, line, words))
    done = neurosim("validate", *[path for path, _, _ in cases])
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("neurosim: error:")]
    assert len(errors) == len(cases)
    for (path, line, words), error in zip(cases, errors, strict=True):
        assert error.startswith(f"neurosim: error: {path}:{line}: "), error
        assert words in error, error


@pytest.mark.slow  # the console script end to end
def test_validate_accepts_valid_files_with_status_0(neurosim):
    done = neurosim("validate", *[ROOT / "protocols" / name for name in PROTOCOLS])
    assert done.returncode == 0, done.stderr


def test_error_in_an_included_model_points_at_the_model_file(project_copy):
    model = project_copy / "models" / "neurons" / "lif_cuba.yaml"
    text = model.read_text()
    model.write_text(text.replace("tau_m: 20 ms", "tau_m: 20 mV"))
    with pytest.raises(ProtocolError) as error:
        load(project_copy / "protocols" / "cuba.yaml")
    assert error.value.file.endswith("models/neurons/lif_cuba.yaml")
    assert error.value.line == _line(text, r"\s+tau_m:")
    assert error.value.key_path == "network.populations.E.params.tau_m"
    assert "expected a time" in str(error.value)
    assert "got a voltage" in str(error.value)


@pytest.mark.parametrize(("setting", "key_path", "words"), [
    ("network.populations.E.params.tau_mm=10 ms", "network.populations.E.params.tau_mm", "did you mean 'tau_m'"),
    ("network.populations.E.initial.v={distribution: uniform, low: -60 mV, hi: 0 mV}",
     "network.populations.E.initial.v.hi", "did you mean 'high'"),
    ("network.connections.0.receptor=exx", "network.connections.0.receptor", "did you mean 'exc'"),
    ("network.connections.0.pre=F", "network.connections.0.pre", "unknown population 'F'"),
    ("network.connections.0.rule={name: fixed_probabilty, p: 0.1}", "network.connections.0.rule.name",
     "did you mean 'fixed_probability'"),
    ("network.populations.E.model=liff", "network.populations.E.model", "did you mean 'lif'"),
    ("record.states.0.variable=vv", "record.states.0.variable", "recordable: v"),
    ("stimuli=[{type: constant, population: E, amplitude: 1 mV}]", "stimuli.0.amplitude", "expected a current"),
    ("stimuli=[{type: constnt, population: E}]", "stimuli.0.type", "constant"),
    ("dt=0 ms", "dt", "> 0"),
])
def test_set_errors_name_the_key_path(setting, key_path, words):
    with pytest.raises(ProtocolError) as error:
        load(ROOT / "protocols" / "cuba.yaml", [setting])
    assert error.value.key_path == key_path
    assert error.value.file == "--set"
    assert words in str(error.value)


def test_core_parameter_error_at_build_is_located(small_protocol):
    from neurosim.protocol import build

    protocol = load(small_protocol)  # the loader checks the constraint too: change the value after it
    protocol.spec.network.populations["E"].params["tau_m"] = -0.02
    with pytest.raises(ProtocolError) as error:
        build(protocol)  # located by the error's owner and key, not by reading its message
    assert error.value.key_path == "network.populations.E.params.tau_m"
    assert error.value.line == _line(small_protocol.read_text(), r"\s+params: {cm: 1 nF, tau_m: 20 ms")
    assert "tau_m" in str(error.value)
    assert "> 0" in str(error.value)


def test_core_error_raised_by_the_simulator_points_at_the_connection(small_protocol):
    from neurosim.protocol import build

    protocol = load(small_protocol, ["network.connections.1.delay=10 s"])  # more steps than the ring allows
    with pytest.raises(ProtocolError) as error:
        build(protocol)
    assert error.value.key_path == "network.connections.1"
    assert error.value.line == _line(small_protocol.read_text(), r"\s+- {pre: E, post: I")
    assert "delay" in str(error.value)
