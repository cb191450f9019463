"""waitress's queue warnings (``warta run``, ``warta demo`` and ``warta serve --server
waitress``) are summarised, not repeated once per waiting request."""

from __future__ import annotations

import logging

import pytest
from waitress.task import ThreadedTaskDispatcher

from warta.cli import QueueDepthSummary


class _Task:
    cancelled = 0

    def service(self) -> None:  # pragma: no cover - no thread ever runs it here
        raise AssertionError("no worker thread was started")

    def cancel(self) -> None:
        _Task.cancelled += 1

    def defer(self) -> None:
        pass


def test_waitress_queue_warnings_are_summarised(caplog: pytest.LogCaptureFixture) -> None:
    clock = [100.0]
    summary = QueueDepthSummary(every=60, clock=lambda: clock[0], threads=4)
    queue_logger = logging.getLogger("waitress.queue")
    queue_logger.addFilter(summary)
    # waitress's own dispatcher with no thread free: every request it queues is a warning
    dispatcher = ThreadedTaskDispatcher()
    try:
        with caplog.at_level(logging.WARNING, logger="waitress.queue"):
            for _ in range(50):
                dispatcher.add_task(_Task())
            clock[0] += 30
            dispatcher.add_task(_Task())  # still within the minute: nothing
            clock[0] += 31
            dispatcher.add_task(_Task())
            queue_logger.warning("something else")  # not a queue warning: passes
    finally:
        queue_logger.removeFilter(summary)
        dispatcher.shutdown(cancel_pending=True, timeout=1)
    lines = [r.getMessage() for r in caplog.records if r.name == "waitress.queue"]
    assert lines == [
        "1 request(s) waited for one of the 4 threads so far (deepest queue 1); "
        "`warta serve` (granian, a process per core) serves more at once",
        "51 request(s) waited for one of the 4 threads in the last 61 s (deepest queue 52); "
        "`warta serve` (granian, a process per core) serves more at once",
        "something else",
    ]
    assert _Task.cancelled == 52
