"""The site's UI strings: English msgids, an Indonesian catalogue that covers them, a committed
``.mo`` that matches its ``.po``, and pages that follow the active language."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import feedparser
import lxml.html
import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.utils import translation

from warta.newsroom.models import Article, Category, Entry, Post, Source, Translation
from warta.site.compile_messages import (
    ExtractionError,
    compile_catalog,
    extract_msgids,
    missing_translations,
    mo_messages,
    po_files,
    python_msgids,
    read_catalog,
    template_msgids,
)
from warta.site.render import format_datetime_id

ID_PO = next((p for p in po_files() if p.parent.parent.name == "id"), None)
REF_TIME = datetime(2023, 9, 9, 7, 5, tzinfo=UTC)
_seq = itertools.count(1)


def test_indonesian_catalogue_exists():
    assert ID_PO is not None and ID_PO.is_file()
    assert ID_PO.with_suffix(".mo").is_file(), "run python -m warta.site.compile_messages"


@pytest.mark.parametrize("po", po_files(), ids=lambda p: p.parent.parent.name)
def test_committed_mo_matches_po(po):
    """Recompiled in memory, every ``.po`` gives the messages (and header, bar Babel's
    version) of the ``.mo`` committed beside it."""
    mo = po.with_suffix(".mo")
    assert mo.is_file(), f"{mo} missing: run python -m warta.site.compile_messages"
    fresh = mo_messages(compile_catalog(read_catalog(po)), header=True)
    committed = mo_messages(mo.read_bytes(), header=True)
    assert committed == fresh, f"{mo} is stale: run python -m warta.site.compile_messages"


def test_every_site_msgid_has_an_indonesian_translation():
    used = extract_msgids()
    # the extractor sees every form the site uses
    for msgid in (
        "Home",  # {% translate "…" %}
        "RSS feed",  # {% translate '…' %}
        "Page %(n)s of %(total)s",  # {% blocktranslate with … %}
        "Source: %(source)s.",  # blocktranslate and gettext in Python
        "Read also:",  # _() in render.py
        "Other news",  # _() in views.py
        "Awaiting translation.",  # _() in feeds.py
    ):
        assert msgid in used, msgid
    assert ID_PO is not None
    catalog = read_catalog(ID_PO)
    assert missing_translations(catalog, used) == []
    unused = sorted(m.id for m in catalog if m.id and m.id not in used)
    assert unused == [], "entries no longer used by the site: remove them"


def test_catalogue_is_well_formed():
    assert ID_PO is not None
    catalog = read_catalog(ID_PO)
    assert catalog.locale is not None and str(catalog.locale) == "id"
    assert catalog.plural_forms == "nplurals=1; plural=0;"
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalog.check()]
    assert problems == []  # placeholders in msgstr match the msgid's
    for message in catalog:
        if message.id:
            assert not message.fuzzy, message.id
            # msgids are English; an Indonesian msgid would translate to itself
            assert message.string != message.id, message.id


def test_extractor_reads_django_and_python_forms():
    template = """{% load i18n %}
    <a title="{% translate 'Single' %}">{% trans "Double" %}</a>
    {% translate "Hidden" as hidden %}
    {% blocktranslate with n=p.n total=p.t %}Page {{ n }} of {{ total }}{% endblocktranslate %}
    {% blocktrans %}100% sure{% endblocktrans %}
    {% blocktranslate trimmed with a=b %}
      Two
      lines {{ a }}
    {% endblocktranslate %}
    {{ value|default:_("Fallback") }}
    """
    assert sorted(template_msgids(template)) == sorted(
        [
            "Single",
            "Double",
            "Hidden",
            "Page %(n)s of %(total)s",
            "100%% sure",
            "Two lines %(a)s",
            "Fallback",
        ]
    )
    source = 'from django.utils.translation import gettext as _\nx = _("One")\ny = gettext("Two")\n'
    assert list(python_msgids(source)) == ["One", "Two"]
    with pytest.raises(ExtractionError):
        list(template_msgids('{% translate "May" context "month" %}'))
    with pytest.raises(ExtractionError):
        list(template_msgids("{% blocktranslate count n=x %}a{% plural %}b{% endblocktranslate %}"))
    with pytest.raises(ExtractionError):
        list(python_msgids("_(name)"))
    with pytest.raises(ExtractionError):
        list(python_msgids('ngettext("a", "b", n)'))


# --- pages follow the active language ---------------------------------------------------


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def make_post(title: str, text: str, *, published_at: datetime, **post: Any) -> Post:
    n = next(_seq)
    source, _ = Source.objects.get_or_create(
        url="https://feeds.example.com/i18n.xml", defaults={"name": "NDTV"}
    )
    url = f"https://www.example.com/i18n/story-{n}"
    entry = Entry.objects.create(
        source=source, guid=url, url=url, title=title, status=Entry.Status.PUBLISHED
    )
    article = Article.objects.create(
        entry=entry, url=url, title=title, text_hash=f"i18n{n}", language="en"
    )
    tr_status = post.pop("tr_status", Translation.Status.DONE)
    translation_row = Translation.objects.create(
        article=article,
        language="id",
        title=title,
        blocks=[{"type": "p", "text": text}],
        engine="test",
        status=tr_status,
    )
    return Post.objects.create(
        entry=entry,
        translation=translation_row,
        slug=f"i18n-story-{n}",
        published_at=published_at,
        source_name="NDTV",
        original_url=url,
        **post,
    )


@pytest.fixture
def stories(db: None) -> dict[str, Post]:
    world = Category.objects.create(slug="dunia", name="Dunia")
    related = make_post(
        "Kereta lapis baja Kim Jong Un tiba di Rusia untuk bertemu Putin",
        "Pemimpin Korea Utara Kim Jong Un tiba di Rusia dengan kereta lapis baja untuk "
        "bertemu Presiden Vladimir Putin membahas kerja sama militer.",
        published_at=REF_TIME - timedelta(days=1),
        category=world,
    )
    main = make_post(
        "Putin menjamu Kim Jong Un di kosmodrom Vostochny",
        "Presiden Rusia Vladimir Putin pada Rabu menjamu pemimpin Korea Utara Kim Jong Un "
        "di kosmodrom Vostochny untuk membahas kerja sama militer dan satelit.",
        published_at=REF_TIME,
        category=world,
    )
    waiting = make_post(
        "Floods hit Mumbai",
        "Heavy rain flooded Mumbai on Friday.",
        published_at=REF_TIME - timedelta(days=3),
        tr_status=Translation.Status.UNTRANSLATED,
    )
    return {"main": main, "related": related, "waiting": waiting}


UI = {
    "en": {
        "read_also": "Read also:",
        "note": "Source: NDTV. This article was machine-translated from English. "
        "Read the original article",
        "waiting_note": "This article has not been translated from English yet.",
        "notice": "Awaiting translation — the text below is still in its original language.",
        "home": "Home",
        "date": "Saturday, 9 September 2023 14:05 WIB",
        "not_found": "Page not found",
        "feed_note": "Source: NDTV. This article was machine-translated from English.",
    },
    "id": {
        "read_also": "Baca juga:",
        "note": "Sumber: NDTV. Artikel ini diterjemahkan secara otomatis dari bahasa Inggris. "
        "Baca artikel asli",
        "waiting_note": "Artikel ini belum diterjemahkan dari bahasa Inggris.",
        "notice": "Menunggu terjemahan — teks di bawah masih dalam bahasa aslinya.",
        "home": "Beranda",
        "date": "Sabtu, 9 September 2023 14:05 WIB",
        "not_found": "Halaman tidak ditemukan",
        "feed_note": "Sumber: NDTV. Artikel ini diterjemahkan secara otomatis dari bahasa Inggris.",
    },
}


def _first(doc: Any, xpath: str) -> str:
    """The whitespace-normalised text of the first element ``xpath`` finds."""
    found = doc.xpath(xpath)
    assert found, xpath
    return " ".join(found[0].text_content().split())


def _get(client: Client, url: str) -> tuple[int, Any]:
    response = client.get(url)
    return response.status_code, lxml.html.document_fromstring(response.content.decode())


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["en", "id"])
def test_pages_render_in_the_site_language(client: Client, stories: dict[str, Post], lang: str):
    ui = UI[lang]
    with (
        override_settings(LANGUAGE_CODE=lang, LANGUAGES=[(lang, lang)]),
        translation.override(lang),
    ):
        status, doc = _get(client, stories["main"].get_absolute_url())
        assert status == 200
        assert doc.get("lang") == lang
        assert _first(doc, "//aside[contains(@class, 'baca-juga')]").startswith(ui["read_also"])
        assert _first(doc, "//footer[contains(@class, 'syndication')]").startswith(ui["note"])
        assert _first(doc, "//nav[contains(@class, 'sections')]//a") == ui["home"]
        assert _first(doc, "//header[contains(@class, 'story-header')]//time") == ui["date"]

        status, doc = _get(client, stories["waiting"].get_absolute_url())
        assert _first(doc, "//p[contains(@class, 'notice')]") == ui["notice"]
        assert ui["waiting_note"] in _first(doc, "//footer[contains(@class, 'syndication')]")

        status, doc = _get(client, "/no-such-page/")
        assert status == 404
        assert _first(doc, "//h1") == ui["not_found"]

        feed = feedparser.parse(client.get("/rss.xml").content)
        by_title = {e.title: e for e in feed.entries}
        assert ui["feed_note"] in by_title[stories["main"].translation.title].description
        assert ui["waiting_note"] in by_title["Floods hit Mumbai"].description
        assert "machine-translated" not in by_title["Floods hit Mumbai"].description
        assert "secara otomatis" not in by_title["Floods hit Mumbai"].description


def test_dates_follow_the_active_language():
    with translation.override("en"):
        assert format_datetime_id(REF_TIME) == "Saturday, 9 September 2023 14:05 WIB"
    with translation.override("id"):
        assert format_datetime_id(REF_TIME) == "Sabtu, 9 September 2023 14:05 WIB"
    # a language Babel does not know falls back to the site's (LANGUAGE_CODE), then English
    with translation.override("xx"):
        assert format_datetime_id(REF_TIME) == "Sabtu, 9 September 2023 14:05 WIB"
        with override_settings(LANGUAGE_CODE="yy"):
            assert format_datetime_id(REF_TIME) == "Saturday, 9 September 2023 14:05 WIB"
