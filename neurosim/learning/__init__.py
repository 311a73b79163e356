"""Local-rule learning networks on the core: Hopfield, restricted Boltzmann machine, predictive coding.

Importing this package registers the ``hopfield_recall``, ``hopfield_capacity``, ``rbm_digits`` and
``pc_digits`` experiments with :mod:`neurosim.experiment`.
"""
from . import experiments  # noqa: F401  (registers the experiments)
from .hopfield import Hopfield
from .predictive_coding import PredictiveCodingNetwork
from .rbm import RBM

__all__ = ["RBM", "Hopfield", "PredictiveCodingNetwork"]
