"""How the idle threads of a threaded loop wait: they spin for about :data:`SPIN_SECONDS`, then sleep.

Numba's OpenMP layer (libgomp) reads two variables once, when the first run of a process loads it:
``OMP_WAIT_POLICY`` and ``GOMP_SPINCOUNT``, the number of ``pause`` instructions an idle thread
spins before it sleeps in the kernel. Its default (300 000 spins) keeps idle threads spinning
between the parallel regions of a step; with more runnable threads than cores that spinning takes
the cores from the threads doing the work (CUBA 100 000 at load 14-19 on 2 cores: 2 threads used
16-115x the CPU time of 1). Sleeping at once (``passive``, no spin) costs a wake-up through the
kernel, 15-19 µs on these VMs, at the start of every region: CUBA 100 000 starts 3 per step in
about 200 µs of work, and 2 threads were only 1.05-1.3x faster than 1. A spin of a few tens of
microseconds bridges the short serial gaps between the regions of a step, so a thread that is
needed again at once is still awake, and bounds the waste on a busy machine to that time per
region. A ``pause`` takes 1-40 ns depending on the processor, so the count is calibrated: the
time of one ``pause`` is measured on the first run (x86; elsewhere :data:`FALLBACK_SPINS`).
``benchmarks/README.md`` ("Threads") has the measurements."""
from __future__ import annotations

import functools
import os
import platform
import time

import numba
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

#: How long an idle thread spins before it sleeps (s).
SPIN_SECONDS = 30e-6
#: Spins where a ``pause`` cannot be timed (not x86).
FALLBACK_SPINS = 1000


def configure_waiting() -> None:
    """Set ``OMP_WAIT_POLICY=passive`` and ``GOMP_SPINCOUNT`` (a spin of :data:`SPIN_SECONDS`)
    unless the user set either; call before the first run of a process loads libgomp (later
    calls, and calls after something else loaded it, change nothing)."""
    if "OMP_WAIT_POLICY" in os.environ or "GOMP_SPINCOUNT" in os.environ:
        return
    os.environ["OMP_WAIT_POLICY"] = "passive"
    os.environ["GOMP_SPINCOUNT"] = str(spin_count(pause_seconds()))


def spin_count(pause_seconds: float | None) -> int:
    """The number of ``pause`` instructions that take :data:`SPIN_SECONDS` (at least 1), or
    :data:`FALLBACK_SPINS` if the time of one is unknown (``None``)."""
    if pause_seconds is None or not pause_seconds > 0:
        return FALLBACK_SPINS
    return max(1, round(SPIN_SECONDS / pause_seconds))


@functools.cache
def pause_seconds() -> float | None:
    """The time of one ``pause`` instruction (s): the fastest of 5 loops of 20 000; ``None``
    off x86, where libgomp spins on another instruction."""
    if platform.machine().lower() not in ("x86_64", "amd64", "i686", "x86"):
        return None
    _pauses(1)  # compile (or load from the kernel cache)
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        _pauses(20_000)
        best = min(best, time.perf_counter() - started)
    return best / 20_000


@intrinsic
def _pause(typingctx):
    """x86's ``pause``, the instruction libgomp's idle threads spin on."""
    def codegen(context, builder, signature, args):
        pause = builder.module.declare_intrinsic("llvm.x86.sse2.pause", fnty=ir.FunctionType(ir.VoidType(), []))
        builder.call(pause, [])
        return context.get_dummy_value()
    return types.void(), codegen


@numba.njit(cache=True, nogil=True)
def _pauses(n):
    """Execute ``n`` ``pause`` instructions."""
    for _ in range(n):
        _pause()
    return n
