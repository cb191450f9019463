"""The bulk store (raw multi-row INSERT, raw identity lookups) against the item-by-item
store (the ORM's ``save``), on the real database: the same items give the same rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection, models
from django.utils import timezone

from warta.core.feeds import FeedEntry, FeedImage
from warta.newsroom.models import Entry, Source
from warta.newsroom.stages import _sql, sources

pytestmark = [pytest.mark.dbmatrix, pytest.mark.django_db]
S = Entry.Status
# set on insert from the clock (compared on their own below)
_CLOCK = {"id", "created", "updated", "next_attempt_at"}


def _items(n: int) -> list[FeedEntry]:
    """``n`` ordinary items (more than one SQLite insert batch) and the special cases:
    a body-only wire item, one with neither body nor link, a withdrawn one, one under a
    future embargo, and one whose URL another source brought first."""
    when = datetime(2026, 11, 26, 7, 5, tzinfo=UTC)
    out = [
        FeedEntry(
            guid=f"g{i}",
            url=f"https://news.example/s/{i}?utm_source=rss",
            title=f"Story {i} & more",
            summary=f"<p>Summary “{i}”</p>",
            content="<p>body</p>" * (i % 3),
            published=when + timedelta(minutes=i),
            updated=None,
            authors=["A"],
            categories=["World", "Asia"][: i % 3],
            images=[FeedImage(f"https://img.example/{i}.jpg", "Caption", "Credit")]
            if i % 2
            else [],
        )
        for i in range(n)
    ]
    future = timezone.now() + timedelta(days=2)
    out += [
        FeedEntry(
            guid="wire-1",
            url="",
            title="Wire",
            summary="",
            content="<p>Text</p>",
            published=None,
            updated=None,
            authors=["Desk"],
            language="id",
        ),
        FeedEntry(
            guid="empty-1",
            url="",
            title="Empty",
            summary="",
            content="",
            published=None,
            updated=None,
        ),
        FeedEntry(
            guid="killed-1",
            url="https://news.example/k",
            title="K",
            summary="",
            content="",
            published=None,
            updated=None,
            pub_status="canceled",
            version=3,
        ),
        FeedEntry(
            guid="embargo-1",
            url="https://news.example/e",
            title="E",
            summary="",
            content="",
            published=None,
            updated=None,
            embargo=future,
        ),
        FeedEntry(
            guid="dup-1",
            url="https://www.news.example/first/",
            title="D",
            summary="",
            content="",
            published=None,
            updated=None,
        ),
    ]
    return out


def _rows(source: Source) -> list[dict[str, Any]]:
    """The stored rows as the database holds them (read with a plain cursor, no field
    conversion: a datetime stored as different text on SQLite would show)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT * FROM {Entry._meta.db_table} WHERE source_id = %s ORDER BY guid", [source.pk]
        )
        names = [c[0] for c in cursor.description]
        return [
            {k: v for k, v in zip(names, row, strict=True) if k not in _CLOCK}
            for row in cursor.fetchall()
        ]


def test_bulk_store_writes_the_rows_the_item_by_item_store_writes() -> None:
    other = Source.objects.create(name="Other", url="https://other.example/feed")
    first = Entry.objects.create(
        source=other,
        guid="o1",
        url="https://news.example/first",
        url_key=sources.url_key("https://news.example/first"),
    )
    source = Source.objects.create(name="Wire", url="https://wire.example/feed")
    items = _items(45)

    assert sources.store_entries(source, items) == len(items)
    bulk = _rows(source)
    bulk_times = dict(Entry.objects.filter(source=source).values_list("guid", "next_attempt_at"))
    Entry.objects.filter(source=source).delete()
    assert sum(sources._store_entry(source, fe) for fe in items) == len(items)
    one_by_one = _rows(source)

    assert len(bulk) == len(items)
    assert bulk == one_by_one
    by_guid = {row["guid"]: row for row in bulk}
    assert by_guid["dup-1"]["status"] == S.DUPLICATE
    assert by_guid["dup-1"]["duplicate_of_id"] == first.pk
    assert by_guid["dup-1"]["error"] == f"same URL as entry {first.pk} (Other)"
    assert by_guid["killed-1"]["status"] == S.KILLED and by_guid["killed-1"]["version"] == 3
    assert by_guid["wire-1"]["status"] == S.FETCHED and "<p>Text</p>" in by_guid["wire-1"]["html"]
    assert by_guid["empty-1"]["status"] == S.FAILED
    stored = {e.guid: e for e in Entry.objects.filter(source=source)}
    assert stored["g1"].image == {
        "src": "https://img.example/1.jpg",
        "caption": "Caption",
        "credit": "Credit",
    }
    assert stored["g0"].image is None and stored["g2"].categories == ["World", "Asia"]
    assert stored["g3"].published == datetime(2026, 11, 26, 7, 8, tzinfo=UTC)
    embargo = items[-2].embargo
    assert stored["embargo-1"].embargo == embargo
    assert bulk_times["embargo-1"] == embargo
    assert all(isinstance(t, datetime) and t.tzinfo for t in bulk_times.values())


def test_bulk_lookups_recognise_stored_items_by_guid_url_and_content() -> None:
    """A second store of the same document, its guids changed, finds every item again (by
    normalised URL, or by content for items without one) and stores nothing new."""
    source = Source.objects.create(name="Wire", url="https://wire.example/feed")
    items = _items(30)
    sources.store_entries(source, items)
    before = list(Entry.objects.order_by("id").values_list("id", "version", "status"))
    renamed = [FeedEntry(**{**fe.__dict__, "guid": "new-" + fe.guid}) for fe in items]
    assert sources.store_entries(source, renamed) == 0
    assert list(Entry.objects.order_by("id").values_list("id", "version", "status")) == before


@pytest.mark.parametrize("returning", [True, False])
def test_claim_takes_the_lease_once_and_loads_the_source(
    monkeypatch: pytest.MonkeyPatch, returning: bool
) -> None:
    """The claim and the read are one UPDATE ... RETURNING, or two statements where the
    database cannot return rows: either way the lease is taken once, a source not due is
    left alone unless forced, and the loaded source is the stored row."""
    later = timezone.now() + timedelta(hours=1)
    source = Source.objects.create(
        name="Wire", url="https://wire.example/feed", next_poll=later, folder_seen={"a.xml": [1, 2]}
    )
    # after the create: Django's own INSERT on PostgreSQL relies on the flag
    monkeypatch.setattr(connection.features, "can_return_columns_from_insert", returning)
    assert _sql._claim_and_load_many([source.pk], force=False) == {}  # not due
    claimed = _sql._claim_and_load_many([source.pk], force=True).get(source.pk)
    assert claimed is not None
    lease, loaded = claimed
    assert loaded.pk == source.pk and loaded.lease_until == lease
    assert loaded.next_poll == later and loaded.folder_seen == {"a.xml": [1, 2]}
    assert loaded.enabled is True and loaded.name == "Wire"
    assert Source.objects.get(pk=source.pk).lease_until == lease
    assert _sql._claim_and_load_many([source.pk], force=True) == {}  # the lease is held
    _sql._update_source(
        loaded,
        lease,
        {"lease_until": None, "error_count": 2, "last_error": "boom", "next_poll": later},
    )
    stored = Source.objects.get(pk=source.pk)
    assert stored.lease_until is None and stored.error_count == 2
    assert stored.last_error == "boom" and stored.next_poll == later
    _sql._update_source(loaded, lease, {"error_count": 5})  # the lease is gone: no-op
    assert Source.objects.get(pk=source.pk).error_count == 2


def test_identity_lookups_go_through_the_index_of_their_column() -> None:
    """The poll's look-ups by guid and by normalised URL use the (source, guid) index as a
    whole and the url_key index, not just the source prefix (which reads every entry the
    source ever brought, once per poll). SQLite only: its planner has no statistics to go
    by; PostgreSQL plans from its own."""
    if connection.vendor != "sqlite":
        pytest.skip("query plans checked on SQLite")
    source = Source.objects.create(name="Wire", url="https://wire.example/feed")
    statements: list[tuple[str, list[object]]] = []

    def capture(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append((sql, list(params or [])))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        _sql._stored(source.pk, "guid", {"g1", "g2"})
        _sql._stored(source.pk, "url_key", {"k1", "k2"})
    plans = []
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plans.append(" ".join(str(row[-1]) for row in cursor.fetchall()))
    guid_plan, key_plan = plans
    assert "source_id=? AND guid=?" in guid_plan
    assert "url_key" in key_plan and "source_id=?" not in key_plan


def test_statement_memos_live_on_the_connection_not_beyond_it():
    """The INSERT text and column preparers are kept on the connection object: a finished
    thread's connection wrapper is not kept alive (with its database connection open)."""
    import gc
    import weakref

    from django.db import connections

    from warta.newsroom.stages import _sql

    conn = connections.create_connection("default")
    try:
        first = _sql._insert_sql(conn, 3)
        assert _sql._insert_sql(conn, 3) is first and "INSERT INTO" in first
        assert _sql._column_preparers(conn) is _sql._column_preparers(conn)
    finally:
        conn.close()
    ref = weakref.ref(conn)
    del conn
    gc.collect()
    assert ref() is None


@pytest.mark.parametrize("returning", [True, False])
def test_sources_claimed_together_in_one_statement(
    monkeypatch: pytest.MonkeyPatch, returning: bool, django_assert_max_num_queries: Any
) -> None:
    """Several sources claimed at once: the due ones (all enabled ones when forced), not
    those leased by another worker, disabled or not due; each loaded as stored, with one
    lease time; one statement where the database returns rows (chunked past the limit)."""
    later = timezone.now() + timedelta(hours=1)
    due = [Source.objects.create(name=f"D{i}", url=f"https://w{i}.example/feed") for i in range(3)]
    waiting = Source.objects.create(name="later", url="https://l.example/feed", next_poll=later)
    off = Source.objects.create(name="off", url="https://o.example/feed", enabled=False)
    leased = Source.objects.create(name="held", url="https://h.example/feed",
                                   lease_until=later)
    ids = [s.pk for s in (*due, waiting, off, leased)] + [10**9]  # and one that is gone
    many = [Source.objects.create(name=f"M{i}", url=f"https://m{i}.example/feed").pk
            for i in range(5)]
    # after the creates: Django's own INSERT on PostgreSQL relies on the flag
    monkeypatch.setattr(connection.features, "can_return_columns_from_insert", returning)
    with django_assert_max_num_queries(1 if returning else 2 * len(due) + len(ids)):
        claimed = _sql._claim_and_load_many(ids, force=False)
    assert sorted(claimed) == [s.pk for s in due]
    leases = {lease for lease, _source in claimed.values()}
    assert len(leases) == 1 or not returning  # one statement, one lease time
    for source in due:
        lease, loaded = claimed[source.pk]
        assert loaded.name == source.name and loaded.url == source.url
        assert loaded.lease_until == lease == Source.objects.get(pk=source.pk).lease_until
    assert Source.objects.get(pk=leased.pk).lease_until == later  # not taken over
    assert _sql._claim_and_load_many(ids, force=False) == {}  # all held or not due
    forced = _sql._claim_and_load_many([waiting.pk, off.pk], force=True)
    assert sorted(forced) == [waiting.pk]  # forced: not due is fine, disabled is not
    monkeypatch.setattr(_sql, "_CHUNK", 2)
    assert sorted(_sql._claim_and_load_many(many, force=False)) == many


def test_polls_started_together_keep_the_order_and_read_drop_folders(tmp_path: Any) -> None:
    feed = Source.objects.create(name="Feed", url="https://wire.example/feed")
    folder = Source.objects.create(name="Drop", url=f"dir://{tmp_path}", format="ninjs")
    held = Source.objects.create(name="Held", url="https://held.example/feed",
                                 lease_until=timezone.now() + timedelta(hours=1))
    started = sources.start_polls([held.pk, folder.pk, feed.pk], force=True)
    assert isinstance(started[0], sources.PollResult) and started[0].source_id == held.pk
    # the drop folder is read there (an empty folder: nothing new, no error)
    assert isinstance(started[1], sources.PollResult) and started[1].source_id == folder.pk
    assert not started[1].error and Source.objects.get(pk=folder.pk).lease_until is None
    assert isinstance(started[2], tuple) and started[2][1].pk == feed.pk


def test_one_source_failing_to_store_keeps_the_others_of_its_batch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """finish_polls stores a batch in one transaction, each source in a savepoint: a bug
    while storing one rolls back only that one, the others are committed, then it raises."""
    from warta.core.download import Download
    from warta.core.feeds import ParsedFeed
    from warta.core.fetch import FetchResult

    made = [Source.objects.create(name=f"S{i}", url=f"https://s{i}.example/feed")
            for i in range(3)]
    started = sources.start_polls([s.pk for s in made], force=True)
    polls = []
    for i, item in enumerate(started):
        assert isinstance(item, tuple)
        lease, source = item
        entries = _items(2)[:2]
        entries = [FeedEntry(**{**vars(e), "guid": f"{i}-{e.guid}",
                                "url": f"{e.url}&n={i}"}) for e in entries]
        fetched = FetchResult(status=200, url=source.url, content=b"", headers={},
                              etag=f'"e{i}"', last_modified=None, content_type=None,
                              encoding=None, not_modified=False, permanent_redirect_to=None)
        parsed = ParsedFeed(title="T", link="", language="en", ttl=None, entries=entries)
        polls.append((source, lease, Download(fetched, parsed)))
    real = sources._record_source_success

    def broken_for_the_second(source: Source, *args: Any, **kwargs: Any) -> None:
        real(source, *args, **kwargs)
        if source.pk == made[1].pk:
            raise RuntimeError("a bug")

    monkeypatch.setattr(sources, "_record_source_success", broken_for_the_second)
    with pytest.raises(RuntimeError, match="a bug"):
        sources.finish_polls(polls)
    stored = dict(Entry.objects.values_list("source_id").annotate(n=models.Count("id")))
    assert stored == {made[0].pk: 2, made[2].pk: 2}  # the second's entries rolled back
    etags = dict(Source.objects.values_list("pk", "etag"))
    assert etags == {made[0].pk: '"e0"', made[1].pk: "", made[2].pk: '"e2"'}
    assert Source.objects.get(pk=made[1].pk).lease_until is not None  # left to expire
