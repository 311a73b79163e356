"""Running sweep points as ``dask.distributed`` tasks and collecting their summary rows.

A worker runs one point (:func:`run_point`): it loads the point's protocol, builds the network
with parameters passed as arguments (``inline_constants=False``), so every point of a worker
that differs only in parameter values reuses the worker's one compiled loop, runs it, and writes
``OUT/points/<id>/results.h5`` and then ``point.json`` (its status and summary rows), each
atomically. The client receives only those small records, never spike trains. A point whose
``point.json`` says ``ok`` is skipped when the sweep is run again (``force`` redoes it); a point
that raises is recorded as ``failed`` with its error; a worker that dies mid-point has its task
rescheduled by Dask (up to ``distributed.scheduler.allowed-failures`` times).
"""
from __future__ import annotations

import json
import logging
import os
import pathlib
import signal
import socket
import threading
import time
import traceback
from dataclasses import dataclass, field

from .. import io
from ..core import codegen
from ..errors import ParameterError
from .points import Point, Sweep
from .summary import rows, write_csv, write_h5

#: Columns of the sweep table after the swept values, besides each run's summary row.
STATUS_COLUMNS = ("status", "error", "wall_time", "compiled", "worker")
UNITS = {"mean_rate": "Hz", "wall_time": "s"}


def run_point(sweep: Sweep, point: Point, output: str) -> dict:
    """Run one point on this process and write its files; returns its record (status, rows)."""
    from ..protocol.build import build
    from ..protocol.run import finish, run

    directory = pathlib.Path(output) / "points" / point.id
    started, loaded = time.perf_counter(), len(codegen.LOADED)
    record = {"id": point.id, "seed": point.seed, "sets": list(point.sets)}
    try:
        protocol = sweep.protocol(point)
        if protocol.is_experiment:
            outcome = run(protocol)
            results = outcome.results
            _close(outcome.figures)
        else:
            simulator = build(protocol, inline_constants=False)
            results = finish(protocol, simulator.run(protocol.spec.duration))
        results.timings["total"] = time.perf_counter() - started
        io.save(results, directory / "results.h5")
        record.update(status="ok" if results.complete else "incomplete", error="", rows=rows(protocol, results))
    except Exception as exc:
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        record.update(status="failed", error=detail, rows=[{"population": ""}])
    record.update(wall_time=time.perf_counter() - started, compiled=len(codegen.LOADED) > loaded,
                  worker=f"{socket.gethostname()}:{os.getpid()}")
    directory.mkdir(parents=True, exist_ok=True)
    temporary = directory / f".point.json.{os.getpid()}.tmp"
    temporary.write_text(json.dumps(record, indent=1))
    os.replace(temporary, directory / "point.json")
    return record


def _close(figures: dict) -> None:
    import matplotlib.pyplot as plt

    for figure in figures.values():
        plt.close(figure)


def read_record(output: pathlib.Path, point: Point) -> dict | None:
    """The stored record of a point, or None if it has none (or an unreadable one)."""
    path = output / "points" / point.id / "point.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


@dataclass
class Outcome:
    """What a sweep produced: its table, whether it was interrupted, and compilations per worker."""

    frame: object  # pandas.DataFrame
    interrupted: bool = False
    failed: int = 0
    compilations: dict = field(default_factory=dict)  # worker -> loops compiled there during this sweep
    written: list = field(default_factory=list)


class Progress:
    """A tqdm bar over points with done / running / failed counts and tqdm's ETA."""

    def __init__(self, total: int, done: int, enabled: bool):
        self.bar = None
        if enabled:
            import sys

            from tqdm import tqdm

            self.bar = tqdm(total=total, initial=done, unit="point", file=sys.stderr, dynamic_ncols=True)
        self.failed = 0

    def update(self, record: dict | None, running: int) -> None:
        if record is not None and record["status"] != "ok":
            self.failed += 1
        if self.bar is not None:
            if record is not None:
                self.bar.update(1)
            self.bar.set_postfix_str(f"running {running}, failed {self.failed}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def execute(sweep: Sweep, output, client=None, workers: int = 2, scheduler: str | None = None,
            force: bool = False, fail_fast: bool = False, progress: bool = False) -> Outcome:
    """Run every point of ``sweep`` not already done in ``output`` and write the summary there.

    ``client``: an existing ``dask.distributed.Client`` (left open); else ``scheduler`` (an
    address) or, by default, a ``LocalCluster`` of ``workers`` processes with one thread each,
    started and closed here. On Ctrl-C the remaining points are cancelled, the summary of the
    points done so far is written and ``Outcome.interrupted`` is set.
    """
    from dask.distributed import Client, as_completed

    output = pathlib.Path(output)
    points = sweep.points()
    values = {point.id: sweep.values(point) for point in points}  # validates every point first
    records = {point.id: record for point in points
               if not force and (record := read_record(output, point)) and record.get("status") == "ok"
               and (output / "points" / point.id / "results.h5").is_file()}
    todo = [point for point in points if point.id not in records]
    _write_manifest(sweep, points, output)
    owned, cluster, interrupted, futures = client is None, None, False, []
    bar = Progress(len(points), len(records), progress)
    try:
        if client is None:
            if scheduler:
                try:
                    client = Client(scheduler, timeout="20s")
                except (OSError, TimeoutError) as exc:
                    raise ParameterError("scheduler", scheduler, f"the address of a running Dask scheduler ({exc})",
                                         key="scheduler") from None
            else:
                cluster = _local_cluster(workers)
                client = Client(cluster)
        if todo:
            payload = client.scatter(sweep, broadcast=True, hash=False)
            futures = [client.submit(run_point, payload, point, str(output.resolve()), pure=False,
                                     key=f"neurosim-point-{point.id}-{time.time_ns()}") for point in todo]
            by_key = {future.key: point for future, point in zip(futures, todo, strict=True)}
            for future in as_completed(futures):
                point = by_key[future.key]
                try:
                    record = future.result()
                except Exception as exc:
                    record = {"id": point.id, "seed": point.seed, "sets": list(point.sets), "status": "failed",
                              "error": f"{type(exc).__name__}: {exc}", "rows": [{"population": ""}],
                              "wall_time": float("nan"), "compiled": False, "worker": ""}
                records[point.id] = record
                bar.update(record, _running(client))
                if fail_fast and record["status"] != "ok":
                    break
    except KeyboardInterrupt:
        interrupted = True
    finally:
        bar.close()
        if futures and client is not None:
            client.cancel(futures)
        if owned and client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    for point in todo:  # points finished by their workers while the client was stopping
        if point.id not in records and (record := read_record(output, point)) and \
                (record.get("status") == "failed" or (output / "points" / point.id / "results.h5").is_file()):
            records[point.id] = record
    frame = table(sweep, points, values, records)
    compilations = {}
    for record in records.values():
        if record.get("worker") and record["id"] in {point.id for point in todo}:
            compilations[record["worker"]] = compilations.get(record["worker"], 0) + int(record["compiled"])
    written = write_summary(sweep, frame, output)
    failed = sum(1 for record in records.values() if record["status"] != "ok")
    return Outcome(frame, interrupted, failed, compilations, written)


def _local_cluster(workers: int):
    """A LocalCluster whose worker processes ignore SIGINT (a terminal's Ctrl-C reaches the whole
    process group; the client alone handles it and closes the cluster) and do not log (errors of
    points are in their records; a closing cluster would print connection errors)."""
    from dask.distributed import LocalCluster

    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
    try:
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                            silence_logs=logging.CRITICAL)
    finally:
        if main:
            signal.signal(signal.SIGINT, previous)


def _running(client) -> int:
    try:
        return min(sum(len(keys) for keys in client.processing().values()), sum(client.nthreads().values()))
    except Exception:
        return 0


def table(sweep: Sweep, points: list[Point], values: dict, records: dict):
    """One row per point and population, in point order; points not run have status ``pending``."""
    import pandas as pd

    columns = sweep.columns()
    table_rows = []
    for point in points:
        record = records.get(point.id) or {"status": "pending", "error": "", "rows": [{"population": ""}],
                                           "wall_time": float("nan"), "compiled": False, "worker": ""}
        swept = {columns[key]: value for key, value in values[point.id].items()}
        for row in record["rows"]:
            table_rows.append({"point": point.id, **swept, "seed": point.seed, **row,
                               **{key: record[key] for key in STATUS_COLUMNS}})
    return pd.DataFrame(table_rows)


def units(sweep: Sweep) -> dict[str, str]:
    """Unit of each column that has one."""
    result = dict(UNITS)
    for column in sweep.columns().values():
        if column.endswith("]"):
            result[column] = column[column.rindex("[") + 1:-1]
    return result


def write_summary(sweep: Sweep, frame, output: pathlib.Path) -> list[pathlib.Path]:
    """``summary.csv``, ``summary.h5`` and the sweep figures in ``output``."""
    from .figures import draw

    attributes = {"protocol_file": sweep.file, "protocol_yaml": sweep.yaml(), "swept": json.dumps(sweep.keys),
                  "seeds": json.dumps(sweep.seeds)}
    written = [write_csv(frame, output / "summary.csv"),
               write_h5(frame, output / "summary.h5", units(sweep), attributes)]
    for name, figure in draw(sweep, frame).items():
        figure.savefig(output / name, dpi=120)
        written.append(output / name)
        _close({name: figure})
    return written


def _write_manifest(sweep: Sweep, points: list[Point], output: pathlib.Path) -> None:
    """``OUT/sweep.json``: the protocol, the axes and every point's id, overrides and seed."""
    output.mkdir(parents=True, exist_ok=True)
    manifest = {"protocol_file": sweep.file, "axes": [list(axis.keys) for axis in sweep.axes], "seeds": sweep.seeds,
                "points": [{"id": p.id, "sets": list(p.sets), "seed": p.seed} for p in points]}
    temporary = output / f".sweep.json.{os.getpid()}.tmp"
    temporary.write_text(json.dumps(manifest, indent=1))
    os.replace(temporary, output / "sweep.json")
