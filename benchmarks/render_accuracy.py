"""Extraction accuracy on the development corpus served pre-rendered (as saved) against the same
sites served as client-rendered apps, per field: the issue's target is within 0.02 F1.

Served as an app, every page of a site answers with the same kind of shell a create-react-app
build sends (an empty ``<div id="root">``, a ``<noscript>`` asking for JavaScript, one script);
the script fetches the page's real markup from the same server and builds the document from it
in the browser. Read without a browser such a site shows only its titles. Nothing is copied:
the shells and the script are made here, the markup is served from ../shared/eval-dev.

    python benchmarks/render_accuracy.py [--verbose]
"""

from __future__ import annotations

import sys
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from provdir.evaluate import FIELDS, Counts, evaluate, report  # noqa: E402
from provdir.sampleweb.server import _resolve  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval-dev"
BUNDLE_PATH = "/static/js/app.bundle.js"
CONTENT_QUERY = "__content=1"

SHELL = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>{title}</title>
<script defer="defer" src="{bundle}"></script></head>
<body><noscript>You need to enable JavaScript to run this app.</noscript><div id="root"></div></body></html>"""

# Fetches the route's markup and mounts it, as a client-rendered app builds its page.
BUNDLE = """(function () {
  var sep = location.search ? "&" : "?";
  fetch(location.pathname + location.search + sep + "CONTENT_QUERY").then(function (r) { return r.text(); })
    .then(function (html) {
      var doc = new DOMParser().parseFromString(html, "text/html");
      document.title = doc.title;
      Array.prototype.forEach.call(doc.head.children, function (n) {
        if (n.tagName !== "TITLE") document.head.appendChild(document.importNode(n, true));
      });
      var root = document.getElementById("root");
      Array.prototype.slice.call(doc.body.childNodes).forEach(function (n) {
        root.parentNode.insertBefore(document.importNode(n, true), root);
      });
      root.remove();
    });
})();""".replace("CONTENT_QUERY", CONTENT_QUERY)


def as_app(root: Path):
    """A ``serve_sites`` behaviour: HTML pages answer with a shell, the bundle builds them."""

    def behaviour(handler: BaseHTTPRequestHandler) -> bool:
        parts = urlsplit(handler.path)
        if parts.path == BUNDLE_PATH:
            _send(handler, BUNDLE.encode(), "application/javascript")
            return True
        if CONTENT_QUERY in parts.query:
            return False  # the markup itself, served as saved
        path = _resolve(root, handler.path)
        if path is None or path.suffix not in (".html", ".htm", ".php"):
            return False
        html = path.read_text(encoding="utf-8", errors="replace")
        title = html.split("<title>", 1)[1].split("</title>", 1)[0] if "<title>" in html else ""
        _send(handler, SHELL.format(title=title, bundle=BUNDLE_PATH).encode(), "text/html; charset=utf-8")
        return True

    return behaviour


def _send(handler: BaseHTTPRequestHandler, body: bytes, ctype: str) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", ctype)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def f1_by_field(scores) -> dict[str, float]:
    out = {}
    for f in FIELDS:
        total = Counts()
        for s in scores:
            if f in s.fields:
                total.add(s.fields[f])
        out[f] = total.f1
    return out


def main() -> None:
    if not EVAL.is_dir():
        raise SystemExit(f"development corpus not found at {EVAL}")
    verbose = "--verbose" in sys.argv
    gold, sites = EVAL / "gold", EVAL / "sites"
    behaviours = {p.name: as_app(p) for p in sites.iterdir() if p.is_dir()}
    runs = {}
    for label, kwargs in (
        ("pre-rendered", {}),
        ("client-rendered, browser", {"behaviours": behaviours}),
        ("client-rendered, rendering off", {"behaviours": behaviours, "crawl_args": ("-s", "PROVDIR_RENDER=off")}),
    ):
        start = time.perf_counter()
        runs[label] = evaluate(gold, sites, **kwargs)
        print(f"== {label} ({time.perf_counter() - start:.0f} s)")
        if verbose:
            print(report(runs[label], verbose=False))
    base = f1_by_field(runs["pre-rendered"])
    print(f"{'F1 by field':<34}" + "".join(f"{f:>16}" for f in FIELDS))
    for label, scores in runs.items():
        f1 = f1_by_field(scores)
        print(f"{label:<34}" + "".join(f"{f1[f]:>9.3f} ({f1[f] - base[f]:+.3f})" for f in FIELDS))


if __name__ == "__main__":
    main()
