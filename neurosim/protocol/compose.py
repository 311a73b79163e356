"""Composition of YAML trees: ``include:`` of model files, deep merges and ``--set`` overrides.

A mapping with an ``include: path`` key is replaced by the included file's mapping (the path is
relative to the including file) with the mapping's other keys merged on top, so a protocol can
say ``network: {include: ../models/cuba.yaml, populations: {E: {n: 400}}}``. Mappings merge key
by key; any other value (including lists) is replaced as a whole.

Includes nest at most ``MAX_INCLUDE_DEPTH`` files deep and one protocol reads at most
``MAX_INCLUDES`` included files in all; a protocol stored in a results file may not include any.
"""
from __future__ import annotations

import os
import pathlib

from ..errors import ProtocolError
from .source import Map, Seq, Where, parse, read

SET_LABEL = "--set"
MAX_INCLUDE_DEPTH, MAX_INCLUDES = 8, 64


def merge(base, over):
    """``over`` merged onto ``base`` (new containers; locations follow the value that wins)."""
    if not (isinstance(base, Map) and isinstance(over, Map)):
        return over
    result = Map(base, where=base.where, start=base.start)
    for key, value in over.items():
        result[key] = merge(base[key], value) if key in base else value
        result.where[key] = over.where.get(key)
    return result


def resolve_includes(node, path: tuple = (), chain: tuple = (), count: list | None = None,
                     allowed: bool = True):
    """``node`` with every ``include:`` replaced by the included file (recursively; cycles are errors).

    ``count`` (a one-item list) accumulates the files read; ``allowed=False`` refuses every include.
    """
    count = [0] if count is None else count
    if isinstance(node, Seq):
        return Seq([resolve_includes(item, (*path, i), chain, count, allowed) for i, item in enumerate(node)],
                   node.where, node.start)
    if not isinstance(node, Map):
        return node
    result = Map(where=node.where, start=node.start)
    for key, value in node.items():
        result[key] = resolve_includes(value, (*path, key), chain, count, allowed)
    if "include" not in result:
        return result
    target, where = result.pop("include"), result.where.pop("include")
    key_path = ".".join(map(str, (*path, "include")))
    if not allowed:
        raise ProtocolError("a stored protocol cannot include files", where.file, where.line, key_path)
    if len(chain) > MAX_INCLUDE_DEPTH:
        raise ProtocolError(f"includes nested deeper than {MAX_INCLUDE_DEPTH} files", where.file, where.line, key_path)
    count[0] += 1
    if count[0] > MAX_INCLUDES:
        raise ProtocolError(f"more than {MAX_INCLUDES} included files in one protocol", where.file, where.line,
                            key_path)
    if not isinstance(target, str):
        raise ProtocolError(f"expected the path of a YAML file, got {target!r}", where.file, where.line, key_path)
    file = os.path.normpath(pathlib.Path(where.file).parent / target)
    if not pathlib.Path(file).is_file():
        raise ProtocolError(f"included file '{file}' does not exist", where.file, where.line, key_path)
    if file in chain:
        raise ProtocolError(f"'{file}' includes itself (via {' -> '.join(chain)})", where.file, where.line, key_path)
    included = resolve_includes(read(file), (), (*chain, file), count)
    if not isinstance(included, Map):
        raise ProtocolError(f"included file '{file}' must hold a mapping", where.file, where.line, key_path)
    return merge(included, result)


def apply_set(tree: Map, assignment: str) -> None:
    """Apply one ``key.path=value`` override in place (``value`` is YAML; list items by index)."""
    key_path, sep, text = assignment.partition("=")
    keys = [key.strip() for key in key_path.split(".")]
    if not sep or not all(keys):
        raise ProtocolError(f"expected key.path=value, got {assignment!r}", SET_LABEL)
    value = _relabel(parse(text, SET_LABEL))
    node = tree
    for depth, key in enumerate(keys):
        here = ".".join(keys[:depth + 1])
        last = depth == len(keys) - 1
        if isinstance(node, Seq):
            if not key.isdigit() or int(key) >= len(node):
                raise ProtocolError(f"no item {key!r} in a list of {len(node)}", SET_LABEL, None, here)
            if last:
                node[int(key)] = value
                node.where[int(key)] = Where(SET_LABEL)
            node = node[int(key)]
        elif isinstance(node, Map):
            if last:
                node[key] = value
                node.where[key] = Where(SET_LABEL)
            elif key not in node:
                node[key] = Map(start=Where(SET_LABEL))
                node.where[key] = Where(SET_LABEL)
            node = node[key]
        else:
            raise ProtocolError(f"{'.'.join(keys[:depth])} is a value, not a mapping or list", SET_LABEL, None, here)


def _relabel(node):
    """Locations inside a ``--set`` value: the command line has no line numbers."""
    if isinstance(node, Map):
        node.where = {key: Where(SET_LABEL) for key in node}
    elif isinstance(node, Seq):
        node.where = [Where(SET_LABEL)] * len(node)
    else:
        return node
    node.start = Where(SET_LABEL)
    for child in (node.values() if isinstance(node, Map) else node):
        _relabel(child)
    return node
