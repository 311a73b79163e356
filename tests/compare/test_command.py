"""``neurosim compare``: exit status, table, JSON and plots; the Brian2 reference written from the
protocol agrees step by step where it must (squid HH, off-grid refractory periods and delays) and
as independent realisations otherwise; a deliberately wrong mapping of one parameter in the
Brian2 translation (tau_m 10 % longer) makes it fail."""
from __future__ import annotations

import argparse
import json
import pathlib

import pytest

from neurosim.compare import brian2_protocol, command

pytestmark = [pytest.mark.slow, pytest.mark.si_floats]  # Brian2/NEST comparison runs

ROOT = pathlib.Path(__file__).resolve().parents[2]
PROTOCOL = str(ROOT / "protocols" / "hh_step.yaml")
OFF_GRID = str(ROOT / "tests" / "compare" / "protocols" / "off_grid.yaml")
RANDOM = str(ROOT / "tests" / "compare" / "protocols" / "random_ff.yaml")


@pytest.fixture(autouse=True)
def cli_logging():
    """The CLI's log lines (INFO on stderr), set up as ``neurosim``'s main does: these tests call
    ``command.run`` directly, and without this the lines appeared only when an earlier test in the
    same worker had run the CLI (so the stderr checks passed or failed with the test order)."""
    from neurosim import cli
    cli._configure_logging(argparse.Namespace(log_quiet=False, verbose=0))


def compare(output, protocol=PROTOCOL, target="runtime", codegen="numpy", same_network=False, seeds=None):
    return command.run(argparse.Namespace(protocol=protocol, against="brian2", output=str(output), target=target,
                                          codegen=codegen, same_network=same_network, seeds=seeds))


def wrong_tau_m(monkeypatch):
    """The Brian2 translation reads tau_m 10 % too long (a wrong parameter conversion)."""
    original = brian2_protocol.parameters

    def skewed(model_class, population):
        values = original(model_class, population)
        if "tau_m" in values:
            values["tau_m"] = values["tau_m"] * 1.1
        return values

    monkeypatch.setattr(brian2_protocol, "parameters", skewed)


@pytest.mark.parametrize("target", ["runtime", "cpp_standalone"])
def test_compare_hh_step(tmp_path, capsys, target):
    assert compare(tmp_path, target=target) == 0
    captured = capsys.readouterr()
    assert "written from the protocol" in captured.out
    assert "deterministic comparison" in captured.out
    assert "PASSED" in captured.out
    assert "compare: seed 1: brian2" in captured.err
    assert "neurosim done" in captured.err
    document = json.loads((tmp_path / "comparison.json").read_text())
    assert document["passed"]
    assert document["target"] == target
    assert not document["same_network"]
    traces = {row["variable"]: row for row in document["report"]["traces"]}
    assert traces["v"]["max_abs"] < 1e-8
    spikes = document["report"]["spikes"][0]
    assert spikes["spikes"][0] == spikes["spikes"][1] > 10
    assert spikes["max_shift_steps"] == 0
    for name in ("traces.png", "raster.png"):
        assert (tmp_path / name).stat().st_size > 10_000


def test_compare_hh_step_same_network(tmp_path, capsys):
    assert compare(tmp_path, same_network=True) == 0
    assert "same network" in capsys.readouterr().out
    assert json.loads((tmp_path / "comparison.json").read_text())["same_network"]


def test_compare_fails_when_neurosim_differs(tmp_path, monkeypatch, capsys):
    """A neurosim run with 10 % more membrane capacitance than the Brian2 reference exits 1."""
    original = command.run_pair

    def skewed(path, seed, options, same_network):
        protocol, simulator, _, reference = original(path, seed, options, same_network)
        wrong = command.build(command.load(path, sets=["network.populations.HH.params.cm=110 pF"], seed=seed))
        return protocol, simulator, wrong.run(protocol.spec.duration), reference

    monkeypatch.setattr(command, "run_pair", skewed)
    assert compare(tmp_path) == 1
    assert "FAILED" in capsys.readouterr().out
    assert not json.loads((tmp_path / "comparison.json").read_text())["passed"]


def test_off_grid_refractory_and_delays_agree_with_independent_brian2(tmp_path, capsys):
    """Refractory periods of 2.05, 1.25, 3.35 ms and delays of 1.25, 1.05, 2.25 ms at dt 0.1 ms:
    neurosim must convert them to steps as Brian2 does, step by step, with the same spikes."""
    status = compare(tmp_path, protocol=OFF_GRID)
    printed = capsys.readouterr().out
    assert status == 0, printed
    report = json.loads((tmp_path / "comparison.json").read_text())["report"]
    assert report["mode"] == "deterministic"
    assert all(row["spikes"][0] > 10 for row in report["spikes"])


def test_off_grid_with_wrong_tau_m_mapping_fails(tmp_path, monkeypatch, capsys):
    wrong_tau_m(monkeypatch)
    assert compare(tmp_path, protocol=OFF_GRID) == 1
    report = json.loads((tmp_path / "comparison.json").read_text())["report"]
    assert max(row["max_abs"] for row in report["traces"] if row["variable"] == "v") > 1e-3  # mV, not rounding


@pytest.mark.slow
def test_random_network_independent_realisations_agree(tmp_path, capsys):
    """Random connectivity, initial values and Poisson input: each simulator draws its own
    realisations (5 seeds each); realisation means of rate and ISI CV agree by Welch's t-test."""
    assert compare(tmp_path, protocol=RANDOM) == 0, capsys.readouterr().out
    document = json.loads((tmp_path / "comparison.json").read_text())
    report = document["report"]
    assert report["mode"] == "statistical"
    assert not report["same_network"]
    rows = {(row["population"], row["metric"]): row for row in report["realisations"]}
    assert rows["E", "rate"]["n"] == [5, 5]
    assert 5 < rows["E", "rate"]["mean"][1] < 60
    # independent realisations: the two simulators' networks and spike trains differ
    values = rows["E", "rate"]["values"]
    assert values[0] != values[1]


@pytest.mark.slow
def test_random_network_with_wrong_tau_m_mapping_fails(tmp_path, monkeypatch):
    wrong_tau_m(monkeypatch)
    assert compare(tmp_path, protocol=RANDOM) == 1
    rows = json.loads((tmp_path / "comparison.json").read_text())["report"]["realisations"]
    assert not next(row for row in rows if row["population"] == "E" and row["metric"] == "rate")["passed"]


def test_compare_equation_model_same_network(tmp_path, capsys):
    # A model that is nothing but its file (AdEx: exponential term, adaptation current, reset,
    # refractory period) handed to Brian2 as the built network (issue 14, item 3).
    assert compare(tmp_path, protocol=str(ROOT / "protocols" / "adex_step.yaml"), same_network=True) == 0
    assert "same network" in capsys.readouterr().out
    document = json.loads((tmp_path / "comparison.json").read_text())
    assert document["same_network"]
    assert document["passed"]
    assert all(row["spikes"][0] == row["spikes"][1] > 5 for row in document["report"]["spikes"])
