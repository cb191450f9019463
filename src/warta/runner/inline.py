"""Single-machine mode: a scheduler thread polls due sources, worker threads work the queue.

Threads share nothing but the database; each closes its own DB connection when done. A
poll round of many sources downloads and parses in worker processes (``fetch.workers``)
that never touch the database; this process stays its one writer.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.context
import os
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
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
    """Poll one source, or every enabled one (``force``) or every due one; one result per
    source, in id order.

    Sources are claimed a few at a time (one statement) and what their downloads bring is
    stored a few sources per transaction (``finish_polls``: one commit for the batch, a
    savepoint per source). With ``fetch.workers`` above 1 (or 0: one per core), a round of
    ``PARALLEL_FROM`` sources or more downloads and parses in that many processes
    (:func:`_poll_in_parallel`) while this one claims sources and stores what they bring:
    one writer, the same steps and guarantees as one poll after another."""
    from warta.newsroom.models import Source

    if source_id is not None:
        return [stages.poll_source(source_id, force=force)]
    if force:
        ids = list(Source.objects.filter(enabled=True).values_list("pk", flat=True))
    else:
        ids = stages.due_sources()
    workers = fetch_workers(settings.WARTA["fetch.workers"])
    if workers < 2 or len(ids) < PARALLEL_FROM:
        return _poll_in_turn(ids, force=force)
    return _poll_in_parallel(ids, force=force, workers=workers)


PARALLEL_FROM = 8  # fewer sources: starting worker processes costs more than it saves
# sources claimed by one statement, one poll after another: their leases wait for the
# downloads before them (at most this many fetch timeouts, well inside the lease)
IN_TURN_CHUNK = 8
CLAIMED_PER_WORKER = 4  # a parallel round's claimed sources not yet downloaded, per process
STORE_BATCH = 16  # finished downloads stored in one transaction, at most
STORE_WAIT = 1.0  # seconds a finished download waits for its batch, at most


def _poll_in_turn(ids: list[int], *, force: bool) -> list[stages.PollResult]:
    """One poll after another in this process: ``IN_TURN_CHUNK`` sources claimed in one
    statement, downloaded one by one and stored together in one transaction; sooner where
    the first of them has waited ``STORE_WAIT`` seconds when the next download would start
    (a finished download waits at most that and one more download: slow feeds do not hold
    back the stories of the feeds before them). An unexpected exception in a download (a
    bug) is raised once the downloads before it are stored."""
    from warta.core.download import download_feed
    from warta.newsroom.stages.sources import download_args, finish_polls, start_polls

    results: dict[int, stages.PollResult] = {}

    def store(done: list[Any]) -> None:
        results.update((r.source_id, r) for r in finish_polls(done))
        done.clear()

    for at in range(0, len(ids), IN_TURN_CHUNK):
        chunk = ids[at:at + IN_TURN_CHUNK]
        done: list[Any] = []
        since = 0.0
        for pk, started in zip(chunk, start_polls(chunk, force=force), strict=True):
            if isinstance(started, stages.PollResult):  # not claimed, or a drop folder
                results[pk] = started
                continue
            lease, source = started
            if done and time.monotonic() - since >= STORE_WAIT:
                store(done)
            try:
                download = download_feed(*download_args(source))
            except Exception:
                store(done)
                raise
            if not done:
                since = time.monotonic()
            done.append((source, lease, download))
        store(done)
    return [results[pk] for pk in ids]


def fetch_workers(setting: int) -> int:
    """Download processes for ``fetch.workers``: 0 is one per CPU core (at most 8)."""
    return setting if setting > 0 else min(8, os.cpu_count() or 1)


def _poll_in_parallel(ids: list[int], *, force: bool, workers: int) -> list[stages.PollResult]:
    """The poll round with downloads (fetch + decode + parse, ``sources.download_feed``)
    in ``workers`` processes. This process claims each source, hands its download out and
    stores the outcome (``finish_polls``): the database has one writer, as before.

    Politeness holds across the processes: at most ``fetch.per_host`` downloads from one
    host run at once (where it is below ``workers``, a claimed source whose host is busy
    waits here for a free slot; else the pool's own size keeps the limit), and
    each download still honours the conditional GET, size caps and redirects of
    ``fetch_url``; errors and Retry-After are recorded per source by ``finish_poll``.
    Sources are claimed as slots come free, a chunk per statement (at most
    ``CLAIMED_PER_WORKER * workers`` claimed and not downloaded), so none waits long under
    its lease. Finished downloads are stored ``STORE_BATCH`` at a time, or once the first
    of them has waited ``STORE_WAIT`` seconds, or when no download is out. An unexpected
    exception in a download is raised here, once the other finished downloads are stored,
    as the poll one after another would raise it."""
    from warta.core.download import download_feed
    from warta.newsroom.stages.sources import download_args, finish_polls, start_polls

    per_host = int(settings.WARTA["fetch.per_host"])
    # the pool runs at most ``workers`` downloads at once: with per_host at or above that,
    # the limit holds by itself and one host's downloads may wait in the pool's queue (the
    # processes then never idle while this one stores)
    if per_host >= workers:
        per_host = 0
    results: dict[int, stages.PollResult] = {}
    waiting = deque(ids)
    claimed: deque[tuple[datetime, Any, str]] = deque()  # (lease, source, host), in id order
    out: dict[Future[Any], tuple[datetime, Any, str]] = {}
    busy: Counter[str] = Counter()
    ready: list[tuple[tuple[datetime, Any, str], Future[Any]]] = []  # finished, not stored
    ready_since = 0.0
    limit = CLAIMED_PER_WORKER * workers

    def hand_out() -> None:
        """Claim sources, a chunk per statement, once half of the ``CLAIMED_PER_WORKER *
        workers`` claimed-and-unfinished sources a round may hold are left; submit the
        downloads whose host has room."""
        while waiting and len(claimed) + len(out) <= limit // 2:
            room = limit - len(claimed) - len(out)
            chunk = [waiting.popleft() for _ in range(min(room, len(waiting)))]
            for pk, started in zip(chunk, start_polls(chunk, force=force), strict=True):
                if isinstance(started, stages.PollResult):  # not claimed, or a drop folder
                    results[pk] = started
                else:
                    lease, source = started
                    claimed.append((lease, source,
                                    (urlsplit(source.url).hostname or "").lower()))
        for item in list(claimed):
            if per_host > 0 and busy[item[2]] >= per_host:
                continue
            claimed.remove(item)
            busy[item[2]] += 1
            out[pool.submit(download_feed, *download_args(item[1]))] = item

    def store() -> None:
        """The finished downloads in one transaction (``finish_polls``); an unexpected
        exception of a download is raised once the others are stored."""
        failure: BaseException | None = None
        polls = []
        for (lease, source, _host), future in ready:
            error = future.exception()
            if error is None:
                polls.append((source, lease, future.result()))
            elif failure is None:
                failure = error
        ready.clear()
        results.update((r.source_id, r) for r in finish_polls(polls))
        if failure is not None:
            raise failure

    pool = ProcessPoolExecutor(workers, mp_context=_process_context())
    try:
        hand_out()
        while out or ready:
            timeout = max(0.0, ready_since + STORE_WAIT - time.monotonic()) if ready else None
            done, _pending = wait(out, timeout=timeout, return_when=FIRST_COMPLETED)
            for future in done:
                item = out.pop(future)
                busy[item[2]] -= 1
                if not ready:
                    ready_since = time.monotonic()
                ready.append((item, future))
            hand_out()  # the next downloads start before these are stored
            if ready and (len(ready) >= STORE_BATCH or not out
                          or time.monotonic() - ready_since >= STORE_WAIT):
                store()
                hand_out()  # a round of drop folders or unclaimed sources leaves nothing out
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return [results[pk] for pk in ids]


def _process_context() -> multiprocessing.context.BaseContext:
    """fork where it is safe (this process runs no other thread, so nothing can hold a lock
    at the fork, and the modules are loaded already: ``warta fetch``); else forkserver
    (``warta run``: its scheduler runs beside other threads) with the download module
    loaded once in the server, so the workers of later rounds start as cheap forks."""
    methods = multiprocessing.get_all_start_methods()
    if threading.active_count() == 1 and "fork" in methods:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["warta.core.download"])
        return context
    return multiprocessing.get_context("spawn")


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
