"""End-to-end crawl speed of `provdir demo`: pages per second, wall clock, with the project's
polite defaults (per-site delay, AutoThrottle) and with politeness off (loopback upper bound).

    python benchmarks/crawl_speed.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._common import timed_cli  # noqa: E402


def run(label: str, extra: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        from provdir.sampleweb.server import bundled_sites_dir, serve_sites, site_roots

        with serve_sites(site_roots(bundled_sites_dir()), port=0, first_host=90) as urls:
            seeds = Path(tmp) / "seeds.txt"
            seeds.write_text("".join(f"{u}\n" for u in urls.values()))
            out = Path(tmp) / "out"
            wall, stats, _ = timed_cli(
                "crawl", str(seeds), "--out", str(out), "--allow-private-networks", *extra, out=out, ok=(0,)
            )
        pages = stats.get("response_received_count", 0)
        crawl_s = stats.get("elapsed_time_seconds", wall)
        print(
            f"{label:<34} {pages:>4} pages  {wall:6.1f} s wall (process)  {crawl_s:6.1f} s crawl  "
            f"{pages / crawl_s:7.1f} pages/s  peak RSS {stats.get('memusage/max', 0) / 2**20:.0f} MiB"
        )


def main() -> None:
    run("polite defaults (as `provdir demo`)", [])
    run("politeness off (loopback bound)", ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"])


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
