"""Nengo 4.1 reference for the PES communication channel of tests/coding/test_pes.py.

Set-up (Nengo's learn_communication_channel example, shortened): stim = sin(2 pi t) -> a (100 LIF);
a -> b decoding 0, learned by PES(learning_rate=1e-4); error ensemble e (100 LIF) = b - target with
target = sin(2 pi t) for t < 5 s and -sin(2 pi t) after; e -> conn.learning_rule; b probed through
a 10 ms lowpass. Nengo defaults everywhere else (LIF, max_rates U(200, 400), intercepts U(-1, 0.9),
LstsqL2(reg=0.1), synapses 5 ms), dt = 1 ms, 10 s. Prints, per seed, the RMS of decoded b minus target
in 0.5 s windows.

Usage: PYTHONPATH=<nengo 4.1> python pes_channel_nengo.py SEED [SEED ...]
Produced tests/reference/pes_channel_nengo.json (Nengo 4.1.0, seeds 1-8, 2026-12-02).
"""
import json
import sys

import nengo
import numpy as np

T, SWITCH, DT, N, LR = 10.0, 5.0, 0.001, 100, 1e-4


def run(seed):
    with nengo.Network(seed=seed) as model:
        stim = nengo.Node(lambda t: np.sin(2 * np.pi * t))
        target = nengo.Node(lambda t: (1.0 if t < SWITCH else -1.0) * np.sin(2 * np.pi * t))
        a, b, e = (nengo.Ensemble(N, 1) for _ in range(3))
        nengo.Connection(stim, a)
        conn = nengo.Connection(a, b, function=lambda x: [0], learning_rule_type=nengo.PES(learning_rate=LR))
        nengo.Connection(b, e)
        nengo.Connection(target, e, transform=-1)
        nengo.Connection(e, conn.learning_rule)
        probe = nengo.Probe(b, synapse=0.01)
    with nengo.Simulator(model, dt=DT, progress_bar=False) as sim:
        sim.run(T)
    t = sim.trange()
    err = sim.data[probe][:, 0] - np.where(t < SWITCH, 1.0, -1.0) * np.sin(2 * np.pi * t)
    return np.sqrt((err.reshape(-1, 500) ** 2).mean(1))


if __name__ == "__main__":
    runs = {int(s): run(int(s)).tolist() for s in sys.argv[1:]}
    print(json.dumps({"source": "tests/reference/pes_channel_nengo.py, Nengo " + nengo.__version__, "window_s": 0.5,
                      "rms_by_seed": runs}))
