"""The fast path (feedparser-rs) and the tolerant path (feedparser) give the same FeedEntry.

Both run over every feed of ../shared/corpus/feeds (296 files, the 200 real feeds of
fastfeedparser-bench among them). Strict, for every file: the same outcome (parsed, or a
FeedParseError on both paths), the same feed title and link, the same number of entries,
the same guid for every entry (a guid decides whether a story is new: a feed that moves
between paths must not bring its stories in twice).

Per field, the share of entries where both paths agree exactly has a floor (measured on
the corpus, 2026-11, when 238 of the 279 parsed files took the fast path). The differences
that remain are where the two parsers read damaged or ambiguous input differently:

- summary/content: feedparser's own sanitiser runs before nh3 on its path and repairs
  broken markup (unclosed tags, ``&lt;a href`` escaped twice inside CDATA) differently.
- language: feedparser-rs also takes ``xml:lang`` from an item's content element.
- categories/url/images: feedparser decodes entities a second time (``&amp;#39;`` → "'",
  ``&#038;`` in a link); feedparser-rs keeps what the XML says. One feed puts a date in
  ``<category>`` (wapo) and feedparser-rs keeps it.
- updated/published: RSS items whose ``<pubDate>`` feedparser-rs could not read.
- warnings: only the feedparser path reports XML it had to forgive; feedparser-rs reads a
  few well-known faults (junk after the root element, an undefined entity) without a flag.

Normalised on purpose (so these are not differences): attribute order (the fast path sorts
them like feedparser's sanitiser), "jo@example.com (Jo)" authors (→ "Jo"), Atom entries
without an author (both take the feed's authors, RFC 4287), RSS ``dc:date`` (``updated``,
as feedparser reads it), RSS relative links (against the feed URL, not the channel link).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from warta.core import feeds
from warta.core.errors import FeedParseError
from warta.core.feeds import FeedparserBackend, parse_feed
from warta.core.feeds_fast import FastFirstBackend

pytestmark = pytest.mark.corpus

SOURCE_EXTENSIONS = (".go", ".js", ".swift", ".md", ".txt")
FIELDS = (
    "url",
    "title",
    "summary",
    "content",
    "published",
    "updated",
    "authors",
    "images",
    "categories",
    "language",
)
# share of entries on which both paths agree, per field (measured: see the module docstring)
FLOORS = {
    "url": 0.995,
    "title": 0.995,
    "summary": 0.955,
    "content": 0.97,
    "published": 0.995,
    "updated": 0.99,
    "authors": 0.999,
    "images": 0.995,
    "categories": 0.98,
    "language": 0.975,
}
FAST_FLOOR = 0.80  # share of the parsed files the fast path reads without falling back


def _feed_files(corpus: Path) -> list[Path]:
    root = corpus / "feeds"
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and p.name != "LICENSE" and not p.name.endswith(SOURCE_EXTENSIONS)
    )


def _parse(data: bytes, name: str, backend: Any) -> Any:
    try:
        return parse_feed(data, f"https://corpus.example/{name}", backend=backend)
    except FeedParseError as e:
        return e


def test_fast_and_feedparser_paths_agree(corpus: Path) -> None:
    files = _feed_files(corpus)
    assert len(files) > 250
    strict: list[str] = []
    agree: Counter[str] = Counter()
    entries = fast_files = parsed_files = 0
    for path in files:
        data = path.read_bytes()
        fast = FastFirstBackend()
        a = _parse(data, path.name, fast)
        b = _parse(data, path.name, FeedparserBackend())
        name = str(path.relative_to(corpus))
        if isinstance(a, FeedParseError) or isinstance(b, FeedParseError):
            if type(a) is not type(b):
                strict.append(f"{name}: {a!r} vs {b!r}")
            continue
        parsed_files += 1
        fast_files += fast.last_path == "fast"
        if (a.title, a.link, len(a.entries)) != (b.title, b.link, len(b.entries)):
            strict.append(
                f"{name}: feed {a.title!r} {len(a.entries)} vs {b.title!r} {len(b.entries)}"
            )
            continue
        for x, y in zip(a.entries, b.entries, strict=True):
            entries += 1
            if x.guid != y.guid:
                strict.append(f"{name}: guid {x.guid!r} vs {y.guid!r}")
            for f in FIELDS:
                agree[f] += getattr(x, f) == getattr(y, f)
    assert not strict, strict[:10]
    assert entries > 5000
    rates = {f: agree[f] / entries for f in FIELDS}
    low = {f: round(r, 4) for f, r in rates.items() if r < FLOORS[f]}
    assert not low, f"fields below their floor: {low} (all: {rates})"
    assert fast_files / parsed_files >= FAST_FLOOR, (fast_files, parsed_files)


def test_fast_path_output_is_sanitised() -> None:
    """feedparser-rs runs with its sanitiser off: nh3 must still clean everything."""
    xml = (
        b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        b"<item><title>x</title><link>https://ok.example/1</link><guid>g1</guid>"
        b"<description><![CDATA[<p onclick='x()'>Hi<script>alert(1)</script>"
        b'<a href="javascript:alert(2)">j</a><img src="/i.png" onerror="y()"></p>]]>'
        b"</description><content:encoded xmlns:content='http://purl.org/rss/1.0/modules/"
        b"content/'><![CDATA[<iframe src='https://evil.example/'></iframe><b>body</b>"
        b"<style>p{}</style>]]></content:encoded></item></channel></rss>"
    )
    backend = FastFirstBackend()
    entry = parse_feed(xml, "https://feeds.example/f.xml", backend=backend).entries[0]
    assert backend.last_path == "fast"
    assert (
        entry.summary == '<p>Hi<a rel="noopener noreferrer">j</a>'
        '<img src="https://feeds.example/i.png"></p>'
    )
    assert entry.content == "<b>body</b>"


def _feed_with_body_as_description(n: int, body: str) -> bytes:
    items = "".join(
        f"<item><title>t{i}</title><link>https://ok.example/{i}</link><guid>g{i}</guid>"
        f"<description><![CDATA[{body}{i}]]></description>"
        f"<content:encoded><![CDATA[{body}{i}]]></content:encoded></item>"
        for i in range(n)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>t</title>'
        f"{items}</channel></rss>"
    ).encode()


def test_a_body_repeated_as_the_summary_is_sanitised_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """An item whose description repeats its content:encoded costs one nh3 pass, and both
    fields hold the same sanitised HTML."""
    calls: list[str] = []

    class Counting:
        def __init__(self, cleaner: Any) -> None:
            self.cleaner = cleaner

        def clean(self, html: str) -> str:
            calls.append(html)
            return str(self.cleaner.clean(html))

    body = '<p onclick="x()">Hi <a href="/a" title="t">a</a><script>y()</script></p>'
    monkeypatch.setattr(feeds, "_CLEANER", Counting(feeds._CLEANER))
    backend = FastFirstBackend()
    parsed = parse_feed(
        _feed_with_body_as_description(2, body), "https://feeds.example/f.xml", backend=backend
    )
    assert backend.last_path == "fast"
    expected = [
        f'<p>Hi <a href="https://feeds.example/a" title="t" rel="noopener noreferrer">a</a></p>{i}'
        for i in range(2)
    ]
    assert [e.summary for e in parsed.entries] == expected
    assert [e.content for e in parsed.entries] == expected
    assert calls == [body + "0", body + "1"]  # one per item, not one per field


def test_relative_links_resolve_against_each_feed_url() -> None:
    """The same relative link in two feeds resolves against each feed's own URL (resolved
    links are cached by link and base, never by link alone)."""
    body = '<p><a href="/topic/1">t</a><img src="img/2.jpg"></p>'
    xml = _feed_with_body_as_description(1, body)
    one = parse_feed(xml, "https://one.example/feeds/f.xml").entries[0]
    two = parse_feed(xml, "https://two.example/rss/f.xml").entries[0]
    assert 'href="https://one.example/topic/1"' in one.content
    assert 'src="https://one.example/feeds/img/2.jpg"' in one.content
    assert 'href="https://two.example/topic/1"' in two.content
    assert 'src="https://two.example/rss/img/2.jpg"' in two.content


@pytest.mark.parametrize(
    ("xml", "reason"),
    [
        (
            b'<?xml version="1.0"?><rss version="2.0"><channel><item><title>a &amp b</title>'
            b"<description>x</item></channel></rss>",
            "malformed",
        ),
        (
            b'<?xml version="1.0" encoding="iso-8859-1"?><rss version="2.0"><channel><item>'
            b"<title>Caf\xe9</title></item></channel></rss>",
            "not UTF-8",
        ),
        (
            b'<rss version="2.0"><channel><item><title>Click <b>me</b></title><guid>1</guid>'
            b"</item></channel></rss>",
            "markup elements inside a title",
        ),
        (
            b'<rss version="2.0" xml:base="https://b.example/"><channel><item><title>t</title>'
            b"<link>a</link></item></channel></rss>",
            "xml:base in RSS",
        ),
    ],
)
def test_fallback_to_feedparser(xml: bytes, reason: str) -> None:
    backend = FastFirstBackend()
    feed = parse_feed(xml, "https://feeds.example/f.xml", backend=backend)
    assert backend.last_path == "feedparser"
    assert backend.last_reason.startswith(reason)
    assert feed.entries


def test_items_known_by_their_digest_are_left_out_and_the_rest_read_the_same(
    corpus: Path,
) -> None:
    """Over every feed of the corpus that takes the fast path: told all its item digests,
    the parse reads no entry and gives every guid a full read gives, in order; told all
    but one, it reads that one alone, exactly as a full read gives it (captions, links
    and all)."""
    checked = items = 0
    for path in _feed_files(corpus):
        data = path.read_bytes()
        backend = FastFirstBackend()
        full = _parse(data, path.name, backend)
        if isinstance(full, FeedParseError) or backend.last_path != "fast":
            continue
        name = str(path.relative_to(corpus))
        guids = [e.guid for e in full.entries]
        if not full.item_digests:  # tags not one per entry: nothing may be known
            continue
        assert len(full.item_digests) == len(guids), name
        checked += 1
        items += len(guids)
        known = _parse(data, path.name, FastFirstBackend(full.item_digests))
        assert known.entries == [] and known.known_guids == guids, name
        assert known.item_digests == full.item_digests, name
        last = len(guids) - 1  # the one item not known: the middle one of the document
        one = len(guids) // 2
        but_one = full.item_digests[:one] + full.item_digests[one + 1 :]
        partial = _parse(data, path.name, FastFirstBackend(but_one))
        assert partial.entries == [full.entries[one]], name
        assert partial.known_guids == guids[:one] + guids[one + 1 : last + 1], name
    assert checked > 150 and items > 4000, (checked, items)
