"""YAML: delta receptors, ``type: poisson_input`` and Poisson rates, with errors at file:line."""
import numpy as np
import pytest

from neurosim.core.stimuli import PoissonInput
from neurosim.errors import ProtocolError
from neurosim.protocol.build import build
from neurosim.protocol.load import loads

pytestmark = pytest.mark.si_floats  # passes SI floats on purpose (opt-in: tests/conftest.py)

TEXT = """\
name: drive
seed: 2
network:
  populations:
    P:
      n: 50
      model: lif
      params: {tau_m: 20 ms, v_rest: 0 mV, v_reset: 0 mV, v_thresh: 20 mV, tau_refrac: 2 ms}
      receptors: {d: {kind: delta}, e: {tau: 5 ms}}
    S: {n: 10, model: poisson, rate: 5 Hz}
  connections:
    - {pre: S, post: P, receptor: d, rule: {name: all_to_all}, weight: 0.2 mV, delay: 1 ms}
dt: 0.1 ms
duration: 20 ms
stimuli:
  - {type: poisson_input, population: P, receptor: d, n_sources: 1000, rate: 20 Hz, weight: 0.1 mV}
  - {type: poisson_input, population: P, receptor: e, n_sources: 10, rate: 2 kHz, weight: 10 pA, neurons: [0, 1]}
record:
  spikes: [P]
  states: [{population: P, variable: v, neurons: [0]}]
"""


def test_poisson_input_and_delta_receptors_from_yaml():
    simulator = build(loads(TEXT, "drive.yaml"))
    drives = [s for s in simulator.network.stimuli if isinstance(s, PoissonInput)]
    assert [(d.receptor, d.n_sources, d.rate, d.weight) for d in drives] == \
        [("d", 1000, 20.0, pytest.approx(1e-4)), ("e", 10, 2000.0, pytest.approx(1e-11))]
    np.testing.assert_array_equal(drives[1].neurons, [0, 1])
    v = simulator.run(0.02).states["P"]["v"].data[:, 0]
    assert v.max() > 0  # the drive moved the membrane


@pytest.mark.parametrize(("old", "new", "words"), [
    ("rate: 20 Hz, weight: 0.1 mV}", "rate: -20 Hz, weight: 0.1 mV}", "finite rate >= 0 Hz"),
    ("rate: 20 Hz, weight: 0.1 mV}", "rate: 20 GHz, weight: 0.1 mV}", "rate \\* dt <= 1000"),
    ("rate: 20 Hz, weight: 0.1 mV}", "rate: 20 Hz, weight: 0.1 nA}", "voltage"),
    ("rate: 20 Hz, weight: 0.1 mV}", "rate: 20 Hz, weight: nan mV}", "is not valid: expected a voltage"),
    ("receptor: d, n_sources: 1000", "receptor: x, n_sources: 1000", "no receptor 'x'"),
    ("receptor: d, n_sources: 1000", "receptor: d, n_sources: 0", "n_sources"),
])
def test_bad_poisson_input_points_at_its_line(old, new, words):
    assert old in TEXT
    with pytest.raises(ProtocolError, match=words) as error:
        loads(TEXT.replace(old, new, 1), "drive.yaml")
    assert error.value.file == "drive.yaml"
    assert error.value.line == 16


@pytest.mark.parametrize(("rate", "words"), [("-5 Hz", "finite rate >= 0 Hz"), ("1e8 Hz", "rate \\* dt"),
                                         ("nan Hz", "is not valid: expected a frequency")])
def test_bad_poisson_population_rate_points_at_its_line(rate, words):
    with pytest.raises(ProtocolError, match=words) as error:
        loads(TEXT.replace("rate: 5 Hz", f"rate: {rate}"), "drive.yaml")
    assert error.value.line == 10


def test_nan_delta_weight_is_refused_with_its_line():
    with pytest.raises(ProtocolError, match="weight") as error:
        build(loads(TEXT.replace("weight: 0.2 mV", "weight: nan mV"), "drive.yaml"))
    assert error.value.line == 12


def test_kernel_receptors_still_need_tau():
    with pytest.raises(ProtocolError, match="tau"):
        loads(TEXT.replace("e: {tau: 5 ms}", "e: {kind: current}"), "drive.yaml")
