"""The agreement tables of ``neurosim compare`` (Brian2 and NEST): one column layout, a result per row."""
from __future__ import annotations

from neurosim.compare import nest_command
from neurosim.compare.command import columns, table


def test_columns_align_titles_and_cells_and_mark_each_row():
    spec = [("name", -6, "{name}"), ("value", 8, lambda row: f"{row['value']:.2f}")]
    lines = columns(spec, [{"name": "a", "value": 1.0, "passed": True}, {"name": "bb", "value": -2.5, "passed": False}])
    assert lines == ["name     value  result",
                     "a         1.00  ok",
                     "bb       -2.50  FAIL"]


def test_brian2_deterministic_table_as_in_the_docs():
    trace = {"population": "HH", "variable": "v", "max_abs": 7.446e-14, "unit": "V", "relative_to_range": 6.41e-13,
             "tolerance": 1e-6, "passed": True}
    gate = {**trace, "variable": "m", "max_abs": 5.64e-13, "unit": "", "relative_to_range": 5.75e-13,
            "tolerance": 1e-5, "passed": False}
    spikes = {"population": "HH", "spikes": [21, 21], "max_count_difference": 0, "max_shift_steps": 0.0,
              "unpaired": 0, "passed": True}
    text = table({"mode": "deterministic", "traces": [trace, gate], "spikes": [spikes]})
    assert text.splitlines() == [
        "population  variable      max |diff|  rel. range    tolerance  result",
        "HH          v           7.446e-14 V     6.41e-13    1.0e-06 V  ok",
        "HH          m           5.640e-13 -     5.75e-13  1.0e-05 rel  FAIL",
        "population  spikes (neurosim / Brian2)      max count diff  max shift (dt)  unpaired  result",
        "HH          21 / 21                                      0             0.0         0  ok"]


def test_nest_statistical_table_leaves_out_metrics_without_means():
    rows = [{"population": "E", "metric": "rate", "mean": [5.2, 5.3], "welch_p": 0.5, "passed": True},
            {"population": "E", "metric": "cv", "mean": None, "welch_p": float("nan"), "passed": True}]
    text = nest_command.table({"mode": "statistical", "seeds": [1, 2], "distributions": rows})
    assert text.splitlines() == [
        "seeds [1, 2] (independent realisations in each simulator)",
        "population metric        mean neurosim  mean NEST  rel. diff   Welch p  result",
        "E          rate                    5.2        5.3     -1.89%       0.5  ok"]
