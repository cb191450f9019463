"""A poll round with download processes (``fetch.workers``): the same outcome as polling one
source after another, one writer, politeness per host across the processes, errors and
Retry-After recorded per source, conditional GET on the next round."""

from __future__ import annotations

import pickle
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone

from tests.support.httpserver import LocalHTTPServer, Request
from warta.core.download import Download, download_feed
from warta.core.errors import FeedParseError, FetchError
from warta.core.fetch import HTTPStatusError
from warta.newsroom.models import Entry, Source
from warta.newsroom.stages.sources import fetch_settings
from warta.runner import inline

pytestmark = [pytest.mark.dbmatrix, pytest.mark.django_db]


class _Feeds:
    """/feed/N on the local server: three items each, an ETag (304 on If-None-Match), a
    short pause per answer so downloads overlap; records the most answers at once."""

    def __init__(self, server: LocalHTTPServer) -> None:
        self.server = server
        self.lock = threading.Lock()
        self.now = 0
        self.most = 0

    def add(self, n: int, *, status: int = 200, headers: dict[str, str] | None = None) -> str:
        def handler(req: Request) -> tuple[int, dict[str, str], bytes]:
            with self.lock:
                self.now += 1
                self.most = max(self.most, self.now)
            try:
                time.sleep(0.05)  # not a timing assertion: lets downloads overlap
                etag = f'"v{n}"'
                if req.headers.get("if-none-match") == etag:
                    return 304, {"ETag": etag}, b""
                return status, {"Content-Type": "application/rss+xml", "ETag": etag,
                                **(headers or {})}, self._rss(n)
            finally:
                with self.lock:
                    self.now -= 1

        return self.server.add(f"/feed/{n}", handler=handler)

    def _rss(self, n: int) -> bytes:
        items = "".join(
            f"<item><title>Story {n}-{j}</title><link>{self.server.url(f'/a/{n}/{j}')}</link>"
            f"<guid>g-{n}-{j}</guid><description>&lt;p&gt;Text {j}&lt;/p&gt;</description>"
            "</item>" for j in range(3))
        return (f"<?xml version='1.0'?><rss version='2.0'><channel><title>F{n}</title>"
                f"<link>{self.server.url('/')}</link><description>d</description>{items}"
                "</channel></rss>").encode()


@pytest.fixture
def workers(settings: Any) -> Iterator[dict[str, Any]]:
    """settings.WARTA's values, changed for one test and restored."""
    values = settings.WARTA.values
    saved = dict(values)
    yield values
    values.clear()
    values.update(saved)


def _stored() -> list[tuple[Any, ...]]:
    return sorted(Entry.objects.values_list("source__name", "guid", "url", "title", "summary",
                                            "status", "url_key", "content_hash"))


def test_parallel_round_stores_what_one_poll_after_another_stores(
        http_server: LocalHTTPServer, workers: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    rounds: list[int] = []
    real = inline._poll_in_parallel
    monkeypatch.setattr(inline, "_poll_in_parallel",
                        lambda ids, **kw: rounds.append(kw["workers"]) or real(ids, **kw))
    feeds = _Feeds(http_server)
    for n in range(10):
        Source.objects.create(name=f"S{n}", url=feeds.add(n))
    workers.update({"fetch.workers": 1})
    sequential = inline.fetch_sources(force=True)
    one_by_one = _stored()
    Entry.objects.all().delete()
    Source.objects.update(etag="", last_modified="", content_digest="")
    workers.update({"fetch.workers": 3, "fetch.per_host": 2})
    feeds.most = 0
    parallel = inline.fetch_sources(force=True)
    assert rounds == [3]  # the first round ran in this process, this one in three more
    assert [(r.source_id, r.new_entries, r.error) for r in parallel] == [
        (r.source_id, r.new_entries, r.error) for r in sequential]
    assert _stored() == one_by_one and len(one_by_one) == 30
    # the per-host limit holds across the download processes (3 of them, 2 allowed)
    assert 1 <= feeds.most <= 2


def test_parallel_round_records_errors_and_uses_conditional_get(
        http_server: LocalHTTPServer, workers: dict[str, Any]) -> None:
    feeds = _Feeds(http_server)
    ok = [Source.objects.create(name=f"S{n}", url=feeds.add(n)) for n in range(8)]
    limited = Source.objects.create(
        name="busy", url=feeds.add(8, status=429, headers={"Retry-After": "5400"}))
    broken = Source.objects.create(name="html", url=http_server.add(
        "/page", "<!doctype html><html><body>no feed</body></html>",
        headers={"Content-Type": "text/html"}))
    workers.update({"fetch.workers": 2, "fetch.per_host": 1})
    results = {r.source_id: r for r in inline.fetch_sources(force=True)}
    assert feeds.most == 1  # fetch.per_host=1: one download from the host at a time
    assert all(results[s.pk].new_entries == 3 and not results[s.pk].error for s in ok)
    assert "429" in results[limited.pk].error and "HTML page" in results[broken.pk].error
    limited.refresh_from_db()
    broken.refresh_from_db()
    assert limited.error_count == 1 and "Retry-After" in limited.next_poll_reason
    assert 5300 < (limited.next_poll - timezone.now()).total_seconds() <= 5400
    assert broken.error_count == 1 and "HTML page" in broken.last_error
    assert Source.objects.filter(lease_until__isnull=False).count() == 0
    # the next round: every feed answers 304 to its stored ETag, nothing changes
    again = {r.source_id: r for r in inline.fetch_sources(force=True)}
    assert all(again[s.pk].not_modified and not again[s.pk].new_entries for s in ok)
    assert Entry.objects.count() == 24


def test_a_small_round_runs_in_this_process(workers: dict[str, Any]) -> None:
    workers.update({"fetch.workers": 4})
    assert inline.fetch_workers(4) == 4 and inline.fetch_workers(0) >= 1
    assert inline.PARALLEL_FROM > 1


@pytest.mark.parametrize("error", [
    FetchError("https://wire.example/feed", "timed out after 20 s"),
    HTTPStatusError("https://wire.example/feed", 429, "Too Many Requests", "30"),
    FeedParseError("https://wire.example/feed", "not a feed: looks like an HTML page"),
])
def test_a_download_error_survives_the_trip_between_processes(error: Exception) -> None:
    back = pickle.loads(pickle.dumps(Download(error=error)))  # type: ignore[arg-type]
    assert type(back.error) is type(error) and str(back.error) == str(error)
    assert vars(back.error) == vars(error)


def test_download_of_a_refused_address_is_an_error_not_an_exception(
        http_server: LocalHTTPServer) -> None:
    url = http_server.add("/feed", "<rss version='2.0'><channel></channel></rss>")
    cfg = {**fetch_settings(), "fetch.allow_private": ""}  # 127.0.0.1 refused
    got = download_feed(url, None, None, "auto", cfg)
    assert got.parsed is None and isinstance(got.error, FetchError)


def test_a_round_one_after_another_claims_and_stores_in_chunks(
        http_server: LocalHTTPServer, workers: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Polling in turn claims IN_TURN_CHUNK sources per statement and stores their
    downloads in one transaction; a bug in a download (an exception, not a FetchError)
    is raised once the downloads before it are stored, and nothing after it is polled."""
    feeds = _Feeds(http_server)
    made = [Source.objects.create(name=f"S{n}", url=feeds.add(n)) for n in range(5)]
    workers.update({"fetch.workers": 1})
    monkeypatch.setattr(inline, "IN_TURN_CHUNK", 2)
    from warta.core import download as download_module

    real = download_module.download_feed

    def broken_for_the_fourth(url: str, *args: Any) -> Download:
        if url == made[3].url:
            raise RuntimeError("a bug in the parser")
        return real(url, *args)

    monkeypatch.setattr(download_module, "download_feed", broken_for_the_fourth)
    with pytest.raises(RuntimeError, match="a bug"):
        inline.fetch_sources(force=True)
    stored = set(Entry.objects.values_list("source__name", flat=True))
    assert stored == {"S0", "S1", "S2"}  # the third was downloaded before the bug: stored
    polled = set(Source.objects.exclude(etag="").values_list("name", flat=True))
    assert polled == {"S0", "S1", "S2"}
    # the fourth (the bug) keeps its lease until it expires; the fifth was never claimed
    assert Source.objects.get(pk=made[4].pk).lease_until is None
    monkeypatch.setattr(download_module, "download_feed", real)
    Source.objects.update(lease_until=None)
    again = inline.fetch_sources(force=True)
    assert [r.not_modified for r in again] == [True, True, True, False, False]
    assert Entry.objects.count() == 15


def test_downloads_queue_in_the_pool_when_it_keeps_the_per_host_limit(
        http_server: LocalHTTPServer, workers: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """With fetch.per_host at or above the number of download processes, one host's
    downloads wait in the pool's queue instead of here (the processes do not idle while
    this one stores): the pool's size keeps the limit."""
    feeds = _Feeds(http_server)
    for n in range(12):
        Source.objects.create(name=f"S{n}", url=feeds.add(n))
    workers.update({"fetch.workers": 2, "fetch.per_host": 2})
    out: list[int] = []
    real_wait = inline.wait
    monkeypatch.setattr(inline, "wait", lambda fs, **kw: out.append(len(fs)) or real_wait(fs, **kw))
    results = inline.fetch_sources(force=True)
    assert all(r.new_entries == 3 and not r.error for r in results)
    assert max(out) > 2  # more submitted than the per-host limit ...
    assert 1 <= feeds.most <= 2  # ... and never more than it downloading at once
    assert Source.objects.filter(lease_until__isnull=False).count() == 0


def _store_batches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of every batch ``finish_polls`` stores from now on, in order."""
    from warta.newsroom.stages import sources

    sizes: list[int] = []
    real = sources.finish_polls
    monkeypatch.setattr(sources, "finish_polls",
                        lambda polls: sizes.append(len(polls)) or real(polls))
    return sizes


@pytest.mark.parametrize(("batch", "wait_s", "expect"), [
    (100, 60.0, lambda sizes: sizes == [10]),  # stored once nothing is out
    (4, 60.0, lambda sizes: max(sizes) <= 4 and sum(sizes) == 10),  # STORE_BATCH at most
    # a download waits STORE_WAIT at most: with 0, each is stored as soon as it is seen
    (100, 0.0, lambda sizes: len(sizes) >= 4 and sum(sizes) == 10),
])
def test_a_parallel_round_stores_finished_downloads_in_batches(
        http_server: LocalHTTPServer, workers: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch, batch: int, wait_s: float,
        expect: Any) -> None:
    feeds = _Feeds(http_server)
    for n in range(10):
        Source.objects.create(name=f"S{n}", url=feeds.add(n))
    workers.update({"fetch.workers": 2, "fetch.per_host": 2})
    monkeypatch.setattr(inline, "STORE_BATCH", batch)
    monkeypatch.setattr(inline, "STORE_WAIT", wait_s)
    sizes = _store_batches(monkeypatch)
    results = inline.fetch_sources(force=True)
    assert all(r.new_entries == 3 for r in results) and Entry.objects.count() == 30
    assert expect(sizes), sizes


@pytest.mark.parametrize(("wait_s", "sizes"), [(60.0, [3, 2]), (0.0, [1, 1, 1, 1, 1])])
def test_polling_in_turn_stores_a_chunk_together_unless_it_waited_too_long(
        http_server: LocalHTTPServer, workers: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch, wait_s: float, sizes: list[int]) -> None:
    """One transaction per chunk of IN_TURN_CHUNK; with slow feeds, what was downloaded
    is stored before the next download once it has waited STORE_WAIT."""
    feeds = _Feeds(http_server)  # each answer takes 0.05 s
    for n in range(5):
        Source.objects.create(name=f"S{n}", url=feeds.add(n))
    workers.update({"fetch.workers": 1})
    monkeypatch.setattr(inline, "IN_TURN_CHUNK", 3)
    monkeypatch.setattr(inline, "STORE_WAIT", wait_s)
    stored = _store_batches(monkeypatch)
    results = inline.fetch_sources(force=True)
    assert [r.new_entries for r in results] == [3] * 5 and Entry.objects.count() == 15
    assert stored == sizes


def test_parallel_round_passes_the_item_digests_and_stores_what_a_full_read_does(
        http_server: LocalHTTPServer, workers: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Feeds the fast parser reads (links to a public host) gain a story: the next round
    hands each download the item digests of the document stored last, and stores the one
    new item per feed, as polling one source after another with every item read does."""
    from warta.newsroom.stages import sources

    def rss(n: int, stories: int) -> bytes:
        items = "".join(
            f"<item><title>Story {n}-{j}</title><link>https://news.example/{n}/{j}</link>"
            f"<guid>g-{n}-{j}</guid><description>&lt;p&gt;Text {j}&lt;/p&gt;</description>"
            "</item>" for j in reversed(range(stories)))
        return (f"<?xml version='1.0'?><rss version='2.0'><channel><title>F{n}</title>"
                f"<link>https://news.example/</link><description>d</description>{items}"
                "</channel></rss>").encode()

    for n in range(8):
        url = http_server.add(f"/f/{n}", rss(n, 3), headers={"Content-Type": "text/xml"})
        Source.objects.create(name=f"S{n}", url=url)
    workers.update({"fetch.workers": 2})
    inline.fetch_sources(force=True)
    assert all(len(s.item_digests) == 3 for s in Source.objects.all())
    handed: list[list[str]] = []
    real = sources.download_args
    monkeypatch.setattr(sources, "download_args",
                        lambda source: handed.append(real(source)[-1]) or real(source))
    for n in range(8):
        http_server.add(f"/f/{n}", rss(n, 4), headers={"Content-Type": "text/xml"})
    results = inline.fetch_sources(force=True)
    assert [r.new_entries for r in results] == [1] * 8 and not any(r.error for r in results)
    assert len(handed) == 8 and all(len(known) == 3 for known in handed)
    parallel = _stored()
    # the same two documents, every item read, one poll after another
    Entry.objects.all().delete()
    workers.update({"fetch.workers": 1})
    for stories in (3, 4):
        for n in range(8):
            http_server.add(f"/f/{n}", rss(n, stories), headers={"Content-Type": "text/xml"})
        Source.objects.update(etag="", last_modified="", content_digest="", item_digests=[])
        inline.fetch_sources(force=True)
    assert _stored() == parallel and len(parallel) == 32
