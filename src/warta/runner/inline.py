"""Single-machine mode: a scheduler thread polls due sources, worker threads work the queue.

Threads share nothing but the database; each closes its own DB connection when done.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import close_old_connections, connection

from warta.newsroom import stages

log = logging.getLogger("warta.runner")


@dataclass
class ProcessStats:
    steps: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, status: str) -> None:
        with self.lock:
            self.steps += 1
            self.outcomes[status] += 1


def fetch_sources(source_id: int | None = None, *, force: bool = True) -> list[stages.PollResult]:
    """Poll one source, or every enabled one (``force``) or every due one."""
    from warta.newsroom.models import Source

    if source_id is not None:
        ids = [source_id]
    elif force:
        ids = list(Source.objects.filter(enabled=True).values_list("pk", flat=True))
    else:
        ids = stages.due_sources()
    return [stages.poll_source(pk, force=force) for pk in ids]


def _work_loop(stats: ProcessStats, should_stop: Callable[[], bool], idle: _IdleTracker) -> None:
    try:
        while not should_stop():
            claimed = stages.claim_entry()
            if claimed is None:
                if idle.idle_and_done():
                    return
                time.sleep(0.2)
                continue
            idle.busy()
            try:
                stats.add(stages.advance_entry(*claimed))
            finally:
                idle.free()
    finally:
        connection.close()


class _IdleTracker:
    """``until_idle``: a worker may stop once no worker is busy and no entry is due."""

    def __init__(self, until_idle: bool) -> None:
        self.until_idle = until_idle
        self.active = 0
        self.lock = threading.Lock()

    def busy(self) -> None:
        with self.lock:
            self.active += 1

    def free(self) -> None:
        with self.lock:
            self.active -= 1

    def idle_and_done(self) -> bool:
        if not self.until_idle:
            return False
        with self.lock:
            if self.active:
                return False
        return stages.pending_entries() == 0


def process(workers: int = 2, *, until_idle: bool = True,
            stop: threading.Event | None = None) -> ProcessStats:
    """Work the entry queue with ``workers`` threads until nothing is due (or ``stop``)."""
    stages.reclaim_dead_leases()
    stats = ProcessStats()
    retranslated = stages.translate_untranslated()
    if retranslated:
        log.info("translated %d stories published while no model was installed", retranslated)
        stats.outcomes["retranslated"] += retranslated
    stop = stop or threading.Event()
    idle = _IdleTracker(until_idle)
    threads = [threading.Thread(target=_work_loop, args=(stats, stop.is_set, idle),
                                name=f"warta-worker-{i}", daemon=True)
               for i in range(max(1, workers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return stats


def schedule(stop: threading.Event, *, every: float = 10.0) -> None:
    """Poll due sources until ``stop`` is set (the scheduler thread of ``warta run``)."""
    try:
        while not stop.is_set():
            close_old_connections()
            try:
                for result in fetch_sources(force=False):
                    if result.new_entries:
                        log.info("source %s: %d new entries", result.source_id,
                                 result.new_entries)
            except Exception:  # never let the scheduler die; the error is logged
                log.exception("scheduler: polling failed")
            try:  # scheduled stories out, licence-expired stories withdrawn
                from warta.newsroom.policies import run_periodic

                run_periodic()
            except Exception:
                log.exception("scheduler: newsroom periodic step failed")
            stop.wait(every)
    finally:
        connection.close()


def start_background(workers: int, stop: threading.Event,
                     *, poll_every: float = 10.0) -> list[threading.Thread]:
    """Start the scheduler and the queue workers as daemon threads (``warta run``)."""
    threads = [threading.Thread(target=schedule, args=(stop,), kwargs={"every": poll_every},
                                name="warta-scheduler", daemon=True),
               threading.Thread(target=process, args=(workers,),
                                kwargs={"until_idle": False, "stop": stop},
                                name="warta-workers", daemon=True)]
    for t in threads:
        t.start()
    return threads
