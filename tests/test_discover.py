"""Format detection and feed discovery (core/discover.py), and `warta source add` using them
against a real local HTTP server through the real CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import WartaEnv
from tests.support.httpserver import LocalHTTPServer
from warta.core.discover import FeedLink, detect_format, discover_feed_links

DATA = Path(__file__).parent / "data" / "feeds"
PAGE = b"""<!doctype html><html><head><title>Harbour News</title>
<base href="https://harbour.example/news/">
<link rel="stylesheet" href="/s.css">
<link rel="alternate" type="application/rss+xml" title="Harbour  RSS" href="feed.xml">
<link rel="alternate" type="application/atom+xml" href="https://harbour.example/atom">
<link rel="Alternate feed" type="application/feed+json; charset=utf-8" href="/feed.json">
<link rel="alternate" type="application/rss+xml" href="feed.xml">
<link rel="alternate" type="text/html" hreflang="id" href="/id/">
<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
</head><body><p>Hello</p></body></html>"""


def test_discover_reads_alternate_feed_links_in_order() -> None:
    assert discover_feed_links(PAGE, "https://harbour.example/") == [
        FeedLink("https://harbour.example/news/feed.xml", "application/rss+xml", "Harbour RSS"),
        FeedLink("https://harbour.example/atom", "application/atom+xml", ""),
        FeedLink("https://harbour.example/feed.json", "application/feed+json", ""),
    ]


@pytest.mark.parametrize("page", [b"", b"\x00\x01", b"<html><head></head></html>", b"plain"])
def test_discover_on_pages_without_feeds_finds_nothing(page: bytes) -> None:
    assert discover_feed_links(page, "https://x.example/") == []


@pytest.mark.parametrize(
    ("name", "fmt"),
    [("rss2-media.xml", "rss"), ("atom-xmlbase.xml", "atom"), ("jsonfeed.json", "json")],
)
def test_detect_format_of_feeds(name: str, fmt: str) -> None:
    guess = detect_format((DATA / name).read_bytes(), "https://feeds.example/" + name)
    assert guess.format == fmt
    assert guess.entries > 0 and guess.title


def test_detect_format_of_what_is_not_a_feed() -> None:
    assert detect_format(PAGE, "https://harbour.example/", "text/html").format == "html"
    opml = detect_format(b"<?xml version='1.0'?><opml version='2.0'><body/></opml>", "u")
    assert opml.format == "opml" and "source import" in opml.note
    junk = detect_format(b"", "https://x.example/")
    assert (junk.format, junk.note) == (
        "unknown",
        "feed could not be read: feed is empty (https://x.example/)",
    )


@pytest.mark.dbmatrix
def test_cli_add_detects_the_format_of_a_feed(
    warta: WartaEnv, http_server: LocalHTTPServer
) -> None:
    url = http_server.add(
        "/atom",
        (DATA / "atom-xmlbase.xml").read_bytes(),
        headers={"Content-Type": "application/atom+xml"},
    )
    out = warta.run("source", "add", url).stdout
    assert "atom10 feed, 2 entries now" in out
    (row,) = warta.json("source", "list")
    assert (row["url"], row["format"], row["name"]) == (url, "atom", "Example Atom News")
    assert row["entries_per_day"] == 0


@pytest.mark.dbmatrix
def test_cli_add_of_a_site_page_adds_the_feed_it_links(
    warta: WartaEnv, http_server: LocalHTTPServer
) -> None:
    feed = http_server.add(
        "/feed.xml",
        (DATA / "rss2-media.xml").read_bytes(),
        headers={"Content-Type": "application/rss+xml"},
    )
    page = http_server.add(
        "/",
        b'<html><head><link rel="alternate" type="application/rss+xml" href="/feed.xml">'
        b'<link rel="alternate" type="application/atom+xml" href="/atom"></head></html>',
        headers={"Content-Type": "text/html; charset=utf-8"},
    )
    out = warta.run("source", "add", page, "--name", "Harbour").stdout
    assert f"its feed: {feed}" in out and "1 more" in out
    (row,) = warta.json("source", "list")
    assert (row["url"], row["format"], row["name"]) == (feed, "rss", "Harbour")


def test_cli_add_of_what_cannot_be_checked_adds_with_a_warning(
    warta: WartaEnv, http_server: LocalHTTPServer
) -> None:
    page = http_server.add(
        "/plain", b"<html><body>No feeds here</body></html>", headers={"Content-Type": "text/html"}
    )
    done = warta.run("source", "add", page)
    assert "links no feed; added anyway" in done.stderr
    down = warta.run("source", "add", "http://127.0.0.1:9/feed.xml")
    assert "could not check" in down.stderr
    offline = warta.run("source", "add", "https://offline.example/rss", "--no-check")
    assert offline.stderr == ""
    assert len(warta.json("source", "list")) == 3


def test_cli_add_refuses_an_opml_file_and_a_bad_url(
    warta: WartaEnv, http_server: LocalHTTPServer
) -> None:
    opml = http_server.add(
        "/list.opml", b"<opml version='2.0'><body/></opml>", headers={"Content-Type": "text/x-opml"}
    )
    bad = warta.run("source", "add", opml, check=False)
    assert bad.returncode != 0 and "warta source import" in bad.stderr
    worse = warta.run("source", "add", "not a url", check=False)
    assert worse.returncode != 0 and "warta: error:" in worse.stderr
    assert warta.json("source", "list") == []
