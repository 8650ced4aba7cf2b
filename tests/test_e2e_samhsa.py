"""End to end: ``provdir crawl-samhsa`` through real Scrapy against a scripted locator API on
loopback that replays the SAMHSA fixture (page 1, tests/fixtures/samhsa) and pages derived from it: a 500 then success
(retry with backoff), a malformed JSON body, an empty page, a state whose API never answers
properly. The crawl completes, counts what it could not read, and publishes the rest."""

from __future__ import annotations

import copy
import json
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest

from provdir.sampleweb.server import bundled_sites_dir, serve_sites
from tests.helpers import (
    FAST,
    ROOT,
    SAMHSA_FIXTURE,
    cli_command,
    cli_in_process,
    crawl,
    run_cli,
    scrapy_command,
    write_seeds,
)

pytestmark = pytest.mark.e2e

FIXTURE = SAMHSA_FIXTURE
API_PATH = "/locator/exportsAsJson/v2"
HOTLINE = "434-972-4357"
# Near-zero politeness: loopback server, fast suite. Backoff stays measurable (0.3 s).
FAST_SAMHSA = [*FAST, "-s", "PROVDIR_RETRY_BACKOFF_BASE=0.3", "-s", "RETRY_TIMES=2"]


# -- a scripted locator API ----------------------------------------------------------------
@dataclass
class Reply:
    status: int = 200
    body: bytes = b""


@dataclass
class Hit:
    state: str
    page: int
    at: float
    query: dict[str, str]


@dataclass
class LocatorAPI:
    """``(state, page) -> [Reply, ...]``: replies are used in order, the last one repeats;
    anything unscripted (robots.txt too) is a 404."""

    script: dict[tuple[str, int], list[Reply]]
    hits: list[Hit] = field(default_factory=list)
    url: str = ""

    def pages(self, state: str) -> list[int]:
        return [h.page for h in self.hits if h.state == state]


@pytest.fixture(scope="module")
def fixture_listing() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def envelope(page: int, total: int, rows: list[dict], record_count: int = 50) -> bytes:
    return json.dumps({"page": page, "totalPages": total, "recordCount": record_count, "rows": rows}).encode()


def derived(rows: list[dict], prefix: str) -> list[dict]:
    """Copies of fixture rows as other facilities: new frid, another house number."""
    out = []
    for row in copy.deepcopy(rows):
        row["frid"] = prefix + row["frid"][len(prefix) :]
        row["street1"] = "9" + row["street1"]
        out.append(row)
    return out


def serve(api: LocatorAPI, host: str) -> Iterator[LocatorAPI]:
    lock = threading.Lock()
    used: dict[tuple[str, int], int] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            reply = Reply(404, b"not found")
            if parts.path == API_PATH:
                key = (query.get("limitValue", ""), int(query.get("page", "0")))
                with lock:
                    api.hits.append(Hit(key[0], key[1], time.monotonic(), query))
                    if key in api.script:
                        n = used.get(key, 0)
                        used[key] = n + 1
                        replies = api.script[key]
                        reply = replies[min(n, len(replies) - 1)]
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((host, 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    api.url = f"http://{host}:{server.server_address[1]}{API_PATH}"
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()


def crawl_samhsa(api: LocatorAPI, out: Path, *extra: str, states: str = "VA") -> subprocess.CompletedProcess:
    return run_cli(
        "crawl-samhsa",
        "--states",
        states,
        "--api-url",
        api.url,
        "--out",
        str(out),
        "--allow-private-networks",
        *FAST_SAMHSA,
        *extra,
    )


def last_run(out: Path) -> Path:
    return sorted((out / "runs").iterdir())[-1]


def published_keys(facilities: pd.DataFrame) -> list[str]:
    """Every source record in the published table (several when the build merged them)."""
    if "source_keys" in facilities:
        return [k for keys in facilities["source_keys"] for k in keys]
    return list(facilities["source_key"])


def facility_of(facilities: pd.DataFrame, frid: str) -> pd.Series:
    key = f"samhsa:{frid}"
    col = facilities["source_keys"] if "source_keys" in facilities else facilities["source_key"].map(lambda k: [k])
    (row,) = [r for (_, r), keys in zip(facilities.iterrows(), col, strict=True) if key in list(keys)]
    return row


def evidence_of(evidence: pd.DataFrame, facilities: pd.DataFrame, frid: str) -> pd.DataFrame:
    if "source_key" in evidence:
        return evidence[evidence["source_key"] == f"samhsa:{frid}"]
    return evidence[evidence["facility_id"] == facility_of(facilities, frid)["facility_id"]]


# -- one crawl of a troubled API, asserted from several angles ------------------------------
@pytest.fixture(scope="module")
def troubled_api(fixture_listing) -> Iterator[LocatorAPI]:
    rows = fixture_listing["rows"]
    page5 = derived(rows[20:30], "b5")
    page5[0]["hotline1"] = HOTLINE
    script = {
        ("VA", 1): [Reply(body=envelope(1, 5, rows))],
        ("VA", 2): [Reply(500, b"Internal Server Error"), Reply(body=envelope(2, 5, derived(rows[10:20], "b2")))],
        ("VA", 3): [Reply(body=b'{"page": 3, "totalPages": 5, "recordCount": 50, "rows": [{"frid": "')],
        ("VA", 4): [Reply(body=envelope(4, 5, []))],
        ("VA", 5): [Reply(body=envelope(5, 5, page5))],
        # MO: the API answers with an error object, then 404s: the state is given up.
        ("MO", 1): [Reply(body=b'{"message": "Service temporarily unavailable"}')],
    }
    yield from serve(LocatorAPI(script), "127.0.0.81")


@pytest.fixture(scope="module")
def troubled_crawl(troubled_api, tmp_path_factory):
    out = tmp_path_factory.mktemp("samhsa") / "out"
    proc = crawl_samhsa(troubled_api, out, "--page-size", "30", states="VA,MO")
    run = last_run(out)
    return {
        "proc": proc,
        "out": out,
        "run": run,
        "manifest": json.loads((run / "manifest.json").read_text()),
        "stats": json.loads((run / "stats.json").read_text()),
        "observations": {o["source_id"]: o for o in map(json.loads, (run / "observations.jsonl").open())},
        "facilities": pd.read_parquet(out / "latest" / "facilities.parquet"),
        "evidence": pd.read_parquet(out / "latest" / "evidence.parquet"),
    }


def expected_frids(rows: list[dict]) -> set[str]:
    page5 = {r["frid"] for r in derived(rows[20:30], "b5")}
    return {r["frid"] for r in rows} | {r["frid"] for r in derived(rows[10:20], "b2")} | page5


def test_crawl_completes_publishes_and_warns(troubled_crawl):
    proc = troubled_crawl["proc"]
    assert proc.returncode == 3, proc.stderr[-3000:]  # published, with warnings
    assert "FAILED samhsa:MO" in proc.stdout
    assert "INCOMPLETE samhsa:VA: 1 page(s) could not be read" in proc.stdout
    assert troubled_crawl["manifest"]["status"] == "ok"
    assert troubled_crawl["manifest"]["source"] == "samhsa"
    assert (troubled_crawl["out"] / "latest" / "facilities.parquet").exists()


def test_requests_follow_total_pages_with_the_api_parameters(troubled_crawl, troubled_api):
    assert troubled_api.pages("VA") == [1, 2, 2, 3, 4, 5]  # page 2 retried after a 500; never a page 6
    assert troubled_api.pages("MO") == [1, 2, 3]  # three failures in a row: given up
    query = next(h.query for h in troubled_api.hits if h.state == "VA")
    assert query == {"sType": "both", "limitType": "0", "limitValue": "VA", "pageSize": "30", "page": "1"}


def test_retry_waits_with_backoff(troubled_crawl, troubled_api):
    first, retry = [h.at for h in troubled_api.hits if (h.state, h.page) == ("VA", 2)]
    assert retry - first >= 0.28  # PROVDIR_RETRY_BACKOFF_BASE=0.3, downloads are instant here
    assert troubled_crawl["stats"]["retry/count"] == 1
    assert troubled_crawl["stats"]["retry/backoff_seconds"] == pytest.approx(0.3)


def test_site_reports_per_state(troubled_crawl):
    sites = troubled_crawl["manifest"]["sites"]
    va, mo = sites["samhsa:VA"], sites["samhsa:MO"]
    assert (va["status"], va["pages_ok"], va["pages_failed"], va["pages_empty"], va["rows"], va["total_pages"]) == (
        "ok",
        4,
        1,
        1,
        50,
        5,
    )
    assert va["complete"] is False
    assert "unreadable: not JSON" in va["errors"][0] and "page=3" in va["errors"][0]
    assert (mo["status"], mo["pages_ok"], mo["pages_failed"], mo["rows"]) == ("failed", 0, 3, 0)
    assert "missing page, totalPages, recordCount, rows" in mo["errors"][0]
    assert any("HTTP 404" in e for e in mo["errors"])
    assert "gave up after 3 failed pages" in mo["errors"][-1]


def test_stats_count_what_could_not_be_read(troubled_crawl):
    stats = troubled_crawl["stats"]
    assert stats["samhsa/rows/read"] == 50
    assert stats["observations/written"] == 50
    assert stats["samhsa/pages/ok"] == 4
    assert stats["samhsa/pages/unreadable"] == 2  # VA page 3 (truncated JSON), MO page 1 (no rows)
    assert stats["samhsa/pages/failed"] == 2  # MO pages 2 and 3 (404)
    assert stats["samhsa/pages/empty"] == 1
    assert stats["pages/failed"] == 4


def test_zero_unknown_labels_on_the_fixture(troubled_crawl):
    stats = troubled_crawl["stats"]
    assert stats.get("samhsa/labels/unknown", 0) == 0
    assert stats["samhsa/labels/mapped"] > 0 and stats["samhsa/labels/known_unmapped"] > 0
    assert all(u["known"] == "yes" for o in troubled_crawl["observations"].values() for u in o["unmapped"])


def test_every_frid_published_exactly_once(troubled_crawl, fixture_listing):
    frids = expected_frids(fixture_listing["rows"])
    assert len(frids) == 50
    facilities = troubled_crawl["facilities"]
    assert sorted(published_keys(facilities)) == sorted(f"samhsa:{f}" for f in frids)
    assert len(facilities) <= len(frids)
    assert set(troubled_crawl["observations"]) == frids


def test_sa_and_mh_twins_at_one_address_are_both_published(troubled_crawl, rows_by_prefix):
    sa, mh = rows_by_prefix["39d6ca2b"]["frid"], rows_by_prefix["a1e80691"]["frid"]
    obs = troubled_crawl["observations"]
    assert (obs[sa]["record_type"], obs[mh]["record_type"]) == ("SA", "MH")
    assert obs[sa]["street"] == obs[mh]["street"] == "800 Preston Ave"
    keys = published_keys(troubled_crawl["facilities"])
    assert keys.count(f"samhsa:{sa}") == 1 and keys.count(f"samhsa:{mh}") == 1
    ev = troubled_crawl["evidence"]
    sa_services = set(evidence_of(ev, troubled_crawl["facilities"], sa).query("field == 'service'")["value"])
    assert "substance_use" in sa_services


@pytest.fixture(scope="module")
def rows_by_prefix(fixture_listing) -> dict[str, dict]:
    return {r["frid"][:8]: r for r in fixture_listing["rows"]}


def test_phone_extensions(troubled_crawl, rows_by_prefix):
    obs = troubled_crawl["observations"]
    intake = [p for p in obs[rows_by_prefix["ab740701"]["frid"]]["phones"] if p["role"] == "admissions"]
    assert [(p["e164"], p["extension"], p["raw"]) for p in intake] == [("+14349718454", "1", "434-971-8454 x1")]
    main = [p for p in obs[rows_by_prefix["1cfdfec2"]["frid"]]["phones"] if p["role"] == "main"]
    assert [(p["e164"], p["extension"]) for p in main] == [("+15402176366", "110")]
    facility = facility_of(troubled_crawl["facilities"], rows_by_prefix["1cfdfec2"]["frid"])
    assert facility["phone"] == "+15402176366"
    ev = evidence_of(troubled_crawl["evidence"], troubled_crawl["facilities"], rows_by_prefix["1cfdfec2"]["frid"])
    assert "SAMHSA phone: 540-217-6366 x110" in set(ev.query("field == 'phone'")["snippet"])


def test_crisis_hotline_is_not_a_contact_phone(troubled_crawl, fixture_listing):
    frid = derived(fixture_listing["rows"][20:21], "b5")[0]["frid"]
    phones = troubled_crawl["observations"][frid]["phones"]
    assert [p["role"] for p in phones if p["e164"] == "+14349724357"] == ["crisis"]
    facility = facility_of(troubled_crawl["facilities"], frid)
    assert "+14349724357" not in list(facility["phones"]) and facility["phone"] != "+14349724357"
    assert facility["phone"]  # its main phone is still there


def test_website_suite_and_address_published(troubled_crawl, rows_by_prefix):
    facilities = troubled_crawl["facilities"]
    fair_winds = facility_of(facilities, rows_by_prefix["98ed33f5"]["frid"])
    assert fair_winds["website"] == "http://www.fairwindsgrouphome.com/"
    assert troubled_crawl["observations"][rows_by_prefix["98ed33f5"]["frid"]]["website"] == (
        "http://www.fairwindsgrouphome.com/"
    )
    suite = facility_of(facilities, rows_by_prefix["ab740701"]["frid"])
    assert (suite["street"], suite["city"], suite["state"], suite["postal_code"]) == (
        "901 Preston Ave Ste 201",
        "Charlottesville",
        "VA",
        "22903",
    )
    mohr = facility_of(facilities, rows_by_prefix["811a908f"]["frid"])
    assert mohr["latitude"] == pytest.approx(38.0282239) and mohr["longitude"] == pytest.approx(-78.4725231)


def test_services_accreditations_licenses_with_samhsa_evidence(troubled_crawl, rows_by_prefix):
    facilities, evidence = troubled_crawl["facilities"], troubled_crawl["evidence"]
    otp = rows_by_prefix["1cfdfec2"]["frid"]
    row = facility_of(facilities, otp)
    assert {"otp", "methadone", "buprenorphine", "substance_use", "outpatient"} <= set(row["services"])
    assert "JC" in list(row["accreditations"])
    ev = evidence_of(evidence, facilities, otp)
    service_ev = ev.query("field == 'service' and value == 'otp'").iloc[0]
    assert service_ev["snippet"] == "SAMHSA Type of Opioid Treatment (OT): SAMHSA-certified Opioid Treatment Program"
    assert service_ev["basis"] == "samhsa:OT"
    tc = ev.query("field == 'service' and value == 'substance_use'").iloc[0]
    assert (tc["snippet"], tc["basis"]) == ("SAMHSA Type of Care (TC): Substance use treatment", "samhsa:TC")
    acc = ev.query("field == 'accreditation'").iloc[0]
    assert (acc["value"], acc["snippet"]) == (
        "JC",
        "SAMHSA License/Certification/Accreditation (LCA): The Joint Commission",
    )
    # SAMHSA's "State substance abuse agency" for a Virginia listing is Virginia's (the registry).
    dbhds = "Virginia Department of Behavioral Health and Developmental Services (VA)"
    licenses = ev.query("field == 'license'")
    assert dbhds in set(licenses["value"])
    assert "SAMHSA License/Certification/Accreditation (LCA): State substance abuse agency" in set(licenses["snippet"])
    carf = facility_of(facilities, rows_by_prefix["708bf189"]["frid"])
    assert "CARF" in list(carf["accreditations"])
    assert dbhds in list(carf["licenses"])


# -- failures before and during the crawl ---------------------------------------------------
@pytest.fixture(scope="module")
def dead_api() -> Iterator[LocatorAPI]:
    yield from serve(LocatorAPI({}), "127.0.0.82")


def test_nothing_readable_is_not_published(dead_api, tmp_path):
    out = tmp_path / "out"
    proc = crawl_samhsa(dead_api, out, states="TX")
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "Nothing published" in proc.stdout and "FAILED samhsa:TX" in proc.stdout
    assert not (out / "latest").exists()
    manifest = json.loads((last_run(out) / "manifest.json").read_text())
    assert manifest["status"] == "failed"
    assert dead_api.pages("TX") == [1, 2, 3]


@pytest.mark.parametrize("states", ["VA,XX", "Virginia", "V1"])
def test_bad_states_exit_before_any_request(dead_api, tmp_path, states):
    before = len(dead_api.hits)
    proc = cli_in_process(
        "crawl-samhsa",
        "--states",
        states,
        "--api-url",
        dead_api.url,
        "--out",
        str(tmp_path / "out"),
        "--allow-private-networks",
    )
    assert proc.returncode == 2
    assert "bad --states" in proc.stderr and "nothing was crawled" in proc.stderr.lower()
    assert not (tmp_path / "out").exists()
    assert len(dead_api.hits) == before


def test_page_size_too_large_exits_before_any_request(dead_api, tmp_path):
    before = len(dead_api.hits)
    proc = cli_in_process(
        "crawl-samhsa",
        "--states",
        "VA",
        "--page-size",
        "5000",
        "--api-url",
        dead_api.url,
        "--out",
        str(tmp_path / "out"),
        "--allow-private-networks",
    )
    assert proc.returncode == 2 and "--page-size must be at most 1000" in proc.stderr
    assert not (tmp_path / "out").exists() and len(dead_api.hits) == before


def test_loopback_api_url_refused_without_allow_private_networks(dead_api, tmp_path):
    proc = cli_in_process("crawl-samhsa", "--states", "VA", "--api-url", dead_api.url, "--out", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert "--allow-private-networks" in proc.stderr and "127.0.0.82" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_scrapy_lists_the_spider():
    listed = subprocess.run(scrapy_command("list"), cwd=ROOT, capture_output=True, text=True)
    assert listed.returncode == 0 and "samhsa_locator" in listed.stdout.split()


# -- resuming an interrupted crawl (JOBDIR) ------------------------------------------------
@pytest.fixture
def three_page_api(fixture_listing) -> Iterator[LocatorAPI]:
    rows = fixture_listing["rows"]
    script = {
        ("VA", 1): [Reply(body=envelope(1, 3, rows))],
        ("VA", 2): [Reply(body=envelope(2, 3, derived(rows[:10], "c2")))],
        ("VA", 3): [Reply(body=envelope(3, 3, derived(rows[10:20], "c3")))],
    }
    yield from serve(LocatorAPI(script), "127.0.0.83")


def test_interrupted_crawl_resumes_with_jobdir_and_publishes_everything(three_page_api, fixture_listing, tmp_path):
    out, job = tmp_path / "out", tmp_path / "job"
    args = cli_command(
        "crawl-samhsa",
        "--states",
        "VA",
        "--api-url",
        three_page_api.url,
        "--out",
        str(out),
        "--allow-private-networks",
        *FAST_SAMHSA,
        "-s",
        f"JOBDIR={job}",
    )
    # Run 1: slow (3 s between requests); interrupted (SIGINT, like Ctrl-C) once page 1 is stored.
    first = subprocess.Popen(
        [*args, "-s", "DOWNLOAD_DELAY=3"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        written = list(out.glob("runs/*/observations.jsonl"))
        if written and sum(1 for _ in written[0].open()) >= 30:
            break
        time.sleep(0.05)
    first.send_signal(signal.SIGINT)
    stdout, stderr = first.communicate(timeout=60)
    assert first.returncode == 1, stderr[-2000:]  # interrupted: not published
    assert "Nothing published" in stdout
    run1 = last_run(out)
    assert json.loads((run1 / "manifest.json").read_text())["finish_reason"] == "shutdown"
    assert not (out / "latest").exists()
    fetched_by_run1 = len(three_page_api.hits)

    # Run 2: same JOBDIR, full speed: goes on where run 1 stopped and carries its records over.
    second = subprocess.run([*args, "-s", "DOWNLOAD_DELAY=0"], cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert second.returncode == 0, second.stderr[-3000:]
    assert three_page_api.pages("VA").count(1) == 1  # page 1 was not fetched again
    assert {h.page for h in three_page_api.hits[fetched_by_run1:]} <= {2, 3}
    run2 = last_run(out)
    assert run2 != run1
    stats = json.loads((run2 / "stats.json").read_text())
    assert stats["samhsa/rows/carried_over"] >= 30
    rows = fixture_listing["rows"]
    frids = {r["frid"] for r in rows} | {r["frid"] for r in derived(rows[:10], "c2")}
    frids |= {r["frid"] for r in derived(rows[10:20], "c3")}
    facilities = pd.read_parquet(out / "latest" / "facilities.parquet")
    assert sorted(published_keys(facilities)) == sorted(f"samhsa:{f}" for f in frids)
    report = json.loads((run2 / "manifest.json").read_text())["sites"]["samhsa:VA"]
    assert (report["status"], report["pages_ok"], report["rows"], report["complete"]) == ("ok", 3, 50, True)


# -- the same output directory as the website crawl ------------------------------------------
def test_publishes_beside_the_website_crawl(fixture_listing, tmp_path):
    out = tmp_path / "out"
    with serve_sites({"harris": bundled_sites_dir() / "harris-house"}, port=0, first_host=84) as urls:
        site = crawl(write_seeds(tmp_path / "seeds.txt", [urls["harris"]]), out)
    assert site.returncode == 0, site.stderr[-2000:]
    script = {("VA", 1): [Reply(body=envelope(1, 1, fixture_listing["rows"], 30))]}
    for api in serve(LocatorAPI(script), "127.0.0.85"):
        proc = crawl_samhsa(api, out)
    assert proc.returncode == 0, proc.stderr[-3000:]
    facilities = pd.read_parquet(out / "latest" / "facilities.parquet")
    keys = published_keys(facilities)
    assert sum(k.startswith("samhsa:") for k in keys) == 30
    assert any(k.startswith("site:") for k in keys)  # the website crawl's facilities are still published
    assert "Harris House" in set(facilities["organization"])
