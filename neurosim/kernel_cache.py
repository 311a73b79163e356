"""The kernel cache: one per-user directory for generated step loops and Numba's on-disk cache.

``directory()`` is ``$NEUROSIM_CACHE_DIR``, else ``$XDG_CACHE_HOME/neurosim/kernels``, else
``~/.cache/neurosim/kernels``. Before anything is imported or unpickled from it, ``ensure()``
creates it with mode 0700 and checks that it is a real directory (not a symlink) owned by the
user and not writable by group or others; otherwise it raises :class:`CacheError` (there is no
fallback to a shared directory such as ``/tmp``). Numba's cache of neurosim's own ``@njit``
kernels lives in ``<directory>/numba/<digest>`` (``NUMBA_CACHE_DIR``, set before neurosim imports
numba, unless the user set it), where ``<digest>`` hashes every Python source of the installed
neurosim: Numba checks an entry against its own file only, so a kernel that inlines a function of
another module (``forceinline``) would keep the old code after a ``git pull`` that changed only
that module. Corrupt entries heal: a generated module whose text differs from its
source is rewritten (``core.codegen``) and an unreadable Numba index or data file is removed and
recompiled, each with a :class:`~neurosim.errors.NeurosimWarning`; an entry that cannot be
written (a full disk, a file-size limit) is skipped with the same warning, and the run goes on.
"""
from __future__ import annotations

import hashlib
import itertools
import os
import pathlib
import shutil
import stat
import sys
import warnings

from .errors import NeurosimError, NeurosimWarning


class CacheError(NeurosimError):
    """The kernel cache directory cannot be used safely."""


def directory() -> pathlib.Path:
    """The cache directory (not created; see :func:`ensure`)."""
    root = os.environ.get("NEUROSIM_CACHE_DIR")
    if root:
        return pathlib.Path(root).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return pathlib.Path(base) / "neurosim" / "kernels"


_PACKAGE_ROOT = pathlib.Path(__file__).resolve().parent
_SOURCES_DIGEST: str | None = None


def sources_digest(folders: list[pathlib.Path] | None = None) -> str:
    """Hash (16 hex digits) of the Python sources under ``folders`` (default: all of neurosim's,
    computed once per process): their paths relative to the package and their bytes."""
    global _SOURCES_DIGEST
    if folders is None and _SOURCES_DIGEST is not None:
        return _SOURCES_DIGEST
    digest = hashlib.sha256()
    for path in sorted(p for folder in (folders or [_PACKAGE_ROOT]) for p in folder.rglob("*.py")):
        digest.update(str(path.relative_to(_PACKAGE_ROOT)).encode())
        digest.update(path.read_bytes())
    value = digest.hexdigest()[:16]
    if folders is None:
        _SOURCES_DIGEST = value
    return value


def numba_directory() -> pathlib.Path:
    """Where Numba caches neurosim's kernels: ``<directory>/numba/<sources digest>``."""
    return directory() / "numba" / sources_digest()


def problem(path: pathlib.Path) -> str | None:
    """Why ``path`` is not a safe cache directory, or None."""
    try:
        info = os.lstat(path)
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    if stat.S_ISLNK(info.st_mode):
        return "is a symbolic link"
    if not stat.S_ISDIR(info.st_mode):
        return "is not a directory"
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return f"is owned by user id {info.st_uid}, not by you ({os.getuid()})"
    if info.st_mode & 0o022:
        return f"has mode {stat.S_IMODE(info.st_mode):04o}: writable by group or others"
    if not os.access(path, os.W_OK | os.X_OK):
        return "is not writable"
    return None


def ensure(path: pathlib.Path | None = None) -> pathlib.Path:
    """Create the cache directory (mode 0700) if needed and check it; raises :class:`CacheError`."""
    path = directory() if path is None else path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not os.path.lexists(path):
            os.mkdir(path, 0o700)
        folders = [path, path / "numba", path / "numba" / sources_digest()]
        for parent, folder in itertools.pairwise(folders):
            if not os.path.lexists(folder) and problem(parent) is None:
                os.mkdir(folder, 0o700)
    except OSError as exc:
        raise CacheError(f"kernel cache {path}: cannot be created ({exc.strerror}); set NEUROSIM_CACHE_DIR "
                         "to a directory of your own") from None
    for folder in folders:
        reason = problem(folder)
        if reason is not None:
            raise CacheError(f"kernel cache {folder}: {reason}; nothing is loaded from it. Fix it (chmod 700, "
                             "owned by you) or set NEUROSIM_CACHE_DIR to a directory of your own")
    _prune_versions(folders[1], folders[2])
    return path


#: Source versions whose Numba caches are kept (each version of a checkout being edited adds one).
KEEP_VERSIONS = 3


def _prune_versions(numba_dir: pathlib.Path, current: pathlib.Path) -> None:
    """Mark ``current`` used (its mtime) and remove the Numba caches of all but the
    :data:`KEEP_VERSIONS` most recently used source versions. A process of a removed version that
    is still running recompiles what it misses and skips the entries it cannot write."""
    try:
        os.utime(current)
        versions = [(entry.stat().st_mtime, entry) for entry in numba_dir.iterdir()
                    if len(entry.name) == 16 and entry != current and all(c in "0123456789abcdef" for c in entry.name)
                    and entry.is_dir() and not entry.is_symlink()]
    except OSError:  # another process pruning at the same time: leave it to that one
        return
    for _, old in sorted(versions, reverse=True)[KEEP_VERSIONS - 1:]:
        shutil.rmtree(old, ignore_errors=True)


def point_numba() -> None:
    """Point Numba's cache at :func:`numba_directory` unless the user set ``NUMBA_CACHE_DIR``;
    called by ``neurosim/__init__`` before any neurosim module imports numba. Writes no file."""
    if "NUMBA_CACHE_DIR" not in os.environ or os.environ.get("_NEUROSIM_SET_NUMBA_CACHE_DIR"):
        os.environ["NUMBA_CACHE_DIR"] = str(numba_directory())
        os.environ["_NEUROSIM_SET_NUMBA_CACHE_DIR"] = "1"  # ours, so a child process recomputes it
        if "numba" in sys.modules:  # imported before neurosim: its config was read already
            sys.modules["numba"].config.CACHE_DIR = os.environ["NUMBA_CACHE_DIR"]


def prepare() -> pathlib.Path:
    """Check the directory (:func:`ensure`) and install the healing of corrupt Numba entries; called
    by ``neurosim.core`` before its cached kernels are defined."""
    point_numba()
    path = ensure()
    _heal_numba()
    return path


def _heal_numba() -> None:
    """Make Numba treat an unreadable index or data file under the cache as a miss (remove it,
    warn, and let Numba compile and write it again), and a failed write of an entry as no entry."""
    from numba.core import caching

    cls = caching.IndexDataCacheFile
    if getattr(cls, "_neurosim_heals", False) or not all(hasattr(cls, n) for n in ("_load_index", "_load_data",
                                                                                   "save", "_data_path")):
        return
    load_index, load_data, save = cls._load_index, cls._load_data, cls.save

    def ours(path) -> bool:
        return str(path).startswith(str(directory()))

    def _load_index(self):
        try:
            return load_index(self)
        except Exception as exc:
            if not ours(self._index_path):
                raise
            _remove(self._index_path, exc)
            return {}

    def _load_data(self, name):
        try:
            return load_data(self, name)
        except OSError:
            raise
        except Exception as exc:
            path = self._data_path(name)
            if not ours(path):
                raise
            _remove(path, exc)
            raise OSError(f"corrupt cache entry {path}") from None  # Numba treats it as a miss

    def save_entry(self, key, data):
        try:
            return save(self, key, data)
        except OSError as exc:  # a full disk or a file-size limit: the kernel runs, uncached
            if not ours(self._index_path):
                raise
            warnings.warn(f"kernel cache entry under {directory()} could not be written ({exc.strerror or exc}); "
                          "it is compiled again next time", NeurosimWarning, stacklevel=2)

    for attribute, value in (("_load_index", _load_index), ("_load_data", _load_data), ("save", save_entry),
                             ("_neurosim_heals", True)):
        setattr(cls, attribute, value)  # Numba's cache class patched in place (mypy refuses method assignment)


def _remove(path, exc) -> None:
    warnings.warn(f"corrupt kernel cache entry {path} ({type(exc).__name__}) removed; recompiling",
                  NeurosimWarning, stacklevel=3)
    pathlib.Path(path).unlink(missing_ok=True)


def info() -> dict:
    """``{"directory", "problem", "files", "bytes"}`` of the cache (nothing is created)."""
    path = directory()
    files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() and problem(path) is None else []
    return {"directory": str(path), "problem": problem(path) if os.path.lexists(path) else "does not exist yet",
            "files": len(files), "bytes": sum(p.stat().st_size for p in files)}


def clean() -> int:
    """Remove every entry of the cache (the directory stays); returns the number of files removed."""
    path = directory()
    if not os.path.lexists(path):
        return 0
    reason = problem(path)
    if reason is not None:
        raise CacheError(f"kernel cache {path}: {reason}; not cleaned")
    count = 0
    for entry in path.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            count += sum(1 for p in entry.rglob("*") if p.is_file())
            shutil.rmtree(entry)
        else:
            entry.unlink()
            count += 1
    os.mkdir(path / "numba", 0o700)
    return count
