"""Long fuzzing run of the command line, by hand (not part of the suite):

    python tests/fuzz_cli.py [CASES] [SEED]

Mutates the shipped protocols and the hostile corpus (``fuzz_mutations.mutate``), runs
``neurosim validate`` on each case in-process, and ``neurosim run`` on the cases that validate and
are small (at most ``RUN_LIMIT`` neuron-steps, experiments excluded), one in ``RUN_EVERY`` of them
(each new network compiles its step loop: seconds). A case is clean when it ends
in exit 0 or a located exit-2 error, with no traceback, within ``HANG_SECONDS``, and writes nothing
outside its output directory. Prints one row per mutation class: cases tried, clean, failed.
"""
from __future__ import annotations

import collections
import contextlib
import io
import pathlib
import random
import shutil
import signal
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from fuzz_mutations import mutate, outcome_ok
from neurosim.cli import main

ROOT = pathlib.Path(__file__).resolve().parents[1]
HANG_SECONDS = 120
RUN_LIMIT = 2e7
RUN_EVERY = 50


class Hang(Exception):
    pass


def _call(argv) -> tuple[int, str]:
    def alarm(signum, frame):
        raise Hang

    signal.signal(signal.SIGALRM, alarm)
    signal.alarm(HANG_SECONDS)
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            status = main(argv)
    except Hang:
        return -1, "hang"
    except BaseException as exc:
        return -2, f"escaped main: {exc!r}"
    finally:
        signal.alarm(0)
    return status, err.getvalue()


def _small(path) -> bool:
    from neurosim.protocol import load

    protocol = load(path)
    if protocol.is_experiment:
        return False
    spec = protocol.spec
    return sum(p.n for p in spec.network.populations.values()) * spec.duration / spec.dt <= RUN_LIMIT


def _report(table, failures, done: int) -> None:
    """The table so far (printed every 100 cases, so a stopped run still reports)."""
    print(f"after {done} cases\n{'class':<24}{'tried':>8}{'clean':>8}{'failed':>8}")
    for kind in sorted(table):
        tried, clean, failed = table[kind]
        print(f"{kind:<24}{tried:>8}{clean:>8}{failed:>8}")
    total = [sum(row[i] for row in table.values()) for i in range(3)]
    print(f"{'total':<24}{total[0]:>8}{total[1]:>8}{total[2]:>8}", flush=True)
    for failure in failures[-3:]:
        print("FAILED", *failure, flush=True)


def main_fuzz(cases: int, seed: int) -> int:
    rng = random.Random(seed)
    work = pathlib.Path(tempfile.mkdtemp(prefix="neurosim-fuzz-"))
    for name in ("protocols", "models"):
        shutil.copytree(ROOT / name, work / name)
    bases = [("small", (ROOT / "tests" / "data" / "small.yaml").read_text())]
    bases += [(p.stem, p.read_text()) for p in sorted((ROOT / "protocols").glob("*.yaml"))]
    bases += [(f"hostile/{p.stem}", p.read_text(errors="replace"))
              for p in sorted((ROOT / "tests/data/hostile").glob("*.yaml"))]
    table = collections.defaultdict(lambda: [0, 0, 0])
    failures = []
    outside_before = sorted(str(p) for p in work.parent.glob("escape*")) + sorted(str(p) for p in work.rglob("*"))
    for case in range(cases):
        base_name, text = rng.choice(bases)
        kind, mutated = mutate(rng, text)
        path = work / "protocols" / "fuzz.yaml"
        path.write_bytes(mutated if isinstance(mutated, bytes) else mutated.encode("utf-8", "surrogatepass"))
        status, err = _call(["validate", str(path)])
        ok = outcome_ok(status, err)
        row = table[f"validate {kind}"]
        row[0] += 1
        row[1 if ok else 2] += 1
        if not ok:
            failures.append((case, "validate", kind, base_name, err.strip()[:300]))
        if status == 0 and ok and rng.randrange(RUN_EVERY) == 0:
            try:
                small = _small(path)
            except Exception:
                small = False
            if small:
                out = work / "out"
                shutil.rmtree(out, ignore_errors=True)
                status, err = _call(["run", str(path), "-o", str(out), "--quiet"])
                ok = outcome_ok(status, err)
                row = table[f"run {kind}"]
                row[0] += 1
                row[1 if ok else 2] += 1
                if not ok:
                    failures.append((case, "run", kind, base_name, err.strip()[-300:]))
                shutil.rmtree(out, ignore_errors=True)
        path.unlink()
        if (case + 1) % 100 == 0:
            _report(table, failures, case + 1)
    _report(table, failures, cases)
    outside_after = sorted(str(p) for p in work.parent.glob("escape*")) + sorted(str(p) for p in work.rglob("*"))
    stray = sorted(set(outside_after) - set(outside_before))
    print(f"files written outside the output directory: {len(stray)} {stray[:5]}")
    for failure in failures[:20]:
        print("FAILED", *failure)
    shutil.rmtree(work, ignore_errors=True)
    return 1 if failures or stray else 0


if __name__ == "__main__":
    sys.exit(main_fuzz(int(sys.argv[1]) if len(sys.argv) > 1 else 5000, int(sys.argv[2]) if len(sys.argv) > 2 else 1))
