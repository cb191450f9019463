"""Distributed mode: the pipeline stages as Celery tasks on a broker (Redis or RabbitMQ).

The same stage functions as the inline runner (``warta.newsroom.stages``); only who calls
them differs. The rules that keep it crash-safe under load:

- a task carries ids only; the database status is the truth. A task first *claims* its
  entry (a lease, compare-and-set; ``FOR UPDATE SKIP LOCKED`` on PostgreSQL); a duplicate,
  late or stale task finds nothing claimable and does nothing;
- one queue per stage (``fetch``, ``extract``, ``translate``, ``publish``), chosen by the
  entry's status when the task is sent, so a translate worker on a GPU box only translates;
- ``acks_late`` + ``task_reject_on_worker_lost``: a message is acknowledged after its task
  ran, and a killed worker's messages go back to the queue; ``worker_prefetch_multiplier=1``
  so a worker holds no more than it works on; the Redis visibility timeout is well above
  the lease, so a slow task is not delivered twice while it still holds its lease;
- after a successful step the next stage is sent at once (the fast path). Whatever is lost
  on the way (a worker killed between steps, a broker restarted without its queues, an
  error retried after back-off) is found again by the *sweeper* of ``warta beat``: it
  sends every entry that is due (status + ``next_attempt_at``) and not leased (or whose
  lease expired), and polls due sources. Nothing can stay stuck, and nothing runs twice,
  because every send is only a hint to claim.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import timedelta
from typing import Any

from celery import Celery, Task, signals
from django.db import InterfaceError, OperationalError, close_old_connections, connections
from django.db.models import Q
from django.utils import timezone

from warta.core.errors import ConfigError
from warta.newsroom import stages
from warta.newsroom.models import Entry

log = logging.getLogger("warta.runner")
S = Entry.Status
QUEUES = ("fetch", "extract", "translate", "publish")
QUEUE_FOR_STATUS: dict[str, str] = {S.NEW: "fetch", S.FETCHED: "extract",
                                    S.EXTRACTED: "translate", S.TRANSLATED: "publish"}
TRANSIENT = (OperationalError, InterfaceError)  # the database went away: retry the task
TRANSLATE_BATCH_CHARS = 20_000  # ≈ 5,000 tokens of English per shared engine pass
TRANSLATE_BATCH_MAX = 16
# Celery's Django fix-up closes every database connection before and after each task unless
# CELERY_DB_REUSE_MAX is set: on PostgreSQL that is a new server process per task (fork,
# authentication, a cold catalogue cache), some 40 of the 68 ms of CPU the server spent per
# entry (bench/bench_scale.py). Warta turns that off and closes connections as Django does
# between requests (:func:`_close_old_connections`).
DB_REUSE_MAX = 2**31

app = Celery("warta")


def configure(cfg: Any) -> Celery:
    """Configure :data:`app` from warta's config (``broker_url``, ``pipeline.*``).
    Raises ConfigError when no broker is configured."""
    broker = cfg["broker_url"]
    if not broker:
        raise ConfigError("broker_url", "Celery workers need a broker: set WARTA_BROKER_URL "
                          "(redis://HOST:6379/0 or amqp://USER:PASS@HOST:5672/VHOST)")
    lease = int(cfg["pipeline.lease_seconds"])
    app.conf.update(
        broker_url=broker,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,  # a broker restart is waited out, not fatal
        # Redis: a delivered, unacknowledged message comes back only after this long; it
        # must exceed the longest task (bounded by the lease) or a slow task runs twice.
        broker_transport_options={"visibility_timeout": max(3600, 4 * lease)},
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_default_queue="fetch",
        task_create_missing_queues=True,
        task_publish_retry=True,
        task_publish_retry_policy={"max_retries": 3, "interval_start": 0.2,
                                   "interval_step": 0.5, "interval_max": 2},
        worker_hijack_root_logger=False,
        worker_cancel_long_running_tasks_on_connection_loss=True,
        timezone="UTC",
        CELERY_DB_REUSE_MAX=DB_REUSE_MAX,
    )
    return app


@signals.task_prerun.connect(dispatch_uid="warta-close-old-connections-prerun")
@signals.task_postrun.connect(dispatch_uid="warta-close-old-connections-postrun")
def _close_old_connections(sender: Task | None = None, **_: Any) -> None:
    """Around each task, as around each web request: close a connection that is broken or
    older than ``database.conn_max_age`` (0: every time), keep the others for the next
    task. Not for eager tasks (tests), which run inside the caller's transaction."""
    if sender is not None and getattr(sender.request, "is_eager", False):
        return
    close_old_connections()


_RETRY = {"autoretry_for": TRANSIENT, "retry_backoff": 2, "retry_backoff_max": 300,
          "retry_jitter": True, "max_retries": 8, "acks_late": True,
          "reject_on_worker_lost": True}


# ---------------------------------------------------------------- tasks

@app.task(name="warta.poll_source", **_RETRY)
def poll_source_task(source_id: int) -> int:
    """Poll one source if it is (still) due, then send its new entries to ``fetch``."""
    result = stages.poll_source(source_id)
    if result.new_entries:
        for pk, status in _due_entries(Q(source_id=source_id, status=S.NEW), limit=10_000):
            send_entry(pk, status)
    return result.new_entries


@app.task(name="warta.advance_entry", bind=True, **_RETRY)
def advance_entry_task(self: Task, entry_id: int, status: str) -> str:
    """Run the one stage ``status`` calls for on the entry, if it is still in that status,
    due and not leased; then send the next stage. ``status`` routes the message: a task
    finding the entry elsewhere (a stale message) leaves it to the task for its status."""
    if status == S.EXTRACTED:
        return _translate_batch(entry_id)
    claimed = stages.claim_entries(1, ids=[entry_id], statuses=[status])
    if not claimed:
        return "skipped"
    new_status = stages.advance_entry(*claimed[0])
    _after_step(entry_id, new_status)
    return new_status


def _translate_batch(entry_id: int) -> str:
    """Claim this entry and, up to a token budget, other extracted ones waiting, and
    translate them in shared engine batches (``stages.translate_entries``)."""
    from warta.newsroom.models import Article

    claims = stages.claim_entries(1, ids=[entry_id], statuses=[S.EXTRACTED])
    if not claims:
        return "skipped"
    chars = _article_chars(Article, entry_id)
    while chars < TRANSLATE_BATCH_CHARS and len(claims) < TRANSLATE_BATCH_MAX:
        more = stages.claim_entries(1, statuses=[S.EXTRACTED])
        if not more:
            break
        claims += more
        chars += _article_chars(Article, more[0][0])
    outcome = stages.translate_entries(claims)
    for pk, new_status in outcome.items():
        _after_step(pk, new_status)
    return outcome.get(entry_id, "skipped")


def _article_chars(article_model: Any, entry_id: int) -> int:
    blocks = (article_model.objects.filter(entry_id=entry_id)
              .values_list("blocks", flat=True).first()) or []
    return sum(len(b.get("text", "")) for b in blocks)


def _after_step(entry_id: int, status: str) -> None:
    """Send the entry's next stage now if it is due now; a retry after back-off is sent
    with a countdown while that is short, else left to the sweeper."""
    queue = QUEUE_FOR_STATUS.get(status)
    if queue is None:
        return
    row = Entry.objects.filter(pk=entry_id).values("next_attempt_at", "lease_until").first()
    if row is None or row["lease_until"] is not None:
        return  # another worker holds it (our lease was lost): it sends the next step
    delay = (row["next_attempt_at"] - timezone.now()).total_seconds()
    if delay <= 0:
        send_entry(entry_id, status)
    elif delay < 600:
        send_entry(entry_id, status, countdown=delay)


def send_entry(entry_id: int, status: str, *, countdown: float | None = None) -> bool:
    """Send the task for the entry's next stage to its queue. Returns False when the broker
    cannot take it (logged; the sweeper sends it again later)."""
    try:
        advance_entry_task.apply_async((entry_id, str(status)), queue=QUEUE_FOR_STATUS[status],
                                       countdown=countdown)
    except Exception as e:  # broker down: the row still says what is due
        log.warning("entry %s: could not queue %s: %s", entry_id, status, e)
        return False
    return True


def send_poll(source_id: int) -> bool:
    try:
        poll_source_task.apply_async((source_id,), queue="fetch")
    except Exception as e:
        log.warning("source %s: could not queue a poll: %s", source_id, e)
        return False
    return True


# ---------------------------------------------------------------- the sweeper (beat)

def _due_entries(extra: Q | None = None, *, older_than: float = 0.0,
                 limit: int = 5000) -> list[tuple[int, str]]:
    """Entries with work due (``older_than`` seconds ago at least), not leased or with an
    expired lease: what the sweeper sends."""
    now = timezone.now()
    q = (Q(status__in=stages.WORKABLE, next_attempt_at__lte=now - timedelta(seconds=older_than))
         & (Q(lease_until__isnull=True) | Q(lease_until__lt=now)))
    if extra is not None:
        q &= extra
    return list(Entry.objects.filter(q).order_by("next_attempt_at", "id")
                .values_list("pk", "status")[:limit])


class Sweeper:
    """One pass every ``every`` seconds: poll due sources, send due entries. A message it
    sent is not sent again for ``resend_after`` seconds (in this process), so a backlog in
    the queues is not multiplied; an entry the fast path just advanced is left to it for
    ``resend_after`` seconds too. Duplicates that still happen are harmless (claims)."""

    def __init__(self, *, every: float, resend_after: float) -> None:
        self.every, self.resend_after = every, resend_after
        self.sent: dict[tuple[str, int], tuple[str, float]] = {}

    def _recently(self, key: tuple[str, int], status: str, now: float) -> bool:
        last = self.sent.get(key)
        return last is not None and last[0] == status and now - last[1] < self.resend_after

    def sweep(self) -> tuple[int, int]:
        """One pass. Returns (polls sent, entries sent)."""
        now = time.monotonic()
        polls = entries = 0
        for source_id in stages.due_sources():
            if not self._recently(("source", source_id), "", now) and send_poll(source_id):
                self.sent[("source", source_id)] = ("", now)
                polls += 1
        for pk, status in _due_entries(older_than=self.resend_after):
            if not self._recently(("entry", pk), status, now) and send_entry(pk, status):
                self.sent[("entry", pk)] = (status, now)
                entries += 1
        horizon = now - 2 * self.resend_after
        self.sent = {k: v for k, v in self.sent.items() if v[1] >= horizon}
        return polls, entries

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            close_old_connections()
            try:
                polls, entries = self.sweep()
                if polls or entries:
                    log.info("sweeper: %d poll(s), %d entr(y/ies) sent", polls, entries)
            except Exception:  # the database or broker is away: try again next round
                log.exception("sweeper: pass failed")
            try:  # scheduled stories out, licence-expired stories withdrawn
                from warta.newsroom.policies import run_periodic

                run_periodic()
            except Exception:
                log.exception("sweeper: newsroom periodic step failed")
            stop.wait(self.every)


# ---------------------------------------------------------------- process entry points

def check_queues(queues: list[str]) -> None:
    """Raises ConfigError naming any queue that is not one of :data:`QUEUES`."""
    unknown = sorted(set(queues) - set(QUEUES))
    if unknown or not queues:
        raise ConfigError("--queues", f"unknown queue(s) {', '.join(unknown) or '(none)'} "
                          f"(queues: {', '.join(QUEUES)})")


def start_worker(queues: list[str], concurrency: int, *, loglevel: str = "INFO") -> None:
    """Run a Celery worker (prefork pool) on ``queues`` until it is stopped. Blocks."""
    check_queues(queues)
    # the pool's processes are forked from this one: they must not share a connection, and
    # Celery's fix-up no longer closes it at start (CELERY_DB_REUSE_MAX)
    connections.close_all()
    app.worker_main([
        "worker", "--queues", ",".join(queues), "--concurrency", str(max(1, concurrency)),
        "--hostname", f"warta-{os.getpid()}@%h", "--loglevel", loglevel,
        "--without-gossip", "--without-mingle",
    ])


def run_beat(*, every: float, resend_after: float, parent: int | None = None) -> None:
    """The scheduler: sweep until SIGTERM/Ctrl-C (or, with ``parent``, until that process
    is gone: ``warta worker --beat`` starts it as a child). Blocks."""
    import signal

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    sweeper = Sweeper(every=every, resend_after=resend_after)
    if parent is not None:
        def watch() -> None:
            while not stop.wait(1.0):
                if os.getppid() != parent:
                    stop.set()
        threading.Thread(target=watch, daemon=True, name="warta-beat-parent").start()
    log.info("beat: sweeping every %.1f s", every)
    sweeper.run(stop)
