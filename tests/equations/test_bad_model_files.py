"""Every 'Bad input' class of issue 14 in a model *file*: the message names the file and line, the
model, the equation (or part) and the offending term, with 'did you mean' for names; through a
protocol the same refusal is a located ProtocolError (exit status 2)."""
from __future__ import annotations

import pathlib
import warnings

import pytest

from neurosim.core.neurons.equation import load_file
from neurosim.equations.parse import EquationError
from neurosim.errors import NeurosimWarning

pytestmark = pytest.mark.si_floats  # passes SI floats on purpose (opt-in: tests/conftest.py)

BASE = """\
name: badm
equations: |
  dv/dt = (v_rest - v)/tau_m + I/cm : volt (unless refractory)
  dw/dt = -w/tau_w : 1
inputs:
  I: amp
parameters:
  cm: 1 nF
  tau_m: 20 ms
  tau_w: 100 ms
  v_rest: -65 mV
  v_thresh: -50 mV
  tau_refrac: 2 ms
threshold: v > v_thresh
reset: |
  v = v_rest
  w += 1
refractory: tau_refrac
"""

#: case -> (text replaced, replacement, line in the file, fragments of the message)
CASES = {
    "undefined symbol": ("(v_rest - v)/tau_m", "(v_rest - v)/tau_mm", 3, [
        "equations line 1 'dv/dt = (v_rest - v)/tau_mm + I/cm : volt (unless refractory)'",
        "undefined symbol 'tau_mm' (did you mean 'tau_m'?)"]),
    "inconsistent units": ("+ I/cm", "+ I", 3, [
        "equations line 1 'dv/dt = (v_rest - v)/tau_m + I : volt (unless refractory)'",
        "terms of a sum differ: '(v_rest - v)/tau_m' has dimension voltage_per_time (volt / second) but 'I' has "
        "current (ampere)"]),
    "threshold not boolean": ("threshold: v > v_thresh", "threshold: v - v_thresh", 14, [
        "threshold 'v - v_thresh'", "expected a condition (e.g. 'v > v_thresh'), got an expression of dimension "
        "voltage"]),
    "reset assigns undefined": ("  w += 1", "  ww += 1", 17, [
        "reset line 2 'ww += 1'", "assigns undefined name 'ww', which is not a state variable (did you mean 'w'?)"]),
    "exact on non-linear": ("refractory: tau_refrac", "refractory: tau_refrac\nmethod: exact", 19, [
        "method 'exact'", "'exact' cannot integrate this system: dw/dt is not linear", "coefficient depends on"]),
    "reserved state name": ("dw/dt = -w/tau_w : 1", "dN/dt = -N/tau_w : 1", 4, [
        "equations line 2 'dN/dt = -N/tau_w : 1'", "'N' is reserved (reserved names: t, dt, i, N"]),
    "reserved parameter name": ("  tau_refrac: 2 ms", "  tau_refrac: 2 ms\n  t: 1 ms", 14, [
        "parameters 't'", "'t' is reserved"]),
    "misspelt key": ("refractory: tau_refrac", "refractory: tau_refrac\nthreshhold: v > v_rest", 19, [
        "unknown key 'threshhold' (did you mean 'threshold'?)"]),
}


def write(tmp_path: pathlib.Path, case: str) -> pathlib.Path:
    old, new, _, _ = CASES[case]
    text = BASE.replace(old, new)
    if case == "exact on non-linear":
        text = text.replace("dw/dt = -w/tau_w : 1", "dw/dt = -w*(v - v_rest)/(tau_w*mV) : 1")
    assert text != BASE
    path = tmp_path / "badm.yaml"
    path.write_text(text)
    return path


def test_the_base_file_loads(tmp_path):
    path = tmp_path / "badm.yaml"
    path.write_text(BASE)
    assert load_file(path).resolved_method == "exact"


@pytest.mark.parametrize("case", list(CASES))
def test_bad_model_file_names_file_line_model_equation_and_term(tmp_path, case):
    path = write(tmp_path, case)
    with pytest.raises(EquationError) as info:
        load_file(path)
    message = str(info.value)
    line = CASES[case][2]
    assert message.startswith(f"{path}:{line}: model 'badm', "), message
    assert info.value.file_line == line
    for fragment in CASES[case][3]:
        assert fragment in message, message


@pytest.mark.slow
def test_bad_model_file_through_a_protocol_is_located(tmp_path):
    from neurosim.cli import main
    from neurosim.errors import ProtocolError
    from neurosim.protocol import load

    write(tmp_path, "undefined symbol")
    protocol = tmp_path / "p.yaml"
    protocol.write_text("name: p\nseed: 1\nmodels: [badm.yaml]\nnetwork:\n  populations:\n    P: {model: badm, n: 1}\n"
                        "dt: 0.1 ms\nduration: 1 ms\n")
    with pytest.raises(ProtocolError) as info:
        load(str(protocol))
    message = str(info.value)
    assert f"{tmp_path / 'badm.yaml'}:3" in message
    assert "undefined symbol 'tau_mm' (did you mean 'tau_m'?)" in message
    assert "(model 'badm', equations)" in message
    assert main(["validate", str(protocol)]) == 2


@pytest.mark.slow
def test_stiff_model_file_at_large_dt_warns_with_model_file_and_equation(tmp_path):
    from neurosim.core.network import Network
    from neurosim.core.neurons.equation import register
    from neurosim.core.simulator import Simulator

    path = tmp_path / "fastm.yaml"
    path.write_text("name: fastm\nequations: 'dx/dt = -x/tau : 1'\nparameters: {tau: 0.04 ms}\ninitial: {x: 1}\n"
                    "method: rk4\n")
    register(load_file(path), replace=True)
    net = Network(seed=0)
    net.add_population("F", 2, "fastm")
    with pytest.warns(NeurosimWarning, match=rf"population 'F' \(model 'fastm', file {path}, method rk4\): dx/dt has "
                                             r"a time constant of 0.04 ms .* > 2.785 \(unstable\)"):
        Simulator(net, dt=2e-4)
    with warnings.catch_warnings():
        warnings.simplefilter("error", NeurosimWarning)
        Simulator(net, dt=1e-5)
