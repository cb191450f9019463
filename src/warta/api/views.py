"""The read API's views: JSON for what the public site shows, and the OpenAPI document.

Only visible posts (published, publication time reached) appear; a killed story's detail
answers 410 and it leaves every list at once. Sources show their public face (id, name,
language, attribution), never their feed URL (it may carry credentials or a token), errors,
leases or polling state.

Every 200 carries a strong ``ETag`` (a hash of the body) and ``Cache-Control: public,
max-age=api.max_age``; ``If-None-Match`` answers 304. Lists carry no ``Last-Modified``: a
killed story leaves a list without making anything in it newer, so ``If-Modified-Since``
would keep it in a client's cache. A story's detail has one (its revision time).

Query parameters are checked strictly (a bad one is a 400 naming it, never a 500): these
views are fuzzed by schemathesis against ``schema.py`` in the tests.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from warta.api.schema import SLUG_PATTERN, build_schema
from warta.newsroom.models import Category, Post, Source, Translation
from warta.site.render import plain_paragraphs, safe_url
from warta.site.seo import post_modified
from warta.site.views import base_url, published_posts

# RFC 3339 date-time, as OpenAPI's ``format: date-time`` means it (Python's fromisoformat
# alone also takes dates, basic formats and times without an offset)
_DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_DIGITS = re.compile(r"^[0-9]{1,10}$")
_SLUG = re.compile(SLUG_PATTERN)
_IMAGE_KEYS = ("src", "caption", "credit")


class BadParameter(ValueError):
    def __init__(self, name: str, detail: str) -> None:
        self.name = name
        super().__init__(f"{name}: {detail}")


def _error(status: int, error: str, detail: str) -> JsonResponse:
    response = JsonResponse({"error": error, "detail": detail}, status=status,
                            json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _cached(request: HttpRequest, data: dict[str, Any],
            last_modified: datetime | None = None) -> HttpResponse:
    """``data`` as JSON with ETag (and Last-Modified), or a 304 when the client has it."""
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    etag = '"' + hashlib.sha256(response.content).hexdigest()[:32] + '"'
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={int(settings.WARTA['api.max_age'])}"
    response["Access-Control-Allow-Origin"] = "*"
    timestamp = None
    if last_modified is not None:
        timestamp = int(last_modified.timestamp())
        response["Last-Modified"] = http_date(timestamp)
    return get_conditional_response(request, etag=etag, last_modified=timestamp,
                                    response=response)


def _int_param(request: HttpRequest, name: str, default: int, maximum: int) -> int:
    raw = request.GET.get(name)
    if raw is None:
        return default
    if not _DIGITS.match(raw):
        raise BadParameter(name, "must be a whole number")
    value = int(raw)
    if not 1 <= value <= maximum:
        raise BadParameter(name, f"must be between 1 and {maximum}")
    return value


def _since_param(request: HttpRequest) -> datetime | None:
    raw = request.GET.get("since")
    if raw is None:
        return None
    if not _DATE_TIME.match(raw):
        raise BadParameter("since", "must be an ISO 8601 time with offset, like "
                                    "2026-11-01T06:00:00+07:00")
    try:
        value = datetime.fromisoformat(raw.upper().replace("Z", "+00:00"))
    except ValueError as e:
        raise BadParameter("since", f"is not a valid time ({e})") from e
    try:
        return value.astimezone(UTC)
    except OverflowError:  # a valid time at the very edge of the calendar
        return datetime.min.replace(tzinfo=UTC) if value.year < 2 \
            else datetime.max.replace(tzinfo=UTC)


def _image(value: object) -> dict[str, str] | None:
    if not isinstance(value, dict) or not safe_url(value.get("src")):
        return None
    return {k: str(value.get(k) or "") if k != "src" else safe_url(value["src"])
            for k in _IMAGE_KEYS}


def _blocks(blocks: object) -> list[dict[str, str]]:
    """The body's blocks with public keys only (an editor's ``machine`` text stays home)."""
    out: list[dict[str, str]] = []
    for block in blocks if isinstance(blocks, list) else []:
        if not isinstance(block, dict):
            continue
        kind = str(block.get("type") or "p")
        item = {"type": kind, "text": str(block.get("text") or "")}
        if kind == "img":
            src = safe_url(block.get("src"))
            if not src:
                continue
            item.update(src=src, caption=str(block.get("caption") or ""),
                        credit=str(block.get("credit") or ""))
        out.append(item)
    return out


def _stories() -> QuerySet[Post]:
    return published_posts().annotate(source_ref_id=F("entry__source_id"),
                                      source_language=F("translation__article__language"))


def _summary(post: Any) -> dict[str, Any]:
    tr: Translation = post.translation
    untranslated = tr.status == Translation.Status.UNTRANSLATED
    first = plain_paragraphs(tr.blocks or [], limit=1)
    return {
        "slug": post.slug,
        "title": tr.title,
        "url": base_url() + post.get_absolute_url(),
        "api_url": base_url() + reverse("api:story", kwargs={"slug": post.slug}),
        "excerpt": first[0] if first else "",
        "published": post.published_at.astimezone(UTC).isoformat(),
        "updated": post_modified(post).astimezone(UTC).isoformat(),
        "category": {"slug": post.category.slug, "name": post.category.name}
        if post.category else None,
        "source": {"id": post.source_ref_id, "name": post.source_name},
        "image": _image(tr.image),
        "language": (post.source_language or "en") if untranslated else tr.language,
    }


def _page_url(request: HttpRequest, page: int) -> str:
    query = {k: v for k, v in request.GET.items() if k != "page"}
    query["page"] = str(page)
    return base_url() + request.path + "?" + urlencode(query)


@require_safe
def stories(request: HttpRequest) -> HttpResponse:
    w = settings.WARTA
    max_size = int(w["api.max_page_size"])
    try:
        page = _int_param(request, "page", 1, 2**31 - 1)
        size = _int_param(request, "page_size", min(int(w["api.page_size"]), max_size),
                          max_size)
        source = _int_param(request, "source", 0, 2**31 - 1) if "source" in request.GET \
            else None
        since = _since_param(request)
        category = request.GET.get("category")
        # checked before the query: PostgreSQL refuses a NUL in a query parameter
        if category is not None and not (len(category) <= 100 and _SLUG.match(category)):
            raise BadParameter("category", "must be a category slug, like dunia")
    except BadParameter as e:
        return _error(400, "bad_parameter", str(e))
    qs = Post.objects.filter(status=Post.Status.PUBLISHED, published_at__lte=timezone.now())
    if category is not None:
        qs = qs.filter(category__slug=category)
    if source is not None:
        qs = qs.filter(entry__source_id=source)
    if since is not None:
        qs = qs.filter(published_at__gt=since)
    count = qs.count()  # without the page's joins: an index scan of the posts
    start = (page - 1) * size
    ids = list(qs.order_by("-published_at", "-id").values_list("pk", flat=True)
               [start:start + size]) if start < count else []
    by_id = {p.pk: p for p in _stories().filter(pk__in=ids)}
    posts = [by_id[pk] for pk in ids if pk in by_id]
    return _cached(request, {
        "count": count, "page": page, "page_size": size,
        "next": _page_url(request, page + 1) if start + size < count else None,
        "previous": _page_url(request, page - 1) if page > 1 else None,
        "results": [_summary(p) for p in posts],
    })


@require_safe
def story(request: HttpRequest, slug: str) -> HttpResponse:
    post = None
    if _SLUG.match(slug):
        post = (Post.objects.select_related("translation", "category")
                .annotate(source_ref_id=F("entry__source_id"),
                          source_language=F("translation__article__language"))
                .filter(slug=slug).first())
    if post is None or post.published_at > timezone.now():
        return _error(404, "not_found", "no story with this slug")
    if post.status == Post.Status.KILLED:
        return _error(410, "gone", "this story was withdrawn")
    if post.status != Post.Status.PUBLISHED:
        return _error(404, "not_found", "no story with this slug")
    tr: Translation = post.translation
    data = _summary(post)
    data.update(
        dateline=tr.dateline.rstrip(":-–— ") if tr.dateline else "",
        blocks=_blocks(tr.blocks),
        source_language=post.source_language or "en",
        machine_translated=tr.status != Translation.Status.UNTRANSLATED,
        attribution=post.attribution,
        original_url=safe_url(post.original_url),
    )
    return _cached(request, data, last_modified=post_modified(post))


@require_safe
def categories(request: HttpRequest) -> HttpResponse:
    visible = Q(posts__status=Post.Status.PUBLISHED, posts__published_at__lte=timezone.now())
    rows = (Category.objects.annotate(n=Count("posts", filter=visible)).filter(n__gt=0)
            .order_by("name", "id"))
    return _cached(request, {"results": [
        {"slug": c.slug, "name": c.name, "url": base_url() + c.get_absolute_url(),
         "stories": c.n} for c in rows]})


@require_safe
def sources(request: HttpRequest) -> HttpResponse:
    visible = Q(entries__post__status=Post.Status.PUBLISHED,
                entries__post__published_at__lte=timezone.now())
    rows = (Source.objects.annotate(n=Count("entries__post", filter=visible)).filter(n__gt=0)
            .order_by("name", "id").values("id", "name", "language", "attribution", "n"))
    return _cached(request, {"results": [
        {"id": r["id"], "name": r["name"], "language": r["language"],
         "attribution": r["attribution"], "stories": r["n"]} for r in rows]})


@require_safe
def schema(request: HttpRequest) -> HttpResponse:
    return _cached(request, build_schema(base_url()))


def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    return _error(404, "not_found", "no such API endpoint; see /api/schema/")
