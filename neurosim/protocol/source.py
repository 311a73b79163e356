"""YAML with locations: every mapping key and sequence item remembers the file and line it came from.

``read(path)`` returns plain ``dict``/``list`` subclasses (:class:`Map`, :class:`Seq`) whose
``where`` attribute maps each key (or index) to a :class:`Where`. Locations survive ``include``
and merging, so an error in a value that came from a model file points at that model file.
"""
from __future__ import annotations

import pathlib
from dataclasses import dataclass

import yaml

from ..errors import ProtocolError


@dataclass(frozen=True)
class Where:
    """A place in a source: ``file`` (path or a label such as ``--set``) and 1-based ``line``."""

    file: str
    line: int | None = None


class Map(dict):
    """A mapping read from YAML; ``where[key]`` locates the key, ``start`` the mapping itself."""

    def __init__(self, *args, where=None, start: Where | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.where: dict = dict(where or {})
        self.start = start


class Seq(list):
    """A sequence read from YAML; ``where[i]`` locates item ``i``, ``start`` the sequence itself."""

    def __init__(self, items=(), where=None, start: Where | None = None):
        super().__init__(items)
        self.where: list = list(where or [])
        self.start = start


def _loader(file: str):
    class Loader(yaml.SafeLoader):
        """SafeLoader that builds :class:`Map` and :class:`Seq` with line numbers."""

    def construct_map(loader, node):
        loader.flatten_mapping(node)
        result = Map(start=Where(file, node.start_mark.line + 1))
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if key in result:
                raise ProtocolError(f"key '{key}' appears twice in one mapping", file, key_node.start_mark.line + 1)
            result[key] = loader.construct_object(value_node, deep=True)
            result.where[key] = Where(file, key_node.start_mark.line + 1)
        return result

    def construct_seq(loader, node):
        items = [loader.construct_object(child, deep=True) for child in node.value]
        return Seq(items, [Where(file, child.start_mark.line + 1) for child in node.value],
                   Where(file, node.start_mark.line + 1))

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_map)
    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, construct_seq)
    return Loader


def parse(text: str, file: str):
    """Parse YAML ``text``; syntax errors become :class:`ProtocolError` at the offending line."""
    try:
        return yaml.load(text, Loader=_loader(file))  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise ProtocolError(f"invalid YAML: {exc.problem or exc}", file,
                            mark.line + 1 if mark else None) from None


def read(path: str | pathlib.Path, label: str | None = None):
    """Read and parse one YAML file; ``label`` is how errors name it (default: the path as given)."""
    path = pathlib.Path(path)
    label = label or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProtocolError(f"cannot read the file ({exc.strerror})", label) from None
    return parse(text, label)


def locate(tree, path: tuple) -> Where | None:
    """The location of the deepest element of ``path`` (a tuple of keys and indices) found in ``tree``."""
    found, node = None, tree
    for key in path:
        if isinstance(node, Map) and key in node:
            found = node.where.get(key, found)
            node = node[key]
        elif isinstance(node, Seq) and isinstance(key, int) and 0 <= key < len(node):
            found = node.where[key] if key < len(node.where) else found
            node = node[key]
        else:
            if found is None:
                found = getattr(node, "start", None)
            break
    else:
        return found or getattr(node, "start", None)
    return found


def to_plain(tree):
    """``Map``/``Seq`` -> ``dict``/``list`` (for dumping back to YAML)."""
    if isinstance(tree, dict):
        return {key: to_plain(value) for key, value in tree.items()}
    if isinstance(tree, list):
        return [to_plain(value) for value in tree]
    return tree


def dump(tree) -> str:
    """YAML text of a tree, keys in their original order."""
    return yaml.safe_dump(to_plain(tree), sort_keys=False, default_flow_style=None, width=100)
