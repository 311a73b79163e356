"""Synaptic kernels: unit area, analytic shape, peak normalisation, exact propagator."""
import numpy as np
import pytest
import scipy.integrate
import scipy.linalg

from neurosim.core.synapses import Synapse, make_bank
from neurosim.errors import ParameterError

pytestmark = pytest.mark.si_floats  # passes SI floats on purpose (opt-in: tests/conftest.py)

KERNELS = [Synapse("exponential", "5 ms"), Synapse("alpha", "3 ms"), Synapse("exp2", "10 ms", tau_rise="2 ms")]


@pytest.mark.parametrize("synapse", KERNELS, ids=lambda s: s.kernel)
def test_kernel_has_unit_area(synapse):
    area, _ = scipy.integrate.quad(synapse.kernel_values, 0, 60 * synapse.tau, limit=200)
    assert area == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize("synapse", KERNELS, ids=lambda s: s.kernel)
def test_linear_system_reproduces_kernel(synapse):
    a, b, c = synapse.system()
    for t in (0.0, 1e-3, 4e-3, 2e-2):
        assert c @ scipy.linalg.expm(a * t) @ b == pytest.approx(float(synapse.kernel_values(t)), rel=1e-12, abs=1e-12)


def test_peak_time_and_value_match_closed_forms():
    alpha = Synapse("alpha", 3e-3)
    assert alpha.peak() == pytest.approx(1 / (np.e * 3e-3), rel=1e-12)
    exp2 = Synapse("exp2", 10e-3, tau_rise=2e-3)
    grid = np.linspace(0, 0.05, 500001)
    values = exp2.kernel_values(grid)
    assert exp2.peak_time() == pytest.approx(grid[values.argmax()], abs=1e-7)
    assert exp2.peak() == pytest.approx(values.max(), rel=1e-9)


def test_bank_rows_and_exact_decay():
    receptors = {"exc": Synapse("exponential", 5e-3, kind="conductance", e_rev=0.0),
                 "inh": Synapse("alpha", 10e-3, kind="conductance", e_rev=-80e-3),
                 "cur": Synapse("exponential", 2e-3)}
    bank = make_bank(receptors, 1e-4)
    assert bank.n_rows == 4
    assert bank.has_conductance
    np.testing.assert_array_equal(bank.rows("inh"), [1, 2])
    assert bank.phi[0, 0] == pytest.approx(np.exp(-1e-4 / 5e-3), rel=1e-14)
    assert bank.ge_coef[2] == pytest.approx(-80e-3)
    assert bank.i_coef[3] == 1
    assert bank.g_coef[3] == 0


@pytest.mark.parametrize(("kwargs", "name"), [({"tau": -1e-3}, "tau"), ({"tau": 0.0}, "tau"),
                                          ({"kernel": "exp2", "tau": 1e-3, "tau_rise": 2e-3}, "tau_rise"),
                                          ({"kernel": "expo"}, "kernel"), ({"kind": "conductnce"}, "kind")])
def test_bad_synapse_parameters_raise(kwargs, name):
    with pytest.raises(ParameterError, match=name):
        Synapse(**kwargs)


def test_misspelt_kernel_gets_a_suggestion():
    with pytest.raises(ParameterError, match="did you mean 'exponential'"):
        Synapse("exponentail")
