"""Sweeps: points from the sweep: block, one compiled loop per worker, a real 2-worker LocalCluster,
failed and killed points, Ctrl-C and re-runs, the summary table, run --json and info."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time

import h5py
import numpy as np
import pandas as pd
import pytest

from neurosim import io
from neurosim.errors import ProtocolError
from neurosim.protocol import build, load
from neurosim.protocol.run import run
from neurosim.sweep import Sweep, sweep
from neurosim.sweep.figures import interval
from neurosim.sweep.points import expand
from neurosim.sweep.summary import rows

pytestmark = [pytest.mark.slow, pytest.mark.si_floats]  # Dask sweeps

TINY = """\
name: tiny
seed: 3
network:
  populations:
    E:
      n: 80
      model: lif
      params: {cm: 1 nF, tau_m: 20 ms, v_rest: -49 mV, v_thresh: -50 mV, v_reset: -60 mV, tau_refrac: 5 ms}
      receptors: {exc: {tau: 5 ms}, inh: {tau: 10 ms}}
      initial: {v: {distribution: uniform, low: -60 mV, high: -50 mV}}
    I:
      n: 20
      model: lif
      params: {cm: 1 nF, tau_m: 20 ms, v_rest: -49 mV, v_thresh: -50 mV, v_reset: -60 mV, tau_refrac: 5 ms}
      receptors: {exc: {tau: 5 ms}, inh: {tau: 10 ms}}
      initial: {v: {distribution: uniform, low: -60 mV, high: -50 mV}}
  connections:
    - {pre: E, post: E, receptor: exc, rule: {name: fixed_probability, p: 0.2}, weight: 0.2 nA}
    - {pre: E, post: I, receptor: exc, rule: {name: fixed_probability, p: 0.2}, weight: 0.2 nA}
    - {pre: I, post: E, receptor: inh, rule: {name: fixed_probability, p: 0.2}, weight: -0.9 nA, delay: 1 ms}
    - {pre: I, post: I, receptor: inh, rule: {name: fixed_probability, p: 0.2}, weight: -0.9 nA}
dt: 0.1 ms
duration: 100 ms
record:
  spikes: [E, I]
analyses:
  - {type: fano_factor, population: E, bin_size: 20 ms}
sweep:
  grid:
    network.connections.0.weight: [0.1 nA, 0.3 nA]
  zip:
    - network.populations.E.params.tau_m: {linspace: [15 ms, 25 ms, 2]}
      network.populations.I.params.tau_m: [15 ms, 25 ms]
  seeds: [1, 2]
"""
#: Columns that depend on where and how fast a point ran, not on what it computed.
RUN_COLUMNS = ["wall_time", "compiled", "worker"]


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


@pytest.fixture(scope="module")
def client():
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        yield client


def _same(a, b) -> None:
    """Two summary.csv files hold the same table, apart from where and how fast points ran."""
    a, b = (pd.read_csv(path / "summary.csv").drop(columns=RUN_COLUMNS) for path in (a, b))
    pd.testing.assert_frame_equal(a, b)


# -- points ---------------------------------------------------------------------------------------
def test_inline_constants_share_one_loop_and_change_no_result(tiny):
    """Parameters as arguments: one source for two tau_m values, the same spikes as literals."""
    sources, spikes = {}, {}
    for inline in (True, False):
        for tau in ("15 ms", "25 ms"):
            protocol = load(tiny, [f"network.populations.E.params.tau_m={tau}", "duration=50 ms"])
            simulator = build(protocol, inline_constants=inline)
            sources[inline, tau] = simulator.source
            spikes[inline, tau] = simulator.run(0.05).spikes["E"]
    assert sources[False, "15 ms"] == sources[False, "25 ms"]
    assert sources[True, "15 ms"] != sources[True, "25 ms"]
    for tau in ("15 ms", "25 ms"):
        assert len(spikes[True, tau].times) > 0
        np.testing.assert_array_equal(spikes[True, tau].times, spikes[False, tau].times)
        np.testing.assert_array_equal(spikes[True, tau].node_ids, spikes[False, tau].node_ids)
    assert not np.array_equal(spikes[True, "15 ms"].node_ids, spikes[True, "25 ms"].node_ids)


def test_points_are_the_product_of_axes_and_seeds(tiny):
    definition = Sweep.from_file(tiny)
    points = definition.points()
    assert len(points) == 2 * 2 * 2
    assert len({p.id for p in points}) == 8
    assert points[0].sets == ("network.connections.0.weight=0.1 nA", "network.populations.E.params.tau_m=15.0 ms",
                              "network.populations.I.params.tau_m=15 ms")
    assert [p.seed for p in points[:2]] == [1, 2]
    assert definition.values(points[-1]) == pytest.approx({"network.connections.0.weight": 3e-10,
                                                          "network.populations.E.params.tau_m": 0.025,
                                                          "network.populations.I.params.tau_m": 0.025})
    assert [p.id for p in Sweep.from_file(tiny).points()] == [p.id for p in points]  # stable ids
    assert expand({"logspace": ["1 Hz", "100 Hz", 3]}, "k") == ["1.0 Hz", "10.0 Hz", "100.0 Hz"]
    assert expand({"linspace": [0, 1, 3]}, "k") == [0.0, 0.5, 1.0]


def _all_values(path):
    """Read the sweep and resolve every point (errors surface in either step)."""
    definition = Sweep.from_file(path)
    for point in definition.points():
        definition.values(point)


@pytest.mark.parametrize(("block", "message", "line"), [
    ("  grid: {network.connections.0.weight: {linspace: [0.1 nA, 2 ms, 3]}}", "one dimension", 2),
    ("  grid: {network.connections.0.weight: {logspace: [0 nA, 1 nA, 3]}}", "nonzero", 2),
    ("  zip:\n    - {duration: [1 s, 2 s], seed: [1]}", "one length", 3),
    ("  grid: {network.populations.E.params.tau_m: [20 ms, 5 mV]}", "5 mV", 2),
    ("  grid: {network.populations.E.params.tau_mm: [20 ms]}", "tau_mm = '20 ms': expected a parameter of",
     2),
    ("  seeds: [1, 1]", "seeds repeat", None),
    ("  grids: {}", "unknown key 'grids'", 2),
])
def test_bad_sweep_entries_are_located(tmp_path, block, message, line):
    text = TINY[:TINY.index("sweep:")] + "sweep:\n" + block + "\n"
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    start = text.count("\n", 0, text.index("sweep:")) + 1
    with pytest.raises(ProtocolError) as error:
        _all_values(path)
    assert message in str(error.value)
    assert error.value.file == str(path)
    assert error.value.line == (None if line is None else start + line - 1)


def test_interval_is_the_student_t_interval_of_the_mean():
    mean, low, high = interval(np.array([1.0, 2.0, 3.0]))
    assert mean == 2.0
    assert mean - low == pytest.approx(high - mean)
    assert high - mean == pytest.approx(4.302653 / np.sqrt(3), rel=1e-6)
    assert np.isnan(interval(np.array([5.0]))[1])


# -- running on a LocalCluster ----------------------------------------------------------------------
def test_sweep_runs_every_point_once_per_worker_compilation(tiny, tmp_path, client):
    out = tmp_path / "out"
    frame = sweep(tiny, client=client, output=out)
    assert len(frame) == 8 * 2
    assert set(frame["status"]) == {"ok"}
    assert set(frame["population"]) == {"E", "I"}
    assert frame.drop_duplicates("point").groupby("worker")["compiled"].sum().max() <= 1  # one loop per worker
    assert (out / "summary.csv").is_file()
    assert (out / "summary.h5").is_file()
    assert (out / "mean_rate_c0_weight_E_params_tau_m.png").is_file()
    assert (out / "mean_rate_vs_c0_weight.png").is_file()
    stored = pd.read_csv(out / "summary.csv")
    assert list(stored.columns) == list(frame.columns)
    np.testing.assert_array_equal(stored["mean_rate"], frame["mean_rate"])
    with h5py.File(out / "summary.h5") as f:
        np.testing.assert_array_equal(f["summary/mean_rate"][()], frame["mean_rate"])
        assert f["summary/network.connections.0.weight [A]"].attrs["units"] == "A"
    # every row is the run of its point's protocol, done here independently (literal constants)
    definition = Sweep.from_file(tiny)
    for point in definition.points()[::3]:
        protocol = definition.protocol(point)
        expected = rows(protocol, run(protocol).results)
        got = frame[frame["point"] == point.id]
        for row in expected:
            actual = got[got["population"] == row["population"]].iloc[0]
            assert actual["seed"] == point.seed
            assert set(row) <= set(actual.index)
            for key, value in row.items():
                if key != "population":
                    assert actual[key] == pytest.approx(value, nan_ok=True), key
        stored = io.load(out / "points" / point.id / "results.h5")
        assert stored.seed == point.seed
        assert stored.complete
    assert frame["spikes"].nunique() > 4  # the points differ
    # a re-run skips completed points; force redoes them
    walls = frame["wall_time"].to_numpy()
    again = sweep(tiny, client=client, output=out)
    np.testing.assert_array_equal(again["wall_time"].to_numpy(), walls)
    (out / "summary.csv").rename(tmp_path / "summary.csv")
    forced = sweep(tiny, client=client, output=out, force=True)
    assert not np.array_equal(forced["wall_time"].to_numpy(), walls)
    _same(out, tmp_path)


def test_a_failing_point_is_recorded_and_the_others_complete(tiny, tmp_path, client):
    """threads = 100000 is valid YAML but refused when the simulator is built (2 cores)."""
    frame = sweep(tiny, {"threads": [1, 100000]}, [1], client=client, output=tmp_path / "out")
    by_threads = frame.drop_duplicates("point").set_index("threads")
    assert by_threads.loc[1, "status"] == "ok"
    assert by_threads.loc[100000, "status"] == "failed"
    assert "threads" in by_threads.loc[100000, "error"]
    frame = sweep(tiny, {"threads": [100000, 1]}, [1], client=client, output=tmp_path / "fast", fail_fast=True)
    assert "failed" in set(frame["status"])


def test_killed_worker_point_is_retried_and_the_sweep_completes(tiny, tmp_path, client):
    from dask.distributed import Client, LocalCluster

    sweep(tiny, {"duration": ["3 s"]}, [1, 2, 3, 4, 5, 6], client=client, output=tmp_path / "ref")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as own:
        box = {}
        worker = threading.Thread(target=lambda: box.update(frame=sweep(
            tiny, {"duration": ["3 s"]}, [1, 2, 3, 4, 5, 6], client=own, output=tmp_path / "out")))
        worker.start()
        killed = None
        deadline = time.monotonic() + 300
        while killed is None and time.monotonic() < deadline and worker.is_alive():
            done = list((tmp_path / "out" / "points").glob("*/point.json")) if (tmp_path / "out").exists() else []
            busy = [address for address, keys in own.processing().items() if keys]
            if done and busy:
                pid = own.run(os.getpid, workers=[busy[0]])[busy[0]]
                os.kill(pid, signal.SIGKILL)
                killed = pid
            time.sleep(0.05)
        worker.join(300)
    assert killed is not None
    assert set(box["frame"]["status"]) == {"ok"}
    _same(tmp_path / "out", tmp_path / "ref")


# -- command line ---------------------------------------------------------------------------------
@pytest.mark.slow
def test_cli_sweep_ctrl_c_keeps_points_and_a_rerun_finishes(tiny, tmp_path, client, neurosim_command):

    sets = ["--set", "duration=1 s", "--set", "sweep.seeds=[1, 2, 3]"]
    sweep(tiny, None, None, client=client, output=tmp_path / "ref", sets=sets[1::2])
    out = tmp_path / "out"
    # its own process group, signalled as a whole as a terminal's Ctrl-C signals the workers too
    process = subprocess.Popen([str(neurosim_command), "sweep", str(tiny), "-o", str(out), "-j", "2", *sets],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while not list(out.glob("points/*/point.json")) and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGINT)
        _, stderr = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert "interrupted" in stderr
    partial = pd.read_csv(out / "summary.csv")
    done = set(partial[partial["status"] == "ok"]["point"])
    assert 0 < len(done) < 12
    assert "pending" in set(partial["status"])
    finished = subprocess.run([str(neurosim_command), "sweep", str(tiny), "-o", str(out), "-j", "2", "--quiet", *sets],
                              capture_output=True, text=True, timeout=600, check=False)
    assert finished.returncode == 0, finished.stderr
    assert "12 ok" in finished.stdout
    _same(out, tmp_path / "ref")


def test_run_json_prints_the_summary_rows_and_info_the_provenance(tiny, tmp_path, neurosim):
    done = neurosim("run", tiny, "-o", tmp_path / "run", "--json", "--quiet", "--seed", "4")
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    protocol = load(tiny, seed=4)
    results = io.load(tmp_path / "run" / "results.h5")
    assert printed == json.loads(json.dumps(rows(protocol, results)))
    assert [row["population"] for row in printed] == ["E", "I"]
    assert printed[0]["fano_factor"] == pytest.approx(printed[0]["fano_factor.mean"])  # the protocol's 20 ms bin
    info = neurosim("info", tmp_path / "run" / "results.h5")
    assert info.returncode == 0, info.stderr
    assert "protocol 'tiny'" in info.stdout
    assert "seed 4" in info.stdout
    assert "synchrony" in info.stdout


def test_slurm_example_of_the_docs_builds_a_job_script(root):
    pytest.importorskip("dask_jobqueue")
    text = (root / "docs" / "sweeps.md").read_text()
    code = text.split("```python slurm-example\n")[1].split("```")[0]
    namespace = {}
    exec(code, namespace)
    cluster = namespace["cluster"]
    try:
        script = cluster.job_script()
    finally:
        cluster.close()
    assert "#SBATCH --cpus-per-task=1" in script
    assert "--nthreads 1" in script
    assert "#SBATCH -t 02:00:00" in script


def test_fi_sweep_matches_the_analytic_lif_rate(root, tmp_path, client):
    """protocols/lif_fi_sweep.yaml: every point's rate is r(J) = 1/(tau_ref + tau_rc log1p(1/(J-1)))."""
    frame = sweep(root / "protocols" / "lif_fi_sweep.yaml", client=client, output=tmp_path / "out")
    assert len(frame) == 21 * 2
    assert set(frame["status"]) == {"ok"}
    bias, tau_rc = frame["network.populations.P.params.bias"], frame["network.populations.P.params.tau_rc [s]"]
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = np.where(bias > 1, 1.0 / (0.002 + tau_rc * np.log1p(1.0 / (bias - 1.0))), 0.0)
    # a 2 s count resolves the rate to one spike in 2 s; the first interval starts without refractoriness
    np.testing.assert_allclose(frame["mean_rate"], expected, atol=0.5 + 1e-9)
    assert (tmp_path / "out" / "fi_curve.png").is_file()
