"""SONATA output read back by an independent reader, libsonata (BlueBrain's C++ SONATA library)."""
from __future__ import annotations

import subprocess

import h5py
import numpy as np
import pytest

import neurosim as ns
from neurosim.io import sonata

pytestmark = pytest.mark.si_floats  # passes SI floats on purpose (opt-in: tests/conftest.py)

libsonata = pytest.importorskip("libsonata")


@pytest.fixture(scope="module")
def results():
    net = ns.Network(seed=4)
    drive = net.add_population("input", 40, "poisson", rate="30 Hz")
    cells = net.add_population("E", 12, "lif", receptors={"exc": ns.Synapse("exponential", tau=5e-3)})
    net.connect(drive, cells, receptor="exc", rule=ns.FixedProbability(0.3), weight=0.6e-9, delay=1e-3)
    net.add(ns.Constant(cells, amplitude="0.5 nA"))
    net.record_spikes(cells)
    net.record_spikes(drive)
    net.record_state(cells, "v", neurons=[0, 4, 7])
    net.record_state(cells, "syn_exc", neurons=[4])
    return ns.Simulator(net, dt=1e-4).run(0.3)


def _pairs(trains):
    return sorted(zip(trains.node_ids.tolist(), trains.times.tolist(), strict=True))


def test_libsonata_reads_the_exchange_spikes_in_ms(results, tmp_path):
    sonata.write(results, tmp_path)
    reader = libsonata.SpikeReader(str(tmp_path / "spikes.h5"))
    assert sorted(reader.get_population_names()) == ["E", "input"]
    for name in ("E", "input"):
        population = reader[name]
        assert population.sorting == "by_time"
        got = population.get()
        assert len(got) == len(results.spikes[name].times) > 0
        times = np.array([t for _, t in got])
        assert np.all(np.diff(times) >= 0)                                  # by_time, as declared
        want = [(node, t * 1e3) for node, t in _pairs(results.spikes[name])]
        assert sorted(got) == want                                          # same events, exact ms


def test_libsonata_reads_the_element_reports(results, tmp_path):
    sonata.write(results, tmp_path)
    report = libsonata.ElementReportReader(str(tmp_path / "v.h5"))["E"]
    record = results.states["E"]["v"]
    assert report.get_node_ids() == [0, 4, 7]
    assert report.time_units == "ms"
    assert report.data_units == "mV"
    start, stop, step = report.times
    assert (start, step) == pytest.approx((0.0, 0.1))
    assert stop == pytest.approx(300.0)
    frame = report.get()
    data = np.asarray(frame.data)
    assert data.shape == record.data.shape
    assert np.asarray(frame.times) == pytest.approx(record.times * 1e3, abs=1e-9)
    # SONATA stores float32: exact to half an ulp of float32 at |v| < 80 mV.
    assert np.max(np.abs(data - record.data * 1e3)) <= 80 * 2.0**-24
    window = report.get(node_ids=[4], tstart=10.0, tstop=20.0)
    assert np.asarray(window.data)[:, 0] == pytest.approx(record.data[100:201, 1] * 1e3, abs=1e-5)
    syn = libsonata.ElementReportReader(str(tmp_path / "syn_exc.h5"))["E"]
    assert syn.get_node_ids() == [4]
    assert np.asarray(syn.get().data)[:, 0] == pytest.approx(results.states["E"]["syn_exc"].data[:, 0], rel=1e-6)


def test_results_h5_spikes_are_readable_by_libsonata_and_carry_the_version(results, tmp_path):
    path = ns.io.save(results, tmp_path / "results.h5")
    with h5py.File(path) as f:
        assert f.attrs["neurosim_version"] == ns.__version__
        assert h5py.check_enum_dtype(f["spikes/E"].attrs.get_id("sorting").dtype) is not None
    population = libsonata.SpikeReader(str(path))["E"]
    assert population.sorting == "by_time"
    assert sorted(population.get()) == _pairs(results.spikes["E"])          # seconds in results.h5
    again = ns.io.load(path)
    assert np.array_equal(again.spikes["E"].times, results.spikes["E"].times)


@pytest.mark.slow  # the console script end to end
def test_cli_run_writes_sonata_that_libsonata_reads_with_the_protocol(root, tmp_path, neurosim_command):
    out = tmp_path / "cuba"
    subprocess.run([str(neurosim_command), "run", str(root / "protocols" / "cuba.yaml"),
                    "-o", str(out), "--set", "duration=50 ms", "--quiet"], check=True, capture_output=True)
    results = ns.io.load(out / "results.h5")
    reader = libsonata.SpikeReader(str(out / "sonata" / "spikes.h5"))
    assert set(reader.get_population_names()) == set(results.spikes)
    for name, trains in results.spikes.items():
        assert sorted(reader[name].get()) == [(node, t * 1e3) for node, t in _pairs(trains)]
    with h5py.File(out / "sonata" / "spikes.h5") as f:
        assert f.attrs["protocol_yaml"] == results.attributes["protocol_yaml"]
        assert f.attrs["neurosim_version"] == ns.__version__


def _network_protocols():
    import pathlib
    root = pathlib.Path(__file__).resolve().parents[2] / "protocols"
    from neurosim.protocol import load
    names = []
    for path in sorted(root.glob("*.yaml")):
        if "sweep:" in path.read_text():
            continue  # sweeps run their base protocol, listed on its own
        if not load(path).is_experiment:
            names.append(path.name)
    return names


@pytest.mark.slow
@pytest.mark.parametrize("name", _network_protocols())
def test_libsonata_reads_every_shipped_network_protocol(root, tmp_path, name):
    from neurosim.protocol import build, load
    results = build(load(root / "protocols" / name)).run(0.02)  # its monitors, 20 ms of its run
    sonata.write(results, tmp_path)
    reader = libsonata.SpikeReader(str(tmp_path / "spikes.h5"))
    assert set(reader.get_population_names()) == set(results.spikes)
    for population, trains in results.spikes.items():
        assert sorted(reader[population].get()) == [(node, t * 1e3) for node, t in _pairs(trains)]
    for variable in {v for records in results.states.values() for v in records}:
        report = libsonata.ElementReportReader(str(tmp_path / f"{variable}.h5"))
        for population in report.get_population_names():
            record = results.states[population][variable]
            data = np.asarray(report[population].get().data)
            scale = 1e3 if record.unit == "V" else 1.0
            assert data.shape == record.data.shape
            assert np.allclose(data, record.data * scale, rtol=2.0**-23, atol=0)
