"""Pipeline stages against the real database (SQLite here, PostgreSQL under ``make test``)
and a real local HTTP server: idempotency, errors on the row, back-off, leases."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from tests.support.httpserver import LocalHTTPServer
from tests.support.texts import article_paragraphs
from tests.support.tinymodel import TinyModel
from warta.core.translate.engines import clear_cache
from warta.newsroom import stages
from warta.newsroom.models import Article, Entry, Post, Source, Translation

pytestmark = [pytest.mark.dbmatrix, pytest.mark.django_db]

def _paras(title: str) -> str:
    """Text of its own per title: stories that only differ in their numbers are one story to
    the near-duplicate clustering (and only one of them would be published)."""
    return "".join(f"<p>{p}</p>" for p in article_paragraphs(zlib.crc32(title.encode()),
                                                            paragraphs=5, sentences=2))


def _page(title: str, first: str = "MOSCOW, Russia: The talks opened on Monday.") -> str:
    return (f"<html lang='en'><head><title>{title}</title></head><body><article><h1>{title}"
            f"</h1><p>{first}</p>{_paras(title)}<blockquote><p>“We said it,” the minister said."
            "</p></blockquote></article></body></html>")


def _feed(server: LocalHTTPServer, slugs: list[str]) -> str:
    items = "".join(
        f"<item><title>Story {s}</title><link>{server.url('/a/' + s)}</link>"
        f"<guid>{s}</guid><pubDate>Tue, 24 Nov 2026 10:00:00 +0000</pubDate></item>"
        for s in slugs)
    return (f"<?xml version='1.0'?><rss version='2.0'><channel><title>T</title>"
            f"<link>{server.url('/')}</link><description>d</description>{items}</channel></rss>")



@pytest.fixture
def source(http_server: LocalHTTPServer) -> Source:
    for slug in ("one", "two"):
        http_server.add(f"/a/{slug}", _page(f"Story {slug}"),
                        headers={"Content-Type": "text/html; charset=utf-8"})
    http_server.add("/feed.xml", _feed(http_server, ["one", "two"]),
                    headers={"Content-Type": "application/rss+xml", "ETag": '"v1"'})
    return Source.objects.create(name="Test", url=http_server.url("/feed.xml"),
                                 category="Dunia")


def _run_all() -> None:
    while (claimed := stages.claim_entry()) is not None:
        stages.advance_entry(*claimed)


def test_poll_stores_new_entries_once_and_304_changes_nothing(
        source: Source, http_server: LocalHTTPServer) -> None:
    assert stages.poll_source(source.pk, force=True).new_entries == 2
    assert stages.poll_source(source.pk, force=True).new_entries == 0
    http_server.add("/feed.xml", handler=lambda req: (
        (304, {"ETag": '"v1"'}, b"") if req.headers.get("if-none-match") == '"v1"'
        else (500, {}, b"")))
    result = stages.poll_source(source.pk, force=True)
    assert result.not_modified and result.new_entries == 0
    assert Entry.objects.count() == 2
    source.refresh_from_db()
    assert source.etag == '"v1"' and source.error_count == 0


def test_the_same_body_again_is_not_parsed_and_a_changed_one_is(
        http_server: LocalHTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """A server that sends no validators answers 200 with the same bytes: nothing can be
    new, so they are not parsed (as a 304). The digest covers the format read with, and is
    kept only once a document is stored: a feed that fails is read again next time."""
    from warta.core import download as download_module

    rss = {"Content-Type": "application/rss+xml"}  # no ETag, no Last-Modified
    http_server.add("/plain.xml", _feed(http_server, ["one", "two"]), headers=rss)
    plain = Source.objects.create(name="Plain", url=http_server.url("/plain.xml"))
    assert stages.poll_source(plain.pk, force=True).new_entries == 2
    plain.refresh_from_db()
    first = plain.content_digest
    assert len(first) == 64 and not plain.etag
    parsed: list[str] = []
    real = download_module.parse_feed
    monkeypatch.setattr(download_module, "parse_feed",
                        lambda body, url, **kw: parsed.append(url) or real(body, url, **kw))
    again = stages.poll_source(plain.pk, force=True)
    assert again.not_modified and not again.new_entries and not again.error
    assert parsed == [] and Entry.objects.count() == 2
    plain.refresh_from_db()
    assert plain.content_digest == first and plain.last_http_status == 200
    # a story more: parsed, stored, the new digest kept
    http_server.add("/plain.xml", _feed(http_server, ["one", "two", "three"]), headers=rss)
    assert stages.poll_source(plain.pk, force=True).new_entries == 1 and len(parsed) == 1
    plain.refresh_from_db()
    assert plain.content_digest not in ("", first)
    # the same bytes read as another format are read again
    Source.objects.filter(pk=plain.pk).update(format="rss")
    assert stages.poll_source(plain.pk, force=True).new_entries == 0 and len(parsed) == 2
    # a body that cannot be read is tried again on every poll, never "not modified"
    http_server.add("/plain.xml", "<!doctype html><html><body>gone</body></html>",
                    headers={"Content-Type": "text/html"})
    for _ in range(2):
        failed = stages.poll_source(plain.pk, force=True)
        assert "HTML page" in failed.error and not failed.not_modified
    assert len(parsed) == 4 and Entry.objects.count() == 3


def _items_feed(items: list[tuple[str, str, str]],
                built: str = "Tue, 24 Nov 2026 10:00:00 +0000") -> str:
    """An RSS document of (guid, slug, title) items, built at ``built`` (lastBuildDate:
    many feeds change it on every poll, so the bytes differ whatever the items). Links
    to a public host: feedparser-rs empties local ones, and such a feed takes
    feedparser's path, which makes no item digests."""
    body = "".join(
        f"<item><title>{title}</title><link>https://news.example/a/{slug}</link>"
        f"<guid>{guid}</guid><pubDate>Tue, 24 Nov 2026 10:00:00 +0000</pubDate>"
        f"<description>About {title}</description></item>" for guid, slug, title in items)
    return (f"<?xml version='1.0'?><rss version='2.0'><channel><title>T</title>"
            f"<link>https://news.example/</link><description>d</description>"
            f"<lastBuildDate>{built}</lastBuildDate>{body}</channel></rss>")


def test_a_changed_document_is_read_for_its_changed_items(
        http_server: LocalHTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Items stored from the last document, the same bytes again, are not read (only
    their guids are given): a new story is read and stored, an edited one read and
    revised, and a new item repeating a known item's guid is still known by its URL (the
    document repeats that guid, though the known item was not read). What is stored is
    what reading the whole document gives."""
    from warta.core import download as download_module

    rss = {"Content-Type": "application/rss+xml"}
    one, two = ("g1", "one", "Story one"), ("g2", "two", "Story two")
    http_server.add("/w.xml", _items_feed([one, two]), headers=rss)
    wire = Source.objects.create(name="Wire", url=http_server.url("/w.xml"))
    assert stages.poll_source(wire.pk, force=True).new_entries == 2
    wire.refresh_from_db()
    assert len(wire.item_digests) == 2
    reads: list[Any] = []
    real = download_module.parse_feed

    def parse(body: bytes, url: str, **kw: Any) -> Any:
        reads.append(real(body, url, **kw))
        return reads[-1]

    monkeypatch.setattr(download_module, "parse_feed", parse)
    three = ("g3", "three", "Story three")
    later = "Wed, 25 Nov 2026 08:00:00 +0000"
    http_server.add("/w.xml", _items_feed([three, one, two], built=later), headers=rss)
    assert stages.poll_source(wire.pk, force=True).new_entries == 1
    assert [e.guid for e in reads[-1].entries] == ["g3"]
    assert reads[-1].known_guids == ["g1", "g2"]
    wire.refresh_from_db()
    assert len(wire.item_digests) == 3 and wire.item_digests[1:] == reads[-1].item_digests[1:]
    # an edit: read and revised; the others not read
    edited = ("g1", "one", "Story one, updated")
    http_server.add("/w.xml", _items_feed([three, edited, two]), headers=rss)
    assert stages.poll_source(wire.pk, force=True).new_entries == 0
    assert [e.guid for e in reads[-1].entries] == ["g1"]
    revised = Entry.objects.get(source=wire, guid="g1")
    assert (revised.title, revised.version) == ("Story one, updated", 2)
    # a new item with a known item's guid: both are known by their URL, as a full read has it
    clash = ("g2", "four", "Story four")
    items = [clash, three, edited, two]
    http_server.add("/w.xml", _items_feed(items), headers=rss)
    assert stages.poll_source(wire.pk, force=True).new_entries == 1
    assert [e.guid for e in reads[-1].entries] == ["g2"] and "g2" in reads[-1].known_guids
    stored = {(e.guid, e.url, e.title, e.summary, e.version)
              for e in Entry.objects.filter(source=wire)}
    # the same documents read whole (no digests) by a source of their own store the same
    http_server.add("/whole.xml", _items_feed([one, two]), headers=rss)
    whole = Source.objects.create(name="Whole", url=http_server.url("/whole.xml"))
    for doc in ([one, two], [three, one, two], [three, edited, two], items):
        http_server.add("/whole.xml", _items_feed(doc), headers=rss)
        Source.objects.filter(pk=whole.pk).update(item_digests=[], content_digest="")
        stages.poll_source(whole.pk, force=True)
    assert {(e.guid, e.url, e.title, e.summary, e.version)
            for e in Entry.objects.filter(source=whole)} == stored
    assert len(stored) == 4 and ("url:" in " ".join(g for g, *_ in stored))


def test_feed_error_is_recorded_and_stored_entries_are_kept(
        source: Source, http_server: LocalHTTPServer) -> None:
    stages.poll_source(source.pk, force=True)
    http_server.add("/feed.xml", b"oops", status=500)
    result = stages.poll_source(source.pk, force=True)
    source.refresh_from_db()
    assert "500" in result.error and "500" in source.last_error
    assert source.error_count == 1 and source.next_poll > timezone.now()
    assert Entry.objects.count() == 2


def test_entries_go_all_the_way_and_rerunning_changes_nothing(
        source: Source, warta_cfg: dict[str, Any], tiny: TinyModel) -> None:
    stages.poll_source(source.pk, force=True)
    _run_all()
    assert set(Entry.objects.values_list("status", flat=True)) == {"published"}
    post = Post.objects.select_related("translation").get(entry__guid="one")
    assert post.translation.title == tiny.reference_translate("Story one").strip()
    assert post.category is not None and post.category.name == "Dunia"
    blocks = post.translation.blocks
    assert any(b["type"] == "quote" for b in blocks)
    assert post.translation.dateline == "Moskow, Rusia"  # the bundled glossary
    counts = (Article.objects.count(), Translation.objects.count(), Post.objects.count())
    for entry in Entry.objects.all():  # re-running a finished entry is a no-op
        Entry.objects.filter(pk=entry.pk).update(lease_until=None)
        assert stages.claim_entry(entry.pk) is None
    _run_all()
    assert (Article.objects.count(), Translation.objects.count(), Post.objects.count()) == counts


def test_a_post_records_when_warta_published_it_beside_the_story_date(
        source: Source, warta_cfg: dict[str, Any], tiny: TinyModel) -> None:
    stages.poll_source(source.pk, force=True)
    before = timezone.now()
    _run_all()
    after = timezone.now()
    for post in Post.objects.select_related("entry"):
        # published_at is the source's date (the feed says 24 November, 10:00 UTC); created
        # is the moment of publication: fetch-to-publish time is created - entry.created
        assert post.published_at == datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
        assert before <= post.created <= after
        assert post.entry.created <= post.created


def test_dead_page_records_error_and_backs_off_then_recovers(
        source: Source, http_server: LocalHTTPServer, warta_cfg: dict[str, Any]) -> None:
    http_server.add("/a/two", b"gone for now", status=503)
    stages.poll_source(source.pk, force=True)
    _run_all()
    two = Entry.objects.get(guid="two")
    assert two.status == "new" and "503" in two.error and two.error_count == 1
    assert two.next_attempt_at > timezone.now() + timedelta(seconds=20)
    assert Entry.objects.get(guid="one").status == "published"
    http_server.add("/a/two", _page("Story two"), headers={"Content-Type": "text/html"})
    Entry.objects.filter(pk=two.pk).update(next_attempt_at=timezone.now())
    _run_all()
    two.refresh_from_db()
    assert two.status == "published" and two.error == "" and two.error_count == 0


def test_page_that_is_not_an_article_fails_with_a_reason(
        source: Source, http_server: LocalHTTPServer, warta_cfg: dict[str, Any]) -> None:
    http_server.add("/a/two", "<html><body><ul>" + "".join(
        f"<li><a href='/x{i}'>Link {i}</a></li>" for i in range(40)) + "</ul></body></html>",
        headers={"Content-Type": "text/html"})
    stages.poll_source(source.pk, force=True)
    _run_all()
    two = Entry.objects.get(guid="two")
    assert two.status == "failed" and two.error
    assert Entry.objects.get(guid="one").status == "published"


def test_review_policy_holds_stories(source: Source, warta_cfg: dict[str, Any]) -> None:
    Source.objects.filter(pk=source.pk).update(auto_publish=False)
    stages.poll_source(source.pk, force=True)
    _run_all()
    assert set(Entry.objects.values_list("status", flat=True)) == {"in_review"}
    assert Post.objects.count() == 0


def test_missing_model_waits_or_publishes_marked_untranslated(
        source: Source, warta_cfg: dict[str, Any], tmp_path: Path, tiny: TinyModel) -> None:
    empty = tmp_path / "empty-models"
    empty.mkdir()
    warta_cfg["translate.models_dir"] = str(empty)
    clear_cache()
    stages.poll_source(source.pk, force=True)
    _run_all()
    entry = Entry.objects.get(guid="one")
    assert entry.status == "extracted" and "no translation model" in entry.error
    warta_cfg["translate.missing_model"] = "publish_untranslated"
    Entry.objects.update(next_attempt_at=timezone.now())
    _run_all()
    assert set(Entry.objects.values_list("status", flat=True)) == {"published"}
    assert set(Translation.objects.values_list("status", flat=True)) == {"untranslated"}
    assert stages.translate_untranslated() == 0  # still no model: nothing changes
    slugs = set(Post.objects.values_list("slug", flat=True))
    warta_cfg["translate.models_dir"] = str(tmp_path / "models")  # a model is installed now
    clear_cache()
    assert stages.translate_untranslated() == 2
    assert set(Translation.objects.values_list("status", flat=True)) == {"done"}
    assert set(Post.objects.values_list("slug", flat=True)) == slugs
    assert Translation.objects.get(article__entry__guid="one").title == (
        tiny.reference_translate("Story one").strip())


def test_a_lease_excludes_others_until_it_expires(source: Source) -> None:
    stages.poll_source(source.pk, force=True)
    first = stages.claim_entry()
    second = stages.claim_entry()
    assert first and second and first[0] != second[0]
    assert stages.claim_entry() is None
    Entry.objects.filter(pk=first[0]).update(lease_until=timezone.now() - timedelta(seconds=1))
    again = stages.claim_entry()
    assert again is not None and again[0] == first[0]
    # the first worker's lease is gone: its late result must not be stored
    assert stages.advance_entry(first[0], first[1]) == "new"
    assert Entry.objects.get(pk=first[0]).html == ""


def test_leases_of_dead_processes_are_released(source: Source) -> None:
    stages.poll_source(source.pk, force=True)
    claimed = stages.claim_entry()
    assert claimed is not None
    host = stages.LEASE_OWNER.rpartition(":")[0]
    Entry.objects.filter(pk=claimed[0]).update(lease_owner=f"{host}:999999999")
    assert stages.reclaim_dead_leases() == 1
    assert stages.claim_entry(claimed[0]) is not None


def test_page_gone_but_feed_carries_the_body_publishes_from_the_feed(
        http_server: LocalHTTPServer, warta_cfg: dict[str, Any]) -> None:
    body = "".join(f"<p>Paragraph {i} of the full body that the feed itself carries, with "
                   f"enough words to be an article about the city council.</p>" for i in range(5))
    http_server.add("/gone", b"gone", status=404)
    http_server.add("/full.xml", (
        "<?xml version='1.0'?><rss version='2.0' "
        "xmlns:content='http://purl.org/rss/1.0/modules/content/'><channel><title>T</title>"
        f"<link>{http_server.url('/')}</link><description>d</description><item>"
        f"<title>Council &lt;b&gt;votes&lt;/b&gt; &amp; agrees</title>"
        f"<link>{http_server.url('/gone')}</link><guid>full-1</guid>"
        f"<content:encoded><![CDATA[{body}]]></content:encoded></item></channel></rss>"),
        headers={"Content-Type": "application/rss+xml"})
    source = Source.objects.create(name="Full", url=http_server.url("/full.xml"))
    stages.poll_source(source.pk, force=True)
    _run_all()
    entry = Entry.objects.get(guid="full-1")
    assert entry.status == "published", entry.error
    article = Article.objects.get(entry=entry)
    assert article.title == "Council votes & agrees"  # plain text: markup never survives
    assert len([b for b in article.blocks if b["type"] == "p"]) == 5
