"""The feeds warta publishes: RSS 2.0, Atom and JSON Feed 1.1, site-wide and per category.
Valid (feedparser reads RSS and Atom back with no bozo; JSON Feed validates against the
1.1 schema), summary or full content by ``site.feed_full_content``, killed stories gone at
once, hostile text unable to break the XML."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import feedparser
import jsonschema
import pytest
from django.core.cache import cache
from django.test import Client

from tests.test_site import REFERENCE_BLOCKS, make_post
from warta.newsroom.models import Category, Post

pytestmark = pytest.mark.dbmatrix

SCHEMA = json.loads(
    (Path(__file__).parent / "data" / "jsonfeed-1.1.schema.json").read_text(encoding="utf-8")
)
VALIDATOR = jsonschema.Draft202012Validator(
    SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
)
REF_TIME = datetime(2023, 9, 9, 7, 5, tzinfo=UTC)
BASE = "http://127.0.0.1:8000"

SITE_FEEDS = {"rss": "/rss.xml", "atom": "/atom.xml", "json": "/feed.json"}


def category_feeds(slug: str) -> dict[str, str]:
    return {k: f"/kategori/{slug}/{v.lstrip('/')}" for k, v in SITE_FEEDS.items()}


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()


@pytest.fixture
def full_content(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(settings.WARTA.values, "site.feed_full_content", True)


@pytest.fixture
def posts(db: None) -> dict[str, Post]:
    world = Category.objects.create(slug="dunia", name="Dunia")
    sport = Category.objects.create(slug="olahraga", name="Olahraga")
    return {
        "main": make_post(
            "Putin menjamu Kim Jong Un di kosmodrom Vostochny",
            REFERENCE_BLOCKS,
            published_at=REF_TIME,
            category=world,
            dateline="Moskow, Rusia",
            image={"src": "https://img.example.com/putin-kim.jpg", "caption": "Putin (arsip)"},
            attribution="Cerita ini tidak disunting oleh staf NDTV.",
        ),
        "sport": make_post(
            "India menang atas Pakistan",
            [{"type": "p", "text": "Kohli mencetak abad."}],
            published_at=REF_TIME - timedelta(hours=1),
            category=sport,
        ),
        "other": make_post("Harga beras naik", published_at=REF_TIME - timedelta(hours=2)),
        "killed": make_post(
            "Berita yang ditarik",
            published_at=REF_TIME,
            category=world,
            status=Post.Status.KILLED,
        ),
    }


def read_feed(client: Client, kind: str, url: str) -> tuple[list[str], Any]:
    """(item titles, parsed feed) of a feed, asserting it is valid."""
    response = client.get(url)
    assert response.status_code == 200, url
    if kind == "json":
        assert response["Content-Type"] == "application/feed+json; charset=utf-8"
        data = json.loads(response.content)
        errors = sorted(VALIDATOR.iter_errors(data), key=str)
        assert not errors, [e.message for e in errors]
        return [i["title"] for i in data["items"]], data
    expected = {"rss": "application/rss+xml", "atom": "application/atom+xml"}[kind]
    assert response["Content-Type"].startswith(expected)
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == {"rss": "rss20", "atom": "atom10"}[kind]
    return [e.title for e in feed.entries], feed


@pytest.mark.django_db
@pytest.mark.parametrize("kind", SITE_FEEDS)
def test_site_feed_is_valid_with_visible_posts_newest_first(
    client: Client, posts: dict[str, Post], kind: str
):
    titles, _ = read_feed(client, kind, SITE_FEEDS[kind])
    assert titles == [
        "Putin menjamu Kim Jong Un di kosmodrom Vostochny",
        "India menang atas Pakistan",
        "Harga beras naik",
    ]


@pytest.mark.django_db
def test_atom_feed_entries(client: Client, posts: dict[str, Post]):
    _, feed = read_feed(client, "atom", "/atom.xml")
    assert feed.feed.title == "Warta"
    assert feed.feed.subtitle == "Dapatkan berita terbaru"
    assert feed.feed.language == "id"
    assert {link.rel: link.href for link in feed.feed.links}["self"] == BASE + "/atom.xml"
    first = feed.entries[0]
    assert first.link == BASE + posts["main"].get_absolute_url()
    assert first.id == first.link
    assert first.published_parsed[:5] == (2023, 9, 9, 7, 5)
    assert first.updated_parsed[:5] == (2023, 9, 9, 7, 5)
    assert first.author == "NDTV"
    assert [t.term for t in first.tags] == ["Dunia"]
    assert "Moskow, Rusia: Presiden Rusia" in first.summary
    assert "Sumber: NDTV" in first.summary
    assert "content" not in first  # summary only by default


@pytest.mark.django_db
def test_json_feed_items(client: Client, posts: dict[str, Post]):
    _, data = read_feed(client, "json", "/feed.json")
    assert data["version"] == "https://jsonfeed.org/version/1.1"
    assert data["title"] == "Warta"
    assert data["home_page_url"] == BASE + "/"
    assert data["feed_url"] == BASE + "/feed.json"
    assert data["language"] == "id"
    first = data["items"][0]
    url = BASE + posts["main"].get_absolute_url()
    assert first["id"] == first["url"] == url
    assert first["external_url"] == posts["main"].original_url
    assert first["image"] == "https://img.example.com/putin-kim.jpg"
    assert datetime.fromisoformat(first["date_published"]) == REF_TIME
    assert first["authors"] == [{"name": "NDTV"}]
    assert first["tags"] == ["Dunia"]
    assert first["summary"].startswith("Presiden Rusia Vladimir Putin")
    assert "Sumber: NDTV" in first["content_html"]
    assert "Washington" not in first["content_html"]  # summary only by default


@pytest.mark.django_db
@pytest.mark.parametrize("kind", SITE_FEEDS)
def test_full_content_by_config(
    client: Client, posts: dict[str, Post], full_content: None, kind: str
):
    _, feed = read_feed(client, kind, SITE_FEEDS[kind])
    if kind == "json":
        html = feed["items"][0]["content_html"]
    else:
        entry = feed.entries[0]
        html = entry.content[0].value
        assert "Washington" not in entry.summary  # the summary stays a summary
    # the whole body, its structure, the lead photo and the note
    assert "Pertemuan Putin dan Kim itu diawasi ketat oleh Washington." in html
    assert "<blockquote><p>“Kami akan membantu mereka membangun satelit,” kata Putin." in html
    assert '<span class="dateline">Moskow, Rusia:</span>' in html
    assert 'src="https://img.example.com/putin-kim.jpg"' in html
    assert "Sumber: NDTV" in html and "Cerita ini tidak disunting oleh staf NDTV." in html
    assert "baca-juga" not in html


@pytest.mark.django_db
def test_rss_full_content_is_content_encoded(
    client: Client, posts: dict[str, Post], full_content: None
):
    xml = client.get("/rss.xml").content.decode()
    assert 'xmlns:content="http://purl.org/rss/1.0/modules/content/"' in xml
    assert xml.count("<content:encoded>") == 3


@pytest.mark.django_db
@pytest.mark.parametrize("kind", SITE_FEEDS)
def test_category_feed_has_only_its_posts(client: Client, posts: dict[str, Post], kind: str):
    url = category_feeds("dunia")[kind]
    titles, feed = read_feed(client, kind, url)
    assert titles == ["Putin menjamu Kim Jong Un di kosmodrom Vostochny"]
    if kind == "json":
        assert feed["title"] == "Dunia — Warta"
        assert feed["feed_url"] == BASE + url
        assert feed["home_page_url"] == BASE + "/kategori/dunia/"
    else:
        assert feed.feed.title == "Dunia — Warta"
        assert feed.feed.link == BASE + "/kategori/dunia/"
    sport, _ = read_feed(client, kind, category_feeds("olahraga")[kind])
    assert sport == ["India menang atas Pakistan"]
    assert client.get(category_feeds("tidak-ada")[kind]).status_code == 404


@pytest.mark.django_db
def test_empty_category_feed_is_valid(client: Client):
    Category.objects.create(slug="kosong", name="Kosong")
    for kind, url in category_feeds("kosong").items():
        assert read_feed(client, kind, url)[0] == []


@pytest.mark.django_db
def test_killed_post_leaves_every_feed_at_once(client: Client, posts: dict[str, Post]):
    main = posts["main"]
    urls = {
        **{f"site-{k}": v for k, v in SITE_FEEDS.items()},
        **{f"cat-{k}": v for k, v in category_feeds("dunia").items()},
    }
    before = {name: client.get(url) for name, url in urls.items()}
    main.status = Post.Status.KILLED
    main.save()
    for name, url in urls.items():
        kind = name.split("-")[1]
        titles, _ = read_feed(client, kind, url)
        assert main.translation.title not in titles, name
        # a reader revalidating its copy gets the new feed, not a 304
        assert "Last-Modified" not in before[name]
        response = client.get(
            url,
            HTTP_IF_MODIFIED_SINCE="Sat, 09 Sep 2023 07:05:00 GMT",
            HTTP_IF_NONE_MATCH=before[name]["ETag"],
        )
        assert response.status_code == 200, name


@pytest.mark.django_db
def test_unchanged_feed_revalidates_with_304(client: Client, posts: dict[str, Post]):
    first = client.get("/feed.json")
    again = client.get("/feed.json", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304


@pytest.mark.django_db
@pytest.mark.parametrize("kind", SITE_FEEDS)
def test_hostile_text_cannot_break_a_feed(client: Client, kind: str, full_content: None):
    make_post(
        "Judul\x0b dengan ]]> <script>alert(1)</script> & \x01kontrol\ufffe",
        [
            {"type": "p", "text": "Teks\x08 dengan </description> & <![CDATA[ x ]]>"},
            {"type": "p", "text": "Klik", "links": [{"text": "Klik", "href": "javascript:x()"}]},
        ],
        dateline="Kota\x1f",
    )
    titles, feed = read_feed(client, kind, SITE_FEEDS[kind])
    assert titles == ["Judul dengan ]]> <script>alert(1)</script> & kontrol"]
    raw = client.get(SITE_FEEDS[kind]).content.decode()
    assert "javascript:" not in raw
    # JSON titles are text (only the HTML fields must be inert); in XML, the HTML is
    # escaped text, so nothing there reads as a tag
    html = feed["items"][0]["content_html"] if kind == "json" else raw
    assert "<script>" not in html
