"""The COBA network (protocols/coba.yaml, Brette et al. 2007) in neurosim and in the Brian2 model
written from the protocol: independent realisations (own connectivity, initial values) on each
side, compared by Welch's t-test on realisation means of rate and ISI CV (level 0.01).

Four 300 ms realisations per side keep it within the test budget; the E rate's detectable
difference is then about 30 % (measured): a coarse check. ``neurosim compare protocols/coba.yaml``
runs the full second with 5 seeds."""
from __future__ import annotations

import pathlib

import pytest

from neurosim.compare.brian2_protocol import ProtocolModel
from neurosim.compare.metrics import Tolerances, statistical_agreement
from neurosim.protocol import build, load

pytestmark = [pytest.mark.slow, pytest.mark.si_floats]  # Brian2/NEST comparison runs

PROTOCOL = pathlib.Path(__file__).resolve().parents[2] / "protocols" / "coba.yaml"
SEEDS = (1, 2, 3, 4)
SETS = ["duration=300 ms", "record.states=[]", "record.rates=[]", "plots=[]", "analyses=[]"]


@pytest.mark.slow
def test_coba_realisations_agree_with_independent_brian2():
    ours, reference = [], []
    for seed in SEEDS:
        protocol = load(PROTOCOL, sets=SETS, seed=seed)
        ours.append(build(protocol).run(protocol.spec.duration))
        reference.append(ProtocolModel(protocol).run(seed, codegen="numpy"))
    report = statistical_agreement(ours, reference, Tolerances(window=(0.05, 0.3)))
    rows = {(row["population"], row["metric"]): row for row in report["realisations"]}
    assert 5 < rows["E", "rate"]["mean"][1] < 40, rows["E", "rate"]  # Brian2's COBA: about 15-20 Hz
    assert report["passed"], report["realisations"]
    assert rows["E", "rate"]["detectable"] < 0.5, rows["E", "rate"]  # measured 0.30: 4 short realisations
