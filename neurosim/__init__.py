"""neurosim: spiking and biologically plausible neural simulation."""
__version__ = "0.1.0"
