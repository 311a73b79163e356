"""The equation language of neuron and synapse models: Brian2's syntax parsed into sympy
(:mod:`.parse`), dimensions checked against declared units (:mod:`.dimensions`), assembled into a
system (:mod:`.system`), integrated by a stated method (:mod:`.integrate`) and printed as Numba
source (:mod:`.emit`). Imports only :mod:`neurosim.units` and :mod:`neurosim.errors`."""
