"""Every use of Scrapy internals, in one place (written against Scrapy 2.19).

Scrapy documents its settings, signals, middlewares and the engine's public methods; the
downloader's per-host *slots* (their delay, jitter and active set), its per-slot settings, and
the engine's next-call scheduling are not documented and change between releases. The crawl
needs them for politeness (robots.txt ``Crawl-delay``, backoff, per-host concurrency) and the
Redis workers need them to wake an idle engine and read a host's delay, so they are reached only
through the functions below. ``tests/component/test_scrapy_compat.py`` checks each against the
installed Scrapy: an upgrade that moves one fails there, by name, not deep inside a crawl.

Each function degrades to "nothing to do" when the crawler has no engine yet (a component built
outside a crawl) rather than raising.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.utils.httpobj import urlparse_cached

SCRAPY_SERIES = (2, 19)
"""The Scrapy minor version these helpers were written and tested against (pyproject pins it)."""


def downloader(crawler: Crawler) -> Any | None:
    """The engine's downloader (``scrapy.core.downloader.Downloader``), or None before the engine."""
    return getattr(engine(crawler), "downloader", None)


def engine(crawler: Crawler) -> Any | None:
    """The crawler's engine, or None before the crawl starts (Scrapy 2.19 raises on reading
    ``Crawler.engine`` that early; older releases returned None)."""
    try:
        return getattr(crawler, "engine", None)
    except RuntimeError:
        return None


def slot_key(crawler: Crawler, request: Request) -> str:
    """The download-slot key (host, or ``download_slot`` meta) Scrapy throttles ``request`` under."""
    d = downloader(crawler)
    if d is None:
        return request.meta.get("download_slot") or urlparse_cached(request).hostname or ""
    return str(d.get_slot_key(request))


def slot(crawler: Crawler, key: str) -> Any | None:
    """The live download slot for ``key`` (``delay``, ``jitter``, ``active``), or None."""
    d = downloader(crawler)
    return d.slots.get(key) if d is not None else None


def request_slot(crawler: Crawler, request: Request) -> Any | None:
    """The slot a request that reached the downloader was assigned to (its ``download_slot`` meta)."""
    d = downloader(crawler)
    if d is None:
        return None
    return d.slots.get(request.meta.get(d.DOWNLOAD_SLOT, ""))


def slot_delay(crawler: Crawler, request: Request) -> float | None:
    """The delay of the slot ``request`` was assigned to; None when it has none (yet)."""
    s = request_slot(crawler, request)
    return float(s.delay) if s is not None else None


@contextmanager
def counted_as_active(crawler: Crawler, key: str, request: Request) -> Iterator[None]:
    """While inside, ``request`` counts as in progress in slot ``key``, so the scheduler's
    downloader-aware queue serves other hosts meanwhile."""
    s = slot(crawler, key)
    if s is not None:
        s.active.add(request)
    try:
        yield
    finally:
        if s is not None:
            s.active.discard(request)


def pin_slot_delay(crawler: Crawler, key: str, delay: float) -> None:
    """Make ``delay`` (no jitter) the slot's delay now and for a slot Scrapy creates later for the
    same key (also after its idle-slot clean-up). Never lowers a live slot's larger delay."""
    d = downloader(crawler)
    if d is None:
        return
    d.per_slot_settings[key] = {**d.per_slot_settings.get(key, {}), "delay": delay, "jitter": 0}
    s = d.slots.get(key)
    if s is not None and (s.delay < delay or s.jitter):
        s.delay = max(s.delay, delay)
        s.jitter = 0


def raise_slot_delay(crawler: Crawler, request: Request, floor: float) -> None:
    """At least ``floor`` seconds between requests in the slot ``request`` was assigned to."""
    s = request_slot(crawler, request)
    if s is not None and s.delay < floor:
        s.delay = floor


def wake_engine(engine: Any) -> None:
    """Make an idle engine look at its scheduler now (by itself it does only every 5 s).

    Scrapy has no public call for this; ``engine._slot.nextcall`` is what ``engine.crawl()``
    uses. Absent (another Scrapy version), the engine's own 5 s heartbeat still works.
    """
    nextcall = getattr(getattr(engine, "_slot", None), "nextcall", None)
    if nextcall is not None:
        nextcall.schedule()


def is_too_many_redirects(exc: Exception) -> bool:
    """Is this the IgnoreRequest Scrapy's redirect middlewares raise past ``REDIRECT_MAX_TIMES``?
    (Scrapy gives it no class of its own: only its message says so.)"""
    return "max redirections" in str(exc)


def forget_cached_response(request: Request) -> None:
    """Drop the stale copy HttpCacheMiddleware keeps in ``request.meta`` to serve if the download
    fails (its undocumented ``cached_response`` key)."""
    request.meta.pop("cached_response", None)
