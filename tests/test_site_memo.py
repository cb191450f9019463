"""What a page render remembers across pages: reversed URLs (``warta.site.urlmemo``), the
shared chrome (``warta.site.chrome``) and, within a build, the posts a list shows; each
keyed by everything that changes its output. And what an article page does not read."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.template import engines
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_script_prefix
from django.urls import path
from django.utils import translation
from django.utils.translation import gettext_lazy

from tests.test_site import make_post, parse, sel
from warta.newsroom.models import Article, Category, Entry
from warta.site import chrome, urlmemo, views

pytestmark = pytest.mark.dbmatrix


@pytest.fixture(autouse=True)
def _fresh_memos() -> Iterator[None]:
    urlmemo.clear()
    chrome.clear()
    yield
    urlmemo.clear()
    chrome.clear()


def counting_reverse(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Django's reverse, recording each name it is asked for."""
    calls: list[str] = []
    real = urlmemo.django_reverse

    def spy(viewname: str, *args: Any, **kwargs: Any) -> str:
        calls.append(viewname)
        return str(real(viewname, *args, **kwargs))

    monkeypatch.setattr(urlmemo, "django_reverse", spy)
    return calls


# --- URLs ------------------------------------------------------------------------------


def test_reverse_is_computed_once_per_name_and_arguments(monkeypatch: pytest.MonkeyPatch):
    calls = counting_reverse(monkeypatch)
    first = urlmemo.reverse("article", kwargs={"slug": "banjir"})
    again = urlmemo.reverse("article", kwargs={"slug": "banjir"})
    other = urlmemo.reverse("article", kwargs={"slug": "gempa"})
    assert (first, again, other) == ("/berita/banjir/", "/berita/banjir/", "/berita/gempa/")
    assert calls == ["article", "article"]
    assert urlmemo.reverse("source", args=[7]) == "/sumber/7/"


def test_reverse_memo_is_keyed_by_the_script_prefix(monkeypatch: pytest.MonkeyPatch):
    calls = counting_reverse(monkeypatch)
    assert urlmemo.reverse("home") == "/"
    with override_script_prefix("/news/"):
        assert urlmemo.reverse("home") == "/news/"
        assert urlmemo.reverse("home") == "/news/"
    assert urlmemo.reverse("home") == "/"
    assert calls == ["home", "home"]


def test_url_tag_goes_through_the_memo_with_djangos_syntax(monkeypatch: pytest.MonkeyPatch):
    calls = counting_reverse(monkeypatch)
    template = engines["django"].from_string(
        "{% load warta %}{% url 'category' slug=s %} {% url 'source' 3 %} "
        "{% url 'nothing-by-this-name' as gone %}[{{ gone }}] {% url 'category' slug=s %}"
    )
    assert template.render({"s": "dunia"}) == "/kategori/dunia/ /sumber/3/ [] /kategori/dunia/"
    assert calls.count("category") == 1
    with override_script_prefix("/news/"):
        assert template.render({"s": "dunia"}).startswith("/news/kategori/dunia/ ")


def test_language_is_part_of_the_key_only_with_translated_routes():
    def view(request: Any) -> None:
        return None

    assert not urlmemo._any_translated([path("tentang/", view)])
    assert urlmemo._any_translated([path(gettext_lazy("about/"), view)])  # type: ignore[arg-type]
    from django.urls import get_resolver

    assert not urlmemo._translated_routes(get_resolver())


@pytest.mark.django_db
def test_memoised_urls_are_the_models_own():
    cat = Category.objects.create(slug="dunia", name="Dunia")
    post = make_post("Banjir", category=cat)
    assert urlmemo.post_url(post) == post.get_absolute_url()
    assert urlmemo.category_url(cat) == cat.get_absolute_url()


# --- chrome ----------------------------------------------------------------------------


def nav_current(response: Any) -> list[str]:
    links = sel(parse(response), "nav.sections a")
    return [a.get("href") for a in links if a.get("aria-current") == "page"]


@pytest.mark.django_db
def test_chrome_is_rendered_once_and_marks_each_pages_section(client: Client):
    world = Category.objects.create(slug="dunia", name="Dunia")
    sport = Category.objects.create(slug="olahraga", name="Olahraga")
    make_post("Banjir", category=world)
    make_post("Gol", category=sport)

    assert nav_current(client.get("/")) == ["/"]
    fragments = dict(chrome._memo)
    assert len(fragments) == 3  # head links, masthead, footer
    assert nav_current(client.get("/?page=1")) == ["/"]
    assert chrome._memo == fragments  # nothing rendered again: the same objects
    assert all(chrome._memo[k] is v for k, v in fragments.items())
    assert nav_current(client.get("/kategori/olahraga/")) == ["/kategori/olahraga/"]
    assert nav_current(client.get("/kategori/dunia/")) == ["/kategori/dunia/"]
    assert nav_current(client.get("/berlangganan/")) == []


@pytest.mark.django_db
def test_chrome_follows_the_script_prefix_language_and_navigation(client: Client):
    world = Category.objects.create(slug="dunia", name="Dunia")
    make_post("Banjir", category=world)
    page = parse(client.get("/"))
    assert [a.get("href") for a in sel(page, "nav.sections a")] == ["/", "/kategori/dunia/"]
    assert sel(page, "input[name='q']")[0].get("placeholder") == "Cari berita"

    with override_script_prefix("/news/"):
        prefixed = parse(client.get("/kategori/dunia/"))
    assert [a.get("href") for a in sel(prefixed, "nav.sections a")] == [
        "/news/", "/news/kategori/dunia/"
    ]
    request = client.get("/").wsgi_request
    template = engines["django"].from_string(
        '{% load warta %}{% site_chrome "site/_masthead.html" %}'
    )
    context = {"request": request, "site_name": "Warta", "nav_categories": []}
    with translation.override("en"):
        assert 'placeholder="Search news"' in template.render(context)
    assert 'placeholder="Cari berita"' in template.render(context)

    Category.objects.create(slug="olahraga", name="Olahraga")
    make_post("Gol", category=Category.objects.get(slug="olahraga"))
    page = parse(client.get("/"))
    assert [a.get("href") for a in sel(page, "nav.sections a")] == [
        "/", "/kategori/dunia/", "/kategori/olahraga/"
    ]


@pytest.mark.django_db
def test_chrome_follows_the_static_files_url(client: Client, settings: Any):
    def stylesheet(url: str) -> str:
        return str(sel(parse(client.get(url)), "link[rel='stylesheet']")[0].get("href"))

    assert stylesheet("/berlangganan/").startswith(settings.STATIC_URL + "site/warta.")
    settings.STATIC_URL = "/aset/"
    assert stylesheet("/berlangganan/?lagi=1").startswith("/aset/site/warta.")


# --- a build's lists --------------------------------------------------------------------


@pytest.mark.django_db
def test_within_a_build_each_listed_post_is_read_once():
    ids = [make_post(f"Berita {n}").pk for n in range(3)]
    with views.remember_lists():
        memo = views._memo_var.get()
        first = views._list_posts(ids[:2], memo)
        with CaptureQueriesContext(connection) as queries:
            again = views._list_posts(ids[:2], memo)
        assert len(queries) == 0
        assert again == first and again[ids[0]] is first[ids[0]]
        with CaptureQueriesContext(connection) as queries:
            more = views._list_posts(ids, memo)
        assert len(queries) == 1  # only the post not read yet
        assert list(more) == ids
    with CaptureQueriesContext(connection) as queries:
        views._list_posts(ids[:2], None)  # a live site's list reads its posts every time
    assert len(queries) == 1


# --- an article's query -----------------------------------------------------------------


@pytest.mark.django_db
def test_article_page_reads_neither_the_fetched_page_nor_the_originals_blocks(
    client: Client,
):
    post = make_post("Banjir di Jakarta", [{"type": "p", "text": "Air naik."}])
    Entry.objects.filter(pk=post.entry_id).update(html="<html>" + "x" * 10_000 + "</html>")
    Article.objects.filter(pk=post.translation.article_id).update(
        blocks=[{"type": "p", "text": "Water rises."}], minhash=[1, 2, 3]
    )
    with CaptureQueriesContext(connection) as queries:
        response = client.get(post.get_absolute_url())
    assert response.status_code == 200
    assert "Air naik." in response.content.decode()
    selects = " ".join(q["sql"] for q in queries.captured_queries)
    for column in ('"newsroom_entry"."html"', '"newsroom_entry"."content"',
                   '"newsroom_article"."blocks"', '"newsroom_article"."minhash"'):
        assert column not in selects
    assert '"newsroom_source"."noindex"' in selects  # what it reads is still one query
