"""The points of a sweep: axes from a ``sweep:`` block (or the Python API), their product times seeds.

Every point is the protocol with ``--set key.path=value`` overrides and a seed, loaded by the
protocol layer like ``neurosim run --set``; an invalid point value is reported at the sweep
entry that produced it. A point's id is a hash of the composed base protocol, its overrides and
its seed, so re-running a sweep (even with a grown grid) finds the points already done.
"""
from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass

import numpy as np
import yaml

from ..errors import ProtocolError
from ..protocol.compose import apply_set, resolve_includes
from ..protocol.load import Protocol, load_tree
from ..protocol.source import Map, Where, dump, locate, read
from ..units import dimension_name, si_symbol, ureg


@dataclass(frozen=True)
class Axis:
    """One axis: ``keys`` (one key path, or several varied together) and ``values[i][j]`` the
    raw YAML value of ``keys[j]`` at position ``i``; ``where`` locates it in the protocol."""

    keys: tuple[str, ...]
    values: tuple[tuple, ...]
    where: Where | None = None


@dataclass(frozen=True)
class Point:
    """One run: ``sets`` (``key.path=value`` texts) and ``seed``; ``values`` maps key -> raw value."""

    id: str
    index: int
    sets: tuple[str, ...]
    seed: int
    values: tuple[tuple[str, object], ...]


def _text(value) -> str:
    """A raw value as the YAML text of a ``--set`` override."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, (int, float)):
        return repr(value)
    return yaml.safe_dump(_plain(value), default_flow_style=True, width=10_000).strip()


def _plain(value):
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def expand(raw, label: str, where: Where | None = None) -> list:
    """Values of one axis: a list, ``{linspace: [start, stop, num]}`` or ``{logspace: [start, stop, num]}``
    (``start`` and ``stop`` quantities of one dimension; logspace is geometric between them)."""
    fail = (lambda message: ProtocolError(message, where.file if where else None, where.line if where else None, label))
    if isinstance(raw, list):
        if not raw:
            raise fail("expected at least one value")
        return list(raw)
    if not (isinstance(raw, dict) and len(raw) == 1 and set(raw) <= {"linspace", "logspace"}):
        raise fail(f"expected a list of values, {{linspace: [start, stop, num]}} or {{logspace: [start, stop, num]}}, "
                   f"got {raw!r}")
    kind, spec = next(iter(raw.items()))
    if not (isinstance(spec, list) and len(spec) == 3 and isinstance(spec[2], int) and spec[2] >= 1):
        raise fail(f"expected {{{kind}: [start, stop, num]}} with an integer num >= 1, got {spec!r}")
    try:
        start, stop = (ureg.Quantity(str(end)) if isinstance(end, str) else ureg.Quantity(end) for end in spec[:2])
        stop = stop.to(start.units)
    except Exception as exc:
        raise fail(f"{kind} start and stop must be quantities of one dimension, got {spec[0]!r} and {spec[1]!r} "
                   f"({exc})") from None
    a, b = float(start.magnitude), float(stop.magnitude)
    if kind == "logspace" and not ((a > 0 and b > 0) or (a < 0 and b < 0)):
        raise fail(f"logspace start and stop must be nonzero and of one sign, got {spec[0]!r} and {spec[1]!r}")
    numbers = np.linspace(a, b, spec[2]) if kind == "linspace" else np.geomspace(a, b, spec[2])
    unit = f"{start.units:~}"
    values = [float(f"{x:.12g}") for x in numbers]
    return [f"{x!r} {unit}" for x in values] if unit else values


def axes_from(grid: dict, zipped: list[dict], where_of=None) -> list[Axis]:
    """Axes of ``grid`` (key -> values) and ``zipped`` groups (each key -> values of one length)."""
    where_of = where_of or (lambda path: None)
    axes = []
    for key, raw in grid.items():
        where = where_of(("sweep", "grid", key))
        axes.append(Axis((key,), tuple((value,) for value in expand(raw, f"sweep.grid.{key}", where)), where))
    for index, group in enumerate(zipped):
        columns, where = [], where_of(("sweep", "zip", index))
        for key, raw in group.items():
            columns.append(expand(raw, f"sweep.zip.{index}.{key}", where_of(("sweep", "zip", index, key))))
        lengths = {len(column) for column in columns}
        if len(lengths) > 1:
            raise ProtocolError(f"zipped values must have one length, got {sorted(lengths)}",
                                where.file if where else None, where.line if where else None, f"sweep.zip.{index}")
        if columns:
            axes.append(Axis(tuple(group), tuple(zip(*columns, strict=True)), where))
    keys = [key for axis in axes for key in axis.keys]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise ProtocolError(f"key {repeated[0]!r} is swept twice", None, None, "sweep")
    return axes


class Sweep:
    """A protocol and its sweep: ``axes`` x ``seeds`` -> :meth:`points`, each loaded by :meth:`protocol`."""

    def __init__(self, tree: Map, file: str, axes: list[Axis], seeds: list[int], block: dict | None = None):
        self.tree, self.file, self.axes, self.seeds = tree, file, axes, list(seeds)
        self.block = block or {}  # the validated sweep: block (cluster, plots), as a dict
        self.base = load_tree(tree, file)
        self._values: dict = {}
        self._text = dump(tree)

    @classmethod
    def from_file(cls, path, sets=(), grid: dict | None = None, zipped: list | None = None,
                  seeds: list[int] | None = None) -> Sweep:
        """The sweep of a protocol file: its ``sweep:`` block, or ``grid``/``zipped``/``seeds`` if given
        (``sets`` are overrides of the base protocol, as ``neurosim run --set``)."""
        tree = resolve_includes(read(path), (), (str(path),))
        if not isinstance(tree, Map):
            raise ProtocolError("a protocol must be a YAML mapping", str(path), 1)
        for assignment in sets:
            apply_set(tree, assignment)
        checked = load_tree(tree, str(path))  # the sweep: block's own schema errors, located
        block = checked.spec.sweep.model_dump() if checked.spec.sweep is not None else {}
        raw_block, original = tree.get("sweep", Map()), tree
        tree = Map({key: value for key, value in tree.items() if key != "sweep"},
                   where={key: where for key, where in tree.where.items() if key != "sweep"}, start=tree.start)
        where_of = (lambda path: locate(original, path))
        if grid is None and zipped is None:
            axes = axes_from(raw_block.get("grid", {}), list(raw_block.get("zip", [])), where_of)
        else:
            axes = axes_from(grid or {}, list(zipped or []))
        if seeds is None:
            seeds = block.get("seeds") or [checked.spec.seed]
        if not seeds or any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 0 for s in seeds):
            raise ProtocolError(f"expected a list of seeds (integers >= 0), got {seeds!r}", str(path), None,
                                "sweep.seeds")
        if len(set(seeds)) != len(seeds):
            raise ProtocolError(f"seeds repeat: {seeds!r}", str(path), None, "sweep.seeds")
        return cls(tree, str(path), axes, [int(s) for s in seeds], block)

    @property
    def keys(self) -> list[str]:
        return [key for axis in self.axes for key in axis.keys]

    def points(self) -> list[Point]:
        """Every combination of axis positions, times every seed (seed varies fastest)."""
        points = []
        positions = itertools.product(*(range(len(axis.values)) for axis in self.axes))
        for combination in positions:
            values = tuple((key, axis.values[i][j]) for axis, i in zip(self.axes, combination, strict=True)
                           for j, key in enumerate(axis.keys))
            sets = tuple(f"{key}={_text(value)}" for key, value in values)
            for seed in self.seeds:
                digest = hashlib.sha256(json.dumps([self._text, sets, seed]).encode()).hexdigest()[:12]
                points.append(Point(f"p{digest}", len(points), sets, seed, values))
        return points

    def protocol(self, point: Point) -> Protocol:
        """The point's protocol; an invalid value is reported at its sweep entry."""
        try:
            return load_tree(self.tree, self.file, point.sets, point.seed)
        except ProtocolError as exc:
            if exc.file != "--set":
                raise
            key = exc.key_path or ""
            axis = next((axis for axis in self.axes
                         if any(key == k or key.startswith(k + ".") or k.startswith(key + ".") for k in axis.keys)),
                        None)
            where = axis.where if axis else None
            shown = ", ".join(f"{k}={_text(v)}" for k, v in point.values)
            raise ProtocolError(f"sweep point ({shown}): {exc.message}", where.file if where else self.file,
                                where.line if where else None, key) from None

    def values(self, point: Point) -> dict:
        """Swept key -> its SI value in the point's protocol (a float if scalar); validates the point."""
        if point.sets not in self._values:
            protocol = self.protocol(point)
            self._values[point.sets] = {key: swept_value(protocol, key, raw) for key, raw in point.values}
        return self._values[point.sets]

    def yaml(self) -> str:
        """The composed base protocol (without its sweep: block)."""
        return self.base.yaml()

    def columns(self) -> dict[str, str]:
        """Summary column name of each swept key: ``key [SI unit]`` when the values have a dimension."""
        names = {}
        for axis in self.axes:
            for j, key in enumerate(axis.keys):
                dimension = dimension_name(axis.values[0][j]) if isinstance(axis.values[0][j], str) else None
                unit = si_symbol(dimension)
                names[key] = f"{key} [{unit}]" if unit else key
        return names


def swept_value(protocol: Protocol, key: str, raw):
    """The SI value of swept ``key`` in a loaded point protocol (a float if scalar), else the raw text."""
    from ..protocol.load import resolve_path

    value = resolve_path(protocol.spec, key)
    if isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, np.ndarray) and value.size and np.all(value == value.flat[0]):
        return float(value.flat[0])
    return _text(raw)
