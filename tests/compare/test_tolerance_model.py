"""One tolerance model: the comparison's ``Tolerances`` are the protocol's ``compare:`` block."""
import dataclasses

from neurosim.compare.command import tolerances_of
from neurosim.compare.metrics import Tolerances
from neurosim.protocol.schema import Compare


def test_tolerances_have_the_fields_and_defaults_of_the_compare_block():
    block = Compare().model_dump()
    assert (block.pop("mode"), block.pop("same_network")) == ("auto", False)
    assert dataclasses.asdict(Tolerances()) == block


def test_a_protocol_block_becomes_the_same_tolerances():
    mode, same, tolerances = tolerances_of(type("Spec", (), {"compare": Compare(voltage="1 uV", seeds=7)})())
    assert (mode, same) == ("auto", False)
    assert tolerances == Tolerances(voltage=1e-6, seeds=7)
