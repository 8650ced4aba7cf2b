"""Peak memory of a crawl that meets hostile bodies: 1 GiB decompression bombs (gzip, deflate,
brotli), 10 MiB single-line pages (announced and not), a 7.5 MiB single-line page under the
size cap (read and extracted), 100k-deep nesting, a PDF served as text/html.

Peak resident memory is the crawl process's own high-water mark (``VmHWM``, see
``tests.hostile.finish``). Crawls run with
``PROVDIR_PUBLISH=False`` (publishing loads pandas and pyarrow, which outweighs the crawl: its
figure is printed separately). Figures for the project's settings and, with ``--unbounded``,
for Scrapy's default DOWNLOAD_MAXSIZE (1 GiB).

    python benchmarks/hostile_memory.py [--unbounded]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(unbounded: bool) -> None:
    from tests.hostile import (
        CONTACT_HTML,
        HostileServer,
        brotli_bomb,
        compressed,
        crawl,
        deep_nesting,
        deflate_bomb,
        gzip_bomb,
        html,
        page,
        pdf_bytes,
        robots,
        single_line_page,
    )

    t = time.perf_counter()
    bombs = {
        "/bomb-gzip": compressed(gzip_bomb(1024), "gzip"),
        "/bomb-deflate": compressed(deflate_bomb(1024), "deflate"),
        "/bomb-br": compressed(brotli_bomb(1024), "br"),
    }
    print(f"built 3 bombs of 1 GiB each ({time.perf_counter() - t:.1f} s)")
    hostile_routes = {
        "/robots.txt": robots(""),
        "/": page(html("Serenity Ridge", links=["/contact/", *bombs, "/huge", "/big", "/deep", "/brochure"])),
        "/contact/": page(CONTACT_HTML),
        **bombs,
        "/huge": page(single_line_page(10)),
        "/big": page(single_line_page(7.5)),
        "/deep": page(deep_nesting(100_000)),
        "/brochure": page(pdf_bytes()),
    }
    baseline_routes = {
        "/robots.txt": robots(""),
        "/": page(html("Serenity Ridge", links=["/contact/"])),
        "/contact/": page(CONTACT_HTML),
    }
    off = ["-s", "PROVDIR_PUBLISH=False"]
    runs = [
        ("baseline crawl (2 small pages)", baseline_routes, off),
        ("hostile bodies, project settings", hostile_routes, off),
    ]
    if unbounded:
        runs.append(
            (
                "hostile bodies, DOWNLOAD_MAXSIZE=1 GiB",
                hostile_routes,
                [*off, "-s", "DOWNLOAD_MAXSIZE=1073741824", "-s", "DOWNLOAD_WARNSIZE=0"],
            )
        )
    runs.append(("baseline crawl + publish", baseline_routes, []))
    print(f"{'crawl':<42} {'peak RSS':>9} {'wall':>7}  pages ok / too large / skipped")
    for label, routes, extra in runs:
        with tempfile.TemporaryDirectory() as tmp, HostileServer("127.0.0.95", dict(routes)) as server:
            seeds = Path(tmp) / "seeds.txt"
            seeds.write_text(server.url() + "\n")
            result = crawl(seeds, Path(tmp) / "out", "-s", "PROVDIR_EXTRACT_TIME_LIMIT=30", *extra, timeout=900)
            if result.manifest().get("status") != "ok":
                print(result.stderr[-2000:])
                raise SystemExit(f"{label}: crawl failed ({result.returncode})")
            (site,) = result.manifest()["sites"].values()
            too_large = site["failures"].get("too_large", 0)
            print(
                f"{label:<42} {result.peak_rss_mib:>6.0f} MiB {result.seconds:>5.1f} s  "
                f"{site['pages_ok']} / {too_large} / {site['skipped_non_html']}"
            )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main("--unbounded" in sys.argv[1:])
