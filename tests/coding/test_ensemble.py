"""Ensembles: gains and biases from max rates and intercepts, encoders, seeds, validation."""
import numpy as np
import pytest

from neurosim.coding import Connection, Ensemble, Node, lif_gain_bias
from neurosim.core.neurons.rate import lif_rate
from neurosim.errors import ParameterError


@pytest.mark.parametrize("radius", [1.0, 2.5])
def test_rates_hit_intercepts_and_max_rates_exactly(radius):
    ens = Ensemble("e", 50, dimensions=3, seed=4, radius=radius)
    at_intercept = (ens.intercepts * radius)[:, None] * ens.encoders  # one point per neuron, on its encoder
    j = np.diag(ens.currents(at_intercept))
    np.testing.assert_allclose(j, 1.0, rtol=1e-9)  # threshold current of the dimensionless LIF
    assert np.all(np.diag(ens.rates(at_intercept - 1e-6 * ens.encoders)) == 0)
    assert np.all(np.diag(ens.rates(at_intercept + 1e-6 * ens.encoders)) > 0)
    at_radius = radius * ens.encoders
    np.testing.assert_allclose(np.diag(ens.rates(at_radius)), ens.max_rates, rtol=1e-9)


def test_gain_bias_formula_against_rate_curve():
    max_rates, intercepts = np.array([50.0, 200.0, 450.0]), np.array([-0.9, 0.0, 0.8])
    gain, bias = lif_gain_bias(max_rates, intercepts, 0.02, 0.002)
    np.testing.assert_allclose(gain * intercepts + bias, 1.0, rtol=1e-12)
    np.testing.assert_allclose(lif_rate(gain + bias), max_rates, rtol=1e-9)


def test_nengo_defaults_and_unit_encoders():
    ens = Ensemble("e", 400, dimensions=2, seed=1)
    assert ens.max_rates.min() >= 200
    assert ens.max_rates.max() < 400
    assert ens.intercepts.min() >= -1
    assert ens.intercepts.max() < 0.9
    np.testing.assert_allclose(np.linalg.norm(ens.encoders, axis=1), 1.0)
    assert ens.eval_points.shape == (1000, 2)  # Nengo: max(clip(500 D, 750, 2500), 2 N)
    assert np.linalg.norm(ens.eval_points, axis=1).max() <= 1.0


def test_seeded_streams_are_reproducible_and_independent():
    a = Ensemble("e", 30, seed=7)
    b = Ensemble("e", 30, seed=7)
    np.testing.assert_array_equal(a.gain, b.gain)
    c = Ensemble("e", 30, seed=7, encoders=np.ones((30, 1)))  # giving encoders leaves the other draws
    np.testing.assert_array_equal(a.intercepts, c.intercepts)
    np.testing.assert_array_equal(a.max_rates, c.max_rates)
    assert not np.array_equal(Ensemble("e", 30, seed=8).intercepts, a.intercepts)


def test_static_decoding_error_matches_nengo():
    """Nengo 4.1, 100 neurons, default LstsqL2: RMSE 0.0063 +- 0.0011 over 10 seeds (REFERENCE_FACTS).
    The mean of 10 seeds has a standard error of about 0.00035: allow 0.0063 +- 0.0012 (about 3.5 s.e.)."""
    rmses = [Connection(Ensemble("e", 100, seed=s), Node("out", None, 1)).rmse for s in range(10)]
    assert abs(np.mean(rmses) - 0.0063) < 0.0012
    assert 0.0004 < np.std(rmses) < 0.0025


@pytest.mark.parametrize(("kwargs", "key"), [
    ({"intercepts": 1.2}, "intercepts"),
    ({"intercepts": -1.5}, "intercepts"),
    ({"intercepts": 1.0}, "intercepts"),
    ({"max_rates": 600.0}, "max_rates"),        # 1/tau_ref = 500 Hz
    ({"max_rates": 500.0}, "max_rates"),
    ({"max_rates": 0.0}, "max_rates"),
    ({"encoders": np.ones((5, 2))}, "encoders"),
    ({"encoders": np.zeros((10, 1))}, "encoders"),
    ({"radius": 0.0}, "radius"),
    ({"neuron_type": "izhikevich"}, "neuron_type"),
])
def test_bad_parameters_raise_parameter_error(kwargs, key):
    with pytest.raises(ParameterError, match=key):
        Ensemble("e", 10, **kwargs)
