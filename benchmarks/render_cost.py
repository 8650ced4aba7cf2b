"""What rendering client-side sites costs: pages rendered per second, the browser's peak memory,
and the crawl's pages per second on a web where one site in ten needs a browser against one where
none does (and the same web with rendering off).

The webs are built from the bundled sample web: its ordinary sites (repeated, each copy on its own
127.0.0.x address) and the client-rendered kestrel-point-recovery. Politeness is off (loopback),
so the figures are upper bounds dominated by the work, not the delays.

    python benchmarks/render_cost.py
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._common import timed_cli  # noqa: E402

SPA = "kestrel-point-recovery"
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"]


def web(n_sites: int, n_spa: int) -> dict[str, Path]:
    from provdir.sampleweb.server import bundled_sites_dir, site_roots

    roots = site_roots(bundled_sites_dir())
    plain = [p for name, p in sorted(roots.items()) if name != SPA]
    out = {f"spa-{i}": roots[SPA] for i in range(n_spa)}
    for i in range(n_sites - n_spa):
        out[f"plain-{i:02d}"] = plain[i % len(plain)]
    return out


def run(label: str, roots: dict[str, Path], extra: list[str]) -> None:
    from provdir.sampleweb.server import serve_sites

    with tempfile.TemporaryDirectory() as tmp, serve_sites(roots, port=0, first_host=200) as urls:
        seeds = Path(tmp) / "seeds.txt"
        seeds.write_text("".join(f"{u}\n" for u in urls.values()))
        out = Path(tmp) / "out"
        wall, stats, run_dir = timed_cli(
            "crawl", str(seeds), "--out", str(out), "--allow-private-networks", *FAST, *extra, out=out, ok=(0, 3)
        )
        manifest = json.loads((run_dir / "manifest.json").read_text())
    crawl_s = stats.get("elapsed_time_seconds", wall)
    # Pages read: each HTML page once (its plain fetch), whether or not it was also rendered.
    pages = sum(s.get("pages_ok", 0) for s in manifest["sites"].values())
    rendered = stats.get("render/pages", 0)
    browser = manifest.get("browser") or {}
    print(
        f"{label:<44} {pages:>4} pages {rendered:>3} rendered  {crawl_s:6.1f} s crawl  "
        f"{pages / crawl_s:6.1f} pages/s  {rendered / crawl_s:5.2f} renders/s  "
        f"browser peak {browser.get('browser_peak_rss_mb') or 0:.0f} MiB (PSS)  "
        f"crawler peak {stats.get('memusage/max', 0) / 2**20:.0f} MiB  "
        f"incomplete sites {len(browser.get('sites_incomplete') or [])}"
    )


def main() -> None:
    run("10 sites, none needs a browser", web(10, 0), [])
    run("10 sites, 1 needs a browser, rendering on", web(10, 1), [])
    run("10 sites, 1 needs a browser, rendering off", web(10, 1), ["-s", "PROVDIR_RENDER=off"])
    run("4 client-rendered sites only (render rate)", web(4, 4), [])


if __name__ == "__main__":
    main()
