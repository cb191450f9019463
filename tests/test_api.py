"""The read API (/api/): only what the site shows, strict parameters, conditional GETs, and
every response checked against the project's own OpenAPI document."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, timedelta
from typing import Any

import jsonschema
import pytest
from django.test import Client
from django.utils import timezone
from django.utils.http import http_date

from warta.api.schema import build_schema
from warta.newsroom.models import Article, Category, Entry, Post, Source, Translation

pytestmark = pytest.mark.dbmatrix
_seq = itertools.count(1)


def make_post(title: str, *, source: Source | None = None, category: Category | None = None,
              hours_ago: float = 1, status: str = Post.Status.PUBLISHED,
              **translation: Any) -> Post:
    """A published post the way the publish stage leaves one."""
    n = next(_seq)
    source = source or Source.objects.get_or_create(
        url="https://user:secret@feeds.example.com/api.xml?token=abc",
        defaults={"name": "NDTV", "last_error": "HTTP 500 at the source"})[0]
    url = f"https://www.example.com/api/story-{n}"
    entry = Entry.objects.create(source=source, guid=url, url=url, title=title,
                                 status=Entry.Status.PUBLISHED)
    article = Article.objects.create(entry=entry, url=url, title=title, text_hash=f"api{n}")
    fields: dict[str, Any] = {
        "blocks": [{"type": "p", "text": f"Paragraf pertama {title}."}], **translation}
    tr = Translation.objects.create(article=article, language="id", title=title,
                                    engine="test", **fields)
    return Post.objects.create(entry=entry, translation=tr, slug=f"api-story-{n}",
                               category=category, source_name=source.name, original_url=url,
                               attribution="Hak cipta NDTV", status=status,
                               published_at=timezone.now() - timedelta(hours=hours_ago))


def validate(client: Client, path: str, component: str, status: int = 200) -> Any:
    """GET ``path``, check the status and that the body conforms to ``component``."""
    response = client.get(path)
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    document = build_schema()
    data = json.loads(response.content)
    jsonschema.Draft202012Validator(
        {"$ref": f"#/components/schemas/{component}", "components": document["components"]},
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    ).validate(data)
    return data


@pytest.mark.django_db
def test_lists_only_visible_stories_with_filters_and_pages(client: Client) -> None:
    world = Category.objects.create(slug="dunia", name="Dunia")
    wire = Source.objects.create(url="https://wire.example.com/feed", name="Kantor Berita")
    a = make_post("Satu", category=world, hours_ago=5)
    b = make_post("Dua", source=wire, hours_ago=3)
    c = make_post("Tiga", category=world, hours_ago=1)
    make_post("Ditarik", status=Post.Status.KILLED, hours_ago=2)
    make_post("Terjadwal", hours_ago=-2)  # scheduled: not yet visible

    data = validate(client, "/api/stories/", "StoryPage")
    assert [s["slug"] for s in data["results"]] == [c.slug, b.slug, a.slug]
    assert data["count"] == 3 and data["next"] is None and data["previous"] is None
    first = data["results"][0]
    assert first["url"] == f"http://127.0.0.1:8000/berita/{c.slug}/"
    assert first["api_url"].endswith(f"/api/stories/{c.slug}/")
    assert first["category"] == {"slug": "dunia", "name": "Dunia"}
    assert first["excerpt"] == "Paragraf pertama Tiga."

    only_world = validate(client, "/api/stories/?category=dunia", "StoryPage")
    assert [s["slug"] for s in only_world["results"]] == [c.slug, a.slug]
    from_wire = validate(client, f"/api/stories/?source={wire.pk}", "StoryPage")
    assert [s["source"] for s in from_wire["results"]] == [{"id": wire.pk,
                                                            "name": "Kantor Berita"}]
    since = (timezone.now() - timedelta(hours=4)).astimezone(UTC).isoformat()
    recent = validate(client, "/api/stories/?" + f"since={since.replace('+', '%2B')}",
                      "StoryPage")
    assert [s["slug"] for s in recent["results"]] == [c.slug, b.slug]
    assert validate(client, "/api/stories/?category=tidak-ada", "StoryPage")["count"] == 0

    page1 = validate(client, "/api/stories/?page_size=2", "StoryPage")
    assert [s["slug"] for s in page1["results"]] == [c.slug, b.slug]
    assert page1["next"].endswith("/api/stories/?page_size=2&page=2")
    page2 = validate(client, "/api/stories/?page_size=2&page=2", "StoryPage")
    assert [s["slug"] for s in page2["results"]] == [a.slug]
    assert page2["next"] is None and page2["previous"].endswith("page_size=2&page=1")
    assert validate(client, "/api/stories/?page=9", "StoryPage")["results"] == []


@pytest.mark.django_db
@pytest.mark.parametrize(("query", "name"), [
    ("page_size=101", "page_size"), ("page_size=0", "page_size"), ("page=-1", "page"),
    ("page=abc", "page"), ("source=x", "source"), ("category=a%00b", "category"),
    ("since=2026-11-01", "since"),
    ("since=2026-11-01T06:00:00", "since"), ("since=2026-13-01T06:00:00Z", "since"),
])
def test_a_bad_parameter_is_a_400_naming_it(client: Client, query: str, name: str) -> None:
    data = validate(client, f"/api/stories/?{query}", "Error", status=400)
    assert data["error"] == "bad_parameter" and data["detail"].startswith(name)


@pytest.mark.django_db
def test_story_detail_has_the_whole_article_and_no_internals(client: Client) -> None:
    post = make_post(
        "Badai di Moskow", dateline="Moskow, Rusia:",
        image={"src": "https://img.example.com/a.jpg", "caption": "Salju (arsip)",
               "credit": "AP", "internal": "x"},
        blocks=[{"type": "p", "text": "Hujan salju.", "edited": True, "machine": "Snow."},
                {"type": "quote", "text": "“Dingin sekali,” katanya."},
                {"type": "img", "src": "javascript:alert(1)", "text": ""},
                {"type": "img", "src": "https://img.example.com/b.jpg", "text": "",
                 "caption": "Jalan"}])
    data = validate(client, f"/api/stories/{post.slug}/", "Story")
    assert data["title"] == "Badai di Moskow" and data["dateline"] == "Moskow, Rusia"
    assert data["image"] == {"src": "https://img.example.com/a.jpg",
                             "caption": "Salju (arsip)", "credit": "AP"}
    assert data["blocks"] == [
        {"type": "p", "text": "Hujan salju."},
        {"type": "quote", "text": "“Dingin sekali,” katanya."},
        {"type": "img", "text": "", "src": "https://img.example.com/b.jpg",
         "caption": "Jalan", "credit": ""}]
    assert data["attribution"] == "Hak cipta NDTV" and data["machine_translated"] is True
    assert data["original_url"] == post.original_url
    assert data["updated"] == data["published"] == post.published_at.astimezone(UTC) \
        .isoformat()
    assert data["source"]["name"] == "NDTV"


@pytest.mark.django_db
def test_killed_story_is_410_and_unknown_is_404_in_json(client: Client) -> None:
    post = make_post("Akan ditarik")
    validate(client, f"/api/stories/{post.slug}/", "Story")
    post.status = Post.Status.KILLED
    post.save()
    assert validate(client, f"/api/stories/{post.slug}/", "Error", 410)["error"] == "gone"
    assert validate(client, "/api/stories/", "StoryPage")["count"] == 0
    for path in ("/api/stories/tidak-ada/", "/api/stories/a%2Fb/", "/api/stories/%00/",
                 "/api/lain/"):
        assert validate(client, path, "Error", 404)["error"] == "not_found", path
    assert client.post("/api/stories/").status_code == 405


@pytest.mark.django_db
def test_etag_and_last_modified_answer_304(client: Client) -> None:
    post = make_post("Cache")
    response = client.get("/api/stories/")
    etag = response["ETag"]
    assert response["Cache-Control"] == "public, max-age=60"
    assert "Last-Modified" not in response  # a kill must not hide behind If-Modified-Since
    again = client.get("/api/stories/", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    make_post("Baru")
    assert client.get("/api/stories/", HTTP_IF_NONE_MATCH=etag).status_code == 200

    detail = client.get(f"/api/stories/{post.slug}/")
    assert detail["Last-Modified"] == http_date(int(post.published_at.timestamp()))
    assert client.get(f"/api/stories/{post.slug}/",
                      HTTP_IF_MODIFIED_SINCE=detail["Last-Modified"]).status_code == 304
    assert client.get(f"/api/stories/{post.slug}/",
                      HTTP_IF_NONE_MATCH=detail["ETag"]).status_code == 304


@pytest.mark.django_db
def test_categories_and_sources_show_public_fields_only(client: Client) -> None:
    world = Category.objects.create(slug="dunia", name="Dunia")
    Category.objects.create(slug="kosong", name="Kosong")
    make_post("Satu", category=world)
    make_post("Dua", category=world)
    make_post("Ditarik", category=world, status=Post.Status.KILLED)
    Source.objects.create(url="https://silent.example.com/feed", name="Diam")
    cats = validate(client, "/api/categories/", "CategoryList")
    assert cats["results"] == [{"slug": "dunia", "name": "Dunia", "stories": 2,
                                "url": "http://127.0.0.1:8000/kategori/dunia/"}]
    response = client.get("/api/sources/")
    text = response.content.decode()
    assert "secret" not in text and "token" not in text and "500" not in text
    sources = validate(client, "/api/sources/", "SourceList")
    source = Source.objects.get(name="NDTV")
    assert sources["results"] == [{"id": source.pk, "name": "NDTV", "language": "en",
                                   "attribution": "", "stories": 2}]


def test_schema_is_openapi_3_1_with_valid_json_schemas(client: Client) -> None:
    response = client.get("/api/schema/")
    assert response.status_code == 200
    document = json.loads(response.content)
    assert document["openapi"] == "3.1.0"
    assert document["servers"] == [{"url": "http://127.0.0.1:8000"}]
    assert set(document["paths"]) == {"/api/stories/", "/api/stories/{slug}/",
                                      "/api/categories/", "/api/sources/"}
    for schema in document["components"]["schemas"].values():
        jsonschema.Draft202012Validator.check_schema(schema)
    # and schemathesis reads it as a valid OpenAPI document
    import schemathesis

    loaded = schemathesis.openapi.from_dict(document)
    operations = {op.ok().label for op in loaded.get_all_operations()}
    assert "GET /api/stories/{slug}/" in operations and len(operations) == 4

