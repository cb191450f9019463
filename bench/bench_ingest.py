"""Ingest speed: a full poll round over 1,000 feeds through the real ``poll_source`` path.

    .venv/bin/python bench/bench_ingest.py [--feeds 1000] [--items 20] [--workers 1,0]
                                           [--deep 20000] [--skip-real] [--repeat 1]
                                           [--server nginx|python]

A local HTTP server serves N feeds: Debian's nginx when it is installed (static files, its
own ETag and 304 answers, little CPU: a remote server costs this machine none), else
Python's ``http.server`` in a separate process (``--server python``; its CPU, far more
than nginx's, comes from the cores the round runs on). Its CPU is not counted either way.
Round (b): every feed returns ``--items`` new real-shaped items (title, link, guid,
pubDate, dc:creator, categories, description; every third item a ``content:encoded`` body
of several paragraphs and a ``media:content`` image with caption and credit). Round (a):
every feed answers 304 Not Modified to the ETag stored by round (b). Round (c): the stored
validators are forgotten, as with a server that sends none, so every feed answers 200 with
the bytes stored in round (b): recognised by their digest and not parsed; and once more
with the digest and the item digests forgotten too (the baseline: each document parsed
and its items found stored, as before the digests). Round (d), nginx only (its files
change): every feed a story later, one new item on top and the oldest gone, the others
stored already; first with the item digests forgotten (the baseline: every item read),
then a story later with them (the items stored already are not read). The rounds run the
real path: claim the source, fetch it
with conditional GET, parse (feedparser-rs, feedparser as fallback), store new entries,
schedule the next poll — into a separate SQLite file. ``--workers`` lists the
``fetch.workers`` settings to run the rounds with (download processes during the round; 1:
one poll after another in this process; 0: one per core; default "1,0": both, each from
nothing stored); the table says which ran. CPU is this process's plus the download
processes' (not the server's).

Baseline in the same run: plain ``feedparser.parse`` on the same bytes (parsing only, no
fetch, no database; on a fifth of them before the rounds too, to show the host's drift).
Two rows bound what a round can reach here: "downloads alone" runs the round's download
step (fetch, decode, ``parse_feed``; no database, nothing claimed or stored) over the same
feeds in one process and in one process per core, so round (b) cannot beat its ratio; and
"feedparser-rs + nh3 alone" is the fast parser and the sanitiser with nothing else (no
mapping, no link resolving): the least a parse with mandatory sanitising costs with them.
Then (``--deep N``, default 20,000; 0 skips it) 100 documents of 20 new
items stored into one source already holding N entries: the dedup look-ups against a long
history. Then the 200 real feeds of
../shared/corpus/feeds/fastfeedparser-bench through ``parse_feed`` vs ``feedparser.parse``.
Prints tables; no assertions. Goals (issue 5): (a) under 10 s; (b) at least 10x faster than
feedparser alone on the same bytes.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import multiprocessing
import os
import platform
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# where the items' articles live (the feed itself is served from 127.0.0.1)
SITE = "https://wire.example.com"
REAL = ROOT.parent / "shared" / "corpus" / "feeds" / "fastfeedparser-bench" / "benchmark_data"

WORDS = (
    "minister",
    "government",
    "city",
    "budget",
    "report",
    "police",
    "court",
    "election",
    "market",
    "rain",
    "flood",
    "president",
    "talks",
    "envoy",
    "trade",
    "port",
    "ferry",
    "island",
    "province",
    "festival",
    "school",
    "hospital",
    "price",
    "rice",
    "fuel",
    "bank",
    "growth",
    "percent",
    "billion",
    "said",
    "on",
    "Monday",
    "Tuesday",
    "officials",
)


def _sentence(seed: int, n: int = 18) -> str:
    words = [WORDS[(seed * 7 + k * 13) % len(WORDS)] for k in range(n)]
    return " ".join(words).capitalize() + "."


def feed_body(feed: int, items: int, base: str, fresh: int = 0) -> bytes:
    """Feed number ``feed``: ``items`` real-shaped RSS 2.0 items, unique guids. ``fresh``:
    the same feed that many stories later (newer items on top, as many of the oldest
    gone; the items still there have the same bytes)."""
    out = []
    for j in [items + k for k in reversed(range(fresh))] + list(range(items - fresh)):
        n = feed * 1000 + j
        link = f"{base}/news/{feed}/{j}-story-{n}.html"
        body = ""
        if j % 3 == 0:
            paras = "".join(
                f"<p>{_sentence(n + k, 40)} “{_sentence(n + k + 1, 8)}” "
                f'<a href="/topic/{k}">more</a></p>'
                for k in range(8)
            )
            body = (
                f"<content:encoded><![CDATA[<p>JAKARTA, Indonesia: {_sentence(n)}</p>"
                f'{paras}<figure><img src="/img/{n}.jpg" alt=""><figcaption>'
                f"{_sentence(n, 6)}</figcaption></figure>]]></content:encoded>"
                f'<media:content url="{base}/img/{n}.jpg" medium="image" '
                f'type="image/jpeg"><media:description>{_sentence(n, 9)}'
                f"</media:description><media:credit>Reuters/Photographer {j}"
                f"</media:credit></media:content>"
            )
        out.append(
            f"<item><title>{_sentence(n, 9)[:-1]} &amp; more</title><link>{link}</link>"
            f'<guid isPermaLink="false">bench-{n}</guid>'
            f"<pubDate>Sat, 09 Sep 2023 {j % 24:02d}:05:00 +0700</pubDate>"
            f"<dc:creator>Reporter {j % 7}</dc:creator><category>World</category>"
            f"<category>Asia</category><description><![CDATA[<p>{_sentence(n, 30)}</p>]]>"
            f"</description>{body}</item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:media="http://search.yahoo.com/mrss/"><channel>'
        f"<title>Bench wire {feed}</title><link>{base}/</link>"
        f"<description>d</description><language>en</language>{''.join(out)}</channel></rss>"
    ).encode()


def _serve(port_q: Any, items: int) -> None:
    """The feed server (child process): /feed/N, ETag per feed, 304 on If-None-Match."""
    cache: dict[int, bytes] = {}

    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # TCP_NODELAY, as production servers set it (nginx, Apache, Go, Node): the
        # headers and the body are two writes, and on a kept-alive connection Nagle's
        # algorithm would hold the body until the client's delayed ACK (~40 ms per feed)
        disable_nagle_algorithm = True

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            n = int(self.path.rsplit("/", 1)[-1])
            etag = f'"feed-{n}"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = cache.get(n) or cache.setdefault(n, feed_body(n, items, SITE))
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
    httpd.daemon_threads = True
    port_q.put(httpd.server_address[1])
    httpd.serve_forever()


NGINX_CONF = """
worker_processes 1;
daemon off;
pid {work}/nginx.pid;
error_log {work}/error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nodelay on;
    keepalive_requests 100000;
    default_type "application/rss+xml; charset=utf-8";
    client_body_temp_path {work}/body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {root};
    }}
}}
"""


@contextlib.contextmanager
def feed_server(kind: str, tmp: Path, feeds: int, items: int) -> Any:
    """Serve ``/feed/N`` for N below ``feeds`` (``feed_body``) at the yielded base URL:
    nginx from files (``kind`` "nginx") or the Python server (``kind`` "python"). Both
    send an ETag and answer a matching If-None-Match with 304."""
    if kind == "python":
        q: Any = multiprocessing.get_context("spawn").Queue()
        server = multiprocessing.get_context("spawn").Process(
            target=_serve, args=(q, items), daemon=True
        )
        server.start()
        try:  # the server process goes with the bench, whatever happens
            yield f"http://127.0.0.1:{q.get(timeout=30)}"
        finally:
            server.terminate()
        return
    root, work = tmp / "www", tmp / "nginx"
    (root / "feed").mkdir(parents=True)
    work.mkdir()
    for i in range(feeds):
        (root / "feed" / str(i)).write_bytes(feed_body(i, items, SITE))
    for path in (tmp, root, root / "feed"):
        path.chmod(0o755)  # nginx's worker runs as another user
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (work / "nginx.conf").write_text(NGINX_CONF.format(work=work, port=port, root=root))
    proc = subprocess.Popen(
        ["nginx", "-c", str(work / "nginx.conf"), "-p", str(work)],
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"nginx exited with {proc.returncode}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("nginx did not start") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)


def _setup_django(tmp: Path) -> None:
    os.environ["WARTA_DATA_DIR"] = str(tmp / "data")
    os.environ["WARTA_CONFIG"] = os.devnull
    os.environ["WARTA_DATABASE_URL"] = f"sqlite:///{tmp / 'bench-ingest.sqlite3'}"
    os.environ["WARTA_FETCH_ALLOW_PRIVATE"] = "127.0.0.1"
    os.environ["DJANGO_SETTINGS_MODULE"] = "warta.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _cpu() -> float:
    """CPU seconds of this process and of its children that have ended (the download
    processes of a poll round end with it; the feed server runs until the end)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    wall, cpu = time.perf_counter(), _cpu()
    out = fn()
    return time.perf_counter() - wall, _cpu() - cpu, out


def _feedparser_all(docs: list[bytes]) -> int:
    import feedparser

    return sum(len(feedparser.parse(io.BytesIO(d)).entries) for d in docs)


def _warta_all(docs: list[bytes]) -> tuple[int, int]:
    from warta.core.errors import FeedParseError
    from warta.core.feeds import parse_feed
    from warta.core.feeds_fast import FastFirstBackend

    entries = fast = 0
    for d in docs:
        backend = FastFirstBackend()
        with contextlib.suppress(FeedParseError):
            entries += len(parse_feed(d, "https://bench.example/feed", backend=backend).entries)
        fast += backend.last_path == "fast"
    return entries, fast


def _bench_fetch_settings() -> dict[str, Any]:
    from warta.newsroom.stages.sources import fetch_settings

    return fetch_settings()


def _download_all(urls: list[str], cfg: dict[str, Any] | None = None) -> int:
    """``download_feed`` of each URL in turn, as a poll round's download step runs it (no
    validators, no digest: every feed is fetched, decoded and parsed); the entries found."""
    from warta.core.download import download_feed

    cfg = cfg if cfg is not None else _bench_fetch_settings()
    found = 0
    for url in urls:
        got = download_feed(url, None, None, "auto", cfg)
        if got.error is not None:
            raise SystemExit(f"{url}: {got.error}")
        found += len(got.parsed.entries) if got.parsed else 0
    return found


def _download_parallel(urls: list[str], workers: int) -> int:
    """:func:`_download_all` in ``workers`` forked processes (as a poll round forks them),
    the URLs dealt out in small chunks."""
    from concurrent.futures import ProcessPoolExecutor

    cfg = _bench_fetch_settings()
    chunks = [urls[i:i + 8] for i in range(0, len(urls), 8)]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        return sum(pool.map(_download_all, chunks, [cfg] * len(chunks)))


def _parse_floor(docs: list[bytes]) -> int:
    """What any parse of these feeds with mandatory sanitising must do at least:
    feedparser-rs's parse (its own sanitiser off, as warta runs it) and nh3, with warta's
    cleaner, on each summary and body; nothing mapped, resolved or kept. The HTML strings
    cleaned."""
    import feedparser_rs

    from warta.core.feeds import _CLEANER

    cleaned = 0
    for d in docs:
        raw = feedparser_rs.parse(d, sanitize_html=False, resolve_relative_uris=False)
        for e in raw.entries:
            for value in (e.summary, *(c.value for c in e.content or [])):
                if value:
                    _CLEANER.clean(value)
                    cleaned += 1
    return cleaned


def _rewrite_feeds(tmp: Path, feeds: int, items: int, fresh: int) -> None:
    """The files nginx serves (``feed_server``), ``fresh`` stories later."""
    for i in range(feeds):
        (tmp / "www" / "feed" / str(i)).write_bytes(feed_body(i, items, SITE, fresh))


def _round_d(tmp: Path, feeds: int, items: int, tag: str,
             rows: list[tuple[str, float, float]]) -> str:
    """Round (d), the common poll of a busy feed: a story more on top, the oldest gone,
    the rest stored already. First with the item digests forgotten (the baseline: every
    item read, as before them), then a story later with them (only the new item and the
    one now last, whose bytes run to the document's end, are read). The files are put
    back as they were for the next setting. What the two rounds stored, as a text."""
    from warta.newsroom.models import Source
    from warta.runner.inline import fetch_sources

    stored = []
    for fresh, name in ((1, "a story more, all read"), (2, "a story more")):
        _rewrite_feeds(tmp, feeds, items, fresh)
        Source.objects.update(etag="", last_modified="")
        if fresh == 1:
            Source.objects.update(item_digests=[])
        wall, cpu, res = _timed(lambda: fetch_sources(force=True))
        rows.append((f"(d) {name}, {tag}", wall, cpu))
        stored.append(sum(r.new_entries for r in res))
    _rewrite_feeds(tmp, feeds, items, 0)
    return (f"a story more per feed, stored {stored[0]} with every item read, then "
            f"{stored[1]} with the known items not read")


def poll_round(
    feeds: int, items: int, settings_to_run: list[int], server: str, tmp: Path, repeat: int = 1
) -> None:
    from django.conf import settings

    from warta.newsroom.models import Entry, Source
    from warta.runner.inline import fetch_sources, fetch_workers

    rows = []
    hows = []
    # the host's speed drifts within minutes: feedparser on a fifth of the feeds before the
    # rounds as well as on all of them after, so the drift shows beside the ratios
    sample = [feed_body(i, items, SITE) for i in range(max(1, feeds // 5))]
    fp_before = _timed(lambda: _feedparser_all(sample))[1] / len(sample)
    with feed_server(server, tmp, feeds, items) as base:
        Source.objects.bulk_create(
            Source(name=f"Bench {i}", url=f"{base}/feed/{i}") for i in range(feeds)
        )
        for setting in settings_to_run:
            settings.WARTA.values["fetch.workers"] = setting
            workers = fetch_workers(setting)
            tag = f"w={setting}"
            hows.append(
                f"{tag}: polls one after another in one process"
                if workers < 2
                else f"{tag}: fetch.workers={setting}, {workers} download processes + this "
                "one claiming and storing"
            )
            runs = []
            for _ in range(repeat):
                # each round (b) starts from nothing stored and no validators
                Entry.objects.all().delete()
                Source.objects.update(etag="", last_modified="", content_digest="",
                                      item_digests=[])
                main_cpu = time.process_time()
                wall_b, cpu_b, res_b = _timed(lambda: fetch_sources(force=True))
                runs.append((wall_b, cpu_b, time.process_time() - main_cpu))
            # the median round by wall time (the only one with --repeat 1)
            wall_b, cpu_b, main_cpu = sorted(runs)[len(runs) // 2]
            if repeat > 1:
                hows[-1] += (f"; (b) the median of {repeat} rounds, wall s: "
                             + ", ".join(f"{w:.2f}" for w, _c, _m in runs))
            stored = Entry.objects.count()
            errors = [r.error for r in res_b if r.error]
            rows.append((f"(b) {items} new items, {tag}", wall_b, cpu_b))
            wall_a, cpu_a, res_a = _timed(lambda: fetch_sources(force=True))
            not_modified = sum(r.not_modified for r in res_a)
            rows.append((f"(a) all answer 304, {tag}", wall_a, cpu_a))
            # a server without validators: 200 and the same bytes as the stored document
            Source.objects.update(etag="", last_modified="")
            wall_c, cpu_c, res_c = _timed(lambda: fetch_sources(force=True))
            unchanged = sum(r.not_modified for r in res_c)
            rows.append((f"(c) 200, same bytes, {tag}", wall_c, cpu_c))
            # the baseline of (c): the digest forgotten too, every document parsed again and
            # its 20 items recognised as stored (what (c) cost before the digest)
            Source.objects.update(etag="", last_modified="", content_digest="",
                                  item_digests=[])
            wall_c0, cpu_c0, res_c0 = _timed(lambda: fetch_sources(force=True))
            rows.append((f"(c) without the digest, {tag}", wall_c0, cpu_c0))
            known = sum(not r.error and not r.new_entries for r in res_c0)
            if server == "nginx":  # round (d): the feeds' files change between polls
                hows[-1] += "; (d) " + _round_d(tmp, feeds, items, tag, rows)
            if workers >= 2:  # the one writer's share of the round's CPU
                hows[-1] += (f"; (b) CPU: this process {main_cpu:.2f} s, download "
                             f"processes {cpu_b - main_cpu:.2f} s")
            hows[-1] += (f"; (b) stored {stored} entries, {len(errors)} errors"
                         + (f" (first: {errors[0]})" if errors else "")
                         + f"; (a) {not_modified} of {feeds} answered 304"
                         + f"; (c) {unchanged} of {feeds} found unchanged, without the "
                         f"digest {known} parsed and nothing new stored")
        # the round's ceiling on this host: its downloads alone (fetch, decode, parse: no
        # database, nothing claimed or stored), one after another and in one process per
        # core as in round (b) w=0, pool start and stop included as there
        urls = [f"{base}/feed/{i}" for i in range(feeds)]
        rows.append(("downloads alone, 1 process", *_timed(lambda: _download_all(urls))[:2]))
        n = fetch_workers(0)
        rows.append((f"downloads alone, {n} processes",
                     *_timed(lambda: _download_parallel(urls, n))[:2]))
    docs = [feed_body(i, items, SITE) for i in range(feeds)]
    size = sum(map(len, docs)) / 1e6
    fp_wall, fp_cpu, fp_entries = _timed(lambda: _feedparser_all(docs))
    pw_wall, pw_cpu, (pw_entries, pw_fast) = _timed(lambda: _warta_all(docs))
    floor_wall, floor_cpu, floor_html = _timed(lambda: _parse_floor(docs))
    rows.append(("feedparser.parse, same bytes", fp_wall, fp_cpu))
    rows.append(("warta parse_feed, same bytes", pw_wall, pw_cpu))
    rows.append(("feedparser-rs + nh3 alone", floor_wall, floor_cpu))
    print(f"\n## poll round: {feeds} feeds x {items} items ({size:.1f} MB), SQLite, "
          f"served by {server}")
    for how in hows:
        print(how)
    print(
        f"parse_feed: {pw_fast}/{feeds} feeds on the fast path, {pw_entries} entries; "
        f"feedparser {fp_entries} entries"
    )
    print(
        f"feedparser-rs + nh3 alone: the fast parser, and nh3 on the {floor_html} summaries "
        "and bodies it gives; nothing mapped or resolved"
    )
    print(
        f"feedparser CPU per feed: {fp_before * 1000:.2f} ms before the rounds "
        f"({len(sample)} feeds), {fp_cpu / feeds * 1000:.2f} ms after (all; the ratios "
        "below use this one)"
    )
    print(
        f"{'what':<32} {'wall s':>8} {'CPU s':>7} {'sources/s':>10} {'CPU ms/feed':>12} "
        f"{'fp CPU/this CPU':>16} {'fp CPU/this wall':>17}"
    )
    for name, wall, cpu in rows:
        print(
            f"{name:<32} {wall:>8.2f} {cpu:>7.2f} {feeds / wall:>10.1f} "
            f"{cpu / feeds * 1000:>12.2f} {fp_cpu / cpu:>16.1f} {fp_cpu / wall:>17.1f}"
        )


def deep_source(stored: int, polls: int = 100, items: int = 20) -> None:
    """Storing into a source that already holds ``stored`` entries (months of a busy
    feed): ``polls`` documents of ``items`` new items each through ``store_entries`` and
    the commit (parsed beforehand: no fetch, no parse), CPU ms per document. The look-ups
    that recognise known items must not read the source's whole history."""
    from django.db import transaction

    from warta.core.feeds import parse_feed
    from warta.newsroom.models import Source
    from warta.newsroom.stages.sources import store_entries

    source = Source.objects.create(name="Deep", url=f"{SITE}/deep.xml")
    # feed numbers far from poll_round's (guids and URLs are per feed number)
    for n in range(stored // items):
        with transaction.atomic():
            store_entries(
                source, parse_feed(feed_body(10_000 + n, items, SITE), source.url).entries
            )
    docs = [
        parse_feed(feed_body(20_000 + n, items, SITE), source.url).entries for n in range(polls)
    ]

    def store_all() -> None:
        for entries in docs:
            with transaction.atomic():
                store_entries(source, entries)

    wall, cpu, _ = _timed(store_all)
    print(f"\n## storing into a source holding {stored} entries ({polls} x {items} new items)")
    print(f"{'what':<32} {'wall s':>8} {'CPU s':>7} {'CPU ms/doc':>11}")
    print(f"{'store_entries + commit':<32} {wall:>8.2f} {cpu:>7.2f} {cpu / polls * 1000:>11.2f}")


def real_feeds() -> None:
    files = sorted(p for p in REAL.iterdir() if p.is_file())
    docs = [p.read_bytes() for p in files]
    size = sum(map(len, docs)) / 1e6
    fp_wall, fp_cpu, fp_entries = _timed(lambda: _feedparser_all(docs))
    pw_wall, pw_cpu, (pw_entries, pw_fast) = _timed(lambda: _warta_all(docs))
    print(f"\n## {len(docs)} real feeds of fastfeedparser-bench ({size:.1f} MB)")
    print(
        f"parse_feed: {pw_fast}/{len(docs)} on the fast path, {pw_entries} entries; "
        f"feedparser {fp_entries} entries"
    )
    print(f"{'parser':<32} {'wall s':>8} {'CPU s':>7} {'feeds/s':>10} {'feedparser/this':>16}")
    for name, wall, cpu in (
        ("feedparser.parse", fp_wall, fp_cpu),
        ("warta parse_feed", pw_wall, pw_cpu),
    ):
        print(f"{name:<32} {wall:>8.2f} {cpu:>7.2f} {len(docs) / cpu:>10.1f} {fp_cpu / cpu:>16.1f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--items", type=int, default=20)
    ap.add_argument("--workers", default="1,0",
                    help="fetch.workers settings to run the rounds with, comma-separated "
                    "(1: one poll after another; 0: one download process per core)")
    ap.add_argument("--server", choices=("nginx", "python"),
                    default="nginx" if shutil.which("nginx") else "python",
                    help="what serves the feeds (default: nginx where it is installed)")
    ap.add_argument("--repeat", type=int, default=1, metavar="N",
                    help="run round (b) N times per setting and report the median (by wall)")
    ap.add_argument("--skip-real", action="store_true", help="skip the 200 real feeds")
    ap.add_argument(
        "--deep",
        type=int,
        default=20_000,
        metavar="N",
        help="also store 100 documents into one source already holding N entries (0: skip)",
    )
    args = ap.parse_args(argv)
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, {platform.system()}"
    )
    with tempfile.TemporaryDirectory(prefix="warta-bench-ingest-") as tmp:
        _setup_django(Path(tmp))
        poll_round(args.feeds, args.items, [int(w) for w in args.workers.split(",")],
                   args.server, Path(tmp), max(1, args.repeat))
        if args.deep:
            deep_source(args.deep)
    if not args.skip_real:
        if REAL.is_dir():
            real_feeds()
        else:
            print(f"\n(real feeds not found at {REAL})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
