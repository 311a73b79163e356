"""Population coding with the Neural Engineering Framework, built on :mod:`neurosim.core`.

Ensembles (encoders, gains and biases from max rates and intercepts), decoders by regularised least
squares, factored connections computing functions, recurrent dynamics, probes and a small model
builder. Importing this package registers the ``nef_*`` experiments with :mod:`neurosim.experiment`.
"""
from .connection import PES, Connection
from .ensemble import Ensemble, lif_gain_bias
from .model import Model, ModelData
from .node import Node
from .solvers import LstsqL2

__all__ = ["PES", "Connection", "Ensemble", "LstsqL2", "Model", "ModelData", "Node", "lif_gain_bias"]
from . import experiments  # noqa: F401  (registers the nef_* experiments)
