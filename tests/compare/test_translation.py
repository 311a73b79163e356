"""The protocol -> Brian2 translation without running it: what it writes, and what it refuses by name."""
from __future__ import annotations

import pathlib

import pytest

from neurosim.compare.brian2 import NoBrian2Counterpart
from neurosim.compare.brian2_protocol import ProtocolModel
from neurosim.protocol import load, loads

ROOT = pathlib.Path(__file__).resolve().parents[2]

BASE = """
name: t
dt: 0.1 ms
duration: 10 ms
network:
  populations:
    P: {n: 10, model: poisson, rate: RATE}
    L:
      n: 5
      model: MODEL
      receptors: {e: {kernel: KERNEL, tau: 5 ms}}
  connections:
    - {pre: P, post: L, receptor: e, rule: {name: fixed_indegree, k: 3}, weight: WEIGHT}
"""


def protocol(rate="10 Hz", model="lif", kernel="exponential", weight="1 nA", extra=""):
    text = BASE.replace("RATE", rate).replace("MODEL", model).replace("KERNEL", kernel).replace("WEIGHT", weight)
    return loads(text + extra, "test.yaml")


def test_brunel_translates_delta_receptors_and_poisson_input():
    model = ProtocolModel(load(ROOT / "protocols" / "brunel.yaml"))
    group = model.groups["E"]
    assert group.on_pre == {"exc": "v_post += w", "inh": "v_post += w"}
    assert group.weight_unit["exc"] == "volt"
    assert group.poisson_inputs == [("v", 1000, 20.0, "1*0.0001*volt")]
    assert model.connections[0].connect == {"i": "k for k in sample(N_pre, size=1000)"}
    assert group.refractory == "tau_refrac"
    assert group.method == "exact"


def test_rules_and_kernels_are_written_from_the_protocol():
    model = ProtocolModel(protocol(kernel="alpha"))
    group = model.groups["L"]
    assert "dx_e/dt = -x_e/(0.005*second) : amp" in group.equations
    assert group.on_pre["e"] == "x_e_post += 2.718281828459045*w"
    # the model file's equation (PyNN's cm renamed: a Brian2 unit); the stimuli and receptors sum into I_syn
    assert "dv/dt = (v_rest - v) / tau_m + (I_syn + i_offset) / cm_ : volt (unless refractory)" in group.equations
    assert "I_syn = I_ext + (syn_e) : amp" in group.equations
    assert group.arrays["tau_m"].tolist() == [0.02] * 5
    assert ("v", "v_rest") in group.expressions  # the model's initial value, evaluated by Brian2


@pytest.mark.parametrize(("change", "part"), [
    ({"rate": "2 kHz"}, "population 'P': rate 2000 Hz"),
    ({"model": "lif_dimensionless", "weight": "1"}, "population 'L': spike_timing 'precise'"),
    ({"kernel": "exp2", "extra": "stimuli:\n  - {type: poisson_input, population: L, receptor: e, n_sources: 5, "
                                 "rate: 5 Hz, weight: 1 nA}\n"}, "stimulus 0 (poisson_input): receptor 'e'"),
])
def test_untranslatable_parts_are_named(change, part):
    with pytest.raises(NoBrian2Counterpart, match=part.replace("(", r"\(").replace(")", r"\)")):
        ProtocolModel(protocol(**change))
