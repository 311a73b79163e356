"""The mutations: each changes one exact snippet of one file of ``neurosim`` and names the
tests that must fail when it is applied. Snippets must occur exactly once in their file."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mutation:
    name: str
    file: str
    original: str
    replacement: str
    tests: tuple[str, ...]
    what: str


COBA = "tests/compare/test_coba_neuron.py"
STATISTICS = "tests/core/test_statistics.py"
LIF = "tests/core/test_lif.py"
DOPRI5 = "tests/equations/test_dopri5.py::test_error_estimate_is_fifth_order_on_a_linear_decay"

MUTATIONS = [
    Mutation("fixed_probability_skips_post_0", "neurosim/core/connectivity.py",
             "        i += 1\n        j = -1\n", "        i += 1\n        j = 0\n", (STATISTICS,),
             "the fixed-probability sampler never picks post 0 after the first row and shifts those columns by one"),
    Mutation("coba_current_halved", "neurosim/core/neurons/equation.py",
             'output = f"{g}*(e_rev - v)"', 'output = f"0.5*{g}*(e_rev - v)"', (COBA,),
             "conductance receptors drive half their current g (e_rev - v)"),
    Mutation("delayed_weight_sign", "neurosim/core/connectivity.py",
             "                target[indices[s]] += count * weights[s]",
             "                target[indices[s]] -= count * weights[s]",
             (COBA,), "delayed spikes subtract their weights"),
    Mutation("ring_slot_one_late", "neurosim/core/connectivity.py",
             "target = ring[(step + uniform_delay) % length, receptor]",
             "target = ring[(step + uniform_delay + 1) % length, receptor]", (COBA, LIF),
             "uniform delays write one ring slot too late (off by one in the ring buffer)"),
    Mutation("reset_to_v_rest", "neurosim/models/neurons/lif.yaml",
             "reset: v = v_reset", "reset: v = v_rest", (COBA,),
             "LIF resets to v_rest instead of v_reset"),
    Mutation("threshold_raised", "neurosim/models/neurons/lif.yaml",
             "threshold: v > v_thresh", "threshold: v > v_thresh + 0.1*mV", (COBA,),
             "LIF threshold 0.1 mV too high"),
    Mutation("receptor_propagator_1_percent", "neurosim/core/synapses.py",
             "phi=scipy.linalg.expm(a_matrix * dt)", "phi=scipy.linalg.expm(a_matrix * dt * 1.01)", (COBA,),
             "receptor states decay over 1.01 dt per step"),
    Mutation("peak_normalisation", "neurosim/core/synapses.py",
             "b.append(b_unit / synapse.peak())", "b.append(b_unit / synapse.peak() * 1.05)", (COBA, LIF),
             "weights 5 % above their peak amplitude"),
    Mutation("exp2_sign", "neurosim/core/synapses.py",
             "np.array([1.0, -1.0])", "np.array([1.0, 1.0])", (LIF,),
             "exp2 kernel adds its rise exponential instead of subtracting it"),
    Mutation("arrivals_overwrite", "neurosim/core/synapses.py",
             "z[s, i] += scale * arriving[i]", "z[s, i] = scale * arriving[i]", (COBA,),
             "delivered weights replace the receptor state instead of adding to it"),
    Mutation("fixed_indegree_multapses", "neurosim/core/connectivity.py",
             "if stamp[t] == j:\n                t = m", "if stamp[t] == j:\n                t = t", (STATISTICS,),
             "Floyd's sampler of fixed in-degree keeps a partner drawn twice (multapses)"),
    Mutation("autapses_kept", "neurosim/core/connectivity.py",
             "keep = pre != post", "keep = pre >= 0", (STATISTICS,),
             "allow_autapses=False keeps the autapses"),
    Mutation("hh_k_conductance_cubic", "neurosim/models/neurons/hh_squid.yaml",
             "g_k*n**4*(e_k - v)", "g_k*n**3*(e_k - v)", ("tests/core/test_hh.py",),
             "HH potassium conductance n^3 instead of n^4"),
    Mutation("refractory_one_step_longer", "neurosim/core/neurons/equation.py",
             'self.ref_time = to_steps(duration, dt, "refractory", owner) * dt',
             'self.ref_time = (to_steps(duration, dt, "refractory", owner) + 1) * dt', (COBA,),
             "refractory periods one step longer"),
    Mutation("poisson_one_spike_per_step", "neurosim/core/neurons/sources.py",
             "            counts[found] = c\n", "            counts[found] = 1\n", (STATISTICS,),
             "Poisson sources capped at one spike per step (the old behaviour)"),
    Mutation("poisson_pmf", "neurosim/core/neurons/sources.py",
             "term *= mean / count", "term *= mean / (count + 1)", (STATISTICS,),
             "the Poisson count's inversion uses a wrong probability mass function"),
    Mutation("dopri5_error_weight", "neurosim/equations/integrate.py",
             "sympy.Rational(71, 1920),", "sympy.Rational(71, 1921),", (DOPRI5,),
             "one weight of dopri5's error estimate 0.05 % off (the estimate becomes first order)"),
]
