"""scrapy-playwright's download handler, shared by http and https and started on first use.

Scrapy builds one download handler per URL scheme, and scrapy-playwright's starts Playwright (a
Node.js driver process) when the engine starts: a crawl would run two drivers, and could launch
two Chromiums, even when no page needs a browser. This subclass is built once per crawler (both
schemes get the same instance) and starts Playwright on the first page to render. Requests
without ``meta["playwright"]`` go to the handler that was configured before rendering was wired
in (``PROVDIR_RENDER_INNER_HANDLER``: a Redis worker's host-lease handler), else to Scrapy's
HTTP/1.1 handler as in the base class. A render itself never holds a host lease: the page's own
requests are downloaded separately, each through that handler (see provdir/crawl/render.py).

Configured by :class:`provdir.crawl.render.BrowserRendering`; kept apart from it so that the
crawl imports scrapy-playwright only when rendering is on.
"""

from __future__ import annotations

import asyncio
from typing import Any

from scrapy.crawler import Crawler
from scrapy.http import Request, Response
from scrapy.utils.misc import build_from_crawler, load_object
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler


class SharedPlaywrightHandler(ScrapyPlaywrightDownloadHandler):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._provdir_started = False
        self._provdir_closed = False
        self._provdir_start_lock = asyncio.Lock()
        inner = crawler.settings.get("PROVDIR_RENDER_INNER_HANDLER")
        self._inner = build_from_crawler(load_object(inner), crawler) if inner else None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedPlaywrightHandler:
        shared = getattr(crawler, "_provdir_playwright_handler", None)
        if shared is None:
            shared = cls(crawler)
            crawler._provdir_playwright_handler = shared  # type: ignore[attr-defined]
        return shared

    async def _maybe_launch_in_thread(self) -> None:
        """Connected to ``engine_started`` by the base class: nothing starts until a page needs it."""

    def _engine_started(self) -> Any:  # the same, for Scrapy < 2.14
        return None

    async def download_request(self, request: Request) -> Response:
        if self._inner is not None and not request.meta.get("playwright"):
            return await self._inner.download_request(request)
        return await super().download_request(request)

    async def _download_request(self, request: Request, spider: Any = None) -> Response:
        async with self._provdir_start_lock:
            if not self._provdir_started:
                await self._maybe_future_from_coro(self._launch())
                self._provdir_started = True
        return await super()._download_request(request, spider)

    async def close(self) -> None:
        # Registered for two schemes: Scrapy closes it twice.
        if self._provdir_closed:
            return
        self._provdir_closed = True
        close = getattr(self._inner, "close", None)
        if close is not None:
            result = close()
            if hasattr(result, "__await__"):
                await result
        await super().close()
