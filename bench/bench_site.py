"""Requests per second of the public article and home pages, with Django's test Client, on
N synthetic posts in a fresh SQLite database, against a baseline view that renders the same
template from a context computed once (no queries, no related-story scoring).

    .venv/bin/python bench/bench_site.py [--posts N] [--requests R]

Prints a table; the ratio (view / baseline) says what the database work and the
"Baca juga" scoring cost on top of template rendering and the middleware. "article (cold)"
clears the cache before every request, so it pays the full related-story scoring over the
200 most recent posts; "article (cached)" is the normal case.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
import time
import types
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

_VOCABULARY = """
presiden menteri pemerintah banjir gempa pemilu rupiah ekonomi saham pasar harga minyak
beras kereta bandara sekolah rumah sakit vaksin polisi militer rudal satelit kosmodrom
kriket sepak bola piala liga pelatih pemain gol hujan monsun kebakaran hutan asap parlemen
partai koalisi oposisi pengadilan hakim jaksa korupsi suap investasi pabrik mobil listrik
baterai nikel tambang ekspor impor pelabuhan kapal nelayan laut pulau gunung letusan
"""
WORDS = _VOCABULARY.split()


def _setup_django(data_dir: str) -> None:
    os.environ["WARTA_DATA_DIR"] = data_dir
    os.environ.setdefault("WARTA_ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "warta.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def _make_posts(n: int, seed: int = 7) -> None:
    from warta.newsroom.models import Article, Category, Entry, Post, Source, Translation

    rng = random.Random(seed)
    cats = [
        Category.objects.create(slug=s, name=s.title()) for s in ("dunia", "bisnis", "olahraga")
    ]
    source = Source.objects.create(name="NDTV", url="https://feeds.example.com/bench.xml")
    now = datetime.now(UTC)
    for i in range(n):
        url = f"https://www.example.com/bench/{i}"
        title = _sentence(rng, 8)
        blocks: list[dict[str, Any]] = [
            {"type": "p", "text": _sentence(rng, 30), "links": []} for _ in range(8)
        ]
        blocks.insert(3, {"type": "quote", "text": "“" + _sentence(rng, 15) + "”"})
        entry = Entry.objects.create(source=source, guid=url, url=url, title=title)
        article = Article.objects.create(entry=entry, url=url, title=title, text_hash=str(i))
        tr = Translation.objects.create(
            article=article,
            language="id",
            title=title,
            blocks=blocks,
            engine="bench",
            dateline="Jakarta",
            image={
                "src": f"https://img.example.com/{i}.jpg",
                "caption": "Foto (arsip)",
                "credit": "AFP",
            },
        )
        Post.objects.create(
            entry=entry,
            translation=tr,
            slug=f"berita-{i}",
            category=cats[i % 3],
            published_at=now - timedelta(minutes=i),
            source_name="NDTV",
            original_url=url,
        )


def _baseline_urlconf() -> types.ModuleType:
    """The real URLs plus two baseline views rendering the same templates from contexts
    computed once, before timing."""
    from django.core.paginator import Paginator
    from django.shortcuts import render
    from django.urls import include, path

    from warta.site import views

    post = views.published_posts().order_by("-published_at")[5]
    article_ctx = views.article_context(post)
    page = Paginator(list(views.published_posts()[:40]), 20).page(1)
    home_ctx = views.home_context(page)

    mod = types.ModuleType("bench_site_urls")
    mod.urlpatterns = [  # type: ignore[attr-defined]
        path("__base/article/", lambda r: render(r, "site/article.html", article_ctx)),
        path("__base/home/", lambda r: render(r, "site/home.html", home_ctx)),
        path("", include("warta.urls")),
    ]
    return mod


def _rate(fn: Callable[[], Any], requests: int) -> float:
    fn()  # warm up (template loading, first query)
    start = time.perf_counter()
    for _ in range(requests):
        fn()
    return requests / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--posts", type=int, default=500)
    ap.add_argument("--requests", type=int, default=300)
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="warta-bench-site-") as data_dir:
        _setup_django(data_dir)
        from django.core.cache import cache
        from django.test import Client, override_settings

        _make_posts(args.posts)
        client = Client()
        slug = "berita-5"

        def get(url: str, clear: bool = False) -> Callable[[], Any]:
            def call() -> Any:
                if clear:
                    cache.clear()
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code)
                return response

            return call

        with override_settings(ROOT_URLCONF=_baseline_urlconf()):
            rows = [
                ("article (cached)", get(f"/berita/{slug}/"), get("/__base/article/")),
                ("article (cold)", get(f"/berita/{slug}/", clear=True), get("/__base/article/")),
                ("home", get("/"), get("/__base/home/")),
            ]
            print(
                f"warta site benchmark: {args.posts} posts, {args.requests} requests each, "
                f"Python {platform.python_version()}, SQLite, Django test Client"
            )
            print(f"{'page':<18} {'view req/s':>11} {'baseline req/s':>15} {'ratio':>6}")
            for name, view, base in rows:
                requests = max(args.requests // 5, 10) if "cold" in name else args.requests
                v, b = _rate(view, requests), _rate(base, requests)
                print(f"{name:<18} {v:>11.0f} {b:>15.0f} {v / b:>6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
