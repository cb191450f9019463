"""parse_feed over the real feeds of ../shared/corpus/feeds (never copied into the repo).

Gate: nothing raises anything but FeedParseError; the non-feed files (HTML pages, OPML
lists, plain XML) raise FeedParseError; and at least TITLED_FLOOR of the files yield
entries with titles (measured: 272 of 296 files = 91.9 %; 17 raise FeedParseError, 7 have
entries without titles, e.g. microblog JSON Feeds).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from warta.core.errors import FeedParseError
from warta.core.feeds import parse_feed

pytestmark = pytest.mark.corpus

TITLED_FLOOR = 0.90
SOURCE_EXTENSIONS = (".go", ".js", ".swift", ".md", ".txt")
# Files in the corpus that are not feeds at all, by name.
NOT_FEEDS = {"iso88591.xml", "iso88591_utf8_mismatch.xml", "ScriptingNews.json"}


def _feed_files(corpus: Path) -> list[Path]:
    root = corpus / "feeds"
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and p.name != "LICENSE" and not p.name.endswith(SOURCE_EXTENSIONS)
    )


def _is_not_a_feed(path: Path) -> bool:
    return path.suffix in (".html", ".opml") or path.name in NOT_FEEDS


def test_corpus_parses_without_crashing(corpus: Path) -> None:
    files = _feed_files(corpus)
    assert len(files) > 250
    titled, unexpected = 0, []
    for path in files:
        try:
            feed = parse_feed(path.read_bytes(), f"https://corpus.example/{path.name}")
        except FeedParseError:
            continue
        if _is_not_a_feed(path):
            unexpected.append(path.name)
        titled += any(e.title for e in feed.entries)
    assert not unexpected, f"non-feeds accepted as feeds: {unexpected}"
    assert titled / len(files) >= TITLED_FLOOR, f"{titled}/{len(files)} with titled entries"


@pytest.mark.parametrize(
    ("relpath", "title", "first_entry"),
    [
        ("miniflux/internal/reader/encoding/testdata/windows-1252.xml", "Euro €", None),
        (
            "miniflux/internal/reader/encoding/testdata/windows-1252-incorrect-prolog.xml",
            "Euro €",
            None,
        ),
        ("miniflux/internal/reader/encoding/testdata/iso-8859-1.xml", "Café", None),
        (
            "miniflux/internal/reader/parser/testdata/encoding_WINDOWS-1251.xml",
            "iBash.Org.Ru",
            "Цитата #17703",
        ),
        ("miniflux/internal/reader/xml/testdata/koi8r.xml", "Пример RSS ленты", "Первая новость"),
    ],
)
def test_corpus_encodings(corpus: Path, relpath: str, title: str, first_entry: str) -> None:
    feed = parse_feed((corpus / "feeds" / relpath).read_bytes(), "https://corpus.example/")
    assert feed.title == title
    if first_entry:
        assert feed.entries[0].title == first_entry


def test_corpus_gzipped_file_is_unpacked(corpus: Path) -> None:
    path = corpus / "feeds/node-feedparser/test/feeds/compressed.xml"
    assert path.read_bytes()[:2] == b"\x1f\x8b"
    assert parse_feed(path.read_bytes(), "https://corpus.example/").entries
