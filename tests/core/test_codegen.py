"""The CodeWriter API: names from components, one header per phase and component, no unused arguments."""
import re

import numpy as np
import pytest

from neurosim.core.codegen import AllCopies, CodeWriter, PerThread
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
    # threads; any other line ends the run, and keeps its place
    w = CodeWriter(threads=3)
    a, b, c = object(), object(), object()
    w.add_lines("propagate", a, PerThread("f(x, _b, 3)"), what="A")
    w.add_lines("propagate", b, PerThread("g(x, _b, 3)"), what="B")
    w.add_lines("propagate", c, "h(x)", what="C")
    w.add_lines("propagate", a, PerThread("k(x, _b, 3)"))
    body = w.source().split("step = step0 + k\n")[1].splitlines()
    indent = CodeWriter.INDENT
    assert body[:5] == [f"{indent}for _b in numba.prange(3):", f"{indent}    # object0 (A): propagate",
                        f"{indent}    f(x, _b, 3)", f"{indent}    # object1 (B): propagate", f"{indent}    g(x, _b, 3)"]
    assert body[5:9] == [f"{indent}# object2 (C): propagate", f"{indent}h(x)", f"{indent}for _b in numba.prange(3):",
                         f"{indent}    k(x, _b, 3)"]
    assert "parallel=True" in w.source()
