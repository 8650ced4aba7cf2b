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


def timed_cli(*args: str, out: Path, ok: tuple[int, ...] = (0, 3)) -> tuple[float, dict, Path]:
    """Run ``provdir ARGS`` in a subprocess; return (wall seconds, the newest run's stats, its folder).

    Exits with the crawl's stderr when its exit code is not in ``ok``.
    """
    import json
    import subprocess
    import sys
    import time

    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "provdir.cli", *args], cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode not in ok:
        raise SystemExit(f"provdir {args[0]} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    run_dir = sorted((out / "runs").iterdir())[-1]
    return wall, json.loads((run_dir / "stats.json").read_text()), run_dir
