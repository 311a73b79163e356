"""Brunel (2000) model A in NEST 3.10 with the conventions of pynest/examples/brunel_delta_nest.py.

Usage: python brunel_nest.py V_RESET_MV SIMTIME_MS SEED (run it in its own process: NEST and
neurosim's Numba do not share one). Prints the E rate after 0, 100 and 200 ms.
"""
import sys
import time

import nest
import numpy as np

v_reset, simtime, seed = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
nest.set_verbosity("M_WARNING")
nest.ResetKernel()
nest.SetKernelStatus({"resolution": 0.1, "rng_seed": seed, "local_num_threads": 1})
order = 2500
NE, NI = 4 * order, order
CE, CI = NE // 10, NI // 10
J, g, eta, delay, tau, theta = 0.1, 5.0, 2.0, 1.5, 20.0, 20.0
params = {"C_m": 1.0, "tau_m": tau, "t_ref": 2.0, "E_L": 0.0, "V_reset": v_reset, "V_m": 0.0, "V_th": theta}
nu_th = theta / (J * CE * tau)
p_rate = 1000.0 * eta * nu_th * CE
t0 = time.time()
ex = nest.Create("iaf_psc_delta", NE, params=params)
inh = nest.Create("iaf_psc_delta", NI, params=params)
noise = nest.Create("poisson_generator", params={"rate": p_rate})
rec = nest.Create("spike_recorder")
nest.CopyModel("static_synapse", "excitatory", {"weight": J, "delay": delay})
nest.CopyModel("static_synapse", "inhibitory", {"weight": -g * J, "delay": delay})
nest.Connect(noise, ex + inh, syn_spec="excitatory")
nest.Connect(ex, ex + inh, {"rule": "fixed_indegree", "indegree": CE}, "excitatory")
nest.Connect(inh, ex + inh, {"rule": "fixed_indegree", "indegree": CI}, "inhibitory")
nest.Connect(ex, rec)
t1 = time.time()
nest.Simulate(simtime)
t2 = time.time()
ev = rec.get("events")
times = np.asarray(ev["times"])
for start in (0.0, 100.0, 200.0):
    n = np.sum(times >= start)
    print(f"v_reset {v_reset} seed {seed}: E rate after {start} ms: {n / NE / ((simtime - start) / 1000):.3f} Hz")
print(f"build {t1 - t0:.1f} s, simulate {t2 - t1:.1f} s, p_rate {p_rate} Hz")
