"""Results files: HDF5 in the SONATA spike and report layouts with provenance, written atomically."""
from . import sonata
from .hdf5 import load, save

__all__ = ["load", "save", "sonata"]
