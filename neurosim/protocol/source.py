"""YAML with locations: every mapping key and sequence item remembers the file and line it came from.

``read(path)`` returns plain ``dict``/``list`` subclasses (:class:`Map`, :class:`Seq`) whose
``where`` attribute maps each key (or index) to a :class:`Where`. Locations survive ``include``
and merging, so an error in a value that came from a model file points at that model file.

Limits (each refused with a located ``ProtocolError``): files are UTF-8 of at most
``MAX_FILE_BYTES``; nesting is at most ``MAX_DEPTH`` levels; the tree with every alias expanded
has at most ``MAX_NODES`` nodes (so an alias bomb is refused before anything walks it); mapping
keys are plain scalars. YAML merge keys (``<<: *base``) are supported; keys written in the mapping
override merged ones.
"""
from __future__ import annotations

import pathlib
import re
from dataclasses import dataclass

import yaml

from ..errors import ProtocolError

#: Limits of one YAML source (see the module docstring).
MAX_FILE_BYTES, MAX_DEPTH, MAX_NODES = 8 * 2**20, 64, 500_000
_MERGE_TAG = "tag:yaml.org,2002:merge"


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

        depth = 0

        def compose_node(self, parent, index):
            self.depth += 1
            try:
                if self.depth > MAX_DEPTH:
                    mark = self.peek_event().start_mark
                    raise ProtocolError(f"nested deeper than {MAX_DEPTH} levels", file, mark.line + 1)
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

        def get_single_data(self):
            node = self.get_single_node()
            if node is None:
                return None
            _check_size(node, file)
            return self.construct_document(node)

    def construct_map(loader, node):
        explicit = sum(key_node.tag != _MERGE_TAG for key_node, _ in node.value)
        loader.flatten_mapping(node)
        first_explicit = len(node.value) - explicit  # merged pairs come first; written keys override them
        result = Map(start=Where(file, node.start_mark.line + 1))
        written = set()
        for index, (key_node, value_node) in enumerate(node.value):
            key = loader.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if isinstance(key, (dict, list, set)) or not isinstance(key, (str, int, float, bool, type(None))):
                raise ProtocolError("a mapping key must be a plain name or number, not a "
                                    f"{type(key).__name__}", file, line)
            if index >= first_explicit:
                if key in written:
                    raise ProtocolError(f"key '{key}' appears twice in one mapping", file, line)
                written.add(key)
            result[key] = loader.construct_object(value_node, deep=True)
            result.where[key] = Where(file, line)
        return result

    def construct_seq(loader, node):
        items = [loader.construct_object(child, deep=True) for child in node.value]
        return Seq(items, [Where(file, child.start_mark.line + 1) for child in node.value],
                   Where(file, node.start_mark.line + 1))

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_map)
    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, construct_seq)
    return Loader


def _check_size(root, file: str) -> None:
    """Refuse a node graph whose alias-expanded tree exceeds ``MAX_NODES`` (or that refers to itself)."""
    sizes: dict[int, int] = {}  # id(node) -> alias-expanded size
    open_: set[int] = set()

    def size(node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_:
            raise ProtocolError("an alias refers to the node that contains it", file, node.start_mark.line + 1)
        open_.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [child for pair in node.value for child in pair]
        else:
            children = ()
        for child in children:
            total += size(child)
            if total > MAX_NODES:
                raise ProtocolError(f"more than {MAX_NODES} values once aliases are expanded", file,
                                    node.start_mark.line + 1)
        open_.discard(key)
        sizes[key] = total
        return total

    size(root)


def _line_of(text: str, position: int) -> int:
    return text.count("\n", 0, max(position, 0)) + 1


_QUOTED_OR_COMMENT = re.compile(r"""'[^']*'|"(?:[^"\\]|\\.)*"|(?:^|\s)#.*""")


def _check_flow_depth(text: str, file: str) -> None:
    """Refuse flow collections (``[[[...``) nested deeper than ``MAX_DEPTH`` before PyYAML's scanner,
    whose cost grows with the square of the flow depth, reads them (quotes and comments skipped)."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return
    depth = 0
    for number, line in enumerate(text.splitlines(), 1):
        for bracket in re.findall(r"[\[\]{}]", _QUOTED_OR_COMMENT.sub("", line)):
            depth = depth + 1 if bracket in "[{" else max(depth - 1, 0)
            if depth > MAX_DEPTH:
                raise ProtocolError(f"nested deeper than {MAX_DEPTH} levels", file, number)


def parse(text: str, file: str):
    """Parse YAML ``text``; syntax errors become :class:`ProtocolError` at the offending line."""
    _check_flow_depth(text, file)
    try:
        return yaml.load(text, Loader=_loader(file))  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise ProtocolError(f"invalid YAML: {exc.problem or exc}", file,
                            mark.line + 1 if mark else None) from None
    except yaml.reader.ReaderError as exc:
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise ProtocolError(f"invalid YAML: character #x{code:04x} is not allowed ({exc.reason})",
                            file, _line_of(text, exc.position)) from None
    except yaml.YAMLError as exc:
        raise ProtocolError(f"invalid YAML: {exc}", file) from None
    except RecursionError:
        raise ProtocolError(f"nested deeper than {MAX_DEPTH} levels (merge keys or aliases)", file) from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise ProtocolError(f"invalid YAML value ({str(exc)[:120]})", file) from None


def read(path: str | pathlib.Path, label: str | None = None):
    """Read and parse one YAML file; ``label`` is how errors name it (default: the path as given)."""
    path = pathlib.Path(path)
    label = label or str(path)
    try:
        if not path.is_file():
            raise ProtocolError("not a regular file" if path.exists() else "no such file", label)
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ProtocolError(f"cannot read the file ({exc.strerror})", label) from None
    if len(data) > MAX_FILE_BYTES:
        raise ProtocolError(f"larger than {MAX_FILE_BYTES // 2**20} MiB", label)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolError(f"not UTF-8 text (byte 0x{data[exc.start]:02x})", label,
                            data.count(b"\n", 0, exc.start) + 1) from None
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
