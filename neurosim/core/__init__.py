"""The simulation engine: numpy arrays and Numba kernels, no I/O."""
