"""Crawl throughput against `scrapy bench`, and the cost of a second run over an unchanged web.

    python benchmarks/recrawl.py [--sites 60]

1. `scrapy bench` (Scrapy's own loopback benchmark, link extraction only) for 10 s.
2. A single-process `provdir crawl` of a generated sample web (the bundled sites copied N times
   with their own names and phone numbers, each on its own 127.0.0.x address), politeness off
   (loopback), extraction and publishing on: pages per second of the crawl itself.
3. The same crawl again over the unchanged web: wall time and bytes received as a fraction of
   the first run (every page revalidated with a 304; extraction reused).
Both run in the same invocation, on the same machine, so the ratio is meaningful.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._common import timed_cli  # noqa: E402
from provdir.sampleweb.server import bundled_sites_dir, serve_sites, site_roots  # noqa: E402

FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"]


def generate_web(target: Path, copies: int) -> dict[str, Path]:
    """The bundled sites copied ``copies`` times each, with distinct names and phone numbers."""
    roots: dict[str, Path] = {}
    bundled = site_roots(bundled_sites_dir())
    n = 0
    while len(roots) < copies:
        for slug, src in bundled.items():
            if len(roots) >= copies:
                break
            n += 1
            dst = target / f"{slug}-{n}"
            shutil.copytree(src, dst)
            for page in dst.rglob("*.html"):
                text = page.read_text(encoding="utf-8")
                text = re.sub(r"555-01(\d\d)", lambda m, k=n: f"555-{(k * 7 + int(m.group(1))) % 10000:04d}", text)
                page.write_text(text.replace("Recovery", f"Recovery {n}"), encoding="utf-8")
            roots[dst.name] = dst
    return roots


def scrapy_bench(seconds: int = 10) -> float:
    proc = subprocess.run(
        [sys.executable, "-m", "scrapy", "bench", "-s", f"CLOSESPIDER_TIMEOUT={seconds}", "-s", "LOG_LEVEL=INFO"],
        capture_output=True,
        text=True,
        cwd=tempfile.gettempdir(),
    )
    pages = int(re.search(r"'response_received_count': (\d+)", proc.stderr).group(1))
    elapsed = float(re.search(r"'elapsed_time_seconds': ([\d.]+)", proc.stderr).group(1))
    return pages / elapsed


def crawl(seeds: Path, out: Path) -> dict:
    wall, stats, _ = timed_cli("crawl", str(seeds), "--out", str(out), "--allow-private-networks", *FAST, out=out)
    return {
        "wall": wall,
        "crawl": stats["elapsed_time_seconds"],
        "pages": stats["response_received_count"],
        "bytes": stats.get("downloader/response_bytes", 0),
        "revalidated": stats.get("httpcache/revalidate", 0),
        "reused": stats.get("pages/extraction_reused", 0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sites", type=int, default=60)
    args = parser.parse_args()
    bench = scrapy_bench()
    print(f"scrapy bench (same machine, this run): {bench:7.1f} pages/s")
    with tempfile.TemporaryDirectory() as tmp:
        roots = generate_web(Path(tmp) / "web", args.sites)
        with serve_sites(roots, port=0, first_host=20) as urls:
            seeds = Path(tmp) / "seeds.txt"
            seeds.write_text("".join(f"{u}\n" for u in urls.values()))
            first = crawl(seeds, Path(tmp) / "out")
            second = crawl(seeds, Path(tmp) / "out")
    rate = first["pages"] / first["crawl"]
    print(
        f"provdir crawl, {len(roots)} sites, extraction + publishing on: {first['pages']} pages in "
        f"{first['crawl']:.1f} s crawl ({first['wall']:.1f} s wall) = {rate:.1f} pages/s = {rate / bench:.0%} of scrapy bench"
    )
    print(
        f"second run, unchanged web: {second['wall']:.1f} s wall ({second['wall'] / first['wall']:.0%} of the first), "
        f"{second['bytes']:,} bytes received ({second['bytes'] / max(first['bytes'], 1):.1%} of {first['bytes']:,}), "
        f"{second['revalidated']} pages revalidated (304), {second['reused']} extractions reused"
    )


if __name__ == "__main__":
    main()
