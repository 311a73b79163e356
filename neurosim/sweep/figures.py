"""Sweep figures from the summary table: a column against one swept axis (mean over seeds with a
95 % Student-t interval of that mean), and a heat map of its mean over seeds on two axes.

Without ``sweep.plots`` a sweep draws ``mean_rate`` against its axis (one axis) or a heat map of
the first two axes and ``mean_rate`` against the first (two or more axes).
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from scipy import stats

from ..errors import ProtocolError


def draw(sweep, frame) -> dict:
    """File name -> Figure for every sweep plot (only rows with status ``ok`` are used)."""
    plots = sweep.block.get("plots")
    keys = sweep.keys
    if plots is None:
        plots = [{"x": keys[0], "y": keys[1]}] if len(keys) >= 2 else []
        plots += [{"x": keys[0]}] if keys else []
    ok = frame[frame["status"] == "ok"] if "status" in frame else frame
    figures = {}
    for index, plot in enumerate(plots):
        plot = {"y": None, "column": "mean_rate", "population": None, "file": None, **plot}
        for axis in ("x", "y"):
            if plot[axis] is not None and plot[axis] not in keys:
                raise ProtocolError(f"'{plot[axis]}' is not a swept key; swept: {', '.join(keys)}", sweep.file,
                                    None, f"sweep.plots.{index}.{axis}")
        if ok.empty:
            continue
        if plot["column"] not in frame:
            columns = [c for c in frame.columns if c not in ("point", "population", "error", "worker")]
            raise ProtocolError(f"no summary column '{plot['column']}'; columns: {', '.join(columns)}", sweep.file,
                                None, f"sweep.plots.{index}.column")
        columns = sweep.columns()
        if plot["y"] is None:
            name = plot["file"] or f"{plot['column']}_vs_{_short(plot['x'])}.png"
            others = [axis.keys[0] for axis in sweep.axes if plot["x"] not in axis.keys]
            figures[name] = _line(ok, columns, others, plot)
        else:
            name = plot["file"] or f"{plot['column']}_{_short(plot['x'])}_{_short(plot['y'])}.png"
            figures[name] = _heatmap(ok, columns, plot)
    return figures


def _short(key: str) -> str:
    return key.replace("network.", "").replace("populations.", "").replace("connections.", "c").replace(".", "_")


def _format(value) -> str:
    return f"{value:.3g}" if isinstance(value, (int, float, np.number)) else str(value)


def interval(values: np.ndarray) -> tuple[float, float, float]:
    """Mean of ``values`` and the bounds of its 95 % Student-t confidence interval (NaN for one value)."""
    values = np.asarray(values, float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return np.nan, np.nan, np.nan
    mean = float(values.mean())
    if values.size < 2:
        return mean, np.nan, np.nan
    half = stats.t.ppf(0.975, values.size - 1) * values.std(ddof=1) / np.sqrt(values.size)
    return mean, mean - half, mean + half


def _line(ok, columns: dict, other_keys: list[str], plot: dict):
    """One line per population and per value of the other axes (``other_keys``: one key per axis)."""
    x = columns[plot["x"]]
    others = [columns[key] for key in other_keys]
    populations = [plot["population"]] if plot["population"] else list(dict.fromkeys(ok["population"]))
    fig, ax = plt.subplots(figsize=(6, 3.8), layout="constrained")
    for population in populations:
        rows = ok[ok["population"] == population]
        groups = rows.groupby(others, sort=True) if others else [((), rows)]
        for label, group in groups:
            label = label if isinstance(label, tuple) else (label,)
            xs = np.array(sorted(group[x].unique()), float)
            summary = np.array([interval(group[group[x] == value][plot["column"]].to_numpy()) for value in xs])
            text = ", ".join([population] * bool(population)
                             + [f"{_short(o)} = {_format(v)}" for o, v in zip(others, label, strict=True)])
            line, = ax.plot(xs, summary[:, 0], "o-", label=text or None)
            ax.fill_between(xs, summary[:, 1], summary[:, 2], color=line.get_color(), alpha=0.25, linewidth=0)
    ax.set_xlabel(x)
    ax.set_ylabel(plot["column"] + (" (Hz)" if plot["column"] == "mean_rate" else ""))
    seeds = ok["seed"].nunique()
    ax.set_title(f"mean and 95 % interval over {seeds} seed{'s' * (seeds != 1)}", fontsize=9)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7)
    return fig


def _heatmap(ok, columns: dict, plot: dict):
    x, y = columns[plot["x"]], columns[plot["y"]]
    population = plot["population"] or ok["population"].iloc[0]
    rows = ok[ok["population"] == population]
    grid = rows.groupby([y, x])[plot["column"]].mean().unstack(x)
    fig, ax = plt.subplots(figsize=(6, 4.5), layout="constrained")
    image = ax.imshow(grid.to_numpy(float), origin="lower", aspect="auto", cmap="viridis")
    ax.set_xticks(range(grid.shape[1]), [_format(v) for v in grid.columns], rotation=45)
    ax.set_yticks(range(grid.shape[0]), [_format(v) for v in grid.index])
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    label = plot["column"] + (" (Hz)" if plot["column"] == "mean_rate" else "")
    fig.colorbar(image, ax=ax, label=f"{label}, mean over seeds")
    ax.set_title(f"population {population}" if population else "", fontsize=9)
    return fig
