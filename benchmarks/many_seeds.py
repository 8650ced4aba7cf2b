"""Memory and manifest size of a crawl over many seeds (issue 19: 100,000 seeds grew RSS to 1.1 GiB
and the manifest to 35 MB).

Every seed is a distinct loopback address (127.1.x.y) on a port nothing listens on, so each
connection is refused at once: the figures are the crawl's own bookkeeping, not page handling.
Peak resident memory is the crawl process's own (``wait4``). Publishing is off.

    python benchmarks/many_seeds.py [N ...]      (default: 5000 20000)

Measured 2026-12-01 (shared 2-core machine): before, 2000 seeds 135 MiB / 1.02 MiB manifest,
8000 seeds 189 MiB / 4.09 MiB (~9 KiB a seed); after, 2000 seeds 133 MiB, 8000 seeds 158 MiB,
20000 seeds 212 MiB (~4.5 KiB a seed, the per-site state), manifest under 0.01 MiB + sites.jsonl 6.8 MiB.
"""

from __future__ import annotations

import socket
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def closed_port() -> int:
    """A port nothing listens on (bound once, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seeds_file(path: Path, n: int, port: int) -> None:
    path.write_text("".join(f"http://127.1.{i // 250}.{i % 250 + 1}:{port}/\n" for i in range(n)))


def main(sizes: list[int]) -> None:
    from tests.hostile import crawl

    port = closed_port()
    print(f"{'seeds':>7} {'peak RSS':>9} {'wall':>7} {'manifest':>10} {'sites.jsonl':>12}  status")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            seeds = Path(tmp) / "seeds.txt"
            seeds_file(seeds, n, port)
            out = Path(tmp) / "out"
            result = crawl(
                seeds,
                out,
                "-s",
                "PROVDIR_PUBLISH=False",
                "-s",
                "RETRY_ENABLED=False",
                "-s",
                "DOWNLOAD_TIMEOUT=2",
                "-s",
                "CONCURRENT_REQUESTS=64",
                "--max-pages-per-site",
                "1",
                timeout=1800,
            )
            run = result.runs()[-1] if result.runs() else None
            if run is None or not (run / "manifest.json").exists():
                print(result.stderr[-2000:])
                raise SystemExit(f"{n} seeds: no run recorded ({result.returncode})")
            size = (run / "manifest.json").stat().st_size
            detail = run / "sites.jsonl"
            detail_size = f"{detail.stat().st_size / 2**20:.1f} MiB" if detail.exists() else "-"
            status = result.manifest().get("status")
            print(
                f"{n:>7} {result.peak_rss_mib:>6.0f} MiB {result.seconds:>5.0f} s {size / 2**20:>6.2f} MiB "
                f"{detail_size:>12}  {status}"
            )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main([int(a) for a in sys.argv[1:]] or [5000, 20000])
