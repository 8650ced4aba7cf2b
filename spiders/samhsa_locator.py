"""samhsa_locator: page through SAMHSA's treatment locator listing, one state at a time.

The spider decides only *which pages* to fetch: page 1 of each state, then the next page until
the listing's ``totalPages``; :mod:`provdir.sources.samhsa` turns each row into a facility record.

    scrapy crawl samhsa_locator -a states=VA,MO [-a page_size=100] [-s SAMHSA_API_URL=URL]

- Polite: one request at a time, a delay between requests, retries of 408/429/5xx with
  exponential backoff (the project-wide :class:`provdir.crawl.middlewares.BackoffRetryMiddleware`).
- A page that is not valid JSON or lacks ``rows`` is counted (``samhsa/pages/unreadable``)
  and the crawl goes on with the next page; after three failed pages in a row a state is given
  up. Per-state results are reported in the run manifest (``site_reports``).
- Resumable: with ``-s JOBDIR=DIR`` the per-state progress and the ids of earlier runs of the
  job are kept in Scrapy's spider state; a resumed crawl starts at each state's next page and
  carries the records its interrupted runs wrote over into the new run, so the published run
  is complete.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlencode, urlsplit

import scrapy
from scrapy.exceptions import CloseSpider
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from provdir.crawl.failures import NETWORK_KINDS, failure_line, kind_text, retries_text
from provdir.model.items import FacilityRecord
from provdir.runs.store import Run, read_observations, runs_dir, utc_now_iso, valid_run_id
from provdir.sources import samhsa

MAX_CONSECUTIVE_FAILURES = 3
"""A state is given up after this many failed pages in a row (the API is down or refuses us)."""
MAX_ERRORS_KEPT = 20
MAX_UNREACHABLE = 2
"""With no page read yet in the run, this many requests that never reached the API (DNS,
refused, timeout; each after its retries) end the whole crawl: the API is down or unreachable."""


def _new_progress() -> dict[str, Any]:
    """One state's progress: plain data, so Scrapy's JOBDIR can pickle it."""
    return {
        "next_page": 1,
        "total_pages": None,
        "record_count": None,
        "pages_ok": 0,
        "pages_failed": 0,
        "pages_empty": 0,
        "rows": 0,
        "consecutive_failures": 0,
        "done": False,
        "errors": [],
    }


class SamhsaLocatorSpider(scrapy.Spider):
    name = "samhsa_locator"
    source = "samhsa"
    custom_settings: ClassVar[dict[str, Any]] = {
        "CONCURRENT_REQUESTS": 1,  # project 16: one request at a time to a public API
        "CONCURRENT_REQUESTS_PER_DOMAIN": 1,  # project 2
        "DOWNLOAD_DELAY": 1.0,  # project 0.25 (AutoThrottle never goes below it)
        "DEPTH_LIMIT": 0,  # project 5: page N+1 is requested from page N, so depth = page number
        "DOWNLOAD_TIMEOUT": 60,  # project 20: a page of 100 rows is ~330 KB of JSON
        "RETRY_TIMES": 4,  # project 2
        "RETRY_HTTP_CODES": [408, 429, 500, 502, 503, 504, 522, 524],  # Scrapy's, plus 429
        "PROVDIR_RETRY_BACKOFF_BASE": 2.0,  # seconds before the first retry, doubled each time
        "PROVDIR_RETRY_BACKOFF_MAX": 60.0,
    }

    def __init__(self, states: str | None = None, page_size: str | int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.states = samhsa.parse_states(states)  # ValueError before any request
        self.page_size = _page_size(page_size)
        self.progress: dict[str, dict[str, Any]] = {}
        self._unknown_labels: set[tuple[str, str]] = set()
        self._unreachable = 0

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        url = crawler.settings.get("SAMHSA_API_URL") or ""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"SAMHSA_API_URL must be an http(s) URL, got {url!r}")
        spider.api_url = url
        return spider

    # -- where to start --------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Any]:
        for item_or_request in self._start():
            yield item_or_request

    def _start(self) -> Iterator[Any]:
        saved = getattr(self, "state", None)  # set by Scrapy's SpiderState extension with JOBDIR
        if saved is not None:
            job = saved.setdefault("samhsa", {"runs": [], "progress": {}})
            self.progress = job["progress"]
            current = getattr(getattr(self.crawler, "provdir_run", None), "run_id", None)
            yield from self._carry_over([r for r in job["runs"] if r != current])
            if current and current not in job["runs"]:
                job["runs"].append(current)
        for state in self.states:
            progress = self.progress.setdefault(state, _new_progress())
            if progress["done"]:
                self.logger.info("samhsa:%s finished in an earlier run of this job", state)
                continue
            yield self._listing_request(state, progress["next_page"])

    def _carry_over(self, run_ids: list[str]) -> Iterator[FacilityRecord]:
        """Records that interrupted runs of this job wrote, re-emitted into this run."""
        output = Path(self.settings.get("PROVDIR_OUTPUT_DIR"))
        seen: set[str] = set()
        for run_id in run_ids:
            run = Run(run_id, runs_dir(output) / run_id)
            if not valid_run_id(run_id) or not run.dir.is_dir():
                self.crawler.stats.inc_value("samhsa/resume/run_missing")
                self.logger.warning(
                    "earlier run %s of this job is not under %s: its records are not carried over",
                    run_id,
                    runs_dir(output),
                )
                continue
            for obs in read_observations(run):
                if not isinstance(obs, FacilityRecord) or obs.source != samhsa.SOURCE or obs.source_id in seen:
                    continue
                seen.add(obs.source_id)
                self.crawler.stats.inc_value("samhsa/rows/carried_over")
                yield obs

    def listing_url(self, state: str, page: int) -> str:
        query = urlencode(
            {"sType": "both", "limitType": 0, "limitValue": state, "pageSize": self.page_size, "page": page}
        )
        return f"{self.api_url}{'&' if '?' in self.api_url else '?'}{query}"

    def _listing_request(self, state: str, page: int) -> scrapy.Request:
        # dont_filter: a resumed job asks again for the page its interrupted run had in flight.
        return scrapy.Request(
            self.listing_url(state, page),
            callback=self.parse_listing,
            errback=self.on_error,
            meta={"samhsa_state": state, "samhsa_page": page},
            dont_filter=True,
        )

    # -- pages -----------------------------------------------------------------------------
    def parse_listing(self, response: Response) -> Iterator[Any]:
        state, page = response.meta["samhsa_state"], response.meta["samhsa_page"]
        progress = self.progress[state]
        if progress["done"] or page < progress["next_page"]:
            self.crawler.stats.inc_value("samhsa/pages/already_done")
            return
        try:
            listing = samhsa.parse_envelope(response.body)
        except samhsa.EnvelopeError as exc:
            self._page_failed(state, page, f"{response.url}: unreadable: {exc}", "samhsa/pages/unreadable")
            yield from self._next(state, page)
            return
        stats = self.crawler.stats
        stats.inc_value("samhsa/pages/ok")
        progress["pages_ok"] += 1
        progress["consecutive_failures"] = 0
        progress["total_pages"], progress["record_count"] = listing.total_pages, listing.record_count
        if listing.page != page:
            stats.inc_value("samhsa/pages/page_mismatch")
        if not listing.rows:
            stats.inc_value("samhsa/pages/empty")
            progress["pages_empty"] += 1
        fetched_at = utc_now_iso()
        for row in listing.rows:
            stats.inc_value("samhsa/rows/read")
            try:
                record = samhsa.row_to_record(row, page_url=response.url)
            except samhsa.RowError as exc:
                stats.inc_value("samhsa/rows/invalid")
                self._error(state, f"{response.url}: row skipped: {exc}")
                continue
            record.fetched_at = fetched_at
            self._count_labels(row, record)
            progress["rows"] += 1
            yield record
        yield from self._next(state, page)

    def _count_labels(self, row: dict[str, Any], record: FacilityRecord) -> None:
        stats = self.crawler.stats
        total = sum(1 for _ in samhsa.row_labels(row))
        unknown = [u for u in record.unmapped if u["known"] == "no"]
        stats.inc_value("samhsa/labels/mapped", total - len(record.unmapped))
        if len(record.unmapped) > len(unknown):
            stats.inc_value("samhsa/labels/known_unmapped", len(record.unmapped) - len(unknown))
        for u in unknown:
            stats.inc_value("samhsa/labels/unknown")
            key = (u["category_code"], u["label"])
            if key not in self._unknown_labels:
                self._unknown_labels.add(key)
                self.logger.warning("SAMHSA label not in samhsa_labels.csv (kept in unmapped): %s %r", *key)

    def _next(self, state: str, page: int) -> Iterator[scrapy.Request]:
        progress = self.progress[state]
        progress["next_page"] = page + 1
        total = progress["total_pages"]
        if progress["consecutive_failures"] >= MAX_CONSECUTIVE_FAILURES:
            self._error(state, f"gave up after {MAX_CONSECUTIVE_FAILURES} failed pages in a row (page {page})")
        elif total is None or page < total:
            # Without a readable page yet, the number of pages is unknown: try the next one.
            yield self._listing_request(state, page + 1)
            return
        progress["done"] = True

    # -- failures --------------------------------------------------------------------------
    def on_error(self, failure: Failure) -> Iterator[scrapy.Request]:
        request = failure.request  # type: ignore[attr-defined]
        state, page = request.meta["samhsa_state"], request.meta["samhsa_page"]
        progress = self.progress[state]
        if progress["done"] or page < progress["next_page"]:
            return
        kind = _kind(failure)
        self._page_failed(
            state, page, f"{request.url}: {_describe(failure)}", "samhsa/pages/failed", kind=kind, request=request
        )
        if kind in NETWORK_KINDS and not any(p["pages_ok"] for p in self.progress.values()):
            self._unreachable += 1
            if self._unreachable >= MAX_UNREACHABLE:
                self._give_up_unreachable(request, kind)
                return
        yield from self._next(state, page)

    def _give_up_unreachable(self, request: scrapy.Request, kind: str) -> None:
        """The API was never reached: every state would fail the same way, slowly. Stop now."""
        host = urlsplit(request.url).netloc
        left = [s for s in self.states if not self.progress.get(s, {}).get("done")]
        why = f"the locator API at {host} is unreachable ({kind_text(kind)}); no page could be read"
        for state in left:
            progress = self.progress.setdefault(state, _new_progress())
            progress["done"] = True
            self._error(state, f"{why}: gave up on this state without asking")
        self.crawler.stats.set_value("samhsa/api_unreachable", 1)
        self.logger.error(
            "%s: giving up on all %d state(s) left after %d failed requests; nothing will be published",
            why,
            len(left),
            self._unreachable,
        )
        raise CloseSpider("api_unreachable")

    def _page_failed(
        self,
        state: str,
        page: int,
        message: str,
        stat: str,
        kind: str = "unreadable",
        request: scrapy.Request | None = None,
    ) -> None:
        progress = self.progress[state]
        progress["pages_failed"] += 1
        progress["consecutive_failures"] += 1
        self.crawler.stats.inc_value(stat)
        self.crawler.stats.inc_value("pages/failed")
        self._error(state, message)
        if progress["consecutive_failures"] >= MAX_CONSECUTIVE_FAILURES:
            next_step = f"state {state} given up ({MAX_CONSECUTIVE_FAILURES} failed pages in a row)"
        else:
            next_step = f"going on with page {page + 1} of {state}"
        url = request.url if request is not None else message.split(": ", 1)[0]
        retries = retries_text(request, kind) if request is not None else ""
        detail = message.split(": ", 1)[-1]
        # One line per failure (provdir/crawl/failures.py): host, kind, what happens next.
        self.logger.warning(
            "samhsa:%s page %d: %s",
            state,
            page,
            failure_line(urlsplit(url).netloc, kind, url, retries, next_step, detail),
        )

    def progress_counts(self) -> tuple[str, int, int]:
        """("states", done, total) for the progress line: a state is done when finished or given up."""
        done = sum(1 for s in self.states if self.progress.get(s, {}).get("done"))
        return "states", done, len(self.states)

    def _error(self, state: str, message: str) -> None:
        errors = self.progress[state]["errors"]
        if len(errors) < MAX_ERRORS_KEPT:
            errors.append(message[:500])

    def site_reports(self) -> dict[str, dict[str, Any]]:
        """Per-state results for the run manifest; a state is ``ok`` when a page could be read."""
        reports = {}
        for state in self.states:
            p = self.progress.get(state) or _new_progress()
            reports[f"samhsa:{state}"] = {
                "status": "ok" if p["pages_ok"] else "failed",
                "pages_ok": p["pages_ok"],
                "pages_failed": p["pages_failed"],
                "pages_empty": p["pages_empty"],
                "rows": p["rows"],
                "record_count": p["record_count"],
                "total_pages": p["total_pages"],
                "complete": p["done"] and not p["pages_failed"],
                "errors": p["errors"][:10],
            }
        return reports


def _page_size(value: str | int | None) -> int:
    if value is None or value == "":
        return samhsa.DEFAULT_PAGE_SIZE
    try:
        size = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"page_size must be a whole number, got {value!r}") from None
    if not 1 <= size <= samhsa.MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be between 1 and {samhsa.MAX_PAGE_SIZE}, got {size}")
    return size


def _kind(failure: Failure) -> str:
    """The failure's kind, in the website spider's words (``dns``, ``timeout``, ``http_503``...)."""
    from spiders.provider_sites import _describe as describe_site_failure

    return describe_site_failure(failure)[0]


def _describe(failure: Failure) -> str:
    if failure.check(HttpError):
        return f"HTTP {failure.value.response.status}"
    return f"{failure.type.__name__}: {failure.getErrorMessage()}"[:300]
