"""``report.html``: the shape of the dataset on one self-contained page, written at publish time.

Facilities by state on a tile-grid map of the US, services and accreditations by state, field
completeness, sources, statuses and coordinates. No network: the page's data is a JSON block
and its charts (inline SVG and tables) are built by an inline script; nothing is loaded from
elsewhere. Crawled text reaches the page only through ``textContent``, never as markup.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from html import escape
from pathlib import Path
from typing import Any

from provdir.build.tables import FACILITY_COLUMNS
from provdir.vocab import vocabulary

# (row, column) of each state on the tile grid (50 states and DC in the usual layout; the
# territories in the free corners).
TILES: dict[str, tuple[int, int]] = {
    "AK": (0, 0),
    "ME": (0, 10),
    "VT": (1, 9),
    "NH": (1, 10),
    "WA": (2, 0),
    "ID": (2, 1),
    "MT": (2, 2),
    "ND": (2, 3),
    "MN": (2, 4),
    "IL": (2, 5),
    "WI": (2, 6),
    "MI": (2, 7),
    "NY": (2, 8),
    "RI": (2, 9),
    "MA": (2, 10),
    "OR": (3, 0),
    "NV": (3, 1),
    "WY": (3, 2),
    "SD": (3, 3),
    "IA": (3, 4),
    "IN": (3, 5),
    "OH": (3, 6),
    "PA": (3, 7),
    "NJ": (3, 8),
    "CT": (3, 9),
    "CA": (4, 0),
    "UT": (4, 1),
    "CO": (4, 2),
    "NE": (4, 3),
    "MO": (4, 4),
    "KY": (4, 5),
    "WV": (4, 6),
    "VA": (4, 7),
    "MD": (4, 8),
    "DE": (4, 9),
    "AZ": (5, 1),
    "NM": (5, 2),
    "KS": (5, 3),
    "AR": (5, 4),
    "TN": (5, 5),
    "NC": (5, 6),
    "SC": (5, 7),
    "DC": (5, 8),
    "OK": (6, 3),
    "LA": (6, 4),
    "MS": (6, 5),
    "AL": (6, 6),
    "GA": (6, 7),
    "HI": (7, 0),
    "TX": (7, 3),
    "FL": (7, 8),
    "GU": (6, 0),
    "MP": (6, 1),
    "AS": (5, 0),
    "PR": (7, 10),
    "VI": (7, 11),
}


def report_data(
    facilities: list[dict[str, Any]], long_tables: dict[str, list[dict[str, Any]]], summary: dict[str, Any]
) -> dict[str, Any]:
    state_of = {r["facility_id"]: r.get("state") or "??" for r in facilities}
    by_state = Counter(state_of.values())
    active = Counter(state_of[r["facility_id"]] for r in facilities if r.get("status") == "active")

    def by_state_of(rows: list[dict[str, Any]], key: str) -> dict[str, dict[str, int]]:
        pairs = {(r[key], r["facility_id"]) for r in rows}
        out: dict[str, Counter[str]] = defaultdict(Counter)
        for value, fid in pairs:
            out[value][state_of.get(fid, "??")] += 1
        return {k: dict(sorted(v.items())) for k, v in out.items()}

    # Facilities offering a service at that location (scope 'location'), not every location of an
    # organization that offers it somewhere; services a site says it does not offer are left out.
    local = [
        r
        for r in long_tables.get("facility_services", [])
        if r.get("scope", "location") == "location" and r.get("status", "offered") == "offered"
    ]
    services = by_state_of(local, "service")
    accreditations = by_state_of(long_tables.get("facility_accreditations", []), "accreditation")
    svc_terms = vocabulary.services().terms
    acc_terms = vocabulary.accreditations().terms
    total = len(facilities)
    listed_by: Counter[str] = Counter(s for r in facilities for s in (r.get("sources") or []))
    return {
        "build_id": summary.get("build_id", ""),
        "facilities": total,
        "runs": summary.get("runs", []),
        "by_state": dict(sorted(by_state.items())),
        "active_by_state": dict(sorted(active.items())),
        "tiles": {k: list(v) for k, v in TILES.items()},
        "services": [
            {"value": v, "label": t.label, "category": t.category, "by_state": services[v]}
            for v, t in svc_terms.items()
            if v in services
        ],
        "accreditations": [
            {"value": v, "label": t.label, "by_state": accreditations[v]}
            for v, t in acc_terms.items()
            if v in accreditations
        ],
        "completeness": [
            {"column": name, "filled": sum(1 for r in facilities if _filled(r.get(name))), "total": total}
            for name, _, _ in FACILITY_COLUMNS
        ],
        "sources": {
            "displayed": dict(Counter(r.get("source") or "" for r in facilities)),
            "listed_by": dict(listed_by),
            "status": dict(Counter(r.get("status") or "" for r in facilities)),
            "coordinates": dict(Counter(r.get("coordinates_source") or "none" for r in facilities)),
        },
        "tables": summary.get("tables", {}),
    }


def _filled(value: Any) -> bool:
    if value is None or value == "" or (isinstance(value, float) and value != value):
        return False
    return not (isinstance(value, list | tuple) and not value)


def render(data: dict[str, Any]) -> str:
    # JSON inside <script>: no '<', '>' or '&' survives as itself, so no text can close the tag.
    blob = json.dumps(data, ensure_ascii=False, sort_keys=True)
    blob = blob.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    title = f"Provider directory — dataset report ({escape(str(data.get('build_id', '')))})"
    return _TEMPLATE.replace("@@TITLE@@", title).replace("@@SCRIPT@@", _SCRIPT).replace("@@DATA@@", blob)


def write_report(
    directory: Path,
    facilities: list[dict[str, Any]],
    long_tables: dict[str, list[dict[str, Any]]],
    summary: dict[str, Any],
) -> Path:
    path = directory / "report.html"
    path.write_text(render(report_data(facilities, long_tables, summary)), encoding="utf-8")
    return path


_TEMPLATE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>@@TITLE@@</title>
<style>
  body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1b1f24;
         margin: 0 auto; max-width: 1180px; padding: 24px; background: #fff; }
  h1 { font-size: 22px; margin: 0 0 4px; }
  h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #d8dee4; padding-bottom: 4px; }
  .sub { color: #57606a; margin: 0 0 12px; }
  .kpis { display: flex; gap: 12px; flex-wrap: wrap; margin: 12px 0; }
  .kpi { border: 1px solid #d8dee4; border-radius: 6px; padding: 8px 14px; min-width: 120px; }
  .kpi b { display: block; font-size: 22px; }
  .row { display: flex; gap: 24px; flex-wrap: wrap; align-items: flex-start; }
  table { border-collapse: collapse; font-size: 12.5px; }
  th, td { border: 1px solid #d8dee4; padding: 3px 7px; text-align: right; }
  th:first-child, td:first-child { text-align: left; }
  thead th { background: #f6f8fa; position: sticky; top: 0; }
  td.zero { color: #b0b7bf; }
  code.value { color: #57606a; font-size: 11px; }
  .cat td { background: #f6f8fa; font-weight: 600; text-align: left; }
  caption { text-align: left; font-weight: 600; white-space: nowrap; padding: 0 0 4px; }
  svg text { font-family: inherit; }
  .tile text { pointer-events: none; }
  .legend { font-size: 12px; color: #57606a; }
  #render-status { color: #57606a; font-size: 12px; }
</style>
</head>
<body>
<h1>Provider directory — dataset report</h1>
<p class="sub" id="subtitle"></p>
<div class="kpis" id="kpis"></div>
<h2>Facilities by state</h2>
<div class="row"><div id="map"></div><div id="state-table"></div></div>
<p class="legend" id="map-legend"></p>
<h2>Services by state</h2>
<p class="sub">Facilities offering each service, by state (a facility counts once whatever the sources).</p>
<div id="services"></div>
<h2>Accreditations by state</h2>
<div id="accreditations"></div>
<h2>Field completeness</h2>
<p class="sub">Share of facilities with a value in each column of <code>facilities</code>.</p>
<div id="completeness"></div>
<h2>Sources</h2>
<div class="row" id="sources"></div>
<p id="render-status">Charts not rendered: this page needs JavaScript.</p>
<script type="application/json" id="report-data">@@DATA@@</script>
<script>
@@SCRIPT@@
</script>
</body>
</html>
"""

_SCRIPT = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var SVG = "http://www.w3.org/2000/svg";

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var k in (attrs || {})) node.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    for (var k in (attrs || {})) node.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function shade(n, max) {
    if (!n) return "#f2f4f7";
    var t = Math.sqrt(n / Math.max(max, 1));
    var from = [222, 235, 247], to = [8, 69, 148];
    var c = from.map(function (f, i) { return Math.round(f + (to[i] - f) * t); });
    return "rgb(" + c.join(",") + ")";
  }
  function maxOf(obj) { var m = 0; for (var k in obj) m = Math.max(m, obj[k]); return m; }
  function pct(a, b) { return b ? Math.round(1000 * a / b) / 10 : 0; }

  document.getElementById("subtitle").textContent =
    "Build " + data.build_id + " \u00b7 runs: " + (data.runs.join(", ") || "none");

  var kpis = document.getElementById("kpis");
  var states = Object.keys(data.by_state).filter(function (s) { return s !== "??"; });
  [["facilities", data.facilities], ["states", states.length],
   ["active", data.sources.status.active || 0],
   ["services (distinct)", data.services.length]].forEach(function (kv) {
    var box = el("div", {"class": "kpi"}); box.appendChild(el("b", null, kv[1]));
    box.appendChild(document.createTextNode(kv[0])); kpis.appendChild(box);
  });

  // -- tile-grid map ---------------------------------------------------------------------
  var size = 46, gap = 4, max = maxOf(data.by_state);
  var map = svg("svg", {id: "state-map", width: 12 * (size + gap), height: 8 * (size + gap),
                        role: "img", "aria-label": "Facilities by state"});
  Object.keys(data.tiles).forEach(function (st) {
    var rc = data.tiles[st], n = data.by_state[st] || 0;
    var g = svg("g", {"class": "tile", "data-state": st, "data-count": n,
                      transform: "translate(" + rc[1] * (size + gap) + "," + rc[0] * (size + gap) + ")"});
    g.appendChild(svg("rect", {width: size, height: size, rx: 4, fill: shade(n, max), stroke: "#c9d1d9"}));
    var dark = n && Math.sqrt(n / Math.max(max, 1)) > 0.5;
    g.appendChild(svg("text", {x: size / 2, y: 19, "text-anchor": "middle", "font-size": 12, "font-weight": 600,
                               fill: dark ? "#fff" : "#24292f"}, st));
    g.appendChild(svg("text", {x: size / 2, y: 36, "text-anchor": "middle", "font-size": 11,
                               fill: dark ? "#fff" : "#57606a"}, n || ""));
    g.appendChild(svg("title", null, st + ": " + n + " facilit" + (n === 1 ? "y" : "ies")));
    map.appendChild(g);
  });
  document.getElementById("map").appendChild(map);
  var unknown = data.by_state["??"] || 0;
  document.getElementById("map-legend").textContent =
    "Darker = more facilities (max " + max + ")." + (unknown ? " " + unknown + " facilities have no state." : "");

  var st = el("table", {id: "state-counts"});
  var head = el("thead"); var hr = el("tr");
  ["state", "facilities", "active"].forEach(function (h) { hr.appendChild(el("th", null, h)); });
  head.appendChild(hr); st.appendChild(head);
  var body = el("tbody");
  Object.keys(data.by_state).forEach(function (s) {
    var tr = el("tr", {"data-state": s});
    tr.appendChild(el("td", null, s)); tr.appendChild(el("td", null, data.by_state[s]));
    tr.appendChild(el("td", null, data.active_by_state[s] || 0)); body.appendChild(tr);
  });
  st.appendChild(body);
  document.getElementById("state-table").appendChild(st);

  // -- value x state heat tables ---------------------------------------------------------
  function heatTable(id, items, grouped) {
    var cols = Object.keys(data.by_state);
    var t = el("table", {id: id});
    var thead = el("thead"), tr = el("tr");
    tr.appendChild(el("th", null, "")); tr.appendChild(el("th", null, "all"));
    cols.forEach(function (c) { tr.appendChild(el("th", null, c)); });
    thead.appendChild(tr); t.appendChild(thead);
    var tb = el("tbody"), category = null, top = 0;
    items.forEach(function (it) { top = Math.max(top, maxOf(it.by_state)); });
    items.forEach(function (it) {
      if (grouped && it.category !== category) {
        category = it.category;
        var cr = el("tr", {"class": "cat"}); cr.appendChild(el("td", {colspan: cols.length + 2}, category));
        tb.appendChild(cr);
      }
      var row = el("tr", {"class": "value-row", "data-value": it.value});
      var label = el("td", {title: it.label}, it.label + " ");
      label.appendChild(el("code", {"class": "value"}, it.value)); row.appendChild(label);
      var all = 0; for (var k in it.by_state) all += it.by_state[k];
      row.appendChild(el("td", null, all));
      cols.forEach(function (c) {
        var n = it.by_state[c] || 0;
        var td = el("td", {"class": "cell" + (n ? "" : " zero"), "data-state": c, "data-count": n}, n);
        if (n) { td.style.background = shade(n, top); if (Math.sqrt(n / top) > 0.5) td.style.color = "#fff"; }
        row.appendChild(td);
      });
      tb.appendChild(row);
    });
    t.appendChild(tb);
    return t;
  }
  document.getElementById("services").appendChild(heatTable("services-by-state", data.services, true));
  document.getElementById("accreditations").appendChild(
    data.accreditations.length ? heatTable("accreditations-by-state", data.accreditations, false)
                               : el("p", {id: "accreditations-by-state"}, "No accreditation in this build."));

  // -- completeness bars -----------------------------------------------------------------
  var rowH = 20, labelW = 150, barW = 420;
  var comp = svg("svg", {id: "completeness-chart", width: labelW + barW + 110, height: data.completeness.length * rowH + 4});
  data.completeness.forEach(function (c, i) {
    var share = c.total ? c.filled / c.total : 0;
    var g = svg("g", {"class": "bar", "data-column": c.column, "data-filled": c.filled,
                      transform: "translate(0," + i * rowH + ")"});
    g.appendChild(svg("text", {x: labelW - 8, y: 14, "text-anchor": "end", "font-size": 12}, c.column));
    g.appendChild(svg("rect", {x: labelW, y: 3, width: barW, height: 14, fill: "#eef1f4"}));
    g.appendChild(svg("rect", {x: labelW, y: 3, width: Math.max(share * barW, 0), height: 14,
                               fill: share >= 0.9 ? "#2da44e" : share >= 0.5 ? "#4c8ed9" : "#d4a72c"}));
    g.appendChild(svg("text", {x: labelW + barW + 8, y: 14, "font-size": 12},
                      pct(c.filled, c.total) + "% (" + c.filled + "/" + c.total + ")"));
    comp.appendChild(g);
  });
  document.getElementById("completeness").appendChild(comp);

  // -- sources ---------------------------------------------------------------------------
  function kvTable(id, caption, obj) {
    var t = el("table", {id: id}); var cap = el("caption", null, caption); t.appendChild(cap);
    Object.keys(obj).sort().forEach(function (k) {
      var tr = el("tr"); tr.appendChild(el("td", null, k)); tr.appendChild(el("td", null, obj[k])); t.appendChild(tr);
    });
    return t;
  }
  var src = document.getElementById("sources");
  src.appendChild(kvTable("sources-listed", "Facilities listed by source", data.sources.listed_by));
  src.appendChild(kvTable("sources-displayed", "Displayed values from", data.sources.displayed));
  src.appendChild(kvTable("status-counts", "Status", data.sources.status));
  src.appendChild(kvTable("coordinate-counts", "Coordinates", data.sources.coordinates));
  src.appendChild(kvTable("table-rows", "Rows per table", data.tables));

  var status = document.getElementById("render-status");
  status.textContent = "Charts rendered from build " + data.build_id + ".";
  document.body.setAttribute("data-rendered", "ok");
})();
"""
