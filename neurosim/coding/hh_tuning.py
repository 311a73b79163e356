"""Empirical tuning curves of Hodgkin–Huxley neurons, for ensembles of HH neurons.

HH neurons have no closed-form rate, so the rate-current curve ``r(I)`` is measured with the core
simulator: ``N_GRID`` copies of the model, each with a constant ``i_offset`` on a grid of currents
(0 to ``TOP_DENSITY`` times the membrane area), are run from rest for ``SETTLE + WINDOW`` seconds;
the steady rate of each is ``(spikes - 1) / (last - first spike time)`` over the window (0 with
fewer than two spikes). All neurons of one ensemble share the model parameters, so one curve serves
them all (each neuron differs only in gain and bias). ``r(I)`` is piecewise linear between grid
points above the onset current ``I_on`` (the smallest grid current from which every larger one
fires tonically, up to the first silent current: depolarisation block, or spikes too small to cross
the detection threshold) and 0 below it; the squid axon's jump to about 50 Hz at onset (type II) is
kept. Currents beyond the tonic range are not used: max rates must lie inside it.

Gain and bias in amperes put the onset at the intercept and the requested max rate at the radius:
``gain = (I(max_rate) - I_on) / (1 - intercept)``, ``bias = I_on - gain * intercept``; max rates must
lie within the measured range. The measurement uses the time step the ensemble will run with
(``dt``, default 25 us); rates change slightly with it.
"""
from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from ..units import si_floats

N_GRID = 160
TOP_DENSITY = 1.0      # A/m^2 (100 uA/cm^2): below the squid axon's depolarisation block (~155 uA/cm^2)
SETTLE, WINDOW = 0.2, 0.5  # s

_CACHE: dict = {}


class HHTuning:
    """A measured ``r(I)`` curve of one HH model with fixed parameters (currents in A, rates in Hz)."""

    def __init__(self, neuron_type: str, params: dict, currents: np.ndarray, rates: np.ndarray):
        self.neuron_type, self.params = neuron_type, dict(params)
        self.currents, self.measured = currents, rates
        firing = rates > 0
        starts = np.nonzero(firing[:-1] & firing[1:])[0]
        if starts.size == 0:
            raise ParameterError(f"{neuron_type}: tuning curve", "no tonic firing on the current grid",
                                 f"parameters that fire below {TOP_DENSITY} A/m^2 times the area")
        first = starts[0]
        stops = np.nonzero(~firing[first:])[0]
        last = len(rates) if stops.size == 0 else first + stops[0]  # depolarisation block ends the range
        self.onset = currents[first]
        self.on_currents = currents[first:last]
        self.on_rates = np.maximum.accumulate(rates[first:last])  # monotone, so it can be inverted

    def rates(self, j) -> np.ndarray:
        """Steady rate (Hz) for input currents ``j`` (A); beyond the tonic range the last rate holds."""
        j = np.asarray(j, float)
        return np.where(j >= self.onset, np.interp(j, self.on_currents, self.on_rates), 0.0)

    def gain_bias(self, max_rates, intercepts, label: str) -> tuple[np.ndarray, np.ndarray]:
        low, high = self.on_rates[0], self.on_rates[-1]
        bad = (max_rates < low) | (max_rates > high)
        if np.any(bad):
            raise ParameterError(f"{label}: max_rates", float(max_rates[bad][0]),
                                 f"rates within the measured range of {self.neuron_type}: "
                                 f"[{low:.1f}, {high:.1f}] Hz")
        i_max = np.interp(max_rates, self.on_rates, self.on_currents)
        gain = (i_max - self.onset) / (1.0 - intercepts)
        return gain, self.onset - gain * intercepts

    def population(self, name: str, n: int, bias: np.ndarray):
        from ..core.neurons import make_population

        return make_population(self.neuron_type, name, n, params={**self.params, "i_offset": bias})


def measure_tuning(neuron_type: str, params: dict, dt: float) -> HHTuning:
    """Measure (once per model, parameters and ``dt``) the rate-current curve of an HH model."""
    key = (neuron_type, tuple(sorted((k, repr(v)) for k, v in params.items())), float(dt))
    if key not in _CACHE:
        from ..core.network import Network
        from ..core.neurons import make_population
        from ..core.simulator import Simulator

        probe = make_population(neuron_type, "probe", 1, params=dict(params))
        currents = np.linspace(0.0, TOP_DENSITY, N_GRID) * float(probe.params["area"][0])
        with si_floats():  # the grid's currents, dt and durations are SI
            net = Network(seed=0)
            grid = net.add(make_population(neuron_type, "grid", N_GRID, params={**params, "i_offset": currents}))
            net.record_spikes(grid)
            spikes = Simulator(net, dt=dt).run(SETTLE + WINDOW).spikes["grid"]
        rates = np.zeros(N_GRID)
        for i in range(N_GRID):
            times = spikes.of(i)
            times = times[times >= SETTLE]
            if times.size >= 2:
                rates[i] = (times.size - 1) / (times[-1] - times[0])
        _CACHE[key] = HHTuning(neuron_type, params, currents, rates)
    return _CACHE[key]
