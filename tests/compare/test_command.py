"""``neurosim compare`` on the shipped squid HH protocol: exit status, table, JSON and plots;
Brian2's cpp_standalone target gives the same agreement as the runtime target."""
from __future__ import annotations

import argparse
import json
import pathlib

import pytest

from neurosim.compare import command

ROOT = pathlib.Path(__file__).resolve().parents[2]
PROTOCOL = str(ROOT / "protocols" / "hh_step.yaml")


def compare(output, target="runtime", codegen="numpy"):
    return command.run(argparse.Namespace(protocol=PROTOCOL, against="brian2", output=str(output), target=target,
                                          codegen=codegen))


@pytest.mark.parametrize("target", ["runtime", "cpp_standalone"])
def test_compare_hh_step(tmp_path, capsys, target):
    assert compare(tmp_path, target) == 0
    printed = capsys.readouterr().out
    assert "deterministic comparison" in printed and "PASSED" in printed
    document = json.loads((tmp_path / "comparison.json").read_text())
    assert document["passed"] and document["target"] == target
    traces = {row["variable"]: row for row in document["report"]["traces"]}
    assert traces["v"]["max_abs"] < 1e-8
    spikes = document["report"]["spikes"][0]
    assert spikes["spikes"][0] == spikes["spikes"][1] > 10 and spikes["max_shift_steps"] == 0
    for name in ("traces.png", "raster.png"):
        assert (tmp_path / name).stat().st_size > 10_000


def test_compare_fails_when_neurosim_differs(tmp_path, monkeypatch, capsys):
    """A neurosim run with 10 % more membrane capacitance than the Brian2 reference exits 1."""
    original = command.run_pair

    def skewed(path, seed, target, codegen="cython"):
        protocol, simulator, _, reference = original(path, seed, target, codegen)
        wrong = command.build(command.load(path, sets=["network.populations.HH.params.cm=110 pF"], seed=seed))
        return protocol, simulator, wrong.run(protocol.spec.duration), reference

    monkeypatch.setattr(command, "run_pair", skewed)
    assert compare(tmp_path) == 1
    assert "FAILED" in capsys.readouterr().out
    assert not json.loads((tmp_path / "comparison.json").read_text())["passed"]
