"""Results round-trip through HDF5 bit for bit, in the SONATA layout, written atomically."""
from __future__ import annotations

import dataclasses

import h5py
import numpy as np
import pytest

from neurosim import __version__, io
from neurosim.core.results import Results, SpikeTrains
from neurosim.protocol import load, run


@pytest.fixture(scope="module")
def results(tmp_path_factory, small_protocol_text):
    path = tmp_path_factory.mktemp("io") / "small.yaml"
    path.write_text(small_protocol_text)
    return run(load(path, ["duration=60 ms"])).results


def _assert_identical(a, b):
    """Equal values, dtypes and shapes, recursively (NaN equal to NaN)."""
    if dataclasses.is_dataclass(a):
        assert type(a) is type(b)
        for field in dataclasses.fields(a):
            _assert_identical(getattr(a, field.name), getattr(b, field.name))
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            _assert_identical(a[key], b[key])
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype
        assert a.shape == b.shape
        assert a.tobytes() == b.tobytes()
    elif isinstance(a, float):
        assert type(b) is float
        assert (a == b or (np.isnan(a) and np.isnan(b)))
    else:
        assert type(a) is type(b)
        assert a == b


def test_round_trip_is_bit_for_bit(results, tmp_path):
    assert results.spikes["E"].times.size
    assert results.states["I"]["syn_exc"].data.size
    io.save(results, tmp_path / "r.h5")
    _assert_identical(results, io.load(tmp_path / "r.h5"))


def test_sonata_layout_and_provenance(results, tmp_path):
    io.save(results, tmp_path / "r.h5")
    with h5py.File(tmp_path / "r.h5") as f:
        assert f["spikes/E/timestamps"].attrs["units"] == "s"
        assert f["spikes/E/node_ids"].shape == f["spikes/E/timestamps"].shape
        report = f["report/I/syn_exc"]
        assert report["data"].attrs["units"] == "A"
        assert list(report["mapping/node_ids"][()]) == [5]
        start, stop, step = report["mapping/time"][()]
        assert (start, step) == (0.0, pytest.approx(1e-3))
        assert stop == pytest.approx(0.06)
        assert f.attrs["complete"]
        assert f.attrs["seed"] == 3
        assert f.attrs["dt"] == 1e-4
        assert "name: small" in f.attrs["protocol_yaml"]
        assert f.attrs["neurosim_version"]
        assert f.attrs["wall_clock_run"] > 0
        assert f["analysis/summary/E/mean_rate"][()] == results.analysis["summary"]["E"]["mean_rate"]


def test_empty_results_round_trip(tmp_path):
    empty = Results(spikes={"P": SpikeTrains(np.zeros(0, np.int64), np.zeros(0), 5)}, dt=1e-4, complete=False,
                    population_sizes={"P": 5})
    io.save(empty, tmp_path / "e.h5")
    loaded = io.load(tmp_path / "e.h5")
    assert loaded.attributes.pop("neurosim_version") == __version__  # saved from the API: the writer's version
    _assert_identical(empty, loaded)


def test_write_is_atomic(results, tmp_path, monkeypatch):
    target = tmp_path / "r.h5"
    io.save(results, target)
    before = target.read_bytes()

    def fail(*args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(io.hdf5, "_write_tree", fail)
    with pytest.raises(RuntimeError):
        io.save(results, target)
    assert target.read_bytes() == before  # the old file is untouched
    assert [p.name for p in tmp_path.iterdir()] == ["r.h5"]  # no temporary left behind
