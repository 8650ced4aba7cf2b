"""The HTTP cache's storage: one file per response, written off the reactor thread, read back as
the same response; an older cache in Scrapy's layout still read; a damaged entry is a miss."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from scrapy.extensions.httpcache import FilesystemCacheStorage
from scrapy.http import HtmlResponse, Request, TextResponse
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from provdir.crawl.httpcache_storage import SUFFIX, BackgroundFilesystemCacheStorage

BODY = b"<html><body><footer>Call (417) 201-0001</footer></body></html>" * 50


def _storage(tmp_path: Path, cls: type = BackgroundFilesystemCacheStorage, **extra):
    values = {"HTTPCACHE_DIR": str(tmp_path), "HTTPCACHE_GZIP": True, **extra}
    spider = get_crawler(settings_dict=values)._create_spider("provider_sites")
    storage = cls(Settings(values))
    storage.open_spider(spider)
    return storage, spider


def _page(url: str = "http://127.0.0.1:1/contact/") -> tuple[Request, HtmlResponse]:
    request = Request(url)
    response = HtmlResponse(url, status=200, body=BODY, headers={"ETag": '"abc"'}, request=request)
    return request, response


def test_a_stored_response_is_one_file_and_reads_back_whole(tmp_path):
    storage, spider = _storage(tmp_path)
    request, response = _page()
    storage.store_response(spider, request, response)
    # Read while the write may still be in flight: the lookup waits for it.
    again = storage.retrieve_response(spider, Request(request.url))
    storage.close_spider(spider)
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) == 1 and files[0].name.endswith(SUFFIX), files
    assert isinstance(again, HtmlResponse)
    assert again.body == BODY and again.status == 200 and again.url == request.url
    assert again.headers.get("ETag") == b'"abc"'
    assert again.encoding == response.encoding


def test_timestamp_and_misses(tmp_path):
    storage, spider = _storage(tmp_path)
    request, response = _page()
    before = time.time()
    storage.store_response(spider, request, response)
    storage.close_spider(spider)
    reader, spider = _storage(tmp_path)
    asked = Request(request.url)
    assert reader.retrieve_response(spider, asked) is not None
    assert before <= asked.meta["cache_timestamp"] <= time.time()
    assert reader.retrieve_response(spider, Request("http://127.0.0.1:1/other/")) is None


def test_an_expired_entry_is_a_miss(tmp_path):
    storage, spider = _storage(tmp_path)
    request, response = _page()
    storage.store_response(spider, request, response)
    storage.close_spider(spider)
    (entry,) = tmp_path.rglob("*" + SUFFIX)
    old = time.time() - 7200
    os.utime(entry, (old, old))
    reader, spider = _storage(tmp_path, HTTPCACHE_EXPIRATION_SECS=3600)
    assert reader.retrieve_response(spider, Request(request.url)) is None
    forever, spider = _storage(tmp_path)  # 0: never expires (Scrapy's default)
    assert forever.retrieve_response(spider, Request(request.url)) is not None


@pytest.mark.parametrize("damage", ["cut", "empty", "garbage"])
def test_a_damaged_entry_is_a_miss_not_a_wrong_page(tmp_path, damage):
    storage, spider = _storage(tmp_path)
    request, response = _page()
    storage.store_response(spider, request, response)
    storage.close_spider(spider)
    (entry,) = tmp_path.rglob("*" + SUFFIX)
    data = entry.read_bytes()
    entry.write_bytes({"cut": data[: len(data) // 2], "empty": b"", "garbage": b"\x1f\x8bnot gzip"}[damage])
    reader, spider = _storage(tmp_path)
    assert reader.retrieve_response(spider, Request(request.url)) is None


def test_without_gzip_the_entry_is_plain_and_still_reads_back(tmp_path):
    storage, spider = _storage(tmp_path, HTTPCACHE_GZIP=False)
    request, response = _page()
    storage.store_response(spider, request, response)
    storage.close_spider(spider)
    (entry,) = tmp_path.rglob("*" + SUFFIX)
    assert not entry.read_bytes().startswith(b"\x1f\x8b")
    reader, spider = _storage(tmp_path, HTTPCACHE_GZIP=False)
    assert reader.retrieve_response(spider, Request(request.url)).body == BODY


def test_a_cache_in_scrapys_layout_is_read_and_replaced_when_stored_again(tmp_path):
    old, spider = _storage(tmp_path, FilesystemCacheStorage)
    request, response = _page()
    old.store_response(spider, request, response)
    json_request = Request("http://127.0.0.1:1/data.json")
    old.store_response(spider, json_request, TextResponse(json_request.url, body=b'{"a": 1}', encoding="utf-8"))
    old_dir = Path(old._get_request_path(spider, request))
    assert (old_dir / "pickled_meta").is_file()

    storage, spider = _storage(tmp_path)
    cached = storage.retrieve_response(spider, Request(request.url))
    assert isinstance(cached, HtmlResponse) and cached.body == BODY
    assert cached.headers.get("ETag") == b'"abc"'
    # A revalidated (304) page is stored again: it moves to the one-file entry.
    storage.store_response(spider, request, cached)
    storage.close_spider(spider)
    assert not old_dir.exists()
    assert Path(str(old_dir) + SUFFIX).is_file()
    reader, spider = _storage(tmp_path)
    assert reader.retrieve_response(spider, Request(request.url)).body == BODY
    assert reader.retrieve_response(spider, Request(json_request.url)).body == b'{"a": 1}'  # untouched
