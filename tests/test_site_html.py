"""Every page template renders valid HTML, stays under 100 KB before images, and renders
hostile text inert.

Validity is a strict HTML5 parse (html5lib, the WHATWG parsing algorithm: any parse error
fails, e.g. a stray end tag, a block inside a paragraph, an unclosed element, a bad
character reference) plus the document-level rules a parser does not report: one ``<h1>``,
unique ``id`` values, ``alt`` on every image, ``lang`` on ``<html>``, no nested links,
labels pointing to existing controls.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import html5lib
import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from tests.test_site import REFERENCE_BLOCKS, make_post, parse, sel, text_of
from warta.newsroom.models import Article, Category, Correction, Entry, Post, Source, Story

pytestmark = pytest.mark.dbmatrix
REF_TIME = datetime(2023, 9, 9, 7, 5, tzinfo=UTC)
STATIC = Path(__file__).resolve().parents[1] / "src" / "warta" / "site" / "static"
PAGE_BUDGET = 100 * 1024


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()


@pytest.fixture
def site_pages(db: None) -> dict[str, str]:
    """A site with every kind of content, and one URL for each page template."""
    world = Category.objects.create(slug="dunia", name="Dunia")
    main = make_post(
        "Putin menjamu Kim Jong Un di kosmodrom Vostochny", REFERENCE_BLOCKS,
        published_at=REF_TIME, category=world, dateline="Moskow, Rusia",
        image={"src": "https://img.example.com/putin.jpg", "caption": "Putin (arsip)",
               "credit": "Reuters", "width": 1200, "height": 675},
        attribution="Cerita ini tidak disunting oleh staf NDTV.",
    )
    other = make_post("Kereta lapis baja Kim Jong Un tiba di Rusia untuk bertemu Putin",
                      [{"type": "p", "text": "Kim Jong Un tiba di Rusia bertemu Putin."}],
                      published_at=REF_TIME - timedelta(hours=3), category=world,
                      image={"src": "https://img.example.com/kim.jpg", "caption": "Kim"})
    make_post("Harga beras naik", published_at=REF_TIME - timedelta(days=1))
    killed = make_post("Ditarik", status=Post.Status.KILLED, published_at=REF_TIME)
    Entry.objects.filter(pk=main.entry_id).update(categories=["Korea Utara"])
    from warta.site.tags import tag_untagged_posts

    tag_untagged_posts()
    main.translation.article.byline = "By Jane Doe"
    main.translation.article.save()
    Post.objects.filter(pk=main.pk).update(updated_at=REF_TIME + timedelta(hours=1))
    Correction.objects.create(post=main, note="Nama kosmodrom diperbaiki.")
    story = Story.objects.create(title="putin kim")
    reuters = Source.objects.create(name="Reuters", url="https://feeds.example.com/r.xml")
    Entry.objects.create(source=reuters, guid="r", url="https://reuters.example/p", story=story,
                         title="Putin hosts Kim", story_rank=1)
    Entry.objects.filter(pk__in=[main.entry_id, other.entry_id]).update(story=story)
    return {
        "home": "/",
        "article": main.get_absolute_url(),
        "category": "/kategori/dunia/",
        "tag": "/tag/korea-utara/",
        "source": f"/sumber/{main.entry.source_id}/",
        "author": "/penulis/jane-doe/",
        "archive": "/2023/09/09/",
        "search": "/cari/?q=Putin",
        "search-empty": "/cari/?q=tidakadasamasekali",
        "search-form": "/cari/",
        "subscribe": "/berlangganan/",
        "404": "/berita/tidak-ada/",
        "410": killed.get_absolute_url(),
    }


def html_problems(html: str) -> list[str]:
    """Parse errors and document-rule violations of one page (empty when valid)."""
    parser = html5lib.HTMLParser(strict=False, namespaceHTMLElements=False)
    parser.parse(html)
    problems = [f"{line}:{col} {code} {data}" for (line, col), code, data in parser.errors]
    doc = parse_html(html)
    if not doc.get("lang"):
        problems.append("<html> has no lang")
    if len(doc.xpath("//h1")) != 1:
        problems.append(f"{len(doc.xpath('//h1'))} <h1> elements")
    ids = [el.get("id") for el in doc.xpath("//*[@id]")]
    problems += [f"duplicate id {i!r}" for i in sorted({i for i in ids if ids.count(i) > 1})]
    problems += [f"img without alt: {el.get('src')}" for el in doc.xpath("//img[not(@alt)]")]
    problems += ["nested <a>" for _ in doc.xpath("//a//a")]
    for label in doc.xpath("//label[@for]"):
        if label.get("for") not in ids:
            problems.append(f"label for missing id {label.get('for')!r}")
    if not doc.xpath("/html/head/meta[@charset]") or not doc.xpath("/html/head/title"):
        problems.append("head lacks charset or title")
    return problems


def parse_html(html: str) -> Any:
    import lxml.html

    return lxml.html.document_fromstring(html)


@pytest.mark.django_db
def test_every_page_template_is_valid_html(client: Client, site_pages: dict[str, str]):
    seen = {}
    for name, url in site_pages.items():
        response = client.get(url)
        assert response.status_code == {"404": 404, "410": 410}.get(name, 200), (name, url)
        seen[name] = html_problems(response.content.decode("utf-8"))
    assert {k: v for k, v in seen.items() if v} == {}


def test_the_validity_check_catches_real_mistakes():
    ok = ('<!doctype html><html lang="id"><head><meta charset="utf-8"><title>t</title></head>'
          '<body><h1>a</h1><img src="x" alt=""></body></html>')
    assert html_problems(ok) == []
    bad = ok.replace("<h1>a</h1>", '<h1>a</h1><p><div id="a"></div></p><a><a id="a">x</a></a>'
                     '<img src="y"><label for="q">q</label><span>')
    found = " ".join(html_problems(bad))
    for expected in ("unexpected-end-tag", "duplicate id 'a'", "img without alt",
                     "label for missing id", "expected-one-end-tag-but-got-another"):
        assert expected in found, (expected, found)


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["home", "article"])
def test_page_weight_before_images_is_under_100_kb(client: Client, site_pages: dict[str, str],
                                                   name: str):
    """HTML plus every stylesheet and script the page loads (the site has no scripts; a
    ``<script src>`` would be counted too)."""
    response = client.get(site_pages[name])
    html = response.content
    doc = parse(response)
    assets = [el.get("href") for el in sel(doc, "link[rel='stylesheet']")]
    assets += [el.get("src") for el in doc.xpath("//script[@src]")]
    total = len(html)
    for href in assets:
        assert href.startswith("/static/"), href  # nothing from a third party
        name = href.removeprefix("/static/")
        # a hashed name ("warta.3f2a.css") once collectstatic has run, else the source file
        collected = Path(settings.STATIC_ROOT) / name
        total += (collected if collected.exists() else STATIC / name).stat().st_size
    assert assets, "the stylesheet is counted"
    assert total < PAGE_BUDGET, f"{name}: {total} bytes"


HOSTILE_TITLE = ("<script>alert(1)</script><img src=x onerror=alert(2)> "
                 "&lt;b&gt; &amp &#0; &#xD800; \u202egpj.exe Judul")


@pytest.mark.django_db
def test_hostile_text_renders_inert_on_every_page(client: Client):
    world = Category.objects.create(slug="dunia", name="<b onmouseover=alert(5)>Dunia</b>")
    post = make_post(
        HOSTILE_TITLE,
        [{"type": "p", "text": "<svg onload=alert(3)> teks \u202e terbalik",
          "links": [{"text": "teks", "href": "javascript:alert(4)"}]},
         {"type": "p", "text": "<a href=\"javascript:alert(6)\">klik</a> &#x6A;avascript:"},
         {"type": "quote", "text": "\"><script>alert(7)</script>"}],
        category=world, dateline="<i>Kota</i>",
        image={"src": "javascript:alert(8)", "caption": "\" onerror=\"alert(9)"},
    )
    Entry.objects.filter(pk=post.entry_id).update(categories=["<script>x</script>", "Aman"])
    Article.objects.filter(entry=post.entry_id).update(byline="<b>Jahat</b> \u202e")
    from warta.site.tags import tag_untagged_posts

    tag_untagged_posts()
    urls = ["/", post.get_absolute_url(), "/kategori/dunia/", "/tag/scriptxscript/",
            "/tag/aman/", "/penulis/bjahatb/", "/cari/?q=Judul", "/rss.xml",
            "/atom.xml", "/feed.json"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode("utf-8")
        if url.endswith(".json"):  # titles are plain text there; only content_html is HTML
            for item in json.loads(body)["items"]:
                html = parse_html(f"<div>{item['content_html']}</div>")
                assert not html.xpath("//script | //svg | //@*[starts-with(name(), 'on')]")
                assert not [v for v in html.xpath("//@href | //@src") if "javascript" in v]
            continue
        for needle in ("<script>alert", "<img src=x", "<svg", "onerror=\"alert",
                       "<b onmouseover", "\u202e", "<i>Kota"):
            assert needle not in body, (url, needle)
        if url.endswith(".xml"):
            # a live link in a feed's HTML would be escaped once: href=&quot; / href=\"
            assert "href=&quot;javascript" not in body and 'href=\\"javascript' not in body
            continue
        doc = parse(response)
        links = doc.xpath("//@href | //@src | //@srcset | //@action")
        assert not [v for v in links if "javascript" in v.lower()], url
        scripts = doc.xpath("//script")
        assert all(s.get("type") == "application/ld+json" for s in scripts), url
        assert not doc.xpath("//@*[starts-with(name(), 'on')]"), url
        assert not doc.xpath("//svg | //iframe | //object | //embed"), url
        assert html_problems(body) == [], url
    # the text itself is shown, as text
    doc = parse(client.get(post.get_absolute_url()))
    assert text_of(sel(doc, "h1")[0]) == HOSTILE_TITLE.replace("\u202e", "")
