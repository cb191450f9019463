"""A small in-process job runner for work that must never hold up or fail a publish or a
page: WebSub pings and instant alerts (``push.py``), and the batched "most read" counts of
pages served from the page cache (``site/cache.py``).

One daemon thread per ``Worker`` runs jobs in order. A job is queued under a key, and a key
already waiting is not queued twice (ten stories published in a burst make one ping run,
not ten). A job that raises is logged with its traceback and the worker goes on. The
thread closes its own database connections after each job.

What a job does is recorded in the database or resent by its own retries; the queue itself
is memory only: a process killed with jobs waiting loses them (the newsletter's cron run
still sends what an alert did not, and the next publish pings the hub again). At a normal
exit delayed jobs run at once and the queue is drained for at most ``DRAIN_SECONDS``, so a
``warta process`` run that published stories still announces them.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections import deque
from collections.abc import Callable

from django.db import connections

log = logging.getLogger("warta.reader")
DRAIN_SECONDS = 30.0


class Worker:
    def __init__(self, name: str) -> None:
        self.name = name
        self._cond = threading.Condition()
        self._jobs: deque[tuple[str, Callable[[], None]]] = deque()
        self._keys: set[str] = set()
        self._busy = False
        self._thread: threading.Thread | None = None
        self._timers: dict[str, threading.Timer] = {}

    def submit(self, key: str, job: Callable[[], None], delay: float = 0.0) -> None:
        """Queue ``job`` unless a job with ``key`` is already waiting. With ``delay``
        (seconds), it is queued that much later (and only one timer per key runs)."""
        if delay > 0:
            with self._cond:
                if key in self._timers or key in self._keys:
                    return
                timer = threading.Timer(delay, self._fire, (key, job))
                timer.daemon = True
                self._timers[key] = timer
            timer.start()
            return
        with self._cond:
            if key in self._keys:
                return
            self._keys.add(key)
            self._jobs.append((key, job))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name=f"warta-{self.name}",
                                                daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def _fire(self, key: str, job: Callable[[], None]) -> None:
        with self._cond:
            self._timers.pop(key, None)
        self.submit(key, job)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._jobs:
                    self._cond.wait()
                key, job = self._jobs.popleft()
                self._keys.discard(key)
                self._busy = True
            try:
                job()
            except Exception:
                log.exception("%s: job %s failed", self.name, key)
            finally:
                connections.close_all()  # this thread's connections only
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no job is waiting, delayed or running; False if ``timeout`` passed
        first."""
        with self._cond:
            return self._cond.wait_for(
                lambda: not self._jobs and not self._busy and not self._timers, timeout)

    def drain(self) -> None:
        """At exit: run delayed jobs now, and wait (a while) for the queue to empty."""
        with self._cond:
            timers = list(self._timers.items())
        for key, timer in timers:
            timer.cancel()
            self._fire(key, timer.args[1])  # type: ignore[index]
        if not self.wait_idle(DRAIN_SECONDS):
            log.warning("%s: exiting with jobs still queued", self.name)


pings = Worker("websub")
alerts = Worker("alerts")
views_writer = Worker("views")
atexit.register(pings.drain)
atexit.register(alerts.drain)
atexit.register(views_writer.drain)
