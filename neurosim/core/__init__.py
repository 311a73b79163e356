"""The simulation engine: numpy arrays and Numba kernels, no I/O."""

from .. import kernel_cache as _kernel_cache

_kernel_cache.prepare()  # checked before any cached kernel is loaded from it
