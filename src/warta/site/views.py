"""Public pages: home, article, category, subscribe. Only published posts are shown.

A post is visible when its status is ``published`` and its ``published_at`` has come
(a scheduled post stays hidden until then). A killed post answers 410 Gone with a page
that says so; an unknown slug answers 404.
"""

from __future__ import annotations

import contextvars
import hashlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import InvalidPage, Page, Paginator
from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.signals import post_delete, post_save
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template import Context
from django.template.loader import get_template
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from warta.core.related import CandidatePool, RelatedDoc
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
from warta.site.urlmemo import category_url, post_url, reverse

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
    """The card of ``post``; within :func:`remember_lists` computed once per post (a post
    is on several lists: home, its section, source, author and three archives)."""
    memo = _memo_var.get()
    cards: dict[int, Card] | None = None
    if memo is not None:
        cards = memo.setdefault(_CARDS, {})
        known = cards.get(post.pk)
        if known is not None:
            return Card(post, known.title, known.url, known.excerpt, known.image,
                        known.untranslated)
    tr: Translation = post.translation
    image = tr.image if isinstance(tr.image, dict) and safe_url(tr.image.get("src")) else None
    paragraphs = plain_paragraphs(tr.blocks or [], limit=1)
    card = Card(
        post=post,
        title=clean_text(tr.title),
        url=post_url(post),
        excerpt=clean_text(paragraphs[0]) if paragraphs else "",
        image=image,
        untranslated=tr.status == Translation.Status.UNTRANSLATED,
    )
    if cards is not None:
        cards[post.pk] = card
    return card


def card_html(card: Card, lead: bool) -> SafeString:
    """``site/_card.html`` for ``card`` (what ``{% include %}`` with ``card`` and ``lead``
    makes: the template reads nothing else); within :func:`remember_lists` rendered once
    per post."""
    memo = _memo_var.get()
    done: dict[tuple[int, bool], SafeString] | None = None
    key = (card.post.pk, bool(lead))
    if memo is not None:
        done = memo.setdefault(_CARD_HTML, {})
        html = done.get(key)
        if html is not None:
            return html
    template = get_template("site/_card.html").template
    html = mark_safe(template.render(Context({"card": card, "lead": lead}, autoescape=True)))
    if done is not None:
        done[key] = html
    return html


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
                Section(cat.name, category_url(cat)) if cat else Section(_("Other news"), "")
            )
        sections[key].cards.append(card)
    ordered = [s for k, s in sections.items() if k is not None]
    if None in sections:
        ordered.append(sections[None])
    return ordered


def nav_categories() -> list[Category]:
    """Categories with at least one published post, by name. One EXISTS probe per category
    (the posts' category index), not a join over every post: every page shows these.
    Within :func:`remember_lists`, looked up once."""
    memo = _memo_var.get()
    if memo is not None and _NAV in memo:
        return list(memo[_NAV])
    published = Post.objects.filter(category=OuterRef("pk"), status=Post.Status.PUBLISHED)
    found = list(Category.objects.filter(Exists(published)))
    if memo is not None:
        memo[_NAV] = found
    return found


# set by remember_lists in this context (a context variable: a build's memo never leaks
# into a page another thread serves)
_memo_var: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "warta_list_memo", default=None
)
_NAV = "#nav"  # not a path: the navigation's categories
_POOL = "#related"  # nor this: the "Baca juga" candidates' key
_CARDS = "#cards"  # post id -> its Card
_CARD_HTML = "#card-html"  # (post id, lead) -> the card's HTML
_POSTS = "#posts"  # post id -> the Post a list shows (with translation and category)


@contextmanager
def remember_lists() -> Iterator[None]:
    """Within this block every paginated list computes its ids once and serves all its
    pages from them, keyed by the list's path, the navigation is looked up once, and each
    post is read and its card made and rendered once: for ``warta build``, which renders
    every page of every list while nothing changes (a live site's lists change at any
    time)."""
    outer = _memo_var.get()
    token = _memo_var.set({} if outer is None else outer)
    try:
        yield
    finally:
        _memo_var.reset(token)


def _page(request: HttpRequest, qs: QuerySet[Post]) -> Page[Post]:
    """Page ``?page=N`` of ``qs`` (404 past the end). The page's ids are found first, in
    a query that reads and sorts only the posts table's narrow columns; then its posts,
    with their translations, by id: sorting every matching row with its translation's
    body (what one query with ``OFFSET`` does) made a deep page of a large list cost
    more than 100 ms."""
    ids: Any = qs.values_list("id", flat=True)
    memo = _memo_var.get()
    if memo is not None:
        ids = memo.get(request.path_info)
        if ids is None:
            ids = memo[request.path_info] = list(qs.values_list("id", flat=True))
    paginator = Paginator(ids, int(settings.WARTA["site.page_size"]))
    try:
        page = paginator.page(request.GET.get("page") or 1)
    except InvalidPage as e:
        raise Http404(_("Page not found")) from e
    wanted = list(page.object_list)
    posts = _list_posts(wanted, memo)
    page.object_list = [posts[pk] for pk in wanted if pk in posts]
    return page  # type: ignore[return-value]


def _list_posts(ids: list[int], memo: dict[str, Any] | None) -> dict[int, Post]:
    """The posts ``ids`` with their translations and categories, by id. Within
    :func:`remember_lists` each post is read once: a post is on several lists (home, its
    section, source, author, three archives), and reading its translation's body again
    for each was most of a list page's time in a build."""
    query = Post.objects.select_related("translation", "category")
    if memo is None:
        found: dict[int, Post] = query.in_bulk(ids)
        return found
    known: dict[int, Post] = memo.setdefault(_POSTS, {})
    missing = [pk for pk in ids if pk not in known]
    if missing:
        known.update(query.in_bulk(missing))
    return {pk: known[pk] for pk in ids if pk in known}


def _context(*, nav: list[Category] | None = None, **extra: Any) -> dict[str, Any]:
    """What every page's template gets, and ``extra``; ``nav``: the navigation's categories
    when the caller has them already (looked up otherwise)."""
    return {"nav_categories": nav_categories() if nav is None else nav,
            "base_url": base_url(), **extra}


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

    The candidates (the ``RELATED_CANDIDATES + 1`` most recent visible posts) are loaded,
    tokenised and weighted once per process and kept until that set changes: a post
    published, killed, edited or becoming due (even by a bulk ``update()`` in another
    process, which no signal announces: the set is read from one indexed query per
    render). The choice for ``post`` is cached until then too.
    """
    pool = _candidate_pool()
    version = post.translation.version if post.translation_id else 0
    key = f"warta:related:{pool.key}:{post.pk}:{version}"
    cached = cache.get(key)
    if cached is None:
        picked = pool.for_target(post.pk).pick(_related_doc(post))
        cached = () if picked is None else pool.links[int(picked.id)]
        cache.set(key, cached, RELATED_CACHE_SECONDS)
    if not cached:
        return None
    url, title = cached
    note_dependency(post_tag(url))  # a kill of the linked story re-renders this page
    return RelatedLink(title=title, url=url)


@dataclass
class _RecentPool:
    """The most recent visible posts as "Baca juga" candidates, their vectors precomputed
    (:class:`CandidatePool`). ``key`` names the set and the versions of its texts."""

    key: str
    links: dict[int, tuple[str, str]]
    recent: CandidatePool  # all RELATED_CANDIDATES + 1: a recent target is one of them
    older: CandidatePool  # the first RELATED_CANDIDATES: any other target's candidates

    def for_target(self, post_id: int) -> CandidatePool:
        """The pool to score ``post_id`` against: the most recent posts but itself."""
        return self.recent if post_id in self.links else self.older


_pool: _RecentPool | None = None
_pool_lock = threading.Lock()


def _candidate_pool() -> _RecentPool:
    """The process's candidate pool, rebuilt when the most recent visible posts (ids,
    revisions, translation versions) or this process's generation changed. Within
    :func:`remember_lists` (a build: nothing changes) that is checked once (not even the
    query is built again)."""
    memo = _memo_var.get()
    if memo is not None and _pool is not None and memo.get(_POOL) == [_pool.key]:
        return _pool
    visible = Post.objects.filter(status=Post.Status.PUBLISHED, published_at__lte=timezone.now())
    pool = _load_candidate_pool(visible)
    if memo is not None:
        memo[_POOL] = [pool.key]
    return pool


def _load_candidate_pool(visible: QuerySet[Post]) -> _RecentPool:
    global _pool
    recent = list(
        visible.order_by("-published_at", "-id").values_list(
            "id", "updated_at", "translation_id", "translation__version"
        )[: RELATED_CANDIDATES + 1]
    )
    raw = repr((_related_generation(), recent)).encode()
    key = hashlib.blake2b(raw, digest_size=12).hexdigest()
    pool = _pool
    if pool is not None and pool.key == key:
        return pool
    with _pool_lock:
        if _pool is not None and _pool.key == key:
            return _pool
        posts = list(
            visible.select_related("translation")
            .only("id", "slug", "published_at", "translation",
                  "translation__title", "translation__blocks")
            .order_by("-published_at", "-id")[: RELATED_CANDIDATES + 1]
        )
        docs = [_related_doc(p) for p in posts]
        links = {p.pk: (p.get_absolute_url(), p.translation.title) for p in posts}
        _pool = _RecentPool(
            key, links, CandidatePool(docs), CandidatePool(docs[:RELATED_CANDIDATES])
        )
        return _pool


# what an article page reads besides the post: one query
ARTICLE_RELATED = ("translation__article", "category", "entry__source")
# ... and what it never reads of those rows, the bulk of them: the fetched page, the
# feed's text, the original's blocks and signature (a 100 KB page read and decoded for
# every render otherwise)
ARTICLE_UNREAD = (
    "entry__html",
    "entry__content",
    "entry__summary",
    "translation__article__blocks",
    "translation__article__minhash",
)


def article_posts() -> QuerySet[Post]:
    """Posts with what an article page reads (:data:`ARTICLE_RELATED`) in the same query,
    without the columns it never reads (:data:`ARTICLE_UNREAD`)."""
    return Post.objects.select_related(*ARTICLE_RELATED).defer(*ARTICLE_UNREAD)


def article(request: HttpRequest, slug: str) -> HttpResponse:
    post = article_posts().filter(slug=slug).first()
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


def _byline(raw: str) -> tuple[str, str]:
    """``(name, author page URL)`` of the byline ``raw``; ``("", "")`` without one."""
    from warta.site.lists import author_slug, clean_byline

    raw = raw or ""
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
    original: Article = tr.article  # select_related by the callers (ARTICLE_RELATED)
    source_lang = original.language or "en"
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
    page_url = base_url() + post_url(post)
    return _context(
        updated_at=story.revised_at(post),
        corrections=list(post.corrections.all()),
        also_reported=story.also_reported(post),
        share_links=story.share_links(page_url, tr.title),
        reading_minutes=story.reading_minutes(tr.blocks or [], tr.title),
        breadcrumbs=story.breadcrumbs(post, tr.title),
        tags=list(post.tags.all()),
        source=post.entry.source,
        byline=_byline(original.byline),
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
