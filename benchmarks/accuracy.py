"""Extraction accuracy on the development corpus of real websites (../shared/eval-dev).

    python benchmarks/accuracy.py [--verbose]

Same as `provdir evaluate ../shared/eval-dev/gold ../shared/eval-dev/sites`: serves each site on
its own loopback address, runs the real crawl, prints per-site and overall figures.
"""

from __future__ import annotations

import sys
from pathlib import Path

from provdir.cli import main

EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval-dev"

if __name__ == "__main__":
    if not EVAL.is_dir():
        raise SystemExit(f"development corpus not found at {EVAL} (it lives beside the repository)")
    sys.exit(main(["evaluate", str(EVAL / "gold"), str(EVAL / "sites"), *sys.argv[1:]]))
