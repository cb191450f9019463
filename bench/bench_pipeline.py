"""Pipeline throughput: entries/s from feed to published post, on SQLite, with the tiny
real CTranslate2 model, pages served by a local HTTP server.

Baseline: the same work done by one worker thread (``workers=1``); warta's default runs
``pipeline.workers`` threads. Prints a table; no assertions.
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
N_ENTRIES = int(os.environ.get("BENCH_ENTRIES", "60"))
# A real source answers in tens to hundreds of milliseconds; the local server in ~0.
LATENCY = float(os.environ.get("BENCH_LATENCY_MS", "150")) / 1000


def _setup(tmp: Path) -> None:
    os.environ["WARTA_DATA_DIR"] = str(tmp / "data")
    os.environ["WARTA_CONFIG"] = os.devnull
    os.environ["DJANGO_SETTINGS_MODULE"] = "warta.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _serve_pages(server, n: int) -> str:  # type: ignore[no-untyped-def]
    from tests.support.texts import article_paragraphs

    items = []
    for i in range(n):
        # distinct text per story: near-duplicate clustering would rightly merge copies
        paras = "".join(f"<p>{p}</p>" for p in article_paragraphs(i, paragraphs=8))
        page = (f"<html><head><title>Story {i}</title></head><body><article>"
                f"<h1>Story {i} on the city budget</h1><p>JAKARTA, Indonesia: Story {i} "
                f"opens here.</p>{paras}<blockquote><p>“Quote {i},” he said.</p>"
                f"</blockquote></article></body></html>").encode()

        def slow(_req, page=page):  # type: ignore[no-untyped-def]
            time.sleep(LATENCY)
            return 200, {"Content-Type": "text/html; charset=utf-8"}, page

        server.add(f"/a/{i}", handler=slow)
        items.append(f"<item><title>Story {i}</title><link>{server.url(f'/a/{i}')}</link>"
                     f"<guid>g{i}</guid></item>")
    return server.add("/feed.xml", "<?xml version='1.0'?><rss version='2.0'><channel>"
                      "<title>B</title><link>http://x/</link><description>d</description>"
                      + "".join(items) + "</channel></rss>",
                      headers={"Content-Type": "application/rss+xml"})


def _run(workers: int, feed_url: str) -> float:
    from warta.newsroom.models import Article, Entry, Post, Source, Translation
    from warta.newsroom.stages import poll_source
    from warta.runner.inline import process

    Post.objects.all().delete()
    Translation.objects.all().delete()
    Article.objects.all().delete()
    Entry.objects.all().delete()
    Source.objects.all().delete()
    source = Source.objects.create(name="bench", url=feed_url)
    poll_source(source.pk, force=True)
    start = time.perf_counter()
    process(workers, until_idle=True)
    elapsed = time.perf_counter() - start
    assert Post.objects.count() == N_ENTRIES, "pipeline did not publish every entry"
    return elapsed


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="warta-bench-"))
    _setup(tmp)
    from django.conf import settings
    from tests.support.httpserver import LocalHTTPServer
    from tests.support.tinymodel import build_tiny_model

    tiny = build_tiny_model(tmp / "tiny")
    models = tmp / "models"
    models.mkdir()
    (models / "en-id").symlink_to(tiny.package_dir)
    settings.WARTA.values["translate.models_dir"] = str(models)
    server = LocalHTTPServer().start()
    try:
        feed = _serve_pages(server, N_ENTRIES)
        _run(1, feed)  # warm-up: model load, caches
        workers = settings.WARTA["pipeline.workers"]
        base = _run(1, feed)
        ours = _run(workers, feed)
    finally:
        server.stop()
    print(f"pipeline benchmark: {N_ENTRIES} entries (fetch, extract, translate, publish), "
          f"pages answer after {LATENCY * 1000:.0f} ms, SQLite WAL, tiny CT2 model; "
          f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"{'mode':<28}{'seconds':>10}{'entries/s':>12}{'ratio':>8}")
    print(f"{'1 worker (baseline)':<28}{base:>10.2f}{N_ENTRIES / base:>12.1f}{1.0:>8.2f}")
    print(f"{f'{workers} workers (default)':<28}{ours:>10.2f}{N_ENTRIES / ours:>12.1f}"
          f"{base / ours:>8.2f}")


if __name__ == "__main__":
    main()
