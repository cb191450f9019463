"""What search engines read: the sitemap index and its paginated sitemaps, the Google News
sitemap, robots.txt, and the article page's canonical link, NewsArticle JSON-LD, Open Graph
and Twitter card tags. Killed stories leave every sitemap at once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import lxml.etree
import pytest
from django.core.cache import cache
from django.test import Client

from tests.test_site import REFERENCE_BLOCKS, make_post, parse, sel
from warta.newsroom.models import Article, Category, Post
from warta.site import sitemaps

pytestmark = pytest.mark.dbmatrix

BASE = "http://127.0.0.1:8000"
NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
}
REF_TIME = datetime(2023, 9, 9, 7, 5, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()


def xml(client: Client, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"].startswith("application/xml")
    assert "Last-Modified" not in response  # see sitemaps.py: removals make nothing newer
    return lxml.etree.fromstring(response.content)


def locs(doc: Any) -> list[str]:
    return [e.text for e in doc.xpath("//sm:loc", namespaces=NS)]


def path_of(post: Post) -> str:
    return BASE + post.get_absolute_url()


# ---------------------------------------------------------------- sitemaps


@pytest.mark.django_db
def test_index_lists_every_section(client: Client):
    make_post("Berita", category=Category.objects.create(slug="dunia", name="Dunia"))
    doc = xml(client, "/sitemap.xml")
    assert doc.tag == f"{{{NS['sm']}}}sitemapindex"
    assert locs(doc) == [
        f"{BASE}/sitemap-berita.xml",
        f"{BASE}/sitemap-kategori.xml",
        f"{BASE}/sitemap-halaman.xml",
    ]
    lastmods = doc.xpath("//sm:lastmod", namespaces=NS)
    assert len(lastmods) == 3
    assert all(datetime.fromisoformat(e.text).tzinfo for e in lastmods)
    assert client.get("/sitemap.xml")["X-Robots-Tag"] == "noindex, noarchive"


@pytest.mark.django_db
def test_post_sitemap_has_visible_posts_with_lastmod(client: Client):
    old = make_post("Lama", published_at=REF_TIME - timedelta(days=400))
    new = make_post("Baru", published_at=REF_TIME)
    make_post("Ditarik", status=Post.Status.KILLED)
    make_post("Terjadwal", published_at=datetime.now(UTC) + timedelta(hours=3))
    doc = xml(client, "/sitemap-berita.xml")
    assert locs(doc) == [path_of(new), path_of(old)]
    (lastmod,) = doc.xpath(f"//sm:url[sm:loc='{path_of(new)}']/sm:lastmod/text()", namespaces=NS)
    assert datetime.fromisoformat(lastmod) == REF_TIME


@pytest.mark.django_db
def test_category_and_home_sitemaps(client: Client):
    world = Category.objects.create(slug="dunia", name="Dunia")
    Category.objects.create(slug="kosong", name="Kosong")
    killed_only = Category.objects.create(slug="ditarik", name="Ditarik")
    make_post("A", category=world, published_at=REF_TIME)
    make_post("B", category=killed_only, status=Post.Status.KILLED)
    doc = xml(client, "/sitemap-kategori.xml")
    assert locs(doc) == [f"{BASE}/kategori/dunia/"]
    assert datetime.fromisoformat(doc.xpath("//sm:lastmod/text()", namespaces=NS)[0]) == REF_TIME
    assert locs(xml(client, "/sitemap-halaman.xml")) == [f"{BASE}/"]
    assert client.get("/sitemap-tidak-ada.xml").status_code == 404


@pytest.mark.django_db
def test_sitemaps_are_paginated(client: Client, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(sitemaps.PostSitemap, "limit", 2)
    posts = [make_post(f"Berita {i}", published_at=REF_TIME - timedelta(hours=i)) for i in range(5)]
    index = locs(xml(client, "/sitemap.xml"))
    assert index[:3] == [
        f"{BASE}/sitemap-berita.xml",
        f"{BASE}/sitemap-berita.xml?p=2",
        f"{BASE}/sitemap-berita.xml?p=3",
    ]
    pages = [locs(xml(client, f"/sitemap-berita.xml?p={n}")) for n in (1, 2, 3)]
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [loc for page in pages for loc in page] == [path_of(p) for p in posts]
    assert client.get("/sitemap-berita.xml?p=4").status_code == 404
    assert client.get("/sitemap-berita.xml?p=abc").status_code == 404


def test_default_page_size_is_the_protocol_limit():
    assert sitemaps.PostSitemap.limit == sitemaps.CategorySitemap.limit == 50_000


@pytest.mark.django_db
def test_killed_post_leaves_every_sitemap_at_once(client: Client):
    world = Category.objects.create(slug="dunia", name="Dunia")
    post = make_post("Berita ditarik nanti", category=world, published_at=datetime.now(UTC))
    assert path_of(post) in locs(xml(client, "/sitemap-berita.xml"))
    assert path_of(post) in locs(xml(client, "/sitemap-news.xml"))
    assert f"{BASE}/kategori/dunia/" in locs(xml(client, "/sitemap-kategori.xml"))
    post.status = Post.Status.KILLED
    post.save()
    assert path_of(post) not in locs(xml(client, "/sitemap-berita.xml"))
    assert path_of(post) not in locs(xml(client, "/sitemap-news.xml"))
    assert locs(xml(client, "/sitemap-kategori.xml")) == []


# ---------------------------------------------------------------- Google News


@pytest.mark.django_db
def test_news_sitemap_has_the_last_48_hours(client: Client):
    now = datetime.now(UTC)
    fresh = make_post("Banjir & longsor <di> Bogor", published_at=now - timedelta(hours=1))
    edge = make_post("Hampir dua hari", published_at=now - timedelta(hours=47))
    make_post("Terlalu lama", published_at=now - timedelta(hours=49))
    make_post("Ditarik", published_at=now - timedelta(hours=2), status=Post.Status.KILLED)
    make_post("Terjadwal", published_at=now + timedelta(hours=2))
    doc = xml(client, "/sitemap-news.xml")
    assert doc.nsmap == {None: NS["sm"], "news": NS["news"]}
    assert locs(doc) == [path_of(fresh), path_of(edge)]
    (url,) = doc.xpath(f"//sm:url[sm:loc='{path_of(fresh)}']", namespaces=NS)
    news = url.find("news:news", NS)
    assert news.findtext("news:publication/news:name", namespaces=NS) == "Warta"
    assert news.findtext("news:publication/news:language", namespaces=NS) == "id"
    assert news.findtext("news:title", namespaces=NS) == "Banjir & longsor <di> Bogor"
    published = datetime.fromisoformat(news.findtext("news:publication_date", namespaces=NS))
    assert abs(published - fresh.published_at) < timedelta(seconds=1)


@pytest.mark.django_db
def test_news_sitemap_follows_site_name_and_language(client: Client, settings: Any, monkeypatch):
    monkeypatch.setitem(settings.WARTA.values, "site.name", "Kabar Kota")
    make_post("Berita", published_at=datetime.now(UTC))
    doc = xml(client, "/sitemap-news.xml")
    assert doc.findtext(".//news:publication/news:name", namespaces=NS) == "Kabar Kota"


# ---------------------------------------------------------------- robots.txt


@pytest.mark.django_db
def test_robots_txt_points_to_the_sitemaps(client: Client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert lines[0] == "User-agent: *"
    assert "Disallow: /admin/" in lines and "Disallow: /cari/" in lines
    assert [ln for ln in lines if ln.startswith("Sitemap:")] == [
        f"Sitemap: {BASE}/sitemap.xml",
        f"Sitemap: {BASE}/sitemap-news.xml",
    ]
    for line in lines:
        if line.startswith("Sitemap:"):
            assert client.get(line.split(BASE, 1)[1]).status_code == 200


# ---------------------------------------------------------------- structured data


@pytest.fixture
def story(db: None) -> Post:
    world = Category.objects.create(slug="dunia", name="Dunia")
    post = make_post(
        "Putin menjamu Kim </script><script>alert(1)</script> di Vostochny",
        REFERENCE_BLOCKS,
        published_at=REF_TIME,
        category=world,
        dateline="Moskow, Rusia",
        image={"src": "https://img.example.com/putin-kim.jpg", "caption": "Putin & Kim (arsip)"},
    )
    Article.objects.filter(pk=post.translation.article_id).update(byline="Reuters & NDTV")
    return post


def json_ld(doc: Any) -> dict[str, Any]:
    (script,) = sel(doc, "script")
    assert script.get("type") == "application/ld+json"
    return json.loads(script.text)  # type: ignore[no-any-return]


@pytest.mark.django_db
def test_article_json_ld_is_a_news_article(client: Client, story: Post):
    response = client.get(story.get_absolute_url())
    html = response.content.decode()
    # the title cannot close the script element: only the real end tag is there
    assert html.count("</script>") == 1
    assert "\\u003C/script\\u003E" in html
    data = json_ld(parse(response))
    url = BASE + story.get_absolute_url()
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == story.translation.title
    assert data["url"] == data["mainEntityOfPage"]["@id"] == url
    assert datetime.fromisoformat(data["datePublished"]) == REF_TIME
    assert datetime.fromisoformat(data["dateModified"]) >= REF_TIME
    assert data["image"] == ["https://img.example.com/putin-kim.jpg"]
    assert data["author"] == [{"@type": "Person", "name": "Reuters & NDTV"}]
    assert data["publisher"]["@type"] == "Organization"
    assert data["publisher"]["name"] == "Warta"
    assert data["isBasedOn"] == story.original_url
    assert data["inLanguage"] == "id"
    assert data["dateline"] == "Moskow, Rusia"
    assert data["articleSection"] == "Dunia"
    assert data["description"].startswith("Presiden Rusia Vladimir Putin")


@pytest.mark.django_db
def test_publisher_logo_from_config(client: Client, story: Post, settings: Any, monkeypatch):
    monkeypatch.setitem(settings.WARTA.values, "site.logo_url", "https://cdn.example.com/logo.png")
    data = json_ld(parse(client.get(story.get_absolute_url())))
    assert data["publisher"]["logo"] == {
        "@type": "ImageObject",
        "url": "https://cdn.example.com/logo.png",
    }


@pytest.mark.django_db
def test_untranslated_story_says_its_language_and_author_falls_back_to_source(client: Client):
    from warta.newsroom.models import Translation

    post = make_post("Floods hit Mumbai", tr_status=Translation.Status.UNTRANSLATED)
    data = json_ld(parse(client.get(post.get_absolute_url())))
    assert data["inLanguage"] == "en"
    assert data["author"] == [{"@type": "Organization", "name": "NDTV"}]
    assert "image" not in data


@pytest.mark.django_db
def test_open_graph_twitter_and_canonical(client: Client, story: Post):
    doc = parse(client.get(story.get_absolute_url()))
    url = BASE + story.get_absolute_url()
    (canonical,) = sel(doc, "head link[rel='canonical']")
    assert canonical.get("href") == url
    og = {m.get("property"): m.get("content") for m in sel(doc, "head meta") if m.get("property")}
    assert og["og:type"] == "article"
    assert og["og:title"] == story.translation.title
    assert og["og:url"] == url
    assert og["og:site_name"] == "Warta"
    assert og["og:locale"] == "id_ID"
    assert og["og:image"] == "https://img.example.com/putin-kim.jpg"
    assert og["og:image:alt"] == "Putin & Kim (arsip)"
    assert og["og:description"].startswith("Presiden Rusia Vladimir Putin")
    assert datetime.fromisoformat(og["article:published_time"]) == REF_TIME
    assert og["article:section"] == "Dunia"
    tw = {m.get("name"): m.get("content") for m in sel(doc, "head meta") if m.get("name")}
    assert tw["twitter:card"] == "summary_large_image"
    assert tw["twitter:title"] == story.translation.title
    assert tw["twitter:image"] == "https://img.example.com/putin-kim.jpg"


@pytest.mark.django_db
def test_killed_story_page_has_no_structured_data(client: Client, story: Post):
    story.status = Post.Status.KILLED
    story.save()
    doc = parse(client.get(story.get_absolute_url()))
    assert not sel(doc, "script") and not sel(doc, "head link[rel='canonical']")
