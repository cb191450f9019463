"""Tags: the topics a post is filed under, taken from its entry's feed categories.

Feeds label items (``<category>`` in RSS, ``term`` in Atom, ``tags`` in JSON Feed); the
ingest stage stores them on ``Entry.categories``. When a post is first saved (published),
:func:`tag_post` turns those labels into :class:`~warta.newsroom.models.Tag` rows (one per
distinct slug, shared by every post carrying it) and links them. This runs from a
``post_save`` signal connected in ``SiteConfig.ready``, so the publishing stage needs no
change; :func:`tag_untagged_posts` fills the tags of posts published before (idempotent).
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models.signals import post_save
from django.utils.text import slugify

from warta.newsroom.models import Post, Tag

MAX_TAGS = 10
MAX_NAME = 100


def tag_names(categories: object) -> list[tuple[str, str]]:
    """``(slug, name)`` for each usable label of a feed's ``categories`` (strings, or dicts
    with ``term``/``label``/``name``), first occurrence of each slug kept, at most
    :data:`MAX_TAGS`. A label that slugifies to nothing (punctuation, emoji) is dropped."""
    out: dict[str, str] = {}
    if not isinstance(categories, list):
        return []
    for raw in categories:
        if isinstance(raw, dict):
            raw = raw.get("label") or raw.get("term") or raw.get("name") or ""
        if not isinstance(raw, str):
            continue
        name = " ".join(raw.split())[:MAX_NAME]
        slug = str(slugify(name))[:100].strip("-")
        if slug and slug not in out:
            out[slug] = name
        if len(out) >= MAX_TAGS:
            break
    return list(out.items())


def _get_tag(slug: str, name: str) -> Tag:
    tag: Tag
    try:
        with transaction.atomic():
            tag, _ = Tag.objects.get_or_create(slug=slug, defaults={"name": name})
    except IntegrityError:  # another process created it between the get and the insert
        tag = Tag.objects.get(slug=slug)
    return tag


def tag_post(post: Post) -> list[Tag]:
    """Link ``post`` to the tags of its entry's feed categories; returns them. Idempotent:
    a tag already linked stays, nothing is removed (an editor's tags are kept)."""
    categories = post.entry.categories if post.entry_id else []
    tags = [_get_tag(slug, name) for slug, name in tag_names(categories)]
    if tags:
        post.tags.add(*tags)
    return tags


def tag_untagged_posts() -> int:
    """Tag every post that has none yet (after an import that bypassed signals, or for
    posts published before tags existed); returns how many posts got tags."""
    done = 0
    for post in Post.objects.filter(tags=None).select_related("entry").iterator():
        if tag_post(post):
            done += 1
    return done


def _on_post_saved(sender: Any, instance: Post, created: bool, raw: bool = False,
                   **_kwargs: Any) -> None:
    if created and not raw:
        tag_post(instance)


def connect_signals() -> None:
    post_save.connect(_on_post_saved, sender=Post, dispatch_uid="site-tags")
