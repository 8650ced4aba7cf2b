"""Spider callbacks as components: each spider built from a crawler with the project's settings,
its callbacks called with hand-made responses (``HtmlResponse``, ``TextResponse``) and failures.
What only a real crawl shows (scheduling, robots.txt, redirects on the wire) stays in the e2e tests."""

from __future__ import annotations

import json

import pytest
import scrapy
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import DNSLookupError
from twisted.python.failure import Failure

from provdir.model.convert import to_json
from provdir.model.items import FacilityRecord, PageObservation
from provdir.runs.store import OBSERVATIONS, create_run
from provdir.sources.samhsa import MAX_PAGE_SIZE
from spiders.provider_sites import ProviderSitesSpider
from spiders.samhsa_locator import MAX_CONSECUTIVE_FAILURES, SamhsaLocatorSpider
from tests.helpers import SAMHSA_FIXTURE, crawler_for, write_seeds

SEED = "https://harrishouse.example/"
SITE = "harrishouse.example"

CONTACT = """<!doctype html><html lang="en"><head><title>Contact Us | Harris House</title></head>
<body>
<nav><a href="/">Home</a> <a href="/programs/detox/">Detox</a> <a href="/about/">About</a>
  <a href="https://www.facebook.com/harrishouse">Facebook</a> <a href="mailto:intake@harrishouse.example">Email</a>
  <a href="tel:+13146314299">Call</a> <a href="#main">Skip</a></nav>
<main id="main"><h1>Contact Harris House</h1>
  <p>Admissions are open 24/7. Call <a href="tel:+13146314299">(314) 631-4299</a>.</p>
  <p>8315 Big Bend Blvd, Webster Groves, MO 63119</p>
  <p><a href="/blog/2023/holiday-hours/">Holiday hours</a></p>
</main>
<footer>&copy; 2026 Harris House Foundation</footer>
</body></html>"""


def provider_sites(tmp_path, **settings) -> ProviderSitesSpider:
    crawler = crawler_for(ProviderSitesSpider, project=True, PROVDIR_OUTPUT_DIR=str(tmp_path / "out"), **settings)
    seeds = write_seeds(tmp_path / "seeds.txt", [SEED])
    spider = ProviderSitesSpider.from_crawler(crawler, seeds=str(seeds))
    crawler.spider = spider
    return spider


def html(url: str, body: str, request: scrapy.Request | None = None, **meta) -> HtmlResponse:
    request = request or scrapy.Request(url, meta={"site": SITE, **meta})
    return HtmlResponse(
        url, body=body.encode(), encoding="utf-8", request=request, headers={"Content-Type": "text/html; charset=utf-8"}
    )


def failure(exc: Exception, request: scrapy.Request) -> Failure:
    f = Failure(exc)
    f.request = request  # what Scrapy sets before calling an errback
    return f


# -- provider_sites: where to start -----------------------------------------------------------
def test_each_seed_starts_with_its_page_then_robots(tmp_path):
    spider = provider_sites(tmp_path)
    page, robots = spider.start_requests()
    assert (page.url, page.meta["site"], page.meta["is_seed"]) == (SEED, SITE, True)
    assert page.callback == spider.parse and page.errback == spider.on_error
    assert robots.url == f"{SEED}robots.txt" and robots.callback == spider.parse_robots
    assert robots.meta["aux"] and robots.dont_filter
    assert page.priority > robots.priority


@pytest.mark.parametrize("arg", ["0", "many"])
def test_a_bad_page_cap_is_refused_before_any_request(tmp_path, arg):
    crawler = crawler_for(ProviderSitesSpider, project=True, PROVDIR_OUTPUT_DIR=str(tmp_path))
    with pytest.raises(ValueError, match="max_pages_per_site"):
        ProviderSitesSpider.from_crawler(
            crawler, seeds=str(write_seeds(tmp_path / "s.txt", [SEED])), max_pages_per_site=arg
        )


# -- provider_sites: pages --------------------------------------------------------------------
def test_a_page_yields_its_observation_and_in_scope_links(tmp_path):
    spider = provider_sites(tmp_path)
    out = list(spider.parse(html(f"{SEED}contact/", CONTACT)))
    (obs,) = [o for o in out if isinstance(o, PageObservation)]
    assert (obs.site, obs.seed_url, obs.url, obs.status) == (SITE, SEED, f"{SEED}contact/", 200)
    assert obs.fetched_at and obs.body_hash
    assert "+13146314299" in {p.e164 for p in obs.phones}
    followed = [r.url for r in out if isinstance(r, scrapy.Request)]
    # Off-site, mailto:, tel: and fragment links are not followed.
    assert set(followed) == {SEED, f"{SEED}programs/detox/", f"{SEED}about/", f"{SEED}blog/2023/holiday-hours/"}
    assert spider.sites[SITE].pages_ok == 1


def test_links_already_scheduled_or_over_the_cap_are_not_followed_again(tmp_path):
    spider = provider_sites(tmp_path, PROVDIR_MAX_PAGES_PER_SITE=3)
    list(spider.start_requests())  # the seed is scheduled
    first = [r for r in spider.parse(html(f"{SEED}contact/", CONTACT)) if isinstance(r, scrapy.Request)]
    again = [r for r in spider.parse(html(f"{SEED}contact/", CONTACT)) if isinstance(r, scrapy.Request)]
    assert len(first) == 2 and again == []  # 3 pages: the seed and two links
    assert spider.crawler.stats.get_value("pages/over_site_cap") >= 2


def test_a_program_page_is_followed_before_a_blog_post(tmp_path):
    spider = provider_sites(tmp_path)
    requests = {
        r.url: r.priority for r in spider.parse(html(f"{SEED}contact/", CONTACT)) if isinstance(r, scrapy.Request)
    }
    assert requests[f"{SEED}programs/detox/"] > requests[f"{SEED}blog/2023/holiday-hours/"]


def test_a_non_html_response_is_counted_not_extracted(tmp_path):
    spider = provider_sites(tmp_path)
    request = scrapy.Request(f"{SEED}intake.pdf", meta={"site": SITE})
    pdf = Response(request.url, body=b"%PDF-1.7 ...", headers={"Content-Type": "application/pdf"}, request=request)
    assert list(spider.parse(pdf)) == []
    assert spider.sites[SITE].skipped_non_html == 1 and spider.sites[SITE].pages_ok == 0


def test_a_seed_that_redirects_to_www_keeps_its_site(tmp_path):
    spider = provider_sites(tmp_path)
    moved = "https://www.harris-house.example/"
    list(spider.parse(html(f"{SEED}about/", CONTACT)))  # the site's scope is read once before the move
    list(spider.parse(html(moved, CONTACT.replace('href="/about/"', f'href="{moved}about/"'), is_seed=True)))
    assert "www.harris-house.example" in spider.sites[SITE].netlocs
    assert spider.redirect_allowed(scrapy.Request(f"{moved}contact/", meta={"site": SITE}))
    assert not spider.redirect_allowed(scrapy.Request("https://elsewhere.example/", meta={"site": SITE}))
    # The site's scope, read before the redirect, grew with it: the new host's links are followed.
    page = CONTACT.replace('href="/programs/detox/"', 'href="https://harris-house.example/programs/detox/"')
    followed = {r.url for r in spider.parse(html(f"{moved}contact/", page)) if isinstance(r, scrapy.Request)}
    assert "https://harris-house.example/programs/detox/" in followed  # www. or not: one site
    assert f"{moved}contact/" not in followed and "https://www.facebook.com/harrishouse" not in followed


def test_a_menu_link_repeated_on_a_page_is_followed_once_with_its_first_anchor(tmp_path):
    spider = provider_sites(tmp_path)
    page = CONTACT.replace("<footer>", '<footer><a href="../programs/detox/">Blog: detox stories</a> ')
    requests = [r for r in spider.parse(html(f"{SEED}contact/", page)) if isinstance(r, scrapy.Request)]
    detox = [r for r in requests if r.url == f"{SEED}programs/detox/"]
    assert len(detox) == 1 and len(requests) == len({r.url for r in requests})


def test_an_unchanged_page_reuses_the_previous_runs_extraction(tmp_path):
    response = html(f"{SEED}contact/", CONTACT)
    (first,) = [o for o in provider_sites(tmp_path).parse(response) if isinstance(o, PageObservation)]
    first.title = "as read last run"
    previous = create_run(tmp_path / "out", "site")
    (previous.dir / OBSERVATIONS).write_text(json.dumps(to_json(first)) + "\n", encoding="utf-8")
    previous.write_manifest({"run_id": previous.run_id, "source": "site", "status": "ok"})
    spider = provider_sites(tmp_path)  # reads the previous good run's extractions
    (again,) = [o for o in spider.parse(response) if isinstance(o, PageObservation)]
    assert again.title == "as read last run" and again.phones == first.phones
    assert spider.crawler.stats.get_value("pages/extraction_reused") == 1
    changed = html(f"{SEED}contact/", CONTACT.replace("24/7", "weekdays"))
    (fresh,) = [o for o in spider.parse(changed) if isinstance(o, PageObservation)]
    assert fresh.title != "as read last run"


# -- provider_sites: robots.txt and sitemaps --------------------------------------------------
def test_robots_sitemaps_in_scope_are_read(tmp_path):
    spider = provider_sites(tmp_path)
    body = f"User-agent: *\nDisallow: /admin/\nSitemap: {SEED}sitemap_index.xml\nSitemap: https://cdn.example/s.xml\n"
    request = scrapy.Request(f"{SEED}robots.txt", meta={"site": SITE})
    response = TextResponse(request.url, body=body.encode(), encoding="utf-8", request=request)
    assert [r.url for r in spider.parse_robots(response)] == [f"{SEED}sitemap_index.xml"]


def test_without_a_robots_sitemap_the_usual_place_is_tried(tmp_path):
    spider = provider_sites(tmp_path)
    request = scrapy.Request(f"{SEED}robots.txt", meta={"site": SITE})
    missing = Response(request.url, status=404, request=request)
    assert [r.url for r in spider.parse_robots(missing)] == [f"{SEED}sitemap.xml"]


def test_a_sitemap_lists_pages_and_an_index_lists_sitemaps(tmp_path):
    spider = provider_sites(tmp_path)
    urlset = (
        f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{SEED}locations/</loc></url><url><loc>https://other.example/x</loc></url></urlset>"
    )
    request = scrapy.Request(f"{SEED}sitemap.xml", meta={"site": SITE})
    pages = list(spider.parse_sitemap(Response(request.url, body=urlset.encode(), request=request)))
    assert [(r.url, r.callback) for r in pages] == [(f"{SEED}locations/", spider.parse)]
    index = (
        f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{SEED}post-sitemap.xml</loc></sitemap></sitemapindex>"
    )
    subs = list(spider.parse_sitemap(Response(request.url, body=index.encode(), request=request)))
    assert [(r.url, r.callback) for r in subs] == [(f"{SEED}post-sitemap.xml", spider.parse_sitemap)]


def test_a_sitemap_that_is_not_xml_is_ignored(tmp_path):
    spider = provider_sites(tmp_path)
    request = scrapy.Request(f"{SEED}sitemap.xml", meta={"site": SITE})
    assert list(spider.parse_sitemap(Response(request.url, body=b"Not found", request=request))) == []


# -- provider_sites: failures -----------------------------------------------------------------
def test_failures_are_reported_per_site_by_kind(tmp_path):
    spider = provider_sites(tmp_path)
    request = scrapy.Request(f"{SEED}gone/", meta={"site": SITE})
    spider.on_error(failure(HttpError(Response(request.url, status=404, request=request)), request))
    spider.on_error(failure(DNSLookupError("harrishouse.example"), scrapy.Request(SEED, meta={"site": SITE})))
    report = spider.site_reports()[SITE]
    assert report["failures"] == {"http_404": 1, "dns": 1}
    assert report["status"] == "failed" and report["pages_failed"] == 2
    assert report["errors"][0] == f"{SEED}gone/: HTTP 404"
    assert spider.crawler.stats.get_value("pages/failed/dns") == 1


# -- samhsa_locator ---------------------------------------------------------------------------
API = "https://findtreatment.example/locator/exportsAsJson/v2"


@pytest.fixture(scope="module")
def listing_rows() -> list[dict]:
    # The repository's copy of the real SAMHSA response (tests/fixtures/samhsa/README.md).
    return json.loads(SAMHSA_FIXTURE.read_text(encoding="utf-8"))["rows"][:5]


def samhsa(tmp_path, states: str = "VA", **kwargs) -> SamhsaLocatorSpider:
    crawler = crawler_for(SamhsaLocatorSpider, project=True, PROVDIR_OUTPUT_DIR=str(tmp_path), SAMHSA_API_URL=API)
    spider = SamhsaLocatorSpider.from_crawler(crawler, states=states, **kwargs)
    crawler.spider = spider
    return spider


def listing(spider: SamhsaLocatorSpider, state: str, page: int, body: bytes) -> TextResponse:
    request = scrapy.Request(spider.listing_url(state, page), meta={"samhsa_state": state, "samhsa_page": page})
    return TextResponse(request.url, body=body, encoding="utf-8", request=request)


def envelope(page: int, total: int, rows: list[dict]) -> bytes:
    return json.dumps({"page": page, "totalPages": total, "recordCount": 50, "rows": rows}).encode()


def test_each_state_starts_at_page_one(tmp_path):
    spider = samhsa(tmp_path, states="VA,MO", page_size=25)
    urls = [r.url for r in spider._start()]
    assert urls == [spider.listing_url("VA", 1), spider.listing_url("MO", 1)]
    assert "limitValue=VA" in urls[0] and "pageSize=25" in urls[0] and "page=1" in urls[0]


@pytest.mark.parametrize("size", ["0", str(MAX_PAGE_SIZE + 1), "ten"])
def test_a_bad_page_size_is_refused(tmp_path, size):
    with pytest.raises(ValueError, match="page_size"):
        samhsa(tmp_path, page_size=size)


def test_a_listing_page_yields_records_then_the_next_page(tmp_path, listing_rows):
    spider = samhsa(tmp_path)
    list(spider._start())
    out = list(spider.parse_listing(listing(spider, "VA", 1, envelope(1, 2, listing_rows))))
    records = [o for o in out if isinstance(o, FacilityRecord)]
    assert [r.source_id for r in records] == [row["frid"] for row in listing_rows]
    assert all(r.fetched_at and r.state == "VA" for r in records)
    (next_page,) = [o for o in out if isinstance(o, scrapy.Request)]
    assert next_page.meta == {"samhsa_state": "VA", "samhsa_page": 2}
    # The last page ends the state.
    assert [
        o for o in spider.parse_listing(listing(spider, "VA", 2, envelope(2, 2, []))) if isinstance(o, scrapy.Request)
    ] == []
    report = spider.site_reports()["samhsa:VA"]
    assert report["status"] == "ok" and report["complete"] and report["rows"] == len(listing_rows)


def test_an_unreadable_page_is_counted_and_the_next_one_tried_until_three_in_a_row(tmp_path):
    spider = samhsa(tmp_path)
    list(spider._start())
    for page in range(1, MAX_CONSECUTIVE_FAILURES + 1):
        out = list(spider.parse_listing(listing(spider, "VA", page, b"<html>Service Unavailable</html>")))
    assert out == []  # gave up after the third
    assert spider.crawler.stats.get_value("samhsa/pages/unreadable") == MAX_CONSECUTIVE_FAILURES
    report = spider.site_reports()["samhsa:VA"]
    assert report["status"] == "failed" and "gave up" in report["errors"][-1]


def test_a_page_answered_twice_is_read_once(tmp_path, listing_rows):
    spider = samhsa(tmp_path)
    list(spider._start())
    list(spider.parse_listing(listing(spider, "VA", 1, envelope(1, 3, listing_rows))))
    assert list(spider.parse_listing(listing(spider, "VA", 1, envelope(1, 3, listing_rows)))) == []
    assert spider.crawler.stats.get_value("samhsa/pages/already_done") == 1


# -- callbacks that are generators return nothing --------------------------------------------
def test_no_spider_callback_is_a_generator_returning_a_value():
    """Scrapy's per-response check (WARN_ON_GENERATOR_RETURN_VALUE, off in the project's
    settings for its cost), run here once over every generator method of every spider."""
    import inspect

    from scrapy.utils.misc import is_generator_with_return_value

    from spiders.provider_sites_redis import ProviderSitesRedisSpider

    spiders = (ProviderSitesSpider, ProviderSitesRedisSpider, SamhsaLocatorSpider)
    checked = {
        f"{cls.__name__}.{name}": is_generator_with_return_value(func)
        for cls in spiders
        for name, func in vars(cls).items()
        if inspect.isgeneratorfunction(func)
    }
    assert {"ProviderSitesSpider.parse", "ProviderSitesRedisSpider.parse", "SamhsaLocatorSpider.on_error"} <= set(
        checked
    )
    assert not [name for name, returns in checked.items() if returns]
