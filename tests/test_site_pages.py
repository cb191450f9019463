"""The site's list pages (tag, source, author, date archive), "most read", the article
page's extras (revision time, corrections, other reports, share links, reading time,
breadcrumbs, per-source canonical and noindex) and images without layout shift."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import feedparser
import pytest
from django.core.cache import cache
from django.test import Client

from tests.test_feeds_out import VALIDATOR
from tests.test_site import make_post, parse, sel, text_of
from warta.newsroom.models import Article, Correction, Entry, Post, PostView, Source, Story, Tag
from warta.site.popular import site_today
from warta.site.tags import tag_untagged_posts

pytestmark = pytest.mark.dbmatrix
REF_TIME = datetime(2023, 9, 9, 7, 5, tzinfo=UTC)  # 14:05 WIB on Saturday 9 September


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()


def move_to_source(post: Post, name: str, **policy: Any) -> Source:
    """Give ``post`` a source of its own (``make_post`` shares one)."""
    source = Source.objects.create(
        name=name, url=f"https://feeds.example.com/{name.lower()}.xml", **policy
    )
    Entry.objects.filter(pk=post.entry_id).update(source=source)
    Post.objects.filter(pk=post.pk).update(source_name=name)
    return source


def titles(response: Any) -> list[str]:
    return [text_of(a) for a in sel(parse(response), "main .card-title a")]


# --- tags ------------------------------------------------------------------------------


def make_tagged_post(title: str, categories: list[Any], **kwargs: Any) -> Post:
    """A post whose entry carries feed categories *before* the post is saved, as the
    publishing stage does it."""
    post = make_post(title, status=Post.Status.KILLED, **kwargs)  # placeholder to get rows
    entry = post.entry
    entry.categories = categories
    entry.save(update_fields=["categories"])
    tr, published_at = post.translation, post.published_at
    post.delete()
    return Post.objects.create(
        entry=entry, translation=tr, slug=f"{post.slug}-t", published_at=published_at,
        source_name="NDTV", original_url=entry.url,
    )


@pytest.mark.django_db
def test_feed_categories_become_tags_with_a_page_and_feeds(client: Client):
    a = make_tagged_post("Gempa di Jepang", ["Earthquake", "Japan", "  japan ", "!!!"])
    make_tagged_post("Gempa di Chile", [{"term": "earthquake", "label": "Earthquake"}])
    make_tagged_post("Harga beras", ["Economy"])
    assert sorted(Tag.objects.values_list("slug", flat=True)) == ["earthquake", "economy", "japan"]
    assert sorted(t.slug for t in a.tags.all()) == ["earthquake", "japan"]

    response = client.get("/tag/earthquake/")
    assert response.status_code == 200
    assert text_of(sel(parse(response), "h1")[0]) == "Earthquake"
    assert sorted(titles(response)) == ["Gempa di Chile", "Gempa di Jepang"]
    # the article links its tags
    doc = parse(client.get(a.get_absolute_url()))
    assert {x.get("href") for x in sel(doc, "p.tags a")} == {"/tag/earthquake/", "/tag/japan/"}

    for url in ("/tag/earthquake/rss.xml", "/tag/earthquake/atom.xml"):
        feed = feedparser.parse(client.get(url).content)
        assert not feed.bozo, feed.get("bozo_exception")
        assert sorted(e.title for e in feed.entries) == ["Gempa di Chile", "Gempa di Jepang"]
        assert feed.feed.links[0].href.endswith(url) or any(
            link.href.endswith(url) for link in feed.feed.links
        )
    data = json.loads(client.get("/tag/earthquake/feed.json").content)
    assert not list(VALIDATOR.iter_errors(data))
    assert data["feed_url"].endswith("/tag/earthquake/feed.json")
    assert sorted(i["title"] for i in data["items"]) == ["Gempa di Chile", "Gempa di Jepang"]
    assert "Earthquake" in next(i for i in data["items"] if i["title"] == "Gempa di Chile")["tags"]

    assert client.get("/tag/tidak-ada/").status_code == 404
    assert client.get("/tag/tidak-ada/rss.xml").status_code == 404


@pytest.mark.django_db
def test_tag_with_only_killed_posts_is_404_and_untagged_posts_can_be_backfilled(
        client: Client):
    post = make_post("Lama")
    Entry.objects.filter(pk=post.entry_id).update(categories=["Politics"])
    assert not post.tags.exists()  # published before its entry had categories
    assert tag_untagged_posts() == 1
    assert tag_untagged_posts() == 0  # idempotent
    assert client.get("/tag/politics/").status_code == 200
    Post.objects.filter(pk=post.pk).update(status=Post.Status.KILLED)
    assert client.get("/tag/politics/").status_code == 404


# --- source, author, archive -------------------------------------------------------------


@pytest.mark.django_db
def test_source_page_lists_only_that_sources_posts(client: Client):
    ndtv = make_post("Dari NDTV satu")
    other = make_post("Dari kantor berita")
    source = move_to_source(other, "Antara")
    response = client.get(f"/sumber/{source.pk}/")
    assert response.status_code == 200
    assert text_of(sel(parse(response), "h1")[0]) == "Dari Antara"
    assert titles(response) == ["Dari kantor berita"]
    ndtv_page = client.get(f"/sumber/{ndtv.entry.source_id}/")
    assert text_of(sel(parse(ndtv_page), "h1")[0]) == "Dari NDTV"
    # the article's meta line links its source page
    doc = parse(client.get(other.get_absolute_url()))
    assert sel(doc, f"header.story-header p.meta a[href='/sumber/{source.pk}/']")
    assert client.get("/sumber/999999/").status_code == 404
    assert client.get("/sumber/99999999999999999999999999/").status_code == 404


@pytest.mark.django_db
def test_author_page_from_the_byline(client: Client):
    jane = make_post("Tulisan Jane")
    make_post("Tulisan lain")
    Article.objects.filter(entry=jane.entry_id).update(byline="By Jane Doé")
    doc = parse(client.get(jane.get_absolute_url()))
    (byline,) = sel(doc, "a.byline")
    assert text_of(byline) == "Jane Doé"
    assert byline.get("href") == "/penulis/jane-doe/"
    response = client.get("/penulis/jane-doe/")
    assert response.status_code == 200
    assert text_of(sel(parse(response), "h1")[0]) == "Jane Doé"
    assert titles(response) == ["Tulisan Jane"]
    assert client.get("/penulis/john-doe/").status_code == 404


@pytest.mark.django_db
def test_date_archive_uses_the_site_time_zone(client: Client):
    make_post("Sabtu siang", published_at=REF_TIME)  # 14:05 WIB
    make_post("Jumat malam UTC, Sabtu pagi WIB", published_at=REF_TIME - timedelta(hours=12))
    make_post("Jumat", published_at=REF_TIME - timedelta(days=1))
    response = client.get("/2023/09/09/")
    assert response.status_code == 200
    assert titles(response) == ["Sabtu siang", "Jumat malam UTC, Sabtu pagi WIB"]
    assert "September 2023" in text_of(sel(parse(response), "h1")[0])
    assert len(titles(client.get("/2023/09/"))) == 3
    assert len(titles(client.get("/2023/"))) == 3
    assert client.get("/2023/09/10/").status_code == 404  # no stories that day


@pytest.mark.django_db
@pytest.mark.parametrize("url", [
    "/2023/02/30/", "/2023/13/01/", "/2023/00/10/", "/0000/01/01/", "/9999/12/31/",
    "/2023/9/9/", "/2023/09/09/x/", "/99999/01/01/",
    "/?page=99999999999999999999999999999999", "/?page=" + "9" * 5000, "/?page=-1",
    "/?page=1e3", "/?page=%00", "/kategori/x/?page=2", "/tag/%E2%80%AE/", "/tag/a..b/",
    "/berita/%3Cscript%3E/", "/berita/" + "a" * 3000 + "/", "/penulis/" + "-" * 50 + "/",
    "/sumber/-1/", "/tag/x/?page=2",
])
def test_malformed_dates_pages_and_slugs_are_404_not_500(client: Client, url: str):
    make_post("Ada berita", published_at=REF_TIME)
    response = client.get(url)
    assert response.status_code == 404, url
    assert b"Halaman tidak ditemukan" in response.content or b"Page not found" in response.content


@pytest.mark.django_db
def test_list_pages_are_paginated(client: Client, settings: Any, monkeypatch: Any):
    monkeypatch.setitem(settings.WARTA.values, "site.page_size", 2)
    for i in range(5):
        post = make_tagged_post(f"Berita {i}", ["Banjir"], published_at=REF_TIME - timedelta(
            hours=i))
        del post
    assert titles(client.get("/tag/banjir/")) == ["Berita 0", "Berita 1"]
    assert titles(client.get("/tag/banjir/?page=3")) == ["Berita 4"]
    assert client.get("/tag/banjir/?page=4").status_code == 404
    assert titles(client.get("/2023/09/?page=2")) == ["Berita 2", "Berita 3"]
    doc = parse(client.get("/tag/banjir/?page=2"))
    assert sel(doc, "nav.pagination a[rel='next']")[0].get("href") == "?page=3"


# --- most read ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_article_views_are_counted_per_day_and_home_shows_most_read(client: Client):
    a, b, c = make_post("Satu"), make_post("Dua"), make_post("Tiga")
    for _ in range(3):
        assert client.get(b.get_absolute_url()).status_code == 200
    client.get(c.get_absolute_url())
    today = site_today()
    assert PostView.objects.get(post=b, day=today).views == 3
    assert PostView.objects.filter(post=b).count() == 1
    # views older than 7 days do not count; a killed post leaves the list
    PostView.objects.create(post=a, day=today - timedelta(days=7), views=100)
    doc = parse(client.get("/"))
    assert [text_of(x) for x in sel(doc, "section.most-read li a")] == ["Dua", "Tiga"]
    PostView.objects.create(post=a, day=today - timedelta(days=6), views=5)
    Post.objects.filter(pk=b.pk).update(status=Post.Status.KILLED)
    doc = parse(client.get("/"))
    assert [text_of(x) for x in sel(doc, "section.most-read li a")] == ["Satu", "Tiga"]
    assert client.get(b.get_absolute_url()).status_code == 410
    assert PostView.objects.get(post=b, day=today).views == 3  # a 410 is not a read


# --- the article page ----------------------------------------------------------------------


@pytest.mark.django_db
def test_revision_time_and_corrections_are_shown(client: Client):
    post = make_post("Berita direvisi", published_at=REF_TIME)
    doc = parse(client.get(post.get_absolute_url()))
    assert not sel(doc, ".updated") and not sel(doc, "section.corrections")
    Post.objects.filter(pk=post.pk).update(updated_at=REF_TIME + timedelta(hours=2))
    Correction.objects.create(post=post, note="Nama menteri salah <b>ditulis</b>.",
                              created=REF_TIME + timedelta(hours=2))
    doc = parse(client.get(post.get_absolute_url()))
    (updated,) = sel(doc, "p.updated")
    assert text_of(updated) == "Diperbarui Sabtu, 9 September 2023 16:05 WIB"
    assert sel(updated, "time")[0].get("datetime").startswith("2023-09-09T09:05")
    (note,) = sel(doc, "section.corrections li")
    assert "Nama menteri salah <b>ditulis</b>." in text_of(note)
    assert not sel(note, "b")
    ld = json.loads(sel(doc, "script")[0].text)
    assert ld["dateModified"].startswith("2023-09-09T09:05")


@pytest.mark.django_db
def test_also_reported_by_links_the_other_sources(client: Client):
    ours = make_post("Pertemuan puncak iklim")
    theirs = make_post("KTT iklim dari Antara")
    move_to_source(theirs, "Antara")
    story = Story.objects.create(title="climate summit")
    reuters = Source.objects.create(name="Reuters", url="https://feeds.example.com/r.xml")
    unpublished = Entry.objects.create(source=reuters, guid="r1", url="https://reuters.example/a",
                                       title="Climate summit opens", story=story, story_rank=2)
    hostile = Source.objects.create(name="Evil", url="https://feeds.example.com/e.xml")
    Entry.objects.create(source=hostile, guid="e1", url="https://evil.example/x", story=story,
                         story_rank=3)
    Entry.objects.filter(pk=hostile.entries.get().pk).update(url="javascript:alert(1)")
    Entry.objects.filter(pk__in=[ours.entry_id, theirs.entry_id]).update(story=story)
    del unpublished

    doc = parse(client.get(ours.get_absolute_url()))
    links = {text_of(a): a.get("href") for a in sel(doc, "section.also-reported a")}
    assert links == {"Antara": theirs.get_absolute_url(), "Reuters": "https://reuters.example/a"}
    assert "javascript" not in client.get(ours.get_absolute_url()).content.decode().lower()
    # a story of one report shows no box
    lone = make_post("Sendirian")
    assert not sel(parse(client.get(lone.get_absolute_url())), "section.also-reported")


@pytest.mark.django_db
def test_share_links_reading_time_and_breadcrumbs(client: Client):
    from warta.newsroom.models import Category

    cat = Category.objects.create(slug="dunia", name="Dunia")
    words = " ".join(["kata"] * 450)
    post = make_post("Judul & berita", [{"type": "p", "text": words}], category=cat)
    response = client.get(post.get_absolute_url())
    doc = parse(response)
    share = [a.get("href") for a in sel(doc, "nav.share a")]
    assert len(share) == 5
    assert all(h.startswith(("https://", "mailto:")) for h in share)
    assert any("facebook.com/sharer" in h and "%2Fberita%2F" in h for h in share)
    assert "<script src" not in response.content.decode()  # no third-party script
    assert "3 menit" in text_of(sel(doc, "header.story-header p.meta")[0])
    crumbs = sel(doc, "nav.breadcrumbs li")
    assert [text_of(c) for c in crumbs] == ["Beranda", "Dunia", "Judul & berita"]
    assert sel(crumbs[1], "a")[0].get("href") == "/kategori/dunia/"
    assert sel(crumbs[2], "span")[0].get("aria-current") == "page"


@pytest.mark.django_db
def test_canonical_and_noindex_follow_the_source_licence(client: Client):
    recent = datetime.now(UTC) - timedelta(hours=1)  # inside the news sitemap's 48 hours
    own = make_post("Kanonik sendiri", published_at=recent)
    orig = make_post("Kanonik ke asli", published_at=recent)
    hidden = make_post("Tanpa indeks", published_at=recent)
    move_to_source(orig, "Syndic", canonical_policy="original")
    move_to_source(hidden, "Secret", noindex=True)

    def head(post: Post) -> tuple[str, list[str], str]:
        response = client.get(post.get_absolute_url())
        doc = parse(response)
        (canonical,) = sel(doc, "link[rel='canonical']")
        robots = [m.get("content") for m in sel(doc, "meta[name='robots']")]
        return canonical.get("href"), robots, response.get("X-Robots-Tag", "")

    assert head(own) == ("http://127.0.0.1:8000" + own.get_absolute_url(), [], "")
    assert head(orig) == (orig.original_url, [], "")
    assert head(hidden)[1:] == (["noindex"], "noindex")

    # sitemaps list only indexable canonical URLs; the home page and feeds keep all three
    sitemap = client.get("/sitemap-berita.xml").content.decode()
    news = client.get("/sitemap-news.xml").content.decode()
    for text in (sitemap, news):
        assert own.get_absolute_url() in text
        assert orig.get_absolute_url() not in text
        assert hidden.get_absolute_url() not in text
    assert sorted(titles(client.get("/"))) == sorted(
        ["Kanonik sendiri", "Kanonik ke asli", "Tanpa indeks"])
    rss = feedparser.parse(client.get("/rss.xml").content)
    assert len(rss.entries) == 3


# --- images --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_images_have_dimensions_srcset_and_lazy_loading_except_the_lead(client: Client):
    lead = {"src": "https://img.example.com/a-1200.jpg", "caption": "Foto", "width": 1200,
            "height": "675", "srcset": [{"src": "https://img.example.com/a-400.jpg", "width": 400},
                                        {"src": "javascript:alert(1)", "width": 800},
                                        {"src": "https://img.example.com/a,b.jpg", "width": 600}]}
    blocks = [{"type": "p", "text": "Satu."},
              {"type": "img", "src": "https://img.example.com/b.jpg", "caption": "B",
               "width": 640, "height": 480, "srcset": "https://img.example.com/b-320.jpg 320w, "
                                                      "https://img.example.com/b-x.jpg 2x"},
              {"type": "img", "src": "https://img.example.com/c.jpg", "caption": "C",
               "width": "lebar", "height": -3}]
    post = make_post("Bergambar", blocks, image=lead)
    doc = parse(client.get(post.get_absolute_url()))
    (lead_img,) = sel(doc, "figure.lead img")
    assert lead_img.get("loading") is None and lead_img.get("fetchpriority") == "high"
    assert (lead_img.get("width"), lead_img.get("height")) == ("1200", "675")
    assert lead_img.get("srcset") == (
        "https://img.example.com/a-400.jpg 400w, https://img.example.com/a-1200.jpg 1200w")
    assert lead_img.get("sizes")
    b, c = sel(doc, "div.story-body img")
    assert b.get("loading") == "lazy"
    assert (b.get("width"), b.get("height")) == ("640", "480")
    assert b.get("srcset") == (
        "https://img.example.com/b-320.jpg 320w, https://img.example.com/b.jpg 640w")
    assert c.get("loading") == "lazy" and c.get("width") is None and c.get("srcset") is None
    # list cards: the lead story's photo is not lazy, the others are
    make_post("Lain", image={"src": "https://img.example.com/d.jpg", "width": 300,
                             "height": 200})
    cards = sel(parse(client.get("/")), "main a.card-image img")
    assert [i.get("loading") for i in cards] == [None, "lazy"]
    assert (cards[1].get("width"), cards[1].get("height")) == ("300", "200")
