"""neurosim: spiking and biologically plausible neural simulation."""
from ._version import __version__

__all__ = ["__version__"]
