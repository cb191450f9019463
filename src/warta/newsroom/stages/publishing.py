"""Publishing a translation as the entry's one Post."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from warta.core.categories import localise_category
from warta.core.translate.quality import blocks_publishing, parse_codes
from warta.newsroom.models import (
    Article,
    Category,
    Entry,
    Post,
    Translation,
    TranslationRevision,
)
from warta.newsroom.stages._common import (
    S,
    _advance,
    _cfg,
    article_document,
)


def _find_duplicate(entry: Entry, article: Article) -> Entry | None:
    """The entry this one must not be published beside: exactly the same story stored
    earlier (same normalised or canonical URL, or the same text), or — for an entry of a
    near-duplicate Story that is not its chosen one (``story_rank`` > 0) — the story's
    chosen entry. An entry already published is never a duplicate (it is being revised)."""
    if entry.published_version or Post.objects.filter(entry=entry).exists():
        return None
    if entry.story_id and entry.story_rank > 0:
        chosen = (Entry.objects.filter(story_id=entry.story_id, story_rank=0)
                  .exclude(pk=entry.pk).first())
        if chosen is not None:
            return chosen
    same = Article.objects.exclude(entry=entry).filter(entry__pk__lt=entry.pk)
    match = same.filter(text_hash=article.text_hash).first()
    if match is None and article.canonical_url:
        match = same.filter(canonical_url=article.canonical_url).first()
    if match is None and entry.url_key:
        match = same.filter(entry__url_key=entry.url_key).first()
    return match.entry if match else None


def _ignored() -> tuple[str, ...]:
    """Flag codes the site records without holding stories (``translate.quality_ignore``)."""
    return parse_codes(str(_cfg("translate.quality_ignore") or ""))


def _publish(entry: Entry, lease: datetime) -> str:
    post = Post.objects.filter(entry=entry).first()
    if post is not None and entry.published_version < entry.version:
        return _publish_revision(entry, lease, post)
    if not entry.source.auto_publish:
        return _advance(entry, lease, S.IN_REVIEW)
    translation = Translation.objects.get(article=entry.article,
                                          language=_cfg("translate.target"))
    if blocks_publishing(translation.flags or [], _ignored()):  # "info" flags never hold
        return _advance(entry, lease, S.IN_REVIEW)
    with transaction.atomic():
        if not Post.objects.filter(entry=entry).exists():
            publish_translation(entry, translation)
        return _advance(entry, lease, S.PUBLISHED, published_version=entry.version)


def _publish_revision(entry: Entry, lease: datetime, post: Post) -> str:
    """The source revised a published story: translate the new text (the segment memory
    answers every unchanged segment, so only changed ones reach the engine) and update
    the post in place — same URL, ``updated_at`` set ("Diperbarui ..."). When an editor
    has edited the translation, or the new one is flagged, or the source's stories go
    through review, nothing published changes: the machine's new version is saved as a
    translation revision and the entry goes to review with the reason."""
    from warta.newsroom import translation as tr
    from warta.newsroom.stages.pages import is_edited
    from warta.newsroom.stages.translating import _translation_fields

    translation = post.translation
    article = entry.article
    result = tr.translate_article(article_document(article), article.language,
                                  translation.language)
    fields = _translation_fields(result)
    if all(getattr(translation, k) == v for k, v in fields.items()
           if k in ("title", "dateline", "image", "blocks")):
        return _advance(entry, lease, S.PUBLISHED, published_version=entry.version)
    held = ""
    if is_edited(translation):
        held = "an editor has edited the published translation"
    elif blocks_publishing(_new_flags(fields["flags"], translation.flags), _ignored()):
        held = "the new translation is flagged"
    elif not entry.source.auto_publish:
        held = "the source's stories are reviewed"
    now = timezone.now()
    with transaction.atomic():
        number = (translation.revisions.order_by("-number").values_list("number", flat=True)
                  .first() or 0) + 1
        note = f"source revision {entry.version}" + (": not applied, for review" if held else "")
        TranslationRevision.objects.create(
            translation=translation, number=number, title=fields["title"],
            dateline=fields["dateline"], image=fields["image"], blocks=fields["blocks"],
            note=note[:200])
        if held:
            status = _advance(entry, lease, S.IN_REVIEW)
            Entry.objects.filter(pk=entry.pk).update(
                error=f"the source revised the story (revision {entry.version}); {held}: "
                      f"the machine translation of the new text is translation revision "
                      f"#{number}, nothing published was changed")
            return status
        Translation.objects.filter(pk=translation.pk).update(version=F("version") + 1,
                                                             **fields)
        Post.objects.filter(pk=post.pk).update(updated_at=now)
        return _advance(entry, lease, S.PUBLISHED, published_version=entry.version)


def _new_flags(flags: object, approved: object) -> list[dict[str, str]]:
    """The flags the published translation did not have: those were approved with it."""
    seen = approved if isinstance(approved, list) else []
    return [f for f in (flags if isinstance(flags, list) else []) if f not in seen]


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
