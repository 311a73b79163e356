"""Layers import downward only (docs/architecture.md): a module may import from its own layer's
package and from lower layers, never from a higher one, and the three model families above the
core (coding, learning, baselines) never import each other. Checked on the source (AST), so
imports inside functions count too."""
from __future__ import annotations

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1] / "neurosim"

#: Rank of each top-level part of the package: a module may import parts of lower or equal rank.
LAYERS = {
    "_version": 0, "errors": 0, "units": 1, "rng": 1, "kernel_cache": 1, "experiment": 1, "datasets": 1,
    "models": 1,  # model description files (YAML) shipped as package data
    "equations": 2,
    "core": 3,
    "coding": 4, "learning": 4, "baselines": 4,
    "analysis": 5, "io": 5, "protocol": 6, "plotting": 6,
    "compare": 7, "sweep": 7,
    "cli": 8, "__init__": 9, "__main__": 9,
}
#: Parts of equal rank that must not import each other.
PEERS_APART = {"coding", "learning", "baselines"}


def _part(module: str) -> str:
    return module.split(".")[1] if module.startswith("neurosim.") else ""


def _imports(path: pathlib.Path):
    package = ".".join(["neurosim", *path.relative_to(ROOT).with_suffix("").parts])
    if path.name == "__init__.py":
        package = package.rsplit(".", 1)[0] + ".__init__"
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: -node.level]
                target = ".".join(base + ([node.module] if node.module else []))
                if not node.module:
                    for alias in node.names:
                        yield node.lineno, f"{target}.{alias.name}"
                    continue
            else:
                target = node.module or ""
            yield node.lineno, target


def _violations():
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        own = path.relative_to(ROOT).parts[0].removesuffix(".py")
        for line, target in _imports(path):
            other = _part(target)
            if not other or other == own:
                continue
            where = f"{path.relative_to(ROOT.parent)}:{line} imports {target}"
            if other not in LAYERS or own not in LAYERS:
                found.append(f"{where} (part not in the layer table)")
            elif LAYERS[other] > LAYERS[own]:
                found.append(f"{where} (upward: {own} is below {other})")
            elif own in PEERS_APART and other in PEERS_APART:
                found.append(f"{where} (peer import between {own} and {other})")
    return found


def test_layers_import_downward_only():
    assert _violations() == []


def test_every_top_level_part_has_a_layer():
    parts = {p.name.removesuffix(".py") for p in ROOT.iterdir()
             if p.suffix == ".py" or (p / "__init__.py").exists()}
    assert parts - set(LAYERS) == set()


def test_an_upward_import_is_found(tmp_path, monkeypatch):
    """The checker itself: a core module importing the protocol layer is reported."""
    package = tmp_path / "neurosim"
    (package / "core").mkdir(parents=True)
    (package / "core" / "bad.py").write_text("def f():\n    from ..protocol import load\n")
    monkeypatch.setattr(__import__(__name__), "ROOT", package)
    assert _violations() == ["neurosim/core/bad.py:2 imports neurosim.protocol (upward: core is below protocol)"]
