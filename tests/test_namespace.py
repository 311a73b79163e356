"""``import neurosim as ns``: the flat public surface, imported lazily."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pint
import pytest

import neurosim as ns
from neurosim.units import to_si


def test_import_neurosim_does_not_import_numba_or_the_layers():
    code = ("import sys, neurosim; "
            "print(sorted(m for m in sys.modules if m == 'numba' or m.startswith('neurosim.core')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_every_public_name_resolves_to_the_object_of_its_module():
    from neurosim.core.network import Network
    from neurosim.core.stimuli import PoissonInput
    from neurosim.protocol import load
    for name in ns.__all__:
        assert getattr(ns, name) is not None, name
    assert ns.Network is Network
    assert ns.PoissonInput is PoissonInput
    assert ns.load is load
    assert ns.io.load.__module__ == "neurosim.io.hdf5"
    assert set(ns.__all__) <= set(dir(ns))


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'Netwrok'"):
        ns.Netwrok  # noqa: B018


@pytest.mark.parametrize(("quantity", "dimension", "si"), [
    (lambda: 20 * ns.ms, "time", 0.02), (lambda: -70 * ns.mV, "voltage", -0.07),
    (lambda: 0.5 * ns.nA, "current", 5e-10), (lambda: 10 * ns.nS, "conductance", 1e-8),
    (lambda: 250 * ns.pF, "capacitance", 2.5e-10), (lambda: 100 * ns.MOhm, "resistance", 1e8),
    (lambda: 5 * ns.kHz, "frequency", 5000.0), (lambda: 3 * ns.us, "time", 3e-6)])
def test_units_are_pint_quantities_converted_by_to_si(quantity, dimension, si):
    value = quantity()
    assert isinstance(value, pint.Quantity)
    assert to_si(value, dimension) == pytest.approx(si, rel=1e-12)


def test_a_quantity_of_the_wrong_dimension_is_refused():
    with pytest.raises(ns.ParameterError, match="tau_m"):
        to_si(20 * ns.mV, "time", name="tau_m")


def test_core_parameters_take_pint_quantities_like_unit_strings():
    def run(amplitude, tau_m):
        net = ns.Network(seed=3)
        cells = net.add_population("E", 3, "lif", params={"tau_m": tau_m})
        net.add(ns.Constant(cells, amplitude=amplitude))
        net.record_state(cells, "v")
        return ns.Simulator(net, dt="0.1 ms").run("10 ms").states["E"]["v"].data
    by_quantity = run(0.6 * ns.nA, 20 * ns.ms)
    assert (by_quantity == run("0.6 nA", "20 ms")).all()
    assert not (by_quantity == run("0.5 nA", "20 ms")).all()


def test_synapse_connect_and_dt_take_units_and_refuse_wrong_dimensions():
    with ns.units.si_floats():
        in_si = ns.Synapse("exp2", tau=5e-3, tau_rise=1e-3, e_rev=-0.08, kind="conductance")
    assert ns.Synapse("exp2", tau="5 ms", tau_rise=1 * ns.ms, e_rev="-80 mV", kind="conductance") == in_si
    with pytest.raises(ns.ParameterError, match="synapse tau"):
        ns.Synapse(tau=5 * ns.mV)

    def run(weight, delay, dt):
        net = ns.Network(seed=7)
        pre = net.add_population("input", 20, "poisson", rate="50 Hz")
        post = net.add_population("E", 5, "lif", receptors={"exc": ns.Synapse(tau="5 ms")})
        net.connect(pre, post, receptor="exc", rule=ns.AllToAll(), weight=weight, delay=delay)
        net.record_state(post, "v")
        return ns.Simulator(net, dt=dt).run("20 ms").states["E"]["v"].data
    by_units = run("0.5 nA", 1 * ns.ms, "0.1 ms")
    with ns.units.si_floats():
        assert np.array_equal(by_units, run(0.5e-9, 1e-3, 1e-4))
    assert not np.array_equal(by_units, run("0.4 nA", 1 * ns.ms, "0.1 ms"))
    net = ns.Network()
    pre = net.add_population("input", 2, "poisson", rate="5 Hz")
    post = net.add_population("E", 2, "lif", receptors={"exc": ns.Synapse(), "g": ns.Synapse(kind="conductance")})
    with pytest.raises(ns.ParameterError, match=r"weight.*current"):
        net.connect(pre, post, receptor="exc", weight="1 nS")
    net.connect(pre, post, receptor="g", weight="1 nS")  # a conductance onto a conductance receptor
    with pytest.raises(ns.ParameterError, match="dt"):
        ns.Simulator(net, dt="0.1 mV")


def test_readme_example_and_quickstart_import_only_neurosim(root):
    import json
    import re

    readme = (root / "README.md").read_text()
    example = re.search(r"api-example.*?```python\n(.*?)```", readme, re.DOTALL).group(1)
    quickstart = "\n".join("".join(cell["source"]) for cell in json.loads(
        (root / "notebooks" / "01_quickstart.ipynb").read_text())["cells"] if cell["cell_type"] == "code")
    for text in (example, quickstart):
        imports = {line.strip() for line in text.splitlines() if re.match(r"\s*(import|from)\s", line)}
        assert imports - {"import numpy as np"} == {"import neurosim as ns"}
