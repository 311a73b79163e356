"""``python -m tests.mutations [--only NAME ...] [--list]``: apply each mutation of
:mod:`tests.mutations.mutations` to a copy of the repository and run the tests that should kill it.

The working tree is never modified: the tracked and untracked (not ignored) files are copied to a
temporary directory, one mutation is applied there, and its tests run with this Python (the
venv's) with ``PYTHONPATH`` on the copy and fresh ``NEUROSIM_CACHE_DIR`` and Numba caches. The
unmutated copy must pass the same tests first. Prints a table (mutation, result, seconds) and
exits 1 if a mutation survives, a snippet is not found exactly once, or the baseline fails.
"""
from __future__ import annotations

import argparse
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

from .mutations import MUTATIONS, Mutation

ROOT = pathlib.Path(__file__).resolve().parents[2]
TIMEOUT = 1800  # s per test run


def repository_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=ROOT,
                            check=True, capture_output=True).stdout.decode()
    return [name for name in listed.split("\0") if name and (ROOT / name).is_file()]


def copy_repository(target: pathlib.Path, files: list[str]) -> None:
    for name in files:
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, destination)


def check_snippet(mutation: Mutation) -> str | None:
    """None if the snippet occurs exactly once in its file, else what is wrong."""
    path = ROOT / mutation.file
    if not path.is_file():
        return f"file {mutation.file} not found"
    count = path.read_text().count(mutation.original)
    return None if count == 1 else f"snippet found {count} times in {mutation.file}"


def run_tests(copy: pathlib.Path, tests: tuple[str, ...], scratch: pathlib.Path) -> tuple[int, float, str]:
    env = dict(os.environ, PYTHONPATH=str(copy), NEUROSIM_CACHE_DIR=str(scratch / "neurosim-cache"),
               NUMBA_CACHE_DIR=str(scratch / "numba-cache"), OPENBLAS_NUM_THREADS="1")
    started = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests],
                              cwd=copy, env=env, capture_output=True, text=True, timeout=TIMEOUT)
        status, output = done.returncode, done.stdout + done.stderr
    except subprocess.TimeoutExpired:
        status, output = -1, "timeout"
    return status, time.perf_counter() - started, output


def trial(files: list[str], tests: tuple[str, ...], mutation: Mutation | None) -> tuple[int, float, str]:
    with tempfile.TemporaryDirectory(prefix="neurosim-mutation-") as scratch:
        scratch = pathlib.Path(scratch)
        copy = scratch / "repo"
        copy_repository(copy, files)
        if mutation is not None:
            path = copy / mutation.file
            path.write_text(path.read_text().replace(mutation.original, mutation.replacement, 1))
        return run_tests(copy, tests, scratch)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mutations", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these mutations")
    parser.add_argument("--list", action="store_true", help="list the mutations and exit")
    args = parser.parse_args(argv)
    chosen = [m for m in MUTATIONS if not args.only or m.name in args.only]
    if args.list:
        for m in chosen:
            print(f"{m.name:<32} {m.file:<32} {m.what}  [{', '.join(m.tests)}]")
        return 0
    missing = {m.name: problem for m in chosen if (problem := check_snippet(m))}
    files = repository_files()
    tests = tuple(dict.fromkeys(test for m in chosen for test in m.tests))
    print(f"baseline: {' '.join(tests)} ...", file=sys.stderr, flush=True)
    status, seconds, output = trial(files, tests, None)
    if status != 0:
        print(output[-3000:])
        print(f"baseline FAILED (exit {status}, {seconds:.0f} s): the unmutated tests must pass first")
        return 1
    print(f"baseline passed in {seconds:.0f} s", file=sys.stderr, flush=True)
    rows = []
    for m in chosen:
        if m.name in missing:
            rows.append((m.name, f"NOT APPLIED ({missing[m.name]})", 0.0))
            continue
        print(f"{m.name} ...", file=sys.stderr, flush=True)
        status, seconds, output = trial(files, m.tests, m)
        result = {0: "SURVIVED", 1: "killed"}.get(status,
                                                  f"killed (exit {status})" if status > 0 else "killed (timeout)")
        if status not in (0, 1):
            result += "; check the mutation is valid code"
        rows.append((m.name, result, seconds))
        print(f"{m.name}: {result} ({seconds:.0f} s)", file=sys.stderr, flush=True)
    print(f"{'mutation':<32}{'result':<24}{'seconds':>8}")
    for name, result, seconds in rows:
        print(f"{name:<32}{result:<24}{seconds:>8.0f}")
    bad = [name for name, result, _ in rows if not result.startswith("killed")]
    print(f"{len(rows) - len(bad)} of {len(rows)} mutations killed"
          + (f"; not killed: {', '.join(bad)}" if bad else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
