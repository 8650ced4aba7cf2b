"""Scheduler cost per request against the number of hosts queued: Scrapy's queues and ours.

    python benchmarks/scheduler_queues.py [--hosts 100,1000,3000,9000] [--per-host 20]

Each host gets ``--per-host`` requests pushed (all hosts queued at once, as when a national
crawl's seeds and their first links are in), then ``--pops`` requests are popped while a simulated
downloader keeps ``CONCURRENT_REQUESTS`` of them active (the oldest finishes as each new one
starts; two at most per host). Printed: microseconds per push and per pop, per queue class. A
flat column is what a crawl of 9,000 hosts needs.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import deque
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scrapy import Request  # noqa: E402
from scrapy.core.downloader import Slot  # noqa: E402
from scrapy.squeues import LifoMemoryQueue  # noqa: E402
from scrapy.utils.misc import load_object  # noqa: E402
from scrapy.utils.test import get_crawler  # noqa: E402

QUEUES = [
    "scrapy.pqueues.DownloaderAwarePriorityQueue",
    "scrapy.pqueues.ScrapyPriorityQueue",
    "provdir.crawl.host_queue.HostRoundRobinQueue",
]


class FakeDownloader:
    DOWNLOAD_SLOT = "download_slot"

    def __init__(self) -> None:
        self.slots: dict[str, Slot] = {}

    def get_slot_key(self, request: Request) -> str:
        return urlsplit(request.url).hostname or ""


def measure(path: str, hosts: int, per_host: int, concurrency: int, pops: int) -> tuple[float, float]:
    crawler = get_crawler(settings_dict={"CONCURRENT_REQUESTS": concurrency})
    downloader = FakeDownloader()
    crawler.engine = SimpleNamespace(downloader=downloader)
    cls = load_object(path)
    queue = cls.from_crawler(crawler, LifoMemoryQueue, "")
    requests = [Request(f"http://h{h}.example/p{p}", priority=p % 3) for p in range(per_host) for h in range(hosts)]
    start = time.perf_counter()
    for r in requests:
        queue.push(r)
    push = (time.perf_counter() - start) / len(requests)
    active: deque[tuple[Slot, Request]] = deque()
    popped = 0
    start = time.perf_counter()
    while popped < pops:
        r = queue.pop()
        if r is None:
            break
        popped += 1
        key = downloader.get_slot_key(r)
        slot = downloader.slots.get(key) or downloader.slots.setdefault(key, Slot(2, 0.0, 0))
        slot.active.add(r)
        active.append((slot, r))
        if len(active) > concurrency:
            done_slot, done = active.popleft()
            done_slot.active.discard(done)
    pop = (time.perf_counter() - start) / popped
    assert popped == min(pops, len(requests)), (path, popped, len(requests))
    return push * 1e6, pop * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", default="100,1000,3000,9000")
    parser.add_argument("--per-host", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=128)
    parser.add_argument("--pops", type=int, default=3000, help="pops timed (all hosts still queued)")
    args = parser.parse_args()
    counts = [int(x) for x in args.hosts.split(",")]
    print(f"{'queue':<46}" + "".join(f"{f'{n} hosts':>22}" for n in counts))
    print(f"{'':<46}" + "".join(f"{'push / pop (µs)':>22}" for _ in counts))
    for path in QUEUES:
        cells = []
        for n in counts:
            push, pop = measure(path, n, args.per_host, args.concurrency, args.pops)
            cells.append(f"{push:8.1f} / {pop:8.1f}")
        print(f"{path:<46}" + "".join(f"{c:>22}" for c in cells), flush=True)


if __name__ == "__main__":
    main()
