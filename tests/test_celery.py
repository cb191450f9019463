"""Distributed mode with the real parts: PostgreSQL, a real broker (Redis, RabbitMQ), two
real ``warta worker`` processes (Celery, prefork) and ``warta beat``, fed by the bundled
sample sources plus 15 generated sources served over HTTP on 127.0.0.1, translated by the
tiny real CTranslate2 model. Chaos: workers are SIGKILLed (with their pool children) at
random moments and restarted (20 times per run), and the broker is restarted once: Redis
losing its queues, RabbitMQ's application stopped and started (every connection drops).
The database must end with every entry published exactly once and no lease left behind.

Redis runs as a private ``redis-server`` started here on a free port (so restarting it
disturbs nobody); RabbitMQ is the machine's server, in a private vhost made here (its
restart is brief and always followed by ``start_app``). Under
``CI=true`` a missing service fails these tests; elsewhere it skips them.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI
from tests.support.cli import WartaEnv, free_port
from tests.support.httpserver import LocalHTTPServer
from tests.support.texts import article_paragraphs
from tests.support.tinymodel import TinyModel
from warta.demo.server import SampleServer
from warta.demo.stories import ALL_STORIES
from warta.newsroom import stages
from warta.newsroom import translation as tr
from warta.newsroom.models import Entry, Source, Translation

PG_DEFAULT = "postgres://postgres@127.0.0.1:5432/test"
GENERATED_SOURCES = 15
ENTRIES_PER_SOURCE = 4
LEASE = 10  # seconds: a killed worker's rows are free again this soon; longer than a fresh
# worker process's first task (model and language-identifier load) takes on a busy machine,
# or that task loses its lease and, five times in a row, is parked as a poisoned entry
KILLS = 20
# Article pages answer after this long (as real sites do), so the pipeline is still busy
# when the last of the KILLS lands: 73 entries, at most 4 fetches at once. (Workers killed
# every second or so spend most of that phase starting up: with 213 entries the run took
# twice as long and the kills landed just the same, on a pipeline not a tenth through.)
PAGE_LATENCY = 0.5
_LIVE: set[subprocess.Popen[bytes]] = set()


def _kill_all_live() -> None:
    for proc in list(_LIVE):
        _kill_group(proc)


atexit.register(_kill_all_live)  # even if pytest itself dies mid-test


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process and everything it started (a Celery worker's pool children)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    _LIVE.discard(proc)


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    _LIVE.add(proc)
    return proc


def _missing(service: str, why: str) -> None:
    message = f"{service} is needed for the distributed tests: {why}"
    if IN_CI:
        pytest.fail(message + " (required under CI=true)")
    pytest.skip(message)


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


# ---------------------------------------------------------------- services

@pytest.fixture
def pg_warta(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[WartaEnv]:
    """``WartaEnv`` on a fresh PostgreSQL database (dropped afterwards)."""
    base = os.environ.get("WARTA_DATABASE_URL", "")
    base = base if base.startswith("postgres") else PG_DEFAULT
    try:
        import psycopg

        psycopg.connect(base, connect_timeout=5).close()
    except Exception as e:
        _missing("PostgreSQL", f"cannot connect to {base}: {e}")
    monkeypatch.setenv("WARTA_DATABASE_URL", base)
    env = WartaEnv(tmp_path)
    env.env["WARTA_PIPELINE_LEASE_SECONDS"] = str(LEASE)
    try:
        yield env
    finally:
        env.close()


class RedisServer:
    """A private redis-server without persistence: a restart loses every queue."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = _spawn(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                            "--save", "", "--appendonly", "no", "--dir", str(self.workdir)],
                           dict(os.environ), self.workdir / "redis.log")
        deadline = time.monotonic() + 20
        while not _port_open(self.port):
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None:
            _kill_group(self.proc)
            self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture
def redis_broker(tmp_path: Path) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        _missing("Redis", "redis-server is not installed")
    server = RedisServer(tmp_path)
    try:
        server.start()
        yield server
    finally:
        server.stop()


class RabbitBroker:
    """A private vhost on the machine's RabbitMQ (guest/guest). ``restart`` stops and starts
    the RabbitMQ application (every connection drops, as in a broker restart)."""

    def __init__(self, ctl: str, vhost: str) -> None:
        self.ctl, self.vhost = ctl, vhost
        self.url = f"amqp://guest:guest@127.0.0.1:5672/{vhost}"

    def rabbitmqctl(self, *args: str) -> None:
        subprocess.run([self.ctl, *args], check=True, capture_output=True, timeout=120)

    def restart(self) -> None:
        try:
            self.rabbitmqctl("stop_app")
        finally:
            self.rabbitmqctl("start_app")  # never leave the machine's broker stopped
            self.rabbitmqctl("await_startup")


@pytest.fixture
def rabbit_broker() -> Iterator[RabbitBroker]:
    """A private vhost on the machine's RabbitMQ, deleted afterwards."""
    if not _port_open(5672):
        _missing("RabbitMQ", "nothing listens on 127.0.0.1:5672")
    ctl = shutil.which("rabbitmqctl")
    if ctl is None:
        _missing("RabbitMQ", "rabbitmqctl is not installed (needed for a private vhost)")
    assert ctl is not None
    broker = RabbitBroker(ctl, f"warta_test_{uuid.uuid4().hex[:10]}")
    try:
        broker.rabbitmqctl("add_vhost", broker.vhost)
        broker.rabbitmqctl("set_permissions", "-p", broker.vhost, "guest", ".*", ".*", ".*")
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
        _missing("RabbitMQ", f"cannot create a vhost: {e}")
    try:
        yield broker
    finally:
        subprocess.run([ctl, "delete_vhost", broker.vhost], capture_output=True, timeout=60)


# ---------------------------------------------------------------- the pipeline

def _page(title: str, n: int) -> str:
    paras = "".join(f"<p>{p}</p>" for p in article_paragraphs(n, paragraphs=5))
    return (f"<html lang='en'><head><title>{title}</title></head><body><article><h1>{title}"
            f"</h1><p>JAKARTA, Indonesia: {title} opened on Monday.</p>{paras}</article>"
            "</body></html>")


def _generated_feeds(server: LocalHTTPServer) -> list[str]:
    """``GENERATED_SOURCES`` feeds of ``ENTRIES_PER_SOURCE`` distinct stories each."""
    urls = []
    for s in range(GENERATED_SOURCES):
        items = []
        for e in range(ENTRIES_PER_SOURCE):
            title = f"Story {e} of source {s}"
            page = _page(title, s * 100 + e).encode()

            def slow(_req: Any, page: bytes = page) -> tuple[int, dict[str, str], bytes]:
                time.sleep(PAGE_LATENCY)
                return 200, {"Content-Type": "text/html; charset=utf-8"}, page

            link = server.add(f"/s{s}/a{e}", handler=slow)
            items.append(f"<item><title>{title}</title><link>{link}</link><guid>s{s}-{e}</guid>"
                         "<pubDate>Tue, 24 Nov 2026 10:00:00 +0000</pubDate></item>")
        feed = ("<?xml version='1.0'?><rss version='2.0'><channel><title>Source "
                f"{s}</title><link>{server.url('/')}</link><description>d</description>"
                f"{''.join(items)}</channel></rss>")
        urls.append(server.add(f"/s{s}/feed.xml", feed,
                               headers={"Content-Type": "application/rss+xml"}))
    return urls


def _add_sources(warta: WartaEnv, feeds: list[tuple[str, str, str]]) -> None:
    """Add sources in one process (``warta source add`` per source would take a minute)."""
    script = ("import sys, json, django; django.setup()\n"
              "from warta.newsroom.models import Source\n"
              "for name, url, lang in json.load(sys.stdin):\n"
              "    Source.objects.create(name=name, url=url, language=lang, category='Dunia')\n")
    import json

    subprocess.run([sys.executable, "-c", script], input=json.dumps(feeds), text=True,
                   env={**warta.env, "DJANGO_SETTINGS_MODULE": "warta.settings"},
                   check=True, timeout=120)


class Cluster:
    """Two ``warta worker`` processes and one ``warta beat``, all killed at the end."""

    def __init__(self, warta: WartaEnv, broker: str, logs: Path) -> None:
        self.env = {**warta.env, "WARTA_BROKER_URL": broker}
        self.logs = logs
        self.workers: list[subprocess.Popen[bytes]] = []
        self.beat: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def _worker(self) -> subprocess.Popen[bytes]:
        self.starts += 1
        return _spawn([sys.executable, "-m", "warta.cli", "worker", "--concurrency", "2"],
                      self.env, self.logs / f"worker-{self.starts}.log")

    def start(self) -> None:
        self.workers = [self._worker(), self._worker()]
        self.start_beat()

    def start_beat(self) -> None:
        self.beat = _spawn([sys.executable, "-m", "warta.cli", "beat", "--every", "0.5",
                            "--resend-after", "2"], self.env, self.logs / "beat.log")

    def kill_and_restart(self, i: int) -> None:
        _kill_group(self.workers[i])
        self.workers[i] = self._worker()

    def assert_alive(self) -> None:
        for proc in [*self.workers, self.beat]:
            assert proc is not None and proc.poll() is None, self.tail()

    def tail(self) -> str:
        return "\n".join(f"== {p.name}\n{p.read_text(errors='replace')[-3000:]}"
                         for p in sorted(self.logs.glob("*.log")))

    def stop(self) -> None:
        for proc in [*self.workers, self.beat]:
            if proc is not None:
                _kill_group(proc)


def _counts(warta: WartaEnv) -> dict[str, int]:
    return dict(warta.query("SELECT status, COUNT(*) FROM newsroom_entry GROUP BY status"))


def _prepare(warta: WartaEnv, samples: SampleServer, feeds: LocalHTTPServer,
             tiny: TinyModel) -> int:
    warta.run("init")
    warta.run("models", "install", "en-id", "--from", str(tiny.argosmodel))
    sources = [(name, url, lang) for name, url, lang, _ in samples.feed_urls()]
    sources += [(f"Source {i}", url, "en") for i, url in enumerate(_generated_feeds(feeds))]
    _add_sources(warta, sources)
    return len(ALL_STORIES) + GENERATED_SOURCES * ENTRIES_PER_SOURCE


STALL_SECONDS = 120  # no entry changed state for this long: the pipeline is stuck


def _run_with_chaos(warta: WartaEnv, cluster: Cluster, total: int, *, kills: int,
                    restart_broker: RedisServer | RabbitBroker | None, seed: int) -> int:
    """Kill a random worker every so often while entries are still moving; return how
    many kills landed while the pipeline had work left."""
    rng = random.Random(seed)
    landed = 0
    deadline = time.monotonic() + 300
    while landed < kills and time.monotonic() < deadline:
        time.sleep(rng.uniform(0.3, 1.6))
        if _counts(warta).get("published", 0) >= total:
            break
        cluster.kill_and_restart(rng.randrange(2))
        landed += 1
        if restart_broker is not None and landed == kills // 2:
            restart_broker.restart()
    # then wait for the pipeline to drain: as long as entries keep moving (a slow, loaded
    # machine is not a failure), but no longer than STALL_SECONDS without any progress, and
    # never beyond an overall cap
    seen, moved, cap = _counts(warta), time.monotonic(), time.monotonic() + 900
    while seen.get("published", 0) < total and time.monotonic() < cap:
        cluster.assert_alive()
        time.sleep(0.5)
        now_counts = _counts(warta)
        if now_counts != seen:
            seen, moved = now_counts, time.monotonic()
        elif time.monotonic() - moved > STALL_SECONDS:
            break  # stuck: _assert_exactly_once reports the counts and the logs
    return landed


def _assert_exactly_once(warta: WartaEnv, cluster: Cluster, total: int) -> None:
    counts = _counts(warta)
    assert counts == {"published": total}, (counts, cluster.tail())
    per_entry = warta.query("SELECT entry_id, COUNT(*) FROM newsroom_post GROUP BY entry_id")
    assert len(per_entry) == total and {n for _, n in per_entry} == {1}
    assert warta.query("SELECT COUNT(*) FROM newsroom_post")[0][0] == total
    assert warta.query("SELECT COUNT(*) FROM newsroom_article")[0][0] == total
    assert warta.query("SELECT COUNT(*) FROM newsroom_translation WHERE status = 'done'"
                       )[0][0] == total
    # nothing stuck: no entry holds a lease, and no entry was stored twice
    assert warta.query("SELECT COUNT(*) FROM newsroom_entry WHERE lease_until IS NOT NULL"
                       )[0][0] == 0
    assert warta.query("SELECT COUNT(DISTINCT (source_id, guid)) FROM newsroom_entry"
                       )[0][0] == total


# ---------------------------------------------------------------- tests

@pytest.mark.dbmatrix
@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_never_hand_out_a_row_twice() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's; the in-memory SQLite test database is not "
                    "shared between threads (`make test` runs this on PostgreSQL)")
    source = Source.objects.create(name="S", url="http://127.0.0.1:9/feed.xml")
    Entry.objects.bulk_create(Entry(source=source, guid=f"g{i}", url=f"http://x/{i}",
                                    title=f"t{i}") for i in range(60))
    taken: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def claimer() -> None:
        try:
            while claims := stages.claim_entries(3):
                with lock:
                    taken.extend(pk for pk, _ in claims)
        except BaseException as e:
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=claimer) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(taken) == 60 and len(set(taken)) == 60
    assert stages.claim_entries(5) == []


@pytest.mark.dbmatrix
@pytest.mark.django_db
def test_claim_entries_filters_by_ids_and_status() -> None:
    source = Source.objects.create(name="S", url="http://127.0.0.1:9/feed.xml")
    new, fetched, done = (Entry.objects.create(source=source, guid=g, url="http://x/" + g,
                                               status=st)
                          for g, st in (("a", "new"), ("b", "fetched"), ("c", "published")))
    assert stages.claim_entries(5, ids=[done.pk]) == []
    assert [pk for pk, _ in stages.claim_entries(5, statuses=["fetched"])] == [fetched.pk]
    assert stages.claim_entries(5, ids=[new.pk], statuses=["fetched"]) == []
    (pk, lease), = stages.claim_entries(5, ids=[new.pk, fetched.pk])
    assert pk == new.pk
    stages.release_entry(pk, lease)
    assert [p for p, _ in stages.claim_entries(5)] == [new.pk]


@pytest.mark.dbmatrix
@pytest.mark.django_db
def test_an_entry_that_keeps_killing_its_worker_is_parked_as_failed() -> None:
    from datetime import timedelta

    from django.utils import timezone

    source = Source.objects.create(name="S", url="http://127.0.0.1:9/feed.xml")
    entry = Entry.objects.create(source=source, guid="poison", url="http://x/poison",
                                 status="fetched")
    for attempt in range(1, stages.LOST_LEASE_LIMIT + 1):
        assert [pk for pk, _ in stages.claim_entries(1)] == [entry.pk]
        # the worker dies mid-stage: its lease simply runs out
        Entry.objects.filter(pk=entry.pk).update(
            lease_until=timezone.now() - timedelta(seconds=1))
        entry.refresh_from_db()
        assert entry.error_count == attempt - 1
    assert stages.claim_entries(1) == []
    entry.refresh_from_db()
    assert entry.status == "failed" and entry.lease_until is None
    assert entry.error_count == stages.LOST_LEASE_LIMIT and "parked" in entry.error


@pytest.mark.dbmatrix
@pytest.mark.django_db
def test_translate_entries_sends_several_articles_in_one_engine_batch(
        http_server: LocalHTTPServer, warta_cfg: dict[str, Any], tiny: TinyModel,
        monkeypatch: pytest.MonkeyPatch) -> None:
    feeds = _generated_feeds(http_server)[:2]
    for url in feeds:
        source = Source.objects.create(name=url, url=url)
        stages.poll_source(source.pk, force=True)
    while claims := stages.claim_entries(10, statuses=["new", "fetched"]):
        for claim in claims:
            stages.advance_entry(*claim)
    assert Entry.objects.filter(status="extracted").count() == 2 * ENTRIES_PER_SOURCE
    calls: list[int] = []
    real = tr.configured_translator

    def counting(source: str, target: str, **kw: Any) -> Any:
        translator = real(source, target, **kw)
        inner = translator.translate_batch

        def translate_batch(texts: list[str], src: str, tgt: str) -> list[str]:
            calls.append(len(texts))
            return inner(texts, src, tgt)

        translator.translate_batch = translate_batch
        return translator

    monkeypatch.setattr(tr, "configured_translator", counting)
    claims = stages.claim_entries(100, statuses=["extracted"])
    outcome = stages.translate_entries(claims)
    assert set(outcome.values()) == {"translated"} and len(outcome) == 2 * ENTRIES_PER_SOURCE
    assert len(calls) == 1 and calls[0] > 2 * ENTRIES_PER_SOURCE  # one pass, all documents
    for row in Translation.objects.select_related("article"):
        alone = tr.translate_article(stages.article_document(row.article), "en", "id")
        assert row.title == alone.doc.title == tiny.reference_translate(
            row.article.title).strip()
        assert row.blocks == stages._translation_fields(alone)["blocks"]  # as stored
    # a second run (a duplicate task) changes nothing
    assert stages.claim_entries(100, statuses=["extracted"]) == []


def test_worker_without_broker_is_a_clear_error(tmp_path: Path) -> None:
    warta = WartaEnv(tmp_path)
    proc = warta.run("worker", check=False, WARTA_BROKER_URL="")
    assert proc.returncode == 1
    assert proc.stderr.startswith("warta: error: config broker_url:"), proc.stderr
    assert "WARTA_BROKER_URL" in proc.stderr


def test_a_worker_keeps_its_database_connection_from_task_to_task(
        pg_warta: WartaEnv, redis_broker: RedisServer, http_server: LocalHTTPServer,
        tiny: TinyModel, tmp_path: Path) -> None:
    """A worker process reuses its PostgreSQL connection for the next task (as a web
    process does between requests) until ``database.conn_max_age``: a new server process
    per task cost PostgreSQL ~95 ms of CPU per entry (docs/BENCHMARKS.md "Scale-out")."""
    pg_warta.run("init")
    pg_warta.run("models", "install", "en-id", "--from", str(tiny.argosmodel))
    feeds = _generated_feeds(http_server)[:2]
    _add_sources(pg_warta, [(f"Source {i}", url, "en") for i, url in enumerate(feeds)])
    total = 2 * ENTRIES_PER_SOURCE
    cluster = Cluster(pg_warta, redis_broker.url, tmp_path)
    # the worker's connections are told apart from beat's and ours by application_name
    # (libpq reads PGAPPNAME); one pool process, so one connection when it is reused
    worker_env = {**cluster.env, "PGAPPNAME": "warta-test-worker",
                  "WARTA_DATABASE_CONN_MAX_AGE": "3600"}
    worker = _spawn([sys.executable, "-m", "warta.cli", "worker", "--concurrency", "1"],
                    worker_env, tmp_path / "worker.log")
    cluster.workers = [worker]
    try:
        cluster.start_beat()
        deadline = time.monotonic() + 240
        while _counts(pg_warta).get("published", 0) < total:
            cluster.assert_alive()
            assert time.monotonic() < deadline, (_counts(pg_warta), cluster.tail())
            time.sleep(0.5)
        tasks = (tmp_path / "worker.log").read_text(errors="replace").count("succeeded in")
        assert tasks >= 3 * total  # at least fetch, extract and publish for every entry
        backends = pg_warta.query(
            "SELECT backend_start < (SELECT MIN(created) FROM newsroom_post) "
            "FROM pg_stat_activity WHERE application_name = 'warta-test-worker' "
            f"AND datname = '{pg_warta.pg_db}'")
        # before: the connection was closed after every task, so none was left open
        assert backends == [(True,)], (backends, tasks)
    finally:
        cluster.stop()


@pytest.mark.slow
def test_two_workers_on_redis_survive_kills_and_a_broker_restart(
        pg_warta: WartaEnv, redis_broker: RedisServer, samples: SampleServer,
        http_server: LocalHTTPServer, tiny: TinyModel, tmp_path: Path) -> None:
    """20 SIGKILLs of a random worker at random moments, and the Redis broker restarted
    (losing every queued message) halfway: every entry published exactly once."""
    total = _prepare(pg_warta, samples, http_server, tiny)
    cluster = Cluster(pg_warta, redis_broker.url, tmp_path)
    try:
        cluster.start()
        landed = _run_with_chaos(pg_warta, cluster, total, kills=KILLS,
                                 restart_broker=redis_broker, seed=8)
        assert landed == KILLS, f"only {landed} kills landed before the pipeline finished"
        _assert_exactly_once(pg_warta, cluster, total)
    finally:
        cluster.stop()


@pytest.mark.slow
def test_two_workers_on_rabbitmq_survive_kills_and_a_broker_restart(
        pg_warta: WartaEnv, rabbit_broker: RabbitBroker, samples: SampleServer,
        http_server: LocalHTTPServer, tiny: TinyModel, tmp_path: Path) -> None:
    """The same chaos with RabbitMQ: 20 kills, and the broker application restarted."""
    total = _prepare(pg_warta, samples, http_server, tiny)
    cluster = Cluster(pg_warta, rabbit_broker.url, tmp_path)
    try:
        cluster.start()
        landed = _run_with_chaos(pg_warta, cluster, total, kills=KILLS,
                                 restart_broker=rabbit_broker, seed=9)
        assert landed == KILLS, f"only {landed} kills landed before the pipeline finished"
        _assert_exactly_once(pg_warta, cluster, total)
    finally:
        cluster.stop()
