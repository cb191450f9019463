"""Search (/cari/): the same results contract on SQLite FTS5 and PostgreSQL full text —
ranked, highlighted, filtered, paginated, kept in step with posts by signals, and no query
that errors the page. Run again on PostgreSQL by `make test` (dbmatrix)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.utils import timezone

from tests.test_site import make_post, parse, sel, text_of
from warta.newsroom.models import Category, Entry, Post, Source
from warta.site.search import (
    MAX_QUERY_CHARS,
    MAX_TERMS,
    SearchQuery,
    fts5_match,
    parse_query,
    parse_terms,
    rank_windows,
    rebuild_search_index,
    search_guard,
    search_posts,
)

pytestmark = pytest.mark.dbmatrix

REF_TIME = datetime(2023, 9, 9, 7, 5, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()


def p(text: str) -> list[dict[str, Any]]:
    return [{"type": "p", "text": text}]


def hits(client: Client, **params: Any) -> list[str]:
    """The result links (post URLs) of a search, in order."""
    response = client.get("/cari/", params)
    assert response.status_code == 200
    return [a.get("href") for a in sel(parse(response), "li.search-hit h2 a")]


def search(text: str, **filters: Any) -> list[Post]:
    query = parse_query({"q": text, **filters})
    return [h.post for h in search_posts(query, timezone.now())[0:100]]


# ------------------------------------------------------------------ the query, pure


def test_parse_terms_keeps_words_only():
    assert parse_terms('banjir "Jakarta" -utara') == ("banjir", "Jakarta", "utara")
    assert parse_terms("NEAR(gempa tsunami) OR gempa* ^x") == (
        "NEAR",
        "gempa",
        "tsunami",
        "OR",
        "x",
    )
    assert parse_terms("🌊 banjir\x00🔥 snake_case") == ("banjir", "snake", "case")
    assert parse_terms("((( )))") == ()
    assert len(parse_terms(" ".join(f"kata{i}" for i in range(50)))) == MAX_TERMS
    assert parse_terms("x" * 5000) == ("x" * 40,)
    assert parse_terms("Banjir banjir BANJIR") == ("Banjir",)


def test_fts5_match_quotes_every_term():
    assert fts5_match(("banjir", "OR", "NEAR")) == '"banjir" "OR" "NEAR"'


def test_parse_query_ignores_malformed_filters():
    q = parse_query({"q": "a" * 1000, "kategori": "x' OR 1=1", "sumber": "1e9", "dari": "kemarin"})
    assert len(q.text) == MAX_QUERY_CHARS
    assert q == SearchQuery(text=q.text, terms=q.terms)
    q = parse_query({"q": "x", "kategori": "dunia", "sumber": "7", "dari": "2023-09-01"})
    assert (q.category, q.source_id, q.date_from) == ("dunia", 7, datetime(2023, 9, 1).date())


# ------------------------------------------------------------------ results


@pytest.mark.django_db
def test_title_match_ranks_above_body_match(client: Client):
    body_only = make_post("Hujan deras di ibu kota", p("Banjir melanda Jakarta Utara."))
    in_title = make_post("Banjir besar di Semarang", p("Air naik setinggi dua meter."))
    make_post("Harga beras naik", p("Pasar ramai pembeli."))
    assert hits(client, q="banjir") == [in_title.get_absolute_url(), body_only.get_absolute_url()]


@pytest.mark.django_db
def test_every_word_must_match(client: Client):
    both = make_post("Gempa dan tsunami di Palu", p("Warga mengungsi."))
    make_post("Gempa kecil di Bandung", p("Tidak ada kerusakan."))
    assert hits(client, q="gempa tsunami") == [both.get_absolute_url()]


@pytest.mark.django_db
def test_snippet_highlights_words_and_escapes_the_text(client: Client):
    post = make_post(
        "Laporan cuaca",
        p("Warga <b>diminta</b> waspada karena banjir & longsor mengancam desa di lereng."),
    )
    response = client.get("/cari/", {"q": "banjir"})
    html = response.content.decode()
    assert "<b>diminta</b>" not in html and "&lt;b&gt;diminta&lt;/b&gt;" in html
    doc = parse(response)
    (hit,) = sel(doc, "li.search-hit")
    (snippet,) = sel(hit, "p.snippet")
    assert [text_of(m) for m in sel(snippet, "mark")] == ["banjir"]
    assert "banjir & longsor" in text_of(snippet)
    assert sel(hit, "h2 a")[0].get("href") == post.get_absolute_url()


@pytest.mark.django_db
def test_title_is_highlighted(client: Client):
    make_post("Banjir di Jakarta", p("Air naik."))
    (title,) = sel(parse(client.get("/cari/", {"q": "jakarta"})), "li.search-hit h2 a")
    assert [text_of(m) for m in sel(title, "mark")] == ["Jakarta"]
    assert text_of(title) == "Banjir di Jakarta"


@pytest.mark.django_db
def test_diacritics_and_case_are_ignored():
    post = make_post("Kafé baru di Bandung", p("Pengunjung antre sejak pagi."))
    assert search("KAFE") == [post]
    assert search("kafé") == [post]


@pytest.mark.django_db
def test_dateline_is_searchable():
    post = make_post("Pertemuan puncak", p("Para pemimpin bertemu."), dateline="Moskow, Rusia")
    assert search("moskow") == [post]


@pytest.mark.django_db
def test_filters_by_category_source_and_date(client: Client):
    world = Category.objects.create(slug="dunia", name="Dunia")
    sport = Category.objects.create(slug="olahraga", name="Olahraga")
    a = make_post("Pemilu di India", category=world, published_at=REF_TIME)
    b = make_post(
        "Pemilu klub sepak bola", category=sport, published_at=REF_TIME - timedelta(days=3)
    )
    c = make_post("Pemilu di Brasil", category=world, published_at=REF_TIME - timedelta(days=10))
    wire = Source.objects.create(name="Kantor Berita", url="https://wire.example.com/feed.xml")
    Entry.objects.filter(pk=c.entry_id).update(source=wire)

    assert set(hits(client, q="pemilu")) == {x.get_absolute_url() for x in (a, b, c)}
    assert hits(client, q="pemilu", kategori="olahraga") == [b.get_absolute_url()]
    assert hits(client, q="pemilu", sumber=wire.pk) == [c.get_absolute_url()]
    # dates are the site's (Jakarta) days, both ends inclusive: a is 9 Sept 14:05 WIB
    assert set(hits(client, q="pemilu", dari="2023-09-06", sampai="2023-09-09")) == {
        a.get_absolute_url(),
        b.get_absolute_url(),
    }
    assert set(hits(client, q="pemilu", sampai="2023-09-08")) == {
        b.get_absolute_url(),
        c.get_absolute_url(),
    }
    assert hits(client, q="pemilu", kategori="dunia", dari="2023-09-09") == [a.get_absolute_url()]
    doc = parse(client.get("/cari/", {"q": "pemilu", "kategori": "dunia"}))
    (selected,) = [o for o in sel(doc, "select option") if o.get("selected") is not None]
    assert selected.get("value") == "dunia"


@pytest.mark.django_db
def test_results_are_paginated_and_keep_the_query(client: Client, settings: Any):
    size = settings.WARTA["site.page_size"]
    posts = [
        make_post(f"Harga cabai naik {i}", published_at=REF_TIME - timedelta(minutes=i))
        for i in range(size + 5)
    ]
    first = client.get("/cari/", {"q": "cabai", "kategori": ""})
    doc = parse(first)
    assert len(sel(doc, "li.search-hit")) == size
    assert "Hasil untuk “cabai”: 25" in text_of(doc)
    (nxt,) = sel(doc, "nav.pagination a[rel='next']")
    assert "q=cabai" in nxt.get("href") and "page=2" in nxt.get("href")
    second = hits(client, q="cabai", page=2)
    # equal rank: newest first
    assert second == [x.get_absolute_url() for x in posts[size:]]
    assert client.get("/cari/", {"q": "cabai", "page": 3}).status_code == 404
    assert client.get("/cari/", {"q": "cabai", "page": "abc"}).status_code == 404
    assert client.get("/cari/", {"q": "cabai", "page": "9" * 40}).status_code == 404


def test_rank_windows_split_a_page_at_window_boundaries(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr("warta.site.search.RANK_WINDOW", 4)
    assert list(rank_windows(0, 4)) == [(0, 0, 4)]
    assert list(rank_windows(1, 2)) == [(0, 1, 2)]
    assert list(rank_windows(3, 3)) == [(0, 3, 1), (4, 0, 2)]
    assert list(rank_windows(2, 9)) == [(0, 2, 2), (4, 0, 4), (8, 0, 3)]
    assert list(rank_windows(8, 0)) == []


@pytest.mark.django_db
def test_matches_are_ranked_within_windows_of_the_newest(
    client: Client, settings: Any, monkeypatch: pytest.MonkeyPatch
):
    """Ten matches, windows of four: the newest four are ranked among themselves (title
    matches first, then newest first), then the next four, then the last two; pages that
    straddle a window boundary and the count see the same order."""
    monkeypatch.setattr("warta.site.search.RANK_WINDOW", 4)
    posts = [
        make_post(
            f"Harga cabai {i}" if i % 3 == 0 else f"Pasar pagi {i}",
            p("Pedagang bilang cabai naik lagi."),
            published_at=REF_TIME + timedelta(minutes=i),
        )
        for i in range(10)
    ]
    expected = [posts[i] for i in (9, 6, 8, 7, 3, 5, 4, 2, 0, 1)]
    assert search("cabai") == expected
    results = search_posts(parse_query({"q": "cabai"}), timezone.now())
    assert results.count() == 10
    assert [h.post for h in results[3:6]] == expected[3:6]
    assert [h.post for h in results[7:10]] == expected[7:10]
    monkeypatch.setitem(settings.WARTA.values, "site.page_size", 3)
    assert hits(client, q="cabai", page=2) == [x.get_absolute_url() for x in expected[3:6]]
    assert hits(client, q="cabai", page=4) == [expected[9].get_absolute_url()]


HOSTILE = [
    '"',
    '"banjir',
    'banjir"',
    "NEAR(banjir jakarta, 2)",
    "banjir*",
    "*",
    "-banjir",
    "banjir OR jakarta",
    "banjir AND NOT jakarta",
    "(((banjir",
    "banjir)))",
    "title:banjir",
    "^banjir",
    "{title body}: banjir",
    "banjir + jakarta",
    "' OR 1=1 --",
    "'; DROP TABLE site_public_search; --",
    "%",
    "_",
    "\\",
    "banjir\x00jakarta",
    "\x00",
    "🌊🌊🌊",
    "banjir 🌊 👨‍👩‍👧",
    "\ue000banjir\ue001",
    "\u202ebanjir",
    "banjir " * 1000,
    "x" * 5000,
    " ".join(f"kata{i}" for i in range(2000)),
    "<script>alert(1)</script>",
    "ｂａｎｊｉｒ",
]


@pytest.mark.django_db
@pytest.mark.parametrize("q", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_query_answers_200(client: Client, q: str):
    make_post("Banjir di Jakarta", p("Banjir melanda Jakarta Utara."))
    response = client.get("/cari/", {"q": q, "kategori": q[:50], "dari": q[:20], "sumber": q[:9]})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>alert" not in html
    assert "\x00" not in html


@pytest.mark.django_db
def test_operators_are_plain_words(client: Client):
    post = make_post("Banjir di Jakarta", p("Banjir melanda Jakarta Utara."))
    assert hits(client, q='"banjir') == [post.get_absolute_url()]
    assert hits(client, q="-banjir") == [post.get_absolute_url()]  # not "without banjir"
    assert hits(client, q="(banjir) jakarta*") == [post.get_absolute_url()]
    assert hits(client, q="ｂａｎｊｉｒ") == [post.get_absolute_url()]  # full-width letters
    assert hits(client, q="banjir OR semarang") == []  # "or" is a word, and required


@pytest.mark.django_db
def test_empty_and_wordless_queries_show_the_form(client: Client):
    make_post("Banjir di Jakarta")
    doc = parse(client.get("/cari/"))
    assert sel(doc, "main form.search-form input[name='q']")
    assert not sel(doc, "li.search-hit") and not sel(doc, ".search-summary")
    doc = parse(client.get("/cari/", {"q": "🌊 !!"}))
    assert "Ketik satu kata atau lebih" in text_of(doc)


@pytest.mark.django_db
def test_no_results_says_so(client: Client):
    make_post("Banjir di Jakarta")
    doc = parse(client.get("/cari/", {"q": "gempa"}))
    assert "Tidak ada berita yang cocok" in text_of(doc)
    assert "Hasil untuk “gempa”: 0" in text_of(doc)


# ------------------------------------------------------------------ the index follows posts


@pytest.mark.django_db
def test_killed_post_disappears_at_once(client: Client):
    post = make_post("Berita banjir yang ditarik")
    assert hits(client, q="banjir") == [post.get_absolute_url()]
    post.status = Post.Status.KILLED
    post.save()
    assert hits(client, q="banjir") == []
    post.status = Post.Status.PUBLISHED
    post.save()
    assert hits(client, q="banjir") == [post.get_absolute_url()]
    # a bulk update sends no signal: the query's own visibility filter still hides it
    Post.objects.filter(pk=post.pk).update(status=Post.Status.KILLED)
    assert hits(client, q="banjir") == []


@pytest.mark.django_db
def test_deleted_post_leaves_the_index():
    post = make_post("Banjir di Jakarta")
    Post.objects.filter(pk=post.pk).first().delete()  # type: ignore[union-attr]
    assert search("banjir") == []
    assert rebuild_search_index() == 0


@pytest.mark.django_db
def test_edited_translation_is_reindexed():
    post = make_post("Banjir di Jakarta", p("Air naik."))
    tr = post.translation
    tr.title = "Gempa di Bandung"
    tr.blocks = p("Warga panik.")
    tr.save()
    assert search("banjir") == []
    assert search("gempa panik") == [post]


@pytest.mark.django_db
def test_scheduled_post_is_found_only_when_due():
    later = make_post("Banjir terjadwal", published_at=datetime.now(UTC) + timedelta(hours=1))
    assert search("banjir") == []
    found = search_posts(parse_query({"q": "banjir"}), timezone.now() + timedelta(hours=2))
    assert [h.post for h in found[0:10]] == [later]


@pytest.mark.django_db
def test_rebuild_search_index_restores_a_lost_index():
    a = make_post("Banjir di Jakarta")
    make_post("Banjir ditarik", status=Post.Status.KILLED)
    with connection.cursor() as cur:
        cur.execute("DELETE FROM site_public_search")
    assert search("banjir") == []
    assert rebuild_search_index() == 1
    assert search("banjir") == [a]
    assert rebuild_search_index() == 1  # idempotent
    assert search("banjir") == [a]


@pytest.mark.django_db
def test_search_form_in_header_is_plain_get(client: Client):
    make_post("Banjir di Jakarta")
    for url in ("/", "/cari/?q=banjir"):
        doc = parse(client.get(url))
        (form,) = sel(doc, "header.masthead form.site-search")
        assert form.get("action") == "/cari/" and form.get("method") == "get"
        (field,) = sel(form, "input[name='q']")
        assert sel(doc, f"label[for='{field.get('id')}']")
        assert sel(form, "button[type='submit']")


@pytest.mark.django_db
def test_search_page_is_not_indexed_by_robots(client: Client):
    response = client.get("/cari/", {"q": "banjir"})
    assert response["X-Robots-Tag"] == "noindex"
    assert sel(parse(response), "meta[name='robots']")[0].get("content") == "noindex, follow"


@pytest.mark.django_db
def test_query_count_does_not_grow_with_results(client: Client, django_assert_max_num_queries):
    cat = Category.objects.create(slug="dunia", name="Dunia")
    for i in range(15):
        make_post(f"Banjir nomor {i}", category=cat)
    with django_assert_max_num_queries(12):
        assert client.get("/cari/", {"q": "banjir"}).status_code == 200


@pytest.mark.django_db
def test_a_search_the_database_cancels_still_answers_200(client: Client, monkeypatch):
    """PostgreSQL cancels a search after PG_STATEMENT_TIMEOUT_MS; the reader gets a page."""
    from django.db import OperationalError

    from warta.site import search_page

    class Cancelled:
        def count(self) -> int:
            raise OperationalError("canceling statement due to statement timeout")

    monkeypatch.setattr(search_page, "search_posts", lambda query, now: Cancelled())
    response = client.get("/cari/", {"q": "banjir"})
    assert response.status_code == 200
    assert "Pencarian terlalu lama" in text_of(parse(response))


@pytest.mark.django_db(transaction=True)  # the guard's transaction is the outermost, as served
def test_postgresql_counts_a_common_word_from_the_gin_index():
    """Inside the search's transaction PostgreSQL answers ``@@`` from the GIN index, not by
    testing every stored document (what its planner chose for a word in most stories:
    ~9x slower at 10,000 stories, docs/BENCHMARKS.md); outside it, nothing changed."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's planner (`make test` runs this on PostgreSQL)")
    for i in range(30):
        make_post(f"Banjir di kota {i}", p("Banjir lagi."))
    sql = ("EXPLAIN SELECT count(*) FROM site_public_search "
           "WHERE document @@ websearch_to_tsquery('simple', 'banjir')")
    with connection.cursor() as cur:
        cur.execute("ANALYZE site_public_search")
        cur.execute(sql)
        assert "Seq Scan" in "\n".join(r[0] for r in cur.fetchall())  # 30 rows: cheapest
        with search_guard():
            cur.execute(sql)
            plan = "\n".join(r[0] for r in cur.fetchall())
            cur.execute("SHOW statement_timeout")
            assert cur.fetchone()[0] == "2s"
        assert "Bitmap Index Scan on site_public_search_document" in plan, plan
        cur.execute("SHOW enable_seqscan")
        assert cur.fetchone()[0] == "on"


@pytest.mark.django_db
def test_a_rebuild_leaves_postgresql_with_statistics_of_the_new_rows():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's statistics (`make test` runs this on PostgreSQL)")
    for i in range(30):
        make_post(f"Banjir di kota {i}")

    def estimated_rows() -> float:
        with connection.cursor() as cur:
            cur.execute("SELECT reltuples FROM pg_class WHERE relname = 'site_public_search'")
            return float(cur.fetchone()[0])

    assert estimated_rows() != 30  # the signals indexed them; nothing analysed them yet
    assert rebuild_search_index() == 30
    assert estimated_rows() == 30


# ------------------------------------------------------------------ the result cache


@pytest.fixture
def result_cache_on() -> Iterator[None]:
    """The page cache on, as in production (the suite turns it off), and with it the
    search result cache; the safety net off, so that only signals invalidate."""
    from django.conf import settings

    from warta.site import cache as page_cache
    from warta.site.search import clear_result_cache

    values: dict[str, Any] = settings.WARTA.values
    saved = {k: values.get(k) for k in ("site.cache_seconds", "site.cache_check_seconds")}
    values["site.cache_seconds"] = 600
    values["site.cache_check_seconds"] = 1e9
    page_cache._versions().clear()
    page_cache.check_fingerprint(force=True)
    clear_result_cache()
    yield
    values.update(saved)
    clear_result_cache()


def _drop_from_index(post: Post) -> None:
    """Take ``post`` out of the index behind every signal's back."""
    from warta.site.search import _backend

    _backend().delete(post.pk)


@pytest.mark.django_db
def test_a_repeated_search_is_served_from_the_result_cache(client: Client, result_cache_on: None):
    post = make_post("Banjir di Jakarta", category=Category.objects.create(slug="dunia", name="D"))
    assert hits(client, q="banjir") == [post.get_absolute_url()]
    _drop_from_index(post)
    # no full-text query ran: the cached ranking still has the post
    assert hits(client, q="banjir") == [post.get_absolute_url()]
    assert hits(client, q="banjir  banjir!") == [post.get_absolute_url()]  # same terms
    # other filters: another query, which runs and no longer finds it
    assert hits(client, q="banjir", kategori="dunia") == []


@pytest.mark.django_db
def test_result_cache_is_invalidated_by_publishing_and_killing(
    client: Client, result_cache_on: None
):
    first = make_post("Banjir di Jakarta")
    assert hits(client, q="banjir") == [first.get_absolute_url()]
    _drop_from_index(first)
    second = make_post("Banjir bandang di Bogor")  # published: every cached result is old
    assert hits(client, q="banjir") == [second.get_absolute_url()]
    second.status = Post.Status.KILLED
    second.save()
    assert hits(client, q="banjir") == []


@pytest.mark.django_db
def test_bulk_killed_post_leaves_cached_results_at_once(client: Client, result_cache_on: None):
    post = make_post("Gempa di Palu")
    other = make_post("Gempa susulan di Palu")
    assert set(hits(client, q="gempa")) == {post.get_absolute_url(), other.get_absolute_url()}
    # no signal, and the safety net is off: the cached ranking still names it, but the
    # posts of a page are read fresh, visible ones only
    Post.objects.filter(pk=post.pk).update(status=Post.Status.KILLED)
    assert hits(client, q="gempa") == [other.get_absolute_url()]


# ------------------------------------------------------------------ the search page cache


@pytest.mark.django_db
def test_a_repeated_search_page_is_served_as_bytes(
    client: Client, result_cache_on: None, django_assert_max_num_queries
):
    cat = Category.objects.create(slug="dunia", name="Dunia")
    for i in range(12):
        make_post(f"Banjir nomor {i}", category=cat)
    first = client.get("/cari/", {"q": "banjir", "page": "1"})
    assert first.status_code == 200
    # one query (the shown stories still visible), no search, no template
    with django_assert_max_num_queries(1):
        again = client.get("/cari/", {"q": "banjir", "page": "1"})
    assert again.content == first.content
    assert again["X-Robots-Tag"] == "noindex"
    assert again["Content-Type"] == first["Content-Type"]
    # a HEAD (link checkers, monitors) is answered from the kept page too, without a body
    with django_assert_max_num_queries(1):
        head = client.head("/cari/", {"q": "banjir", "page": "1"})
    assert head.status_code == 200 and head["X-Cache"] == "hit" and head.content == b""
    assert head["Content-Length"] == str(len(first.content))
    # the text as typed is part of the page (the form shows it): another entry
    other = client.get("/cari/", {"q": "banjir!", "page": "1"})
    assert b'value="banjir!"' in other.content


@pytest.mark.django_db
def test_search_page_cache_follows_changes(client: Client, result_cache_on: None):
    post = make_post("Gempa di Palu")
    assert hits(client, q="gempa") == [post.get_absolute_url()]
    edited = post.translation
    edited.title = "Gempa besar di Palu"
    edited.save()  # a signal: the site's content version moves
    assert text_of(parse(client.get("/cari/", {"q": "gempa"}))).count("Gempa besar") == 1
    Post.objects.filter(pk=post.pk).update(status=Post.Status.KILLED)  # no signal
    assert hits(client, q="gempa") == []


@pytest.mark.django_db
def test_a_failed_search_page_is_not_kept(client: Client, result_cache_on: None, monkeypatch):
    from django.db import OperationalError

    from warta.site import search_page

    class Cancelled:
        def count(self) -> int:
            raise OperationalError("canceling statement due to statement timeout")

    post = make_post("Banjir di Jakarta")
    with monkeypatch.context() as patched:
        patched.setattr(search_page, "search_posts", lambda query, now: Cancelled())
        assert "Pencarian terlalu lama" in text_of(parse(client.get("/cari/", {"q": "banjir"})))
    assert hits(client, q="banjir") == [post.get_absolute_url()]


@pytest.mark.django_db
def test_search_page_cache_is_bounded_by_bytes(result_cache_on: None) -> None:
    from warta.site.search import CachedPage, PageCache

    cache_ = PageCache(max_bytes=10_000, max_entry_bytes=4_000)
    for i in range(5):
        cache_.put(f"k{i}", "v1", CachedPage(b"x" * 2_000, (), ()))
    assert cache_.bytes <= 10_000
    assert cache_.get("k0", "v1") is None  # least recently used went first
    assert cache_.get("k4", "v1") is not None
    assert cache_.get("k4", "v2") is None  # another content version: stale, dropped
    assert cache_.get("k4", "v1") is None
    cache_.put("big", "v1", CachedPage(b"x" * 5_000, (), ()))  # over the entry limit
    assert cache_.get("big", "v1") is None
    cache_.clear()
    assert cache_.bytes == 0 and len(cache_) == 0


@pytest.mark.django_db
def test_searches_do_not_evict_pages_from_the_page_cache(client: Client, result_cache_on: None):
    from warta.site.cache import clear_page_cache

    clear_page_cache()
    post = make_post("Banjir di Jakarta")
    assert client.get(post.get_absolute_url())["X-Cache"] == "miss"
    for i in range(50):
        client.get("/cari/", {"q": f"banjir kata{i}"})
    assert client.get(post.get_absolute_url())["X-Cache"] == "hit"


@pytest.mark.django_db
def test_search_form_choices_follow_new_sections_and_sources(
    client: Client, result_cache_on: None
):
    """The section and source choices are kept with the results, and change with them."""
    make_post("Banjir di Jakarta", category=Category.objects.create(slug="dunia", name="Dunia"))
    choices = "select[id='search-kategori'] option"
    page = parse(client.get("/cari/", {"q": "gempa"}))
    assert [o.get("value") for o in sel(page, choices)] == ["", "dunia"]
    olahraga = Category.objects.create(slug="olahraga", name="Olahraga")
    make_post("Gempa di Palu", category=olahraga)
    page = parse(client.get("/cari/", {"q": "gempa"}))
    assert "olahraga" in [o.get("value") for o in sel(page, choices)]
    assert "olahraga" in [a.get("href").strip("/").split("/")[-1] for a in sel(page, "nav a")]


@pytest.mark.django_db
def test_a_kept_search_page_is_served_before_the_rest_of_the_middleware(
    client: Client, result_cache_on: None, monkeypatch: pytest.MonkeyPatch
):
    """A hit is answered by the page-cache middleware: the middleware below it (sessions,
    CSRF, auth, the CSP header's) does not run, yet the page has every header it gave."""
    from warta.site.middleware import ContentSecurityPolicyMiddleware

    make_post("Banjir di Jakarta")
    first = client.get("/cari/", {"q": "banjir"})
    assert first["X-Cache"] == "miss"
    below = ContentSecurityPolicyMiddleware.__call__
    calls: list[str] = []

    def counting(self: Any, request: Any) -> Any:
        calls.append(request.path)
        return below(self, request)

    monkeypatch.setattr(ContentSecurityPolicyMiddleware, "__call__", counting)
    again = client.get("/cari/", {"q": "banjir"})
    assert calls == []
    assert again["X-Cache"] == "hit"
    assert again.content == first.content
    for header in ("Content-Security-Policy", "X-Frame-Options", "X-Robots-Tag", "ETag",
                   "Content-Type", "Cache-Control"):
        assert again[header] == first[header], header
    assert again["Content-Length"] == str(len(first.content))
    # a conditional GET still gets its 304, from the same place
    same = client.get("/cari/", {"q": "banjir"}, HTTP_IF_NONE_MATCH=first["ETag"])
    assert same.status_code == 304 and same["ETag"] == first["ETag"]
    assert calls == []
    # another query is rendered by the whole stack
    client.get("/cari/", {"q": "jakarta"})
    assert calls == ["/cari/"]


@pytest.mark.django_db(transaction=True)
def test_a_kept_search_page_checks_kills_on_the_threads_own_connection(
    client: Client, result_cache_on: None, django_assert_num_queries
):
    """Between requests Django's connection is closed (``CONN_MAX_AGE = 0`` on SQLite); a
    hit checks its stories on a connection the thread keeps, not on Django's (opening it
    cost more than the rest of the hit), and still sees a bulk kill committed by another
    connection at once."""
    from warta.site import search as search_module

    if connection.vendor != "sqlite":
        pytest.skip("the kept connection is SQLite's")
    post = make_post("Gempa di Palu")
    other = make_post("Gempa susulan di Palu")
    both = {post.get_absolute_url(), other.get_absolute_url()}
    assert set(hits(client, q="gempa")) == both
    with django_assert_num_queries(0):  # Django's connection is not used
        assert set(hits(client, q="gempa")) == both
    kept = search_module._kill_check_db.conn
    assert kept is not None
    Post.objects.filter(pk=post.pk).update(status=Post.Status.KILLED)  # no signal
    # the kept connection sees it: the page is not served, the results render again
    assert hits(client, q="gempa") == [other.get_absolute_url()]
    assert search_module._kill_check_db.conn is kept
