"""``vexp(x)``, ``vexpm1(x)``, ``vexprel(x)`` (and ``vlog``, ``vpow``): exp and log written in
arithmetic that LLVM vectorises, for the generated step loops.

``math.exp`` compiles to a call into libm, which keeps a loop scalar (Numba has no SVML here).
``vexp`` inlines into the loop and uses only multiplies, adds, selects, an integer add/shift and
a bit cast, so a loop over neurons that calls it becomes SIMD code. The inlining is LLVM's
(``forceinline``: the function is marked ``alwaysinline``), not Numba's ``inline="always"``, which
copies the function's Numba IR into the caller at every call and re-runs its SSA passes: with it,
compiling one Traub cell's dopri5 loop (two copies of six stages' rates) took 83 s of CPU, 5 s
without (the same SIMD code).

Method (Cody and Waite 1980; as fdlibm's ``e_exp.c``, without its table or division):
``x = k ln2 + r`` with ``k = round(x / ln2)`` (the ``1.5 * 2**52`` shifter trick rounds, and leaves
``k`` in the low bits), ``|r| <= ln2/2``, ``ln2`` split in a high part with 32 significant bits
(``k * LN2_HI`` is exact) and a low part; ``exp(r) = 1 + r + r**2 (1/2! + r/3! + ... + r**11/13!)``
(the Taylor remainder ``r**14/14!`` is below 5e-18 relative); ``2**k`` is built from its bits in
two factors ``2**(k//2) * 2**(k - k//2)`` so that results in the subnormal range (and overflow to
inf) come out of one final rounding. IEEE cases: ``exp(nan) = nan``, ``exp(inf) = inf``,
``exp(-inf) = 0``, overflow above 709.78 to ``inf``, gradual underflow down to 0 below -745.13.

Accuracy (``tests/equations/test_vexp.py``): at most 1 ulp from the correctly rounded value over
the whole double range; ``math.exp`` (glibc) is within 0.5 ulp, so the two differ in the last bit
for some arguments and generated code using ``vexp`` is not bitwise equal to Brian2 or NEST.
"""
from __future__ import annotations

import math

import numba
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

LOG2E = 1.4426950408889634  # 1/ln2
LN2_HI = 6.93147180369123816490e-01  # ln2 to 32 significant bits (0x3fe62e42fee00000)
LN2_LO = 1.90821492927058770002e-10  # ln2 - LN2_HI
SHIFTER = 6755399441055744.0  # 1.5 * 2**52: x + SHIFTER rounds x to an integer in the low bits
X_MAX = 710.0   # exp(x) = inf above 709.78...
X_MIN = -746.0  # exp(x) rounds to 0 below -745.13...
#: 1/n! for n = 2 .. 13 (coefficients of the Taylor polynomial of (exp(r) - 1 - r) / r**2)
C2, C3, C4, C5, C6, C7 = (1 / 2, 1 / 6, 1 / 24, 1 / 120, 1 / 720, 1 / 5040)
C8, C9, C10, C11, C12, C13 = (1 / 40320, 1 / 362880, 1 / 3628800, 1 / 39916800, 1 / 479001600, 1 / 6227020800)


@intrinsic
def _bits(typingctx, x):
    """The IEEE bits of a float64 as an int64 (a register reinterpretation, no conversion)."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))
    return types.int64(types.float64), codegen


@intrinsic
def _from_bits(typingctx, i):
    """The float64 whose IEEE bits are the int64 ``i``."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())
    return types.float64(types.int64), codegen


@numba.njit(cache=True, nogil=True, forceinline=True)
def _reduced(x):
    """``(s, a, b, c)`` with ``exp(x) = (1 + s) a b``: ``s = exp(r) - 1``, ``a b = 2**k``, ``c = 1/b``."""
    x = X_MAX if x > X_MAX else x  # selects that keep nan
    x = X_MIN if x < X_MIN else x
    shifted = x * LOG2E + SHIFTER
    k = shifted - SHIFTER  # round(x / ln2) as a float
    r = (x - k * LN2_HI) - k * LN2_LO
    q = C12 + r * C13
    q = C11 + r * q
    q = C10 + r * q
    q = C9 + r * q
    q = C8 + r * q
    q = C7 + r * q
    q = C6 + r * q
    q = C5 + r * q
    q = C4 + r * q
    q = C3 + r * q
    q = C2 + r * q
    n = _bits(shifted) - _bits(SHIFTER)  # k as an integer, |k| <= 1077
    half = n >> 1
    return (r + r * r * q, _from_bits((half + 1023) << 52), _from_bits((n - half + 1023) << 52),
            _from_bits((1023 - (n - half)) << 52))


@numba.njit(cache=True, nogil=True, forceinline=True)
def vexp(x):
    """``exp(x)`` of a float64 within 1 ulp, branch-free (see the module docstring)."""
    s, a, b, _ = _reduced(x)
    return (1.0 + s) * a * b


@numba.njit(cache=True, nogil=True, forceinline=True)
def vexpm1(x):
    """``exp(x) - 1`` of a float64 within 2 ulp, branch-free: ``(a s + (a - 1/b)) b`` with
    ``a b = 2**k`` (``a - 1/b`` is exact for ``|k| <= 52``, and ``s`` alone for ``k = 0``, near 0)."""
    s, a, b, c = _reduced(x)
    return (a * s + (a - c)) * b


@numba.njit(cache=True, nogil=True, forceinline=True)
def vexprel(x):
    """``(exp(x) - 1)/x`` with its limit 1 at ``x = 0``, branch-free (no division by 0 is formed)."""
    return 1.0 if x == 0.0 else vexpm1(x) / (x if x != 0.0 else 1.0)


#: 1/(2k + 1) for k = 1 .. 11: log(m) = 2 atanh(s) = 2 s sum_k s**(2k) / (2k + 1), s = (m - 1)/(m + 1)
L1, L2, L3, L4, L5 = (1 / 3, 1 / 5, 1 / 7, 1 / 9, 1 / 11)
L6, L7, L8, L9, L10, L11 = (1 / 13, 1 / 15, 1 / 17, 1 / 19, 1 / 21, 1 / 23)
SQRT2 = 1.4142135623730951
MANTISSA = (1 << 52) - 1
ONE_BITS = 0x3FF0000000000000  # the bits of 1.0


@numba.njit(cache=True, nogil=True, forceinline=True)
def vlog(x):
    """``log(x)`` of a float64 within a few ulp, branch-free: ``x = 2**e m`` with ``m`` in
    ``[sqrt(2)/2, sqrt(2))`` (subnormals scaled by ``2**54`` first), ``log(m) = 2 atanh(s)`` with
    ``s = (m - 1)/(m + 1)``, ``|s| <= 0.172``, summed to ``s**23`` (remainder below 1e-18 relative).
    IEEE cases: ``log(0) = -inf``, ``log(x < 0) = nan``, ``log(inf) = inf``, ``log(nan) = nan``."""
    tiny = x < 2.2250738585072014e-308
    y = x * 18014398509481984.0 if tiny else x  # 2**54
    bits = _bits(y)
    m = _from_bits((bits & MANTISSA) | ONE_BITS)
    e = (bits >> 52) - (1023 + 54 if tiny else 1023)
    high = m > SQRT2
    m = m * 0.5 if high else m
    e = e + 1 if high else e
    ef = _from_bits(e + _bits(SHIFTER)) - SHIFTER  # e as a float (exact, |e| < 2**51)
    s = (m - 1.0) / (m + 1.0)
    z = s * s
    p = L10 + z * L11
    p = L9 + z * p
    p = L8 + z * p
    p = L7 + z * p
    p = L6 + z * p
    p = L5 + z * p
    p = L4 + z * p
    p = L3 + z * p
    p = L2 + z * p
    p = L1 + z * p
    result = ef * LN2_HI + (2.0 * s + (2.0 * s * z * p + ef * LN2_LO))
    result = -math.inf if x == 0.0 else result
    result = math.nan if x < 0.0 else result
    return x if (x != x) | (x == math.inf) else result  # nan and inf are their own log


@numba.njit(cache=True, nogil=True, forceinline=True)
def vpow(x, y):
    """``x**y`` for ``x > 0`` as ``vexp(y vlog(x))``, branch-free (relative error about
    ``|y log(x)|`` ulp: the adaptive methods' step-size factor ``err**(-1/order)``)."""
    return vexp(y * vlog(x))
