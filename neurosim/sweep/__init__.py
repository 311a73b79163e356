"""Parameter sweeps: a protocol run at every point of a grid of ``--set`` values times seeds, as
``dask.distributed`` tasks (a local cluster by default), with one summary table (see docs/sweeps.md).

``sweep(protocol, grid, seeds, client=None)`` returns the table as a ``pandas.DataFrame``: one row
per point and population, flat columns of numbers and strings (what pandas, seaborn and CSV
handle directly; an xarray cube would need every point to have the same populations and could
not hold failed points' errors).
"""
from __future__ import annotations

import pathlib

from .execute import Outcome, execute, run_point
from .points import Axis, Point, Sweep

__all__ = ["Axis", "Outcome", "Point", "Sweep", "execute", "run_point", "sweep"]


def sweep(protocol, grid: dict | None = None, seeds: list[int] | None = None, client=None, *,
          zipped: list[dict] | None = None, output=None, sets=(), workers: int = 2, force: bool = False,
          fail_fast: bool = False, progress: bool = False):
    """Run a sweep of the protocol file ``protocol`` and return its summary table (``pandas.DataFrame``).

    ``grid`` maps key paths to value lists (``["0.05 nA", "0.1 nA"]``) or ``{"linspace": [start,
    stop, num]}`` / ``{"logspace": [...]}``; ``zipped`` lists groups of keys varied together;
    ``seeds`` the seeds of every grid point. Without ``grid``, ``zipped`` and ``seeds`` the
    protocol's ``sweep:`` block is used. ``client``: an existing ``dask.distributed.Client``
    (else a local cluster of ``workers`` processes is started and closed). Files go to ``output``
    (default ``results/<protocol name>_sweep``); points already done there are skipped unless
    ``force``. Ctrl-C writes the summary of the points done and re-raises ``KeyboardInterrupt``.
    """
    definition = Sweep.from_file(protocol, sets, grid, zipped, seeds)
    output = pathlib.Path(output or pathlib.Path("results") / f"{definition.base.name}_sweep")
    outcome = execute(definition, output, client=client, workers=workers, force=force, fail_fast=fail_fast,
                      progress=progress)
    if outcome.interrupted:
        raise KeyboardInterrupt
    return outcome.frame
