"""Public pages: home, article, category, subscribe. Only published posts are shown.

A post is visible when its status is ``published`` and its ``published_at`` has come
(a scheduled post stays hidden until then). A killed post answers 410 Gone with a page
that says so; an unknown slug answers 404.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import InvalidPage, Page, Paginator
from django.db.models import Count, Max, QuerySet
from django.db.models.signals import post_delete, post_save
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from warta.core.related import RelatedDoc, pick_related
from warta.newsroom.models import Article, Category, Post, Translation
from warta.site import story
from warta.site.cache import note_dependency, post_tag
from warta.site.popular import count_view, most_read
from warta.site.render import (
    RelatedLink,
    babel_locale,
    blocks_text,
    clean_text,
    figure_html,
    plain_paragraphs,
    render_blocks,
    safe_url,
)

RELATED_CANDIDATES = 200
RELATED_CACHE_SECONDS = 600
_RELATED_GENERATION = "warta:related:generation"


def _bump_related_generation(**_kwargs: Any) -> None:
    """Any post or translation saved in this process invalidates cached "Baca juga"
    choices at once (other processes notice through the fingerprint in ``find_related``)."""
    try:
        cache.incr(_RELATED_GENERATION)
    except ValueError:
        cache.set(_RELATED_GENERATION, _fresh_generation(), None)


def _fresh_generation() -> int:
    """A generation never used before in this process: after the cache lost the counter
    (evicted, cleared) a restart from 0 would match a pool memoised under an old 0."""
    return time.monotonic_ns()


def _related_generation() -> int:
    generation = cache.get(_RELATED_GENERATION)
    if generation is None:
        cache.add(_RELATED_GENERATION, _fresh_generation(), None)
        generation = cache.get(_RELATED_GENERATION, 0)
    return int(generation)


for _model in (Post, Translation):
    post_save.connect(_bump_related_generation, sender=_model, dispatch_uid=f"related-{_model}")
    post_delete.connect(_bump_related_generation, sender=_model, dispatch_uid=f"related-d-{_model}")


def published_posts() -> QuerySet[Post]:
    """Visible posts, newest first, with what a list or page needs in the same query."""
    return Post.objects.filter(
        status=Post.Status.PUBLISHED, published_at__lte=timezone.now()
    ).select_related("translation", "category")


def base_url() -> str:
    return str(settings.WARTA["site.base_url"]).rstrip("/")


@dataclass
class Card:
    """A post as a list shows it."""

    post: Post
    title: str
    url: str
    excerpt: str
    image: dict[str, Any] | None
    untranslated: bool


def make_card(post: Post) -> Card:
    tr: Translation = post.translation
    image = tr.image if isinstance(tr.image, dict) and safe_url(tr.image.get("src")) else None
    paragraphs = plain_paragraphs(tr.blocks or [], limit=1)
    return Card(
        post=post,
        title=clean_text(tr.title),
        url=post.get_absolute_url(),
        excerpt=clean_text(paragraphs[0]) if paragraphs else "",
        image=image,
        untranslated=tr.status == Translation.Status.UNTRANSLATED,
    )


@dataclass
class Section:
    title: str
    url: str
    cards: list[Card] = field(default_factory=list)


def group_by_category(cards: list[Card]) -> list[Section]:
    """Sections in the order their newest card appears; uncategorised posts last."""
    sections: dict[int | None, Section] = {}
    for card in cards:
        cat = card.post.category
        key = cat.pk if cat else None
        if key not in sections:
            sections[key] = (
                Section(cat.name, cat.get_absolute_url()) if cat else Section(_("Other news"), "")
            )
        sections[key].cards.append(card)
    ordered = [s for k, s in sections.items() if k is not None]
    if None in sections:
        ordered.append(sections[None])
    return ordered


def nav_categories() -> list[Category]:
    return list(Category.objects.filter(posts__status=Post.Status.PUBLISHED).distinct())


def _page(request: HttpRequest, qs: QuerySet[Post]) -> Page[Post]:
    paginator = Paginator(qs, int(settings.WARTA["site.page_size"]))
    try:
        return paginator.page(request.GET.get("page") or 1)
    except InvalidPage as e:
        raise Http404(_("Page not found")) from e


def _context(**extra: Any) -> dict[str, Any]:
    return {"nav_categories": nav_categories(), "base_url": base_url(), **extra}


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "site/home.html", home_context(_page(request, published_posts())))


def home_context(page: Page[Post]) -> dict[str, Any]:
    """The lead story (first page only), the page's other posts grouped by category, and
    (first page only) the most read stories of the last seven days."""
    cards = [make_card(p) for p in page.object_list]
    lead = cards[0] if cards and page.number == 1 else None
    rest = cards[1:] if lead else cards
    popular = [make_card(p) for p in most_read(published_posts())] if page.number == 1 else []
    return _context(page=page, lead=lead, sections=group_by_category(rest), most_read=popular)


def category(request: HttpRequest, slug: str) -> HttpResponse:
    cat = get_object_or_404(Category, slug=slug)
    page = _page(request, published_posts().filter(category=cat))
    cards = [make_card(p) for p in page.object_list]
    return render(
        request,
        "site/category.html",
        _context(category=cat, page=page, cards=cards, current_category=cat.slug),
    )


def subscribe(request: HttpRequest) -> HttpResponse:
    return render(request, "site/subscribe.html", _context(feed_url=base_url() + reverse("feed")))


def _related_doc(post: Post) -> RelatedDoc:
    tr = post.translation
    return RelatedDoc(
        id=post.pk, title=tr.title, text=blocks_text(tr.blocks or []), published=post.published_at
    )


def find_related(post: Post) -> RelatedLink | None:
    """The "Baca juga" story for ``post`` among the most recent other visible posts.

    The choice is cached until the set of visible posts changes (a post published, killed
    or becoming due), so an article view normally costs one aggregate query for it.
    """
    visible = Post.objects.filter(status=Post.Status.PUBLISHED, published_at__lte=timezone.now())
    fingerprint = visible.aggregate(n=Count("id"), last=Max("id"))
    generation = _related_generation()
    key = f"warta:related:{generation}:{post.pk}:{fingerprint['n']}:{fingerprint['last']}"
    cached = cache.get(key)
    if cached is None:
        pool_key = f"{generation}:{fingerprint['n']}:{fingerprint['last']}"
        docs, links = _recent_candidates(visible, pool_key)
        candidates = [d for d in docs if d.id != post.pk][:RELATED_CANDIDATES]
        picked = pick_related(_related_doc(post), candidates)
        cached = () if picked is None else links[int(picked.id)]
        cache.set(key, cached, RELATED_CACHE_SECONDS)
    if not cached:
        return None
    url, title = cached
    note_dependency(post_tag(url))  # a kill of the linked story re-renders this page
    return RelatedLink(title=title, url=url)


_pool: tuple[str, list[RelatedDoc], dict[int, tuple[str, str]]] = ("", [], {})


def _recent_candidates(
    visible: QuerySet[Post], pool_key: str
) -> tuple[list[RelatedDoc], dict[int, tuple[str, str]]]:
    """The most recent visible posts as related-story candidates, kept in this process
    until the set of visible posts changes: every article render would otherwise load and
    parse the same 200 bodies again (most of an uncached article's render time)."""
    global _pool
    if _pool[0] != pool_key:
        posts = list(
            visible.select_related("translation")
            .only("id", "slug", "published_at", "translation",
                  "translation__title", "translation__blocks")
            .order_by("-published_at", "-id")[:RELATED_CANDIDATES + 1]
        )
        links = {p.pk: (p.get_absolute_url(), p.translation.title) for p in posts}
        _pool = (pool_key, [_related_doc(p) for p in posts], links)
    return _pool[1], _pool[2]


def article(request: HttpRequest, slug: str) -> HttpResponse:
    post = (
        Post.objects.select_related("translation", "category", "entry__source")
        .filter(slug=slug)
        .first()
    )
    if post is None or post.published_at > timezone.now():
        raise Http404(_("Article not found"))
    if post.status == Post.Status.KILLED:
        return render(request, "site/410.html", _context(post=post), status=410)
    if post.status != Post.Status.PUBLISHED:
        raise Http404(_("Article not found"))

    response = render(request, "site/article.html", article_context(post))
    if post.entry.source.noindex:
        response.headers["X-Robots-Tag"] = "noindex"
    count_view(post.pk)
    return response


def _byline(article_id: int) -> tuple[str, str]:
    """``(name, author page URL)`` of the article's byline; ``("", "")`` without one."""
    from warta.site.lists import author_slug, clean_byline

    raw = Article.objects.filter(pk=article_id).values_list("byline", flat=True).first() or ""
    slug = author_slug(raw)
    return (clean_byline(raw), reverse("author", kwargs={"slug": slug})) if slug else ("", "")


def language_name(code: str) -> str:
    """The language's name in the active UI language, normally the site's ("en" → "Inggris"
    on an Indonesian site, "English" on an English one)."""
    names = babel_locale().languages
    return str(names.get(code.split("-")[0].split("_")[0].lower(), code))


def article_context(post: Post) -> dict[str, Any]:
    """Everything ``site/article.html`` needs for a visible ``post``."""
    tr: Translation = post.translation
    untranslated = tr.status == Translation.Status.UNTRANSLATED
    source_lang = (
        Article.objects.filter(pk=tr.article_id).values_list("language", flat=True).first()
        or "en"
    )
    body_lang = source_lang if untranslated else ""
    lead_image = tr.image if isinstance(tr.image, dict) else None
    lead_figure = figure_html(lead_image, "lead", lazy=False)
    body = render_blocks(
        tr.blocks or [],
        dateline=tr.dateline,
        related=find_related(post),
        skip_image_src=str(lead_image.get("src") or "") if lead_figure and lead_image else "",
    )
    excerpt = plain_paragraphs(tr.blocks or [], limit=1)
    page_url = base_url() + post.get_absolute_url()
    return _context(
        updated_at=story.revised_at(post),
        corrections=list(post.corrections.all()),
        also_reported=story.also_reported(post),
        share_links=story.share_links(page_url, tr.title),
        reading_minutes=story.reading_minutes(tr.blocks or [], tr.title),
        breadcrumbs=story.breadcrumbs(post, tr.title),
        tags=list(post.tags.all()),
        source=post.entry.source,
        byline=_byline(tr.article_id),
        post=post,
        translation=tr,
        title=clean_text(tr.title),
        lead_figure=lead_figure,
        body=body,
        untranslated=untranslated,
        body_lang=body_lang,
        source_language_name=language_name(source_lang),
        original_url=safe_url(post.original_url),
        description=clean_text(excerpt[0])[:300] if excerpt else "",
        canonical_url=page_url,
        current_category=post.category.slug if post.category else "",
    )
