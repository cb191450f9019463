"""Items known by their digest: a changed feed document is read for its changed items only
(``parse_feed(known_items=)``, the fast path). What an item's digest covers, and where a
document gets none."""

from __future__ import annotations

from dataclasses import replace

from warta.core.feeds import parse_feed
from warta.core.feeds_fast import FastFirstBackend, item_digests

URL = "https://feeds.example/world.xml"


def _item(n: int, title: str = "") -> str:
    return (
        f"<item><title>{title or f'Story {n}'}</title><link>https://news.example/{n}</link>"
        f"<guid>g{n}</guid><pubDate>Tue, 24 Nov 2026 1{n % 10}:00:00 +0000</pubDate>"
        f"<description><![CDATA[<p>Body {n} <a href='/more/{n}'>more</a></p>]]></description>"
        f"<media:content url='https://img.example/{n}.jpg' medium='image'><media:description>"
        f"Caption {n} (arsip)</media:description><media:credit>Photo {n}</media:credit>"
        "</media:content></item>"
    )


def _rss(items: str, build_date: str = "Tue, 24 Nov 2026 10:00:00 +0000",
         root_extra: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
        f'xmlns:media="http://search.yahoo.com/mrss/"{root_extra}><channel><title>World</title>'
        f"<link>https://news.example/</link><language>en</language>"
        f"<lastBuildDate>{build_date}</lastBuildDate>{items}</channel></rss>"
    ).encode()


def test_a_document_that_gained_a_story_is_read_for_that_story() -> None:
    first = parse_feed(_rss(_item(1) + _item(2)), URL)
    assert len(first.item_digests) == 2 and len(set(first.item_digests)) == 2
    # the next poll: a story more on top, the channel's build date changed
    doc = _rss(_item(3) + _item(1) + _item(2), build_date="Wed, 25 Nov 2026 08:00:00 +0000")
    backend = FastFirstBackend(first.item_digests)
    again = parse_feed(doc, URL, backend=backend)
    assert backend.last_path == "fast"
    full = parse_feed(doc, URL)
    assert again.entries == [full.entries[0]]  # the new one, as a full read gives it
    assert again.entries[0].images[0].caption == "Caption 3 (arsip)"
    assert again.known_guids == ["g1", "g2"]
    assert again.item_digests == full.item_digests
    assert again.item_digests[1:] == first.item_digests
    # parse_feed passes the digests to the parser it picks
    assert parse_feed(doc, URL, known_items=first.item_digests).entries == again.entries


def test_an_edited_item_is_read_again() -> None:
    first = parse_feed(_rss(_item(1) + _item(2)), URL)
    edited = parse_feed(_rss(_item(1, "Story 1, updated") + _item(2)), URL,
                        known_items=first.item_digests)
    assert [e.title for e in edited.entries] == ["Story 1, updated"]
    assert edited.known_guids == ["g2"]


def test_what_every_item_is_read_against_is_in_its_digest() -> None:
    """The same item bytes read against another feed URL (links resolve against it), under
    another root element (namespaces, xml:base, xml:lang), in another channel language or
    in a document with or without any pubDate are not the same entry: all read again."""
    items = _item(1) + _item(2)
    known = parse_feed(_rss(items), URL).item_digests
    assert parse_feed(_rss(items), URL, known_items=known).entries == []
    others = [
        parse_feed(_rss(items), "https://mirror.example/world.xml", known_items=known),
        parse_feed(_rss(items, root_extra=' xmlns:dc="http://purl.org/dc/elements/1.1/"'),
                   URL, known_items=known),
        parse_feed(_rss(items).replace(b"<language>en</language>",
                                       b"<language>fr</language>"), URL, known_items=known),
    ]
    for parsed in others:
        assert len(parsed.entries) == 2 and parsed.known_guids == []
    # an item dated by dc:date is read one way where another item has a pubDate, another
    # (dc:date as the update time, as feedparser reads it) where none has
    dc = ' xmlns:dc="http://purl.org/dc/elements/1.1/"'
    dated = ("<item><title>Dated</title><link>https://news.example/d</link><guid>d</guid>"
             "<dc:date>2026-11-24T08:00:00Z</dc:date></item>")
    before = parse_feed(_rss(_item(2) + dated, root_extra=dc), URL)  # the same last item
    alone = parse_feed(_rss(dated, root_extra=dc), URL, known_items=before.item_digests)
    assert alone.entries == parse_feed(_rss(dated, root_extra=dc), URL).entries
    assert alone.entries[0] != before.entries[1]


def test_an_item_without_id_or_link_keeps_the_guid_a_full_read_gives() -> None:
    bare = ("<item><title>No id</title><pubDate>Tue, 24 Nov 2026 09:00:00 +0000</pubDate>"
            "<description>x</description></item>")
    doc = _rss(_item(1) + bare)
    full = parse_feed(doc, URL)
    assert full.entries[1].guid.startswith("sha256:")
    known = parse_feed(doc, URL, known_items=full.item_digests)
    assert known.entries == [] and known.known_guids == [e.guid for e in full.entries]


def test_documents_the_fast_path_does_not_read_get_no_digests() -> None:
    """feedparser's path (here: markup in a title), JSON Feed and wire formats read every
    item and give no digests: the next poll reads them all again."""
    broken = _rss(_item(1)).replace(b"<title>Story 1</title>", b"<title>A <b>1</b></title>")
    backend = FastFirstBackend(["x"])
    parsed = parse_feed(broken, URL, backend=backend)
    assert backend.last_path == "feedparser"
    assert parsed.item_digests == [] and len(parsed.entries) == 1
    json_feed = (b'{"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": '
                 b'[{"id": "1", "url": "https://news.example/1", "content_text": "x"}]}')
    assert parse_feed(json_feed, URL, known_items=["x"]).item_digests == []


def test_no_digests_where_the_tags_are_not_one_per_entry() -> None:
    doc = _rss(_item(1) + _item(2))
    assert len(item_digests(doc, 2, "c")) == 2
    assert item_digests(doc, 3, "c") == [] and item_digests(b"<rss/>", 0, "c") == []
    # the context is in every digest
    assert set(item_digests(doc, 2, "c")).isdisjoint(item_digests(doc, 2, "d"))


def test_the_digests_stay_out_of_the_json_form() -> None:
    parsed = parse_feed(_rss(_item(1)), URL)
    data = parsed.to_dict()
    assert "item_digests" not in data and "known_guids" not in data
    assert replace(parsed, item_digests=[], known_guids=["g"]).to_dict() == data
