"""``neurosim validate`` and ``neurosim run`` share one validation path (issue 13): the same bad value
gets the same located error (file:line: key: message) from both, and ``run`` writes nothing."""
from __future__ import annotations

import re

import pytest

from neurosim.cli import main

LOCATED = re.compile(r"^neurosim: error: (?P<where>[^:\n]+:\d+: [^\n]*)$", re.MULTILINE)


UNIFORM_V = "{distribution: uniform, low: -60 mV, high: -50 mV}}\n    I:"


@pytest.mark.parametrize(("old", "new", "key"), [
    ("tau_m: 20 ms", "tau_m: -20 ms", "network.populations.E.params.tau_m"),        # a model constraint
    ("tau_refrac: 5 ms}", "tau_refrac: -5 ms}", "network.populations.E.params.tau_refrac"),
    ("tau_m: 20 ms", "tau_mem: 20 ms", "network.populations.E.params.tau_mem"),     # an unknown parameter
    ("tau_m: 20 ms", "tau_m: 20 mV", "network.populations.E.params.tau_m"),        # its dimension
    ("p: 0.08}, weight: 0.081 nA}", "p: 1.5}, weight: 0.081 nA}", "network.connections.0.rule.p"),  # a rule
    ("low: -60 mV, high: -50 mV}}\n    I:", "low: -60 mV, high: -70 mV}}\n    I:",
     "network.populations.E.initial.v.high"),                                      # a distribution's constraint
    (UNIFORM_V, "{distribution: normal, mean: -55 mV, std: -1 mV}}\n    I:", "network.populations.E.initial.v.std"),
    (UNIFORM_V, "{distribution: unifrom, low: -60 mV, high: -50 mV}}\n    I:",
     "network.populations.E.initial.v.distribution"),                              # an unknown distribution
    ("{type: isi_cv, population: E}", "{type: isi_cv, population: X}", "analyses.0.population"),
    ("dt: 0.1 ms", "dt: -0.1 ms", "dt"),
])
def test_validate_and_run_give_the_same_located_error(tmp_path, capsys, small_protocol_text, old, new, key):
    assert old in small_protocol_text
    path = tmp_path / "bad.yaml"
    path.write_text(small_protocol_text.replace(old, new, 1))
    errors = []
    for command in (["validate", str(path)], ["run", str(path), "-o", str(tmp_path / "out")]):
        status = main(command)
        err = capsys.readouterr().err
        assert status == 2, err
        errors.append(LOCATED.search(err))
    validate, run = errors
    assert validate is not None
    assert run is not None
    assert validate["where"] == run["where"]
    assert f": {key}: " in validate["where"]
    assert not (tmp_path / "out").exists()
