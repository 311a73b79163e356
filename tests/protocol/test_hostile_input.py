"""Hostile and careless protocols: every one ends in a located exit-2 error, quickly, or is accepted
for a stated reason (issue 12). Each test names the "Why" bullet it guards."""
from __future__ import annotations

import pathlib
import re

import pytest

from neurosim.cli import main
from neurosim.errors import ProtocolError
from neurosim.protocol import load, loads

ROOT = pathlib.Path(__file__).resolve().parents[2]
SMALL_PROTOCOL = (ROOT / "tests" / "data" / "small.yaml").read_text()

#: ``neurosim: error: FILE:LINE: key.path: message`` (no key path for errors of the YAML text itself).
LOCATED = re.compile(r"^neurosim: error: (?P<file>[^:\n]+):(?P<line>\d+): (?:(?P<key>[\w.]+): )?", re.MULTILINE)


def _validate(tmp_path, capsys, text, *sets, name="p.yaml"):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    status = main(["validate", str(path), *[a for s in sets for a in ("--set", s)]])
    return status, capsys.readouterr().err


def _refused(tmp_path, capsys, text, *sets, line=None, key=None, words=""):
    status, err = _validate(tmp_path, capsys, text, *sets)
    assert status == 2, err
    assert "Traceback" not in err
    match = LOCATED.search(err)
    if line is not None or key is not None:
        assert match, err
        if line is not None:
            assert int(match["line"]) == line, err
        if key is not None:
            assert match["key"] == key, err
    assert words in err, err
    return err


def _set(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


MAX_DEPTH, MAX_NODES = 64, 500_000  # the documented limits (neurosim.protocol.source)
LINE_OF_DURATION = next(i for i, l in enumerate(SMALL_PROTOCOL.splitlines(), 1) if l.startswith("duration:"))


# -- hangs: unit strings, alias bombs, includes -----------------------------------------------------
@pytest.mark.parametrize("unit", ["9**9**9 ms", "2**2**2**2**2**2 ms", "1" + "0" * 30000 + " ms",
                                  "1 " + "m" * 30000, "1 ms" + " * ms / ms" * 5000, "1e400 ms", "nan ms"])
def test_unit_strings_follow_a_restricted_grammar(tmp_path, capsys, unit):
    # Why, hangs: pint evaluated '9**9**9 ms' and spent 26 s on a 30 000-character string
    text = _set(SMALL_PROTOCOL, "duration: 200 ms", f"duration: '{unit}'")
    err = _refused(tmp_path, capsys, text, line=LINE_OF_DURATION, key="duration")
    assert len(err) < 2000  # the message does not repeat a huge value


def test_alias_bomb_is_refused_before_expansion(tmp_path, capsys):
    # Why, hangs: billion laughs
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    text = "\n".join(lines) + "\n" + SMALL_PROTOCOL.replace("description: small", "descriptionx: small")
    _refused(tmp_path, capsys, text, words=f"more than {MAX_NODES} values once aliases are expanded")


def test_include_fan_out_is_limited(tmp_path, capsys):
    # Why, hangs: include fan-out without a depth or count limit
    for depth in range(8):  # 2 + 4 + ... + 128 includes, 8 deep
        nxt = f"f{depth + 1}.yaml"
        (tmp_path / f"f{depth}.yaml").write_text(
            f"a: {{include: {nxt}}}\nb: {{include: {nxt}}}\n" if depth < 7 else "x: 1\n")
    text = "name: fan\nnetwork: {include: f0.yaml}\nduration: 1 ms\n"
    _refused(tmp_path, capsys, text, key="b.include", words="more than 64 included files in one protocol")
    for depth in range(12):  # a chain 12 deep
        (tmp_path / f"g{depth}.yaml").write_text(f"a: {{include: g{depth + 1}.yaml}}\n" if depth < 11 else "x: 1\n")
    text = "name: chain\nnetwork: {include: g0.yaml}\nduration: 1 ms\n"
    _refused(tmp_path, capsys, text, line=1, key="a.include", words="includes nested deeper than 8 files")


def test_stored_protocol_cannot_include():
    # Why, hangs: the same inputs stored in a results file hang 'neurosim plot'
    with pytest.raises(ProtocolError, match="cannot include"):
        loads("name: x\nnetwork: {include: /etc/passwd}\nduration: 1 ms\n", "results.h5:protocol_yaml")


# -- tracebacks instead of located errors ------------------------------------------------------------
@pytest.mark.parametrize(("text", "line", "words"), [
    (b"name: x\ndescription: caf\xe9\n", 2, "not UTF-8"),
    ("name: x\ndescription: a\x00b\n", 2, "#x0000"),
    ("name: x\ndescription: a\x07b\n", 2, "#x0007"),
    ("name: x\nnetwork: " + "[" * 100000 + "\n", 2, f"nested deeper than {MAX_DEPTH}"),
    ("name: x\nnetwork:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(200)), None,
     f"nested deeper than {MAX_DEPTH}"),
    ("name: x\n? [a, b]\n: 1\n", 2, "mapping key must be a plain name"),
    ("name: x\n? {a: 1}\n: 1\n", 2, "mapping key must be a plain name"),
    ("name: x\nnetwork: &n {populations: *n}\n", 2, "alias refers to the node that contains it"),
    ("name: x\nduration: 1" + "0" * 20000 + "\n", None, "invalid YAML value"),  # found by tests/fuzz_cli.py
])
def test_malformed_yaml_gives_a_located_error(tmp_path, capsys, text, line, words):
    _refused(tmp_path, capsys, text, line=line, words=words)


@pytest.mark.parametrize(("old", "new", "key", "words"), [
    ("initial: {v: {distribution: uniform, low: -60 mV, high: -50 mV}}\n    I:",
     "initial: {v: {distribution: [uniform], low: -60 mV, high: -50 mV}}\n    I:",
     "network.populations.E.initial.v.distribution", "unknown distribution"),
    ("rule: {name: fixed_probability, p: 0.08}, weight: 0.081 nA}\n    - {pre: E, post: I",
     "rule: {name: [fixed_probability], p: 0.08}, weight: 0.081 nA}\n    - {pre: E, post: I",
     "network.connections.0.rule.name", "expected a rule name"),
    ("high: -50 mV}}\n    I:", "high: -70 mV}}\n    I:", "network.populations.E.initial.v.high", "low"),
    ("{distribution: uniform, low: -60 mV, high: -50 mV}}\n    I:",
     "{distribution: normal, mean: -60 mV, std: -5 mV}}\n    I:", "network.populations.E.initial.v.std",
     "standard deviation >= 0"),
    ("seed: 3", "seed: 18446744073709551616", "seed", "less than 18446744073709551616"),
    ("seed: 3", "seed: true", "seed", "valid integer"),
    ("{type: raster, file: raster.png}", "{type: raster, file: raster.gif}", "plots.0.file", ".png"),
    ("{type: raster, file: raster.png}", "{type: raster, file: sub/raster.png}", "plots.0.file", "plain name"),
    ("{type: raster, file: raster.png}", "{type: raster, file: rates.png}", "plots.2.file", "two plots write"),
    ("model: lif\n", "model: spike_source\n", "network.populations.E.model", "unknown model"),
    ("model: lif\n", "model: rate\n", "network.populations.E.model", "unknown model"),
    ("p: 0.08}, weight: 0.081 nA}\n    - {pre: E, post: I",
     "p: '0.08'}, weight: 0.081 nA}\n    - {pre: E, post: I", "network.connections.0.rule.p", "probability"),
])
def test_values_run_would_reject_are_refused_by_validate(tmp_path, capsys, old, new, key, words):
    # Why, tracebacks: lists as names, negative std / high < low, seed >= 2^64, plot files, models
    _refused(tmp_path, capsys, _set(SMALL_PROTOCOL, old, new), key=key, words=words)


def test_models_offered_can_all_run_from_yaml():
    from neurosim.protocol.load import yaml_models

    assert {"spike_source", "rate", "binary"}.isdisjoint(yaml_models())
    assert {"lif", "lif_dimensionless", "hh_squid", "hh_traub", "poisson"} <= set(yaml_models())


@pytest.mark.parametrize(("assignment", "key", "words"), [
    ("config.epochs=2 s", "config.epochs", "an integer"),
    ("config.epochs=true", "config.epochs", "an integer"),
    ("config.learning_rate=fast", "config.learning_rate", "a finite number"),
    ("config.hidden=[10, 2.5]", "config.hidden.1", "an integer"),
    ("config.hidden=5", "config.hidden", "a non-empty list"),
])
def test_experiment_config_is_typed_from_the_signature(root, capsys, assignment, key, words):
    # Why, tracebacks: '--set config.duration=2 s' passed validate and crashed run
    assert main(["validate", str(root / "protocols/baseline_mlp_digits.yaml"), "--set", assignment]) == 2
    err = capsys.readouterr().err
    assert f": {key}: " in err, err
    assert words in err, err
    assert "Traceback" not in err, err


def test_experiment_quantities_take_units(root):
    protocol = load(root / "protocols/nef_square.yaml", ["config.duration=250 ms", "config.synapse=5 ms"])
    assert protocol.spec.config["duration"] == pytest.approx(0.25)
    with pytest.raises(ProtocolError, match=r"config\.duration: .*expected a time"):
        load(root / "protocols/nef_square.yaml", ["config.duration=2 mV"])


# -- silently accepted nonsense ---------------------------------------------------------------------
@pytest.mark.parametrize(("old", "new", "key", "words"), [
    ("weight: -0.45 nA, delay: 1 ms}\n    - {pre: I, post: I",
     "weight: -0.45 nA, delay: 0.04 ms}\n    - {pre: I, post: I",
     "network.connections.2.delay", "below half a step"),
    ("duration: 200 ms", "duration: 0.05 ms", "duration", "shorter than one step"),
    ("neurons: [0, 1, 2, 3]", "neurons: [0, 1.0, 2, 3]", "stimuli.0.neurons.1", "valid integer"),
    ("n: 200", "n: true", "network.populations.I.n", "valid integer"),
    ("n: 200", "n: 200.0", "network.populations.I.n", "valid integer"),
    ("{type: population_rate, population: E}", "{type: population_rate, population: E, window: [150 ms, 50 ms]}",
     "analyses.4.window", "start < stop"),
])
def test_nonsense_that_ran_silently_is_refused(tmp_path, capsys, old, new, key, words):
    _refused(tmp_path, capsys, _set(SMALL_PROTOCOL, old, new), key=key, words=words)


def test_threshold_below_reset_is_refused_at_build(tmp_path):
    from neurosim.protocol import build

    text = _set(SMALL_PROTOCOL, "v_thresh: -50 mV, v_reset: -60 mV", "v_thresh: -60 mV, v_reset: -60 mV")
    (tmp_path / "p.yaml").write_text(text)
    with pytest.raises(ProtocolError, match=r"p.yaml:\d+: network.populations.E.params.v_thresh: .*above v_reset"):
        build(load(tmp_path / "p.yaml"))


def test_merge_keys_are_supported(tmp_path):
    # Why, nonsense: a YAML merge key (<<: *base) was rejected although standard YAML allows it
    text = _set(SMALL_PROTOCOL, "    E:\n      n: 800\n      model: lif\n",
                "    E: &base\n      n: 800\n      model: lif\n")
    text = _set(text, "    I:\n      n: 200\n      model: lif\n", "    I:\n      <<: *base\n      n: 200\n")
    (tmp_path / "p.yaml").write_text(text)
    spec = load(tmp_path / "p.yaml").spec
    assert spec.network.populations["I"].n == 200
    assert spec.network.populations["I"].model == "lif"
    assert spec.network.populations["I"].params["tau_m"] == pytest.approx(0.02)


# -- output confinement ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["../escape", "/tmp/escape", "a/b", ".hidden", "..", "x" * 101])
def test_protocol_name_is_a_plain_name(tmp_path, capsys, name):
    # Why, writes outside the output directory: the protocol name was used as a path unchecked
    _refused(tmp_path, capsys, SMALL_PROTOCOL.replace("name: small", f"name: '{name}'"), key="name",
             words="plain name")


@pytest.mark.parametrize("file", ["../x.png", "/tmp/x.png", "a/../../x.png", ".x.png"])
def test_plot_file_is_a_plain_name(tmp_path, capsys, file):
    _refused(tmp_path, capsys, _set(SMALL_PROTOCOL, "file: raster.png", f"file: '{file}'"), key="plots.0.file",
             words="plain name")


# -- resources ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("old", "new", "key"), [
    ("n: 800", "n: 1000000000", "network.connections.0"),  # E -> E: 5e16 synapses, the largest entry
    ("rule: {name: fixed_probability, p: 0.08}, weight: 0.081 nA}\n    - {pre: E, post: I",
     "rule: {name: all_to_all}, weight: 0.081 nA}\n    - {pre: E, post: I", "network.connections.0"),
    ("variable: v, neurons: [0, 1, 2]}", "variable: v}", "record.states.0"),
])
def test_memory_estimate_refuses_before_building(tmp_path, capsys, monkeypatch, old, new, key):
    # Why, no resource check: MemoryError tracebacks or a process that grows until the machine is out
    from neurosim.protocol import resources

    monkeypatch.setattr(resources, "available_memory", lambda: 8 * 2**20)  # the unmodified protocol needs about 4 MiB
    text = _set(SMALL_PROTOCOL, old, new)
    err = _refused(tmp_path, capsys, text, key=key, words="--no-memory-check")
    assert "GiB of memory" in err


def test_ring_buffer_of_a_long_delay_counts(tmp_path):
    from neurosim.protocol import resources

    text = _set(SMALL_PROTOCOL, "n: 800", "n: 1000000")
    text = _set(text, "weight: -0.45 nA, delay: 1 ms}\n    - {pre: I, post: I",
                "weight: -0.45 nA, delay: 6.5 s}\n    - {pre: I, post: I")
    text = text.replace("p: 0.08", "p: 0.0000001")
    (tmp_path / "p.yaml").write_text(text)
    parts = resources.estimate(load(tmp_path / "p.yaml"))
    # 1e6 neurons x (6.5 s / 0.1 ms + 1) slots x 2 receptors x 8 bytes ~ 969 GiB
    assert parts[("network", "populations", "E")] > 900 * 2**30


def test_huge_step_counts_warn(tmp_path):
    from neurosim.errors import NeurosimWarning
    from neurosim.protocol import resources

    (tmp_path / "p.yaml").write_text(_set(SMALL_PROTOCOL, "duration: 200 ms", "duration: 1e9 s").replace(
        "variable: v, neurons: [0, 1, 2]}", "variable: v, neurons: [0], every: 100000000}").replace(
        "every: 10}", "every: 100000000}").replace("rates: [E]", "rates: []"))
    with pytest.warns(NeurosimWarning, match="neuron-steps"):
        resources.check(load(tmp_path / "p.yaml"), available=2**62)
