"""Results exported to Neo (checked with Elephant's statistics) and NWB (checked with pynwb's validator)."""
from __future__ import annotations

import numpy as np
import pytest

import neurosim as ns
from neurosim import analysis, io

pytestmark = pytest.mark.si_floats  # passes SI floats on purpose (opt-in: tests/conftest.py)


@pytest.fixture(scope="module")
def results():
    net = ns.Network(seed=5)
    drive = net.add_population("input", 60, "poisson", rate="40 Hz")
    cells = net.add_population("E", 15, "lif", receptors={"exc": ns.Synapse("exponential", tau=5e-3)})
    net.connect(drive, cells, receptor="exc", rule=ns.FixedProbability(0.3), weight=0.6e-9)
    net.add(ns.Constant(cells, amplitude="0.55 nA"))
    net.record_spikes(cells)
    net.record_spikes(drive)
    net.record_state(cells, "v", neurons=[1, 2])
    return ns.Simulator(net, dt=1e-4).run(1.0)


def test_neo_block_with_elephant_isi_cv_and_fano_equal_to_neurosim(results):
    pytest.importorskip("neo")
    statistics = pytest.importorskip("elephant.statistics")
    import quantities as pq
    block = io.to_neo(results)
    trains = [st for st in block.segments[0].spiketrains if st.annotations["population"] == "input"]
    assert len(trains) == 60
    assert sum(len(st) for st in trains) == len(results.spikes["input"].times)
    window = (0.0, 1.0)
    ours_cv = analysis.isi_cv(results.spikes["input"], window)
    theirs_cv = [statistics.cv(statistics.isi(st)) for st in trains if len(st) >= 3]
    assert len(theirs_cv) == len(ours_cv) > 30
    assert np.max(np.abs(np.array(theirs_cv) - ours_cv)) < 1e-12
    # Bin edges off the dt grid the spike times lie on: no spike on an edge, so Neo's
    # closed time slices and neurosim's half-open bins count the same spikes.
    bin_size = 0.05 + 0.37 * results.dt  # 500.37 steps: k * bin_size is >= 0.03 dt off the grid for k <= 19
    ours_ff = analysis.fano_factor(results.spikes["input"], window, bin_size)
    theirs_ff = []
    for st in trains:
        if len(st):
            pieces = [st.time_slice(lo * pq.s, (lo + bin_size) * pq.s) for lo in np.arange(19) * bin_size]
            theirs_ff.append(statistics.fanofactor(pieces))
    assert len(theirs_ff) == len(ours_ff)
    assert np.max(np.abs(np.array(theirs_ff) - ours_ff)) < 1e-12
    signal = next(s for s in block.segments[0].analogsignals if s.annotations["variable"] == "v")
    assert signal.shape == (10000, 2)
    assert str(signal.units.dimensionality) == "V"
    assert np.array_equal(np.asarray(signal.magnitude), results.states["E"]["v"].data)


def test_nwb_file_validates_and_reads_back(results, tmp_path):
    pynwb = pytest.importorskip("pynwb")
    path = io.to_nwb(results, tmp_path / "run.nwb")
    errors = pynwb.validate(path=str(path))
    errors = errors[0] if isinstance(errors, tuple) else errors
    assert list(errors) == []
    with pynwb.NWBHDF5IO(str(path), "r") as reader:
        nwb = reader.read()
        units = nwb.units.to_dataframe()
        assert len(units) == 75
        e = units[units.population == "E"].sort_values("node_id")
        node = int(np.argmax(results.spikes["E"].counts()))
        assert np.array_equal(e.spike_times.iloc[node], results.spikes["E"].of(node))
        v = nwb.acquisition["E_v"]
        assert v.unit == "V"
        assert np.array_equal(v.data[:], results.states["E"]["v"].data)
        assert ns.__version__ in nwb.session_description
