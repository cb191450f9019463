"""What search engines and link previews read from an article page: the canonical link,
schema.org ``NewsArticle`` JSON-LD, Open Graph and Twitter card tags.

JSON-LD sits in a ``<script>`` element, where HTML escaping does not apply and a title
holding ``</script>`` would end the element early: :func:`jsonld_script` escapes ``<``,
``>``, ``&`` and the JavaScript line separators as ``\\uXXXX`` (still the same JSON).
Everything else is an attribute value, escaped by ``format_html``.
"""

from __future__ import annotations

import functools
import json
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

from warta.newsroom.models import Article, Post, Translation
from warta.site.render import clean_text, plain_paragraphs, safe_url
from warta.site.urlmemo import post_url

# the first of these that Post has is its "last revised" time; publication time otherwise
_MODIFIED_FIELDS = ("updated_at", "revised_at", "modified_at", "updated", "modified")
_JSON_SCRIPT_ESCAPES = {
    ord("<"): "\\u003C",
    ord(">"): "\\u003E",
    ord("&"): "\\u0026",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}
DESCRIPTION_CHARS = 300


def base_url() -> str:
    return str(settings.WARTA["site.base_url"]).rstrip("/")


@functools.cache
def modified_field() -> str | None:
    """The name of Post's revision-time field, when the model has one."""
    names = {f.name for f in Post._meta.get_fields()}
    return next((n for n in _MODIFIED_FIELDS if n in names), None)


def post_modified(post: Post) -> datetime:
    """When ``post`` last changed: its revision time when later than publication."""
    name = modified_field()
    value = getattr(post, name, None) if name else None
    if isinstance(value, datetime) and value > post.published_at:
        return value
    return post.published_at


def absolute_url(path: str) -> str:
    return base_url() + path


def og_locale(code: str) -> str:
    """``"id"`` → ``"id_ID"``, ``"en-us"`` → ``"en_US"`` (Open Graph's form)."""
    lang, _, region = code.replace("_", "-").partition("-")
    lang = lang.lower()
    region = (region or {"en": "US", "id": "ID", "ms": "MY"}.get(lang, lang)).upper()
    return f"{lang}_{region}"


def jsonld_script(data: Any) -> SafeString:
    """``<script type="application/ld+json">`` holding ``data``, safe inside HTML."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
    return format_html(
        '<script type="application/ld+json">{}</script>',
        mark_safe(text.translate(_JSON_SCRIPT_ESCAPES)),
    )


def _iso(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds")


def article_metadata(post: Post) -> dict[str, Any]:
    """The facts the tags are made of, for a visible ``post``."""
    tr: Translation = post.translation
    if "article" in tr._state.fields_cache:  # select_related by the article view
        article = {"language": tr.article.language, "byline": tr.article.byline}
    else:
        article = (
            Article.objects.filter(pk=tr.article_id).values("language", "byline").first() or {}
        )
    untranslated = tr.status == Translation.Status.UNTRANSLATED
    site_language = str(settings.WARTA["site.language"])
    language = str(article.get("language") or "en") if untranslated else tr.language
    paragraphs = plain_paragraphs(tr.blocks or [], limit=1)
    image = tr.image if isinstance(tr.image, dict) else {}
    url = absolute_url(post_url(post))
    return {
        "url": url,
        "title": clean_text(tr.title),
        "description": clean_text(paragraphs[0])[:DESCRIPTION_CHARS] if paragraphs else "",
        "image": safe_url(image.get("src")),
        "image_alt": clean_text(str(image.get("caption") or "")),
        "published": post.published_at,
        "modified": post_modified(post),
        "section": post.category.name if post.category else "",
        "language": language or site_language,
        "site_language": site_language,
        "byline": clean_text(str(article.get("byline") or "")).strip(),
        "source": post.source_name,
        "original_url": safe_url(post.original_url),
        "dateline": clean_text(tr.dateline or "").strip().rstrip(":-–— ").strip(),
        "canonical": canonical_url(post, url),
    }


def canonical_url(post: Post, own_url: str = "") -> str:
    """Where ``rel=canonical`` points: the article's own URL, or the original article's
    when the source's licence asks for it (``Source.canonical_policy == "original"``) and
    the original is an http(s) URL. ``own_url``: the article's absolute URL, when the
    caller has it."""
    original = safe_url(post.original_url)
    if original and post.entry.source.canonical_policy == "original":
        return original
    return own_url or absolute_url(post_url(post))


def news_article_jsonld(post: Post, meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """schema.org ``NewsArticle`` for ``post``: headline, dates (ISO 8601, UTC), image,
    author (the byline, else the source), publisher (this site, with its logo when
    ``site.logo_url`` is set), ``isBasedOn`` the original article, ``inLanguage``."""
    meta = meta or article_metadata(post)
    site_name = str(settings.WARTA["site.name"])
    publisher: dict[str, Any] = {"@type": "Organization", "name": site_name, "url": base_url()}
    logo = safe_url(settings.WARTA.get("site.logo_url", ""))
    if logo:
        publisher["logo"] = {"@type": "ImageObject", "url": logo}
    author: dict[str, Any] = (
        {"@type": "Person", "name": meta["byline"]}
        if meta["byline"]
        else {"@type": "Organization", "name": meta["source"]}
    )
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": meta["url"]},
        "url": meta["url"],
        "headline": meta["title"],
        "datePublished": _iso(meta["published"]),
        "dateModified": _iso(meta["modified"]),
        "inLanguage": meta["language"],
        "author": [author],
        "publisher": publisher,
        "sourceOrganization": {"@type": "Organization", "name": meta["source"]},
    }
    if meta["description"]:
        data["description"] = meta["description"]
    if meta["image"]:
        data["image"] = [meta["image"]]
    if meta["section"]:
        data["articleSection"] = meta["section"]
    if meta["dateline"]:
        data["dateline"] = meta["dateline"]
    if meta["original_url"]:
        data["isBasedOn"] = meta["original_url"]
    return data


def _meta_tags(attribute: str, pairs: list[tuple[str, str]]) -> SafeString:
    """``<meta property="og:title" content="…">`` lines (what ``format_html_join`` makes,
    for a third of its time: a dozen per article page). ``attribute`` and the names are
    this module's constants; the values are escaped."""
    return mark_safe(
        "\n".join(
            f'<meta {attribute}="{name}" content="{conditional_escape(value)}">'
            for name, value in pairs
        )
    )


def article_head_html(post: Post) -> SafeString:
    """The ``<head>`` elements of an article page: canonical link, Open Graph, Twitter
    card and the JSON-LD script."""
    meta = article_metadata(post)
    site_name = str(settings.WARTA["site.name"])
    props: list[tuple[str, str]] = [
        ("og:type", "article"),
        ("og:site_name", site_name),
        ("og:title", meta["title"]),
        ("og:url", meta["url"]),
        ("og:locale", og_locale(meta["site_language"])),
        ("article:published_time", _iso(meta["published"])),
        ("article:modified_time", _iso(meta["modified"])),
    ]
    if meta["description"]:
        props.append(("og:description", meta["description"]))
    if meta["image"]:
        props.append(("og:image", meta["image"]))
        if meta["image_alt"]:
            props.append(("og:image:alt", meta["image_alt"]))
    if meta["section"]:
        props.append(("article:section", meta["section"]))
    names: list[tuple[str, str]] = [
        ("twitter:card", "summary_large_image" if meta["image"] else "summary"),
        ("twitter:title", meta["title"]),
    ]
    if meta["description"]:
        names.append(("twitter:description", meta["description"]))
    if meta["image"]:
        names.append(("twitter:image", meta["image"]))
    return format_html(
        '<link rel="canonical" href="{}">\n{}\n{}\n{}',
        meta["canonical"],
        _meta_tags("property", props),
        _meta_tags("name", names),
        jsonld_script(news_article_jsonld(post, meta)),
    )
