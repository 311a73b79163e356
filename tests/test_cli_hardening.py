"""Signals, disk faults, hostile results files, output confinement and the kernel cache (issue 12).

Interrupts are delivered as real signals to this process at a chosen moment (from inside a hook
the run calls), so each test is deterministic; the CLI runs in-process through ``main``.
"""
from __future__ import annotations

import errno
import os
import pathlib
import resource
import signal
import subprocess
import sys

import h5py
import numpy as np
import pytest

from neurosim import io
from neurosim.cli import main
from neurosim.core.results import Results, SpikeTrains

ROOT = pathlib.Path(__file__).resolve().parents[1]
SMALL_PROTOCOL = (ROOT / "tests" / "data" / "small.yaml").read_text()
NEUROSIM = pathlib.Path(sys.executable).parent / "neurosim"

#: The small protocol, shorter, so that each in-process run takes a fraction of a second.
SHORT = SMALL_PROTOCOL.replace("duration: 200 ms", "duration: 60 ms")


@pytest.fixture
def protocol(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(SHORT)
    return path


def _run(protocol, out, *extra):
    return main(["run", str(protocol), "-o", str(out), "--quiet", *extra])


def _files(folder: pathlib.Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# -- interrupts ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupt_during_the_build_writes_nothing(protocol, tmp_path, monkeypatch, capsys, signum, status):
    # Why, segfaults: Ctrl-C inside the compiled connectivity sampler killed the process (SIGSEGV)
    from neurosim.core import connectivity

    sampler, calls = connectivity._bernoulli_fill, []

    def sample(*args):
        calls.append(1)
        if len(calls) == 3:
            os.kill(os.getpid(), signum)  # delivered while the sampler is between blocks
        return sampler(*args)

    monkeypatch.setattr(connectivity, "SAMPLER_BLOCK", 2000)
    monkeypatch.setattr(connectivity, "_bernoulli_fill", sample)
    assert _run(protocol, tmp_path / "out") == status
    err = capsys.readouterr().err
    assert "nothing written" in err
    assert "Traceback" not in err
    assert _files(tmp_path / "out") == []
    assert len(calls) == 3  # stopped at the next block


def _interrupt_on_first_progress(monkeypatch, signum):
    from neurosim import cli

    original = cli._Progress.__call__

    def progress(self, done, total):
        if not getattr(self, "sent", False):
            self.sent = True
            os.kill(os.getpid(), signum)
        original(self, done, total)

    monkeypatch.setattr(cli._Progress, "__call__", progress)


def test_sigterm_during_the_run_writes_partial_results(protocol, tmp_path, monkeypatch, capsys):
    # Why, interrupts: SIGTERM was not handled (no partial results), unlike SIGINT
    _interrupt_on_first_progress(monkeypatch, signal.SIGTERM)
    assert _run(protocol, tmp_path / "out", "--set", "duration=100 s") == 143
    err = capsys.readouterr().err
    assert "complete = False" in err
    assert "Traceback" not in err
    results = io.load(tmp_path / "out" / "results.h5")
    assert not results.complete
    assert 0 < results.duration < 100
    assert "summary" in results.analysis


def test_second_interrupt_during_analysis_still_writes(protocol, tmp_path, monkeypatch, capsys):
    # Why, interrupts: a second Ctrl-C during analysis gave a traceback, once with nothing written
    protocol_run = sys.modules["neurosim.protocol.run"]

    _interrupt_on_first_progress(monkeypatch, signal.SIGINT)
    analyse = protocol_run.analyse

    def interrupted(*args):
        os.kill(os.getpid(), signal.SIGINT)  # the default handler is back: KeyboardInterrupt here
        return analyse(*args)

    monkeypatch.setattr(protocol_run, "analyse", interrupted)
    assert _run(protocol, tmp_path / "out", "--set", "duration=100 s") == 130
    err = capsys.readouterr().err
    assert "without analyses" in err
    assert "Traceback" not in err
    assert not io.load(tmp_path / "out" / "results.h5").complete


def test_interrupt_during_plotting_keeps_the_results(protocol, tmp_path, monkeypatch, capsys):
    from neurosim.protocol import figures

    def draw(*args):
        os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(figures, "draw", draw)
    assert _run(protocol, tmp_path / "out") == 130
    assert "Traceback" not in capsys.readouterr().err
    assert io.load(tmp_path / "out" / "results.h5").complete
    assert _files(tmp_path / "out") == ["results.h5", "sonata"]  # the results and their SONATA copy, no plots


@pytest.mark.parametrize("times", [1, 2])
def test_interrupt_during_the_write_waits_for_the_rename(protocol, tmp_path, monkeypatch, capsys, times):
    # Why, interrupts: Ctrl-C during the write was ignored (exit 0); a second one must not leave a temp
    write = os.write

    def slow_write(fd, data):
        for _ in range(times):
            os.kill(os.getpid(), signal.SIGINT)
        return write(fd, data)

    monkeypatch.setattr(io.hdf5.os, "write", slow_write)
    assert _run(protocol, tmp_path / "out") == 130
    assert "Traceback" not in capsys.readouterr().err
    assert _files(tmp_path / "out") == ["results.h5", "sonata"]  # whole file, no temporary, no plots after
    assert "spikes.h5" in _files(tmp_path / "out" / "sonata")
    assert not [name for name in _files(tmp_path / "out" / "sonata") if name.startswith(".")]
    results = io.load(tmp_path / "out" / "results.h5")
    assert results.complete
    assert results.duration == pytest.approx(0.06)


# -- disk faults -----------------------------------------------------------------------------------
@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EIO, errno.EFBIG])
def test_disk_fault_during_the_write(protocol, tmp_path, monkeypatch, capsys, code):
    # Why, segfaults: a full disk during the write ended in a segfault inside h5py's close
    out = tmp_path / "out"
    out.mkdir()
    (out / "results.h5").write_bytes(b"previous results")

    def fail(fd, data):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(io.hdf5.os, "write", fail)
    assert _run(protocol, out) == 2
    err = capsys.readouterr().err
    assert f"neurosim: error: {out / 'results.h5'}: cannot write the results ({os.strerror(code)})" in err
    assert "Traceback" not in err
    assert _files(out) == ["results.h5"]
    assert (out / "results.h5").read_bytes() == b"previous results"


@pytest.mark.slow  # the console script end to end
def test_file_size_limit_in_a_child_process(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "results.h5").write_bytes(b"previous results")
    (tmp_path / "small.yaml").write_text(SHORT)

    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (30_000, 30_000))

    done = subprocess.run([str(NEUROSIM), "run", "small.yaml", "-o", "out", "--quiet"], check=False, cwd=tmp_path,
                          preexec_fn=limit, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr
    assert "out/results.h5: cannot write the results (File too large)" in done.stderr
    assert "Traceback" not in done.stderr
    assert _files(out) == ["results.h5"]
    assert (out / "results.h5").read_bytes() == b"previous results"


# -- output directory and modes --------------------------------------------------------------------
def test_unusable_output_directory_is_found_before_running(protocol, tmp_path, monkeypatch, capsys):
    # Why, tracebacks: unwritable output directories were found only after the whole simulation
    from neurosim import protocol as protocol_package

    monkeypatch.setattr(protocol_package, "build", lambda *a: pytest.fail("built before checking the output"))
    (tmp_path / "file").write_text("")
    assert _run(protocol, tmp_path / "file" / "out") == 2
    err = capsys.readouterr().err
    assert f"neurosim: error: {tmp_path / 'file' / 'out'}: output directory cannot be written" in err


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600)])
def test_results_file_mode_follows_the_umask(tmp_path, umask, mode):
    # Why, nonsense: results files were written 0600 while the PNGs were 0644
    results = Results(spikes={"P": SpikeTrains(np.zeros(0, np.int64), np.zeros(0), 5)}, population_sizes={"P": 5})
    previous = os.umask(umask)
    try:
        io.save(results, tmp_path / "r.h5")
    finally:
        os.umask(previous)
    assert (tmp_path / "r.h5").stat().st_mode & 0o777 == mode


def test_large_seed_round_trips(tmp_path):
    results = Results(seed=2**64 - 1, population_sizes={})
    io.save(results, tmp_path / "r.h5")
    assert io.load(tmp_path / "r.h5").seed == 2**64 - 1


# -- neurosim plot and hostile results files --------------------------------------------------------
@pytest.fixture(scope="module")
def good_results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("good")
    (folder / "small.yaml").write_text(SHORT)
    assert main(["run", str(folder / "small.yaml"), "-o", str(folder / "out"), "--quiet"]) == 0
    return folder / "out" / "results.h5"


def _hostile(path: pathlib.Path, good: pathlib.Path, kind: str) -> None:
    import shutil

    if kind == "garbage":
        path.write_bytes(os.urandom(4096))
        return
    if kind == "empty":
        path.write_bytes(b"")
        return
    shutil.copy(good, path)
    with h5py.File(path, "r+") as f:
        yaml = f.attrs["protocol_yaml"]
        if kind == "python_api":
            del f.attrs["protocol_yaml"]
        elif kind == "complete_no":
            f.attrs["complete"] = "no"
        elif kind == "seed_text":
            f.attrs["seed"] = "three"
        elif kind == "no_populations":
            del f["populations"]
        elif kind == "float_ids":
            del f["spikes/E/node_ids"]
            f["spikes/E/node_ids"] = np.zeros(3)
        elif kind == "group_for_dataset":
            del f["spikes/E/timestamps"]
            f.create_group("spikes/E/timestamps")
        elif kind == "huge_dataset":
            f.create_dataset("analysis/huge", shape=(2**40,), dtype="f8", chunks=(2**20,), compression="gzip")
        elif kind == "deep_analysis":
            f.create_group("analysis/" + "/".join(["g"] * 40))
        elif kind == "yaml_not_text":
            f.attrs["protocol_yaml"] = 7
        elif kind == "plot_escape":
            f.attrs["protocol_yaml"] = yaml.replace("file: raster.png", "file: ../../escape.png")
        elif kind == "plot_absolute":
            f.attrs["protocol_yaml"] = yaml.replace("file: raster.png", f"file: {path.parent}/abs.png")
        elif kind == "yaml_include":
            f.attrs["protocol_yaml"] = yaml + "\ncompare: {include: /etc/hostname}\n"
        elif kind == "yaml_bomb":
            bomb = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
            bomb += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
            f.attrs["protocol_yaml"] = "\n".join(bomb) + "\n" + yaml
        elif kind == "unit_bomb":
            f.attrs["protocol_yaml"] = yaml.replace("duration: 60 ms", "duration: 9**9**9 ms")


HOSTILE = ["garbage", "empty", "python_api", "complete_no", "seed_text", "no_populations", "float_ids",
           "group_for_dataset", "huge_dataset", "deep_analysis", "yaml_not_text", "plot_escape", "plot_absolute",
           "yaml_include", "yaml_bomb", "unit_bomb"]


@pytest.mark.parametrize("kind", HOSTILE)
def test_plot_refuses_hostile_results_files(good_results, tmp_path, capsys, kind):
    # Why, tracebacks: 'plot' on a Python-API results file (KeyError) and 14 classes of corrupt files;
    # Why, writes outside: 'plot' honoured file: values stored in a results file
    folder = tmp_path / "a" / "b"
    folder.mkdir(parents=True)
    path = folder / "results.h5"
    _hostile(path, good_results, kind)
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    status = main(["plot", str(path), "-o", str(folder / "plots")])
    err = capsys.readouterr().err
    assert status == 2, err
    assert err.startswith(f"neurosim: error: {path}"), err
    assert "Traceback" not in err, err
    assert sorted(str(p) for p in tmp_path.rglob("*") if p.name != "plots") == before


def test_complete_must_be_a_boolean(good_results, tmp_path):
    _hostile(tmp_path / "r.h5", good_results, "complete_no")
    from neurosim.errors import OutputError

    with pytest.raises(OutputError, match="attribute 'complete' = 'no': expected a boolean"):
        io.load(tmp_path / "r.h5")


# -- kernel cache ----------------------------------------------------------------------------------
def test_unsafe_cache_directory_is_refused_without_fallback(tmp_path, monkeypatch):
    from neurosim import kernel_cache

    # Why, code run from a shared directory: an unusable cache moved to $TMPDIR/neurosim-kernels unchecked
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    monkeypatch.setenv("NEUROSIM_CACHE_DIR", str(shared))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    with pytest.raises(kernel_cache.CacheError, match="mode 0777"):
        kernel_cache.ensure()
    from neurosim.core import codegen

    with pytest.raises(kernel_cache.CacheError):
        codegen.compile_chunk("def run_chunk():\n    return 0\n")
    assert not (tmp_path / "tmp").exists()
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (tmp_path / "elsewhere").mkdir(mode=0o700)
    with pytest.raises(kernel_cache.CacheError, match="symbolic link"):
        kernel_cache.ensure(link)


def test_cache_directory_is_created_private(tmp_path, monkeypatch):
    from neurosim import kernel_cache

    monkeypatch.setenv("NEUROSIM_CACHE_DIR", str(tmp_path / "k"))
    path = kernel_cache.ensure()
    assert path.stat().st_mode & 0o777 == 0o700
    assert (path / "numba").stat().st_mode & 0o777 == 0o700
    assert kernel_cache.numba_directory().stat().st_mode & 0o777 == 0o700


def test_numba_cache_lives_in_the_kernel_cache():
    # Why, corrupt cache: the package's own Numba cache sat in neurosim/core/__pycache__
    import numba

    from neurosim import kernel_cache

    expected = str(kernel_cache.directory() / "numba" / kernel_cache.sources_digest())
    assert os.environ["NUMBA_CACHE_DIR"] == expected
    assert expected == numba.config.CACHE_DIR


def test_numba_cache_is_per_version_of_the_sources(tmp_path, monkeypatch):
    # Why, stale kernels: Numba checks a cached kernel against its own file only, so a kernel
    # of connectivity.py that inlines prefetch.py kept the old code when only prefetch.py
    # changed (a git pull); a change to any source of the package must give another directory
    from neurosim import kernel_cache

    package = tmp_path / "pkg"
    (package / "core").mkdir(parents=True)
    (package / "core" / "a.py").write_text("x = 1\n")
    (package / "b.py").write_text("y = 2\n")
    monkeypatch.setattr(kernel_cache, "_PACKAGE_ROOT", package)
    before = kernel_cache.sources_digest([package])
    (package / "b.py").write_text("y = 3\n")
    assert kernel_cache.sources_digest([package]) != before
    (package / "b.py").write_text("y = 2\n")
    assert kernel_cache.sources_digest([package]) == before
    (package / "core" / "a.py").rename(package / "core" / "c.py")  # same bytes, another module
    assert kernel_cache.sources_digest([package]) != before


def test_corrupt_generated_module_is_rewritten(tmp_path, monkeypatch):
    # Why, corrupt cache: a truncated generated module failed every later run
    from neurosim.core import codegen
    from neurosim.errors import NeurosimWarning

    monkeypatch.setenv("NEUROSIM_CACHE_DIR", str(tmp_path / "k"))
    source = "def run_chunk():\n    return 41 + 1\n# unique to this test\n"
    assert codegen.compile_chunk(source)() == 42
    (module,) = (tmp_path / "k").glob("neurosim_chunk_*.py")
    module.write_text("def run_chunk(:\n")
    del sys.modules[module.stem]
    with pytest.warns(NeurosimWarning, match="corrupt generated module"):
        assert codegen.compile_chunk(source)() == 42
    assert module.read_text() == source


@pytest.mark.slow  # two fresh interpreters compile the kernels
def test_corrupt_numba_entries_are_removed_and_rebuilt(tmp_path):
    # Why, corrupt cache: garbage .nbi/.nbc entries failed every later run
    code = ("import numba, os\n@numba.njit(cache=True)\ndef twice(x):\n    return 2 * x\n"
            "print(twice(21))\n")
    script = tmp_path / "kernel_user.py"
    script.write_text("import neurosim.core\n" + code)
    env = {**os.environ, "NEUROSIM_CACHE_DIR": str(tmp_path / "k"), "PYTHONPATH": os.pathsep.join(
        [str(pathlib.Path(__file__).resolve().parents[1]), str(tmp_path)])}
    env.pop("NUMBA_CACHE_DIR", None)
    env.pop("_NEUROSIM_SET_NUMBA_CACHE_DIR", None)

    def run():
        return subprocess.run([sys.executable, str(script)], check=False, env=env, capture_output=True, text=True,
                              timeout=300)

    assert run().stdout.strip() == "42"
    entries = sorted((tmp_path / "k" / "numba").rglob("kernel_user.twice*"))
    assert {p.suffix for p in entries} == {".nbi", ".nbc"}
    for kind in (".nbc", ".nbi"):
        for entry in entries:
            if entry.suffix == kind:
                entry.write_bytes(b"\x80garbage")
        done = run()
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "42", done.stderr
        assert "corrupt kernel cache entry" in done.stderr
        assert run().stderr == ""  # rebuilt: the next run loads it silently


def test_unwritable_numba_entry_warns_and_the_kernel_runs(tmp_path):
    # Why, full disk: a Numba cache entry that could not be written (file-size limit, cold cache)
    # ended `neurosim run` with "internal error: OSError: File too large"
    script = tmp_path / "kernel_user.py"
    script.write_text("import neurosim.core\nimport numba\n@numba.njit(cache=True)\ndef twice(x):\n"
                      "    return 2 * x\nprint(twice(21))\n")
    env = {**os.environ, "NEUROSIM_CACHE_DIR": str(tmp_path / "k"), "PYTHONDONTWRITEBYTECODE": "1",
           "PYTHONPATH": os.pathsep.join([str(pathlib.Path(__file__).resolve().parents[1]), str(tmp_path)])}
    env.pop("NUMBA_CACHE_DIR", None)
    env.pop("_NEUROSIM_SET_NUMBA_CACHE_DIR", None)

    def limit():  # the index (a few hundred bytes) fits, the compiled code does not
        resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))

    done = subprocess.run([sys.executable, str(script)], check=False, env=env, capture_output=True, text=True,
                          timeout=300, preexec_fn=limit)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "42"
    assert "could not be written (File too large)" in done.stderr
    assert "Traceback" not in done.stderr


def test_cache_info_and_clean(tmp_path, monkeypatch, capsys):
    from neurosim import kernel_cache

    monkeypatch.setenv("NEUROSIM_CACHE_DIR", str(tmp_path / "k"))
    kernel_cache.ensure()
    (tmp_path / "k" / "neurosim_chunk_x.py").write_text("x = 1\n")
    assert main(["cache", "info"]) == 0
    out = capsys.readouterr().out
    assert str(tmp_path / "k") in out
    assert "files:     1" in out
    assert main(["cache", "clean"]) == 0
    assert _files(tmp_path / "k") == ["numba"]


def test_numba_caches_of_old_source_versions_are_pruned(tmp_path, monkeypatch):
    # each edit of a checkout is another version with its own Numba cache (tens of MB): the
    # KEEP_VERSIONS most recently used stay, older ones go; other entries are left alone
    from neurosim import kernel_cache

    monkeypatch.setenv("NEUROSIM_CACHE_DIR", str(tmp_path / "k"))
    numba_dir = tmp_path / "k" / "numba"
    numba_dir.mkdir(parents=True, mode=0o700)
    (tmp_path / "k").chmod(0o700)
    old = [numba_dir / f"{index:016x}" for index in range(5)]
    for age, folder in enumerate(old):
        folder.mkdir()
        (folder / "entry.nbi").write_text("x")
        os.utime(folder, (1e9 - age, 1e9 - age))  # old[0] the most recently used
    (numba_dir / "not_a_version").mkdir()
    kernel_cache.ensure()
    kept = sorted(entry.name for entry in numba_dir.iterdir())
    assert kept == sorted([kernel_cache.sources_digest(), *(f.name for f in old[:kernel_cache.KEEP_VERSIONS - 1]),
                           "not_a_version"])
