"""The protocol schema (pydantic v2, unknown keys forbidden).

Quantities whose dimension is fixed (``dt``, ``duration``, synaptic time constants, ...) are
converted to SI floats here. Values whose dimension depends on the model (neuron parameters,
initial values, weights, stimulus amplitudes) stay raw in this layer and are converted by
``protocol.load`` once the model is known.
"""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, NonNegativeInt, PositiveInt

from ..errors import ParameterError
from ..units import DIMENSIONS, to_si, ureg


def dimension_of(value) -> str | None:
    """The name of the dimension of a quantity string (``"2 mV"`` -> ``"voltage"``), if it has one we know."""
    try:
        quantity = ureg.Quantity(str(value))
    except Exception:  # noqa: BLE001 (pint raises several unrelated types for bad text)
        return None
    for name, unit in DIMENSIONS.items():
        if getattr(quantity, "dimensionality", None) == ureg.Quantity(1.0, unit).dimensionality:
            return name
    return None


def explain(exc: ParameterError) -> str:
    """``'<value>' is not valid: expected ...`` with the given value's dimension named when known."""
    expected = exc.expected.split(", got ")[0] if ", got " in exc.expected else exc.expected
    got = dimension_of(exc.value) if isinstance(exc.value, str) else None
    return f"{exc.value!r} is not valid: expected {expected}" + (f", got a {got}" if got else "")


def _quantity(dimension: str, positive: bool = False):
    def convert(value):
        try:
            si = to_si(value, dimension, dimension)
        except ParameterError as exc:
            raise ValueError(explain(exc)) from None
        if positive and not si > 0:
            raise ValueError(f"{value!r} is not valid: expected a {dimension} > 0")
        return si

    return BeforeValidator(convert)


Time = Annotated[float, _quantity("time")]
PositiveTime = Annotated[float, _quantity("time", positive=True)]
Voltage = Annotated[float, _quantity("voltage")]
Frequency = Annotated[float, _quantity("frequency")]

#: A raw value whose dimension depends on the model: a quantity string, a number (dimensionless
#: only), a list (one per neuron), ``{distribution: ..., ...}`` or ``{linspace: [start, stop]}``.
Value = Any


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Receptor(Strict):
    """A receptor port: unit-area synaptic kernel, current- or conductance-based."""

    kernel: Literal["exponential", "alpha", "exp2"] = "exponential"
    kind: Literal["current", "conductance"] = "current"
    tau: PositiveTime
    tau_rise: PositiveTime = 1e-3
    e_rev: Voltage = 0.0


class Population(Strict):
    """``n`` neurons of one model; ``params`` and ``initial`` are checked against the model."""

    n: PositiveInt
    model: str
    description: str = ""
    params: dict[str, Value] = {}
    receptors: dict[str, Receptor] = {}
    initial: dict[str, Value] = {}
    spike_timing: Literal["step", "precise"] | None = None  # LIF models
    method: Literal["exponential_euler", "rk4"] | None = None  # HH models
    gate_tables: bool | None = None  # HH models: interpolated gate propagators (faster; see hh.py)
    rate: Value = None  # Poisson sources only


class Connection(Strict):
    """NEST-style: a connection rule and synapse properties (weight, delay, receptor)."""

    pre: str
    post: str
    receptor: str
    rule: dict[str, Any]
    weight: Value
    delay: Value = "0 ms"
    allow_autapses: bool = True
    name: str | None = None


class Network(Strict):
    name: str = ""
    description: str = ""
    populations: dict[str, Population]
    connections: list[Connection] = []


class _Stimulus(Strict):
    population: str
    neurons: list[int] | None = None
    name: str | None = None


class ConstantStimulus(_Stimulus):
    type: Literal["constant"]
    amplitude: Value
    start: Time = 0.0
    stop: Time | None = None


class StepStimulus(_Stimulus):
    type: Literal["step"]
    times: list[Time]
    amplitudes: list[Value]


class RampStimulus(_Stimulus):
    type: Literal["ramp"]
    amplitude_start: Value
    amplitude_stop: Value
    start: Time
    stop: Time


class SineStimulus(_Stimulus):
    type: Literal["sine"]
    amplitude: Value
    frequency: Frequency
    phase: float = 0.0
    offset: Value = 0.0
    start: Time = 0.0
    stop: Time | None = None


class NoiseStimulus(_Stimulus):
    type: Literal["ou_noise"]
    mean: Value
    sigma: Value
    tau: PositiveTime


Stimulus = Annotated[ConstantStimulus | StepStimulus | RampStimulus | SineStimulus | NoiseStimulus,
                     Field(discriminator="type")]


class StateRecording(Strict):
    population: str
    variable: str
    neurons: list[int] | None = None
    every: PositiveInt = 1


class Record(Strict):
    """What to record; ``spikes: null`` (the default) means every spiking population."""

    spikes: list[str] | None = None
    rates: list[str] = []
    states: list[StateRecording] = []


class Analysis(Strict):
    """One analysis of one population's spikes; results go to ``/analysis/<type>/<population>``."""

    type: Literal["firing_rates", "isi_cv", "fano_factor", "synchrony", "population_rate", "tuning_curve"]
    population: str
    bin_size: PositiveTime = 5e-3
    window: tuple[Time, Time] | None = None
    input: str | None = None  # tuning_curve: key path of the per-neuron input, e.g. network.populations.P.params.bias


class Plot(Strict):
    """One PNG; ``file`` defaults to ``<type>.png``."""

    type: Literal["raster", "traces", "tuning_curve", "rates"]
    file: str | None = None
    populations: list[str] | None = None
    variable: str | None = None
    max_neurons: PositiveInt = 200
    window: tuple[Time, Time] | None = None
    bin_size: PositiveTime = 5e-3
    analytic: Literal["lif_rate"] | None = None
    title: str | None = None


class Compare(Strict):
    """Tolerances of ``neurosim compare`` (see docs/compare.md); ``mode: auto`` picks deterministic
    comparison for networks without random input or recurrent loops, statistics over seeds otherwise."""

    mode: Literal["auto", "deterministic", "statistical"] = "auto"
    voltage: Voltage = 1e-6
    relative: float = Field(1e-5, ge=0)
    spike_steps: NonNegativeInt = 1
    spike_count: NonNegativeInt = 0
    ks_alpha: float = Field(0.01, gt=0, lt=1)
    mean_rate: float = Field(0.05, ge=0)
    seeds: PositiveInt = 3
    bin_size: PositiveTime = 0.02
    window: tuple[Time, Time] | None = None


class SweepCluster(Strict):
    """Where sweep points run: an existing Dask scheduler, or a local cluster of ``workers`` processes."""

    scheduler: str | None = None  # e.g. tcp://host:8786
    workers: PositiveInt = 2


class SweepPlot(Strict):
    """A sweep figure: a summary ``column`` against axis ``x`` (mean and 95 % interval over seeds),
    or, with ``y``, a heat map of its mean over seeds on the ``x`` x ``y`` grid."""

    x: str
    y: str | None = None
    column: str = "mean_rate"
    population: str | None = None  # default: every population (line) or the first (heat map)
    file: str | None = None


class Sweep(Strict):
    """``neurosim sweep``: the product of the ``grid`` axes and ``zip`` groups, times ``seeds``.

    Each ``grid`` key is a key path with a list of values, ``{linspace: [start, stop, num]}`` or
    ``{logspace: [start, stop, num]}``; each ``zip`` item maps key paths to lists of one length,
    varied together as one axis (see docs/sweeps.md)."""

    grid: dict[str, Any] = {}
    zip: list[dict[str, Any]] = []
    seeds: list[NonNegativeInt] | None = None
    cluster: SweepCluster = SweepCluster()
    plots: list[SweepPlot] | None = None


class NetworkProtocol(Strict):
    """A simulation: a network, stimuli, recordings, analyses, plots and comparison tolerances."""

    name: str
    description: str = ""
    seed: NonNegativeInt = 0
    network: Network
    dt: PositiveTime = 1e-4
    duration: PositiveTime
    dtype: Literal["float64", "float32"] = "float64"
    threads: PositiveInt = 1
    stimuli: list[Stimulus] = []
    record: Record = Record()
    analyses: list[Analysis] = []
    plots: list[Plot] = []
    compare: Compare | None = None
    sweep: Sweep | None = None


class ExperimentProtocol(Strict):
    """A registered experiment (``neurosim.experiment``) run with ``config``."""

    name: str
    description: str = ""
    seed: NonNegativeInt = 0
    experiment: str
    config: dict[str, Any] = {}
    sweep: Sweep | None = None
