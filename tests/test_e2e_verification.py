"""End to end: SAMHSA listings (the real fixture's rows, replayed on loopback) checked against
the providers' own websites with `provdir crawl --from-directory`; every verification status
occurs and is asserted per facility and field."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest

from provdir.sampleweb.server import serve_sites
from tests.helpers import FAST, SAMHSA_FIXTURE, run_cli

pytestmark = pytest.mark.e2e
FIXTURE = SAMHSA_FIXTURE

MOHR = "811a908f"  # Region Ten "Mohr Center", 1014 East Market Street, 434-979-8871, residential
ORCHARD = "76cf96c3"  # Orchard Mountain Recovery, 355 Rio Road West Suite 203, 434-282-2294
ALLIES = "d0ac0e21"  # Addiction Allies LLC, 233 Hydraulic Ridge Road Suite 203-A

PAGE = """<!doctype html><html><head><title>{title}</title></head><body>
<header><a href="/"><img src="/logo.png" alt="{org} logo"></a><p>Call {phone}</p>
<nav><ul class="menu"><li><a href="/programs/">Programs</a></li><li><a href="/contact/">Contact</a></li></ul></nav></header>
<main>{main}</main>
<footer><p>{org}<br>{street}<br>{city}</p><p>Phone: {phone}</p>{footer}</footer></body></html>"""


def site(root: Path, org: str, phone: str, street: str, city: str, main: str, footer: str = "") -> Path:
    for path, title, body in (
        ("", "Home", main),
        ("contact/", "Contact", "<h1>Contact us</h1>"),
        ("programs/", "Programs", main),
    ):
        d = root / path
        d.mkdir(parents=True, exist_ok=True)
        (d / "index.html").write_text(
            PAGE.format(
                title=f"{title} | {org}", org=org, phone=phone, street=street, city=city, main=body, footer=footer
            )
        )
    return root


def dead_url(host: str) -> str:
    with socket.socket() as s:
        s.bind((host, 0))
        return f"http://{host}:{s.getsockname()[1]}/"


@pytest.fixture(scope="module")
def verified(tmp_path_factory):
    base = tmp_path_factory.mktemp("verify")
    roots = {
        # Region Ten's site: a new main number, CARF on the site only, no word about residential.
        "regionten": site(
            base / "regionten",
            "Region Ten Community Services Board",
            "(434) 555-0188",
            "1014 East Market Street",
            "Charlottesville, VA 22902",
            "<h1>Our programs</h1><ul><li>Intensive Outpatient Program</li><li>Medical Detox</li></ul>"
            "<p>Region Ten is accredited by CARF.</p>",
        ),
        # Orchard Mountain's site: the listing's own phone and address.
        "orchard": site(
            base / "orchard",
            "Orchard Mountain Recovery",
            "(434) 282-2294",
            "355 Rio Road West, Suite 203",
            "Charlottesville, VA 22901",
            "<h1>Outpatient treatment</h1><p>We offer outpatient counseling.</p>",
        ),
    }
    with serve_sites(roots, port=0, first_host=150) as urls:
        rows = json.loads(FIXTURE.read_text())["rows"]
        chosen = {r["frid"][:8]: dict(r) for r in rows if r["frid"][:8] in (MOHR, ORCHARD, ALLIES)}
        chosen[MOHR]["website"] = urls["regionten"]
        chosen[ORCHARD]["website"] = urls["orchard"].replace("http://", "")  # a listing without a scheme
        chosen[ALLIES]["website"] = dead_url("127.0.0.153")  # nothing listens there
        body = json.dumps({"page": 1, "totalPages": 1, "recordCount": 3, "rows": list(chosen.values())}).encode()

        class Api(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        api = ThreadingHTTPServer(("127.0.0.154", 0), Api)
        threading.Thread(target=api.serve_forever, daemon=True).start()
        out = base / "out"
        try:
            listing = run_cli(
                "crawl-samhsa",
                "--states",
                "VA",
                "--api-url",
                f"http://127.0.0.154:{api.server_address[1]}/locator/exportsAsJson/v2",
                "--out",
                str(out),
                "--allow-private-networks",
                *FAST,
            )
            assert listing.returncode == 0, listing.stderr[-3000:]
            crawl = run_cli("crawl", "--from-directory", "--out", str(out), "--allow-private-networks", *FAST)
            assert crawl.returncode in (0, 3), crawl.stderr[-3000:]
        finally:
            api.shutdown()
    facilities = pd.read_parquet(out / "latest" / "facilities.parquet")
    verification = pd.read_parquet(out / "latest" / "verification.parquet")
    return facilities, verification, crawl


def rows_for(verified, frid: str, field: str) -> pd.DataFrame:
    facilities, verification, _ = verified
    fid = facilities[facilities["source_keys"].apply(lambda ks: any(k.startswith(f"samhsa:{frid}") for k in ks))]
    assert len(fid) == 1, frid
    v = verification[verification["facility_id"] == fid.iloc[0]["facility_id"]]
    return v[v["field"] == field]


def test_seeds_are_the_listing_websites_deduplicated(verified):
    _, _, crawl = verified
    assert "3 site(s)" in crawl.stderr or "crawling 3" in crawl.stderr


def test_new_phone_on_the_website_is_a_conflict(verified):
    (row,) = rows_for(verified, MOHR, "phone").to_dict("records")
    assert row["status"] == "conflict"
    assert (row["directory_value"], row["website_value"]) == ("+14349798871", "+14345550188")
    assert row["evidence_url"].startswith("http://127.0.0.") and "555-0188" in row["evidence_snippet"]


def test_listing_address_confirmed_by_the_site(verified):
    assert set(rows_for(verified, MOHR, "address")["status"]) == {"confirmed"}
    assert set(rows_for(verified, ORCHARD, "address")["status"]) == {"confirmed"}


def test_service_the_site_does_not_mention_is_only_directory(verified):
    services = rows_for(verified, MOHR, "service").set_index("value")["status"]
    assert services["residential"] == "only_directory"
    assert services["detox"] == "only_website"
    assert services["iop"] == "only_website"


def test_carf_only_on_the_site_is_only_website(verified):
    acc = rows_for(verified, MOHR, "accreditation").set_index("value")
    assert acc.loc["CARF", "status"] == "only_website"
    assert "CARF" in acc.loc["CARF", "evidence_snippet"]


def test_matching_phone_confirmed(verified):
    assert set(rows_for(verified, ORCHARD, "phone")["status"]) == {"confirmed"}


def test_unreachable_website(verified):
    assert set(rows_for(verified, ALLIES, "phone")["status"]) == {"website_unreachable"}
    assert set(rows_for(verified, ALLIES, "service")["status"]) == {"website_unreachable"}


def test_verified_at_set_on_checked_facilities_only(verified):
    facilities, _, _ = verified
    checked = facilities[facilities["verified_at"].fillna("") != ""]
    keys = {k.split(":")[1][:8] for ks in checked["source_keys"] for k in ks if k.startswith("samhsa:")}
    assert keys == {MOHR, ORCHARD, ALLIES}
