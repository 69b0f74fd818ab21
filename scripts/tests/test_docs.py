"""The documentation matches the tree: every document indexed, links resolve, no issue numbers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SKIP_DIRS = {
    ".git",
    ".venv",
    "node_modules",
    "build",
    ".data",
    "dist",
    ".mypy_cache",
    ".ruff_cache",
}
# [text](target) with a relative target; the anchor part is dropped.
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
ISSUE_NUMBER = re.compile(r"\b[Ii]ssues? #?\d+\b")
HASH_NUMBER = re.compile(r"(?<![\w&/#])#\d{1,5}\b")


def tree_files(*suffixes: str) -> Iterator[Path]:
    stack = [ROOT]
    while stack:
        directory = stack.pop()
        for entry in sorted(directory.iterdir()):
            if entry.is_dir():
                if entry.name not in SKIP_DIRS and not entry.name.endswith(".egg-info"):
                    stack.append(entry)
            elif entry.suffix in suffixes:
                yield entry


def relative_links(markdown: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", markdown.read_text(), flags=re.DOTALL)
    targets = [m.split("#", 1)[0] for m in LINK.findall(text)]
    return [t for t in targets if t and not re.match(r"[a-z]+:", t)]


def test_docs_readme_links_every_document() -> None:
    docs = ROOT / "docs"
    linked = {(docs / t).resolve() for t in relative_links(docs / "README.md")}
    missing = [
        str(p.relative_to(ROOT))
        for p in sorted(docs.rglob("*.md"))
        if p.name != "README.md" or p.parent != docs
        if p.resolve() not in linked
    ]
    assert not missing, f"docs/README.md does not link: {missing}"


@pytest.mark.parametrize(
    "markdown", sorted(tree_files(".md")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_relative_links_resolve(markdown: Path) -> None:
    broken = [t for t in relative_links(markdown) if not (markdown.parent / t).exists()]
    assert not broken, f"{markdown.relative_to(ROOT)}: links to missing files: {broken}"


def test_no_internal_issue_numbers() -> None:
    """Docs, docstrings and comments explain; they do not point at the tracker's numbering."""
    found = []
    for path in tree_files(".md", ".py", ".sh", ".mk", ".ts", ".tsx", ".yml", ".yaml"):
        if path == Path(__file__).resolve():
            continue
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if ISSUE_NUMBER.search(line) or (path.suffix == ".md" and HASH_NUMBER.search(line)):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "internal issue numbers:\n" + "\n".join(found)
