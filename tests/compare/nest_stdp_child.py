"""NEST side of tests/compare/test_nest_stdp.py (run as a child process: NEST and Numba must not
share one). Reads a JSON description on stdin, prints the final ``stdp_synapse`` weights as JSON.

Per synapse k: spike_generator -> parrot_neuron (pre_k) and spike_generator -> parrot_neuron
(post_k), each through a 1-step static connection; pre_k -> post_k through ``stdp_synapse`` on
receptor port 1, which a parrot does not repeat, so the post train is exactly the one given.
``tau_minus`` is a parameter of the post neuron in NEST."""
import json
import sys

import nest
import numpy as np

spec = json.load(sys.stdin)
nest.set_verbosity("M_ERROR")
nest.ResetKernel()
nest.resolution = spec["dt"]
n = spec["n"]
pre = nest.Create("parrot_neuron", n)
post = nest.Create("parrot_neuron", n, params={"tau_minus": spec["tau_minus"]})
for nodes, trains in ((pre, spec["pre"]), (post, spec["post"])):
    generators = nest.Create("spike_generator", n)
    for generator, times in zip(generators, trains, strict=True):
        generator.spike_times = times
    nest.Connect(generators, nodes, "one_to_one", {"delay": spec["dt"]})
syn = {"synapse_model": "stdp_synapse", "weight": spec["w0"], "delay": spec["delay"], "receptor_type": 1,
       **{key: spec[key] for key in ("tau_plus", "lambda", "alpha", "mu_plus", "mu_minus", "Wmax")}}
nest.Connect(pre, post, "one_to_one", syn)
nest.Simulate(spec["duration"])
connections = nest.GetConnections(pre, post)
order = np.argsort(np.asarray(connections.get("source")))
print(json.dumps(np.asarray(connections.get("weight"), float)[order].tolist()))
