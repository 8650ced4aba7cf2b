"""scrapy-playwright's download handler, for the pages a browser renders, started on first use.

Built by :class:`provdir.crawl.render_handler.RenderOnDemandHandler` when the first page needs a
browser (this module imports scrapy-playwright, so it is imported only then). Unchanged,
scrapy-playwright's handler starts Playwright (a Node.js driver process) when the engine starts;
this subclass starts it on the first page to render, and only ever sees requests with
``meta["playwright"]``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from scrapy.crawler import Crawler
from scrapy.http import Request, Response
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler


class SharedPlaywrightHandler(ScrapyPlaywrightDownloadHandler):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._provdir_started = False
        self._provdir_start_lock = asyncio.Lock()

    async def _maybe_launch_in_thread(self) -> None:
        """Connected to ``engine_started`` by the base class: nothing starts until a page needs it."""

    def _engine_started(self) -> Any:  # the same, for Scrapy < 2.14
        return None

    async def _download_request(self, request: Request, spider: Any = None) -> Response:
        async with self._provdir_start_lock:
            if not self._provdir_started:
                await self._maybe_future_from_coro(self._launch())
                self._provdir_started = True
        return await super()._download_request(request, spider)
