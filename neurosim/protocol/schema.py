"""The protocol schema (pydantic v2, unknown keys forbidden).

Quantities whose dimension is fixed (``dt``, ``duration``, synaptic time constants, ...) are
converted to SI floats here. Values whose dimension depends on the model (neuron parameters,
initial values, weights, stimulus amplitudes) stay raw in this layer and are converted by
``protocol.load`` once the model is known.
"""
from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PositiveFloat, model_validator

from ..errors import ParameterError
from ..units import dimension_name, to_si


def explain(exc: ParameterError) -> str:
    """``'<value>' is not valid: expected ...`` with the given value's dimension named when known."""
    expected = exc.expected.split(", got ")[0] if ", got " in exc.expected else exc.expected
    got = dimension_name(exc.value) if isinstance(exc.value, str) else None
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


#: Integers are strict: ``true``, ``400.0`` or ``"400"`` are refused, not read as 1 or 400.
PositiveInt = Annotated[int, Field(strict=True, gt=0)]
NonNegativeInt = Annotated[int, Field(strict=True, ge=0)]
#: Seeds feed ``numpy.random.SeedSequence`` and are stored as an unsigned 64-bit HDF5 attribute.
Seed = Annotated[int, Field(strict=True, ge=0, lt=2**64)]

#: Output names (protocol ``name``, plot ``file``): a plain file name, no directory part.
_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]{0,99}")
#: Figure formats matplotlib's Agg backend writes.
PLOT_FORMATS = ("png", "pdf", "svg", "eps", "ps", "jpg", "jpeg", "tif", "tiff")


def _plain_name(value: str) -> str:
    if not _PLAIN_NAME.fullmatch(value) or ".." in value:
        raise ValueError(f"{value!r} is not valid: expected a plain name (letters, digits, '_', '-', '+', '.'; "
                         "no '/', no '..', not starting with '.', at most 100 characters)")
    return value


def _plot_file(value: str) -> str:
    _plain_name(value)
    if value.rpartition(".")[2].lower() not in PLOT_FORMATS or "." not in value:
        raise ValueError(f"{value!r} is not valid: expected a file name ending in one of "
                         f"{', '.join('.' + f for f in PLOT_FORMATS)}")
    return value


PlainName = Annotated[str, AfterValidator(_plain_name)]
PlotFile = Annotated[str, AfterValidator(_plot_file)]

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
    """A receptor port: a built-in unit-area kernel (exponential, alpha, exp2; current- or
    conductance-based, ``tau`` required), ``kind: delta`` (a jump of ``v`` by the weight; no
    kernel, no ``tau``), or a synapse model by name with its ``params``."""

    kernel: str = "exponential"
    kind: Literal["current", "conductance", "delta"] = "current"
    tau: PositiveTime | None = None
    tau_rise: PositiveTime = 1e-3
    e_rev: Voltage = 0.0
    params: dict[str, Value] = {}  # synapse models (neurosim/models/synapses) only

    @model_validator(mode="after")
    def _tau_unless_delta(self):
        builtin = self.kernel in ("exponential", "alpha", "exp2")  # synapse models carry their own params
        if builtin and self.kind != "delta" and self.tau is None:
            raise ValueError(f"a {self.kind} receptor needs 'tau' (only kind: delta has none)")
        return self


class Population(Strict):
    """``n`` neurons of one model; ``params`` and ``initial`` are checked against the model. Any
    other key is a model option (``spike_timing``, ``method``, ``tables``...): each model declares
    its own (``options`` of its class), load checks the names and the model the values."""

    model_config = ConfigDict(extra="allow")

    n: PositiveInt
    model: str
    description: str = ""
    params: dict[str, Value] = {}
    receptors: dict[str, Receptor] = {}
    initial: dict[str, Value] = {}
    rate: Value = None  # Poisson sources only

    @property
    def options(self) -> dict[str, Any]:
        """The model options given (the keys that are not fields of a population)."""
        return dict(self.model_extra or {})


class Plasticity(Strict):
    """A plasticity rule by name (``neurosim/models/plasticity``) with parameters in units and initial
    values of its per-synapse variables."""

    model: str
    params: dict[str, Any] = {}
    initial: dict[str, Any] = {}


class Connection(Strict):
    """NEST-style: a connection rule and synapse properties (weight, delay, receptor, plasticity)."""

    pre: str
    post: str
    receptor: str
    rule: dict[str, Any]
    weight: Value
    delay: Value = "0 ms"
    allow_autapses: bool = True
    name: str | None = None
    plasticity: Plasticity | None = None
    weight_dtype: str = "float64"  # checked by connectivity.Projection


class Network(Strict):
    name: str = ""
    description: str = ""
    populations: dict[str, Population]
    connections: list[Connection] = []


class _Stimulus(Strict):
    population: str
    neurons: list[NonNegativeInt] | None = None
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


class PoissonInputStimulus(_Stimulus):
    """``n_sources`` independent Poisson trains of ``rate`` and ``weight`` onto ``receptor`` of each
    neuron (Brian2's ``PoissonInput``, NEST's ``poisson_generator`` + ``all_to_all``)."""

    type: Literal["poisson_input"]
    receptor: str
    n_sources: PositiveInt
    rate: Frequency
    weight: Value


Stimulus = Annotated[ConstantStimulus | StepStimulus | RampStimulus | SineStimulus | NoiseStimulus
                     | PoissonInputStimulus, Field(discriminator="type")]


class StateRecording(Strict):
    population: str
    variable: str
    neurons: list[NonNegativeInt] | None = None
    every: PositiveInt = 1


class SynapseRecording(Strict):
    """A variable (``w`` or a trace) of some synapses (indices in the projection's saved order) of a
    plastic projection, every ``every`` steps."""

    projection: str
    variable: str = "w"
    synapses: list[NonNegativeInt] | None = None
    every: PositiveInt = 1


class Record(Strict):
    """What to record; ``spikes: null`` (the default) means every spiking population."""

    spikes: list[str] | None = None
    rates: list[str] = []
    states: list[StateRecording] = []
    synapses: list[SynapseRecording] = []


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
    file: PlotFile | None = None
    populations: list[str] | None = None
    variable: str | None = None
    max_neurons: PositiveInt = 200
    window: tuple[Time, Time] | None = None
    bin_size: PositiveTime = 5e-3
    analytic: Literal["lif_rate"] | None = None
    title: str | None = None  # default: "<protocol>: <what> of <populations>"
    dpi: PositiveInt = 120
    size: tuple[PositiveFloat, PositiveFloat] | None = None  # inches (width, height); default per plot type


class Compare(Strict):
    """How ``neurosim compare`` judges agreement (see docs/compare.md). ``mode: auto`` compares step
    by step when the two runs must agree (no random draw that differs between them, no random
    input, no recurrent loop), otherwise independent realisations (``seeds`` per simulator) with
    Welch's t-test at level ``alpha``. ``same_network``: give the reference neurosim's built
    network (synapses, initial values) instead of writing it from the protocol."""

    mode: Literal["auto", "deterministic", "statistical"] = "auto"
    same_network: bool = False
    voltage: Voltage = 1e-6
    relative: float = Field(1e-5, ge=0)
    spike_steps: NonNegativeInt = 1
    spike_count: NonNegativeInt = 0
    alpha: float = Field(0.01, gt=0, lt=1)
    seeds: int = Field(5, ge=2)
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

    name: PlainName
    description: str = ""
    seed: Seed = 0
    models: list[str] = []  # model files (paths relative to this file) defining equation models
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

    name: PlainName
    description: str = ""
    seed: Seed = 0
    experiment: str
    config: dict[str, Any] = {}
    sweep: Sweep | None = None
