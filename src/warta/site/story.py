"""What an article page shows around the story itself: "also reported by" links, share
links, reading time, breadcrumbs, the revision time and correction notes.

All of it is plain HTML: share links are ordinary ``<a href>`` to each service's public
share URL (no third-party script, no tracking pixel, nothing loaded until a reader clicks).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from django.utils import timezone
from django.utils.translation import gettext as _

from warta.newsroom.models import Entry, Post
from warta.site.render import clean_text, safe_url
from warta.site.urlmemo import category_url, reverse

WORDS_PER_MINUTE = 200
ALSO_REPORTED_LIMIT = 10


@dataclass(frozen=True)
class Link:
    label: str
    url: str
    note: str = ""
    external: bool = False
    lang: str = ""


def reading_minutes(blocks: Sequence[Mapping[str, Any]], title: str = "") -> int:
    """Minutes to read the text at :data:`WORDS_PER_MINUTE` words a minute, at least 1."""
    words = len(title.split())
    for block in blocks:
        if isinstance(block, Mapping) and block.get("type") != "img":
            words += len(str(block.get("text") or "").split())
    return max(1, math.ceil(words / WORDS_PER_MINUTE))


def share_links(url: str, title: str) -> list[Link]:
    """Plain share links (each service's documented share URL) for ``url``."""
    text = f"{title} {url}"
    return [
        Link("Facebook", "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": url})),
        Link("X", "https://x.com/intent/post?" + urlencode({"text": title, "url": url})),
        Link("WhatsApp", "https://wa.me/?" + urlencode({"text": text})),
        Link("Telegram", "https://t.me/share/url?" + urlencode({"url": url, "text": title})),
        Link(_("Email"), "mailto:?subject=" + quote(title) + "&body=" + quote(url)),
    ]


def breadcrumbs(post: Post, title: str) -> list[Link]:
    """Home › section › the story (the last has no link: it is the page itself)."""
    crumbs = [Link(_("Home"), reverse("home"))]
    if post.category:
        crumbs.append(Link(post.category.name, category_url(post.category)))
    crumbs.append(Link(clean_text(title), ""))
    return crumbs


@functools.cache
def _entries_have_stories() -> bool:
    """Whether ``Entry`` has the ``story`` field yet (issue 5's ``Story`` clustering);
    before it lands no story has other reports."""
    return "story" in {f.name for f in Entry._meta.get_fields()}


def also_reported(post: Post) -> list[Link]:
    """The other sources that reported the same story (the entry's ``Story`` cluster):
    their name and, when we published their report, our page; otherwise their original
    article. Duplicates of the same source and unsafe URLs are left out."""
    if not _entries_have_stories():
        return []
    story_id = getattr(post.entry, "story_id", None)  # the entry is select_related
    if story_id is None:
        return []
    others = (
        Entry.objects.filter(story=story_id)
        .exclude(pk=post.entry_id)
        .select_related("source")
        .order_by("story_rank", "id")[: ALSO_REPORTED_LIMIT * 3]
    )
    visible = {
        entry_id: (reverse("article", kwargs={"slug": slug}), title)
        for entry_id, slug, title in Post.objects.filter(
            entry__in=[e.pk for e in others],
            status=Post.Status.PUBLISHED,
            published_at__lte=timezone.now(),
        ).values_list("entry_id", "slug", "translation__title")
    }
    links: list[Link] = []
    seen = {post.source_name}
    for entry in others:
        name = entry.source.name
        if name in seen:
            continue
        if entry.pk in visible:
            url, title = visible[entry.pk]
            links.append(Link(clean_text(name), url, clean_text(title)))
        elif safe_url(entry.url):
            links.append(Link(clean_text(name), entry.url, clean_text(entry.title), external=True,
                              lang=entry.source.language))
        else:
            continue
        seen.add(name)
        if len(links) >= ALSO_REPORTED_LIMIT:
            break
    return links


def revised_at(post: Post) -> datetime | None:
    """``Post.updated_at`` when the story was revised after it was published."""
    value = post.updated_at
    if isinstance(value, datetime) and value > post.published_at:
        return value
    return None
