"""`provdir report`: a self-contained HTML page about the health of the crawl runs.

Charts (inline SVG built by a small inline script from embedded JSON: no network, no CDN): the
health warnings of every run; facilities over runs, on dated axes; field coverage of the latest
build; the sites (or states) of one run at a time, chosen in a selector (latest first), with
failed pages by kind, and coloured by how bad it is (a site with one 404 is amber, a site where
nothing could be read is red); services by state. Bar charts have one row per item, so 54
states stay readable. An operator opens it in a browser."""

from __future__ import annotations

import html
import json
import os
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from provdir.runs.health import effective_status, status_rows
from provdir.runs.store import list_runs

SITE_RUNS_SHOWN = 10
"""Runs whose per-site figures the page carries; one is shown at a time (a selector)."""


def report_data(output: Path) -> dict[str, Any]:
    runs = list_runs(output)
    over_runs = []
    site_runs: dict[str, dict[str, Any]] = {}
    for run in runs:
        m = run.manifest()
        published = m.get("published") or {}
        warnings = (m.get("health") or {}).get("warnings", [])
        over_runs.append(
            {
                "run": run.run_id,
                "source": m.get("source", "?"),
                "status": effective_status(m),
                "date": (m.get("started") or "")[:10],
                "facilities": published.get("facilities"),
                "pages": (m.get("counts") or {}).get("pages_fetched", 0),
                "warnings": len(warnings),
                "warning_texts": warnings,
            }
        )
        if m.get("sites"):
            site_runs[run.run_id] = {site: _site(info) for site, info in m["sites"].items()}
    shown = dict(list(site_runs.items())[-SITE_RUNS_SHOWN:])
    coverage: dict[str, float] = {}
    services_by_state: dict[str, dict[str, int]] = defaultdict(dict)
    facilities_path = output / "latest" / "facilities.parquet"
    damaged = [p for p in (run.manifest_problem for run in runs) if p and not p.endswith(": missing")]
    rows: list[dict[str, Any]] = []
    if facilities_path.exists():
        try:
            rows = pq.read_table(facilities_path).to_pylist()
        except Exception as exc:  # a damaged build is reported, not fatal to the report
            damaged.append(f"{facilities_path}: unreadable ({exc.__class__.__name__})")
    if rows:
        total = max(len(rows), 1)
        for name in (
            "name",
            "street",
            "city",
            "state",
            "postal_code",
            "phone",
            "website",
            "accreditations",
            "licenses",
            "services",
            "latitude",
        ):
            coverage[name] = round(sum(1 for r in rows if r.get(name) not in (None, "", [])) / total, 3)
        counter: Counter[tuple[str, str]] = Counter()
        for r in rows:
            for s in r.get("services") or []:
                counter[(r.get("state") or "??", s)] += 1
        for (state, service), n in counter.items():
            services_by_state[state][service] = n
    return {
        "runs": over_runs,
        "site_runs": shown,
        "coverage": coverage,
        "services_by_state": services_by_state,
        "table": status_rows(runs, limit=20),
        "damaged": damaged,
    }


def _site(info: dict[str, Any]) -> dict[str, Any]:
    """One site's (or state's) figures, with its failures by kind and how bad it is: ``failed``
    (nothing read), ``errors`` (read, with some pages failing, e.g. one 404) or ``ok``."""
    kinds = dict(info.get("failures") or {})
    failed_pages = info.get("pages_failed", 0) or sum(kinds.values()) or len(info.get("errors", []))
    if not kinds and failed_pages:
        kinds = {"failed page": failed_pages}
    ok = info.get("status") == "ok"
    return {
        "pages": info.get("pages_ok", info.get("pages_read", 0)),
        "errors": failed_pages,
        "status": info.get("status", "?"),
        "kinds": kinds,
        "severity": "failed" if not ok else "errors" if failed_pages else "ok",
    }


_SCRIPT = r"""
const data = JSON.parse(document.getElementById('data').textContent);
const NS = 'http://www.w3.org/2000/svg';
const COLORS = {failed: '#c53030', errors: '#d69e2e', ok: '#38a169'};
function el(tag, attrs, parent, text) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  parent.appendChild(e); return e;
}
function short(label) { return label.length > 30 ? label.slice(0, 29) + '\u2026' : label; }
// Horizontal bars: one row per item, so 54 states stay readable (the chart grows, labels never overlap).
function bars(id, items, color) {
  const host = document.getElementById(id);
  host.textContent = '';
  if (!items.length) { host.textContent = 'no data yet'; return; }
  const max = Math.max(...items.map(d => d[1]), 1), h = 20 * items.length + 34;
  const svg = el('svg', {width: 760, height: h, 'class': 'chart', 'data-chart': id}, host);
  items.forEach(([label, value, c, note], i) => {
    const w = Math.round(380 * value / max), y = 20 * i + 4;
    const t = el('text', {x: 0, y: y + 12, 'font-size': 12}, svg, short(label));
    el('title', {}, t, label);
    el('rect', {x: 230, y: y, width: Math.max(w, value ? 2 : 0), height: 14, fill: c || color, 'class': 'bar'}, svg);
    el('text', {x: 236 + w, y: y + 12, 'font-size': 12}, svg, String(value) + (note ? '  ' + note : ''));
  });
  const axisY = 20 * items.length + 8;
  el('line', {x1: 230, y1: axisY, x2: 610, y2: axisY, stroke: '#555', 'class': 'axis'}, svg);
  [0, max].forEach((v, j) => el('text', {x: 230 + 380 * j - (j ? 8 : 0), y: axisY + 14, 'font-size': 10, 'class': 'tick'}, svg, String(v)));
}
// Facilities over runs: y axis with ticks, x axis with each run's date.
function line(id, points) {
  const host = document.getElementById(id);
  const pts = points.filter(p => p.value !== null && p.value !== undefined);
  if (!pts.length) { host.textContent = 'no published run yet'; return; }
  const max = Math.max(...pts.map(p => p.value), 1), W = 720, H = 240, L = 60, B = 50;
  const svg = el('svg', {width: W, height: H, 'class': 'chart', 'data-chart': id}, host);
  const step = pts.length > 1 ? (W - L - 30) / (pts.length - 1) : 0;
  const y = v => H - B - (H - B - 20) * v / max;
  el('line', {x1: L, y1: 20, x2: L, y2: H - B, stroke: '#555', 'class': 'axis y-axis'}, svg);
  el('line', {x1: L, y1: H - B, x2: W - 20, y2: H - B, stroke: '#555', 'class': 'axis x-axis'}, svg);
  [0, Math.round(max / 2), max].forEach(v => {
    el('text', {x: L - 8, y: y(v) + 4, 'font-size': 10, 'text-anchor': 'end', 'class': 'tick y-tick'}, svg, String(v));
  });
  el('text', {x: 12, y: 14, 'font-size': 11}, svg, 'facilities');
  const xy = pts.map((p, i) => [L + 10 + i * step, y(p.value)]);
  el('polyline', {points: xy.map(p => p.join(',')).join(' '), fill: 'none', stroke: '#2b6cb0', 'stroke-width': 2}, svg);
  const every = Math.max(1, Math.ceil(pts.length / 8));  // at most ~8 date labels: they never overlap
  xy.forEach((p, i) => {
    const c = el('circle', {cx: p[0], cy: p[1], r: 4, fill: '#2b6cb0', 'class': 'point'}, svg);
    el('title', {}, c, pts[i].run + ': ' + pts[i].value);
    if (i % every === 0 || i === pts.length - 1)
      el('text', {x: p[0], y: H - B + 16, 'font-size': 10, 'text-anchor': 'middle', 'class': 'tick x-tick'}, svg, pts[i].date || '?');
  });
  el('text', {x: L, y: H - 8, 'font-size': 11}, svg, 'run date (UTC), ' + pts.length + ' published runs');
}
line('facilities', data.runs.filter(r => r.facilities !== null).map(r => ({run: r.run, date: r.date, value: r.facilities})));
bars('coverage', Object.entries(data.coverage).map(([k, v]) => [k, Math.round(v * 100)]), '#38a169');
const warn = document.getElementById('warnings');
const warned = data.runs.filter(r => r.warning_texts.length);
if (!warned.length) warn.textContent = 'no health warnings';
warned.forEach(r => r.warning_texts.forEach(w => {
  const li = document.createElement('li'); li.className = 'warning';
  li.textContent = r.run + ' (' + r.source + '): ' + w; warn.appendChild(li);
}));
// One run's sites at a time: a selector, the latest run first.
const pick = document.getElementById('site-run');
const runIds = Object.keys(data.site_runs).reverse();
runIds.forEach(id => { const o = document.createElement('option'); o.value = id; o.textContent = id; pick.appendChild(o); });
function showSites(id) {
  const sites = Object.entries(data.site_runs[id] || {});
  document.getElementById('sites-of').textContent = id ? 'run ' + id + ', ' + sites.length + ' sites' : 'no run yet';
  const kinds = v => Object.entries(v.kinds).map(([k, n]) => n + ' ' + k).join(', ');
  bars('site-errors', sites.map(([k, v]) => [k + (v.status === 'ok' ? '' : ' (FAILED)'), v.errors, COLORS[v.severity], kinds(v)]), '#e53e3e');
  bars('site-pages', sites.map(([k, v]) => [k, v.pages, COLORS[v.severity]]), '#805ad5');
}
pick.addEventListener('change', () => showSites(pick.value));
showSites(runIds[0]);
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
    damaged = "".join(f"<li>{html.escape(p)}</li>" for p in data.get("damaged", []))
    damaged = f'<h2>Damaged state files (ignored)</h2><ul id="damaged">{damaged}</ul>' if damaged else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>provider-directory: run health</title>
<style>body{{font-family:sans-serif;margin:2em;color:#222}} h2{{margin-top:1.6em}}
table{{border-collapse:collapse}} td,th{{border:1px solid #ccc;padding:3px 8px;font-size:13px}}</style></head>
<body><h1>provider-directory: run health</h1>
{damaged}<h2>Runs</h2><table id="runs"><tr>{head}</tr>{body}</table>
<h2>Health warnings</h2><ul id="warnings"></ul>
<h2>Facilities over runs</h2><div id="facilities"></div>
<h2>Field coverage of the published directory (%)</h2><div id="coverage"></div>
<h2>Sites of one run</h2><p><label>Run: <select id="site-run"></select></label> <span id="sites-of"></span>.
<span style="color:#c53030">red</span>: nothing read (site failed); <span style="color:#d69e2e">amber</span>: read,
some pages failed (e.g. one 404); <span style="color:#38a169">green</span>: no failure.</p>
<h3>Failed pages per site, by kind</h3><div id="site-errors"></div>
<h3>Pages read per site</h3><div id="site-pages"></div>
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
