"""Brian2 examples/synapses/STDP.py set-up (Song et al. 2000); prints run time and weight histogram.

Usage: python stdp_song2000_brian2.py {cpp_standalone|numpy|cython} DURATION_S SEED
Produced tests/reference/stdp_song2000_brian2.json (Brian2 2.9, cpp_standalone, 2026-12-01)."""
# ruff: noqa
import sys, time, numpy as np
from brian2 import *
target = sys.argv[1]; duration = float(sys.argv[2]); seed_ = int(sys.argv[3])
if target == "cpp_standalone":
    set_device("cpp_standalone", directory=f"b2song_{seed_}")
else:
    prefs.codegen.target = target
seed(seed_)
N = 1000; taum = 10*ms; taupre = 20*ms; taupost = taupre; Ee = 0*mV; vt = -54*mV; vr = -60*mV; El = -74*mV
taue = 5*ms; F = 15*Hz; gmax = .01; dApre = .01; dApost = -dApre * taupre / taupost * 1.05
dApost *= gmax; dApre *= gmax
eqs_neurons = '''dv/dt = (ge * (Ee-v) + El - v) / taum : volt
dge/dt = -ge / taue : 1'''
inp = PoissonGroup(N, rates=F)
neurons = NeuronGroup(1, eqs_neurons, threshold='v>vt', reset='v = vr', method='euler')
S = Synapses(inp, neurons, '''w : 1
dApre/dt = -Apre / taupre : 1 (event-driven)
dApost/dt = -Apost / taupost : 1 (event-driven)''',
             on_pre='''ge += w
Apre += dApre
w = clip(w + Apost, 0, gmax)''', on_post='''Apost += dApost
w = clip(w + Apre, 0, gmax)''')
S.connect()
S.w = 'rand() * gmax'
t0 = time.perf_counter()
run(duration*second)
el = time.perf_counter() - t0
w = np.asarray(S.w[:]) / gmax
print("brian2", target, "wall", el)
print("hist", np.histogram(w, bins=10, range=(0, 1))[0].tolist())
np.save(f"brian_w_{seed_}_{duration}.npy", w)
