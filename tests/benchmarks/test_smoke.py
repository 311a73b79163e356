"""A benchmark script runs on a tiny network and writes its JSON, table and plot (no timing checks)."""
import json
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.mark.slow  # a benchmark script in a fresh interpreter
def test_cuba_script_writes_results(tmp_path):
    # neurosim only: Brian2's cpp_standalone build alone takes longer than this test may.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "benchmarks.cuba", "--set", "tiny", "--simulators", "neurosim",
                    "--results", str(tmp_path)], cwd=ROOT, env=env, check=True, capture_output=True, timeout=300)
    payload = json.loads((tmp_path / "tiny-cuba.json").read_text())
    (row,) = payload["summary"]
    assert (row["network"], row["n"], row["simulator"], row["threads"]) == ("cuba", 400, "neurosim", 1)
    assert row["n_synapses"] > 0
    assert row["n_spikes"] > 0
    assert row["sim_time"] > 0
    # the shipped protocol: int32 index + row pointers (one scalar weight per connection, stored once)
    assert 4 <= row["stored_bytes_per_synapse"] < 8
    assert {"brian2", "numba", "load_average", "cpu"} <= set(payload["environment"])
    run = payload["runs"][0]
    assert run["cache"] == "warm"
    assert run["seed"] == 1
    assert run["e2e_time"] >= run["sim_time"]
    assert (tmp_path / "tiny-cuba.md").read_text().startswith("| network |")
    assert (tmp_path / "tiny-cuba.png").stat().st_size > 0


@pytest.mark.slow  # compiles four variants of a step loop
def test_phases_script_times_every_variant():
    from benchmarks.phases import VARIANTS, measure, variant
    per_step = measure("cuba", 400, 1, 20, 1)
    assert set(per_step) == set(VARIANTS)
    assert all(us > 0 for us in per_step.values())
    source = ("for k in range(3):\n    x = 1\n    propagate_now(a, b)\n"
              "    for j in range(2):\n        record_spikes(c)\n")
    assert variant(source, VARIANTS["update loops only"]) == \
        "for k in range(3):\n    x = 1\n    pass\n    for j in range(2):\n        pass\n"
