"""The ``si_floats`` mark (tests/conftest.py): tests follow the unit rule unless they opt in."""
import pytest

from neurosim.core.synapses import Synapse
from neurosim.errors import ParameterError


def test_an_unmarked_test_follows_the_unit_rule():
    with pytest.raises(ParameterError, match=r"synapse tau = 0\.005: expected a time with a unit"):
        Synapse("exponential", 5e-3)
    assert Synapse("exponential", "5 ms").tau == pytest.approx(5e-3)


@pytest.fixture(scope="module")
def synapse_of_module() -> Synapse:
    return Synapse("exponential", 2e-3)  # built in the setup of the first (marked) test using it


@pytest.mark.si_floats
def test_a_marked_test_and_its_module_fixtures_take_si_floats(synapse_of_module):
    assert Synapse("exponential", 5e-3).tau == 5e-3
    assert synapse_of_module.tau == 2e-3


def test_the_mark_ends_with_its_test():
    with pytest.raises(ParameterError, match="bare numbers are SI only inside"):
        Synapse("alpha", 1e-3)
