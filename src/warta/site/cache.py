"""The rendered-page cache, conditional GET and Cache-Control of the public site.

Every public page and feed is rendered once and then served from Django's cache until
something it shows changes. Precision comes from *dependency tags*: a rendered page is
stored with the version of each tag it depends on, and served only while every one of
those versions is unchanged.

==================  ==========================================================
tag                 bumped when
==================  ==========================================================
``site``            a category, tag or source's public fields change (every page shows
                    the navigation, names and credit lines), or a category gets its first
                    or loses its last visible story
``all``             any story changes (home, site-wide feeds, sitemaps)
``post:<path>``     that story, its translation or its corrections change (its page)
``cat:<slug>``      a story enters, leaves or changes in that category
``tag:<slug>``      ... that tag; ``source:<id>``, ``author:<slug>``, ``archive:<year>``
``epoch``           the safety net below saw a change no signal announced
==================  ==========================================================

Signals on Post, Translation, Correction, Category, Tag and Source bump the tags, at once
(the process that saved sees the change on its next request) and again when the
transaction commits (so another process cannot re-cache the old rows in between). An
editor's edit therefore changes the story's page and the lists it is on at once, a kill
answers 410 at once, and an unrelated story's page stays cached.

Two things change rows without signals: bulk ``update()`` calls in the pipeline (a kill
from the wire, a revision) and time (a scheduled story becoming due). The safety net
catches both: at most every ``site.cache_check_seconds`` per process, one aggregate query
over the posts table (count, newest id, publication, revision and kill times, counts by
status) is compared with the fingerprint the last bump stored; a difference bumps
``epoch``, which every cached page depends on. Rendered pages also expire after
``site.cache_seconds`` whatever happens ("most read" and "Baca juga" refresh then).

Where things live: rendered pages in the ``site-pages`` cache (local memory per process by
default, Redis or a folder with ``site.cache_url``); tag versions in ``site-versions``,
which every process of the site must share (a folder in the data dir by default, so
gunicorn workers, ``warta process`` and ``warta serve`` on one machine agree; Redis with
``site.cache_url = "redis://…"`` for several machines). A version is a random token, not a
counter: two processes bumping at once can never produce a version seen before.

Browsers and CDNs: a cached page carries a strong ``ETag`` (a hash of its bytes) and
``Last-Modified`` (when it was rendered, which is never before the last change it depends
on); a request whose ``If-None-Match`` (or, without one, ``If-Modified-Since``) still
matches gets 304 without a render. ``Cache-Control`` is public with ``site.max_age`` for
lists, feeds and sitemaps, ``site.article_max_age`` for articles, both with
``stale-while-revalidate``; every other response of the site (forms, subscribe, admin,
newsletter links) without a Cache-Control of its own gets ``private, no-store``.
"""

from __future__ import annotations

import contextvars
import functools
import hashlib
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.core.cache.backends.filebased import FileBasedCache
from django.db import transaction
from django.db.models import Count, Max, Q
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotModified
from django.urls import Resolver404, resolve
from django.utils.cache import patch_cache_control
from django.utils.http import http_date, parse_http_date_safe

from warta.core.errors import ConfigError

log = logging.getLogger(__name__)

PAGE_ALIAS = "site-pages"
FAST_LANE_KEY = "warta.page_hit"  # environ key: a FastMark, the cached page a request got
VERSION_ALIAS = "site-versions"
FINGERPRINT_KEY = "fingerprint"
CACHEABLE_STATUS = (200, 410)

# route name -> (kind, the tags its pages depend on besides "site" and "epoch")
_LIST_ROUTES: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    "home": lambda kw: ["all"],
    "category": lambda kw: [f"cat:{kw['slug']}"],
    "category-feed": lambda kw: [f"cat:{kw['slug']}"],
    "category-feed-atom": lambda kw: [f"cat:{kw['slug']}"],
    "category-feed-json": lambda kw: [f"cat:{kw['slug']}"],
    "feed": lambda kw: ["all"],
    "feed-atom": lambda kw: ["all"],
    "feed-json": lambda kw: ["all"],
    "tag": lambda kw: [f"tag:{kw['slug']}"],
    "tag-feed": lambda kw: [f"tag:{kw['slug']}"],
    "tag-feed-atom": lambda kw: [f"tag:{kw['slug']}"],
    "tag-feed-json": lambda kw: [f"tag:{kw['slug']}"],
    "source": lambda kw: [f"source:{kw['pk']}"],
    "author": lambda kw: [f"author:{kw['slug']}"],
    "archive-year": lambda kw: [f"archive:{kw['year']}"],
    "archive-month": lambda kw: [f"archive:{kw['year']}"],
    "archive-day": lambda kw: [f"archive:{kw['year']}"],
    "sitemap-index": lambda kw: ["all"],
    "sitemap-section": lambda kw: ["all"],
    "sitemap-news": lambda kw: ["all"],
    "robots": lambda kw: [],
}
# query parameters a cacheable page reads; any other parameter bypasses the page cache
_PAGE_PARAMS = {"page", "p"}
# public, revalidated by the browser like a list, never stored in the page cache
_UNCACHED_PUBLIC = {"search"}


def post_tag(path: str) -> str:
    """The tag of the article page at ``path`` (``/berita/<slug>/``); a path too long for
    a portable cache key (memcached's 250 bytes) is hashed."""
    if len(path) > 180:
        path = "#" + hashlib.blake2b(path.encode(), digest_size=16).hexdigest()
    return f"post:{path}"


# ---------------------------------------------------------------- configuration


def _cfg(key: str, default: Any) -> Any:
    return settings.WARTA.get(key, default)


def page_cache_seconds() -> int:
    """How long a rendered page may be served at most; 0 turns the page cache off."""
    return int(_cfg("site.cache_seconds", 600))


def cache_settings(cache_url: str, data_dir: Any, entries: int) -> dict[str, dict[str, Any]]:
    """Django ``CACHES`` entries for the page cache and the version store.

    ``cache_url``: empty or ``locmem://`` (pages in local memory per process, versions in
    ``<data_dir>/cache/versions``), ``redis://…`` / ``rediss://…`` (both in Redis, under
    their own key prefixes), ``file:///path`` (pages in ``/path/pages``, versions in
    ``/path/versions``). Raises ConfigError naming ``site.cache_url`` for another scheme.
    """
    version_store = {
        "BACKEND": "warta.site.cache.VersionFileCache",
        "LOCATION": str(data_dir / "cache" / "versions"),
        "TIMEOUT": None,
    }
    if not cache_url or cache_url.startswith("locmem:"):
        pages: dict[str, Any] = {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "warta-site-pages",
            "OPTIONS": {"MAX_ENTRIES": entries},
        }
    elif cache_url.startswith(("redis://", "rediss://", "unix://")):
        pages = {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": cache_url,
            "KEY_PREFIX": "warta-pages",
        }
        version_store = {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": cache_url,
            "KEY_PREFIX": "warta-versions",
            "TIMEOUT": None,
        }
    elif cache_url.startswith("file://"):
        root = cache_url.removeprefix("file://").rstrip("/") or "/"
        pages = {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": f"{root}/pages",
            "OPTIONS": {"MAX_ENTRIES": entries},
        }
        version_store["LOCATION"] = f"{root}/versions"
    else:
        raise ConfigError(
            "site.cache_url",
            f"unsupported cache URL {cache_url!r} "
            "(locmem://, redis://, rediss://, unix://, file:///path)",
        )
    return {PAGE_ALIAS: pages, VERSION_ALIAS: version_store}


class VersionFileCache(FileBasedCache):  # type: ignore[misc]
    """Django's file cache without culling: version tokens never expire and are tiny, and
    the stock cull lists the whole folder on every write (slow with one file per story).
    Losing a token would only make pages that depend on it render again.

    Reading the versions of a cached page's tags costs a file open, read, decompression
    and unpickling per tag — most of a cached hit. So every write here also stores a new
    random token in ``generation`` (eight bytes in the same folder, mapped into memory by
    every process of the machine), and :meth:`current` answers from the versions this
    process last read for as long as that token has not changed: a memory read instead
    of three files. The token is written after the version file it announces and read
    before the versions it vouches for, so a reader can keep an old version only until
    its next look at the token. A write by any process (a bump, a new tag's first
    version, a clear) moves the token, and the versions are read from the files again."""

    GENERATION = "generation"

    def __init__(self, dir: str, params: dict[str, Any]) -> None:
        super().__init__(dir, params)
        self._gen_lock = threading.Lock()
        self._gen: tuple[tuple[int, int], Any] | None = None  # ((st_dev, st_ino), mmap)
        self._known: tuple[bytes | None, dict[str, Any]] = (None, {})

    # -- the generation token

    def _generation_map(self) -> Any:
        """The mapped token file, (re)opened when it is missing or was replaced (a
        deleted cache folder must not leave this process reading a dead file)."""
        import mmap
        import os

        path = os.path.join(self._dir, self.GENERATION)
        try:
            st = os.stat(path)
            ident = (st.st_dev, st.st_ino)
        except FileNotFoundError:
            ident = None
        gen = self._gen
        if gen is not None and ident == gen[0]:
            return gen[1]
        with self._gen_lock:
            os.makedirs(self._dir, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                if os.fstat(fd).st_size < 8:
                    os.ftruncate(fd, 8)
                st = os.fstat(fd)
                mapped = mmap.mmap(fd, 8)
            finally:
                os.close(fd)
            self._gen = ((st.st_dev, st.st_ino), mapped)
            return mapped

    def _moved(self) -> None:
        try:
            self._generation_map()[0:8] = secrets.token_bytes(8)
        except (OSError, ValueError):  # then readers fall back to the files themselves
            log.warning("could not move the page cache's version generation", exc_info=True)

    def generation(self) -> bytes | None:
        try:
            return bytes(self._generation_map()[0:8])
        except (OSError, ValueError):
            return None

    # -- every write moves the token (after the write; a no-op write does not)

    def set(self, *args: Any, **kwargs: Any) -> None:
        super().set(*args, **kwargs)
        self._moved()

    def add(self, *args: Any, **kwargs: Any) -> bool:
        added: bool = super().add(*args, **kwargs)
        if added:  # nothing written: nothing for readers to see
            self._moved()
        return added

    def touch(self, *args: Any, **kwargs: Any) -> bool:
        touched: bool = super().touch(*args, **kwargs)
        if touched:  # nothing written: nothing for readers to see
            self._moved()
        return touched

    def delete(self, *args: Any, **kwargs: Any) -> bool:
        deleted: bool = super().delete(*args, **kwargs)
        if deleted:  # nothing written: nothing for readers to see
            self._moved()
        return deleted

    def clear(self) -> None:
        super().clear()
        self._moved()

    # -- reading

    def current(self, keys: Iterable[str]) -> dict[str, Any]:
        """The stored value of each of ``keys`` that has one, from this process's memory
        while the generation token is unchanged (see the class)."""
        keys = list(keys)
        token = self.generation()
        if token is None:
            return dict(self.get_many(keys))
        seen, known = self._known
        if seen != token:
            known = {}
            self._known = (token, known)
        missing = [k for k in keys if k not in known]
        if missing:
            known.update(self.get_many(missing))  # read after the token: see the class
        return {k: known[k] for k in keys if k in known}

    def _cull(self) -> None:
        return None


def versions_match(deps: dict[str, str]) -> bool:
    """Whether every tag in ``deps`` still has the version recorded there (a cached page
    is still good): from memory with the local version folder, one round trip to Redis."""
    store = _versions()
    if isinstance(store, VersionFileCache):
        return store.current(deps) == deps
    found: dict[str, str] = store.get_many(list(deps))
    return found == deps


def _pages() -> BaseCache:
    return caches[PAGE_ALIAS]


def _versions() -> BaseCache:
    return caches[VERSION_ALIAS]


# ---------------------------------------------------------------- versions


class _Pending(threading.local):
    """Tags bumped inside this thread's transaction, bumped again when it commits."""

    def __init__(self) -> None:
        self.tags: set[str] = set()


_pending = _Pending()


def bump(tags: Iterable[str]) -> None:
    """New versions for ``tags`` now and again when the current transaction commits
    (once, in autocommit). Pages depending on any of them render again.

    The posts' fingerprint (an aggregate over the whole posts table) is stored once per
    commit, with the versions of every tag the transaction bumped — not once per save
    and again per commit: a publish saves a post, its translation and its tags, each
    bumping. Stored before the commit it would also describe rows other processes cannot
    see yet (their safety net would then invalidate everything)."""
    wanted = set(tags)
    if not wanted:
        return
    if not transaction.get_connection().in_atomic_block:
        _bump_now(wanted)
        return
    _bump_now(wanted, fingerprint=False)  # this process sees the change at once
    _pending.tags |= wanted
    transaction.on_commit(_bump_pending)


def _bump_pending() -> None:
    """At commit: the transaction's tags (the union of its bumps; a later callback of the
    same commit finds none left), and the fingerprint."""
    tags, _pending.tags = _pending.tags, set()
    if tags:
        _bump_now(tags)


def _bump_now(tags: Iterable[str], fingerprint: bool = True) -> None:
    try:
        _versions().set_many({t: secrets.token_hex(8) for t in sorted(tags)}, timeout=None)
        if fingerprint:
            _versions().set(FINGERPRINT_KEY, db_fingerprint(), timeout=None)
    except Exception:  # a cache outage must not fail the editor's save
        log.exception("could not invalidate cached pages for %s", sorted(tags))


def _current_versions(tags: Iterable[str]) -> dict[str, str]:
    """The version of each tag, giving tags that never had one a version now."""
    tags = list(tags)
    store = _versions()
    found: dict[str, str] = store.get_many(tags)
    missing = {t: secrets.token_hex(8) for t in tags if t not in found}
    if missing:
        for tag, token in missing.items():  # add() keeps a version another process set
            if not store.add(tag, token, timeout=None):
                missing[tag] = store.get(tag) or token
        found.update(missing)
    return found


def db_fingerprint() -> str:
    """What a signal-less change to the posts (bulk ``update()``, a scheduled story
    becoming due) or corrections would alter. One aggregate query per table."""
    from django.utils import timezone

    from warta.newsroom.models import Correction, Post

    now = timezone.now()
    posts = Post.objects.aggregate(
        n=Count("id"),
        last=Max("id"),
        pub=Max("published_at"),
        upd=Max("updated_at"),
        kill=Max("killed_at"),
        killed=Count("id", filter=Q(status=Post.Status.KILLED)),
        visible=Count("id", filter=Q(status=Post.Status.PUBLISHED, published_at__lte=now)),
    )
    corrections = Correction.objects.aggregate(n=Count("id"), last=Max("id"))
    raw = repr(sorted(posts.items())) + repr(sorted(corrections.items()))
    return hashlib.blake2b(raw.encode(), digest_size=8).hexdigest()


_last_check = 0.0


def check_fingerprint(force: bool = False) -> bool:
    """The safety net: at most every ``site.cache_check_seconds`` (per process), compare
    the posts' fingerprint with the stored one; bump ``epoch`` on a difference. Returns
    whether it bumped."""
    global _last_check
    interval = float(_cfg("site.cache_check_seconds", 5.0))
    now = time.monotonic()
    if not force and now - _last_check < interval:
        return False
    _last_check = now
    current = db_fingerprint()
    if _versions().get(FINGERPRINT_KEY) == current:
        return False
    _versions().set_many({"epoch": secrets.token_hex(8), FINGERPRINT_KEY: current}, timeout=None)
    return True


_CONTENT_TAGS = ("site", "all", "epoch")


def content_version() -> str | None:
    """A token that changes whenever anything a list or search result shows may have
    changed: the versions of ``site``, ``all`` and ``epoch`` (a story, category, tag or
    source changed, through the signals; or the posts behind their back, through the
    safety net, checked here at most every ``site.cache_check_seconds``). None while the
    page cache is off: its signals are off then, so no version would move."""
    if page_cache_seconds() <= 0:
        return None
    check_fingerprint()
    versions = _current_versions(_CONTENT_TAGS)
    return "|".join(versions[t] for t in _CONTENT_TAGS)


def content_deps(version: str) -> dict[str, str]:
    """The tag versions a :func:`content_version` token stands for."""
    return dict(zip(_CONTENT_TAGS, version.split("|"), strict=True))


# ------------------------------------------------------- dependencies noted in a render

_noted: contextvars.ContextVar[set[str] | None] = contextvars.ContextVar(
    "warta_noted", default=None
)


def note_dependency(tag: str) -> None:
    """Make the page being rendered also depend on ``tag`` (e.g. the article a "Baca juga"
    box links to, so that a kill of that article re-renders this page). A no-op outside a
    cached render."""
    noted = _noted.get()
    if noted is not None:
        noted.add(tag)


@contextmanager
def _recording() -> Iterator[set[str]]:
    noted: set[str] = set()
    token = _noted.set(noted)
    try:
        yield noted
    finally:
        _noted.reset(token)


# ---------------------------------------------------------------- policy per request


@dataclass(frozen=True)
class Policy:
    kind: str  # "article", "list" or "search"
    tags: tuple[str, ...]
    cacheable: bool
    # feeds and sitemaps revalidate by ETag only: a removal makes nothing newer, so their
    # contract (docs/site.md) is to send no Last-Modified a reader could compare
    dated: bool = True


def request_policy(request: HttpRequest) -> Policy | None:
    """How the page at ``request`` is cached, or None when it is not a public page."""
    if request.method not in ("GET", "HEAD"):
        return None
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    module = getattr(match.func, "__module__", "") or ""
    if match.namespaces or not module.startswith("warta.site."):
        return None  # the admin, the API, the newsletter's forms: not ours to cache
    name = match.url_name or ""
    request.resolver_match_slug = match.kwargs.get("slug", "")
    clean_query = set(request.GET) <= _PAGE_PARAMS
    if name == "article":
        return Policy("article", ("site", "epoch", post_tag(request.path_info)), clean_query)
    if name in _LIST_ROUTES:
        tags = ("site", "epoch", *_LIST_ROUTES[name](match.kwargs))
        dated = not any(w in name for w in ("feed", "sitemap", "robots"))
        return Policy("list", tags, clean_query, dated)
    if name in _UNCACHED_PUBLIC:
        return Policy("search", (), False)
    return None


def cache_control(kind: str, status: int) -> str:
    max_age = int(_cfg("site.max_age", 60))
    if kind == "article" and status == 200:
        max_age = int(_cfg("site.article_max_age", 300))
    stale = int(_cfg("site.stale_while_revalidate", 600))
    if kind == "search" or status != 200:
        return f"public, max-age={max_age}"
    return f"public, max-age={max_age}, stale-while-revalidate={stale}"


# ---------------------------------------------------------------- entries


@dataclass
class Entry:
    """A rendered page as the cache holds it."""

    deps: dict[str, str]
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    etag: str
    modified: int  # epoch seconds: render time
    expires: float = 0.0  # epoch seconds: when the page cache drops it (0: unknown)

    def response(self, head: bool) -> HttpResponse:
        response = HttpResponse(b"" if head else self.body, status=self.status)
        for name, value in self.headers:
            response.headers[name] = value
        response.headers["Content-Length"] = str(len(self.body))
        return response


@dataclass(frozen=True)
class FastMark:
    """What the fast lane (``fastlane.py``) needs to give a cached page again, left on
    ``request.META`` by the middleware that served it: the versions the page depends on,
    when it stops being served (epoch seconds), its bytes, the article slug to count for
    "most read", and a last check to make before each answer (None: none)."""

    deps: dict[str, str]
    expires: float
    body: bytes
    view: str | None = None
    verify: Callable[[], bool] | None = None


def _page_key(request: HttpRequest) -> str:
    # ``path``, not ``path_info``: the script prefix (``SCRIPT_NAME``) starts every link on
    # the page, so a site mounted under two prefixes keeps a copy for each
    raw = request.path + "?" + "&".join(sorted(f"{k}={v}" for k, v in request.GET.items()))
    return "page:" + hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()


def _storable(response: HttpResponseBase) -> bool:
    if response.status_code not in CACHEABLE_STATUS or response.streaming:
        return False
    if response.cookies or "Set-Cookie" in response.headers:
        return False
    control = response.headers.get("Cache-Control", "")
    vary = response.headers.get("Vary", "")
    return "private" not in control and "no-store" not in control and "Cookie" not in vary


def _make_entry(response: HttpResponse, deps: dict[str, str], dated: bool) -> Entry:
    body = bytes(response.content)
    etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
    skip = {"content-length", "etag", "last-modified"}
    headers = [(k, v) for k, v in response.headers.items() if k.lower() not in skip]
    return Entry(deps, response.status_code, headers, body, etag, int(time.time()) if dated else 0)


def _not_modified(request: HttpRequest, etag: str, modified: int) -> bool:
    """RFC 9110: If-None-Match decides when present; If-Modified-Since only without it."""
    inm = request.headers.get("If-None-Match")
    if inm is not None:
        if inm.strip() == "*":
            return True
        tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
        return etag in tags
    ims = parse_http_date_safe(request.headers.get("If-Modified-Since") or "")
    return ims is not None and 0 < modified <= ims


def _finish(response: HttpResponseBase, entry: Entry, kind: str) -> HttpResponseBase:
    response.headers["ETag"] = entry.etag
    if entry.modified:
        response.headers["Last-Modified"] = http_date(entry.modified)
    response.headers["Cache-Control"] = cache_control(kind, entry.status)
    return response


class PageCacheMiddleware:
    """Serves public pages from the page cache (with 304s), stores fresh renders, and sets
    Cache-Control on every response of the site. Sits after WhiteNoise (static files
    never reach it) and before the session and CSRF middleware (a cached page needs
    neither)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        policy = request_policy(request)
        if policy is None:
            response = self.get_response(request)
            if not response.has_header("Cache-Control"):
                patch_cache_control(response, private=True, no_store=True)
            return response
        seconds = page_cache_seconds()
        if policy.kind == "search" and seconds > 0 and request.method in ("GET", "HEAD"):
            return self._search(request, policy)
        if not policy.cacheable or seconds <= 0:
            return self._uncached(request, policy)
        try:
            check_fingerprint()
            return self._cached(request, policy, seconds)
        except Exception:  # a cache outage costs speed, never the page
            log.exception("page cache failed for %s", request.path)
            return self._uncached(request, policy)

    def _uncached(self, request: HttpRequest, policy: Policy) -> HttpResponseBase:
        response = self.get_response(request)
        if response.status_code in CACHEABLE_STATUS and not response.has_header("Cache-Control"):
            response.headers["Cache-Control"] = cache_control(policy.kind, response.status_code)
        return response

    def _search(self, request: HttpRequest, policy: Policy) -> HttpResponseBase:
        """A search page kept by ``search_page`` (bytes and the headers the whole stack
        gave it), served here before the rest of the middleware; a fresh one is kept once
        the stack has answered. A conditional GET whose ETag matches gets 304, as
        ConditionalGetMiddleware answers below."""
        from warta.site import search_page

        try:
            kept, key, version = search_page.cached_response(request)
        except Exception:  # a cache or database hiccup costs speed, never the page
            log.exception("search page cache failed for %s", request.get_full_path())
            kept, version = None, None
        if kept is not None:
            etag = kept.headers.get("ETag")
            if etag and _not_modified(request, etag, 0):
                kept = HttpResponseNotModified()
                kept.headers["ETag"] = etag
            else:
                kept.headers["Content-Length"] = str(len(kept.content))
                kept.headers["X-Cache"] = "hit"
                mark = search_page.fast_mark(key, version)
                if mark is not None:
                    request.META[FAST_LANE_KEY] = mark
            kept.headers["Cache-Control"] = cache_control(policy.kind, 200)
            return kept
        response = self.get_response(request)
        if version is not None and isinstance(response, HttpResponse) and _storable(response):
            skip = {"content-length", "cache-control", "x-cache"}
            headers = tuple((k, v) for k, v in response.headers.items() if k.lower() not in skip)
            search_page.keep(key, version, response, headers)
            response.headers["X-Cache"] = "miss"
        if response.status_code in CACHEABLE_STATUS and not response.has_header("Cache-Control"):
            response.headers["Cache-Control"] = cache_control(policy.kind, response.status_code)
        return response

    def _cached(self, request: HttpRequest, policy: Policy, seconds: int) -> HttpResponseBase:
        key = _page_key(request)
        head = request.method == "HEAD"
        entry: Entry | None = _pages().get(key)
        if entry is not None and versions_match(entry.deps):
            if _not_modified(request, entry.etag, entry.modified):
                return _finish(HttpResponseNotModified(), entry, policy.kind)
            viewed = policy.kind == "article" and entry.status == 200
            if viewed:
                _views.add(request.resolver_match_slug)
            response = entry.response(head)
            response.headers["X-Cache"] = "hit"
            if not head and entry.expires:  # the fast lane may answer the next ones
                request.META[FAST_LANE_KEY] = FastMark(
                    entry.deps, entry.expires, entry.body,
                    request.resolver_match_slug if viewed else None)
            return _finish(response, entry, policy.kind)

        # versions first: a change during the render then makes this entry stale at once
        with _recording() as noted:
            before = _current_versions(policy.tags)
            response = self.get_response(request)
        if not isinstance(response, HttpResponse) or not _storable(response):
            return response
        deps = {**before, **_current_versions(noted - set(before))}
        entry = _make_entry(response, deps, dated=policy.dated)
        entry.expires = time.time() + seconds
        _pages().set(key, entry, seconds)
        response.headers["X-Cache"] = "miss"
        if _not_modified(request, entry.etag, entry.modified):
            return _finish(HttpResponseNotModified(), entry, policy.kind)
        return _finish(response, entry, policy.kind)


class _ViewBuffer:
    """Article views served from the cache, counted for "most read" in batches: the view
    itself counts only the renders, and a database write per cached hit would cost more
    than the hit. At most every :attr:`every` seconds the counts gathered are handed to a
    background thread (``reader.background``), which writes them in one transaction with
    one upsert per post — never in a reader's request, where a batch of hundreds of
    writes (and, on SQLite, the wait for the write lock) made the article page's p99 go
    from milliseconds to most of a second. Lost, at most that many seconds' worth, when
    the process ends."""

    every = 10.0

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.lock = threading.Lock()
        self.last = time.monotonic()

    def add(self, slug: str) -> None:
        with self.lock:
            self.counts[slug] = self.counts.get(slug, 0) + 1
            if time.monotonic() - self.last < self.every:
                return
        self._hand_over()

    def _hand_over(self) -> None:
        from warta.reader.background import views_writer

        views_writer.submit("flush", self._flush_gathered)

    def _flush_gathered(self) -> None:
        with self.lock:
            counts, self.counts, self.last = self.counts, {}, time.monotonic()
        if counts:
            self.flush(counts)

    @staticmethod
    def flush(counts: dict[str, int]) -> None:
        """Add ``counts`` (slug → views) to today's rows, in one transaction."""
        from django.db import DatabaseError, connection

        from warta.newsroom.models import Post, PostView
        from warta.site.popular import site_today

        day = connection.ops.adapt_datefield_value(site_today())
        table = connection.ops.quote_name(PostView._meta.db_table)
        try:
            ids = dict(Post.objects.filter(slug__in=list(counts)).values_list("slug", "id"))
            rows = [(ids[slug], day, n) for slug, n in counts.items() if slug in ids]
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO {table} (post_id, day, views) VALUES (%s, %s, %s) "
                    f"ON CONFLICT (post_id, day) DO UPDATE SET views = {table}.views + "
                    "excluded.views",
                    rows,
                )
        except DatabaseError:  # a counter never costs a reader the page
            log.warning(
                "could not count %d cached article views", sum(counts.values()), exc_info=True
            )

    def drain(self) -> None:
        """Write what is gathered now, in this thread (tests; at exit)."""
        self._flush_gathered()


_views = _ViewBuffer()


def clear_page_cache() -> None:
    """Drop every rendered page (tests, and ``warta`` after a restore), the fast lane's
    copies included."""
    from warta.site import fastlane

    _pages().clear()
    fastlane.clear()


def count_view(slug: str) -> None:
    """Count a view of the article ``slug`` served from a cache (see ``_ViewBuffer``)."""
    _views.add(slug)


# ---------------------------------------------------------------- what a change invalidates


def _year_tags(when: datetime | None) -> set[str]:
    """``archive:<year>`` in the site's time zone (and UTC's, a day apart at New Year)."""
    if when is None:
        return set()
    zone = ZoneInfo(str(_cfg("site.timezone", "UTC")))
    return {f"archive:{when.year}", f"archive:{when.astimezone(zone).year}"}


def post_tags(post: Any) -> set[str]:
    """Every tag whose pages show ``post`` as it is now (one or two small queries)."""
    from warta.site.lists import author_slug

    tags = {"all", post_tag(post.get_absolute_url()), *_year_tags(post.published_at)}
    if post.category_id:
        tags.add(f"cat:{post.category.slug}")
    if post.entry_id:
        tags.add(f"source:{post.entry.source_id}")
    if post.pk:
        tags.update(f"tag:{s}" for s in post.tags.values_list("slug", flat=True))
    byline = post.translation.article.byline if post.translation_id else ""
    if byline and author_slug(byline):
        tags.add(f"author:{author_slug(byline)}")
    return tags


# ---------------------------------------------------------------- signals


def _when_enabled(handler: Callable[..., None]) -> Callable[..., None]:
    """Skip the handler's queries while the page cache is off (``site.cache_seconds = 0``,
    as in the test suite): there is nothing to invalidate."""

    @functools.wraps(handler)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        if page_cache_seconds() > 0:
            handler(*args, **kwargs)

    return wrapper


_SOURCE_FIELDS = ("name", "noindex", "canonical_policy", "credit_line", "attribution")


def _category_has_other_posts(category_id: int | None, post_id: int | None) -> bool:
    from warta.newsroom.models import Post

    if category_id is None:
        return True  # "Other news" is not in the navigation
    return bool(
        Post.objects.filter(category_id=category_id, status=Post.Status.PUBLISHED)
        .exclude(pk=post_id)
        .exists()
    )


def _navigation_changes(old: tuple[str, int | None] | None, post: Any) -> bool:
    """Whether saving ``post`` (previously ``old`` = (status, category id)) adds or removes
    a category from the navigation every page shows."""
    published = "published"
    for cat in {old[1] if old else None, post.category_id} - {None}:
        if _category_has_other_posts(cat, post.pk):
            continue
        before = bool(old and old[0] == published and old[1] == cat)
        after = post.status == published and post.category_id == cat
        if before != after:
            return True
    return False


@_when_enabled
def _post_pre_save(sender: Any, instance: Any, raw: bool = False, **_kw: Any) -> None:
    if raw or instance.pk is None:
        return
    old = type(instance).objects.filter(pk=instance.pk).first()
    if old is not None:
        instance._warta_cache_old = (post_tags(old), (old.status, old.category_id))


@_when_enabled
def _post_saved(sender: Any, instance: Any, raw: bool = False, **_kw: Any) -> None:
    if raw:
        return
    old_tags, old_state = getattr(instance, "_warta_cache_old", (set(), None))
    instance.__dict__.pop("_warta_cache_old", None)
    tags = post_tags(instance) | old_tags
    if _navigation_changes(old_state, instance):
        tags.add("site")
    bump(tags)


@_when_enabled
def _post_pre_delete(sender: Any, instance: Any, **_kw: Any) -> None:
    tags = post_tags(instance)
    if _navigation_changes(
        (instance.status, instance.category_id), _Gone(instance.pk, instance.category_id)
    ):
        tags.add("site")
    bump(tags)


@dataclass
class _Gone:
    """A deleted post as :func:`_navigation_changes` sees it: in no list any more."""

    pk: int
    category_id: int | None
    status: str = "deleted"


@_when_enabled
def _post_tags_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **_kw: Any
) -> None:
    from warta.newsroom.models import Post, Tag

    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    if not reverse:
        slugs = (
            instance.tags.values_list("slug", flat=True)
            if action == "pre_clear"
            else Tag.objects.filter(pk__in=pk_set or ()).values_list("slug", flat=True)
        )
        bump({post_tag(instance.get_absolute_url()), *(f"tag:{s}" for s in slugs)})
        return
    posts = (
        instance.posts.all() if action == "pre_clear" else Post.objects.filter(pk__in=pk_set or ())
    )
    bump({f"tag:{instance.slug}", *(post_tag(p.get_absolute_url()) for p in posts.only("slug"))})


@_when_enabled
def _translation_saved(sender: Any, instance: Any, raw: bool = False, **_kw: Any) -> None:
    from warta.newsroom.models import Post

    if raw or instance.pk is None:
        return
    post = Post.objects.filter(translation_id=instance.pk).first()
    if post is not None:
        bump(post_tags(post))


@_when_enabled
def _correction_changed(sender: Any, instance: Any, raw: bool = False, **_kw: Any) -> None:
    if raw:
        return
    from warta.newsroom.models import Post

    post = Post.objects.filter(pk=instance.post_id).first()
    if post is not None:
        bump({post_tag(post.get_absolute_url())})


@_when_enabled
def _category_pre_save(sender: Any, instance: Any, raw: bool = False, **_kw: Any) -> None:
    if not raw and instance.pk is not None:
        instance._warta_cache_old_slug = (
            type(instance).objects.filter(pk=instance.pk).values_list("slug", flat=True).first()
        )


@_when_enabled
def _category_changed(sender: Any, instance: Any, raw: bool = False, **_kw: Any) -> None:
    if raw:
        return
    old = instance.__dict__.pop("_warta_cache_old_slug", None)
    bump({"site", "all", f"cat:{instance.slug}", *([f"cat:{old}"] if old else [])})


@_when_enabled
def _tag_changed(sender: Any, instance: Any, raw: bool = False, **_kw: Any) -> None:
    if not raw:
        bump({"site", f"tag:{instance.slug}"})


@_when_enabled
def _source_pre_save(sender: Any, instance: Any, raw: bool = False, **_kw: Any) -> None:
    if raw or instance.pk is None:
        return
    old = type(instance).objects.filter(pk=instance.pk).values(*_SOURCE_FIELDS).first()
    new = {f: getattr(instance, f, None) for f in _SOURCE_FIELDS}
    instance._warta_cache_shown_changed = old is not None and old != new


@_when_enabled
def _source_saved(sender: Any, instance: Any, raw: bool = False, **_kw: Any) -> None:
    # sources are saved on every poll; only a change readers see invalidates pages
    if not raw and instance.__dict__.pop("_warta_cache_shown_changed", False):
        bump({"site", f"source:{instance.pk}"})


def connect_signals() -> None:
    """Connect the invalidation handlers (``SiteConfig.ready``: every process, the
    pipeline's too, so its saves reach the shared version store)."""
    from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save

    from warta.newsroom.models import Category, Correction, Post, Source, Tag, Translation

    uid = "warta-site-cache"
    pre_save.connect(_post_pre_save, sender=Post, dispatch_uid=uid)
    post_save.connect(_post_saved, sender=Post, dispatch_uid=uid)
    pre_delete.connect(_post_pre_delete, sender=Post, dispatch_uid=uid)
    m2m_changed.connect(_post_tags_changed, sender=Post.tags.through, dispatch_uid=uid)
    post_save.connect(_translation_saved, sender=Translation, dispatch_uid=uid)
    post_save.connect(_correction_changed, sender=Correction, dispatch_uid=uid)
    post_delete.connect(_correction_changed, sender=Correction, dispatch_uid=uid)
    pre_save.connect(_category_pre_save, sender=Category, dispatch_uid=uid)
    post_save.connect(_category_changed, sender=Category, dispatch_uid=uid)
    post_delete.connect(_category_changed, sender=Category, dispatch_uid=uid)
    post_save.connect(_tag_changed, sender=Tag, dispatch_uid=uid)
    post_delete.connect(_tag_changed, sender=Tag, dispatch_uid=uid)
    pre_save.connect(_source_pre_save, sender=Source, dispatch_uid=uid)
    post_save.connect(_source_saved, sender=Source, dispatch_uid=uid)
