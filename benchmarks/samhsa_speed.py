"""Crawl speed of `provdir crawl-samhsa` on a replayed locator API: rows/s and pages/s.

The shared fixture (one real page of 30 rows) is replayed on loopback as N pages (new frids
and house numbers on each page, so every row is a distinct facility), then crawled through
real Scrapy, the pipelines and the build, with politeness off (no delay, no AutoThrottle; still
one request at a time, as the spider always is).

    python benchmarks/samhsa_speed.py [--pages 20] [--polite]
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._common import timed_cli  # noqa: E402

FIXTURE = ROOT.parent / "shared" / "fixtures" / "samhsa" / "locator-listing-page1.json"


def pages_from_fixture(n_pages: int) -> dict[int, bytes]:
    rows = json.loads(FIXTURE.read_text(encoding="utf-8"))["rows"]
    pages = {}
    for page in range(1, n_pages + 1):
        page_rows = copy.deepcopy(rows)
        for row in page_rows:
            row["frid"] = f"{page:04x}{row['frid'][4:]}"
            row["street1"] = f"{page}{row['street1']}"
        body = {"page": page, "totalPages": n_pages, "recordCount": n_pages * len(rows), "rows": page_rows}
        pages[page] = json.dumps(body).encode()
    return pages


def serve(pages: dict[int, bytes]) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = parse_qs(urlsplit(self.path).query)
            body = pages.get(int(query.get("page", ["0"])[0]))
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.95", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.95:{server.server_address[1]}/locator/exportsAsJson/v2"


def run(label: str, url: str, extra: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        wall, stats, run_dir = timed_cli(
            "crawl-samhsa",
            "--states",
            "VA",
            "--api-url",
            url,
            "--page-size",
            "30",
            "--out",
            str(out),
            "--allow-private-networks",
            *extra,
            out=out,
            ok=(0,),
        )
        published = json.loads((run_dir / "manifest.json").read_text())["published"]["facilities"]
    rows, pages = stats.get("samhsa/rows/read", 0), stats.get("samhsa/pages/ok", 0)
    crawl_s = stats.get("elapsed_time_seconds", wall)
    print(
        f"{label:<32} {pages:>3} pages {rows:>5} rows  {published:>5} published  {wall:6.1f} s wall (process)  "
        f"{crawl_s:6.2f} s crawl  {rows / crawl_s:8.1f} rows/s  {pages / crawl_s:6.1f} pages/s  "
        f"peak RSS {stats.get('memusage/max', 0) / 2**20:.0f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=20, help="pages of 30 rows to replay (default 20)")
    parser.add_argument("--polite", action="store_true", help="also run with the spider's polite defaults (slow)")
    args = parser.parse_args()
    if not FIXTURE.exists():
        raise SystemExit(f"shared fixture not found: {FIXTURE}")
    server, url = serve(pages_from_fixture(args.pages))
    try:
        run("politeness off (loopback bound)", url, ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"])
        if args.polite:
            run("polite defaults (1 s delay)", url, [])
    finally:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
