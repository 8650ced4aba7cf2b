"""`provdir report`: a self-contained HTML page about the health of the crawl runs.

Charts (inline SVG built by a small inline script from embedded JSON: no network, no CDN):
facilities over runs, field coverage of the latest build, per-site pages and errors of the
latest run of each source, services by state. An operator opens it in a browser.
"""

from __future__ import annotations

import html
import json
import os
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from provdir.runs.health import status_rows
from provdir.runs.store import list_runs


def report_data(output: Path) -> dict[str, Any]:
    runs = list_runs(output)
    over_runs = []
    latest_sites: dict[str, dict[str, Any]] = {}
    for run in runs:
        m = run.manifest()
        published = m.get("published") or {}
        over_runs.append({"run": run.run_id, "source": m.get("source", "?"), "status": m.get("status", "?"),
                          "facilities": published.get("facilities"), "pages": (m.get("counts") or {}).get("pages_fetched", 0),
                          "warnings": len((m.get("health") or {}).get("warnings", []))})  # fmt: skip
        if m.get("sites"):
            for site, info in m["sites"].items():
                latest_sites[site] = {"pages": info.get("pages_ok", info.get("pages_read", 0)), "errors": len(info.get("errors", [])),
                                      "status": info.get("status", "?"), "run": run.run_id}  # fmt: skip
    coverage: dict[str, float] = {}
    services_by_state: dict[str, dict[str, int]] = defaultdict(dict)
    facilities_path = output / "latest" / "facilities.parquet"
    if facilities_path.exists():
        rows = pq.read_table(facilities_path).to_pylist()
        total = max(len(rows), 1)
        for name in ("name", "street", "city", "state", "postal_code", "phone", "website", "accreditations",
                     "licenses", "services", "latitude"):  # fmt: skip
            coverage[name] = round(sum(1 for r in rows if r.get(name) not in (None, "", [])) / total, 3)
        counter: Counter[tuple[str, str]] = Counter()
        for r in rows:
            for s in r.get("services") or []:
                counter[(r.get("state") or "??", s)] += 1
        for (state, service), n in counter.items():
            services_by_state[state][service] = n
    return {"runs": over_runs, "sites": latest_sites, "coverage": coverage, "services_by_state": services_by_state,
            "table": status_rows(runs, limit=20)}  # fmt: skip


_SCRIPT = r"""
const data = JSON.parse(document.getElementById('data').textContent);
const NS = 'http://www.w3.org/2000/svg';
function el(tag, attrs, parent, text) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  parent.appendChild(e); return e;
}
function bars(id, items, color) {
  const host = document.getElementById(id);
  if (!items.length) { host.textContent = 'no data yet'; return; }
  const max = Math.max(...items.map(d => d[1]), 1), h = 22 * items.length + 10;
  const svg = el('svg', {width: 700, height: h, 'class': 'chart', 'data-chart': id}, host);
  items.forEach(([label, value], i) => {
    const w = Math.round(420 * value / max);
    el('text', {x: 0, y: 22 * i + 16, 'font-size': 12}, svg, label);
    el('rect', {x: 200, y: 22 * i + 4, width: w, height: 16, fill: color, 'class': 'bar'}, svg);
    el('text', {x: 205 + w, y: 22 * i + 16, 'font-size': 12}, svg, String(value));
  });
}
function line(id, points) {
  const host = document.getElementById(id);
  const pts = points.filter(p => p[1] !== null && p[1] !== undefined);
  if (!pts.length) { host.textContent = 'no published run yet'; return; }
  const max = Math.max(...pts.map(p => p[1]), 1), W = 640, H = 200;
  const svg = el('svg', {width: W, height: H, 'class': 'chart', 'data-chart': id}, host);
  const step = pts.length > 1 ? (W - 60) / (pts.length - 1) : 0;
  const xy = pts.map((p, i) => [40 + i * step, H - 30 - (H - 60) * p[1] / max]);
  el('polyline', {points: xy.map(p => p.join(',')).join(' '), fill: 'none', stroke: '#2b6cb0', 'stroke-width': 2}, svg);
  xy.forEach((p, i) => {
    el('circle', {cx: p[0], cy: p[1], r: 4, fill: '#2b6cb0', 'class': 'point'}, svg);
    el('text', {x: p[0] - 6, y: p[1] - 8, 'font-size': 11}, svg, String(pts[i][1]));
  });
  el('text', {x: 40, y: H - 8, 'font-size': 11}, svg, pts.length + ' published runs');
}
line('facilities', data.runs.filter(r => r.facilities !== null).map(r => [r.run, r.facilities]));
bars('coverage', Object.entries(data.coverage).map(([k, v]) => [k, Math.round(v * 100)]), '#38a169');
bars('site-errors', Object.entries(data.sites).map(([k, v]) => [k + (v.status === 'ok' ? '' : ' (FAILED)'), v.errors]), '#e53e3e');
bars('site-pages', Object.entries(data.sites).map(([k, v]) => [k, v.pages]), '#805ad5');
const sbs = [];
for (const [state, services] of Object.entries(data.services_by_state))
  for (const [service, n] of Object.entries(services)) sbs.push([state + ' ' + service, n]);
bars('services', sbs.sort((a, b) => b[1] - a[1]).slice(0, 40), '#dd6b20');
document.body.setAttribute('data-rendered', 'yes');
"""


def render(data: dict[str, Any]) -> str:
    rows = data["table"]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in (rows[0] if rows else {}))
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in r.values()) + "</tr>" for r in rows)
    payload = json.dumps(data).replace("</", "<\\/")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>provider-directory: run health</title>
<style>body{{font-family:sans-serif;margin:2em;color:#222}} h2{{margin-top:1.6em}}
table{{border-collapse:collapse}} td,th{{border:1px solid #ccc;padding:3px 8px;font-size:13px}}</style></head>
<body><h1>provider-directory: run health</h1>
<h2>Runs</h2><table id="runs"><tr>{head}</tr>{body}</table>
<h2>Facilities over runs</h2><div id="facilities"></div>
<h2>Field coverage of the published directory (%)</h2><div id="coverage"></div>
<h2>Errors per site (latest run)</h2><div id="site-errors"></div>
<h2>Pages read per site (latest run)</h2><div id="site-pages"></div>
<h2>Services by state</h2><div id="services"></div>
<script id="data" type="application/json">{payload}</script>
<script>{_SCRIPT}</script></body></html>
"""


def write_report(output: Path, to: Path | None = None) -> Path:
    target = to or output / "report-runs.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(render(report_data(output)), encoding="utf-8")
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)  # a failed write leaves nothing behind
        raise
    return target
