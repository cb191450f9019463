"""Public pages: home, article, category, subscribe. Only published posts are shown.

A post is visible when its status is ``published`` and its ``published_at`` has come
(a scheduled post stays hidden until then). A killed post answers 410 Gone with a page
that says so; an unknown slug answers 404.
"""

from __future__ import annotations

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
from warta.site.render import (
    RelatedLink,
    babel_locale,
    blocks_text,
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
        cache.set(_RELATED_GENERATION, 1, None)


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
        title=tr.title,
        url=post.get_absolute_url(),
        excerpt=paragraphs[0] if paragraphs else "",
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
    """The lead story (first page only) and the page's other posts grouped by category."""
    cards = [make_card(p) for p in page.object_list]
    lead = cards[0] if cards and page.number == 1 else None
    rest = cards[1:] if lead else cards
    return _context(page=page, lead=lead, sections=group_by_category(rest))


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
    generation = cache.get(_RELATED_GENERATION, 0)
    key = f"warta:related:{generation}:{post.pk}:{fingerprint['n']}:{fingerprint['last']}"
    cached = cache.get(key)
    if cached is None:
        candidates = list(
            visible.exclude(pk=post.pk)
            .select_related("translation")
            .only(
                "id",
                "slug",
                "published_at",
                "translation",
                "translation__title",
                "translation__blocks",
            )
            .order_by("-published_at", "-id")[:RELATED_CANDIDATES]
        )
        by_id = {c.pk: c for c in candidates}
        picked = pick_related(_related_doc(post), [_related_doc(c) for c in candidates])
        if picked is None:
            cached = ()
        else:
            hit = by_id[int(picked.id)]
            cached = (hit.get_absolute_url(), hit.translation.title)
        cache.set(key, cached, RELATED_CACHE_SECONDS)
    if not cached:
        return None
    url, title = cached
    return RelatedLink(title=title, url=url)


def article(request: HttpRequest, slug: str) -> HttpResponse:
    post = Post.objects.select_related("translation", "category").filter(slug=slug).first()
    if post is None or post.published_at > timezone.now():
        raise Http404(_("Article not found"))
    if post.status == Post.Status.KILLED:
        return render(request, "site/410.html", _context(post=post), status=410)
    if post.status != Post.Status.PUBLISHED:
        raise Http404(_("Article not found"))

    return render(request, "site/article.html", article_context(post))


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
    lead_figure = figure_html(lead_image, "lead")
    body = render_blocks(
        tr.blocks or [],
        dateline=tr.dateline,
        related=find_related(post),
        skip_image_src=str(lead_image.get("src") or "") if lead_figure and lead_image else "",
    )
    excerpt = plain_paragraphs(tr.blocks or [], limit=1)
    return _context(
        post=post,
        translation=tr,
        title=tr.title,
        lead_figure=lead_figure,
        body=body,
        untranslated=untranslated,
        body_lang=body_lang,
        source_language_name=language_name(source_lang),
        original_url=safe_url(post.original_url),
        description=excerpt[0][:300] if excerpt else "",
        canonical_url=base_url() + post.get_absolute_url(),
        current_category=post.category.slug if post.category else "",
    )
