"""Results files: HDF5 in the SONATA spike and report layouts with provenance, written atomically."""
from . import sonata
from .hdf5 import load, save


def to_neo(results):
    """A Neo ``Block`` of ``results`` (``neurosim[neo]``; see :mod:`neurosim.io.neo`)."""
    from .neo import to_neo as convert  # optional dependency, imported on use
    return convert(results)


def to_nwb(results, path):
    """Write ``results`` as an NWB file (``neurosim[nwb]``; see :mod:`neurosim.io.nwb`); returns its path."""
    from .nwb import to_nwb as convert  # optional dependency, imported on use
    return convert(results, path)


__all__ = ["load", "save", "sonata", "to_neo", "to_nwb"]
