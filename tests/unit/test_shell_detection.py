"""Detection of pages only a browser can read (provdir/extract/shell.py), on app shells as the
common builders emit them and on ordinary pages that must not be taken for one."""

from __future__ import annotations

import pytest

from provdir.crawl.render import BrowserRendering, chromium_path, render_mode, unavailable_reason
from provdir.extract.shell import SHELL_TEXT_CHARS, needs_browser, signals
from provdir.runs.health import browser_warning

# -- app shells ------------------------------------------------------------------------------
CRA_SHELL = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<link rel="icon" href="/favicon.ico"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Bluebird Recovery</title>
<script defer="defer" src="/static/js/main.8e3f1c2b.js"></script>
<link href="/static/css/main.0a1b2c3d.css" rel="stylesheet"></head>
<body><noscript>You need to enable JavaScript to run this app.</noscript><div id="root"></div></body></html>"""

VUE_SHELL = """<!DOCTYPE html><html lang=""><head><meta charset="utf-8"><title>Harbor Light Counseling</title>
<script defer src="/js/chunk-vendors.3b2a.js"></script><script defer src="/js/app.91fe.js"></script></head>
<body><noscript><strong>We're sorry but Harbor Light Counseling doesn't work properly without JavaScript
enabled. Please enable it to continue.</strong></noscript><div id="app"></div></body></html>"""

NEXT_CLIENT_ONLY = """<!DOCTYPE html><html><head><meta charSet="utf-8"/><title>Summit Ridge Detox</title>
<script src="/_next/static/chunks/webpack-1a2b.js" defer=""></script>
<script src="/_next/static/chunks/main-3c4d.js" defer=""></script></head>
<body><div id="__next"></div>
<script id="__NEXT_DATA__" type="application/json">{"props":{"pageProps":{}},"page":"/","query":{}}</script>
</body></html>"""

ANGULAR_SHELL = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Cedar Grove</title>
<base href="/"></head><body><app-root></app-root>
<script src="runtime.js" type="module"></script><script src="polyfills.js" type="module"></script>
<script src="main.js" type="module"></script></body></html>"""

LOADING_SHELL = """<html><head><title>Open Door Wellness</title></head><body>
<div id="app"><div class="spinner"></div></div><p class="loading">Loading…</p>
<script src="/assets/index-4f8e2a.js" type="module"></script></body></html>"""

# A site builder's home page: the text is drawn by the script, the body holds only a wrapper
# with an inline bootstrap and no link anywhere.
BUILDER_HOME = """<html><head><title>Riverbend Clinic</title></head><body>
<div class="site-wrapper"><h1>Riverbend Clinic</h1></div>
<script>window.__SITE__ = {"id": 4411, "pages": 6}; boot(window.__SITE__);</script>
<script src="https://static.builder.example/runtime.min.js"></script></body></html>"""


@pytest.mark.parametrize(
    ("html", "why"),
    [
        (CRA_SHELL, "empty mount point and scripts"),
        (VUE_SHELL, "empty mount point and scripts"),
        (NEXT_CLIENT_ONLY, "empty mount point and scripts"),
        (ANGULAR_SHELL, "empty mount point and scripts"),
        (LOADING_SHELL, "empty mount point and scripts"),
    ],
)
def test_app_shells_need_a_browser(html, why):
    assert needs_browser(html, in_scope_links=0) == why


def test_noscript_asking_for_javascript_is_counted():
    s = signals(VUE_SHELL)
    assert s is not None and s.noscript_asks_js and s.scripts == 2 and s.empty_mount
    # The notice's own text is not visible text: the shell shows nothing.
    assert s.text_chars == 0


def test_noscript_notice_with_a_little_text_needs_a_browser():
    html = """<html><body><header><h1>Maple Street Recovery</h1><p>Admissions open.</p></header>
    <noscript>This site requires JavaScript. Please turn on JavaScript in your browser.</noscript>
    <script src="/bundle.js"></script></body></html>"""
    assert needs_browser(html, in_scope_links=3) == "noscript asks for JavaScript"


def test_home_page_with_scripts_and_no_link_to_its_own_site():
    assert needs_browser(BUILDER_HOME, in_scope_links=0, is_home=True) == "home page with scripts and no links"
    # The same page deeper in the site, or with links home, is not judged on links.
    assert needs_browser(BUILDER_HOME, in_scope_links=0, is_home=False) == ""
    assert needs_browser(BUILDER_HOME, in_scope_links=4, is_home=True) == ""


# -- ordinary pages --------------------------------------------------------------------------
STATIC_CONTACT = """<html><head><title>Contact | Millbrook House</title>
<script async src="https://www.googletagmanager.com/gtag/js?id=G-XXXX"></script>
<script>window.dataLayer = window.dataLayer || []; function gtag(){dataLayer.push(arguments);}</script>
</head><body><div id="fb-root"></div>
<nav><ul><li><a href="/">Home</a></li><li><a href="/programs/">Programs</a></li><li><a href="/contact/">Contact</a></li></ul></nav>
<main><h1>Contact Millbrook House</h1>
<p>Call admissions any time at (417) 555-0199. Our intake coordinators answer seven days a week and can
verify your insurance while you are on the phone.</p>
<address>1200 N Benton Ave<br>Springfield, MO 65802</address></main>
<footer><p>&copy; 2025 Millbrook House. Licensed by the Missouri Department of Mental Health.</p></footer>
</body></html>"""

WORDPRESS_WITH_NOTICE = (
    """<html><head><title>Programs | Harbor House</title><script src="/wp-includes/js/jquery.min.js"></script></head>
<body><noscript><div class="notice">Please enable JavaScript in your browser for the best experience.</div></noscript>
<div id="page"><header><h1>Harbor House</h1></header><main>"""
    + "<p>Our residential program offers structured days, individual therapy and family sessions.</p>" * 12
    + "</main></div></body></html>"
)

NO_SCRIPT_SHORT_PAGE = """<html><head><title>Thank you</title></head><body>
<div id="content"></div><p>Thanks! We will call you back.</p></body></html>"""

JSON_LD_ONLY = """<html><head><title>Oak Clinic</title>
<script type="application/ld+json">{"@type": "MedicalClinic", "name": "Oak Clinic"}</script></head>
<body><div id="root"></div><p>Call (512) 555-0110.</p></body></html>"""


@pytest.mark.parametrize(
    ("html", "links", "home"),
    [
        (STATIC_CONTACT, 3, False),
        (STATIC_CONTACT, 3, True),
        (WORDPRESS_WITH_NOTICE, 0, True),  # lots of text: the notice is a banner, not a shell
        (NO_SCRIPT_SHORT_PAGE, 0, True),  # nothing would run in a browser
        (JSON_LD_ONLY, 0, True),  # structured data is not code
    ],
)
def test_ordinary_pages_do_not_need_a_browser(html, links, home):
    assert needs_browser(html, in_scope_links=links, is_home=home) == ""


def test_static_page_text_is_measured_without_scripts_and_styles():
    s = signals(STATIC_CONTACT)
    assert s is not None
    assert s.text_chars > 250
    assert s.scripts == 2
    assert not s.noscript_asks_js


def test_unreadable_input_is_not_a_shell():
    assert needs_browser("") == ""
    assert needs_browser(b"\x00\x01\x02") == ""


def test_the_sample_spa_shell_needs_a_browser():
    from provdir.sampleweb.server import bundled_sites_dir

    shell = (bundled_sites_dir() / "kestrel-point-recovery" / "200.html").read_text(encoding="utf-8")
    assert needs_browser(shell, in_scope_links=0, is_home=True) == "empty mount point and scripts"


# -- the switch and the reports --------------------------------------------------------------
def _settings(**values):
    from scrapy.settings import Settings

    from provdir.crawl import settings as project

    s = Settings()
    s.setmodule(project, priority="project")
    for k, v in values.items():
        s.set(k, v, priority="cmdline")
    return s


def test_rendering_off_leaves_scrapy_alone():
    s = _settings(PROVDIR_RENDER="off")
    BrowserRendering().update_settings(s)
    assert s.get("PROVDIR_RENDER_UNAVAILABLE") == "rendering is off"
    assert s.getdict("DOWNLOAD_HANDLERS").get("http") is None


def test_no_browser_found_is_a_reason_not_an_error(tmp_path):
    s = _settings(PROVDIR_CHROMIUM=str(tmp_path / "no-such-chromium"))
    assert chromium_path(s) is None
    assert unavailable_reason(s).startswith("no Chromium found")
    BrowserRendering().update_settings(s)
    assert s.getdict("DOWNLOAD_HANDLERS").get("https") is None


def test_a_browser_found_wires_scrapy_playwright_in(tmp_path):
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    s = _settings(PROVDIR_CHROMIUM=str(fake), PROVDIR_RENDER_CONCURRENCY=9)
    BrowserRendering().update_settings(s)
    assert s.get("PROVDIR_RENDER_UNAVAILABLE") == ""
    handlers = s.getdict("DOWNLOAD_HANDLERS")
    assert handlers["http"] == handlers["https"] == "provdir.crawl.render_handler.RenderOnDemandHandler"
    assert handlers["file"] is None  # the project's own entries are kept
    launch = s.getdict("PLAYWRIGHT_LAUNCH_OPTIONS")
    assert launch["executable_path"] == str(fake)
    assert "--disable-background-networking" in launch["args"]
    assert s.getint("PLAYWRIGHT_MAX_CONTEXTS") == 1
    assert s.getint("PLAYWRIGHT_MAX_PAGES_PER_CONTEXT") == 4  # bounded whatever is asked
    assert s.get("PLAYWRIGHT_ABORT_REQUEST") == "provdir.crawl.render.abort_unrouted"


def test_render_mode_rejects_nonsense():
    assert render_mode({"PROVDIR_RENDER": False}) == "off"
    assert render_mode({"PROVDIR_RENDER": "auto"}) == "auto"
    with pytest.raises(ValueError, match="PROVDIR_RENDER"):
        render_mode({"PROVDIR_RENDER": "sometimes"})


def test_browser_warning_names_the_sites_and_why():
    summary = {"sites_incomplete": ["a.example", "b.example", "c.example"], "unavailable": "rendering is off"}
    assert browser_warning(summary) == "3 sites need a browser: rendering is off (a.example, b.example, c.example)"
    assert browser_warning({"sites_incomplete": ["a.example"], "unavailable": ""}).startswith(
        "1 site needs a browser: some pages could not be rendered"
    )
    assert browser_warning({"sites_incomplete": [], "sites_needing_browser": ["a.example"]}) == ""
    assert browser_warning(None) == ""


STATIC_FRAME_EMPTY_ROOT = """<html><head><title>Pine Hollow Recovery</title>
<script type="module" src="/assets/index-9c1d.js"></script></head><body>
<header><a href="/">Pine Hollow Recovery</a><nav><a href="/programs/">Programs</a> <a href="/admissions/">Admissions</a>
<a href="/insurance/">Insurance</a> <a href="/contact/">Contact</a></nav><p>Call 24/7 for a confidential assessment.</p></header>
<main><div id="root"></div></main>
<footer><p>Pine Hollow Recovery is a member of our regional provider network. Privacy policy. Terms of use.
Notice of nondiscrimination. Language assistance is available free of charge.</p></footer></body></html>"""


def test_empty_framework_mount_between_static_header_and_footer():
    s = signals(STATIC_FRAME_EMPTY_ROOT)
    assert s is not None and SHELL_TEXT_CHARS < s.text_chars < 1000
    assert s.empty_named_mount  # nested in <main>; the header and footer carry text
    assert needs_browser(STATIC_FRAME_EMPTY_ROOT, in_scope_links=5) == "empty app mount point"


def test_a_long_server_rendered_page_with_an_empty_app_div_is_ordinary():
    html = STATIC_FRAME_EMPTY_ROOT.replace(
        '<div id="root"></div>',
        '<div id="app"></div>' + "<p>We treat the whole person, not just the addiction.</p>" * 30,
    )
    assert needs_browser(html, in_scope_links=5) == ""


# -- the renderer's decisions (no browser needed) --------------------------------------------
def _renderer(**settings):
    from scrapy import Spider
    from scrapy.utils.test import get_crawler

    from provdir.crawl import settings as project
    from provdir.crawl.render import Renderer

    values = {k: getattr(project, k) for k in dir(project) if k.isupper()}
    values.update(settings)
    crawler = get_crawler(Spider, values)
    renderer = Renderer(crawler, in_scope=lambda url, site: url.startswith(f"http://{site}/"))
    renderer._configure()
    return renderer, crawler.stats


def _page(url: str, html: str, **flags):
    from scrapy import Request
    from scrapy.http import HtmlResponse

    request = Request(url, meta={"site": "spa.example", "is_seed": url.endswith(".example/")})
    return HtmlResponse(url, body=html.encode(), encoding="utf-8", request=request, **flags)


def _consider(renderer, response):
    return renderer.consider(
        response, "spa.example", in_scope_links=0, is_home=response.meta["is_seed"], callback=print, errback=print
    )


def test_rendering_off_counts_the_page_and_reports_the_site():
    renderer, stats = _renderer(PROVDIR_RENDER="off")
    assert _consider(renderer, _page("http://spa.example/", CRA_SHELL)) is None
    assert _consider(renderer, _page("http://spa.example/contact/", STATIC_CONTACT)) is None
    assert stats.get_value("pages/needs_browser") == 1
    assert stats.get_value("render/unavailable") == 1
    summary = renderer.summary()
    assert summary["rendering"] == "off" and summary["sites_incomplete"] == ["spa.example"]
    assert renderer.site_report("spa.example")["complete"] is False
    assert browser_warning(summary) == "1 site needs a browser: rendering is off (spa.example)"


def test_only_shells_are_rendered_within_the_sites_budget(tmp_path):
    from provdir.crawl.render import RENDER_SLOT

    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    renderer, stats = _renderer(PROVDIR_CHROMIUM=str(fake), PROVDIR_RENDER_MAX_PAGES_PER_SITE=2)
    assert renderer.active
    assert _consider(renderer, _page("http://spa.example/about/", STATIC_CONTACT)) is None
    first = _consider(renderer, _page("http://spa.example/", CRA_SHELL))
    second = _consider(renderer, _page("http://spa.example/services/", CRA_SHELL))
    third = _consider(renderer, _page("http://spa.example/contact/", CRA_SHELL))
    assert first is not None and second is not None and third is None
    meta = first.meta
    assert meta["playwright"] is True and meta["dont_cache"] and meta["download_slot"] == RENDER_SLOT
    assert meta["playwright_page_init_callback"] == "provdir.crawl.render.init_page"  # serializable
    assert first.dont_filter and first.url == "http://spa.example/"
    assert stats.get_value("render/requested") == 2 and stats.get_value("render/over_budget") == 1
    # A rendering is never rendered again, even if the app showed nothing.
    again = _page("http://spa.example/", CRA_SHELL, flags=["playwright"])
    assert _consider(renderer, again) is None
    assert stats.get_value("render/still_empty") == 1
    assert renderer.summary()["sites_incomplete"] == ["spa.example"]  # one page over the budget


# -- the crawl's shortcuts give the same answers ------------------------------------------------
ALL_PAGES = [CRA_SHELL, VUE_SHELL, NEXT_CLIENT_ONLY, STATIC_CONTACT, WORDPRESS_WITH_NOTICE, NO_SCRIPT_SHORT_PAGE]


@pytest.mark.parametrize("html", ALL_PAGES)
@pytest.mark.parametrize("home", [False, True])
def test_the_tree_the_crawl_already_parsed_gives_the_same_answer(html, home):
    from provdir.extract import html_root

    root = html_root(html)  # the tree the spider parsed once for the facts and the links
    assert needs_browser(html, in_scope_links=0, is_home=home, root=root) == needs_browser(
        html, in_scope_links=0, is_home=home
    )


@pytest.mark.parametrize(
    "body",
    [
        "<p>" + "word " * 400 + "</p>",
        "<p>" + "<b>a\u00a0\u00a0\u00a0</b>" * 300 + "</p>",  # runs of no-break spaces collapse to one
        "<div>" + "<span>x</span>\n\n\t " * 500 + "</div>",
        "<p>short</p><script>var x = '" + "y" * 5000 + "';</script>",  # script text never counts
    ],
)
@pytest.mark.parametrize("limit", [1, 50, 400, 2000])
def test_visible_text_cut_at_a_limit_agrees_with_the_whole_text(body, limit):
    import lxml.html

    from provdir.extract.shell import _visible_length, _visible_text

    tree = lxml.html.document_fromstring(f"<html><body>{body}</body></html>").find("body")
    whole, cut = _visible_text(tree), _visible_text(tree, limit)
    assert (len(cut) >= limit) == (len(whole) >= limit)
    assert whole.startswith(cut)
    length = _visible_length(tree, limit)  # what the shell check compares, without the text
    assert (length >= limit) == (len(whole) >= limit)
    assert length == len(whole) or length >= limit


def test_visible_text_keeps_reading_order_past_hidden_and_nested_elements():
    import lxml.html

    from provdir.extract.shell import _visible_text

    body = (
        "<body>Call <b>us <i>today</i></b> at <span hidden>secret</span>(314) 631-4299"
        "<!-- a comment --> or <div><p>visit <a href='/contact/'>our <em>office</em></a>.</p>"
        "<template><p>later</p></template></div><script>var x = 1;</script> Thank you.</body>"
    )
    tree = lxml.html.document_fromstring(f"<html>{body}</html>").find("body")
    assert _visible_text(tree) == "Call us today at (314) 631-4299 or visit our office . Thank you."
