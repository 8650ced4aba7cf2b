"""Where to look on a site: which links to follow and in what order (pure functions).

Facts about a treatment center sit on a handful of pages (contact, locations, about, programs,
admissions, insurance, accreditation). With a per-site page cap, those pages are fetched first;
assets, feeds, blog archives, calendars and query-string permutations are never fetched.

Also the bounds on the work one page may cost: :func:`time_limit` stops an extraction that runs
too long (a hostile page crafted to be slow would otherwise stall every site, since callbacks
run in the reactor thread).
"""

from __future__ import annotations

import re
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

SKIP_EXTENSIONS = frozenset(
    [
        "jpg",
        "jpeg",
        "png",
        "gif",
        "webp",
        "svg",
        "ico",
        "bmp",
        "tif",
        "tiff",
        "pdf",
        "doc",
        "docx",
        "xls",
        "xlsx",
        "ppt",
        "pptx",
        "zip",
        "gz",
        "tgz",
        "rar",
        "7z",
        "mp3",
        "mp4",
        "m4a",
        "mov",
        "avi",
        "wmv",
        "webm",
        "ogg",
        "wav",
        "css",
        "js",
        "json",
        "xml",
        "rss",
        "atom",
        "woff",
        "woff2",
        "ttf",
        "eot",
        "otf",
        "exe",
        "dmg",
        "apk",
        "iso",
        "csv",
        "txt",
        "ics",
    ]
)
_SKIP_PATH = re.compile(
    r"/(?:wp-admin|wp-login|wp-json|xmlrpc|feed|rss|cart|checkout|my-account|login|logout|"
    r"register|signin|sign-in|search|cdn-cgi|calendar|events?/(?:\d{4}|month|day|week|list|today|upcoming)|"
    r"tag|tags|category|author|page/\d+|comments?|trackback|print|share|wp-content|wp-includes)"
    r"(?:\.php)?(?:/|$|[-?])",
    re.I,
)
_SKIP_QUERY_KEYS = frozenset(
    [
        "replytocom",
        "share",
        "print",
        "format",
        "output",
        "s",
        "q",
        "search",
        "date",
        "month",
        "year",
        "ical",
        "outlook-ical",
        "eventdisplay",
        "tribe-bar-date",
        "sessionid",
        "sid",
        "phpsessid",
        "jsessionid",
        "fbclid",
        "gclid",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "utm_term",
        "utm_content",
    ]
)
# Words that mark a fact-bearing page, matched on word boundaries of the path or anchor text
# (so "careers" is not "care", and "gallery.php" is not "php").
_HIGH = re.compile(
    r"(?<![a-z])(?:contact|locations?|address|directions?|find-us|about|who-we-are|admissions?|intake|"
    r"insurance|payment|accredit\w*|licens\w*|credential\w*|carf|programs?|services?|treatments?|"
    r"levels?|care|detox\w*|residential|inpatient|outpatient|iop|php|partial|intensive|sober|housing|"
    r"recovery|mat|medication\w*|therapy|therapies|our-team|team|faq|family|families|adolescents?|"
    r"teens?|veterans?|women|men|facility|facilities|campus)(?![a-z])",
    re.I,
)
_BLOG = re.compile(r"/(?:blog|news|articles?|posts?|stories|press|\d{4}/\d{2})(?:/|$)", re.I)

PRIORITY_HIGH = 20
PRIORITY_NORMAL = 10
PRIORITY_BLOG = 0
MAX_QUERY_PARAMS = 2


# Session ids carried in the path: ";jsessionid=...", ";sid=..." and ASP.NET's "/(S(...))/".
_PATH_SESSION = re.compile(r";(?:jsessionid|phpsessid|sessionid|sid)=[^/?#]*|/\((?:[A-Z]\([^()/]*\))+\)(?=/|$)", re.I)


# A site's menus repeat the same links on every page: each is canonicalized once (pure function;
# canonicalize_url was 3% of a crawl's CPU). Bounded, so a huge crawl does not grow it.
@lru_cache(maxsize=65536)
def canonical(url: str) -> str:
    """Canonical form used for de-duplication: sorted query, no fragment, no tracking keys or
    session ids (in the query or the path)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() not in _SKIP_QUERY_KEYS]
    path = _PATH_SESSION.sub("", parts.path) or "/"
    cleaned = urlunsplit((parts.scheme, parts.netloc, path, urlencode(query), ""))
    return canonicalize_url(cleaned)


def link_priority(url: str, anchor_text: str = "") -> int | None:
    """Priority of a same-site link, or None when it must not be fetched."""
    parts = urlsplit(url)
    path = parts.path or "/"
    ext = path.rsplit(".", 1)[-1].lower() if "." in path.rsplit("/", 1)[-1] else ""
    if ext in SKIP_EXTENSIONS:
        return None
    if _SKIP_PATH.search(path) or path.count("/") > 8:
        return None
    query = parse_qsl(parts.query, keep_blank_values=True)
    if any(k.lower() in _SKIP_QUERY_KEYS for k, _ in query) or len(query) > MAX_QUERY_PARAMS:
        return None
    if _BLOG.search(path):
        return PRIORITY_BLOG
    words = path.rsplit(".", 1)[0] if ext else path  # "/gallery.php": the extension is not a word
    if _HIGH.search(words) or _HIGH.search(anchor_text):
        return PRIORITY_HIGH
    return PRIORITY_NORMAL


def is_html_response(content_type: str, body_start: bytes) -> bool:
    """True for HTML; rejects binaries (PDFs, images) even when served as text/html."""
    ct = content_type.lower()
    if ct and not any(t in ct for t in ("html", "xhtml", "text/plain")):
        return False
    head = body_start[:1024].lstrip()
    if head.startswith((b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8", b"PK\x03\x04", b"\x1f\x8b")):
        return False
    return b"\x00" not in head[:512]


class TimeLimitExceeded(Exception):
    """The work on one page took longer than its time limit."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`TimeLimitExceeded` in the block after ``seconds`` of wall time.

    Uses ``SIGALRM``, so it works in the main thread on POSIX (where Scrapy's reactor runs);
    elsewhere, or with ``seconds <= 0``, the block runs unbounded.
    """
    if seconds <= 0 or threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expired(signum: int, frame: object) -> None:
        raise TimeLimitExceeded(f"took longer than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
