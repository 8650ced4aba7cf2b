"""A loopback stand-in for SAMHSA's treatment locator listing API, serving the sample directory.

It answers like the real API (``/locator/exportsAsJson/v2``): the query ``sType=both&limitType=0
&limitValue=<state>&pageSize=N&page=P`` returns ``{page, totalPages, recordCount, rows}`` with
the rows of that state, ``pageSize`` at a time, each row in the real fields (``frid``, ``name1``,
``name2``, ``street1``, ``street2``, ``city``, ``state``, ``zip``, ``phone``, ``intake1``,
``hotline1``, ``website``, ``latitude``, ``longitude``, ``typeFacility``, ``_irow``, ``miles``)
with ``services`` as ``{f1: category, f2: code, f3: "label; label"}`` groups. The shape is the
one of the real page in ``tests/fixtures/samhsa/``.

The rows live in ``directory.json`` beside this module: the bundled sample web's providers
(some listings deliberately out of date) and a few facilities that only the directory lists.
A website written ``SITE:<slug>`` becomes the URL the sample site is served at.
"""

from __future__ import annotations

import contextlib
import copy
import ipaddress
import json
import math
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

API_PATH = "/locator/exportsAsJson/v2"
HOST = "127.0.0.10"  # the sample sites start at 127.0.0.11
SITE_PREFIX = "SITE:"
MAX_PAGE_SIZE = 1000


def sample_rows(site_urls: dict[str, str]) -> list[dict[str, Any]]:
    """The sample directory's rows, with ``SITE:<slug>`` websites pointing at ``site_urls[slug]``
    (a slug that is not served leaves the listing without a website)."""
    doc = json.loads(resources.files("provdir.sampleweb").joinpath("directory.json").read_text(encoding="utf-8"))
    rows = []
    for row in copy.deepcopy(doc["rows"]):
        row.pop("_sample_note", None)
        website = row.get("website") or ""
        if website.startswith(SITE_PREFIX):
            row["website"] = site_urls.get(website[len(SITE_PREFIX) :], "")
        rows.append(row)
    return rows


def sample_notes() -> dict[str, str]:
    """frid -> what the row is for (``up to date``, ``out of date: ...``, ``listed only: ...``)."""
    doc = json.loads(resources.files("provdir.sampleweb").joinpath("directory.json").read_text(encoding="utf-8"))
    return {row["frid"]: row.get("_sample_note", "") for row in doc["rows"]}


def listing_page(rows: list[dict[str, Any]], query: dict[str, str]) -> tuple[int, dict[str, Any]]:
    """(HTTP status, JSON body) of one listing request (pure)."""
    state = query.get("limitValue", "").strip().upper()
    try:
        page = int(query.get("page", "1"))
        size = int(query.get("pageSize", "10"))
    except ValueError:
        return 400, {"error": "page and pageSize must be whole numbers"}
    if page < 1 or not 1 <= size <= MAX_PAGE_SIZE:
        return 400, {"error": f"page must be >= 1 and pageSize between 1 and {MAX_PAGE_SIZE}"}
    mine = [r for r in rows if not state or r.get("state") == state]
    chunk = mine[(page - 1) * size : page * size]
    out = []
    for i, row in enumerate(chunk, start=(page - 1) * size + 1):
        out.append({"_irow": i, **row, "miles": None})
    return 200, {"page": page, "totalPages": math.ceil(len(mine) / size), "recordCount": len(mine), "rows": out}


def _handler(rows: list[dict[str, Any]], hits: list[str]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "provdir-sample-locator/1"

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path != API_PATH:
                self.send_error(404)
                return
            hits.append(self.path)
            status, body = listing_page(rows, {k: v[0] for k, v in parse_qs(parts.query).items()})
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextlib.contextmanager
def serve_locator(rows: list[dict[str, Any]], *, host: str = HOST, port: int = 0) -> Iterator[str]:
    """Serve ``rows`` on loopback; yields the API URL (``http://host:port/locator/exportsAsJson/v2``).
    A fixed port that is taken falls back to a free one."""
    assert ipaddress.ip_address(host).is_loopback
    hits: list[str] = []
    try:
        server = ThreadingHTTPServer((host, port), _handler(rows, hits))
    except OSError:
        if port == 0:
            raise
        server = ThreadingHTTPServer((host, 0), _handler(rows, hits))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="sample-locator", daemon=True).start()
    try:
        yield f"http://{host}:{server.server_address[1]}{API_PATH}"
    finally:
        server.shutdown()
        server.server_close()
