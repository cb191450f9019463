"""The fast lane: repeated requests for cached pages answered before Django.

A page served from the page cache (``cache.PageCacheMiddleware``) still costs Django's
request object, URL resolution, the middleware above the cache, a response object and
unpickling the cached entry — several hundred microseconds, most of a cached hit. This
WSGI layer sits in front of Django (``warta.wsgi.application``) and keeps, per process,
the exact answer the full stack gave for a cached page: its status line, every header and
the bytes. The next request of the same shape gets that answer at once, after the same
checks the page cache makes:

- the page's dependency tags still have the versions it was rendered with (from memory
  while the version store's generation token is unchanged, ``VersionFileCache.current``),
  so an edit, a kill or a new story on a list reaches the next request, whichever process
  made it;
- the posts' fingerprint, at most every ``site.cache_check_seconds`` (the safety net for
  changes made without signals);
- the page cache's own expiry (``site.cache_seconds``);
- for a search page, that every story it shows is still visible (one primary-key query,
  as the search page cache checks).

Only what the full stack already answered from a cache is kept (a plain ``GET`` hit of the
page cache, 200 or 410, or of the search page cache), keyed by everything Django reads
from such a request: path, query string, host and the scheme and forwarding headers.
Anything else — another method, ``HEAD``, a conditional request
(``If-None-Match``/``If-Modified-Since``: the stack answers 304), a page never seen, a
response with a cookie or a ``Vary`` header — goes through Django as before, so its host
validation, redirects and 304s stay Django's. An article served here still counts for
"most read".

At most ``site.fast_lane_mb`` MiB of pages per process (oldest dropped first); ``0``
turns the fast lane off.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

# what Django's answer to a cached GET can depend on besides the page itself
_KEY_FIELDS = (
    "PATH_INFO",
    "QUERY_STRING",
    "SCRIPT_NAME",
    "HTTP_HOST",
    "SERVER_NAME",
    "SERVER_PORT",
    "wsgi.url_scheme",
    "HTTPS",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_FORWARDED_SSL",
)
_CONDITIONAL = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE")

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


@dataclass(frozen=True)
class _Answer:
    deps: dict[str, str]
    expires: float
    status: str
    headers: list[tuple[str, str]]
    body: bytes
    view: str | None  # the article slug to count for "most read", if any
    verify: Callable[[], bool] | None = None  # one more check before each answer


class _Store:
    """The kept answers of this process, oldest dropped first beyond the byte budget.
    Reads take no lock (a dict look-up is atomic); writes do."""

    def __init__(self) -> None:
        self.answers: dict[tuple[Any, ...], _Answer] = {}
        self.size = 0
        self.lock = threading.Lock()

    def put(self, key: tuple[Any, ...], answer: _Answer, budget: int) -> None:
        size = len(answer.body)
        if size > budget // 8:
            return  # one huge page must not flush everything else
        with self.lock:
            old = self.answers.pop(key, None)
            if old is not None:
                self.size -= len(old.body)
            self.answers[key] = answer
            self.size += size
            while self.size > budget and self.answers:
                dropped = self.answers.pop(next(iter(self.answers)))
                self.size -= len(dropped.body)

    def drop(self, key: tuple[Any, ...], answer: _Answer) -> None:
        with self.lock:
            if self.answers.get(key) is answer:
                del self.answers[key]
                self.size -= len(answer.body)

    def clear(self) -> None:
        with self.lock:
            self.answers.clear()
            self.size = 0


_store = _Store()


def clear() -> None:
    """Forget every kept answer of this process (with ``cache.clear_page_cache``)."""
    _store.clear()


def budget_bytes() -> int:
    from django.conf import settings

    return int(float(settings.WARTA.get("site.fast_lane_mb", 32)) * 1024 * 1024)


def _key(environ: dict[str, Any]) -> tuple[Any, ...] | None:
    if environ.get("REQUEST_METHOD") != "GET":
        return None
    for name in _CONDITIONAL:
        if name in environ:
            return None
    return tuple(environ.get(f) for f in _KEY_FIELDS)


def _still_good(answer: _Answer) -> bool:
    from warta.site import cache

    if time.time() >= answer.expires or cache.page_cache_seconds() <= 0:
        return False
    cache.check_fingerprint()
    if not cache.versions_match(answer.deps):
        return False
    return answer.verify is None or answer.verify()


class FastLane:
    """WSGI middleware: ``FastLane(django_wsgi_app)``; see the module's docstring."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        key = _key(environ)
        if key is None:
            return self.app(environ, start_response)
        answer = _store.answers.get(key)
        if answer is not None:
            try:
                good = _still_good(answer)
            except Exception:  # the full stack decides, and logs what is wrong
                log.debug("fast lane check failed", exc_info=True)
                good = False
            if good:
                if answer.view is not None:
                    from warta.site.cache import count_view

                    count_view(answer.view)
                start_response(answer.status, list(answer.headers))
                return [answer.body]
            _store.drop(key, answer)
        return self._through(key, environ, start_response)

    def _through(self, key: tuple[Any, ...], environ: dict[str, Any],
                 start_response: StartResponse) -> Iterable[bytes]:
        """The full stack; its answer is kept when the page cache answered it."""
        seen: list[Any] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen[:] = [status, headers]
            return start_response(status, headers, exc_info)

        result = self.app(environ, capture)
        from warta.site.cache import FAST_LANE_KEY

        mark = environ.get(FAST_LANE_KEY)
        if mark is None or not seen:
            return result
        status, headers = seen
        names = {name.lower() for name, _ in headers}
        budget = budget_bytes()
        if budget <= 0 or "set-cookie" in names or "vary" in names:
            return result
        _store.put(key, _Answer(dict(mark.deps), mark.expires, status, list(headers),
                                mark.body, mark.view, mark.verify), budget)
        return result
