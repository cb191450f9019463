"""The bundled sample sources, served for real on 127.0.0.1 and read like a feed reader would."""

from __future__ import annotations

import http.client
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import feedparser
import httpx
import pytest

from warta.demo import make_samples
from warta.demo.server import (
    SAMPLES_DIR,
    SOURCE_KEYS,
    SOURCES,
    SampleServer,
    resolve_sample_path,
    serve_samples,
)
from warta.demo.stories import ALL_STORIES, RELATED, SAME_EVENT, SAMPLES_NOW

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"
IMG_SRC = re.compile(r'<img\b[^>]*\bsrc="([^"]+)"')


@pytest.fixture(scope="module")
def server() -> Iterator[SampleServer]:
    with serve_samples() as running:
        yield running


@pytest.fixture(scope="module")
def client(server: SampleServer) -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as c:
        yield c


@pytest.fixture(scope="module")
def feeds(server: SampleServer, client: httpx.Client) -> dict[str, feedparser.FeedParserDict]:
    parsed = {}
    for name, url, _lang, _category in server.feed_urls():
        response = client.get(url)
        assert response.status_code == 200, url
        parsed[name] = feedparser.parse(
            response.content, response_headers={k: v for k, v in response.headers.items()}
        )
    return parsed


def test_feed_urls_name_every_source(server: SampleServer) -> None:
    urls = server.feed_urls()
    assert [u[0] for u in urls] == [
        "NDTV World (sample)",
        "Asia Wire Service (sample)",
        "Global Tech Daily (sample)",
    ]
    for _name, url, lang, category in urls:
        assert url.startswith(server.base_url + "/")
        assert lang == "en"
        assert category


def test_manifest_gives_what_a_source_needs(server: SampleServer) -> None:
    assert [s["slug"] for s in SOURCES] == ["ndtv-world", "wire-asia", "global-tech"]
    for spec in SOURCES:
        assert set(SOURCE_KEYS) <= set(spec)
        assert spec["language"] == "en"
        assert server.feed_url(spec) == server.feed_url(spec["slug"])
        assert (SAMPLES_DIR / spec["slug"] / spec["feed_path"]).is_file()
    with pytest.raises(KeyError):
        server.feed_url("no-such-source")


def test_feeds_have_the_right_content_type(server: SampleServer, client: httpx.Client) -> None:
    types = [client.get(url).headers["content-type"] for _n, url, _l, _c in server.feed_urls()]
    assert types == [
        "application/rss+xml; charset=utf-8",
        "application/atom+xml; charset=utf-8",
        "application/rss+xml; charset=utf-8",
    ]


def test_feeds_parse_cleanly(feeds: dict[str, feedparser.FeedParserDict]) -> None:
    versions = {name: f.version for name, f in feeds.items()}
    assert versions == {
        "NDTV World (sample)": "rss20",
        "Asia Wire Service (sample)": "atom10",
        "Global Tech Daily (sample)": "rss20",
    }
    for name, feed in feeds.items():
        assert not feed.bozo, (name, feed.get("bozo_exception"))


def test_entries_cover_two_days_and_four_sections(
    feeds: dict[str, feedparser.FeedParserDict],
) -> None:
    entries = [e for f in feeds.values() for e in f.entries]
    assert len(entries) >= 13
    assert len({e.id for e in entries}) == len(entries)
    for e in entries:
        published = datetime(*e.published_parsed[:6], tzinfo=UTC)
        assert SAMPLES_NOW - timedelta(hours=48) <= published < SAMPLES_NOW, e.link
    categories = {t.term for e in entries for t in e.tags}
    assert {"World", "Business", "Technology"} <= categories
    assert categories & {"Science", "Health"}


def test_feed_formats_carry_their_extras(
    server: SampleServer, feeds: dict[str, feedparser.FeedParserDict]
) -> None:
    ndtv = feeds["NDTV World (sample)"].entries
    assert all(e.media_content[0]["url"].endswith(".png") for e in ndtv)
    # feedparser files <media:description> (the photo caption) under entry.content.
    captions = {e.link.rsplit("/", 1)[-1]: e.content[0].value for e in ndtv}
    assert captions[ALL_STORIES[0].slug + ".html"].endswith("(File)")
    assert all(e.media_credit[0]["content"].startswith("Photo: ") for e in ndtv)
    wire = feeds["Asia Wire Service (sample)"].entries
    # Relative hrefs resolved against xml:base.
    assert all(e.link.startswith(server.source_url("wire-asia") + "/articles/") for e in wire)
    tech = feeds["Global Tech Daily (sample)"].entries
    assert all("<blockquote>" in e.content[0].value for e in tech)
    assert all(e.enclosures[0]["type"] == "image/png" for e in tech)


def test_every_entry_link_is_an_article_page(
    server: SampleServer, client: httpx.Client, feeds: dict[str, feedparser.FeedParserDict]
) -> None:
    for feed in feeds.values():
        for entry in feed.entries:
            page = client.get(entry.link)
            assert page.status_code == 200, entry.link
            assert page.headers["content-type"] == "text/html; charset=utf-8"
            assert "<article" in page.text or 'class="story-body"' in page.text, entry.link
            assert "{{BASE}}" not in page.text
            assert f'<link rel="canonical" href="{entry.link}">' in page.text


def _image_urls(client: httpx.Client, feeds: dict[str, feedparser.FeedParserDict]) -> set[str]:
    urls: set[str] = set()
    for feed in feeds.values():
        for entry in feed.entries:
            urls.update(m["url"] for m in entry.get("media_content", []))
            urls.update(e["href"] for e in entry.get("enclosures", []))
            page = client.get(entry.link).text
            urls.update(urljoin(entry.link, src) for src in IMG_SRC.findall(page))
    return urls


def test_every_image_is_a_real_png_or_jpeg(
    server: SampleServer, client: httpx.Client, feeds: dict[str, feedparser.FeedParserDict]
) -> None:
    urls = _image_urls(client, feeds)
    assert len(urls) >= 13
    for url in urls:
        assert url.startswith(server.base_url), url
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["content-type"] in ("image/png", "image/jpeg")
        assert response.content.startswith((PNG_SIGNATURE, JPEG_SIGNATURE)), url
        assert len(response.content) < 50_000


def test_conditional_get_answers_304(server: SampleServer, client: httpx.Client) -> None:
    url = server.feed_urls()[0][1]
    first = client.get(url)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    by_etag = client.get(url, headers={"If-None-Match": etag})
    assert by_etag.status_code == 304
    assert by_etag.content == b""
    assert by_etag.headers["etag"] == etag
    by_date = client.get(url, headers={"If-Modified-Since": modified})
    assert by_date.status_code == 304
    stale = client.get(url, headers={"If-None-Match": '"something-else"'})
    assert stale.status_code == 200
    assert stale.content == first.content


def test_missing_file_is_404(server: SampleServer, client: httpx.Client) -> None:
    assert client.get(server.url("ndtv-world/articles/no-such-story.html")).status_code == 404
    assert client.get(server.url("ndtv-world/articles/")).status_code == 404
    assert client.get(server.url("")).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/ndtv-world/../../../pyproject.toml",
        "/ndtv-world/%2e%2e/%2e%2e/server.py",
        "/../server.py",
        "/ndtv-world/..%2f..%2fserver.py",
        "/.hidden",
    ],
)
def test_traversal_is_404(server: SampleServer, path: str) -> None:
    # http.client sends the path as written; httpx would normalise the dots away first.
    netloc = urlsplit(server.base_url).netloc
    conn = http.client.HTTPConnection(netloc, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        assert response.status == 404
        response.read()
    finally:
        conn.close()


def test_resolve_sample_path_stays_inside_root() -> None:
    assert (
        resolve_sample_path(SAMPLES_DIR, "/ndtv-world/feed.xml")
        == (SAMPLES_DIR / "ndtv-world" / "feed.xml").resolve()
    )
    assert resolve_sample_path(SAMPLES_DIR, "/ndtv-world/feed.xml?x=1#y") is not None
    assert resolve_sample_path(SAMPLES_DIR, "/ndtv-world/../sources.json") is None
    assert resolve_sample_path(SAMPLES_DIR, "/ndtv-world//feed.xml") is None


def test_reference_page_keeps_what_the_translation_must_keep(
    server: SampleServer, client: httpx.Client
) -> None:
    story = ALL_STORIES[0]
    html = client.get(server.url(f"{story.source}/articles/{story.slug}.html")).text
    assert "<p>MOSCOW, Russia: " in html
    assert re.search(r"<figcaption>[^<]*\(File\) <span class=\"credit\">Photo: Reuters", html)
    assert "<blockquote><p>“" in html
    assert "<h1 " in html and "<time " in html and "application/ld+json" in html
    last = re.findall(r"<p>(.*?)</p>", html.split("</article>")[0])[-1]
    assert last.startswith("(Except for the headline, this story has not been edited by NDTV")


def test_pairs_for_dedupe_and_related_exist(server: SampleServer, client: httpx.Client) -> None:
    for pair in (SAME_EVENT, RELATED):
        pages = [client.get(server.url(f"{src}/articles/{slug}.html")) for src, slug in pair]
        assert [p.status_code for p in pages] == [200, 200]
    a, b = (client.get(server.url(f"{s}/articles/{g}.html")).text for s, g in SAME_EVENT)
    for fact in (
        "$4.5 billion",
        "40 per cent by 2032",
        "Pavel Zorin",
        "$300 million",
        "June 2027",
        "$11 billion",
    ):
        assert fact in a and fact in b, fact


def test_bundled_files_match_the_stories(tmp_path: Path) -> None:
    """samples/ is generated from stories.py; regenerate with python -m warta.demo.make_samples."""
    expected = make_samples.render_text_files(
        {Path(p).stem: len((SAMPLES_DIR / p).read_bytes()) for p in _bundled_images()}
    )
    for rel, text in expected.items():
        assert (SAMPLES_DIR / rel).read_text(encoding="utf-8") == text, rel
    assert set(_bundled_images()) == {f"{s.source}/images/{s.slug}.png" for s in ALL_STORIES}


def _bundled_images() -> list[str]:
    return [p.relative_to(SAMPLES_DIR).as_posix() for p in SAMPLES_DIR.glob("*/images/*.png")]
