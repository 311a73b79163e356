"""Local-rule learning networks on the core: Hopfield, restricted Boltzmann machine, predictive coding.

Each runs on the engine (:mod:`.hopfield`, :mod:`.rbm_network`, :mod:`.pc_engine`); the numpy versions
(:mod:`.rbm`, :mod:`.predictive_coding`) stay as references. The protocol experiments
(``hopfield_recall``, ``hopfield_capacity``, ``rbm_digits``, ``pc_digits``) are in :mod:`.experiments`,
named in :mod:`neurosim.experiment`'s table.
"""
from . import experiments, pc_engine, rbm_network  # noqa: F401  (submodules as attributes: ns.learning.pc_engine)
from .hopfield import Hopfield
from .predictive_coding import PredictiveCodingNetwork
from .rbm import RBM

__all__ = ["RBM", "Hopfield", "PredictiveCodingNetwork"]
