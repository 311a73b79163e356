"""Rate-based deep-learning baselines in plain numpy: autodiff, layers, models and their experiments.

Importing this package registers the ``baseline_*`` experiments with :mod:`neurosim.experiment`.
"""
from . import experiments  # noqa: F401  (registers the experiments)
