"""The public site under load: 10,000 published stories, real servers, 64 connections.

    .venv/bin/python bench/bench_site.py [--posts 10000] [--seconds 10] [--connections 64]

What it does, in one run on one machine (so the ratios hold on a noisy, shared one):

1. A fresh SQLite database with N published stories written straight into it (realistic
   sizes: a headline, a dateline, a photo, ten paragraphs and a quotation, ~5 KB of text),
   three categories, the search index rebuilt.
2. In-process render times through Django's test client: an article with the page cache off
   (median over 200 different articles: the "uncached article render"), and the same
   served from the page cache.
3. ``warta build`` of the whole site (timed; ``--build-workers`` processes, default one
   per core), then a second, incremental build after one story changed.
4. ``warta serve`` with each of ``--servers`` (granian and gunicorn: ``site.workers``
   processes × ``site.threads`` threads; waitress: one process) and
   nginx (Debian's, as an unprivileged process with a temporary config) serving the build
   output; wrk (Debian's ``wrk``) with ``--connections`` connections for ``--seconds`` per
   page: home, an article (1,000 different ones, round robin), a category page, a repeated
   search (served from the search page cache) and searches that are each new (20,000
   different queries of two or three words, none asked twice: the search's own cost).
   nginx is the physical limit of this machine for the same bytes: the ratio
   warta/nginx says how close the cached site gets.

Prints the tables that docs/BENCHMARKS.md keeps.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

_VOCABULARY = """
presiden menteri pemerintah banjir gempa pemilu rupiah ekonomi saham pasar harga minyak
beras kereta bandara sekolah rumah sakit vaksin polisi militer rudal satelit kosmodrom
kriket sepak bola piala liga pelatih pemain gol hujan monsun kebakaran hutan asap parlemen
partai koalisi oposisi pengadilan hakim jaksa korupsi suap investasi pabrik mobil listrik
baterai nikel tambang ekspor impor pelabuhan kapal nelayan laut pulau gunung letusan
"""
WORDS = _VOCABULARY.split()
ARTICLE_URLS = 500


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "WARTA_DATA_DIR": str(data_dir),
            "WARTA_CONFIG": os.devnull,
            "WARTA_ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
            "WARTA_SECRET_KEY": "bench-" + "x" * 40,
            "DJANGO_SETTINGS_MODULE": "warta.settings",
            **extra,
        }
    )
    return env


def _setup_django(data_dir: Path) -> None:
    os.environ.update(_env(data_dir))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_posts(n: int, seed: int = 7) -> None:
    """N published stories, bulk-inserted (no signals), then the search index rebuilt."""
    from warta.newsroom.models import Article, Category, Entry, Post, Source, Translation
    from warta.site.search import rebuild_search_index

    rng = random.Random(seed)
    cats = [
        Category.objects.create(slug=s, name=s.title()) for s in ("dunia", "bisnis", "olahraga")
    ]
    source = Source.objects.create(name="NDTV", url="https://feeds.example.com/bench.xml")
    now = datetime.now(UTC)
    batch = 1000
    for start in range(0, n, batch):
        idx = range(start, min(n, start + batch))
        entries = Entry.objects.bulk_create(
            [
                Entry(
                    source=source,
                    guid=f"https://www.example.com/bench/{i}",
                    url=f"https://www.example.com/bench/{i}",
                    title=f"t{i}",
                    status=Entry.Status.PUBLISHED,
                )
                for i in idx
            ]
        )
        articles = Article.objects.bulk_create(
            [
                Article(
                    entry=e,
                    url=e.url,
                    title=e.title,
                    text_hash=str(i),
                    language="en",
                    byline=f"By Reporter {i % 50}",
                )
                for i, e in zip(idx, entries, strict=True)
            ]
        )
        translations = []
        for i, a in zip(idx, articles, strict=True):
            blocks: list[dict[str, Any]] = [
                {"type": "p", "text": _sentence(rng, 45)} for _ in range(10)
            ]
            blocks.insert(3, {"type": "quote", "text": "“" + _sentence(rng, 20) + "”"})
            translations.append(
                Translation(
                    article=a,
                    language="id",
                    title=_sentence(rng, 9),
                    blocks=blocks,
                    engine="bench",
                    dateline="Jakarta",
                    image={
                        "src": f"https://img.example.com/{i}.jpg",
                        "caption": "Foto (arsip)",
                        "credit": "AFP",
                        "width": 1200,
                        "height": 675,
                    },
                )
            )
        translations = Translation.objects.bulk_create(translations)
        Post.objects.bulk_create(
            [
                Post(
                    entry=e,
                    translation=t,
                    slug=f"berita-{i}",
                    category=cats[i % 3],
                    published_at=now - timedelta(minutes=7 * i),
                    source_name="NDTV",
                    original_url=e.url,
                )
                for i, e, t in zip(idx, entries, translations, strict=True)
            ]
        )
    rebuild_search_index()


def render_times(posts: int, samples: int = 200) -> dict[str, float]:
    """Median milliseconds of in-process renders through the test client (middleware
    included): articles with the page cache off, then served from it."""
    from django.conf import settings
    from django.test import Client

    from warta.site.cache import clear_page_cache

    client = Client()
    values = settings.WARTA.values
    urls = [f"/berita/berita-{(i * 7) % posts}/" for i in range(samples)]

    def timed(url: str) -> float:
        start = time.perf_counter()
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return (time.perf_counter() - start) * 1000

    client.get(urls[0])  # templates loaded, first connection
    values["site.cache_seconds"] = 0
    uncached = [timed(u) for u in urls]
    home_uncached = [timed("/") for _ in range(30)]
    search = [timed("/cari/?q=banjir+jakarta") for _ in range(30)]
    values["site.cache_seconds"] = 600
    clear_page_cache()
    # as served: caches on (the form's choices come from them), each query new to them
    search_varied = [timed("/cari/?q=" + q.replace(" ", "+")) for q in new_queries(200, seed=3)]
    for u in urls:
        timed(u)
    cached = [timed(u) for u in urls]
    search_cached = [timed("/cari/?q=banjir+jakarta") for _ in range(30)]
    return {
        "article, page cache off": statistics.median(uncached),
        "article, from the page cache": statistics.median(cached),
        "home, page cache off": statistics.median(home_uncached),
        "search, not cached": statistics.median(search),
        "search, 200 queries, each new": statistics.median(search_varied),
        "search, from the page cache": statistics.median(search_cached),
    }


def build_times(out: Path, workers: int | None) -> dict[str, Any]:
    from warta.newsroom.models import Translation
    from warta.site.build import build_site

    first = build_site(out, workers=workers)
    tr = Translation.objects.get(post__slug="berita-5")
    tr.title = "Judul yang diperbarui"
    tr.save()
    second = build_site(out, workers=workers)
    return {"first": first, "second": second}


# ---------------------------------------------------------------- servers and load


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, proc: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"nothing listens on {port}")


def start_warta(data_dir: Path, server: str, workers: int) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    env = _env(data_dir, WARTA_SITE_WORKERS=str(workers))
    warta = [sys.executable, "-m", "warta.cli"]
    # the servers' own logging (waitress warns of its queue depth on every burst) goes to
    # a file beside the data, not into the tables
    log = (data_dir.parent / f"serve-{server}.log").open("ab")
    proc = subprocess.Popen(
        [*warta, "serve", "--port", str(port), "--server", server],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()  # the child keeps its own descriptor
    _wait_port(port, proc)
    return proc, port


def start_nginx(root: Path, workdir: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    conf = workdir / "nginx.conf"
    conf.write_text(f"""
worker_processes auto;
daemon off;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    sendfile on;
    keepalive_requests 100000;
    client_body_temp_path {workdir}/body;
    proxy_temp_path {workdir}/proxy;
    fastcgi_temp_path {workdir}/fastcgi;
    uwsgi_temp_path {workdir}/uwsgi;
    scgi_temp_path {workdir}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        location / {{ try_files $uri $uri/index.html =404; }}
    }}
}}
""")
    proc = subprocess.Popen(
        ["nginx", "-c", str(conf), "-p", str(workdir)],
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    _wait_port(port, proc)
    return proc, port


def stop(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


def new_queries(n: int, seed: int) -> list[str]:
    """``n`` different queries of one to three vocabulary words (each matches nearly every
    story: the expensive kind)."""
    rng = random.Random(seed)
    seen: dict[str, None] = {}
    while len(seen) < n:
        seen[" ".join(rng.sample(WORDS, rng.choice([1, 2, 2, 3, 3])))] = None
    return list(seen)


# Each wrk thread takes every other query of the list, so no query is asked twice.
_LUA_SEARCH = """
local queries = {{queries}}
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end
local i = 0
request = function()
  local q = queries[((i * 2 + id) % #queries) + 1]
  i = i + 1
  return wrk.format("GET", "/cari/?q=" .. q)
end
"""

# the ARTICLE_URLS articles of _measured_paths, round robin (the ones warmed and exported)
_LUA = """
local i = 0
request = function()
  i = (i + 1) % {count}
  return wrk.format("GET", "/berita/berita-" .. ((i * 7) % {n}) .. "/")
end
"""


def wrk(
    port: int, path: str, seconds: int, connections: int, workdir: Path, posts: int
) -> dict[str, float]:
    """Requests per second and p50/p99 milliseconds; ``path`` "ARTICLES" rotates over
    :data:`ARTICLE_URLS` articles, "NEW_SEARCHES" asks 20,000 different queries."""
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    url = f"http://127.0.0.1:{port}{path}"
    if path == "ARTICLES":
        script = workdir / "articles.lua"
        lua = _LUA.replace("{count}", str(ARTICLE_URLS))
        script.write_text(lua.replace("{n}", str(min(ARTICLE_URLS * 7, posts))))
        cmd += ["-s", str(script)]
        url = f"http://127.0.0.1:{port}/"
    elif path == "NEW_SEARCHES":
        script = workdir / "searches.lua"
        listed = ", ".join(f'"{q.replace(" ", "+")}"' for q in new_queries(20_000, seed=11))
        script.write_text(_LUA_SEARCH.replace("{queries}", listed))
        cmd += ["-s", str(script)]
        url = f"http://127.0.0.1:{port}/"
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)

    def pct(p: str) -> float:
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
        assert m, out
        value = float(m.group(1))
        return value / 1000 if m.group(2) == "us" else value * 1000 if m.group(2) == "s" else value

    return {
        "rps": rps,
        "p50": pct("50"),
        "p99": pct("99"),
        "errors": float(errors.group(1)) if errors else 0.0,
    }


def _measured_paths(posts: int) -> list[str]:
    return ["/", "/kategori/dunia/"] + [
        f"/berita/berita-{(i * 7) % min(ARTICLE_URLS * 7, posts)}/" for i in range(ARTICLE_URLS)
    ]


def export_measured(out: Path, posts: int) -> None:
    """Only the pages wrk asks nginx for, through the export's own renderer."""
    from warta.site.build import _Renderer, _rewrite, _write, url_to_path

    renderer = _Renderer()
    for url in _measured_paths(posts):
        _status, body = renderer.render(url)
        _write(out, url_to_path(url), _rewrite(body, url, ""))


def warm(port: int, posts: int, rounds: int) -> None:
    """Every measured page rendered by every worker (each keeps its own copy in memory),
    so that the run measures the cache, not first renders: ``rounds`` passes, a new
    connection per request (a kept-alive one stays with one gunicorn worker, which left
    the others to render during the measurement)."""
    import httpx

    no_keepalive = httpx.Limits(max_keepalive_connections=0)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60,
                      limits=no_keepalive) as client:
        # the search page too, as often as the others: each worker keeps its own copy, and
        # a worker that first renders it during the measurement puts a 60 ms render (and the
        # requests queued behind it) into the search row's p99
        for path in [*_measured_paths(posts), "/cari/?q=banjir+jakarta"] * rounds:
            for _attempt in range(3):
                try:
                    client.get(path)
                    break
                except httpx.TransportError:
                    time.sleep(1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--posts", type=int, default=10_000)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--workers", type=int, default=0,
                    help="granian/gunicorn worker processes (0: each server's default)")
    ap.add_argument("--servers", default="granian,gunicorn,waitress")
    ap.add_argument(
        "--build-workers", type=int, help="warta build's processes (default: one per core)"
    )
    ap.add_argument(
        "--skip-build",
        action="store_true",
        help="export only the measured pages for nginx (no build timing)",
    )
    args = ap.parse_args(argv)
    if not shutil.which("wrk") or not shutil.which("nginx"):
        raise SystemExit("needs Debian's wrk and nginx (apt-get install wrk nginx)")

    with tempfile.TemporaryDirectory(prefix="warta-bench-site-") as tmp:
        work = Path(tmp)
        data_dir = work / "data"
        _setup_django(data_dir)
        t0 = time.perf_counter()
        make_posts(args.posts)
        print(
            f"warta site benchmark: {args.posts} posts (generated in "
            f"{time.perf_counter() - t0:.1f} s), Python {platform.python_version()}, "
            f"SQLite, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
        )

        print("\nin-process render, median ms")
        for name, ms in render_times(args.posts).items():
            print(f"  {name:<32} {ms:8.2f}")

        if args.skip_build:
            export_measured(work / "out", args.posts)
        else:
            builds = build_times(work / "out", args.build_workers)
            print(f"\nwarta build: first {builds['first'].describe()}")
            print(f"warta build, one story changed: {builds['second'].describe()}")
        work.chmod(0o755)  # nginx's workers run as another user

        from django.db import connections

        connections.close_all()
        pages = [
            ("home", "/"),
            ("article", "ARTICLES"),
            ("category", "/kategori/dunia/"),
            ("search", "/cari/?q=banjir+jakarta"),
            ("search-new", "NEW_SEARCHES"),
        ]
        results: dict[tuple[str, str], dict[str, float]] = {}
        nginx, nport = start_nginx(work / "out", _nginx_dir(work))
        try:
            for name, path in pages:
                if not name.startswith("search"):
                    results[("nginx", name)] = wrk(
                        nport, path, args.seconds, args.connections, work, args.posts
                    )
        finally:
            stop(nginx)
        for server in args.servers.split(","):
            proc, port = start_warta(data_dir, server, args.workers)
            try:
                processes = args.workers or (os.cpu_count() or 1) + 1
                warm(port, args.posts, 1 if server == "waitress" else processes * 3)
                for name, path in pages:
                    results[(server, name)] = wrk(
                        port, path, args.seconds, args.connections, work, args.posts
                    )
            finally:
                stop(proc)

        print(
            f"\nwrk, {args.connections} connections, {args.seconds} s per page; "
            f"{args.workers or 'default'} workers; pages warmed (served from the page cache)"
        )
        print(
            f"{'server':<10} {'page':<11} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
            f"{'non-2xx':>8} {'vs nginx':>9}"
        )
        for (server, name), r in results.items():
            base = results.get(("nginx", name))
            ratio = f"{r['rps'] / base['rps']:.2f}" if base and server != "nginx" else ""
            print(
                f"{server:<10} {name:<11} {r['rps']:>8.0f} {r['p50']:>8.2f} {r['p99']:>8.2f} "
                f"{r['errors']:>8.0f} {ratio:>9}"
            )
    return 0


def _nginx_dir(work: Path) -> Path:
    path = work / "nginx"
    path.mkdir(exist_ok=True)
    return path


if __name__ == "__main__":
    sys.exit(main())
