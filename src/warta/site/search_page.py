"""The search page, ``/cari/?q=…``: a plain GET form (works without JavaScript) and ranked,
highlighted, paginated results (see warta.site.search). Filters: ``kategori``, ``sumber``,
``dari``, ``sampai``. Whatever the query, the page answers 200; only a page number beyond
the results (or not a number) is a 404, as on every list.

With the page cache on, a rendered page is kept whole (``search.pages``, bounded by bytes)
and served again, as bytes, for the same parameters while nothing on the site changed;
before it is, one primary-key query checks that every story it shows is still visible
(a story killed by a bulk ``update()`` leaves the results at once, as it always did)."""

from __future__ import annotations

import hashlib
import logging

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
from warta.site.cache import content_version
from warta.site.search import CachedPage, parse_query, search_guard, search_posts
from warta.site.views import base_url, nav_categories

logger = logging.getLogger(__name__)


def search_sources() -> list[Source]:
    """Sources with at least one published post (the source filter's choices): one
    EXISTS probe per source, not a join over every post."""
    published = Post.objects.filter(entry__source=OuterRef("pk"), status=Post.Status.PUBLISHED)
    return list(Source.objects.filter(Exists(published)).order_by("name").only("id", "name"))


def _page_key(request: HttpRequest) -> str:
    """Everything the page's bytes depend on: the language and the parameters exactly as
    the template sees them (the pagination links repeat them, in their order)."""
    raw = f"{get_language()}\0{request.GET.urlencode()}"
    return hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()


def search(request: HttpRequest) -> HttpResponse:
    version = content_version()  # before the render: a change meanwhile makes it stale
    if version is None:
        return _render(request)[0]
    key = _page_key(request)
    cached = search_module.pages.get(key, version)
    if cached is not None:
        ids = cached.post_ids
        if search_module.visible_count(ids, timezone.now()) == len(ids):
            response = HttpResponse(cached.body)
            for name, value in cached.headers:
                response.headers[name] = value
            return response
        search_module.pages.discard(key)
    response, shown = _render(request)
    if shown is not None and response.status_code == 200:
        headers = tuple(response.headers.items())
        search_module.pages.put(key, version, CachedPage(response.content, headers, shown))
    return response


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
    context = {
        "base_url": base_url(),  # what views._context gives every page, the rest below
        # the form's choices: from the result cache, on its terms (the navigation and the
        # sources with stories change only with the site's content version)
        "nav_categories": search_module.remembered(("#nav",), nav_categories),
        "sources": search_module.remembered(("#sources",), search_sources),
        "query": query,
        "page": page,
        "searched": page is not None,
        "failed": failed,
        "total": page.paginator.count if page is not None else 0,
    }
    response = render(request, "site/search.html", context)
    response.headers["X-Robots-Tag"] = "noindex"
    ids = tuple(hit.post.pk for hit in page.object_list) if page is not None else ()
    return response, None if failed else ids
