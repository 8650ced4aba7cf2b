"""The sample directory (provdir/sampleweb/directory.json) served by the loopback locator: it
answers in the real API's format (the real page in tests/fixtures/samhsa is the reference), pages
like it, and every label it uses is one SAMHSA uses (listed in samhsa_labels.csv)."""

from __future__ import annotations

import json
import urllib.request

from provdir.sampleweb.locator import API_PATH, listing_page, sample_notes, sample_rows, serve_locator
from provdir.sources import samhsa
from tests.helpers import SAMHSA_FIXTURE

SITES = {"agarita-recovery": "http://127.0.0.11:8061/", "harris-house": "http://127.0.0.13:8061/"}


def real_page() -> dict:
    return json.loads(SAMHSA_FIXTURE.read_text(encoding="utf-8"))


def test_rows_have_the_real_rows_fields_and_service_groups():
    real_keys = set(real_page()["rows"][0])
    _, body = listing_page(sample_rows(SITES), {"limitValue": "MO", "page": "1", "pageSize": "100"})
    assert body["rows"]
    for row in body["rows"]:
        assert set(row) == real_keys, set(row) ^ real_keys
        for group in row["services"]:
            assert set(group) == {"f1", "f2", "f3"}
            assert isinstance(group["f3"], str) and group["f3"]


def test_every_label_is_a_label_the_mapping_file_lists():
    for row in sample_rows(SITES):
        for label in samhsa.row_labels(row):
            assert samhsa.lookup(label.category_code, label.label) is not None, (row["name2"], label)


def test_site_placeholders_become_served_urls_and_unserved_sites_lose_their_website():
    rows = {r["name2"]: r for r in sample_rows(SITES)}
    assert rows["Agarita Recovery Clinic"]["website"] == "http://127.0.0.11:8061/"
    assert rows["Harris House Treatment Center"]["website"] == "http://127.0.0.13:8061/"
    assert rows["Millrace House"]["website"] == ""  # its site is not in SITES
    assert not any(r["website"].startswith("SITE:") for r in rows.values())


def test_paging_by_state_like_the_real_api():
    rows = sample_rows(SITES)
    missouri = [r for r in rows if r["state"] == "MO"]
    assert len(missouri) > 2
    status, first = listing_page(rows, {"limitValue": "mo", "page": "1", "pageSize": "2"})
    assert status == 200
    assert (first["page"], first["totalPages"], first["recordCount"]) == (1, -(-len(missouri) // 2), len(missouri))
    assert [r["_irow"] for r in first["rows"]] == [1, 2]
    pages = [
        listing_page(rows, {"limitValue": "MO", "page": str(p), "pageSize": "2"})[1]
        for p in range(1, first["totalPages"] + 1)
    ]
    assert [r["frid"] for p in pages for r in p["rows"]] == [r["frid"] for r in missouri]
    _, past_end = listing_page(rows, {"limitValue": "MO", "page": "99", "pageSize": "2"})
    assert past_end["rows"] == [] and past_end["recordCount"] == len(missouri)
    _, none = listing_page(rows, {"limitValue": "WY", "page": "1", "pageSize": "100"})
    assert (none["totalPages"], none["recordCount"], none["rows"]) == (0, 0, [])
    assert listing_page(rows, {"limitValue": "MO", "page": "x"})[0] == 400


def test_the_envelope_reads_like_the_real_one():
    _, body = listing_page(sample_rows(SITES), {"limitValue": "TX", "page": "1", "pageSize": "100"})
    page = samhsa.parse_envelope(json.dumps(body).encode())
    assert page.record_count == len(page.rows) >= 2


def test_deliberately_out_of_date_rows_say_so():
    notes = sample_notes()
    assert sum(n.startswith("out of date") for n in notes.values()) >= 3
    assert sum(n.startswith("listed only") for n in notes.values()) >= 2


def test_served_over_http_on_loopback():
    with serve_locator(sample_rows(SITES)) as url:
        assert url.endswith(API_PATH) and url.startswith("http://127.0.0.10:")
        with urllib.request.urlopen(url + "?sType=both&limitType=0&limitValue=CA&pageSize=100&page=1") as resp:
            body = json.loads(resp.read())
            assert resp.headers["Content-Type"] == "application/json"
    assert [r["name1"] for r in body["rows"]] == ["Quill Creek Recovery Center"]
