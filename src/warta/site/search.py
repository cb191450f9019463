"""Full-text search over published posts: SQLite FTS5 by default, PostgreSQL full text in
production, one results contract on both.

The index is a table of its own (``site_public_search``, created by this app's migration):
one row per published post (title, and the body text: dateline and block text), keyed by
the post's id. Signals keep it in step: a post saved as published is (re)indexed, a killed
or deleted post leaves it, an edited translation re-indexes its post. Queries still join the
posts table and keep only visible posts (published, and due), so a story killed by a bulk
``update()`` that sends no signal, or scheduled for later, never shows up either.
:func:`rebuild_search_index` rebuilds the whole index from the posts (idempotent).

A reader's query is never handed to the database's query language: :func:`parse_query`
keeps only its words (letters and digits), at most :data:`MAX_TERMS` of them from the
first :data:`MAX_QUERY_CHARS` characters, and each becomes a quoted term; all must match
(AND). Operators, quotes, ``NEAR``, ``*``, ``-``, parentheses, NUL bytes and emoji are
dropped, so no query can fail to parse or cost more than a few term look-ups.

Results: ranked by bm25 (SQLite, title weighted 10× the body) or ``ts_rank`` (PostgreSQL,
title weight A, body B), newest first among equals, within windows of recency: the newest
:data:`RANK_WINDOW` matching stories are ranked first, then the next :data:`RANK_WINDOW`,
and so on (see :func:`rank_windows`), so what a search costs is bounded by the window,
not by how much of the archive a common word matches. Each hit has its title and a body
snippet as HTML, the text escaped and the matched words in ``<mark>``.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from time import monotonic
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import QuerySet
from django.db.models.signals import post_delete, post_save
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from warta.newsroom.models import Post, Translation
from warta.site.cache import content_version, page_cache_seconds
from warta.site.render import blocks_text, clean_text, site_zone

TABLE = "site_public_search"
MAX_QUERY_CHARS = 200
MAX_TERMS = 8
MAX_TERM_CHARS = 40
SNIPPET_TOKENS = 30
# Matches are ranked this many at a time, newest first (by post id: the order posts were made
# in, the order of publication but for posts scheduled ahead; the index walks it without a
# sort): ranking is what a search costs per match (bm25 reads each match's hits
# and column sizes), so a word found in every story of a 100,000-story archive costs what
# one in 1,000 stories does, and a reader sees the best of the recent stories first.
RANK_WINDOW = 1000
# PostgreSQL stops a search that runs longer than this (milliseconds); SQLite needs no such
# guard: a sanitised query is a handful of term look-ups.
PG_STATEMENT_TIMEOUT_MS = 2000

# Highlight markers the database puts around matched words: private-use characters, removed
# from everything indexed, so the text can be escaped first and the markers turned into
# <mark> afterwards (stored text can never open or close a <mark> itself).
_START, _STOP = "\ue000", "\ue001"
_MARKERS = re.compile(f"[{_START}{_STOP}]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_WORD = re.compile(r"\w+")


# ---------------------------------------------------------------------------- the query


@dataclass(frozen=True)
class SearchQuery:
    """What a reader asked for. ``terms`` are plain words (never query syntax); the date
    range is inclusive, in the site's time zone."""

    text: str = ""
    terms: tuple[str, ...] = ()
    category: str = ""
    source_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None

    @property
    def has_filters(self) -> bool:
        return bool(self.category or self.source_id or self.date_from or self.date_to)


def fold(text: str) -> str:
    """Lower case, compatibility-normalised, without diacritics ("Café" → "cafe"): what
    FTS5's ``unicode61 remove_diacritics 2`` does, for the PostgreSQL side."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def parse_terms(text: str) -> tuple[str, ...]:
    """The searchable words of ``text``: at most ``MAX_TERMS`` distinct words (letters and
    digits; ``_`` splits words as the index's tokenizer does) from its first
    ``MAX_QUERY_CHARS`` characters, each cut to ``MAX_TERM_CHARS``. Never raises."""
    text = unicodedata.normalize("NFKC", text[:MAX_QUERY_CHARS])
    terms: list[str] = []
    for word in _WORD.findall(text.replace("_", " ")):
        word = word[:MAX_TERM_CHARS]
        if word.casefold() not in (t.casefold() for t in terms):
            terms.append(word)
        if len(terms) >= MAX_TERMS:
            break
    return tuple(terms)


def _parse_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()[:10]) if value else None
    except ValueError:
        return None


def parse_query(params: Mapping[str, str]) -> SearchQuery:
    """A :class:`SearchQuery` from request parameters ``q``, ``kategori`` (category slug),
    ``sumber`` (source id), ``dari`` and ``sampai`` (``YYYY-MM-DD``). A malformed filter is
    ignored, never an error."""
    text = str(params.get("q") or "")[:MAX_QUERY_CHARS]
    text = _CONTROL.sub(" ", _MARKERS.sub("", text)).strip()
    category = str(params.get("kategori") or "").strip()
    if not re.fullmatch(r"[-a-zA-Z0-9_]{1,100}", category):
        category = ""
    source = str(params.get("sumber") or "").strip()
    source_id = int(source) if source.isascii() and source.isdigit() and len(source) < 12 else None
    return SearchQuery(
        text=text,
        terms=parse_terms(text),
        category=category,
        source_id=source_id,
        date_from=_parse_date(str(params.get("dari") or "")),
        date_to=_parse_date(str(params.get("sampai") or "")),
    )


def fts5_match(terms: Sequence[str]) -> str:
    """An FTS5 MATCH expression: every term a quoted string (so none is an operator),
    all required."""
    return " ".join('"' + t.replace('"', '""') + '"' for t in terms)


def rank_windows(offset: int, limit: int) -> Iterator[tuple[int, int, int]]:
    """The slices of rank windows that results ``[offset, offset + limit)`` fall in, as
    ``(window start, offset in the window, how many)``: results are ranked within windows of
    :data:`RANK_WINDOW` matches (newest first), so a page lies in one window or, where it
    straddles a boundary, two."""
    end = offset + limit
    while offset < end:
        start = offset - offset % RANK_WINDOW
        take = min(end, start + RANK_WINDOW) - offset
        yield start, offset - start, take
        offset += take


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(site_zone()))


def filtered_posts(query: SearchQuery, now: datetime) -> QuerySet[Post]:
    """The visible posts the filters allow (what a hit must be one of)."""
    qs = Post.objects.filter(status=Post.Status.PUBLISHED, published_at__lte=now)
    if query.category:
        qs = qs.filter(category__slug=query.category)
    if query.source_id is not None:
        qs = qs.filter(entry__source_id=query.source_id)
    if query.date_from:
        qs = qs.filter(published_at__gte=_local_midnight(query.date_from))
    if query.date_to and query.date_to < date.max:
        qs = qs.filter(published_at__lt=_local_midnight(query.date_to + timedelta(days=1)))
    return qs


# ---------------------------------------------------------------------------- results


@dataclass
class SearchHit:
    post: Post
    title_html: SafeString
    snippet_html: SafeString
    rank: float


def escape_text(text: str) -> str:
    """``&``, ``<`` and ``>`` as entities: all that text content needs."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def highlight_html(marked: str, *, escaped: bool = False) -> SafeString:
    """Database output with marker characters → HTML with ``<mark>`` elements; the text is
    escaped here unless the index already stored it escaped (``escaped``)."""
    text = marked if escaped else escape_text(marked)
    out = text.replace(_START, "<mark>").replace(_STOP, "</mark>")
    if out.count("<mark>") != out.count("</mark>"):  # cannot happen; never emit broken HTML
        out = _MARKERS.sub("", text)
    return mark_safe(out)


class SearchResults:
    """The hits for a query, lazily, for Django's ``Paginator``: ``count()`` is one query,
    a slice is two (ranked ids, then their snippets) plus one for the posts. Counts and
    ranked ids come from the result cache when the page cache is on (see
    :class:`_ResultCache`); the posts are always read fresh, visible ones only."""

    def __init__(self, query: SearchQuery, now: datetime) -> None:
        self.query = query
        self.now = now
        self._count: int | None = None
        self._backend = _backend()

    def _key(self, *extra: Any) -> tuple[Any, ...]:
        q = self.query
        return (connection.vendor, q.terms, q.category, q.source_id, q.date_from, q.date_to, *extra)

    def count(self) -> int:
        if self._count is None:
            if not self.query.terms:
                self._count = 0
            else:
                self._count = _results.get_or_compute(
                    self._key("count"), lambda: self._backend.count(self.query, self.now)
                )
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[SearchHit]:
        if not isinstance(index, slice):
            raise TypeError("SearchResults supports slices only")
        start, stop = index.start or 0, index.stop
        if not self.query.terms or stop is None or stop <= start:
            return []
        ranked = _results.get_or_compute(
            self._key("ranked", start, stop),
            lambda: self._backend.ranked_ids(self.query, self.now, start, stop - start),
        )
        if not ranked:
            return []
        ids = [pk for pk, _ in ranked]
        marked = self._backend.highlights(self.query, ids)
        # visible ones only: cached ids may name a post killed since (by a bulk update
        # the safety net has not seen yet)
        posts = (
            Post.objects.filter(status=Post.Status.PUBLISHED, published_at__lte=self.now)
            .select_related("translation", "category")
            .defer("translation__blocks", "translation__image")
            .in_bulk(ids)
        )
        hits = []
        for pk, rank in ranked:
            post = posts.get(pk)
            if post is None:
                continue
            default = (escape(post.translation.title), mark_safe(""))
            title, snippet = marked.get(pk, default)
            # bidi controls are not markup: removing them keeps the HTML safe
            title, snippet = mark_safe(clean_text(title)), mark_safe(clean_text(snippet))
            hits.append(SearchHit(post, title, snippet, rank))
        return hits


_T = TypeVar("_T")


class _ResultCache:
    """Counts and ranked ids of recent searches, in this process: a popular query costs
    its full-text work once per change to the site, not once per reader. An entry is
    served while :func:`~warta.site.cache.content_version` is what it was when the entry
    was computed (no story, category, tag or source changed since; the page cache's own
    invalidation signal) and for at most ``site.cache_seconds``; off with the page cache.
    Keyed by the parsed terms and filters (never the raw text: ``banjir  jakarta!`` and
    ``banjir jakarta`` are one entry). At most ``size`` entries, least recently used out
    first. Thread-safe."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[tuple[Any, ...], tuple[str, float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_compute(self, key: tuple[Any, ...], compute: Callable[[], _T]) -> _T:
        version = content_version()
        if version is None:
            return compute()
        now = monotonic()
        with self._lock:
            hit = self._data.get(key)
            if hit is not None and hit[0] == version and hit[1] > now:
                self._data.move_to_end(key)
                return cast(_T, hit[2])
        value = compute()  # outside the lock: other searches go on meanwhile
        with self._lock:
            self._data[key] = (version, now + page_cache_seconds(), value)
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


RESULT_CACHE_ENTRIES = 512
_results = _ResultCache(RESULT_CACHE_ENTRIES)


@dataclass(frozen=True)
class CachedPage:
    """A rendered search page as :class:`PageCache` keeps it: the response's bytes and
    headers, and the ids of the posts it shows (checked visible before it is served)."""

    body: bytes
    headers: tuple[tuple[str, str], ...]
    post_ids: tuple[int, ...]

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers) + 256


class PageCache:
    """Whole search pages of recent searches, in this process, bounded by bytes (at most
    ``max_bytes`` of pages; a page bigger than ``max_entry_bytes`` is not kept), least
    recently used out first. Served on the same terms as :class:`_ResultCache`: while
    :func:`~warta.site.cache.content_version` is unchanged and for at most
    ``site.cache_seconds``; the caller passes the version it read *before* rendering, so a
    change during the render leaves the entry stale. Separate from the page cache on
    purpose: readers' random queries must not push articles out of it. Thread-safe."""

    def __init__(self, max_bytes: int, max_entry_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.max_entry_bytes = max_entry_bytes
        self.bytes = 0
        self._data: OrderedDict[str, tuple[str, float, CachedPage]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, version: str) -> CachedPage | None:
        now = monotonic()
        with self._lock:
            hit = self._data.get(key)
            if hit is None:
                return None
            if hit[0] != version or hit[1] <= now:
                self._drop(key)
                return None
            self._data.move_to_end(key)
            return hit[2]

    def put(self, key: str, version: str, page: CachedPage) -> None:
        size = page.size
        if size > self.max_entry_bytes or size > self.max_bytes:
            return
        with self._lock:
            if key in self._data:
                self._drop(key)
            self._data[key] = (version, monotonic() + page_cache_seconds(), page)
            self.bytes += size
            while self.bytes > self.max_bytes:
                self._drop(next(iter(self._data)))

    def peek(self, key: str, version: str) -> tuple[CachedPage, float] | None:
        """The page kept under ``key`` for ``version`` and its seconds left, without
        touching its place in the order."""
        with self._lock:
            hit = self._data.get(key)
        if hit is None or hit[0] != version:
            return None
        left = hit[1] - monotonic()
        return (hit[2], left) if left > 0 else None

    def discard(self, key: str) -> None:
        with self._lock:
            if key in self._data:
                self._drop(key)

    def _drop(self, key: str) -> None:  # with the lock held
        self.bytes -= self._data.pop(key)[2].size

    def __len__(self) -> int:
        return len(self._data)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self.bytes = 0


PAGE_CACHE_BYTES = 8 * 1024 * 1024
PAGE_CACHE_ENTRY_BYTES = 256 * 1024
pages = PageCache(PAGE_CACHE_BYTES, PAGE_CACHE_ENTRY_BYTES)


class _KillCheckDB(threading.local):
    """This thread's own SQLite connection for :func:`visible_count`, kept open between
    requests: Django closes its connection after every request (``CONN_MAX_AGE = 0`` on
    SQLite), and opening one (functions registered, PRAGMAs run) cost more than the rest
    of a kept search page. Autocommit, so every query sees the latest commit."""

    conn: sqlite3.Connection | None = None
    name: str = ""


_kill_check_db = _KillCheckDB()


def _own_sqlite() -> sqlite3.Connection | None:
    """The thread's kept connection, when the query should use it: SQLite, and Django's
    connection for this thread not inside a transaction (one that is sees what it wrote
    itself: it answers then)."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        return None
    name = str(connection.settings_dict["NAME"])
    if not name or name == ":memory:" or ("mode=memory" in name and "cache=shared" not in name):
        return None  # a private in-memory database: another connection would not see it
    db = _kill_check_db
    if db.conn is None or db.name != name:
        if db.conn is not None:
            db.conn.close()
        db.conn = sqlite3.connect(name, timeout=30, isolation_level=None, uri=True)
        db.name = name
    return db.conn


def visible_count(ids: Sequence[int], now: datetime) -> int:
    """How many of the posts ``ids`` are visible now (one primary-key query, written out:
    it is most of what a kept search page costs, and the ORM would double that). On
    SQLite, outside a transaction, on the thread's kept connection (:class:`_KillCheckDB`)."""
    if not ids:
        return 0
    placeholders = ", ".join(["%s"] * len(ids))
    sql = (
        f"SELECT count(*) FROM {Post._meta.db_table} WHERE id IN ({placeholders}) "
        "AND status = %s AND published_at <= %s"
    )
    params = (*ids, Post.Status.PUBLISHED, connection.ops.adapt_datetimefield_value(now))
    own = _own_sqlite()
    if own is not None:
        try:
            return int(own.execute(sql.replace("%s", "?"), params).fetchone()[0])
        except sqlite3.Error:
            own.close()  # opened again on the next check; this one asks Django's
            _kill_check_db.conn = None
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return int(cur.fetchone()[0])


def remembered(key: tuple[Any, ...], compute: Callable[[], _T]) -> _T:
    """``compute()``, kept in the result cache under ``key`` (with the database vendor) on
    its terms: for what a search page shows besides its results."""
    return _results.get_or_compute((connection.vendor, *key), compute)


def clear_result_cache() -> None:
    """Forget every cached search result and search page of this process."""
    _results.clear()
    pages.clear()


def search_posts(query: SearchQuery, now: datetime) -> SearchResults:
    return SearchResults(query, now)


def search_guard() -> AbstractContextManager[None]:
    """Run a search's queries inside this: on PostgreSQL they share one transaction whose
    statements are cancelled after ``PG_STATEMENT_TIMEOUT_MS`` (an ``OperationalError``)."""
    return _backend().guard()


# ---------------------------------------------------------------------------- backends


def _subquery(qs: QuerySet[Post]) -> tuple[str, tuple[Any, ...]]:
    sql, params = qs.order_by().values("id").query.sql_with_params()
    return sql, tuple(params)


class _SQLite:
    """The match runs once, in FTS5, and drives the query (``CROSS JOIN`` keeps SQLite from
    reading the posts first and running one full-text look-up per visible post); each
    matched row is then checked against the post it indexes: visible (published and due)
    by a primary-key look-up, the reader's filters, when there are any, through
    ``+rowid IN (…)`` (the unary plus: a filter on the matched rows, not a rowid look-up
    per filtered post).

    FTS5 reads the matches newest first (descending rowid, the post id) and stops after the
    window a page is in: bm25 is computed for those rows only. A word in nearly every story
    ("jakarta" in every dateline) costs one window's ranking, not the archive's
    (``bench/bench_search.py``: 8.8 ms ranking every match of a word in most of 10,000
    stories, 1.8 ms in windows)."""

    @staticmethod
    def _where(query: SearchQuery, now: datetime) -> tuple[str, tuple[Any, ...]]:
        sql = f"{TABLE} MATCH %s AND p.status = %s AND p.published_at <= %s"
        params: tuple[Any, ...] = (fts5_match(query.terms), Post.Status.PUBLISHED, now)
        if query.has_filters:
            sub, sub_params = _subquery(filtered_posts(query, now))
            sql += f" AND +s.rowid IN ({sub})"
            params += sub_params
        return sql, params

    def count(self, query: SearchQuery, now: datetime) -> int:
        where, params = self._where(query, now)
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT count(*) FROM {TABLE} AS s CROSS JOIN {Post._meta.db_table} AS p "
                f"ON p.id = s.rowid WHERE {where}",
                params,
            )
            return int(cur.fetchone()[0])

    def ranked_ids(
        self, query: SearchQuery, now: datetime, offset: int, limit: int
    ) -> list[tuple[int, float]]:
        where, params = self._where(query, now)
        ranked: list[tuple[int, float]] = []
        with connection.cursor() as cur:
            for window, skip, take in rank_windows(offset, limit):
                cur.execute(
                    "SELECT id, score FROM ("
                    f"SELECT s.rowid AS id, bm25({TABLE}, 10.0, 1.0) AS score, "
                    f"p.published_at AS published FROM {TABLE} AS s "
                    f"CROSS JOIN {Post._meta.db_table} AS p ON p.id = s.rowid WHERE {where} "
                    "ORDER BY s.rowid DESC LIMIT %s OFFSET %s"
                    ") ORDER BY score, published DESC, id DESC LIMIT %s OFFSET %s",
                    (*params, RANK_WINDOW, window, take, skip),
                )
                # bm25 is "lower is better" and negative; report "higher is better"
                ranked += [(int(pk), -float(score)) for pk, score in cur.fetchall()]
        return ranked

    def highlights(
        self, query: SearchQuery, ids: Sequence[int]
    ) -> dict[int, tuple[SafeString, SafeString]]:
        marks = f"'{_START}', '{_STOP}'"
        placeholders = ", ".join(["%s"] * len(ids))
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT rowid, highlight({TABLE}, 0, {marks}), "
                f"snippet({TABLE}, 1, {marks}, '…', {SNIPPET_TOKENS}) "
                f"FROM {TABLE} WHERE {TABLE} MATCH %s AND rowid IN ({placeholders})",
                (fts5_match(query.terms), *ids),
            )
            return {
                int(pk): (highlight_html(title), highlight_html(snippet))
                for pk, title, snippet in cur.fetchall()
            }

    def upsert(self, post_id: int, title: str, body: str) -> None:
        with connection.cursor() as cur:
            cur.execute(f"DELETE FROM {TABLE} WHERE rowid = %s", (post_id,))
            cur.execute(
                f"INSERT INTO {TABLE} (rowid, title, body) VALUES (%s, %s, %s)",
                (post_id, title, body),
            )

    def delete(self, post_id: int) -> None:
        with connection.cursor() as cur:
            cur.execute(f"DELETE FROM {TABLE} WHERE rowid = %s", (post_id,))

    def clear(self) -> None:
        with connection.cursor() as cur:
            cur.execute(f"DELETE FROM {TABLE}")

    @contextmanager
    def guard(self) -> Iterator[None]:
        yield


_PG_DOCUMENT = (
    "setweight(to_tsvector('simple', %s), 'A') || setweight(to_tsvector('simple', %s), 'B')"
)
_PG_HEADLINE = (
    f"StartSel={_START}, StopSel={_STOP}, MaxWords={SNIPPET_TOKENS}, MinWords=12, "
    'MaxFragments=2, FragmentDelimiter=" … "'
)


class _PostgreSQL:
    """The index holds the text as shown, HTML-escaped (``ts_headline`` drops anything that
    looks like a tag, and keeps entities whole), and a tsvector of its folded form
    (``fold``: no diacritics, like the SQLite tokenizer), weighted title A, body B.

    A word the story writes with diacritics is found (the tsvector is folded) but may not be
    marked in the snippet (``ts_headline`` matches against the text as shown)."""

    @staticmethod
    def _tsquery_text(query: SearchQuery) -> str:
        # quoted words: websearch_to_tsquery reads each as a word, never as or / - / "
        return " ".join(f'"{fold(t)}"' for t in query.terms)

    def count(self, query: SearchQuery, now: datetime) -> int:
        sub, params = _subquery(filtered_posts(query, now))
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT count(*) FROM {TABLE} "
                "WHERE document @@ websearch_to_tsquery('simple', %s) "
                f"AND post_id IN ({sub})",
                (self._tsquery_text(query), *params),
            )
            return int(cur.fetchone()[0])

    def ranked_ids(
        self, query: SearchQuery, now: datetime, offset: int, limit: int
    ) -> list[tuple[int, float]]:
        sub, params = _subquery(filtered_posts(query, now))
        post_table = Post._meta.db_table
        terms = self._tsquery_text(query)
        ranked: list[tuple[int, float]] = []
        with connection.cursor() as cur:
            for window, skip, take in rank_windows(offset, limit):
                # the window is chosen first (ids only), then ranked: ts_rank reads each
                # row's tsvector, so it runs on the window's rows alone
                cur.execute(
                    "SELECT w.post_id, ts_rank(w.document, q) AS score FROM ("
                    "SELECT s.post_id, s.document, p.published_at "
                    f"FROM {TABLE} AS s JOIN {post_table} AS p ON p.id = s.post_id "
                    "WHERE s.document @@ websearch_to_tsquery('simple', %s) "
                    f"AND s.post_id IN ({sub}) "
                    "ORDER BY s.post_id DESC LIMIT %s OFFSET %s"
                    ") AS w, websearch_to_tsquery('simple', %s) AS q "
                    "ORDER BY score DESC, w.published_at DESC, w.post_id DESC "
                    "LIMIT %s OFFSET %s",
                    (terms, *params, RANK_WINDOW, window, terms, take, skip),
                )
                ranked += [(int(pk), float(score)) for pk, score in cur.fetchall()]
        return ranked

    def highlights(
        self, query: SearchQuery, ids: Sequence[int]
    ) -> dict[int, tuple[SafeString, SafeString]]:
        placeholders = ", ".join(["%s"] * len(ids))
        with connection.cursor() as cur:
            cur.execute(
                "SELECT post_id, "
                "ts_headline('simple', title, q, %s), ts_headline('simple', body, q, %s) "
                f"FROM {TABLE}, websearch_to_tsquery('simple', %s) AS q "
                f"WHERE post_id IN ({placeholders})",
                (
                    _PG_HEADLINE + ", HighlightAll=true",
                    _PG_HEADLINE,
                    self._tsquery_text(query),
                    *ids,
                ),
            )
            return {
                int(pk): (
                    highlight_html(title, escaped=True),
                    highlight_html(snippet, escaped=True),
                )
                for pk, title, snippet in cur.fetchall()
            }

    def upsert(self, post_id: int, title: str, body: str) -> None:
        with connection.cursor() as cur:
            cur.execute(
                f"INSERT INTO {TABLE} (post_id, title, body, document) "
                f"VALUES (%s, %s, %s, {_PG_DOCUMENT}) "
                "ON CONFLICT (post_id) DO UPDATE SET title = EXCLUDED.title, "
                "body = EXCLUDED.body, document = EXCLUDED.document",
                (post_id, escape_text(title), escape_text(body), fold(title), fold(body)),
            )

    def delete(self, post_id: int) -> None:
        with connection.cursor() as cur:
            cur.execute(f"DELETE FROM {TABLE} WHERE post_id = %s", (post_id,))

    def clear(self) -> None:
        with connection.cursor() as cur:
            cur.execute(f"DELETE FROM {TABLE}")

    @contextmanager
    def guard(self) -> Iterator[None]:
        """The search's own transaction: its statements are cancelled after
        ``PG_STATEMENT_TIMEOUT_MS``, and sequential scans are the planner's last resort.
        The planner does not know what ``@@`` costs on a stored tsvector (each one read
        and decompressed): for a word in most stories it chose to scan the table and test
        every document over the GIN index that answers from the index
        (``bench/bench_search.py``, a word in most of 10,000 stories: 37 ms against 8.3 ms).
        Both settings end with the transaction."""
        with transaction.atomic(), connection.cursor() as cur:
            timeout = str(PG_STATEMENT_TIMEOUT_MS)
            cur.execute(
                "SELECT set_config('statement_timeout', %s, true), "
                "set_config('enable_seqscan', 'off', true)",
                (timeout,),
            )
            yield


def _backend() -> _SQLite | _PostgreSQL:
    if connection.vendor == "sqlite":
        return _SQLite()
    if connection.vendor == "postgresql":
        return _PostgreSQL()
    raise NotImplementedError(f"search is not available on {connection.vendor}")


# ---------------------------------------------------------------------------- indexing


def _clean(text: str) -> str:
    return _CONTROL.sub(" ", _MARKERS.sub("", text))


def index_text(title: str, dateline: str, blocks: Any) -> tuple[str, str]:
    """``(title, body)`` as indexed: the body is the dateline and the blocks' text."""
    body = blocks_text(blocks if isinstance(blocks, list) else [])
    if dateline and dateline.strip():
        body = f"{dateline.strip()}: {body}"
    return _clean(title or ""), _clean(body)


def _translation_text(tr: Translation) -> tuple[str, str]:
    return index_text(tr.title, tr.dateline, tr.blocks)


def upsert_row(post_id: int, title: str, body: str) -> None:
    """Write one index row (replacing the post's old one)."""
    _backend().upsert(post_id, title, body)


def index_post(post: Post) -> None:
    """Put ``post`` in the index if it is published (it may still be scheduled: queries
    hide it until it is due), take it out otherwise. Idempotent."""
    backend = _backend()
    if post.status != Post.Status.PUBLISHED:
        backend.delete(post.pk)
        return
    title, body = _translation_text(post.translation)
    backend.upsert(post.pk, title, body)


def rebuild_search_index() -> int:
    """Empty the index and index every published post again, in one transaction (readers
    see the old index or the new one). Returns the number of posts indexed.

    On PostgreSQL the index and the posts are analysed in the same transaction: a rebuild
    follows a bulk import or a restore, and until autovacuum gets to the new rows the
    planner's statistics describe the old ones (right after 10,000 stories were loaded it
    tested ``@@`` post by post, ~45 ms for any query; docs/BENCHMARKS.md, "Search")."""
    backend = _backend()
    n = 0
    with transaction.atomic():
        backend.clear()
        posts = Post.objects.filter(status=Post.Status.PUBLISHED).select_related("translation")
        for post in posts.iterator(chunk_size=500):
            title, body = _translation_text(post.translation)
            backend.upsert(post.pk, title, body)
            n += 1
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute(f"ANALYZE {TABLE}, {Post._meta.db_table}")
    return n


def _on_post_saved(sender: type[Post], instance: Post, raw: bool = False, **_: Any) -> None:
    if not raw:
        index_post(instance)


def _on_post_deleted(sender: type[Post], instance: Post, **_: Any) -> None:
    _backend().delete(instance.pk)


def _on_translation_saved(
    sender: type[Translation], instance: Translation, raw: bool = False, **_: Any
) -> None:
    if raw:
        return
    for post in Post.objects.filter(translation=instance).select_related("translation"):
        index_post(post)


def connect_signals() -> None:
    """Keep the index in step with posts and translations (called from the app's ready)."""
    post_save.connect(_on_post_saved, sender=Post, dispatch_uid="site-search-post")
    post_delete.connect(_on_post_deleted, sender=Post, dispatch_uid="site-search-post-del")
    post_save.connect(_on_translation_saved, sender=Translation, dispatch_uid="site-search-tr")
