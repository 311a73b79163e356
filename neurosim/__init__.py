"""neurosim: spiking and biologically plausible neural simulation."""
from ._version import __version__
from . import kernel_cache as _kernel_cache

_kernel_cache.point_numba()  # before any neurosim module imports numba

__all__ = ["__version__"]
