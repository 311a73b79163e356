"""Mutations of protocols for fuzzing the loader and the command line (issue 12).

``mutate(rng, base)`` returns ``(class, text)``: one random mutation of a protocol's YAML tree
(a value replaced by a hostile one, a key deleted or added, a list emptied) or of its text (bytes
inserted, truncated, lines duplicated or re-indented). Used by ``tests/test_fuzz.py`` (a few
hundred cases, in the suite) and by ``tests/fuzz_cli.py`` (thousands, by hand).
"""
from __future__ import annotations

import itertools
import random
import re

import yaml

HOSTILE_VALUES = [
    -1, 0, 1, 2.5, 1e308, -1e308, 2**64, -(2**63) - 1, True, False, None, [], {}, [1, 2, 3], [[[]]],
    "", "x", "20 ms", "20 mV", "0.5 nA", "1 Hz", "-5 mV", "0 ms", "1e400 ms", "nan ms", "inf", ".nan",
    "9**9**9 ms", "2**2**2**2 s", "1 " + "m" * 200, "1" * 200 + " ms", "1 ms^99", "1 (((ms)))", "1 ms/",
    "../escape", "/tmp/escape", "a/b.png", "x.gif", ".hidden", "\u202eevil", "nul\x00byte", "\x1b[31m",
    {"distribution": "normal", "mean": "0 mV", "std": "-1 mV"}, {"distribution": ["uniform"]},
    {"distribution": "uniform", "low": "1 mV", "high": "0 mV"}, {"linspace": [0, 1]}, {"linspace": "x"},
    {"include": "/dev/zero"}, {"include": "nowhere.yaml"}, {"name": ["all_to_all"]}, {"name": "all_to_all"},
    {"name": "fixed_probability", "p": 2}, {"name": "fixed_indegree", "k": 10**9}, {"name": "explicit",
                                                                                  "pre": [0.5], "post": [0]},
    {"name": "dense", "matrix": [[1, 2], [3]]}, 10**9, 10**12, "1e9 s", "1e-12 s",
]
KEYS = ["n", "model", "params", "tau_m", "v_thresh", "rule", "weight", "delay", "seed", "dt", "duration",
        "file", "name", "window", "bin_size", "every", "neurons", "config", "<<", "include", "type"]


def _paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*path, index))


def _get(node, path):
    for key in path:
        node = node[key]
    return node


def _tree_mutation(rng: random.Random, tree) -> tuple[str, object]:
    paths = [p for p in itertools.islice(_paths(tree), 20_000) if p]  # an alias bomb has 10^9 paths
    path = rng.choice(paths)
    parent, key = _get(tree, path[:-1]), path[-1]
    kind = rng.choice(["replace", "replace", "replace", "delete", "add", "empty", "duplicate"])
    if kind == "replace":
        parent[key] = rng.choice(HOSTILE_VALUES)
    elif kind == "delete":
        del parent[key]
    elif kind == "add" and isinstance(parent, dict):
        parent[rng.choice(KEYS) + rng.choice(["", "x"])] = rng.choice(HOSTILE_VALUES)
    elif kind == "empty":
        parent[key] = type(parent[key])() if isinstance(parent[key], (dict, list)) else None
    elif kind == "duplicate" and isinstance(parent, list):
        parent.append(parent[key])
    else:
        parent[key] = rng.choice(HOSTILE_VALUES)
        kind = "replace"
    return f"tree:{kind}", tree


def _text_mutation(rng: random.Random, text: str) -> tuple[str, str | bytes]:
    kind = rng.choice(["insert", "truncate", "line", "indent", "bytes", "anchor"])
    position = rng.randrange(len(text) + 1)
    if kind == "insert":
        piece = rng.choice(["[", "]", "{", "}", ":", "- ", "&a ", "*a", "<<: *a\n", "!!binary x", "? ", "'", '"',
                            "\t", "\n", "#", "%YAML 1.1\n", "---\n", "...\n", "\x00", "\ufeff"])
        return "text:insert", text[:position] + piece * rng.randint(1, 3) + text[position:]
    if kind == "truncate":
        return "text:truncate", text[:position]
    lines = text.splitlines(keepends=True) or [""]
    index = rng.randrange(len(lines))
    if kind == "line":
        lines.insert(index, lines[index])
        return "text:line", "".join(lines)
    if kind == "indent":
        lines[index] = " " * rng.randint(1, 5) + lines[index]
        return "text:indent", "".join(lines)
    if kind == "anchor":  # an alias of an earlier mapping, merged later
        match = re.search(r"^(\s+)(\w+):\s*$", text, flags=re.MULTILINE)
        if match:
            text = text[:match.end(2) + 1] + " &a" + text[match.end(2) + 1:]
        return "text:anchor", text + "\nextra: {<<: *a}\n"
    data = bytearray(text.encode()) or bytearray(b"\x00")
    for _ in range(rng.randint(1, 4)):
        data[rng.randrange(len(data))] = rng.randrange(256) if data else 0
    return "text:bytes", bytes(data)


def mutate(rng: random.Random, base: str) -> tuple[str, str | bytes]:
    """One mutation of protocol text ``base``: ``(class, new text)``."""
    if rng.random() < 0.6:
        try:
            tree = yaml.load(base, Loader=_LOADER)
            if isinstance(tree, (dict, list)) and tree:
                for _ in range(rng.randint(1, 3)):
                    kind, tree = _tree_mutation(rng, tree)
                return kind, yaml.dump(tree, Dumper=_DUMPER, sort_keys=False, allow_unicode=True)
        except (yaml.YAMLError, RecursionError, ValueError, TypeError):
            pass  # a base the mutator itself cannot walk (e.g. the deeply nested corpus files)
    return _text_mutation(rng, base)


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


LOCATED = re.compile(r"^neurosim: error: (--set|[^:\n]+:\d+|[^:\n]+): ", re.MULTILINE)


def outcome_ok(status: int, stderr: str) -> bool:
    """Exit 0, or exit 2 with a located first line; never a traceback or an internal error."""
    if "Traceback" in stderr or "internal error" in stderr:
        return False
    if status == 0:
        return True
    return status == 2 and LOCATED.match(stderr) is not None
