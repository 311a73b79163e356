"""Protocols: YAML experiments -> validated specs (``load``) -> simulators (``build``) -> results (``run``)."""
from .build import build
from .load import Protocol, load, loads
from .run import Outcome, run

__all__ = ["Outcome", "Protocol", "build", "load", "loads", "run"]
