"""Polite HTTP fetching: conditional GET, bounded bodies, redirects, back-off decisions.

``fetch_url`` is the one door to the network for feeds and pages. It never raises anything
but :class:`~warta.core.errors.FetchError` (or its subclass :class:`HTTPStatusError`), and
its messages are written for the operator ("HTTP 404 Not Found", "timed out after 20 s").

``retry_delay`` is a pure decision (no I/O, no clock unless Retry-After is an HTTP date):
how long to wait before retrying any failed pipeline stage.
"""

from __future__ import annotations

import email.utils
import random
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import httpx

from warta import __version__
from warta.core.errors import FetchError

DEFAULT_UA = f"warta/{__version__} (+https://github.com/warta-news/warta)"
MAX_REDIRECTS = 5
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_PERMANENT_STATUSES = frozenset({301, 308})
_ALLOWED_SCHEMES = frozenset({"http", "https"})
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class FetchResult:
    """A completed fetch. ``url`` is the final URL after redirects; ``headers`` keys are
    lower-case; ``content`` is the decoded (decompressed) body, empty when ``not_modified``.
    ``permanent_redirect_to`` is set when the requested URL moved permanently (301/308
    on every hop): the caller should store the new URL."""

    status: int
    url: str
    content: bytes
    headers: dict[str, str]
    etag: str | None
    last_modified: str | None
    content_type: str | None
    encoding: str | None
    not_modified: bool
    permanent_redirect_to: str | None


class HTTPStatusError(FetchError):
    """The server answered with an error status (4xx/5xx). ``retry_after`` is the raw
    Retry-After header, if any, for :func:`retry_delay`."""

    def __init__(self, url: str, status: int, reason: str, retry_after: str | None) -> None:
        self.retry_after = retry_after
        super().__init__(url, f"HTTP {status} {reason}".rstrip(), status)


def make_client(*, timeout: float = 20.0, user_agent: str = DEFAULT_UA) -> httpx.Client:
    """A shared client for many fetches: pooled connections, warta's User-Agent, no
    automatic redirects (``fetch_url`` follows them itself to check schemes and record
    permanent moves). The caller closes it."""
    return httpx.Client(
        timeout=httpx.Timeout(timeout),
        limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
        headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"},
        follow_redirects=False,
        trust_env=False,
    )


def fetch_url(
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    timeout: float = 20.0,
    max_bytes: int = 10_000_000,
    user_agent: str = DEFAULT_UA,
    client: httpx.Client | None = None,
) -> FetchResult:
    """GET ``url`` politely and return the whole body.

    Sends If-None-Match/If-Modified-Since from ``etag``/``last_modified``; a 304 gives
    ``not_modified=True`` and empty content. Follows at most 5 redirects (http/https only).
    The body is limited to ``max_bytes`` *after* decompression, whatever Content-Length
    says, and the whole fetch to about ``timeout`` seconds.

    Raises FetchError ("could not connect", "timed out after 20 s", "too many redirects",
    "response larger than 10 MB", ...) or HTTPStatusError ("HTTP 404 Not Found").
    """
    _check_scheme(url, url)
    headers = {"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    own = client is None
    http = client if client is not None else make_client(timeout=timeout, user_agent=user_agent)
    try:
        return _fetch(http, url, headers, timeout, max_bytes, etag, last_modified)
    finally:
        if own:
            http.close()


def _fetch(
    http: httpx.Client,
    url: str,
    headers: dict[str, str],
    timeout: float,
    max_bytes: int,
    etag: str | None,
    last_modified: str | None,
) -> FetchResult:
    deadline = time.monotonic() + timeout
    current, moved_to, all_permanent = url, None, True
    for _hop in range(MAX_REDIRECTS + 1):
        try:
            with http.stream("GET", current, headers=headers, timeout=timeout) as resp:
                if resp.status_code in _REDIRECT_STATUSES and "location" in resp.headers:
                    target = urljoin(current, resp.headers["location"])
                    _check_scheme(url, target)
                    all_permanent = all_permanent and resp.status_code in _PERMANENT_STATUSES
                    moved_to = target if all_permanent else None
                    current = target
                    continue
                if resp.status_code == 304:
                    return _result(resp, b"", moved_to, etag, last_modified)
                if resp.status_code >= 400:
                    raise HTTPStatusError(
                        current,
                        resp.status_code,
                        resp.reason_phrase,
                        resp.headers.get("retry-after"),
                    )
                body = _read_body(resp, current, max_bytes, deadline, timeout)
                return _result(resp, body, moved_to, None, None)
        except httpx.HTTPError as e:
            raise _wrap_httpx_error(current, e, timeout) from e
    raise FetchError(url, "too many redirects")


def _check_scheme(url: str, target: str) -> None:
    scheme = urlsplit(target).scheme.lower()
    if scheme not in _ALLOWED_SCHEMES:
        shown = scheme or "no scheme"
        raise FetchError(url, f"unsupported URL scheme ({shown}): only http and https")


def _wrap_httpx_error(url: str, e: httpx.HTTPError, timeout: float) -> FetchError:
    """httpx's exceptions, once, into messages a person understands."""
    if isinstance(e, httpx.TimeoutException):
        return FetchError(url, f"timed out after {timeout:g} s")
    if isinstance(e, httpx.ConnectError):
        return FetchError(url, "could not connect")
    if isinstance(e, httpx.DecodingError):
        return FetchError(url, "could not decode the response body")
    if isinstance(e, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return FetchError(url, "invalid URL")
    detail = str(e) or type(e).__name__
    return FetchError(url, f"HTTP error: {detail}")


def _result(
    resp: httpx.Response,
    body: bytes,
    moved_to: str | None,
    etag: str | None,
    last_modified: str | None,
) -> FetchResult:
    """Build the result; on 304 the stored validators are kept when the server omits them."""
    headers = {k.lower(): v for k, v in resp.headers.items()}
    content_type, encoding = _split_content_type(headers.get("content-type"))
    return FetchResult(
        status=resp.status_code,
        url=str(resp.url),
        content=body,
        headers=headers,
        etag=headers.get("etag", etag),
        last_modified=headers.get("last-modified", last_modified),
        content_type=content_type,
        encoding=encoding,
        not_modified=resp.status_code == 304,
        permanent_redirect_to=moved_to,
    )


def _split_content_type(value: str | None) -> tuple[str | None, str | None]:
    """``"text/xml; charset=UTF-8"`` → ``("text/xml", "utf-8")``."""
    if not value:
        return None, None
    mime, _, params = value.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, val = param.partition("=")
        if key.strip().lower() == "charset" and val.strip():
            charset = val.strip().strip("\"'").lower()
    return mime.strip().lower() or None, charset


def _read_body(
    resp: httpx.Response, url: str, max_bytes: int, deadline: float, timeout: float
) -> bytes:
    """Stream the raw body, decompressing in bounded steps so a gzip bomb or a lying
    Content-Length is caught after at most ``max_bytes`` (+ one chunk) of output."""
    declared = resp.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(url, f"response larger than {_human_size(max_bytes)}")
    decoder = _make_decoder(resp.headers.get("content-encoding", ""), url)
    out = bytearray()
    for raw in resp.iter_raw(_CHUNK):
        if time.monotonic() > deadline:
            raise FetchError(url, f"timed out after {timeout:g} s")
        for piece in decoder(raw, max_bytes + 1 - len(out)):
            out += piece
            if len(out) > max_bytes:
                raise FetchError(url, f"response larger than {_human_size(max_bytes)}")
    return bytes(out)


Decoder = Callable[[bytes, int], Iterator[bytes]]


def _make_decoder(content_encoding: str, url: str) -> Decoder:
    """A decoder for the Content-Encoding: yields output pieces, never more than
    ``budget`` bytes of output per call beyond which the caller stops anyway."""
    codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    if not codings:
        return lambda data, budget: iter((data,))
    if len(codings) > 1 or codings[0] not in ("gzip", "x-gzip", "deflate"):
        raise FetchError(url, f"unsupported Content-Encoding: {content_encoding}")
    wbits = 16 + zlib.MAX_WBITS if codings[0] in ("gzip", "x-gzip") else zlib.MAX_WBITS
    return _ZlibDecoder(wbits, url).feed


class _ZlibDecoder:
    """Incremental gzip/deflate with a bound on each step's output (bomb-proof)."""

    def __init__(self, wbits: int, url: str) -> None:
        self._url = url
        self._wbits = wbits
        self._d = zlib.decompressobj(wbits)
        self._started = False

    def feed(self, data: bytes, budget: int) -> Iterator[bytes]:
        """Decompress ``data``; an empty ``data`` flushes what the decompressor holds."""
        try:
            if not data:
                yield self._d.flush()
                return
            while data:
                piece = self._d.decompress(data, max(budget, 1))
                self._started = True
                budget -= len(piece)
                yield piece
                data = self._d.unconsumed_tail or self._next_member()
                if budget <= 0:
                    return
        except zlib.error as e:
            if not self._started and self._wbits == zlib.MAX_WBITS:
                # Some servers send raw deflate (no zlib header) as "deflate".
                self._d, self._wbits = zlib.decompressobj(-zlib.MAX_WBITS), -zlib.MAX_WBITS
                yield from self.feed(data, budget)
                return
            raise FetchError(self._url, "could not decode the response body") from e

    def _next_member(self) -> bytes:
        """Concatenated gzip members: continue with a fresh decompressor."""
        if self._d.eof and self._d.unused_data:
            rest = self._d.unused_data
            self._d = zlib.decompressobj(self._wbits)
            return rest
        return b""


def _human_size(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000} MB"
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000} kB"
    return f"{n} bytes"


def retry_delay(
    error_count: int,
    *,
    base: float = 60,
    cap: float = 6 * 3600,
    retry_after: str | None = None,
    rng: Callable[[], float] = random.random,
    now: datetime | None = None,
) -> float:
    """Seconds to wait before retry number ``error_count`` (1 = after the first failure).

    Exponential back-off ``base * 2**(error_count-1)`` with ±25 % jitter from ``rng``
    (in [0, 1)), never above ``cap``. A Retry-After header (delta-seconds or HTTP-date,
    compared with ``now``, default the current UTC time) is honoured as a minimum, itself
    capped at ``cap``. ``error_count < 1`` means no back-off: 0 (or Retry-After).
    """
    backoff = 0.0
    if error_count >= 1:
        raw = base * 2.0 ** min(error_count - 1, 40)
        backoff = min(cap, raw * (0.75 + 0.5 * rng()))
    server = _parse_retry_after(retry_after, now or datetime.now(UTC))
    if server is not None:
        backoff = max(backoff, min(cap, server))
    return backoff


def _parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds from ``now``; unparseable values are ignored (None)."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())
