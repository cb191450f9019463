"""The search page, ``/cari/?q=…``: a plain GET form (works without JavaScript) and ranked,
highlighted, paginated results (see warta.site.search). Filters: ``kategori``, ``sumber``,
``dari``, ``sampai``. Whatever the query, the page answers 200; only a page number beyond
the results (or not a number) is a 404, as on every list."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.paginator import InvalidPage, Paginator
from django.db import OperationalError
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from warta.newsroom.models import Post, Source
from warta.site.search import parse_query, search_guard, search_posts
from warta.site.views import _context

logger = logging.getLogger(__name__)


def search_sources() -> list[Source]:
    """Sources with at least one published post (the source filter's choices): one
    EXISTS probe per source, not a join over every post."""
    published = Post.objects.filter(entry__source=OuterRef("pk"), status=Post.Status.PUBLISHED)
    return list(Source.objects.filter(Exists(published)).order_by("name").only("id", "name"))


def search(request: HttpRequest) -> HttpResponse:
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
    context = _context(
        query=query,
        page=page,
        searched=page is not None,
        failed=failed,
        total=page.paginator.count if page is not None else 0,
        sources=search_sources(),
    )
    response = render(request, "site/search.html", context)
    response.headers["X-Robots-Tag"] = "noindex"
    return response
