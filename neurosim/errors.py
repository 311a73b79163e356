"""The project's error types: each carries what a user needs to act on it."""
from __future__ import annotations

import difflib


def did_you_mean(name: str, choices) -> str:
    """A " (did you mean 'x'?)" hint for a misspelt name, or "" when nothing is close."""
    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


class NeurosimError(Exception):
    """Base class of every error neurosim raises on purpose."""


class ParameterError(NeurosimError, ValueError):
    """A model, network or solver parameter is invalid; raised before any simulation starts.

    ``name`` is the parameter (with its owner, e.g. ``"pop 'E': tau_m"``), ``value`` what was
    given and ``expected`` what would be accepted. ``owner`` (e.g. ``("population", "E")``) and
    ``key`` (e.g. ``"params.tau_m"``) locate the value structurally, so that the protocol layer
    can point at the YAML entry without reading the message (Nengo's ``ValidationError(attr, obj)``).
    """

    def __init__(self, name: str, value, expected: str, *, owner: tuple[str, str] | None = None,
                 key: str | None = None):
        self.name, self.value, self.expected = name, value, expected
        self.owner, self.key = owner, key
        super().__init__(f"{name} = {value!r}: expected {expected}")


class ProtocolError(NeurosimError):
    """A YAML protocol or model file is invalid; points at file, line and key path."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None,
                 key_path: str | None = None):
        self.file, self.line, self.key_path, self.message = file, line, key_path, message
        where = ""
        if file is not None:
            where = f"{file}:{line}: " if line is not None else f"{file}: "
        key = f"{key_path}: " if key_path else ""
        super().__init__(f"{where}{key}{message}")


class OutputError(NeurosimError):
    """A results file or output directory cannot be written or read; names the file."""

    def __init__(self, message: str, file: str | None = None):
        self.file, self.message = file, message
        super().__init__(f"{file}: {message}" if file is not None else message)


class SimulationError(NeurosimError, RuntimeError):
    """The state of a running simulation became invalid (NaN or infinite values)."""

    def __init__(self, message: str, time: float | None = None, population: str | None = None,
                 index: int | None = None):
        self.time, self.population, self.index = time, population, index
        super().__init__(message)


class CheckpointError(NeurosimError):
    """A checkpoint cannot be written or restored: unreadable file, or a checkpoint of a different
    network, time step or neurosim version (restoring it would continue a different run)."""

class NeurosimWarning(UserWarning):
    """Base of every warning neurosim issues (``warnings.filterwarnings("ignore", category=...)``
    on this class silences them all)."""


class TimeGridWarning(NeurosimWarning):
    """A time (spike time, delay, refractory period) is not a whole number of steps of ``dt`` and
    was converted to steps by the stated rule."""


class DriveWarning(NeurosimWarning):
    """An input the model represents only approximately, e.g. a spike probability per step
    ``rate * dt`` above 0.1 on a population that can emit one spike per step."""
