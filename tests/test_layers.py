"""Dependencies point one way: model/vocab/normalize <- extract <- crawl <- distributed;
runs <- build; the CLI on top. Nothing in the crawl imports the build.

Read with ``ast`` (every import statement, including ones inside functions), so a late import
that would only fail at run time counts too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CRAWL_SIDE = [
    "provdir/crawl",
    "provdir/extract",
    "provdir/model",
    "provdir/normalize",
    "provdir/vocab",
    "provdir/sources",
    "spiders",
    "pipelines",
]
"""Everything that runs inside a crawl: none of it may import the build."""

FORBIDDEN = {
    **{folder: ("provdir.build",) for folder in CRAWL_SIDE},
    "provdir/model": ("provdir.extract", "provdir.crawl", "provdir.build", "provdir.distributed", "provdir.runs"),
    "provdir/vocab": ("provdir.extract", "provdir.crawl", "provdir.build", "provdir.distributed", "provdir.runs"),
    "provdir/normalize": ("provdir.extract", "provdir.crawl", "provdir.build", "provdir.distributed", "provdir.runs"),
    "provdir/extract": ("provdir.crawl", "provdir.build", "provdir.distributed", "provdir.runs"),
    "provdir/runs": ("provdir.build", "provdir.crawl", "provdir.distributed", "provdir.cli"),
    "provdir/crawl": ("provdir.build", "provdir.distributed", "provdir.cli"),
    "provdir/build": ("provdir.crawl", "provdir.distributed", "provdir.cli"),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports (absolute names; relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found.add(module)
            # ``from provdir import build`` imports the package named by the alias.
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def under(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def violations(folder: str) -> list[str]:
    bad = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        for module in sorted(imported_modules(path)):
            for prefix in FORBIDDEN[folder]:
                if under(module, prefix):
                    bad.append(f"{path.relative_to(ROOT)} imports {module}")
    return bad


@pytest.mark.parametrize("folder", sorted(FORBIDDEN))
def test_imports_point_one_way(folder):
    assert (ROOT / folder).is_dir(), f"{folder} is gone: update this test's layer table"
    assert violations(folder) == []


def test_the_checker_sees_late_and_relative_imports(tmp_path, monkeypatch):
    """The walk must catch what a crawl module could sneak in: an import inside a function, a
    relative import, ``from provdir import build``."""
    pkg = tmp_path / "provdir" / "crawl"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sneaky.py").write_text(
        "def f():\n    from provdir.build.publish import publish\n\n"
        "from ..build import resolve\nfrom provdir import build\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", tmp_path)
    found = violations("provdir/crawl")
    assert "provdir/crawl/sneaky.py imports provdir.build.publish" in found
    assert "provdir/crawl/sneaky.py imports provdir.build.resolve" in found
    assert "provdir/crawl/sneaky.py imports provdir.build" in found
