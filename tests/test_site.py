"""The public site, rendered by Django's test client against a real SQLite database."""

from __future__ import annotations

import itertools
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import feedparser
import lxml.html
import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from warta.newsroom.models import Article, Category, Entry, Post, Source, Translation
from warta.site.render import format_datetime_id, inline_html, render_blocks

REF_TIME = datetime(2023, 9, 9, 7, 5, tzinfo=UTC)
_seq = itertools.count(1)

REFERENCE_BLOCKS: list[dict[str, Any]] = [
    {
        "type": "p",
        "text": "Presiden Rusia Vladimir Putin pada Rabu menjamu pemimpin Korea Utara "
        "Kim Jong Un di kosmodrom Vostochny untuk membahas kerja sama militer dan satelit.",
        "links": [
            {"text": "kosmodrom Vostochny", "href": "https://example.com/vostochny", "start": 79}
        ],
    },
    {
        "type": "p",
        "text": "Kim tiba dengan kereta lapis baja setelah perjalanan panjang dari "
        "Pyongyang melintasi perbatasan Rusia.",
    },
    {"type": "quote", "text": "“Kami akan membantu mereka membangun satelit,” kata Putin."},
    {"type": "p", "text": "Pertemuan Putin dan Kim itu diawasi ketat oleh Washington."},
]

pytestmark = pytest.mark.dbmatrix


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()


def make_post(
    title: str,
    blocks: list[dict[str, Any]] | None = None,
    *,
    published_at: datetime | None = None,
    category: Category | None = None,
    status: str = Post.Status.PUBLISHED,
    tr_status: str = Translation.Status.DONE,
    dateline: str = "",
    image: dict[str, str] | None = None,
    attribution: str = "",
    source_name: str = "NDTV",
) -> Post:
    n = next(_seq)
    source, _ = Source.objects.get_or_create(
        url="https://feeds.example.com/world.xml", defaults={"name": source_name}
    )
    url = f"https://www.example.com/world/story-{n}"
    entry = Entry.objects.create(
        source=source, guid=url, url=url, title=title, status=Entry.Status.PUBLISHED
    )
    article = Article.objects.create(
        entry=entry, url=url, title=title, text_hash=f"h{n}", language="en"
    )
    translation = Translation.objects.create(
        article=article,
        language="id",
        title=title,
        dateline=dateline,
        image=image,
        blocks=blocks if blocks is not None else [{"type": "p", "text": title}],
        engine="test",
        status=tr_status,
    )
    return Post.objects.create(
        entry=entry,
        translation=translation,
        slug=f"story-{n}",
        category=category,
        # minutes, not hours: a long session must stay inside the 48-hour news sitemap
        published_at=published_at or datetime.now(UTC) - timedelta(minutes=n),
        source_name=source_name,
        original_url=url,
        attribution=attribution,
        status=status,
    )


def parse(response: Any) -> Any:
    return lxml.html.document_fromstring(response.content.decode("utf-8"))


_STEP_RE = re.compile(
    r"^(?P<tag>[a-z0-9]*)(?P<classes>(?:\.[\w-]+)*)(?:\[(?P<attr>\w+)='(?P<val>[^']*)'\])?$"
)


def sel(el: Any, css: str) -> list[Any]:
    """The few CSS selectors these tests use (tag, .class, [attr='v'], descendant, >),
    as XPath: lxml's cssselect needs a package warta does not depend on."""
    xpath, axis = ".", "//"
    for token in css.split():
        if token == ">":
            axis = "/"
            continue
        m = _STEP_RE.match(token)
        assert m, token
        preds = [
            f"contains(concat(' ', normalize-space(@class), ' '), ' {c} ')"
            for c in m["classes"].split(".")[1:]
        ]
        if m["attr"]:
            preds.append(f"@{m['attr']}='{m['val']}'")
        xpath += f"{axis}{m['tag'] or '*'}" + "".join(f"[{p}]" for p in preds)
        axis = "//"
    return list(el.xpath(xpath))


def text_of(el: Any) -> str:
    return " ".join(el.text_content().split())


@pytest.fixture
def reference(db: None) -> dict[str, Post]:
    """The reference story, a related one, and an unrelated one."""
    world = Category.objects.create(slug="dunia", name="Dunia")
    sport = Category.objects.create(slug="olahraga", name="Olahraga")
    related = make_post(
        "Kereta lapis baja Kim Jong Un tiba di Rusia untuk bertemu Putin",
        [
            {
                "type": "p",
                "text": "Pemimpin Korea Utara Kim Jong Un tiba di Rusia dengan kereta "
                "lapis baja untuk bertemu Presiden Vladimir Putin membahas kerja sama militer.",
            }
        ],
        published_at=REF_TIME - timedelta(days=1),
        category=world,
    )
    unrelated = make_post(
        "India menang atas Pakistan di Piala Asia",
        [
            {
                "type": "p",
                "text": "Tim kriket India mengalahkan Pakistan di Kolombo; Virat Kohli "
                "mencetak abad dan Kuldeep Yadav mengambil lima wicket.",
            }
        ],
        published_at=REF_TIME - timedelta(hours=1),
        category=sport,
    )
    main = make_post(
        "Putin menjamu Kim Jong Un di kosmodrom Vostochny",
        REFERENCE_BLOCKS,
        published_at=REF_TIME,
        category=world,
        dateline="Moskow, Rusia",
        image={
            "src": "https://img.example.com/putin-kim.jpg",
            "caption": "Vladimir Putin dan Kim Jong Un (arsip)",
            "credit": "Reuters",
        },
        attribution="Cerita ini tidak disunting oleh staf NDTV.",
    )
    return {"main": main, "related": related, "unrelated": unrelated}


@pytest.mark.django_db
def test_article_page_has_every_element_in_order(client: Client, reference: dict[str, Post]):
    main, related = reference["main"], reference["related"]
    response = client.get(main.get_absolute_url())
    assert response.status_code == 200
    doc = parse(response)
    assert doc.get("lang") == "id"
    order = {el: i for i, el in enumerate(doc.iter())}

    (site_name,) = sel(doc, "header.masthead a.site-name")
    assert site_name.get("href") == reverse("home")
    (tagline,) = sel(doc, "header.masthead .tagline a[href='/berlangganan/']")
    assert text_of(tagline) == "Dapatkan berita terbaru"
    assert sel(doc, "header.masthead a[href='/rss.xml']")

    (h1,) = sel(doc, "article.story h1")
    assert text_of(h1) == "Putin menjamu Kim Jong Un di kosmodrom Vostochny"

    (figure,) = sel(doc, "article.story figure.lead")
    (img,) = sel(figure, "img")
    assert img.get("src") == "https://img.example.com/putin-kim.jpg"
    assert img.get("loading") is None  # the lead photo is in the first screen: not lazy
    assert img.get("fetchpriority") == "high"
    (caption,) = sel(figure, "figcaption")
    assert text_of(caption).startswith("Vladimir Putin dan Kim Jong Un (arsip)")
    assert text_of(sel(caption, "span.credit")[0]) == "Reuters"

    body = sel(doc, "div.story-body")[0]
    first_p = sel(body, "p")[0]
    dateline = first_p[0]
    assert dateline.tag == "span" and dateline.get("class") == "dateline"
    assert text_of(dateline) == "Moskow, Rusia:"
    assert not (first_p.text or "").strip()  # the dateline opens the paragraph
    assert text_of(first_p).startswith("Moskow, Rusia: Presiden Rusia Vladimir Putin")
    (inline,) = sel(first_p, "a")
    assert inline.get("href") == "https://example.com/vostochny"
    assert text_of(inline) == "kosmodrom Vostochny"

    (quote,) = sel(body, "blockquote > p")
    assert text_of(quote) == "“Kami akan membantu mereka membangun satelit,” kata Putin."

    (aside,) = sel(body, "aside.baca-juga")
    (link,) = sel(aside, "a")
    assert text_of(aside).startswith("Baca juga:")
    assert link.get("href") == related.get_absolute_url()
    assert text_of(link) == related.translation.title
    # after the 2nd paragraph
    paragraphs = sel(body, "p")
    assert order[paragraphs[1]] < order[aside] < order[quote]

    (footer,) = sel(doc, "article.story footer.syndication")
    note = text_of(footer)
    assert note.startswith(
        "Sumber: NDTV. Artikel ini diterjemahkan secara otomatis dari bahasa Inggris. "
        "Baca artikel asli"
    )
    assert "Cerita ini tidak disunting oleh staf NDTV." in note
    (original,) = sel(footer, "a")
    assert original.get("href") == main.original_url
    assert original.get("rel") == "nofollow noopener"

    assert (
        order[site_name]
        < order[tagline]
        < order[h1]
        < order[figure]
        < order[dateline]
        < order[quote]
        < order[footer]
    )
    assert order[dateline] < order[aside] < order[footer]

    (time,) = sel(doc, "article.story time")
    assert text_of(time) == "Sabtu, 9 September 2023 14:05 WIB"
    assert not sel(doc, ".notice")


@pytest.mark.django_db
def test_baca_juga_never_links_the_unrelated_story(client: Client, reference: dict[str, Post]):
    unrelated = reference["unrelated"]
    doc = parse(client.get(unrelated.get_absolute_url()))
    assert not sel(doc, "aside.baca-juga")
    main_doc = parse(client.get(reference["main"].get_absolute_url()))
    hrefs = [a.get("href") for a in sel(main_doc, "a")]
    assert unrelated.get_absolute_url() not in hrefs


def baca_juga_href(client: Client, post: Post) -> str | None:
    links = sel(parse(client.get(post.get_absolute_url())), "aside.baca-juga a")
    return links[0].get("href") if links else None


@pytest.mark.django_db
def test_baca_juga_follows_the_recent_stories(client: Client, reference: dict[str, Post]):
    """The candidates' vectors are kept between renders; a change to the set of recent
    stories still shows on the next render: a kill by bulk update (no signal), a newly
    published story, an edited candidate."""
    main, related = reference["main"], reference["related"]
    assert baca_juga_href(client, main) == related.get_absolute_url()
    Post.objects.filter(pk=related.pk).update(status=Post.Status.KILLED)
    assert baca_juga_href(client, main) is None
    newer = make_post(
        "Kim Jong Un dan Putin membahas satelit di Vostochny",
        [{"type": "p", "text": "Kim Jong Un dan Vladimir Putin bertemu di kosmodrom Vostochny."}],
        published_at=REF_TIME - timedelta(hours=2),
    )
    assert baca_juga_href(client, main) == newer.get_absolute_url()
    # an edit that takes the candidate off the topic: its new text is what is scored
    Translation.objects.filter(pk=newer.translation_id).update(
        title="Harga beras naik di Jawa",
        blocks=[{"type": "p", "text": "Harga beras naik di pasar-pasar Jawa Tengah."}],
        version=2,
    )
    assert baca_juga_href(client, main) is None


@pytest.mark.django_db
def test_baca_juga_at_the_end_when_fewer_than_two_paragraphs(
    client: Client, reference: dict[str, Post]
):
    doc = parse(client.get(reference["related"].get_absolute_url()))
    body = sel(doc, "div.story-body")[0]
    assert body[-1].tag == "aside"
    assert sel(body[-1], "a")[0].get("href") == reference["main"].get_absolute_url()


@pytest.mark.django_db
def test_unknown_slug_is_404(client: Client):
    response = client.get("/berita/tidak-ada/")
    assert response.status_code == 404
    assert "Halaman tidak ditemukan" in text_of(parse(response))


@pytest.mark.django_db
def test_killed_post_is_410_with_a_page(client: Client):
    post = make_post("Berita yang ditarik", status=Post.Status.KILLED)
    response = client.get(post.get_absolute_url())
    assert response.status_code == 410
    doc = parse(response)
    assert text_of(sel(doc, "h1")[0]) == "Artikel ini telah ditarik"
    assert "Berita yang ditarik" not in response.content.decode()


@pytest.mark.django_db
def test_scheduled_post_is_hidden_until_due(client: Client):
    post = make_post("Berita terjadwal", published_at=datetime.now(UTC) + timedelta(hours=2))
    assert client.get(post.get_absolute_url()).status_code == 404
    assert "Berita terjadwal" not in client.get("/").content.decode()


@pytest.mark.django_db
def test_home_lists_newest_first_and_excludes_killed(client: Client):
    world = Category.objects.create(slug="dunia", name="Dunia")
    old = make_post("Berita lama", published_at=REF_TIME - timedelta(days=2), category=world)
    new = make_post("Berita baru", published_at=REF_TIME, category=world)
    mid = make_post("Berita tengah", published_at=REF_TIME - timedelta(days=1))
    make_post("Berita yang dibunuh", published_at=REF_TIME, status=Post.Status.KILLED)
    response = client.get("/")
    assert response.status_code == 200
    doc = parse(response)
    titles = [text_of(a) for a in sel(doc, ".card-title a")]
    assert "Berita yang dibunuh" not in response.content.decode()
    (lead,) = sel(doc, "section.lead-story .card-title a")
    assert lead.get("href") == new.get_absolute_url()
    assert titles[0] == "Berita baru"
    assert set(titles) == {"Berita baru", "Berita lama", "Berita tengah"}
    sections = [text_of(h) for h in sel(doc, "h2.section-title")]
    assert sections == ["Dunia", "Lainnya"]
    assert old.get_absolute_url() in [a.get("href") for a in sel(doc, "section.section a")]
    assert mid.get_absolute_url() in [a.get("href") for a in sel(doc, "section.section a")]
    nav = [text_of(a) for a in sel(doc, "nav.sections a")]
    assert nav == ["Beranda", "Dunia"]


@pytest.mark.django_db
def test_home_is_paginated_newest_first(client: Client, settings: Any):
    posts = [
        make_post(f"Berita nomor {i}", published_at=REF_TIME - timedelta(minutes=i))
        for i in range(25)
    ]
    page_size = settings.WARTA["site.page_size"]
    first = [a.get("href") for a in sel(parse(client.get("/")), ".card-title a")]
    assert first == [p.get_absolute_url() for p in posts[:page_size]]
    second = [a.get("href") for a in sel(parse(client.get("/?page=2")), ".card-title a")]
    assert second == [p.get_absolute_url() for p in posts[page_size : 2 * page_size]]
    assert client.get("/?page=99").status_code == 404
    assert client.get("/?page=abc").status_code == 404


@pytest.mark.django_db
def test_home_query_count_does_not_grow_with_posts(
    client: Client, django_assert_max_num_queries: Any
):
    cat = Category.objects.create(slug="dunia", name="Dunia")
    for i in range(15):
        make_post(f"Berita {i}", category=cat)
    with django_assert_max_num_queries(6):
        assert client.get("/").status_code == 200
    with django_assert_max_num_queries(6):
        assert client.get("/kategori/dunia/").status_code == 200


@pytest.mark.django_db
def test_category_page(client: Client):
    world = Category.objects.create(slug="dunia", name="Dunia")
    sport = Category.objects.create(slug="olahraga", name="Olahraga")
    a = make_post("Berita dunia", category=world)
    make_post("Berita olahraga", category=sport)
    make_post("Berita dunia ditarik", category=world, status=Post.Status.KILLED)
    response = client.get("/kategori/dunia/")
    assert response.status_code == 200
    doc = parse(response)
    assert text_of(sel(doc, "h1")[0]) == "Dunia"
    assert [a_.get("href") for a_ in sel(doc, ".card-title a")] == [a.get_absolute_url()]
    assert client.get("/kategori/tidak-ada/").status_code == 404


@pytest.mark.django_db
def test_rss_feed_parses_and_has_the_items(client: Client, reference: dict[str, Post]):
    make_post("Berita ditarik", status=Post.Status.KILLED)
    response = client.get("/rss.xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "rss20"
    assert feed.feed.title == "Warta"
    assert feed.feed.subtitle == "Dapatkan berita terbaru"
    titles = [e.title for e in feed.entries]
    assert titles == [
        "Putin menjamu Kim Jong Un di kosmodrom Vostochny",
        "India menang atas Pakistan di Piala Asia",
        "Kereta lapis baja Kim Jong Un tiba di Rusia untuk bertemu Putin",
    ]
    first = feed.entries[0]
    assert first.link.endswith(reference["main"].get_absolute_url())
    assert first.published_parsed[:5] == (2023, 9, 9, 7, 5)
    assert [t.term for t in first.tags] == ["Dunia"]
    assert "Moskow, Rusia: Presiden Rusia" in first.description
    assert "Sumber: NDTV" in first.description
    assert "Cerita ini tidak disunting oleh staf NDTV." in first.description
    assert "Washington" not in first.description  # only the first paragraphs


@pytest.mark.django_db
def test_rss_feed_is_limited_to_50(client: Client):
    for i in range(55):
        make_post(f"Berita {i}")
    feed = feedparser.parse(client.get("/rss.xml").content)
    assert len(feed.entries) == 50


@pytest.mark.django_db
def test_untranslated_post_shows_notice_and_english_lang(client: Client):
    post = make_post(
        "Floods hit Mumbai",
        [{"type": "p", "text": "Heavy rain flooded Mumbai on Friday."}],
        tr_status=Translation.Status.UNTRANSLATED,
    )
    doc = parse(client.get(post.get_absolute_url()))
    (notice,) = sel(doc, ".notice")
    assert text_of(notice) == "Menunggu terjemahan — teks di bawah masih dalam bahasa aslinya."
    (body,) = sel(doc, "div.story-body")
    assert body.get("lang") == "en"
    assert doc.get("lang") == "id"
    (note,) = sel(doc, "footer.syndication")
    assert "belum diterjemahkan dari bahasa Inggris" in text_of(note)
    assert "diterjemahkan secara otomatis" not in text_of(note)


@pytest.mark.django_db
def test_subscribe_page_has_the_newsletter_form_and_the_rss_link(client: Client):
    response = client.get("/berlangganan/")
    assert response.status_code == 200
    doc = parse(response)
    # the newsletter form (warta.reader; tests/test_newsletter.py) and the feed
    (form,) = doc.xpath("//main//form[@method='post']")
    assert form.get("action") == "/berlangganan/daftar/"
    assert form.xpath(".//input[@type='email']")
    assert sel(doc, "main a[href='/rss.xml']")


def test_date_format_in_jakarta():
    assert format_datetime_id(REF_TIME) == "Sabtu, 9 September 2023 14:05 WIB"
    assert format_datetime_id(REF_TIME, "Asia/Makassar") == "Sabtu, 9 September 2023 15:05 WITA"
    assert format_datetime_id(REF_TIME, "Asia/Jayapura") == "Sabtu, 9 September 2023 16:05 WIT"
    assert format_datetime_id(REF_TIME, "Europe/Berlin") == "Sabtu, 9 September 2023 09:05 CEST"
    assert format_datetime_id(datetime(2023, 9, 9, 7, 5)) == "Sabtu, 9 September 2023 14:05 WIB"


@pytest.mark.django_db
def test_hostile_title_and_javascript_link_are_neutralised(client: Client):
    post = make_post(
        "<script>alert('x')</script> Judul",
        [
            {
                "type": "p",
                "text": "Klik di sini untuk hadiah.",
                "links": [{"text": "di sini", "href": "javascript:alert(1)", "start": 5}],
            },
            {
                "type": "p",
                "text": "Tautan  berbahaya lain.",
                "links": [{"text": "berbahaya", "href": " JavaScript:alert(2)", "start": 8}],
            },
            {"type": "img", "src": "javascript:alert(3)", "caption": "gambar"},
            {"type": "p", "text": "<img src=x onerror=alert(4)>"},
        ],
    )
    response = client.get(post.get_absolute_url())
    html = response.content.decode()
    assert "<script>alert" not in html
    assert "javascript:" not in html.lower()
    assert "<img src=x" not in html
    doc = parse(response)
    assert text_of(sel(doc, "h1")[0]) == "<script>alert('x')</script> Judul"
    body = sel(doc, "div.story-body")[0]
    assert not sel(body, "a") and not sel(body, "img")
    assert text_of(sel(body, "p")[0]) == "Klik di sini untuk hadiah."
    # the only script is JSON-LD data (never run), and the title inside it stays text
    (ld,) = sel(doc, "script")
    assert ld.get("type") == "application/ld+json"
    assert json.loads(ld.text)["headline"] == "<script>alert('x')</script> Judul"


def test_render_blocks_structure():
    html = render_blocks(
        [
            {"type": "h2", "text": "Latar"},
            {"type": "li", "text": "satu"},
            {"type": "li", "text": "dua"},
            {"type": "p", "text": "Paragraf."},
            {"type": "h3", "text": "Sub"},
            {
                "type": "img",
                "src": "https://img.example.com/a.jpg",
                "caption": "Foto A",
                "credit": "AFP",
            },
            {"type": "li", "text": "tiga"},
        ]
    )
    assert html == (
        "<h2>Latar</h2><ul><li>satu</li><li>dua</li></ul><p>Paragraf.</p><h3>Sub</h3>"
        '<figure><img src="https://img.example.com/a.jpg" alt="Foto A" loading="lazy" '
        'decoding="async">'
        '<figcaption>Foto A <span class="credit">AFP</span></figcaption></figure>'
        "<ul><li>tiga</li></ul>"
    )


def test_inline_links_survive_moved_offsets_and_escape():
    html = inline_html(
        "Lihat <laporan> & data", [{"text": "data", "href": "https://x.example/d", "start": 0}]
    )
    assert html == (
        'Lihat &lt;laporan&gt; &amp; <a href="https://x.example/d" rel="nofollow noopener">data</a>'
    )


@pytest.mark.django_db
def test_readers_accept_language_does_not_switch_the_site_language(client: Client):
    post = make_post("Banjir di Jakarta", [{"type": "p", "text": "Hujan deras."}])
    response = client.get(post.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    doc = parse(response)
    assert doc.get("lang") == "id"
    assert "Baca artikel asli" in text_of(sel(doc, "footer.syndication")[0])


def test_favicon_is_linked_and_favicon_ico_redirects_to_it(client: Client):
    response = client.get("/favicon.ico")
    # hashed once collectstatic has run in this process (a build test before this one)
    assert response.status_code == 301
    assert re.search(r"/site/favicon(\.[0-9a-f]{12})?\.svg$", response["Location"])
    assert client.get(response["Location"]).status_code == 200
