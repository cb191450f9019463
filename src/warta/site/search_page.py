"""The search page, ``/cari/?q=…``: a plain GET form (works without JavaScript) and ranked,
highlighted, paginated results (see warta.site.search). Filters: ``kategori``, ``sumber``,
``dari``, ``sampai``. Whatever the query, the page answers 200; only a page number beyond
the results (or not a number) is a 404, as on every list.

With the page cache on, a rendered page is kept whole (``search.pages``, bounded by bytes)
and served again, as bytes, by the page-cache middleware before the rest of the stack, for
the same parameters while nothing on the site changed; before it is, one primary-key query
checks that every story it shows is still visible (a story killed by a bulk ``update()``
leaves the results at once, as it always did)."""

from __future__ import annotations

import hashlib
import logging
import time

from django.conf import settings
from django.core.paginator import InvalidPage, Paginator
from django.db import OperationalError
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from warta.newsroom.models import Post, Source
from warta.site import search as search_module
from warta.site.cache import FastMark, content_deps, content_version
from warta.site.search import CachedPage, parse_query, search_guard, search_posts
from warta.site.views import _context, nav_categories

logger = logging.getLogger(__name__)


def search_sources() -> list[Source]:
    """Sources with at least one published post (the source filter's choices): one
    EXISTS probe per source, not a join over every post."""
    published = Post.objects.filter(entry__source=OuterRef("pk"), status=Post.Status.PUBLISHED)
    return list(Source.objects.filter(Exists(published)).order_by("name").only("id", "name"))


def _page_key(request: HttpRequest) -> str:
    """Everything the page's bytes depend on: the language, the script prefix (every link
    starts with it) and the parameters exactly as the template sees them (the pagination
    links repeat them, in their order)."""
    raw = f"{get_language()}\0{request.path}\0{request.GET.urlencode()}"
    return hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()


def search(request: HttpRequest) -> HttpResponse:
    """The page. With the page cache on, :class:`~warta.site.cache.PageCacheMiddleware`
    serves a kept page before the rest of the middleware runs (:func:`cached_response`)
    and keeps this one once the whole stack has answered (:func:`keep`); the ids of the
    stories shown travel on the response for that."""
    response, shown = _render(request)
    response.warta_search_ids = shown
    return response


def cached_response(request: HttpRequest) -> tuple[HttpResponse | None, str, str | None]:
    """The kept page for ``request`` (or None), its key and the site's content version,
    read *before* any render (a change meanwhile leaves what is kept stale). A kept page
    is served only while every story it shows is still visible: one primary-key query
    (:func:`~warta.site.search.visible_count`), so a story killed by a bulk ``update()``
    leaves the results at once."""
    version = content_version()
    key = _page_key(request)
    if version is None:
        return None, key, None
    cached = search_module.pages.get(key, version)
    if cached is None:
        return None, key, version
    ids = cached.post_ids
    if search_module.visible_count(ids, timezone.now()) != len(ids):
        search_module.pages.discard(key)
        return None, key, version
    response = HttpResponse(cached.body)
    for name, value in cached.headers:
        response.headers[name] = value
    return response, key, version


def fast_mark(key: str, version: str) -> FastMark | None:
    """What the fast lane needs to give the kept page ``key`` again (``version``: the
    content version it was served for): the versions of the content tags, its expiry, and
    the visibility check of its stories before each answer."""
    found = search_module.pages.peek(key, version)
    if found is None:
        return None
    page, seconds_left = found
    ids = page.post_ids

    def still_visible() -> bool:
        return search_module.visible_count(ids, timezone.now()) == len(ids)

    return FastMark(content_deps(version), time.time() + seconds_left, page.body,
                    verify=still_visible)


def keep(key: str, version: str, response: HttpResponse, headers: tuple[tuple[str, str], ...]
         ) -> None:
    """Keep a fresh page (its bytes and the ``headers`` the whole middleware stack gave
    it) under ``key`` for ``version``; not a failed search, nor anything but a 200."""
    shown = getattr(response, "warta_search_ids", None)
    if shown is not None and response.status_code == 200:
        search_module.pages.put(key, version, CachedPage(response.content, headers, shown))


def _render(request: HttpRequest) -> tuple[HttpResponse, tuple[int, ...] | None]:
    """The page, and the ids of the posts it shows (None: not to be kept, a failed
    search)."""
    query = parse_query(request.GET)
    page = None
    failed = False
    if query.terms:
        paginator = Paginator(
            search_posts(query, timezone.now()), int(settings.WARTA["site.page_size"])
        )
        try:
            with search_guard():
                page = paginator.page(request.GET.get("page") or 1)
        except InvalidPage as e:
            raise Http404(_("Page not found")) from e
        except OperationalError:
            # cancelled for running too long (PostgreSQL) or a locked database: the reader
            # gets the page with a message, the operator the traceback
            logger.exception("search failed for %r", query.terms)
            failed = True
    # the navigation and the form's choices come from the result cache, on its terms (the
    # categories and the sources with stories change only with the site's content version)
    context = _context(
        nav=search_module.remembered(("#nav",), nav_categories),
        sources=search_module.remembered(("#sources",), search_sources),
        query=query,
        page=page,
        searched=page is not None,
        failed=failed,
        total=page.paginator.count if page is not None else 0,
    )
    response = render(request, "site/search.html", context)
    response.headers["X-Robots-Tag"] = "noindex"
    ids = tuple(hit.post.pk for hit in page.object_list) if page is not None else ()
    return response, None if failed else ids
