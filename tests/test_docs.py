"""Documentation stays inside the repository: every relative link of the README and docs/ resolves
to a file of the repository, and nothing points at files outside it."""
from __future__ import annotations

import re

import pytest

LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def _documents(root):
    return [root / "README.md", *sorted((root / "docs").rglob("*.md")), *sorted(root.glob("*.md"))]


@pytest.mark.parametrize("name", ["README.md", "docs"])
def test_relative_links_resolve_inside_the_repository(root, name):
    for document in _documents(root):
        if name == "README.md" and document.name != "README.md":
            continue
        for target in LINK.findall(document.read_text()):
            if re.match(r"[a-z]+://", target) or target.startswith("mailto:"):
                continue
            resolved = (document.parent / target).resolve()
            assert resolved.is_relative_to(root), f"{document.name}: link {target} leaves the repository"
            assert resolved.exists(), f"{document.name}: link {target} does not exist"


def test_no_document_or_test_names_a_path_outside_the_repository(root):
    outside = re.compile(r"\.\./shared|/work/shared")
    files = [*_documents(root), *sorted((root / "tests").rglob("*.py")), *sorted((root / "neurosim").rglob("*.py"))]
    offenders = [str(path.relative_to(root)) for path in files
                 if path.name != "test_docs.py" and outside.search(path.read_text())]
    assert offenders == []
