"""Retries with exponential backoff, for APIs that answer 429/5xx when pushed.

:class:`BackoffRetryMiddleware` is Scrapy's ``RetryMiddleware`` (same settings: ``RETRY_TIMES``,
``RETRY_HTTP_CODES``, ``RETRY_EXCEPTIONS``, ``dont_retry``) that waits before handing back the
retry: ``PROVDIR_RETRY_BACKOFF_BASE * 2 ** (attempt - 1)`` seconds, at most
``PROVDIR_RETRY_BACKOFF_MAX``, or longer when the server's ``Retry-After`` asks for it (still
capped). The wait holds the request's downloader slot, so with ``CONCURRENT_REQUESTS = 1``
nothing else is sent to the struggling server meanwhile. Waits are counted in stats as
``retry/backoff_seconds``. A spider enables it in place of ``RetryMiddleware`` (see
``spiders/samhsa_locator.py``).
"""

from __future__ import annotations

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.settings import BaseSettings

try:
    from scrapy.utils.asyncio import sleep  # Scrapy >= 2.18: asyncio or Twisted, whichever runs
except ImportError:  # pragma: no cover - older Scrapy

    async def sleep(seconds: float) -> None:
        from scrapy.utils.defer import maybe_deferred_to_future
        from twisted.internet import reactor, task

        await maybe_deferred_to_future(task.deferLater(reactor, seconds))


DEFAULT_BASE = 1.0
DEFAULT_MAX = 60.0


def backoff_delay(attempt: int, base: float, cap: float, retry_after: float | None = None) -> float:
    """Seconds to wait before retry number ``attempt`` (1 for the first retry)."""
    delay = base * 2 ** max(attempt - 1, 0)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return max(0.0, min(delay, cap))


def retry_after_seconds(response: Response) -> float | None:
    """``Retry-After: 30`` -> 30.0; None when absent or an HTTP date (not honoured: the cap applies)."""
    value = response.headers.get(b"Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value.decode("latin-1").strip()))
    except ValueError:
        return None


class BackoffRetryMiddleware(RetryMiddleware):
    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.base = settings.getfloat("PROVDIR_RETRY_BACKOFF_BASE", DEFAULT_BASE)
        self.cap = settings.getfloat("PROVDIR_RETRY_BACKOFF_MAX", DEFAULT_MAX)

    # ``spider`` is accepted for older Scrapy versions that still pass it; newer ones do not.
    async def process_response(self, request: Request, response: Response, spider=None) -> Request | Response:  # type: ignore[override]
        args = (request, response) if spider is None else (request, response, spider)
        result = super().process_response(*args)
        if isinstance(result, Request):
            await self._wait(result, retry_after_seconds(response))
        return result

    async def process_exception(self, request: Request, exception: Exception, spider=None) -> Request | Response | None:  # type: ignore[override]
        args = (request, exception) if spider is None else (request, exception, spider)
        result = super().process_exception(*args)
        if isinstance(result, Request):
            await self._wait(result, None)
        return result

    async def _wait(self, retry: Request, retry_after: float | None) -> None:
        delay = backoff_delay(retry.meta.get("retry_times", 1), self.base, self.cap, retry_after)
        if delay > 0:
            if self.crawler.stats is not None:
                self.crawler.stats.inc_value("retry/backoff_seconds", round(delay, 3))
            await sleep(delay)
