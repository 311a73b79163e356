"""neurosim: spiking and biologically plausible neural simulation.

The public surface, flat: ``import neurosim as ns``, then ``ns.Network``, ``ns.Simulator``,
``ns.Synapse``, the connection rules (``ns.FixedProbability``, ...), stimuli (``ns.Constant``,
``ns.PoissonInput``, ...), monitors, equation models (``ns.Model``, ``ns.SynapseModel``), protocols
(``ns.load``, ``ns.run``), the subpackages ``ns.io``, ``ns.units``, ``ns.coding``, ``ns.learning``,
``ns.analysis``, and units as pint quantities (``20 * ns.ms``, ``-70 * ns.mV``).

Names are imported on first use (PEP 562), so ``import neurosim`` does not import Numba, and
this module, the top of the layer stack, imports nothing from the layers below it eagerly.
"""
import importlib

from . import kernel_cache as _kernel_cache
from ._version import __version__

_kernel_cache.point_numba()  # before any neurosim module imports numba

#: Public name -> (module, attribute); attribute None: the module itself.
_LAZY = {
    # core engine
    "Network": ("neurosim.core.network", "Network"),
    "Population": ("neurosim.core.population", "Population"),
    "Simulator": ("neurosim.core.simulator", "Simulator"),
    "Synapse": ("neurosim.core.synapses", "Synapse"),
    "Results": ("neurosim.core.results", "Results"),
    # connection rules
    "AllToAll": ("neurosim.core.connectivity", "AllToAll"),
    "OneToOne": ("neurosim.core.connectivity", "OneToOne"),
    "FixedProbability": ("neurosim.core.connectivity", "FixedProbability"),
    "FixedIndegree": ("neurosim.core.connectivity", "FixedIndegree"),
    "Explicit": ("neurosim.core.connectivity", "Explicit"),
    "DenseMatrix": ("neurosim.core.connectivity", "DenseMatrix"),
    # stimuli and sources
    "Constant": ("neurosim.core.stimuli", "Constant"),
    "Step": ("neurosim.core.stimuli", "Step"),
    "Ramp": ("neurosim.core.stimuli", "Ramp"),
    "Sine": ("neurosim.core.stimuli", "Sine"),
    "TimeSeries": ("neurosim.core.stimuli", "TimeSeries"),
    "OUNoise": ("neurosim.core.stimuli", "OUNoise"),
    "PoissonInput": ("neurosim.core.stimuli", "PoissonInput"),
    "PoissonSource": ("neurosim.core.neurons.sources", "PoissonSource"),
    "SpikeSource": ("neurosim.core.neurons.sources", "SpikeSource"),
    # monitors
    "SpikeMonitor": ("neurosim.core.monitors", "SpikeMonitor"),
    "StateMonitor": ("neurosim.core.monitors", "StateMonitor"),
    "RateMonitor": ("neurosim.core.monitors", "RateMonitor"),
    # equation-defined models
    "Model": ("neurosim.core.neurons.equation", "Model"),
    "SynapseModel": ("neurosim.core.neurons.equation", "SynapseModel"),
    "register": ("neurosim.core.neurons.equation", "register"),
    "lif_rate": ("neurosim.core.neurons.rate", "lif_rate"),
    # protocols
    "load": ("neurosim.protocol", "load"),
    "loads": ("neurosim.protocol", "loads"),
    "run": ("neurosim.protocol", "run"),
    "build": ("neurosim.protocol", "build"),
    # errors
    "NeurosimError": ("neurosim.errors", "NeurosimError"),
    "ParameterError": ("neurosim.errors", "ParameterError"),
    "NeurosimWarning": ("neurosim.errors", "NeurosimWarning"),
    # subpackages
    "analysis": ("neurosim.analysis", None),
    "coding": ("neurosim.coding", None),
    "plotting": ("neurosim.plotting", None),
    "core": ("neurosim.core", None),
    "errors": ("neurosim.errors", None),
    "io": ("neurosim.io", None),
    "learning": ("neurosim.learning", None),
    "protocol": ("neurosim.protocol", None),
    "rng": ("neurosim.rng", None),
    "units": ("neurosim.units", None),
}
_UNITS = ("second", "ms", "us", "Hz", "kHz", "volt", "mV", "amp", "nA", "pA", "siemens", "nS", "uS",
          "farad", "nF", "pF", "ohm", "MOhm", "GOhm")
_LAZY.update({unit: ("neurosim.units", unit) for unit in _UNITS})

__all__ = ["__version__", *(str(name) for name in _LAZY)]


def __getattr__(name: str):
    try:
        module, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'neurosim' has no attribute {name!r}") from None
    value = importlib.import_module(module)
    if attribute is not None:
        value = getattr(value, attribute)
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
