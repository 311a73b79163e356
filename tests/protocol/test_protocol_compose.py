"""Includes, merges and --set overrides keep the file and line of every value."""
from __future__ import annotations

import pytest

from neurosim.errors import ProtocolError
from neurosim.protocol import load
from neurosim.protocol.compose import apply_set, merge, resolve_includes
from neurosim.protocol.source import Where, locate, parse


def test_lines_of_keys_and_items():
    tree = parse("a: 1\nb:\n  c: [1,\n    2]\n  d:\n    - x: 1\n    - y: 2\n", "f.yaml")
    assert locate(tree, ("b", "c")) == Where("f.yaml", 3)
    assert locate(tree, ("b", "d", 1, "y")) == Where("f.yaml", 7)
    assert locate(tree, ("b", "missing")) == Where("f.yaml", 2)  # deepest key that exists


def test_duplicate_keys_and_bad_yaml_are_located():
    with pytest.raises(ProtocolError, match=r"f.yaml:3: key 'a' appears twice"):
        parse("a: 1\nb: 2\na: 3\n", "f.yaml")
    with pytest.raises(ProtocolError) as error:
        parse("a: [1, 2\nb: 3\n", "f.yaml")
    assert error.value.line is not None
    assert "invalid YAML" in str(error.value)


def test_include_merges_and_keeps_origin(tmp_path):
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "neuron.yaml").write_text("model: lif\nparams:\n  tau_m: 20 ms\n  cm: 1 nF\n")
    (tmp_path / "p.yaml").write_text("pop:\n  include: m/neuron.yaml\n  params:\n    cm: 2 nF\n")
    tree = resolve_includes(parse((tmp_path / "p.yaml").read_text(), str(tmp_path / "p.yaml")))
    assert tree["pop"] == {"model": "lif", "params": {"tau_m": "20 ms", "cm": "2 nF"}}
    assert locate(tree, ("pop", "params", "tau_m")) == Where(str(tmp_path / "m" / "neuron.yaml"), 3)
    assert locate(tree, ("pop", "params", "cm")) == Where(str(tmp_path / "p.yaml"), 4)


def test_include_cycle_is_an_error(tmp_path):
    (tmp_path / "a.yaml").write_text("x:\n  include: b.yaml\n")
    (tmp_path / "b.yaml").write_text("include: a.yaml\n")
    with pytest.raises(ProtocolError, match="includes itself"):
        resolve_includes(parse((tmp_path / "a.yaml").read_text(), str(tmp_path / "a.yaml")),
                         (), (str(tmp_path / "a.yaml"),))


def test_merge_replaces_lists_and_scalars():
    base = parse("a: {b: 1, c: [1, 2]}\n", "base")
    over = parse("a: {c: [3]}\n", "over")
    assert merge(base, over) == {"a": {"b": 1, "c": [3]}}


def test_set_paths_and_values():
    tree = parse("a: {b: [{c: 1}, {c: 2}]}\n", "f")
    apply_set(tree, "a.b.1.c=5 ms")
    apply_set(tree, "a.new.deep=[1, 2]")
    assert tree == {"a": {"b": [{"c": 1}, {"c": "5 ms"}], "new": {"deep": [1, 2]}}}
    with pytest.raises(ProtocolError, match="no item '7'"):
        apply_set(tree, "a.b.7.c=1")
    with pytest.raises(ProtocolError, match=r"expected key\.path=value"):
        apply_set(tree, "a.b")


def test_values_are_si_after_load(root):
    protocol = load(root / "protocols" / "cuba.yaml", ["dt=50 us"])
    spec = protocol.spec
    assert spec.dt == pytest.approx(5e-5)
    assert spec.duration == 1.0
    population = spec.network.populations["E"]
    assert population.params["tau_m"] == pytest.approx(0.02)
    assert population.receptors["inh"].tau == pytest.approx(0.01)
    assert (population.initial["v"].low, population.initial["v"].high) == pytest.approx((-0.06, -0.05))
    assert spec.network.connections[2].weight == pytest.approx(-0.45e-9)
    assert "# --set dt=50 us" in protocol.yaml()
    assert "include" not in protocol.yaml()


def test_compare_block_sets_tolerances_and_rejects_unknown_keys(root):
    from neurosim.compare.command import tolerances_of

    protocol = load(root / "protocols" / "hh_step.yaml",
                    ["compare.voltage=2 uV", "compare.seeds=7", "compare.mode=statistical",
                     "compare.same_network=true"])
    mode, same_network, tolerances = tolerances_of(protocol.spec)
    assert mode == "statistical"
    assert tolerances.voltage == pytest.approx(2e-6)
    assert tolerances.seeds == 7
    assert same_network
    with pytest.raises(ProtocolError, match=r"compare\.seeds"):  # one realisation per side cannot be tested
        load(root / "protocols" / "hh_step.yaml", ["compare.seeds=1"])
    with pytest.raises(ProtocolError, match=r"compare.*unknown key 'voltag' \(did you mean 'voltage'\?\)"):
        load(root / "protocols" / "hh_step.yaml", ["compare.voltag=2 uV"])
    with pytest.raises(ProtocolError, match=r"compare\.voltage.*expected a voltage"):
        load(root / "protocols" / "hh_step.yaml", ["compare.voltage=2 ms"])
