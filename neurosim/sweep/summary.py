"""Summary rows of one run (one per population) and the sweep table built from them.

A row holds the population's size, spike count, mean rate (Hz), mean ISI CV, mean Fano factor,
Golomb's synchrony chi^2 and every scalar of the protocol's analyses (``<type>.<field>``), over
the whole run. Fano factor and synchrony use the bin size of the protocol's ``fano_factor`` /
``synchrony`` analysis of that population, else :data:`FANO_BIN` / :data:`SYNCHRONY_BIN`.
Experiments give one row of their metrics. ``neurosim run --json`` prints these rows; a sweep
adds the point, its swept values, seed, wall time and status to each.

The table is written as CSV (pandas, no extra dependency; pyarrow for Parquet would add a
large wheel to every install for files of a few hundred rows) and as HDF5 (one dataset per
column, units in attributes).
"""
from __future__ import annotations

import math
import os
import pathlib
import tempfile

import h5py
import numpy as np

from .. import analysis

FANO_BIN, SYNCHRONY_BIN = 0.05, 0.005  # s


def rows(protocol, results) -> list[dict]:
    """Summary rows of ``results`` of ``protocol`` (a loaded :class:`~neurosim.protocol.load.Protocol`)."""
    if protocol.is_experiment:
        metrics = results.analysis.get(protocol.spec.experiment, {}).get("metrics", {})
        return [{"population": "", **{name: float(value) for name, value in metrics.items()}}]
    window = (0.0, results.duration)
    bins = {(item.type, item.population): item.bin_size for item in protocol.spec.analyses}
    table = []
    for name, row in results.analysis.get("summary", {}).items():
        spikes = results.spikes[name]
        fano_bin = bins.get(("fano_factor", name), FANO_BIN)
        sync_bin = bins.get(("synchrony", name), SYNCHRONY_BIN)
        fano = analysis.fano_factor(spikes, window, fano_bin) if results.duration >= fano_bin else np.zeros(0)
        entry = {"population": name, "neurons": int(row["neurons"]), "spikes": int(row["spikes"]),
                 "mean_rate": float(row["mean_rate"]), "isi_cv": float(row["isi_cv"]),
                 "fano_factor": float(fano.mean()) if fano.size else math.nan,
                 "synchrony": analysis.synchrony(spikes, window, sync_bin) if results.duration >= 2 * sync_bin
                 else math.nan}
        for kind, per_population in results.analysis.items():
            value = per_population.get(name) if kind != "summary" and isinstance(per_population, dict) else None
            for field, number in (value or {}).items():
                if np.ndim(number) == 0 and not isinstance(number, str):
                    entry[f"{kind}.{field}"] = float(number)
        table.append(entry)
    return table


def write_csv(frame, path: pathlib.Path) -> pathlib.Path:
    """``frame`` as CSV at ``path``, atomically."""
    return _atomic(path, lambda temporary: frame.to_csv(temporary, index=False))


def write_h5(frame, path: pathlib.Path, units: dict[str, str], attributes: dict) -> pathlib.Path:
    """``frame`` as one dataset per column under ``/summary`` (column order in ``columns``),
    ``units`` as dataset attributes, ``attributes`` on the root; atomically."""
    def write(temporary):
        with h5py.File(temporary, "w") as f:
            for key, value in attributes.items():
                f.attrs[key] = value
            group = f.create_group("summary")
            group.attrs["columns"] = list(frame.columns)
            for column in frame.columns:
                data = frame[column].to_numpy()
                if data.dtype.kind in "biuf":
                    dataset = group.create_dataset(column.replace("/", "_"), data=data)
                else:
                    strings = ["" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
                               for value in data]
                    dataset = group.create_dataset(column.replace("/", "_"), data=strings,
                                                   dtype=h5py.string_dtype())
                if units.get(column):
                    dataset.attrs["units"] = units[column]

    return _atomic(path, write)


def _atomic(path: pathlib.Path, write) -> pathlib.Path:
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        write(temporary)
        os.replace(temporary, path)
    except BaseException:
        pathlib.Path(temporary).unlink(missing_ok=True)
        raise
    return path
