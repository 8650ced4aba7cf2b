"""End-to-end crawl speed of `provdir demo`: pages per second, wall clock, with the project's
polite defaults (per-site delay, AutoThrottle) and with politeness off (loopback upper bound).

    python benchmarks/crawl_speed.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(label: str, extra: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        from provdir.sampleweb.server import bundled_sites_dir, serve_sites, site_roots

        with serve_sites(site_roots(bundled_sites_dir()), port=0, first_host=90) as urls:
            seeds = Path(tmp) / "seeds.txt"
            seeds.write_text("".join(f"{u}\n" for u in urls.values()))
            start = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-m", "provdir.cli", "crawl", str(seeds), "--out", f"{tmp}/out",
                 "--allow-private-networks", *extra], cwd=ROOT, capture_output=True, text=True,
            )  # fmt: skip
            wall = time.perf_counter() - start
        if proc.returncode != 0:
            print(proc.stderr[-2000:])
            raise SystemExit(f"{label}: crawl failed ({proc.returncode})")
        (run_dir,) = (Path(tmp) / "out" / "runs").iterdir()
        stats = json.loads((run_dir / "stats.json").read_text())
        pages = stats.get("response_received_count", 0)
        crawl_s = stats.get("elapsed_time_seconds", wall)
        print(f"{label:<34} {pages:>4} pages  {wall:6.1f} s wall (process)  {crawl_s:6.1f} s crawl  "
              f"{pages / crawl_s:7.1f} pages/s  peak RSS {stats.get('memusage/max', 0) / 2**20:.0f} MiB")  # fmt: skip


def main() -> None:
    run("polite defaults (as `provdir demo`)", [])
    run("politeness off (loopback bound)", ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"])


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
