"""Search queries per second on N synthetic published posts in a fresh SQLite database
(or, with ``--database-url``, an empty database you name): warta's full-text search
against a naive baseline, every word ``icontains`` in the title or the body JSON, newest
first — what a site without a search index does.

    .venv/bin/python bench/bench_search.py [--posts N] [--queries Q] [--database-url URL]

Both sides return the first page (20 hits) and the total count for the same queries (one,
two and three words from the synthetic vocabulary, plus a word that matches nothing).
warta's side also ranks and builds the highlighted snippets, which the baseline does not.
Prints a table; the ratio is search / baseline.

A second table times the two parts of a search on their own, each next to what it replaced,
in the same run: ranking the first page in windows of the newest ``RANK_WINDOW`` matches
against ranking every match (the query warta ran before windows), and the count inside the
search's transaction against the same count outside it (on PostgreSQL the transaction turns
sequential scans off; on SQLite both are the same query).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
import time
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
COMMON = _VOCABULARY.split()
# a news archive's vocabulary is large and Zipf-distributed: most words are rare
RARE = [f"{w}{i}" for i, w in enumerate(COMMON * 200)]
PAGE = 20


def _setup_django(data_dir: str, database_url: str) -> None:
    os.environ["WARTA_DATA_DIR"] = data_dir
    # never the developer's database: a fresh SQLite file unless a URL is named
    os.environ["WARTA_DATABASE_URL"] = database_url or f"sqlite:///{data_dir}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "warta.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    # every query runs: the result cache (on with the page cache) would measure repeats
    settings.WARTA.values["site.cache_seconds"] = 0
    call_command("migrate", verbosity=0)


def _word(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return rng.choice(COMMON)
    # Zipf-like: rank r drawn with probability ~ 1/r
    return RARE[min(int(len(RARE) ** rng.random()) - 1, len(RARE) - 1)]


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(_word(rng) for _ in range(n)).capitalize() + "."


def _make_posts(n: int, seed: int = 11) -> None:
    from django.db import transaction

    from warta.newsroom.models import Article, Entry, Post, Source, Translation

    rng = random.Random(seed)
    source = Source.objects.create(name="NDTV", url="https://feeds.example.com/bench.xml")
    now = datetime.now(UTC)
    with transaction.atomic():
        for i in range(n):
            url = f"https://www.example.com/bench/{i}"
            title = _sentence(rng, 8)
            blocks = [{"type": "p", "text": _sentence(rng, 30)} for _ in range(6)]
            entry = Entry.objects.create(source=source, guid=url, url=url, title=title)
            article = Article.objects.create(entry=entry, url=url, title=title, text_hash=str(i))
            tr = Translation.objects.create(
                article=article, language="id", title=title, blocks=blocks, engine="bench"
            )
            Post.objects.create(
                entry=entry,
                translation=tr,
                slug=f"berita-{i}",
                published_at=now - timedelta(minutes=i),
                source_name="NDTV",
                original_url=url,
            )


QUERY_KINDS: dict[str, Callable[[random.Random], str]] = {
    "one common word": lambda rng: rng.choice(COMMON),
    "two common words": lambda rng: " ".join(rng.sample(COMMON, 2)),
    "one rarer word": lambda rng: rng.choice(RARE[10:300]),
    "common + rarer word": lambda rng: f"{rng.choice(COMMON)} {rng.choice(RARE[10:300])}",
    "no match": lambda rng: f"zzq{rng.randrange(10**6)}",
}


def _queries(kind: str, n: int) -> list[str]:
    rng = random.Random(kind)
    return [QUERY_KINDS[kind](rng) for _ in range(n)]


def _fts(text: str) -> int:
    from django.utils import timezone

    from warta.site.search import parse_query, search_guard, search_posts

    results = search_posts(parse_query({"q": text}), timezone.now())
    with search_guard():
        results.count()
        return len(results[0:PAGE])


def _naive(text: str) -> int:
    from django.db.models import Q, TextField
    from django.db.models.functions import Cast

    from warta.site.search import parse_terms
    from warta.site.views import published_posts

    qs = published_posts().annotate(body=Cast("translation__blocks", TextField()))
    for term in parse_terms(text):
        qs = qs.filter(Q(translation__title__icontains=term) | Q(body__icontains=term))
    qs.count()
    return len(list(qs[:PAGE]))


def _ranked_windows(text: str) -> list[tuple[int, float]]:
    from django.utils import timezone

    from warta.site.search import _backend, parse_query, search_guard

    with search_guard():
        return _backend().ranked_ids(parse_query({"q": text}), timezone.now(), 0, PAGE)


def _ranked_every_match(text: str) -> list[tuple[int, float]]:
    """The first page as warta ranked it before windows: every match scored, then sorted."""
    from django.db import connection
    from django.utils import timezone

    from warta.newsroom.models import Post
    from warta.site import search as s

    query, now, posts = s.parse_query({"q": text}), timezone.now(), Post._meta.db_table
    with s.search_guard(), connection.cursor() as cur:
        if connection.vendor == "sqlite":
            where, params = s._SQLite._where(query, now)
            cur.execute(
                f"SELECT s.rowid, bm25({s.TABLE}, 10.0, 1.0) AS score FROM {s.TABLE} AS s "
                f"CROSS JOIN {posts} AS p ON p.id = s.rowid WHERE {where} "
                "ORDER BY score, p.published_at DESC, p.id DESC LIMIT %s",
                (*params, PAGE),
            )
        else:
            sub, params = s._subquery(s.filtered_posts(query, now))
            cur.execute(
                f"SELECT s.post_id, ts_rank(s.document, q) AS score "
                f"FROM {s.TABLE} AS s JOIN {posts} AS p ON p.id = s.post_id, "
                "websearch_to_tsquery('simple', %s) AS q "
                f"WHERE s.document @@ q AND s.post_id IN ({sub}) "
                "ORDER BY score DESC, p.published_at DESC, p.id DESC LIMIT %s",
                (s._PostgreSQL._tsquery_text(query), *params, PAGE),
            )
        return list(cur.fetchall())


def _count_in_guard(text: str) -> int:
    from django.utils import timezone

    from warta.site.search import _backend, parse_query, search_guard

    with search_guard():
        return _backend().count(parse_query({"q": text}), timezone.now())


def _count_plain(text: str) -> int:
    from django.db import transaction
    from django.utils import timezone

    from warta.site.search import _backend, parse_query

    with transaction.atomic():
        return _backend().count(parse_query({"q": text}), timezone.now())


def _rate(fn: Callable[[str], Any], queries: list[str]) -> float:
    fn(queries[0])  # warm up
    start = time.perf_counter()
    for q in queries:
        fn(q)
    return len(queries) / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--posts", type=int, default=5000)
    ap.add_argument("--queries", type=int, default=50)
    ap.add_argument(
        "--database-url", default="", help="an empty database to fill (it keeps the posts)"
    )
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="warta-bench-search-") as data_dir:
        _setup_django(data_dir, args.database_url)
        from django.db import connection

        start = time.perf_counter()
        _make_posts(args.posts)
        build = time.perf_counter() - start
        if connection.vendor == "postgresql":
            # what autovacuum does to a table that grew by this much: statistics (without
            # them the planner guesses one visible post and tests @@ post by post) and the
            # GIN index's pending list merged
            with connection.cursor() as cur:
                cur.execute("VACUUM ANALYZE")
        print(
            f"warta search benchmark: {args.posts} posts (created and indexed in {build:.1f} s), "
            f"{args.queries} queries of each kind, Python {platform.python_version()}, "
            f"{connection.vendor}; both sides: total count + first page of {PAGE}"
        )
        head = f"{'index q/s':>10} {'ms':>7} {'icontains q/s':>14} {'ms':>7} {'ratio':>6}"
        print(f"{'query':<22} {head}")
        for kind in QUERY_KINDS:
            queries = _queries(kind, args.queries)
            # both sides must agree on whether anything is found
            for q in queries[:10]:
                assert (_fts(q) == 0) == (_naive(q) == 0), q
            fts, naive = _rate(_fts, queries), _rate(_naive, queries)
            print(
                f"{kind:<22} {fts:>10.0f} {1000 / fts:>7.2f} {naive:>14.0f} {1000 / naive:>7.2f}"
                f" {fts / naive:>6.1f}"
            )

        from warta.site.search import RANK_WINDOW

        print(
            f"\nthe parts, ms per query: first page ranked in windows of {RANK_WINDOW} vs every "
            "match ranked (before windows); count in the search's transaction vs outside it"
        )
        print(
            f"{'query':<22} {'windows':>8} {'every':>8} {'ratio':>6}   "
            f"{'count in':>8} {'outside':>8} {'ratio':>6}"
        )
        for kind in QUERY_KINDS:
            queries = _queries(kind, args.queries)
            for q in queries[:10]:  # the same hits when a window holds every match
                if _count_plain(q) <= RANK_WINDOW:
                    assert _ranked_windows(q) == [
                        (pk, abs(score)) for pk, score in _ranked_every_match(q)
                    ], q
            win, every = _rate(_ranked_windows, queries), _rate(_ranked_every_match, queries)
            guard, plain = _rate(_count_in_guard, queries), _rate(_count_plain, queries)
            print(
                f"{kind:<22} {1000 / win:>8.2f} {1000 / every:>8.2f} {win / every:>6.1f}   "
                f"{1000 / guard:>8.2f} {1000 / plain:>8.2f} {guard / plain:>6.1f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
