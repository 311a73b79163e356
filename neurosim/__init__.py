"""neurosim: spiking and biologically plausible neural simulation."""
__version__ = "0.1.0"

from . import kernel_cache as _kernel_cache

_kernel_cache.point_numba()  # before any neurosim module imports numba
