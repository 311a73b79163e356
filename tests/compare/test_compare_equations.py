"""``neurosim compare --against brian2`` for protocols of equation models: the Brian2 network is
written from the model files' equations and the protocol's parameters (AdEx tonic and adapting,
Izhikevich's four classes, a user-defined model file with kernel and synapse-model receptors),
agrees step by step, and refuses with NoBrian2Counterpart what it cannot write."""
from __future__ import annotations

import argparse
import json
import pathlib

import numpy as np
import pytest

from neurosim.compare import brian2_protocol, command
from neurosim.compare.brian2 import NoBrian2Counterpart
from neurosim.protocol import load

pytestmark = pytest.mark.slow  # Brian2 runs; loading protocols with model files

ROOT = pathlib.Path(__file__).resolve().parents[2]
ADEX = str(ROOT / "protocols" / "adex_step.yaml")
IZHIKEVICH = str(ROOT / "protocols" / "izhikevich_patterns.yaml")
USER = str(ROOT / "tests" / "compare" / "protocols" / "user_model.yaml")


def compare(protocol, output) -> tuple[int, dict]:
    status = command.run(argparse.Namespace(protocol=protocol, against="brian2", output=str(output),
                                            target="runtime", codegen="numpy", same_network=False, seeds=None))
    return status, json.loads((pathlib.Path(output) / "comparison.json").read_text())["report"]


def test_brian2_network_is_written_from_the_model_file_and_the_protocol():
    """The translation's numbers are the protocol's (SI), its equations the model file's text."""
    model = brian2_protocol.ProtocolModel(load(ADEX))
    adapting = model.groups["Adapting"]
    assert adapting.method == "rk4"
    assert ("dv/dt = (-g_L * (v - E_L) + g_L * Delta_T * exp((clip(v, -(inf * volt), V_peak) - V_th) / Delta_T)"
            " - w + I_e + I_syn) / C_m : volt (unless refractory)") in adapting.equations
    assert "I_syn = I_ext : amp" in adapting.equations
    np.testing.assert_array_equal(adapting.arrays["tau_w"], [0.3])  # 300 ms in the protocol
    np.testing.assert_array_equal(adapting.arrays["b"], [60e-12])
    np.testing.assert_array_equal(adapting.arrays["t_ref"], [0.0])  # the model's default
    assert adapting.expressions == [("v", "E_L")]  # the model's initial value, evaluated by Brian2
    assert adapting.threshold == "v > V_peak"
    assert adapting.reset.split() == ["v", "=", "V_reset", "w", "+=", "b"]
    user = brian2_protocol.ProtocolModel(load(USER)).groups["Res"]
    assert "cm_ : farad (constant)" in user.equations  # cm is a Brian2 unit
    assert "I_syn = I_ext + (syn_exc) + (g_slow*B_slow*(e_rev_slow - v)) : amp" in user.equations
    np.testing.assert_allclose(user.arrays["mg_slow"], [1.2, 1.2], rtol=1e-15)  # 1.2 mM in SI (mol/m^3)
    assert user.on_pre == {"exc": "syn_exc_post += w", "slow": "g_slow_post += w"}


@pytest.mark.slow
@pytest.mark.parametrize("protocol", [ADEX, IZHIKEVICH, USER], ids=["adex", "izhikevich", "user_model"])
def test_compare_equation_model_protocols_with_brian2(protocol, tmp_path):
    status, report = compare(protocol, tmp_path)
    assert report["mode"] == "deterministic"
    assert status == 0, report
    for row in report["spikes"]:
        assert row["spikes"][0] == row["spikes"][1]
        assert row["max_shift_steps"] == 0
    assert sum(row["spikes"][0] for row in report["spikes"]) > 20
    assert all(row["max_abs"] < 1e-8 for row in report["traces"] if row["unit"] == "V")


def test_delta_translated_and_untranslatable_parts_named(tmp_path):
    text = pathlib.Path(ADEX).read_text()
    delta = text.replace("      n: 1\n      params: {C_m: 200 pF, g_L: 12 nS",
                         "      n: 1\n      receptors: {d: {kind: delta}}\n      params: {C_m: 200 pF, g_L: 12 nS")
    (tmp_path / "delta.yaml").write_text(delta)
    group = brian2_protocol.ProtocolModel(load(str(tmp_path / "delta.yaml"))).groups["Adapting"]
    assert group.on_pre["d"] == "v_post += w"  # delta receptors on any equation model with a v
    assert group.weight_unit["d"] == "volt"
    (tmp_path / "alpha.yaml").write_text("""name: alpha_conductance
seed: 1
network:
  populations:
    L: {model: lif, n: 1, receptors: {exc: {kernel: alpha, tau: 2 ms, kind: conductance}}}
dt: 0.1 ms
duration: 10 ms
""")
    with pytest.raises(NoBrian2Counterpart, match=r"population 'L' \(model 'lif'\): alpha receptors: no "
                                                  r"Brian2 counterpart \(neurosim propagates the coupled alpha kernel"):
        brian2_protocol.ProtocolModel(load(str(tmp_path / "alpha.yaml")))
