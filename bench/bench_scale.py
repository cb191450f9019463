"""Scale-out: entries from many local sources through the whole pipeline, (a) ``warta run``
on SQLite (in-process threads), (b) Celery workers (``warta worker``) on PostgreSQL + Redis
with ``warta beat``, with 1 and then 2 workers.

Translation is a stand-in of fixed cost (a LibreTranslate-compatible server on 127.0.0.1
that answers each request after ``BENCH_ENGINE_MS`` milliseconds), so what is measured is
warta's own pipeline: polling, fetching, extraction, claiming, storing, publishing and the
broker round trips. Pages answer at once from a local HTTP server.

Reported per mode: wall seconds from the first poll to the last publish, entries/minute,
p50/p95 time from an entry's creation (fetched from its feed) to its publication
(``Post.created``), and the CPU seconds the PostgreSQL server (the postmaster and all its
processes) and the broker used, also per entry. The baseline of the ratio is one Celery
worker in the same run. Every entry arrives at once (all sources are due when the run
starts), so p95 is mostly queueing: it approaches the wall time by construction.

    .venv/bin/python bench/bench_scale.py                 # 10,000 entries, 200 sources
    .venv/bin/python bench/bench_scale.py --entries 1000  # a quick look
    .venv/bin/python bench/bench_scale.py --entries 1000 --skip-sqlite --workers 1

Needs PostgreSQL on this machine (``BENCH_PG``, default
postgres://postgres@127.0.0.1:5432/test, used to create and drop a throw-away database) and
``redis-server`` on the PATH (a private one is started on a free port). The server's whole
CPU is counted: what other databases on it do at the same time is counted too, so point
``BENCH_PG`` at a server of the benchmark's own when anything else uses the machine's.
Prints a table; no assertions.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.httpserver import LocalHTTPServer  # noqa: E402
from tests.support.texts import article_paragraphs  # noqa: E402
from tests.support.translate_fakes import FakeLibreTranslate, Received, Reply  # noqa: E402

PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432/test")
ENGINE_MS = float(os.environ.get("BENCH_ENGINE_MS", "20"))
CLK = os.sysconf("SC_CLK_TCK")


class FixedCostEngine(FakeLibreTranslate):
    """LibreTranslate's wire format; each request costs ``ENGINE_MS`` of waiting (a GPU
    box's latency), whatever its size, and returns the text unchanged."""

    def handle(self, req: Received) -> Reply:
        time.sleep(ENGINE_MS / 1000)
        return super().handle(req)


def identity(text: str, source: str, target: str) -> str:
    return text


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_sources(server: LocalHTTPServer, sources: int, per_source: int) -> list[str]:
    """``sources`` RSS feeds of ``per_source`` distinct articles each (different text, so
    near-duplicate clustering keeps them apart, as it would real stories)."""
    feeds = []
    for s in range(sources):
        items = []
        for e in range(per_source):
            title = f"Council {s} approves budget item {e}"
            paras = "".join(f"<p>{p}</p>" for p in article_paragraphs(s * 100_000 + e))
            page = (f"<html lang='en'><head><title>{title}</title></head><body><article>"
                    f"<h1>{title}</h1><p>JAKARTA, Indonesia: {title} after a long debate."
                    f"</p>{paras}<blockquote><p>“We kept our promise {e},” the mayor said."
                    f"</p></blockquote></article></body></html>")
            link = server.add(f"/s{s}/a{e}", page,
                              headers={"Content-Type": "text/html; charset=utf-8"})
            items.append(f"<item><title>{title}</title><link>{link}</link>"
                         f"<guid>s{s}-{e}</guid></item>")
        feeds.append(server.add(
            f"/s{s}/feed.xml",
            "<?xml version='1.0'?><rss version='2.0'><channel><title>Source "
            f"{s}</title><link>http://example.org/</link><description>d</description>"
            + "".join(items) + "</channel></rss>",
            headers={"Content-Type": "application/rss+xml"}))
    return feeds


# ---------------------------------------------------------------- CPU accounting

def _proc_cpu(pid: int) -> tuple[float, float]:
    """(own, reaped children's) CPU seconds of a process, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0, 0.0
    utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
    return (utime + stime) / CLK, (cutime + cstime) / CLK


def _children(parent: int) -> list[int]:
    pids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if int((d / "stat").read_text().rsplit(")", 1)[1].split()[1]) == parent:
                    pids.append(int(d.name))
            except (OSError, IndexError, ValueError):
                pass
    return pids


def _postmaster(url: str) -> int:
    """The PID of the PostgreSQL server behind ``url`` (the parent of our backend): only its
    processes are measured, not another server on the machine, nor anything else."""
    import psycopg

    with psycopg.connect(url) as conn:
        backend = conn.execute("SELECT pg_backend_pid()").fetchone()
    assert backend is not None
    stat = Path(f"/proc/{backend[0]}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


class CpuMeter:
    """CPU seconds used by a process and its children (e.g. a PostgreSQL server: the
    postmaster and every backend) between ``start`` and ``stop``, including children that
    came and went (reaped by the parent: counted in its children's time). The server must
    be on this machine; use a server of its own (``BENCH_PG``) for figures that other
    databases' work does not inflate."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.before: dict[int, tuple[float, float]] = {}

    def _pids(self) -> list[int]:
        return [self.root, *_children(self.root)]

    def start(self) -> None:
        self.before = {pid: _proc_cpu(pid) for pid in self._pids()}

    def stop(self) -> float:
        total = 0.0
        for pid in self._pids():
            own, children = _proc_cpu(pid)
            own0, children0 = self.before.get(pid, (0.0, 0.0))
            total += (own - own0) + (children - children0)
        return total


# ---------------------------------------------------------------- runs

@dataclass
class Result:
    mode: str
    workers: str
    entries: int
    seconds: float
    p50: float
    p95: float
    db_cpu: float | None
    broker_cpu: float | None


def _env(data: Path, database_url: str, engine_url: str, **extra: str) -> dict[str, str]:
    return {**os.environ, "WARTA_DATA_DIR": str(data), "WARTA_CONFIG": os.devnull,
            "WARTA_DATABASE_URL": database_url, "WARTA_TRANSLATE_PAIRS": "en-id=libretranslate",
            "WARTA_TRANSLATE_LIBRETRANSLATE_URL": engine_url,
            "WARTA_FETCH_ALLOW_PRIVATE": "127.0.0.1",
            # the stand-in returns its input: its English "translation" must not be held
            # for review by the untranslated-output check
            "WARTA_TRANSLATE_QUALITY_IGNORE": "untranslated",
            "WARTA_PIPELINE_RETRY_BASE": "1", **extra}


def _warta(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "warta.cli", *args], env=env, check=True,
                   stdout=subprocess.DEVNULL, timeout=600)


def _add_sources(env: dict[str, str], feeds: list[str]) -> None:
    script = ("import sys, django; django.setup()\n"
              "from warta.newsroom.models import Source\n"
              "Source.objects.bulk_create(Source(name=f'Source {i}', url=u, language='en',"
              " category='Daerah') for i, u in enumerate(sys.stdin.read().split()))\n")
    subprocess.run([sys.executable, "-c", script], input="\n".join(feeds), text=True,
                   env={**env, "DJANGO_SETTINGS_MODULE": "warta.settings"}, check=True)


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


class Db:
    """Counts and latencies read straight from the database (SQLite or PostgreSQL). One
    connection for the whole run: a new PostgreSQL backend per look (twice a second) would
    add its own start-up cost to the server CPU measured."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.conn: Any = None

    def _rows(self, sql: str) -> list[tuple[Any, ...]]:
        if self.url.startswith("sqlite:///"):
            with sqlite3.connect(self.url[len("sqlite:///"):], timeout=30) as conn:
                return conn.execute(sql).fetchall()
        import psycopg

        if self.conn is None:
            self.conn = psycopg.connect(self.url, autocommit=True)
        return list(self.conn.execute(sql).fetchall())

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def published(self) -> int:
        return int(self._rows("SELECT COUNT(*) FROM newsroom_post")[0][0])

    def failed(self) -> int:
        return int(self._rows("SELECT COUNT(*) FROM newsroom_entry WHERE status = 'failed'"
                              )[0][0])

    def latencies(self) -> list[float]:
        """Seconds from each entry's creation (read from its feed) to its publication
        (``Post.created``)."""
        rows = self._rows("SELECT e.created, p.created FROM newsroom_post p "
                          "JOIN newsroom_entry e ON e.id = p.entry_id")
        out = []
        for created, published in rows:
            if isinstance(created, str):  # SQLite stores ISO text
                created, published = (datetime.fromisoformat(created),
                                      datetime.fromisoformat(published))
            out.append((published - created).total_seconds())
        return out


def _wait_all(db: Db, total: int, procs: list[subprocess.Popen[bytes]], logs: Path,
              timeout: float) -> float:
    start = time.monotonic()
    while True:
        done = db.published()
        if done >= total:
            return time.monotonic() - start
        if db.failed():
            raise SystemExit(f"{db.failed()} entries failed; logs in {logs}")
        for p in procs:
            if p.poll() is not None:
                raise SystemExit(f"a process exited ({p.args}); logs in {logs}")
        if time.monotonic() - start > timeout:
            raise SystemExit(f"only {done}/{total} published after {timeout:.0f} s; "
                             f"logs in {logs}")
        time.sleep(0.5)


def _summary(mode: str, workers: str, db: Db, total: int, seconds: float,
             db_cpu: float | None, broker_cpu: float | None) -> Result:
    lat = sorted(db.latencies())
    p95 = lat[min(len(lat) - 1, int(len(lat) * 0.95))]
    return Result(mode, workers, total, seconds, statistics.median(lat), p95, db_cpu,
                  broker_cpu)


def run_sqlite(tmp: Path, feeds: list[str], total: int, engine: str,
               timeout: float) -> Result:
    data = tmp / "sqlite"
    url = f"sqlite:///{data / 'warta.sqlite3'}"
    env = _env(data, url, engine)
    _warta(env, "init")
    _add_sources(env, feeds)
    db = Db(url)
    proc = _spawn([sys.executable, "-m", "warta.cli", "run", "--port", str(_free_port())],
                  env, tmp / "run.log")
    try:
        seconds = _wait_all(db, total, [proc], tmp, timeout)
    finally:
        _kill(proc)
    return _summary("warta run, SQLite", "2 threads", db, total, seconds, None, None)


def _pg_database() -> tuple[str, str]:
    import psycopg

    name = f"warta_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, urlunsplit(urlsplit(PG)._replace(path=f"/{name}"))


def _drop(name: str) -> None:
    import psycopg

    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_celery(tmp: Path, feeds: list[str], total: int, engine: str, workers: int,
               concurrency: int, timeout: float) -> Result:
    name, url = _pg_database()
    logs = tmp / f"celery-{workers}"
    logs.mkdir()
    redis_port = _free_port()
    redis = _spawn(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--dir", str(logs)],
                   dict(os.environ), logs / "redis.log")
    procs: list[subprocess.Popen[bytes]] = []
    try:
        env = _env(tmp / f"data-{workers}", url, engine,
                   WARTA_BROKER_URL=f"redis://127.0.0.1:{redis_port}/0")
        _warta(env, "init")
        _add_sources(env, feeds)
        db = Db(url)
        pg, broker = CpuMeter(_postmaster(url)), CpuMeter(redis.pid)
        procs = [_spawn([sys.executable, "-m", "warta.cli", "worker", "--concurrency",
                         str(concurrency)], env, logs / f"worker-{i}.log")
                 for i in range(workers)]
        time.sleep(3)  # workers up before beat polls: the run is timed from the first poll
        pg.start()
        broker.start()
        procs.append(_spawn([sys.executable, "-m", "warta.cli", "beat", "--every", "1"],
                            env, logs / "beat.log"))
        seconds = _wait_all(db, total, procs, logs, timeout)
        db_cpu, broker_cpu = pg.stop(), broker.stop()
        label = f"{workers} × {concurrency} processes"
        result = _summary("Celery, PostgreSQL + Redis", label, db, total, seconds, db_cpu,
                          broker_cpu)
        db.close()  # before the database is dropped
        return result
    finally:
        for p in procs:
            _kill(p)
        _kill(redis)
        _drop(name)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--entries", type=int, default=10_000)
    ap.add_argument("--sources", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=2,
                    help="processes per Celery worker (prefork)")
    ap.add_argument("--skip-sqlite", action="store_true")
    ap.add_argument("--workers", default="1,2",
                    help="Celery worker counts, comma-separated (default 1,2; \"\" for none)")
    ap.add_argument("--timeout", type=float, default=3600)
    args = ap.parse_args()
    if shutil.which("redis-server") is None:
        raise SystemExit("redis-server is needed (Debian: apt-get install redis-server)")
    per_source = max(1, args.entries // args.sources)
    total = per_source * args.sources
    tmp = Path(tempfile.mkdtemp(prefix="warta-scale-"))
    pages = LocalHTTPServer().start()
    engine = FixedCostEngine(translate=identity)
    results: list[Result] = []
    try:
        feeds = serve_sources(pages, args.sources, per_source)
        if not args.skip_sqlite:
            results.append(run_sqlite(tmp, feeds, total, engine.url(), args.timeout))
        for workers in (int(w) for w in args.workers.split(",") if w.strip()):
            results.append(run_celery(tmp, feeds, total, engine.url(), workers,
                                      args.concurrency, args.timeout))
    finally:
        pages.stop()
        engine.stop()
    # the baseline: one Celery worker, else the first mode run
    base = next((r for r in results if r.workers.startswith("1 ×")), results[0])
    load = os.getloadavg()
    print(f"scale benchmark: {total} entries from {args.sources} local sources, stand-in "
          f"engine {ENGINE_MS:.0f} ms per request; {platform.machine()}, {os.cpu_count()} "
          f"cores, Python {platform.python_version()}; load average at the end "
          f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    print(f"{'mode':<28}{'workers':<18}{'seconds':>9}{'entries/min':>13}{'p50 s':>8}"
          f"{'p95 s':>8}{'DB CPU s':>10}{'DB ms/entry':>13}{'broker CPU s':>14}{'ratio':>7}")
    for r in results:
        db_cpu = f"{r.db_cpu:.1f}" if r.db_cpu is not None else "-"
        per_entry = f"{r.db_cpu / r.entries * 1000:.1f}" if r.db_cpu is not None else "-"
        broker_cpu = f"{r.broker_cpu:.1f}" if r.broker_cpu is not None else "-"
        print(f"{r.mode:<28}{r.workers:<18}{r.seconds:>9.1f}{r.entries / r.seconds * 60:>13.0f}"
              f"{r.p50:>8.1f}{r.p95:>8.1f}{db_cpu:>10}{per_entry:>13}{broker_cpu:>14}"
              f"{base.seconds / r.seconds:>7.2f}")

if __name__ == "__main__":
    main()
