"""Probes and filters: the whole rate-mode pipeline predicted exactly in numpy, spike probes offline."""
import numpy as np
import pytest

from neurosim.coding import Model
from neurosim.coding.probes import decode_spikes, delay, filtered_spikes, lowpass
from neurosim.core.neurons.rate import lif_rate

pytestmark = pytest.mark.si_floats  # passes SI floats on purpose (opt-in: tests/conftest.py)

DT = 1e-3


def test_lowpass_step_response():
    a = np.exp(-DT / 0.005)
    y = lowpass(np.ones(20), 0.005, DT)
    np.testing.assert_allclose(y, 1 - a ** (np.arange(20) + 1), rtol=1e-12)  # REFERENCE_FACTS: a = 0.81873
    assert abs(a - 0.81873) < 1e-5
    np.testing.assert_array_equal(delay(np.arange(4.0), 1), [0, 0, 1, 2])


def _sine_model(mode):
    model = Model(seed=3, mode=mode)
    stim = model.node("stim", lambda t: np.sin(2 * np.pi * t))
    a = model.ensemble("a", 60)
    model.connect(stim, a, synapse=0.005)
    name = model.probe(a, synapse=0.01)
    square = model.probe(a, synapse=0.01, function="square", name="a_square")
    return model, a, name, square


def test_rate_mode_matches_numpy_prediction_exactly():
    model, a, name, square = _sine_model("rate")
    data = model.run(0.5, DT)
    x_a = delay(lowpass(np.sin(2 * np.pi * data.t)[:, None], 0.005, DT), 1)  # what a represents
    rates = lif_rate(a.currents(x_a), a.tau_rc, a.tau_ref)
    probe_in = next(c for c in model.connections if c.name == f"{name}_in")
    expected = delay(lowpass(rates @ probe_in.decoders, 0.01, DT), 2)
    np.testing.assert_allclose(data.decoded[name], expected, rtol=1e-9, atol=1e-12)
    assert data.decoded[square].shape == (500, 1)


def test_spike_probe_decoded_offline_equals_probe_population():
    model, a, name, _ = _sine_model("spiking")
    model.probe_spikes(a)
    data = model.run(0.5, DT)
    spikes = data.spikes["a"]
    decoders = next(c for c in model.connections if c.name == f"{name}_in").decoders
    offline = decode_spikes(spikes, decoders, len(data.t), DT, 0.01)
    np.testing.assert_allclose(data.decoded[name], delay(offline, 2), rtol=1e-9, atol=1e-12)
    filtered = filtered_spikes(spikes, len(data.t), DT, 0.01)
    np.testing.assert_allclose(filtered @ decoders, offline, rtol=1e-9, atol=1e-12)
    # unit area: the time integral of s(t), with the geometric tail after the last step, is the spike count
    a = np.exp(-DT / 0.01)
    np.testing.assert_allclose((filtered.sum(0) + filtered[-1] * a / (1 - a)) * DT, spikes.counts(), atol=1e-9)
