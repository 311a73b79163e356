"""Software prefetch for Numba kernels.

``prefetch(array, index)`` asks the CPU to start loading the cache line that holds
``array[index]`` (LLVM's ``llvm.prefetch``: a read, to be kept in every cache level). It changes no
result. It hides the latency of loads whose addresses are known before they are needed, such as the
CSR rows of the neurons that spiked in a step, which lie scattered over arrays far larger than the
caches. ``prefetch_span`` does it for every cache line of ``array[start:end]``.
"""
from __future__ import annotations

import numba
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

#: Bytes per cache line on x86-64 and most AArch64 cores.
CACHE_LINE = 64


@intrinsic
def prefetch(typingctx, array, index):
    """Prefetch the cache line holding ``array[index]`` (1-D array, integer index, no bounds check:
    a prefetch of an address that is not mapped is dropped, never faults)."""
    if not (isinstance(array, types.Array) and array.ndim == 1 and isinstance(index, types.Integer)):
        return None

    def codegen(context, builder, signature, args):
        array_type = signature.args[0]
        view = context.make_array(array_type)(context, builder, args[0])
        pointer = cgutils.get_item_pointer(context, builder, array_type, view, [args[1]], wraparound=False,
                                           boundscheck=False)
        byte_pointer = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        function = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [byte_pointer, i32, i32, i32]), "llvm.prefetch.p0")
        # read (0), keep in all cache levels (3), data cache (1)
        builder.call(function, [builder.bitcast(pointer, byte_pointer), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return types.void(array, index), codegen


@intrinsic
def _per_line(typingctx, array):
    """Elements of ``array`` per cache line, a compile-time constant (a division at run time costs
    more than the prefetches of a short row)."""
    if not isinstance(array, types.Array):
        return None
    count = max(1, CACHE_LINE * 8 // array.dtype.bitwidth)
    return types.intp(array), lambda context, builder, signature, args: context.get_constant(types.intp, count)


@numba.njit(cache=True, nogil=True, forceinline=True)
def prefetch_span(array, start, end):
    """Prefetch every cache line of ``array[start:end]`` (nothing for a stride-0 view: one value)."""
    if end > start and array.strides[0] != 0:
        for position in range(start, end, _per_line(array)):
            prefetch(array, position)
        prefetch(array, end - 1)  # the last line, when the span does not start on a line boundary
