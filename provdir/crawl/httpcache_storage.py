"""The HTTP cache: one file per response, written off the reactor thread.

Scrapy's ``FilesystemCacheStorage`` writes a directory and seven files per response, each through
``gzip.open`` at compression level 9, in the reactor thread: 13.6% of the crawler's CPU in a
profile of a 200-site crawl (benchmarks/broad_crawl.py). Written from a background thread at
level 1, the files still cost the kernel ~1-7 ms of CPU per response on this project's ext4
disk (creating eight inodes), on a core the crawl and the servers share: 6.2 s of a 100-site
crawl's 24.7 s of CPU.

:class:`BackgroundFilesystemCacheStorage` writes each response as one file,
``HTTPCACHE_DIR/<spider>/<fp[:2]>/<fp>.entry``: the pickled ``Response.to_dict()`` with the
cache's metadata, gzipped at level 1 when ``HTTPCACHE_GZIP``, from one background thread. A lookup
of an entry still being written waits for it; closing the spider waits for every write. A file cut
short (a crash mid-write) fails its gzip or pickle check and is a cache miss, never a wrong page.
Entries in Scrapy's layout (a cache from before this format) are still read, and replaced by the
one-file entry the next time the response is stored (a 304 stores it again).
"""

from __future__ import annotations

import gzip
import logging
import os
import pickle
import shutil
import zlib
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from time import time
from typing import Any

from scrapy import Request, Spider
from scrapy.extensions.httpcache import FilesystemCacheStorage
from scrapy.http import Response
from scrapy.utils.response import response_from_dict

log = logging.getLogger(__name__)

SUFFIX = ".entry"
# What a damaged entry raises when read: it is then a miss.
_DAMAGED = (OSError, EOFError, pickle.UnpicklingError, zlib.error, KeyError, TypeError, ValueError)


class BackgroundFilesystemCacheStorage(FilesystemCacheStorage):
    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="httpcache")
        self._pending: dict[str, Future[None]] = {}
        self._made_dirs: set[Path] = set()  # touched by the writer thread only

    def close_spider(self, spider: Spider) -> None:
        self._pool.shutdown(wait=True)
        super().close_spider(spider)

    def _get_request_path(self, spider: Spider, request: Request) -> str:
        # Scrapy's path, joined as a string: building a Path costs more than the lookup itself,
        # three times per response (lookup, legacy lookup, store).
        key = self._fingerprinter.fingerprint(request).hex()
        return os.path.join(self.cachedir, spider.name, key[0:2], key)

    def retrieve_response(self, spider: Spider, request: Request) -> Response | None:
        rpath = self._get_request_path(spider, request)
        pending = self._pending.get(rpath)
        if pending is not None:
            pending.result()
        entry = rpath + SUFFIX
        try:
            mtime = os.stat(entry).st_mtime
        except FileNotFoundError:
            if not os.path.exists(os.path.join(rpath, "pickled_meta")):
                return None  # not cached (the usual miss: one look in each layout)
            return super().retrieve_response(spider, request)  # Scrapy's layout
        if 0 < self.expiration_secs < time() - mtime:
            return None
        try:
            with open(entry, "rb") as fh:
                raw = fh.read()
            stored = pickle.loads(gzip.decompress(raw) if self.use_gzip else raw)  # our own files, in OUT/httpcache
            response = response_from_dict(stored["response"])
        except _DAMAGED as exc:
            log.debug("HTTP cache entry %s unreadable (%s): fetched again", entry, exc)
            return None
        request.meta["cache_timestamp"] = stored["timestamp"]
        return response

    def store_response(self, spider: Spider, request: Request, response: Response) -> None:
        rpath = self._get_request_path(spider, request)
        # Taken in the reactor thread: the response is not touched after this call returns.
        stored = {
            "url": request.url,
            "method": request.method,
            "timestamp": time(),
            "response": response.to_dict(),
        }
        future = self._pool.submit(self._write, Path(rpath), stored)
        self._pending[rpath] = future
        future.add_done_callback(lambda done: self._done(rpath, done))

    def _write(self, rpath: Path, stored: dict[str, Any]) -> None:
        if rpath.parent not in self._made_dirs:
            rpath.parent.mkdir(parents=True, exist_ok=True)
            self._made_dirs.add(rpath.parent)
        data = pickle.dumps(stored, protocol=pickle.HIGHEST_PROTOCOL)
        with open(str(rpath) + SUFFIX, "wb") as fh:
            fh.write(gzip.compress(data, compresslevel=1) if self.use_gzip else data)
        if os.path.isdir(rpath):  # the same response in Scrapy's layout, from an older cache
            shutil.rmtree(rpath, ignore_errors=True)

    def _done(self, key: str, future: Future[None]) -> None:
        if self._pending.get(key) is future:
            self._pending.pop(key, None)
        exc = future.exception()
        if exc is not None:
            # The cache only saves bandwidth next run: a failed write loses no data.
            log.warning("HTTP cache entry %s not written: %s", key, exc)
