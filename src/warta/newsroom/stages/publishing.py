"""Publishing a translation as the entry's one Post."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from warta.core.categories import localise_category
from warta.newsroom.models import Article, Category, Entry, Post, Translation
from warta.newsroom.stages._common import (
    S,
    _advance,
    _cfg,
)


def _find_duplicate(entry: Entry, article: Article) -> Entry | None:
    """Exactly the same story already stored from another entry: same canonical URL or the
    same text. (Near-duplicates from other sources are clustered later, not dropped.)"""
    same = Article.objects.exclude(entry=entry).filter(entry__pk__lt=entry.pk)
    match = same.filter(text_hash=article.text_hash).first()
    if match is None and article.canonical_url:
        match = same.filter(canonical_url=article.canonical_url).first()
    return match.entry if match else None


def _publish(entry: Entry, lease: datetime) -> str:
    if not entry.source.auto_publish:
        return _advance(entry, lease, S.IN_REVIEW)
    translation = Translation.objects.get(article=entry.article,
                                          language=_cfg("translate.target"))
    if translation.flags:  # a lost placeholder or changed number: an editor decides
        return _advance(entry, lease, S.IN_REVIEW)
    with transaction.atomic():
        if not Post.objects.filter(entry=entry).exists():
            publish_translation(entry, translation)
        return _advance(entry, lease, S.PUBLISHED)


def publish_translation(entry: Entry, translation: Translation) -> Post:
    """Create the entry's one Post. Raises IntegrityError if it already has one."""
    source = entry.source
    category = _category_for(entry)
    base = slugify(translation.title)[:150] or f"berita-{entry.pk}"
    slug = base if not Post.objects.filter(slug=base).exists() else f"{base}-{entry.pk}"
    article = translation.article
    now = timezone.now()
    return Post.objects.create(
        entry=entry, translation=translation, slug=slug, category=category,
        # never in the future: a source's clock or time zone error must not hide a story
        published_at=min(article.published or entry.published or now, now),
        source_name=source.name, original_url=article.canonical_url or article.url,
        attribution=source.attribution,
    )


def _category_for(entry: Entry) -> Category | None:
    """The source's category as the publisher wrote it; else the feed's first category,
    in the site's language where the name is known ("Business" → "Bisnis")."""
    name = entry.source.category
    if not name and entry.categories:
        name = localise_category(entry.categories[0], _cfg("site.language"))
    if not name:
        return None
    slug = slugify(name)[:100] or "umum"
    category, _ = Category.objects.get_or_create(slug=slug, defaults={"name": name[:100]})
    return category
