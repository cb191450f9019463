"""Polling and intake against the real database and a real local HTTP server: what the
server says drives the next poll, 410 disables with a reason, 304 changes nothing, drop
folders end to end, embargoes wait, a canceled pub status kills."""

from __future__ import annotations

import json
import os
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from tests.support.cli import WartaEnv
from tests.support.httpserver import LocalHTTPServer
from warta.core.schedule import ERRORS_BEFORE_MAX
from warta.newsroom import stages
from warta.newsroom.models import Article, Entry, Post, Source, Translation

pytestmark = [pytest.mark.dbmatrix, pytest.mark.django_db]

WIRE = Path(__file__).parent / "data" / "wire"
OLD = time.time() - 3600


def _rss(server: LocalHTTPServer, slugs: list[str], ttl: str = "") -> str:
    items = "".join(f"<item><title>Story {s}</title><link>{server.url('/a/' + s)}</link>"
                    f"<guid>{s}</guid></item>" for s in slugs)
    return (f"<?xml version='1.0'?><rss version='2.0'><channel><title>T</title>{ttl}"
            f"<link>{server.url('/')}</link><description>d</description>{items}</channel></rss>")


def _source(server: LocalHTTPServer, headers: dict[str, str] | None = None,
            ttl: str = "", status: int = 200) -> Source:
    server.add("/feed.xml", _rss(server, ["one", "two"], ttl), status=status,
               headers={"Content-Type": "application/rss+xml", **(headers or {})})
    return Source.objects.create(name="T", url=server.url("/feed.xml"))


def _seconds_to_next_poll(source: Source) -> float:
    source.refresh_from_db()
    return (source.next_poll - timezone.now()).total_seconds()


def test_cache_control_max_age_sets_the_next_poll(http_server: LocalHTTPServer) -> None:
    source = _source(http_server, {"Cache-Control": "public, max-age=3600"})
    stages.poll_source(source.pk, force=True)
    assert 3500 < _seconds_to_next_poll(source) <= 3600
    assert "max-age=3600" in source.next_poll_reason


def test_rss_ttl_sets_the_next_poll(http_server: LocalHTTPServer) -> None:
    source = _source(http_server, ttl="<ttl>120</ttl>")
    stages.poll_source(source.pk, force=True)
    assert 7100 < _seconds_to_next_poll(source) <= 7200 and "ttl" in source.next_poll_reason


def test_minimum_interval_wins_over_a_short_source_interval(
        http_server: LocalHTTPServer) -> None:
    source = _source(http_server)
    Source.objects.filter(pk=source.pk).update(poll_interval=5, min_interval=300)
    stages.poll_source(source.pk, force=True)
    assert 250 < _seconds_to_next_poll(source) <= 300


def test_retry_after_on_429_is_honoured_and_recorded(http_server: LocalHTTPServer) -> None:
    source = _source(http_server, {"Retry-After": "5400"}, status=429)
    result = stages.poll_source(source.pk, force=True)
    assert "429" in result.error
    assert 5300 < _seconds_to_next_poll(source) <= 5400
    assert source.enabled and source.error_count == 1 and "Retry-After" in source.next_poll_reason


def test_410_disables_the_source_with_a_visible_reason(http_server: LocalHTTPServer) -> None:
    source = _source(http_server, status=410)
    stages.poll_source(source.pk, force=True)
    source.refresh_from_db()
    assert not source.enabled and "410 Gone" in source.disabled_reason
    assert "410" in source.last_error and source.last_http_status == 410
    assert stages.due_sources() == [] and stages.claim_source(source.pk, force=True) is None
    from warta.cli import source_rows

    (row,) = source_rows()
    assert row["enabled"] is False and "410 Gone" in row["disabled_reason"]


def test_many_errors_poll_at_the_maximum_and_never_disable(
        http_server: LocalHTTPServer) -> None:
    source = _source(http_server, status=500)
    Source.objects.filter(pk=source.pk).update(error_count=ERRORS_BEFORE_MAX + 3)
    stages.poll_source(source.pk, force=True)
    assert _seconds_to_next_poll(source) > source.max_interval - 100
    assert source.enabled and "consecutive errors" in source.next_poll_reason


def test_304_changes_nothing_stored(http_server: LocalHTTPServer) -> None:
    source = _source(http_server, {"ETag": '"v1"'})
    assert stages.poll_source(source.pk, force=True).new_entries == 2
    http_server.add("/feed.xml", handler=lambda req: (
        (304, {"ETag": '"v1"', "Cache-Control": "max-age=1800"}, b"")
        if req.headers.get("if-none-match") == '"v1"' else (500, {}, b"")))
    before = list(Entry.objects.values_list("guid", "title", "status"))
    result = stages.poll_source(source.pk, force=True)
    assert result.not_modified and result.new_entries == 0
    assert list(Entry.objects.values_list("guid", "title", "status")) == before
    assert 1700 < _seconds_to_next_poll(source) <= 1800
    assert source.etag == '"v1"' and source.error_count == 0


# ---------------------------------------------------------------- drop folders and wire items

def _ninjs(uri: str, *, pubstatus: str = "usable", embargoed: datetime | None = None,
           version: int = 1) -> bytes:
    item: dict[str, Any] = {
        "uri": uri, "type": "text", "version": str(version), "pubstatus": pubstatus,
        "versioncreated": "2026-11-24T10:00:00Z", "language": "en",
        "headline": f"Headline of {uri}", "byline": "By Siti Rahma",
        "body_html": "".join(f"<p>JAKARTA: Paragraph {i} of the wire story {uri}, long enough "
                             "to count as article text for the extractor.</p>"
                             for i in range(1, 5)),
    }
    if embargoed is not None:
        item["embargoed"] = embargoed.isoformat()
    return json.dumps(item).encode()


def _drop(folder: Path, name: str, content: bytes, mtime: float = OLD) -> None:
    (folder / name).write_bytes(content)
    os.utime(folder / name, (mtime, mtime))


@pytest.fixture
def folder_source(tmp_path: Path) -> tuple[Source, Path]:
    folder = tmp_path / "drop"
    folder.mkdir()
    return Source.objects.create(name="Wire", url=f"dir://{folder}", format="ninjs"), folder


def test_drop_folder_end_to_end_to_extracted_articles(
        folder_source: tuple[Source, Path]) -> None:
    source, folder = folder_source
    _drop(folder, "a.json", _ninjs("urn:a"))
    _drop(folder, "b.json", (WIRE / "ninjs2-items.json").read_bytes())
    _drop(folder, "c.json.part", _ninjs("urn:c"))
    _drop(folder, "d.json", b"{broken")
    result = stages.poll_source(source.pk, force=True)
    assert result.new_entries == 3 and "d.json" in result.error
    source.refresh_from_db()
    assert "d.json" in source.last_error and source.enabled
    assert set(source.folder_seen) == {"a.json", "b.json", "d.json"}
    a = Entry.objects.get(guid="urn:a")
    assert a.status == Entry.Status.FETCHED and a.url == "" and "Paragraph 1" in a.html
    claimed = stages.claim_entry(a.pk)
    assert claimed is not None
    assert stages.advance_entry(*claimed) == Entry.Status.EXTRACTED
    article = Article.objects.get(entry=a)
    assert article.title == "Headline of urn:a" and article.dateline.startswith("JAKARTA")
    # nothing new on the next poll; the partial file once complete is read
    assert stages.poll_source(source.pk, force=True).new_entries == 0
    os.rename(folder / "c.json.part", folder / "c.json")
    assert stages.poll_source(source.pk, force=True).new_entries == 1
    source.refresh_from_db()
    assert source.error_count == 0 and source.last_error == ""


def test_missing_drop_folder_is_an_error_that_backs_off(tmp_path: Path) -> None:
    source = Source.objects.create(name="W", url=f"dir://{tmp_path}/absent", format="ninjs")
    result = stages.poll_source(source.pk, force=True)
    assert "drop folder not found" in result.error
    assert _seconds_to_next_poll(source) > 600 and source.error_count == 1


def test_embargoed_entry_waits_for_its_embargo(folder_source: tuple[Source, Path]) -> None:
    source, folder = folder_source
    embargo = (timezone.now() + timedelta(hours=2)).replace(microsecond=0)
    _drop(folder, "e.json", _ninjs("urn:e", embargoed=embargo))
    _drop(folder, "f.json", _ninjs("urn:f", embargoed=timezone.now() - timedelta(hours=1)))
    stages.poll_source(source.pk, force=True)
    e = Entry.objects.get(guid="urn:e")
    assert e.embargo == embargo and e.next_attempt_at == embargo
    assert stages.claim_entry(e.pk) is None  # not even when asked for by id
    claimed = stages.claim_entry()
    assert claimed is not None and claimed[0] == Entry.objects.get(guid="urn:f").pk
    assert stages.pending_entries() == 1  # the past embargo, not the future one


def _publish(entry: Entry) -> Post:
    article = Article.objects.create(entry=entry, url="", title=entry.title, text_hash="x")
    translation = Translation.objects.create(article=article, language="id",
                                             title="Judul", engine="test")
    Entry.objects.filter(pk=entry.pk).update(status=Entry.Status.PUBLISHED)
    return stages.publish_translation(entry, translation)


def test_canceled_pub_status_kills_a_published_story(
        folder_source: tuple[Source, Path]) -> None:
    source, folder = folder_source
    _drop(folder, "k.json", _ninjs("urn:k"))
    stages.poll_source(source.pk, force=True)
    post = _publish(Entry.objects.get(guid="urn:k"))
    _drop(folder, "k.json", _ninjs("urn:k", pubstatus="canceled", version=2), mtime=OLD + 60)
    _drop(folder, "w.json", _ninjs("urn:w", pubstatus="withheld"))
    stages.poll_source(source.pk, force=True)
    killed = Entry.objects.get(guid="urn:k")
    assert killed.status == Entry.Status.KILLED and "canceled" in killed.error
    post.refresh_from_db()
    assert post.status == Post.Status.KILLED and post.killed_at is not None
    assert "canceled" in post.kill_reason  # the 410 page and the audit log say why
    from warta.newsroom.models import AuditEvent

    event = AuditEvent.objects.get(action="post.kill")
    assert event.actor is None and "canceled" in event.note
    never = Entry.objects.get(guid="urn:w")  # stored with its reason, never processed
    assert never.status == Entry.Status.KILLED and "withheld" in never.error


def test_wire_formats_over_http_use_the_source_format(http_server: LocalHTTPServer) -> None:
    url = http_server.add("/wire", (WIRE / "newsml-xhtml.xml").read_bytes(),
                          headers={"Content-Type": "application/octet-stream"})
    source = Source.objects.create(name="G2", url=url, format="newsml")
    assert stages.poll_source(source.pk, force=True).new_entries == 1
    entry = Entry.objects.get()
    assert entry.guid == "urn:newsml:wire.example.com:20261124:nx-4451"
    assert entry.image == {"src": "https://img.wire.example.com/nx-4451.jpg",
                           "caption": "Rescue workers in Surabaya", "credit": ""}


def test_cli_adds_and_lists_a_drop_folder_source(warta: WartaEnv, tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    _drop(folder, "a.json", _ninjs("urn:cli"))
    warta.run("source", "add", f"dir://{folder}", "--format", "ninjs", "--name", "Wire")
    warta.run("fetch", "--once")
    (row,) = warta.json("source", "list")
    assert (row["format"], row["entries"], row["error_count"]) == ("ninjs", 1, 0)
    bad = warta.run("source", "add", "ftp://example.com/feed", check=False)
    assert bad.returncode != 0 and "warta: error:" in bad.stderr


def test_wire_item_without_body_or_link_fails_with_a_reason(
        folder_source: tuple[Source, Path]) -> None:
    source, folder = folder_source
    _drop(folder, "h.json", json.dumps({"uri": "urn:h", "headline": "Only a headline"}).encode())
    stages.poll_source(source.pk, force=True)
    entry = Entry.objects.get(guid="urn:h")
    assert entry.status == Entry.Status.FAILED and "neither a body nor a link" in entry.error


def test_values_longer_than_their_columns_are_an_outcome_not_a_failure(
        http_server: LocalHTTPServer) -> None:
    """What a server or a feed sends may be longer than the column it goes to, and
    PostgreSQL refuses such a row (the poll failed on every try, and stored nothing): an
    item's link past 2,000 characters is no link (the item is stored, failed with the
    reason, or from its body), an ETag or Last-Modified too long is not kept, and a feed
    that moved for good to a URL too long, or to one another source has, keeps its URL."""
    long_link = "https://news.example/" + "a" * 2500
    items = (f"<item><title>Long</title><link>{long_link}</link><guid>long</guid></item>"
             f"<item><title>Long, with a body</title><link>{long_link}b</link><guid>body</guid>"
             "<content:encoded><![CDATA[<p>The whole story.</p>]]></content:encoded></item>"
             "<item><title>Fine</title><link>https://news.example/ok</link><guid>ok</guid>"
             "</item>")
    doc = ("<?xml version='1.0'?><rss version='2.0' xmlns:content='http://purl.org/rss/1.0/"
           "modules/content/'><channel><title>T</title><link>https://news.example/</link>"
           f"{items}</channel></rss>")
    http_server.add("/moved.xml", doc, headers={
        "Content-Type": "application/rss+xml", "ETag": '"' + "e" * 600 + '"',
        "Last-Modified": "Tue, 24 Nov 2026 10:00:00 GMT; " + "x" * 100})
    http_server.add("/feed.xml", status=301, headers={"Location": "/moved.xml"})
    source = Source.objects.create(name="T", url=http_server.url("/feed.xml"))
    Source.objects.create(name="Other", url=http_server.url("/moved.xml"))
    result = stages.poll_source(source.pk, force=True)
    assert (result.error, result.new_entries) == ("", 3)
    entries = {e.guid: e for e in Entry.objects.filter(source=source)}
    assert (entries["long"].url, entries["long"].status) == ("", "failed")
    assert "longer than 2000 characters" in entries["long"].error
    assert (entries["body"].url, entries["body"].status) == ("", "fetched")
    assert "The whole story." in entries["body"].html
    assert entries["ok"].url == "https://news.example/ok"
    source.refresh_from_db()
    assert source.url == http_server.url("/feed.xml")  # /moved.xml is the other's
    assert (source.etag, source.last_modified, source.error_count) == ("", "", 0)
    # the same item again is known (by its whole link) and not stored twice; edited, it is
    # no revision to fetch (there is no link to fetch it from)
    assert stages.poll_source(source.pk, force=True).new_entries == 0
    http_server.add("/moved.xml", doc.replace("<title>Long</title>", "<title>Longer</title>"),
                    headers={"Content-Type": "application/rss+xml"})
    assert stages.poll_source(source.pk, force=True).new_entries == 0
    entry = Entry.objects.get(pk=entries["long"].pk)
    assert (entry.status, entry.version, entry.url) == ("failed", 1, "")
    # moved for good to a URL longer than the column: kept too
    far = "/far/" + "x" * 2100 + ".xml"
    http_server.add(far, doc, headers={"Content-Type": "application/rss+xml"})
    http_server.add("/feed.xml", status=308, headers={"Location": far})
    assert stages.poll_source(source.pk, force=True).error == ""
    source.refresh_from_db()
    assert source.url == http_server.url("/feed.xml")


@pytest.mark.parametrize("escape", ["\\u0000", "\\ud800", "\\udfff"])
def test_json_escapes_of_no_storable_character_are_cleaned(
        http_server: LocalHTTPServer, escape: str) -> None:
    """JSON may escape NUL and lone surrogates; PostgreSQL refuses NUL in text, and no
    UTF-8 encodes a surrogate (the normalisers failed on it, both databases refused it).
    NUL goes, a lone surrogate becomes U+FFFD; a pair stays the character it escapes."""
    json_feed = (
        '{"version": "https://jsonfeed.org/version/1.1", "title": "T", "items": [{"id": "a'
        + escape + '", "url": "https://news.example/a", "title": "A' + escape + ' \\ud83d\\ude00",'
        ' "content_html": "<p>x' + escape + '</p>", "tags": ["t' + escape + '"]}]}')
    ninjs = ('{"uri": "urn:wire:1' + escape + '", "type": "text", "version": "1", '
             '"headline": "H' + escape + '", "body_html": "<p>b' + escape + '</p>"}')
    for path, doc, fmt in (("/f.json", json_feed, "auto"), ("/n.json", ninjs, "ninjs")):
        http_server.add(path, doc, headers={"Content-Type": "application/json"})
        source = Source.objects.create(name=path, url=http_server.url(path), format=fmt)
        result = stages.poll_source(source.pk, force=True)
        assert (result.error, result.new_entries) == ("", 1), path
    mark = "" if escape == "\\u0000" else "\ufffd"
    a = Entry.objects.get(source__name="/f.json")
    assert (a.guid, a.title, a.categories) == (f"a{mark}", f"A{mark} \U0001f600", [f"t{mark}"])
    assert a.content == f"<p>x{mark}</p>"
    n = Entry.objects.get(source__name="/n.json")
    assert (n.guid, n.title) == (f"urn:wire:1{mark}", f"H{mark}")
