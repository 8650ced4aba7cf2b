"""The http/https download handler of a crawl that may render: plain until a page needs a browser.

Scrapy builds one download handler per URL scheme at start-up. scrapy-playwright's handler
imports Playwright (about 0.5 s of a crawl's start) and, unchanged, starts a Node.js driver per
scheme when the engine starts, even when no page needs a browser. This handler is built once per
crawler (both schemes get the same instance): requests without ``meta["playwright"]`` go to the
handler that was configured before rendering was wired in (``PROVDIR_RENDER_INNER_HANDLER``: a
Redis worker's host-lease handler), else to Scrapy's HTTP/1.1 handler; the first page to render
imports scrapy-playwright and builds :class:`provdir.crawl.playwright_handler.SharedPlaywrightHandler`,
which starts Playwright then. A render itself never holds a host lease: the page's own requests
are downloaded separately, each through this handler (see provdir/crawl/render.py).
"""

from __future__ import annotations

import asyncio
from typing import Any

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.crawler import Crawler
from scrapy.http import Request, Response
from scrapy.utils.misc import build_from_crawler, load_object


class RenderOnDemandHandler:
    lazy = False  # built at start-up, like Scrapy's own HTTP handler

    def __init__(self, crawler: Crawler) -> None:
        self._crawler = crawler
        inner = crawler.settings.get("PROVDIR_RENDER_INNER_HANDLER") or HTTP11DownloadHandler
        self._plain: Any = build_from_crawler(load_object(inner), crawler)
        self._browser: Any = None
        self._browser_lock = asyncio.Lock()
        self._closed = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RenderOnDemandHandler:
        shared = getattr(crawler, "_provdir_render_handler", None)
        if shared is None:
            shared = cls(crawler)
            crawler._provdir_render_handler = shared  # type: ignore[attr-defined]
        return shared

    @property
    def browser_started(self) -> bool:
        """Whether a page has needed the browser (scrapy-playwright imported and built)."""
        return self._browser is not None

    async def download_request(self, request: Request) -> Response:
        if not request.meta.get("playwright"):
            return await self._plain.download_request(request)
        async with self._browser_lock:
            if self._browser is None:
                from provdir.crawl.playwright_handler import SharedPlaywrightHandler

                self._browser = SharedPlaywrightHandler(self._crawler)
        return await self._browser.download_request(request)

    async def close(self) -> None:
        # Registered for two schemes: Scrapy closes it twice.
        if self._closed:
            return
        self._closed = True
        for handler in (self._plain, self._browser):
            close = getattr(handler, "close", None)
            result: Any = close() if close is not None else None
            if hasattr(result, "__await__"):
                await result
