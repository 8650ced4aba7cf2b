"""The HTTP cache's writes, off the reactor thread.

Scrapy's ``FilesystemCacheStorage`` writes seven files per response in the reactor thread, each
through ``gzip.open`` at compression level 9: 13.6% of the crawler's CPU in a profile of a
200-site crawl (benchmarks/broad_crawl.py), all of it time no page is being read.
:class:`BackgroundFilesystemCacheStorage` keeps Scrapy's layout and format (a cache written by
either is read by both) but compresses at level 1 and writes from one background thread (zlib
and file writes release the GIL). What a write needs is taken from the request and response in
the reactor thread; the metadata file, whose presence makes an entry visible, is written last,
so a crash never leaves an entry without its body. A lookup of an entry still being written
waits for it; closing the spider waits for every write.
"""

from __future__ import annotations

import functools
import gzip
import logging
import pickle
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from time import time
from typing import Any

from scrapy import Request, Spider
from scrapy.extensions.httpcache import FilesystemCacheStorage
from scrapy.http import Response
from scrapy.http.headers import Headers
from scrapy.utils.python import to_bytes
from w3lib.http import headers_dict_to_raw

log = logging.getLogger(__name__)


class BackgroundFilesystemCacheStorage(FilesystemCacheStorage):
    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        if self.use_gzip:
            self._open = functools.partial(gzip.open, compresslevel=1)  # type: ignore[assignment]
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="httpcache")
        self._pending: dict[str, Future[None]] = {}

    def close_spider(self, spider: Spider) -> None:
        self._pool.shutdown(wait=True)
        super().close_spider(spider)

    def retrieve_response(self, spider: Spider, request: Request) -> Response | None:
        pending = self._pending.get(self._get_request_path(spider, request))
        if pending is not None:
            pending.result()
        return super().retrieve_response(spider, request)

    def store_response(self, spider: Spider, request: Request, response: Response) -> None:
        rpath = self._get_request_path(spider, request)
        metadata = {
            "url": request.url,
            "method": request.method,
            "status": response.status,
            "response_url": response.url,
            "timestamp": time(),
        }
        data = {k: v for k, v in response.to_dict().items() if k not in {"url", "status", "headers", "body"}}
        files = [
            ("response_headers", _raw(response.headers)),
            ("response_body", response.body),
            ("response_data", pickle.dumps(data, protocol=4)),
            ("request_headers", _raw(request.headers)),
            ("request_body", request.body),
            ("meta", to_bytes(repr(metadata))),
            ("pickled_meta", pickle.dumps(metadata, protocol=4)),  # last: makes the entry visible
        ]
        future = self._pool.submit(self._write, Path(rpath), files)
        self._pending[rpath] = future
        future.add_done_callback(functools.partial(self._done, rpath))

    def _write(self, rpath: Path, files: list[tuple[str, bytes]]) -> None:
        rpath.mkdir(parents=True, exist_ok=True)
        for name, content in files:
            with self._open(rpath / name, "wb") as fh:
                fh.write(content)

    def _done(self, key: str, future: Future[None]) -> None:
        if self._pending.get(key) is future:
            self._pending.pop(key, None)
        exc = future.exception()
        if exc is not None:
            # The cache only saves bandwidth next run: a failed write loses no data.
            log.warning("HTTP cache entry %s not written: %s", key, exc)


def _raw(headers: Headers) -> bytes:
    return headers_dict_to_raw(headers)
