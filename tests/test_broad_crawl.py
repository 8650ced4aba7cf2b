"""The broad-crawl settings' effect on a real crawl: robots.txt once per host, connections
reused across a host's requests (the sample sites answer HTTP/1.1 keep-alive)."""

from __future__ import annotations

from collections import Counter

import pytest

from provdir.sampleweb.server import bundled_sites_dir, serve_sites, site_roots
from tests.helpers import crawl, write_seeds

SITES = ["quill-creek-recovery", "harris-house", "agarita-recovery"]


@pytest.fixture(scope="module")
def counted_crawl(tmp_path_factory):
    roots = {k: v for k, v in site_roots(bundled_sites_dir()).items() if k in SITES}
    servers: dict = {}
    with serve_sites(roots, port=0, first_host=171, servers_out=servers) as urls:
        base = tmp_path_factory.mktemp("broad")
        # Two sites at once (PROVDIR_SITE_WINDOW): the third starts once one of them is done.
        result = crawl(
            write_seeds(base / "seeds.txt", list(urls.values())), base / "out", "-s", "PROVDIR_SITE_WINDOW=2"
        )
    assert result.returncode == 0, result.stderr[-3000:]
    return servers, result


@pytest.mark.e2e
def test_no_more_sites_are_crawled_at_once_than_the_window(counted_crawl):
    servers, result = counted_crawl
    spans = sorted((min(s.request_times), max(s.request_times)) for s in servers.values())
    (_, first_end), (_, second_end), (third_start, _) = spans
    assert third_start > min(first_end, second_end), spans  # it waited for a place
    assert result.stats()["process/open_files_limit"] >= 1024


@pytest.mark.e2e
@pytest.mark.parametrize("slug", SITES)
def test_robots_txt_fetched_once_per_host(counted_crawl, slug):
    servers, _ = counted_crawl
    paths = Counter(p.split("?")[0] for p in servers[slug].request_log)
    assert paths["/robots.txt"] == 1, paths
    assert paths.total() >= 5  # the site was crawled, not just robots.txt


@pytest.mark.e2e
def test_sitemaps_still_come_from_robots_txt(counted_crawl):
    servers, _ = counted_crawl
    # quill-creek-recovery's robots.txt names its sitemap; it is read once.
    assert Counter(servers["quill-creek-recovery"].request_log)["/sitemap.xml"] == 1


@pytest.mark.e2e
@pytest.mark.parametrize("slug", SITES)
def test_connections_reused_across_a_hosts_requests(counted_crawl, slug):
    servers, _ = counted_crawl
    server = servers[slug]
    requests = len(server.request_log)
    assert requests >= 8
    # At most 2 connections at once per host (CONCURRENT_REQUESTS_PER_DOMAIN), reused; a 404
    # (send_error closes) costs a new one. Without keep-alive this would be one per request.
    assert server.connections * 3 <= requests, (server.connections, requests)


def test_links_of_a_page_and_of_a_page_with_no_tree():
    from scrapy.http import HtmlResponse

    from provdir.extract import html_root
    from spiders.provider_sites import _links

    html = (
        b'<html><head><base href="http://a.example/sub/"></head><body><nav><a href="contact/">Contact'
        b' <b>us</b></a> <a href="#top">top</a> <a href="tel:+14172010001">call</a></nav>'
        b'<noscript><a href="/programs/">Programs</a></noscript></body></html>'
    )
    page = HtmlResponse("http://a.example/", body=html, encoding="utf-8")
    links: list = []
    assert _links(page, html_root(page.text), links, 100) is False
    assert links == [("http://a.example/sub/contact/", "Contact us"), ("http://a.example/programs/", "Programs")]
    broken = HtmlResponse(
        "http://a.example/",
        body=b'<html><head><base href="http://[oops/"></head><body><a href="http://[::1">x</a>'
        b'<a href="/contact/">Contact</a></body></html>',
        encoding="utf-8",
    )
    kept: list = []
    assert _links(broken, html_root(broken.text), kept, 100) is False  # a broken base and link: the rest read
    assert kept == [("http://a.example/contact/", "Contact")]
    empty = HtmlResponse("http://a.example/x", body=b"  ", encoding="utf-8")
    none: list = []
    assert _links(empty, html_root(empty.text), none, 100) is False
    assert none == []


def test_a_pages_facts_links_and_shell_check_leave_no_cyclic_garbage():
    # Garbage in a cycle waits for the collector with its lxml tree: the crawl's GC threshold
    # (PROVDIR_GC_THRESHOLD) is high because a page leaves none.
    import gc

    from scrapy.http import HtmlResponse

    from provdir.extract import extract_page, html_root
    from provdir.extract.shell import needs_browser
    from spiders.provider_sites import _links

    html = (
        "<html><head><title>Cedar Bluff Recovery</title></head><body><nav><a href='/detox/'>Detox</a>"
        "<a href='/contact/'>Contact</a></nav><main><h1>Cedar Bluff Recovery</h1><p>We offer medical"
        " detox and residential treatment.</p><div hidden><p>Hidden panel</p></div></main><footer>"
        "<p>1200 Main Street, Springfield, MO 65802</p><p>Call (417) 555-0100</p></footer>"
        "<script src='/theme.js'></script></body></html>"
    )

    def one_page() -> None:
        response = HtmlResponse("http://a.example/", body=html.encode(), encoding="utf-8")
        root = html_root(response.text)
        obs = extract_page(response.text, response.url, site="http://a.example/", root=root)
        links: list = []
        _links(response, root, links, 100)
        needs_browser(response.text, in_scope_links=0, is_home=True, root=root)
        assert obs.phones and len(links) == 2  # the work was done

    def from_the_page(obj: object) -> bool:
        # Only what this page's work made: another test's thread on this worker may leave its own.
        code = getattr(obj, "__code__", None) or getattr(obj, "f_code", None)
        if code is not None:
            return "/provdir/" in code.co_filename or "/spiders/" in code.co_filename
        return type(obj).__module__.startswith(("lxml", "scrapy.http", "scrapy.selector", "parsel", "provdir"))

    one_page()  # first use: vocabularies load and caches fill once per process
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what a collection finds is kept in gc.garbage to be looked at
    try:
        one_page()
        gc.collect()
        left = [type(o).__qualname__ for o in gc.garbage if from_the_page(o)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert left == []
