"""The CodeWriter API: names from components, one header per phase and component, no unused arguments."""
import re

import numpy as np
import pytest

from neurosim.core.codegen import AllCopies, CodeWriter, PerThread, schedule
from neurosim.core.connectivity import FixedProbability
from neurosim.core.network import Network
from neurosim.core.simulator import Simulator
from neurosim.core.synapses import Synapse

pytestmark = pytest.mark.si_floats  # passes SI floats on purpose (opt-in: tests/conftest.py)


def small_network():
    net = Network(seed=1)
    e = net.add_population("E", 20, "lif", receptors={"exc": Synapse("exponential", tau=5e-3, kind="current")})
    net.connect(e, e, receptor="exc", rule=FixedProbability(0.2), weight=1e-11)
    net.record_spikes(e)
    return net


def test_generated_names_headers_and_arguments():
    source = Simulator(small_network(), dt=1e-4).source
    signature = re.search(r"def run_chunk\(step0, n_steps, dt, (.*)\):", source).group(1).split(", ")
    assert "E_v" in signature
    assert "E_to_E_exc_indptr" in signature
    body = source[source.index("def run_chunk"):].split("\n", 1)[1]
    for name in signature:  # every argument is used in the loop
        assert re.search(rf"\b{name}\b", body), name
    assert "E_p_cm" not in signature  # the LIF's homogeneous parameters are literals, not arguments
    assert body.count("# E (model 'lif', 20 neurons, method exact): update") == 1
    assert body.count("# E_to_E_exc (Projection): propagate") == 1


def test_api_refuses_unknown_phase_and_name_clash():
    w = CodeWriter()
    w.add_argument("a_x", np.zeros(3))
    w.add_argument("a_x", np.zeros(3))  # the same value again is fine
    with pytest.raises(ValueError, match="name clash"):
        w.add_argument("a_x", np.ones(3))
    with pytest.raises(ValueError, match="unknown phase"):
        w.add_lines("updat", None, "pass")


def test_batched_argument_used_only_by_an_all_copies_line_is_passed():
    """Unused arguments are dropped from the signature; an array a batched loop reads only as
    ``<name>__copies`` (in an :class:`AllCopies` line) is used, so it stays, under that name."""

    class Part:
        name = "P"

    w, part = CodeWriter(), Part()
    w.batch = 2
    target = w.copies(np.zeros((2, 3)))
    w.add_argument(w.ref(part, "target"), target)
    w.add_argument(w.ref(part, "unused"), np.zeros(3))
    w.add_lines("input", part, AllCopies(f"{w.ref(part, 'target')}__copies += 1.0"))
    source = w.source()
    signature = next(line for line in source.splitlines() if line.startswith("def run_chunk"))
    assert "P_target__copies" in signature
    assert "P_unused" not in signature
    assert "P_target__copies += 1.0" in source
    assert "for _copy" not in source  # the AllCopies line runs once, outside the per-copy loop


def test_per_thread_lines_run_in_one_parallel_region():
    # consecutive PerThread lines (their header comments included) share one prange over the
    # threads: the split groups on every thread, then each thread's whole groups (0, 1); any other
    # line ends the run and keeps its place; serial=True writes the loop without threads
    w = CodeWriter(threads=2)
    a, b, c, d = object(), object(), object(), object()
    w.add_lines("propagate", a, PerThread("f(x, _b, 2)", "x", rows=10, synapses=1e6), what="A")
    w.add_lines("propagate", b, PerThread("g(y, _b, 2)", "y", rows=10, synapses=10), what="B")
    w.add_lines("propagate", d, PerThread("m(z, _b, 2)", "z", rows=10, synapses=10), what="D")
    w.add_lines("propagate", c, "h(x)", what="C")
    w.add_lines("propagate", a, PerThread("k(x, _b, 2)", "x", rows=10, synapses=1e6))
    body = w.source().split("step = step0 + k\n")[1].splitlines()
    indent = CodeWriter.INDENT
    assert [line.removeprefix(indent) for line in body[:9]] == [
        "for _b in numba.prange(2):", "    # object0 (A): propagate", "    f(x, _b, 2)",
        "    if _b == 0:", "        # object1 (B): propagate", "        g(y, 0, 1)",
        "    if _b == 1:", "        # object2 (D): propagate", "        m(z, 0, 1)"]
    assert body[9:13] == [f"{indent}# object3 (C): propagate", f"{indent}h(x)", f"{indent}for _b in numba.prange(2):",
                          f"{indent}    k(x, _b, 2)"]
    assert "parallel=True" in w.source()
    serial = w.source(serial=True)
    assert "prange" not in serial
    assert "parallel=True" not in serial
    assert "_b" not in serial
    assert [line.strip() for line in serial.split("step = step0 + k\n")[1].splitlines()][1:9:2] == [
        "f(x, 0, 1)", "g(y, 0, 1)", "m(z, 0, 1)", "h(x)"]


def test_schedule_splits_what_dominates_and_places_the_rest_whole():
    # CUBA at N = 100 000 (80 synapses per neuron): the E -> E group (a third of the rows, 64 % of
    # the synapses) runs whole on one thread, the three others on the second; results do not
    # depend on it (each array is written by one thread), only the makespan does
    def line(group, rows, synapses):
        return PerThread(f"p({group}, _b, 2)", group, rows, synapses)

    cuba = [line("E_z[0]", 80_000, 5.12e6), line("I_z[0]", 80_000, 1.28e6), line("E_z[1]", 20_000, 1.28e6),
            line("I_z[1]", 20_000, 0.32e6)]
    assert schedule(cuba, 2) == (set(), {"E_z[0]": 0, "I_z[0]": 1, "E_z[1]": 1, "I_z[1]": 1})
    # one group alone: split (each thread adds its targets)
    assert schedule(cuba[:1], 2) == ({"E_z[0]"}, {})
    # a group of many synapses and few rows next to small ones: split, the small ones whole
    heavy = [line("a", 100, 1e8), line("b", 100, 1e3), line("c", 100, 1e3)]
    split, placed = schedule(heavy, 2)
    assert split == {"a"}
    assert set(placed) == {"b", "c"}
    assert placed["b"] != placed["c"]
    # lines of one group (two projections onto one receptor) are one unit of the schedule
    twice = [line("a", 100, 1e3), line("b", 100, 1e3), line("a", 100, 1e3)]
    assert schedule(twice, 2) == (set(), {"a": 0, "b": 1})
