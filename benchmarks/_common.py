"""Helpers shared by the benchmark scripts (not a test suite: they print figures)."""

from __future__ import annotations

import resource
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def html_pages(directory: Path) -> list[tuple[str, str]]:
    """(url path, html) of every HTML/PHP page under a folder of static sites."""
    pages = []
    for path in sorted(directory.rglob("*")):
        if path.suffix in (".html", ".htm", ".php") and path.is_file():
            rel = path.relative_to(directory).as_posix()
            pages.append((f"http://127.0.0.1:8000/{rel}", path.read_text(encoding="utf-8", errors="replace")))
    return pages


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
