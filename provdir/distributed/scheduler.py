"""scrapy-redis scheduler and queue for the crawl; requests stored as JSON, not pickle."""

from __future__ import annotations

import base64
import json
import logging
import secrets
from typing import Any

from scrapy import Request, Spider
from scrapy.utils.misc import load_object
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

log = logging.getLogger(__name__)


class RedisScheduler(Scheduler):
    """scrapy-redis's ``Scheduler`` (frontier and duplicate filter in Redis), without the
    ``spider`` argument to stats calls and the ``Spider.log()`` that Scrapy 2.19 deprecates. Same
    behaviour otherwise."""

    def open(self, spider: Spider) -> None:
        self.spider = spider
        self.queue = load_object(self.queue_cls)(
            server=self.server, spider=spider, key=self.queue_key % {"spider": spider.name}, serializer=self.serializer
        )
        if not self.df:
            self.df = load_object(self.dupefilter_cls).from_spider(spider)
        if self.flush_on_start:
            self.flush()
        if pending := len(self.queue):
            spider.logger.info("joining a crawl in progress: %d requests in the shared frontier", pending)

    def enqueue_request(self, request: Request) -> bool:
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(request)
        return True

    def next_request(self) -> Request | None:
        request = self.queue.pop(self.idle_before_close)
        if request and self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request


class SpreadPriorityQueue(PriorityQueue):
    """scrapy-redis's priority queue (a Redis sorted set scored by ``-priority``), with requests
    of equal priority in random order rather than in the order of their serialized bytes.

    Redis orders members of equal score by their bytes, which start with the URL: a worker would
    pop one host's pages in a row and, held to two requests at a time per host (and its delay),
    sit on them while other hosts wait. A random 8-byte prefix spreads each worker's batch over
    many hosts.
    """

    _SPREAD = 8

    def _encode_request(self, request: Request) -> bytes:
        return secrets.token_hex(self._SPREAD // 2).encode() + super()._encode_request(request)

    def _decode_request(self, encoded_request: bytes) -> Request:
        return super()._decode_request(encoded_request[self._SPREAD :])


# -- requests in Redis as JSON ---------------------------------------------------------------
class RequestJSON:
    """scrapy-redis serializer (``SCHEDULER_SERIALIZER``): requests as JSON, not pickle.

    scrapy-redis pickles requests by default, so anyone able to write into the crawl's Redis
    keys could run code on every worker. JSON carries the same request dictionary
    (``Request.to_dict``); bytes (body, headers) are tagged and base64-encoded.
    """

    @staticmethod
    def dumps(obj: Any) -> bytes:
        return json.dumps(_encode(obj), separators=(",", ":")).encode()

    @staticmethod
    def loads(data: bytes | str) -> Any:
        return _decode(json.loads(data))


def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"__bytes__": base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        return {"__dict__": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"cannot store {type(value).__name__} in a request in Redis: {value!r}"[:200])


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "__bytes__" in value:
            return base64.b64decode(value["__bytes__"])
        return {_decode(k): _decode(v) for k, v in value["__dict__"]}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


# -- per-host politeness across workers ------------------------------------------------------
