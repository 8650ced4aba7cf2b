"""A scheduler priority queue whose cost per request does not grow with the number of hosts.

Scrapy's default, ``DownloaderAwarePriorityQueue``, keeps one priority queue per download slot
(host) and, on every ``pop``, counts the active downloads of *every* slot that has requests
queued to pick the least busy one: O(hosts) per request. With thousands of sites queued at once
(a national crawl) that scan alone cost 8% of the crawler's CPU at 2,000 sites.

:class:`HostRoundRobinQueue` keeps the same per-host priority queues (so the same on-disk layout
and resume state under ``JOBDIR``) and visits hosts in turn from a ring: ``pop`` takes the next
host that can start a download now (fewer active downloads than its concurrency, nothing
waiting in its slot, its delay elapsed), looking at most ``CONCURRENT_REQUESTS + 1`` hosts: no more
hosts than that can be busy at once, so the cost per request is bounded by the global
concurrency, not by the number of hosts. When every host looked at is busy, the least busy of
them is taken, as Scrapy's queue would. Measured by ``benchmarks/scheduler_queues.py``.
"""

from __future__ import annotations

from collections import deque
from contextlib import suppress
from pathlib import Path
from time import monotonic

from scrapy import Request
from scrapy.pqueues import DownloaderAwarePriorityQueue, _path_safe


class HostRoundRobinQueue(DownloaderAwarePriorityQueue):
    """``DownloaderAwarePriorityQueue`` with a flat-cost ``pop`` (see the module docstring)."""

    def __init__(self, crawler, downstream_queue_cls, key, slot_startprios=None, *, start_queue_cls=None) -> None:
        super().__init__(crawler, downstream_queue_cls, key, slot_startprios, start_queue_cls=start_queue_cls)
        # Hosts with requests, in visiting order. An entry may be stale (its queue emptied while
        # it was elsewhere in the ring): it is dropped when reached. ``_ringed`` avoids twins.
        self._ring: deque[str] = deque(self.pqueues)
        self._ringed: set[str] = set(self.pqueues)
        self._look = max(crawler.settings.getint("CONCURRENT_REQUESTS"), 1) + 1

    def push(self, request: Request) -> None:
        super().push(request)
        slot = self._downloader_interface.get_slot_key(request)
        if slot not in self._ringed:
            self._ringed.add(slot)
            self._ring.append(slot)

    def _choose(self, *, update_state: bool) -> str | None:
        slots = self._downloader_interface.downloader.slots
        best: str | None = None
        best_busy = 0
        looked = 0
        ring = self._ring
        now = monotonic()
        while ring and looked < self._look:
            slot = ring[0]
            if slot not in self.pqueues:  # stale
                ring.popleft()
                self._ringed.discard(slot)
                continue
            looked += 1
            dslot = slots.get(slot)
            busy = len(dslot.active) if dslot is not None else 0
            if dslot is None or (busy < dslot.concurrency and not dslot.queue and now - dslot.lastseen >= dslot.delay):
                if update_state:
                    ring.rotate(-1)
                return slot
            if best is None or busy < best_busy:
                best, best_busy = slot, busy
            ring.rotate(-1)
        return best

    def pop(self) -> Request | None:
        slot = self._choose(update_state=True)
        if slot is None:
            return None
        queue = self.pqueues[slot]
        request = queue.pop()
        if len(queue) == 0:
            del self.pqueues[slot]
            queue.close()
            if self.key:  # as Scrapy's: reclaim the host's folder under JOBDIR
                with suppress(OSError):
                    Path(self.key, _path_safe(slot)).rmdir()
        return request

    def peek(self) -> Request | None:
        # Looking moves the ring, but only past hosts that cannot start now, which pop would
        # pass over as well.
        slot = self._choose(update_state=False)
        return self.pqueues[slot].peek() if slot is not None else None
