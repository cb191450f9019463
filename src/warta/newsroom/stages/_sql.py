"""The statements of the ingest stage written out (``stages.sources``): claiming a source
and loading it in one UPDATE ... RETURNING, its outcome update, and storing a feed
document's new entries with multi-row INSERTs. For a 20-item document the ORM's query
building and per-field value preparation cost several times the statements themselves
(docs/ingest.md). They go through ``connection.cursor()``, so query capture and execute
wrappers see them; values are prepared by each field, as the ORM would."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from django.db import connection, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Q
from django.utils import timezone

from warta.newsroom.models import Entry, Source
from warta.newsroom.stages._common import LEASE_OWNER, S, _lease_delta

_CHUNK = 500  # identity values per query: under SQLite's bound-parameter limit (999)


_ID_FIELDS = frozenset({"id", "source_id", "guid", "url_key", "content_hash", "status",
                        "version"})


_OWN_INDEX = frozenset({"url_key"})  # identity columns with an index of their own


_T = TypeVar("_T")


def _per_connection(fn: Callable[..., _T]) -> Callable[..., _T]:
    """Memoise ``fn(conn, *args)`` on the connection object itself, so the memo lives and
    dies with it. (An ``lru_cache`` keyed by the connection kept the wrappers of finished
    threads alive, and with them their open database connections.)"""
    attr = f"_warta_memo_{fn.__name__}"

    @functools.wraps(fn)
    def wrapper(conn: BaseDatabaseWrapper, *args: Any) -> _T:
        memo: dict[tuple[Any, ...], _T] | None = conn.__dict__.get(attr)
        if memo is None:
            memo = conn.__dict__[attr] = {}
        if args not in memo:
            memo[args] = fn(conn, *args)
        return memo[args]

    return wrapper


def _chunks(values: set[str]) -> list[list[str]]:
    ordered = sorted(values)
    return [ordered[i:i + _CHUNK] for i in range(0, len(ordered), _CHUNK)]




def claim_source(source_id: int, *, force: bool = False) -> datetime | None:
    """Take the lease on a source that is due (or any enabled one with ``force``)."""
    now = timezone.now()
    lease = now + _lease_delta()
    due = Q(pk=source_id, enabled=True) & (Q(lease_until__isnull=True) | Q(lease_until__lt=now))
    if not force:
        due &= Q(next_poll__lte=now)
    claimed = Source.objects.filter(due).update(lease_until=lease, lease_owner=LEASE_OWNER)
    return lease if claimed else None


def _claim_and_load_many(source_ids: list[int], *, force: bool
                         ) -> dict[int, tuple[datetime, Source]]:
    """:func:`claim_source` for several sources and the claimed rows in one statement
    (UPDATE ... RETURNING, SQLite 3.35+ and PostgreSQL; two statements per source where
    the database lacks it): id → (lease, source) of those claimed (all share one lease
    time). Chunks under SQLite's parameter limit."""
    if not connection.features.can_return_columns_from_insert:  # same SQLite release
        found = {}
        for pk in source_ids:
            lease = claim_source(pk, force=force)
            if lease is not None:
                found[pk] = (lease, Source.objects.get(pk=pk))
        return found
    now = timezone.now()
    lease = now + _lease_delta()
    qn = connection.ops.quote_name
    due = "" if force else f" AND {qn('next_poll')} <= %s"
    columns = ", ".join(qn(f.column) for f in Source._meta.concrete_fields)
    conn = connections[connection.alias]
    converters = _source_converters(conn)
    attnames = _source_attnames()
    claimed: dict[int, tuple[datetime, Source]] = {}
    for start in range(0, len(source_ids), _CHUNK):
        chunk = source_ids[start:start + _CHUNK]
        marks = ", ".join(["%s"] * len(chunk))
        sql = (f"UPDATE {qn(Source._meta.db_table)} SET {qn('lease_until')} = %s, "
               f"{qn('lease_owner')} = %s WHERE id IN ({marks}) AND {qn('enabled')} = %s AND "
               f"({qn('lease_until')} IS NULL OR {qn('lease_until')} < %s){due} "
               f"RETURNING {columns}")
        params: list[object] = [lease, LEASE_OWNER, *chunk, True, now]
        if not force:
            params.append(now)
        with conn.cursor() as cursor:  # values adapted as raw() adapts them
            cursor.execute(sql, [conn.ops.adapt_unknown_value(p) for p in params])
            rows = cursor.fetchall()
        for row in rows:
            # the returned columns onto a Source with the fields' own conversions, as raw()
            # or a queryset would map them (without their per-query set-up)
            values = list(row)
            for i, f, convert_all in converters:
                for convert in convert_all:
                    values[i] = convert(values[i], f, conn)
            source = Source.from_db(conn.alias, attnames, values)
            claimed[source.pk] = (lease, source)
    return claimed


@functools.cache
def _source_attnames() -> list[str]:
    return [f.attname for f in Source._meta.concrete_fields]


@_per_connection
def _source_converters(conn: BaseDatabaseWrapper) -> list[tuple[int, Any, list[Any]]]:
    """(column index, column expression, converters) of each Source column that has
    converters: the backend's, then the field's (``from_db_value``), as the SQL compiler
    applies them."""
    out = []
    for i, f in enumerate(Source._meta.concrete_fields):
        col = f.get_col(Source._meta.db_table)
        converters = conn.ops.get_db_converters(col) + col.get_db_converters(conn)
        if converters:
            out.append((i, col, converters))
    return out


def _update_source(source: Source, lease: datetime, updates: dict[str, object]) -> None:
    """``Source.objects.filter(pk=..., lease_until=lease).update(**updates)`` as one
    written-out statement (values prepared by each field, as the ORM does): the update
    does nothing once the lease was lost to another worker."""
    qn = connection.ops.quote_name
    fields = [Source._meta.get_field(name) for name in updates]
    lease_field = Source._meta.get_field("lease_until")
    sets = ", ".join(f"{qn(f.column)} = %s" for f in fields)
    params = [f.get_db_prep_save(updates[f.name], connection) for f in fields]
    params += [source.pk, lease_field.get_db_prep_save(lease, connection)]
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {qn(Source._meta.db_table)} SET {sets} WHERE id = %s AND "
                       f"{qn(lease_field.column)} = %s", params)




def _stored(source_id: int, column: str, values: set[str]) -> list[Entry]:
    """This source's stored entries whose ``column`` is one of ``values`` (chunks under
    SQLite's parameter limit; in id order within a chunk), with the identity fields only
    (``_ID_FIELDS``), as ``Entry.objects.filter(...).only(*_ID_FIELDS)`` gives them."""
    if not values:
        return []
    table, names, select = _id_select(connection.vendor)
    # a column with an index of its own is looked up through it: "+source_id" keeps
    # SQLite's planner (no statistics) from choosing the (source, guid) index's prefix,
    # which would read every entry the source ever brought (guid and content_hash go
    # through that index: for guid it is the whole key)
    source = "+source_id" if column in _OWN_INDEX else "source_id"
    found: list[Entry] = []
    with connection.cursor() as cursor:
        for chunk in _chunks(values):
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"SELECT {select} FROM {table} WHERE {source} = %s AND "
                           f"{connection.ops.quote_name(column)} IN ({marks}) ORDER BY id",
                           [source_id, *chunk])
            found += [Entry.from_db(connection.alias, names, row) for row in cursor.fetchall()]
    return found


@functools.cache
def _id_select(vendor: str) -> tuple[str, list[str], str]:
    """Entry's table, the identity attnames in model order (``Model.from_db`` reads values
    in that order) and their columns quoted for ``vendor``, for a SELECT list."""
    qn = connection.ops.quote_name
    fields = [f for f in Entry._meta.concrete_fields if f.attname in _ID_FIELDS]
    return (qn(Entry._meta.db_table), [f.attname for f in fields],
            ", ".join(qn(f.column) for f in fields))


def _first_elsewhere(source_id: int, keys: set[str]) -> dict[str, tuple[int, str]]:
    """url_key → (id, source name) of the first entry of another source with that key
    that is not itself a duplicate: the entry a new item with the same URL duplicates."""
    found: dict[str, tuple[int, str]] = {}
    if not keys:
        return found
    qn = connection.ops.quote_name
    entry, src = qn(Entry._meta.db_table), qn(Source._meta.db_table)
    with connection.cursor() as cursor:
        for chunk in _chunks(keys):
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"SELECT e.id, e.url_key, s.name FROM {entry} e JOIN {src} s ON "
                           f"s.id = e.source_id WHERE e.url_key IN ({marks}) AND "
                           "e.source_id <> %s AND e.status <> %s ORDER BY e.id",
                           [*chunk, source_id, S.DUPLICATE])
            for pk, key, name in cursor.fetchall():
                found.setdefault(key, (pk, name))
    return found


Prepare = Callable[[object], object]
# value kinds the database adapter takes as they are (str, int, an id or None)
_AS_IS = (models.CharField, models.TextField, models.IntegerField, models.ForeignKey)


@_per_connection
def _column_preparers(conn: BaseDatabaseWrapper) -> list[tuple[models.Field[object, object],
                                                              Prepare | None]]:
    """Every Entry column but the id, with how its value is made ready for ``conn``:
    ``adapt_datetimefield_value`` for datetimes (aware values, as stored everywhere),
    nothing for str/int columns, the backend's ``adapt_json_value`` for JSON (where the
    field's ``get_db_prep_save`` ends for a plain value), ``get_db_prep_save`` for the rest.
    ``conn`` is the connection itself, not Django's ``connection`` proxy (every attribute
    read through the proxy is a thread-local lookup)."""
    out: list[tuple[models.Field[object, object], Prepare | None]] = []
    for f in _entry_columns():
        prep: Prepare | None
        if isinstance(f, models.DateTimeField):
            prep = conn.ops.adapt_datetimefield_value
        elif isinstance(f, _AS_IS):
            prep = None
        elif isinstance(f, models.JSONField):  # what get_db_prep_save ends in, for a value
            prep = functools.partial(conn.ops.adapt_json_value, encoder=f.encoder)
        else:
            prep = functools.partial(f.get_db_prep_save, connection=conn)
        out.append((f, prep))
    return out


@functools.cache
def _entry_columns() -> list[models.Field[object, object]]:
    return [f for f in Entry._meta.concrete_fields if not f.primary_key]


def _insert_entries(rows: list[dict[str, object]]) -> None:
    """INSERT the rows (Entry attname → value) with multi-row INSERT statements, as
    ``Entry.objects.bulk_create`` would store them: a column a row does not name gets its
    field's default, ``auto_now`` columns the current time; batches under SQLite's
    parameter limit. No ids are read back (nothing after the insert needs them)."""
    conn = connections[connection.alias]
    columns = _column_preparers(conn)
    now = timezone.now()
    # (attname, prepare, forced, value): ``value`` (prepared once) is what a row that does
    # not name the column stores, and every row when ``forced`` (auto_now columns)
    plan: list[tuple[str, Prepare | None, bool, object]] = []
    for f, prep in columns:
        forced = bool(getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False))
        value: object = None
        if forced:
            value = now  # what pre_save sets, whatever the row says
        elif any(f.attname not in row for row in rows):
            value = f.get_default()
        plan.append((f.attname, prep, forced,
                     value if prep is None or value is None else prep(value)))
    params: list[object] = []
    append = params.append
    for row in rows:
        for name, prep, forced, shared in plan:
            if forced or name not in row:
                append(shared)
            else:
                value = row[name]
                append(value if prep is None or value is None else prep(value))
    fields = [f for f, _prep in columns]
    width = len(fields)
    batch = max(1, conn.ops.bulk_batch_size(fields, rows))
    with conn.cursor() as cursor:
        for start in range(0, len(rows), batch):
            n = min(batch, len(rows) - start)
            cursor.execute(_insert_sql(conn, n), params[start * width:(start + n) * width])


@_per_connection
def _insert_sql(conn: BaseDatabaseWrapper, n: int) -> str:
    """The INSERT of ``n`` rows of every Entry column but the id (a poll round repeats a
    few sizes: a feed's usual number of items)."""
    fields = _entry_columns()
    qn = conn.ops.quote_name
    values: str = conn.ops.bulk_insert_sql(fields, [["%s"] * len(fields)] * n)
    return (f"INSERT INTO {qn(Entry._meta.db_table)} "
            f"({', '.join(qn(f.column) for f in fields)}) {values}")
