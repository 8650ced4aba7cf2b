"""Extraction speed: pages per second on one core (parse + every extractor), no network.

    python benchmarks/extraction_speed.py [--rounds N]

Runs over the bundled sample web and, when ../shared/eval-dev is present, over the real sites
of the development corpus (real pages are larger and messier).
"""

from __future__ import annotations

import argparse
import sys
import time

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))

from benchmarks._common import SHARED, html_pages, peak_rss_mib
from provdir.extract import extract_page
from provdir.sampleweb.server import bundled_sites_dir


def measure(name: str, pages: list[tuple[str, str]], rounds: int) -> None:
    if not pages:
        return
    for url, html in pages:  # warm-up: vocabulary compilation, imports
        extract_page(html, url)
    size = sum(len(h) for _, h in pages)
    start = time.process_time()
    for _ in range(rounds):
        for url, html in pages:
            extract_page(html, url)
    cpu = time.process_time() - start
    n = len(pages) * rounds
    print(
        f"{name:<22} {len(pages):>4} pages x {rounds} rounds: {n / cpu:8.1f} pages/s CPU "
        f"({size / len(pages) / 1024:.0f} KiB/page avg, {cpu / n * 1000:.1f} ms/page)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    measure("sample web", html_pages(bundled_sites_dir()), args.rounds)
    eval_sites = SHARED / "eval-dev" / "sites"
    if eval_sites.is_dir():
        measure("eval-dev (real sites)", html_pages(eval_sites), args.rounds)
    else:
        print("eval-dev corpus not found beside the repository; skipped")
    print(f"peak RSS: {peak_rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
