"""The rendered-page cache, conditional GET and Cache-Control (warta/site/cache.py).

Rendered through Django's test client against the real database; a page served from the
cache says so in ``X-Cache`` (hit/miss), and the tests also prove it by changing rows behind
the cache's back (``update()`` sends no signal) and seeing the old page still served.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from tests.test_site import make_post
from warta.newsroom.models import Category, Correction, Post, Translation
from warta.site import cache as page_cache

pytestmark = pytest.mark.dbmatrix


@pytest.fixture(autouse=True)
def cache_on() -> Iterator[None]:
    """The page cache as in production (the suite turns it off for the other tests), with
    the safety net off so that only signals invalidate, unless a test turns it on."""
    values: dict[str, Any] = settings.WARTA.values
    saved = {k: values.get(k) for k in ("site.cache_seconds", "site.cache_check_seconds")}
    values["site.cache_seconds"] = 600
    values["site.cache_check_seconds"] = 1e9
    page_cache.clear_page_cache()
    page_cache._versions().clear()
    page_cache.check_fingerprint(force=True)  # start from the test's own fingerprint
    yield
    values.update(saved)


def get(client: Client, url: str, **headers: str) -> Any:
    response = client.get(url, headers=headers)
    return response


@pytest.mark.django_db
def test_second_request_is_served_from_the_cache(client: Client):
    post = make_post("Banjir di Jakarta")
    first = get(client, post.get_absolute_url())
    assert first.status_code == 200 and first["X-Cache"] == "miss"
    # behind the cache's back: no signal, so the cached page is what is served
    Translation.objects.filter(pk=post.translation_id).update(title="Judul diam-diam")
    second = get(client, post.get_absolute_url())
    assert second["X-Cache"] == "hit"
    assert second.content == first.content
    assert "Banjir di Jakarta" in second.content.decode()
    assert second["ETag"] == first["ETag"]
    assert second["Last-Modified"] == first["Last-Modified"]


@pytest.mark.django_db
def test_an_edit_changes_the_story_and_its_lists_at_once(client: Client):
    dunia = Category.objects.create(slug="dunia", name="Dunia")
    post = make_post("Gempa di Jepang", category=dunia)
    urls = [post.get_absolute_url(), "/", "/kategori/dunia/", "/rss.xml", "/sitemap-news.xml"]
    for url in urls:
        assert get(client, url)["X-Cache"] == "miss"
        assert get(client, url)["X-Cache"] == "hit"

    tr = post.translation
    tr.title = "Gempa besar di Jepang"
    tr.save()
    for url in urls:
        response = get(client, url)
        assert response["X-Cache"] == "miss", url
        assert "Gempa besar di Jepang" in response.content.decode(), url


@pytest.mark.django_db
def test_a_kill_answers_410_at_once_and_leaves_lists_feeds_and_sitemaps(client: Client):
    post = make_post("Berita yang ditarik")
    url = post.get_absolute_url()
    lists = ["/", "/rss.xml", "/feed.json", "/sitemap-berita.xml"]
    assert get(client, url).status_code == 200
    for u in lists:
        assert url in get(client, u).content.decode()

    post.status = Post.Status.KILLED
    post.save()
    assert get(client, url).status_code == 410
    for u in lists:
        assert url not in get(client, u).content.decode(), u
    # the 410 is cached too, and stays right
    assert get(client, url).status_code == 410


@pytest.mark.django_db
def test_an_unrelated_story_stays_cached(client: Client):
    a = make_post("Harga beras naik")
    b = make_post("Pemilu di India")
    get(client, a.get_absolute_url())
    get(client, b.get_absolute_url())
    tr = b.translation
    tr.title = "Pemilu besar di India"
    tr.save()
    assert get(client, a.get_absolute_url())["X-Cache"] == "hit"
    assert get(client, b.get_absolute_url())["X-Cache"] == "miss"


@pytest.mark.django_db
def test_category_pages_of_other_categories_stay_cached(client: Client):
    dunia = Category.objects.create(slug="dunia", name="Dunia")
    bisnis = Category.objects.create(slug="bisnis", name="Bisnis")
    make_post("Saham naik", category=bisnis)
    post = make_post("Gempa", category=dunia)
    get(client, "/kategori/bisnis/")
    get(client, "/kategori/dunia/")
    post.translation.title = "Gempa kuat"
    post.translation.save()
    assert get(client, "/kategori/bisnis/")["X-Cache"] == "hit"
    assert get(client, "/kategori/dunia/")["X-Cache"] == "miss"


@pytest.mark.django_db
def test_a_correction_changes_the_article(client: Client):
    post = make_post("Angka korban")
    get(client, post.get_absolute_url())
    Correction.objects.create(post=post, note="Jumlah korban diperbaiki menjadi 12.")
    response = get(client, post.get_absolute_url())
    assert response["X-Cache"] == "miss"
    assert "Jumlah korban diperbaiki" in response.content.decode()


@pytest.mark.django_db
def test_a_bulk_kill_without_signals_is_caught_by_the_safety_net(client: Client):
    post = make_post("Ditarik dari kawat")
    url = post.get_absolute_url()
    assert get(client, url).status_code == 200
    Post.objects.filter(pk=post.pk).update(status=Post.Status.KILLED)  # as the wire kill does
    assert get(client, url).status_code == 200  # net not due yet: still the cached page
    settings.WARTA.values["site.cache_check_seconds"] = 0.0
    assert get(client, url).status_code == 410


@pytest.mark.django_db
def test_conditional_get_answers_304(client: Client):
    post = make_post("Kereta cepat")
    first = get(client, post.get_absolute_url())
    etag, modified = first["ETag"], first["Last-Modified"]
    assert etag.startswith('"') and modified

    assert get(client, post.get_absolute_url(), if_none_match=etag).status_code == 304
    not_modified = get(client, post.get_absolute_url(), if_modified_since=modified)
    assert not_modified.status_code == 304 and not_modified["ETag"] == etag
    # If-None-Match decides when present (RFC 9110), even with a matching date
    stale = get(client, post.get_absolute_url(), if_none_match='"old"', if_modified_since=modified)
    assert stale.status_code == 200

    post.translation.title = "Kereta cepat baru"
    post.translation.save()
    changed = get(client, post.get_absolute_url(), if_none_match=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


@pytest.mark.django_db
def test_feeds_and_sitemaps_answer_304_too(client: Client):
    make_post("Berita satu")
    for url in ("/rss.xml", "/atom.xml", "/feed.json", "/sitemap.xml", "/robots.txt"):
        first = get(client, url)
        assert first.status_code == 200, url
        assert "Last-Modified" not in first, url  # ETag only (docs/site.md)
        assert get(client, url, if_none_match=first["ETag"]).status_code == 304, url


@pytest.mark.django_db
def test_cache_control_per_kind_of_page(client: Client):
    post = make_post("Cuaca")
    article = get(client, post.get_absolute_url())["Cache-Control"]
    assert "public" in article and "max-age=300" in article
    assert "stale-while-revalidate=600" in article
    assert "max-age=60" in get(client, "/")["Cache-Control"]
    assert "max-age=60" in get(client, "/rss.xml")["Cache-Control"]
    assert "public" in get(client, "/cari/?q=cuaca")["Cache-Control"]
    subscribe = get(client, "/berlangganan/")["Cache-Control"]
    assert "no-store" in subscribe and "private" in subscribe
    assert "public" not in get(client, "/admin/login/")["Cache-Control"]


@pytest.mark.django_db
def test_unknown_query_parameters_bypass_the_cache(client: Client):
    make_post("Satu")
    get(client, "/")
    response = get(client, "/?utm_source=x")
    assert "X-Cache" not in response and response.status_code == 200
    assert get(client, "/?page=999").status_code == 404  # errors are never cached
    assert get(client, "/?page=999").status_code == 404


@pytest.mark.django_db
def test_a_new_category_changes_the_navigation_of_every_page(client: Client):
    post = make_post("Lama")
    get(client, post.get_absolute_url())
    sport = Category.objects.create(slug="olahraga", name="Olahraga")
    make_post("Piala dunia", category=sport)
    response = get(client, post.get_absolute_url())
    assert response["X-Cache"] == "miss"
    assert "/kategori/olahraga/" in response.content.decode()


@pytest.mark.django_db
def test_the_cache_can_be_turned_off(client: Client):
    settings.WARTA.values["site.cache_seconds"] = 0
    post = make_post("Tanpa cache")
    response = get(client, post.get_absolute_url())
    assert "X-Cache" not in response
    assert "max-age=300" in response["Cache-Control"]


@pytest.mark.django_db
def test_cache_url_schemes(tmp_path: Any):
    local = page_cache.cache_settings("", tmp_path, 10)
    assert local[page_cache.PAGE_ALIAS]["BACKEND"].endswith("LocMemCache")
    assert local[page_cache.VERSION_ALIAS]["LOCATION"] == str(tmp_path / "cache" / "versions")
    redis = page_cache.cache_settings("redis://127.0.0.1:6379/2", tmp_path, 10)
    assert redis[page_cache.VERSION_ALIAS]["BACKEND"].endswith("RedisCache")
    folder = page_cache.cache_settings("file:///srv/cache", tmp_path, 10)
    assert folder[page_cache.PAGE_ALIAS]["LOCATION"] == "/srv/cache/pages"
    from warta.core.errors import ConfigError

    with pytest.raises(ConfigError, match=r"site\.cache_url"):
        page_cache.cache_settings("memcached://x", tmp_path, 10)


@pytest.mark.django_db
def test_cached_article_views_still_count_for_most_read(client: Client,
                                                        monkeypatch: pytest.MonkeyPatch):
    from warta.newsroom.models import PostView

    # no hand-over to the background writer mid-test: its own connection cannot see this
    # test's uncommitted post (that path has its own test below)
    from warta.reader.background import views_writer

    monkeypatch.setattr(page_cache._views, "every", 3600.0)
    views_writer.wait_idle(10)  # a hand-over of an earlier test finishes first
    page_cache._views.drain()
    post = make_post("Paling dibaca")
    for _ in range(3):
        get(client, post.get_absolute_url())  # one render, two hits
    page_cache._views.drain()
    assert PostView.objects.get(post=post).views == 3


@pytest.mark.django_db(transaction=True)
def test_cached_views_are_written_by_a_background_thread_in_one_upsert(
        client: Client, monkeypatch: pytest.MonkeyPatch):
    """Past ``every`` seconds a cached hit hands the gathered counts to the background
    writer (not written in the request); the upsert adds to the day's row."""
    import threading

    from warta.newsroom.models import PostView
    from warta.reader.background import views_writer

    page_cache._views.drain()  # what earlier tests in this process left gathered
    writers: list[str] = []
    flush = page_cache._ViewBuffer.flush

    def recording_flush(counts: dict[str, int]) -> None:
        writers.append(threading.current_thread().name)
        flush(counts)

    monkeypatch.setattr(page_cache._ViewBuffer, "flush", staticmethod(recording_flush))

    post = make_post("Dibaca di latar")
    get(client, post.get_absolute_url())  # the render: counted by the view itself
    page_cache._views.drain()
    assert PostView.objects.get(post=post).views == 1
    buffer = page_cache._views
    try:
        buffer.every = 3600.0
        get(client, post.get_absolute_url())
        get(client, post.get_absolute_url())
        assert buffer.counts == {post.slug: 2}
        assert PostView.objects.get(post=post).views == 1  # not written by the requests
        buffer.every = 0.0
        get(client, post.get_absolute_url())  # this hit hands the three over
        assert views_writer.wait_idle(10)
    finally:
        buffer.every = 10.0
    assert buffer.counts == {}
    assert PostView.objects.get(post=post).views == 4
    assert writers == ["warta-views"]


@pytest.mark.django_db(transaction=True)
def test_a_publish_stores_the_fingerprint_once_per_commit(client: Client, monkeypatch):
    """The fingerprint aggregates the whole posts table: once per commit (with every tag
    the transaction bumped), not twice per save; and it is the committed one, so the
    safety net of another process finds nothing to invalidate."""
    from django.db import transaction

    calls = []
    real = page_cache.db_fingerprint
    monkeypatch.setattr(page_cache, "db_fingerprint", lambda: calls.append(1) or real())
    post = make_post("Banjir di Jakarta")  # autocommit: one save, one fingerprint
    assert len(calls) == 1
    url = post.get_absolute_url()
    assert get(client, url)["X-Cache"] == "miss"
    assert get(client, url)["X-Cache"] == "hit"
    calls.clear()
    with transaction.atomic():
        tr = post.translation
        tr.title = "Banjir besar di Jakarta"
        tr.save()
        post.save()
        assert get(client, url)["X-Cache"] == "miss"  # this process sees it at once
        assert calls == []
    assert len(calls) == 1
    assert page_cache._versions().get(page_cache.FINGERPRINT_KEY) == real()
    assert page_cache.check_fingerprint(force=True) is False
    assert "Banjir besar" in get(client, url).content.decode()
