"""Polite HTTP fetching: conditional GET, bounded bodies, redirects, back-off decisions.

``fetch_url`` is the one door to the network for feeds and pages. It never raises anything
but :class:`~warta.core.errors.FetchError` (or its subclass :class:`HTTPStatusError`), and
its messages are written for the operator ("HTTP 404 Not Found", "timed out after 20 s").

Every connection goes through a :class:`~warta.core.net.NetworkGuard` (no private or
loopback addresses unless allowed, checked on every redirect hop), requests to one host are
bounded by :func:`~warta.core.net.host_slot`, bodies by a size cap on the wire and a
decompression cap (gzip bombs). :class:`RobotsCache` answers "may warta fetch this page",
and :func:`decode_feed_bytes` settles charset conflicts before a feed is parsed.

``retry_delay`` is a pure decision (no I/O, no clock unless Retry-After is an HTTP date):
how long to wait before retrying any failed pipeline stage.
"""

from __future__ import annotations

import codecs
import contextlib
import email.utils
import functools
import os
import random
import re
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import certifi
import httpx

from warta import __version__
from warta.core.errors import FetchError
from warta.core.net import GuardedBackend, NetworkGuard, host_slot

PROJECT_URL = "https://github.com/warta-news/warta"
DEFAULT_UA = f"warta/{__version__} (+{PROJECT_URL})"
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


def user_agent_for(configured: str = "", contact_url: str = "") -> str:
    """The User-Agent warta sends: ``fetch.user_agent`` verbatim when set, else
    ``warta/<version> (+<contact URL>)`` so a site's operator can find who is fetching
    (``fetch.contact_url``, default the project's page)."""
    if configured.strip():
        return configured.strip()
    return f"warta/{__version__} (+{contact_url.strip() or PROJECT_URL})"


def fetch_options(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """``fetch_url``'s keyword arguments from warta's settings (the ``fetch.*`` keys):
    timeout, size cap, User-Agent, the SSRF guard and the per-host limit. Raises
    ConfigError for a bad ``fetch.allow_private``."""
    return {"timeout": float(cfg["fetch.timeout"]), "max_bytes": int(cfg["fetch.max_bytes"]),
            "user_agent": user_agent_for(cfg["fetch.user_agent"], cfg["fetch.contact_url"]),
            "guard": _guard_for(str(cfg["fetch.allow_private"])),
            "per_host": int(cfg["fetch.per_host"])}


@functools.lru_cache(maxsize=8)
def _guard_for(setting: str) -> NetworkGuard:
    return NetworkGuard.from_setting(setting)


@functools.lru_cache(maxsize=1)
def _tls_context() -> ssl.SSLContext:
    """One verifying TLS context for every client: building one reads the whole CA bundle
    (tens to hundreds of milliseconds), far more than a fetch from a nearby server takes.
    An ``SSLContext`` is safe to share between connections and threads."""
    return ssl.create_default_context(cafile=certifi.where())


def make_client(*, timeout: float = 20.0, user_agent: str = DEFAULT_UA,
                guard: NetworkGuard | None = None) -> httpx.Client:
    """A shared client for many fetches: pooled connections, warta's User-Agent, no
    automatic redirects (``fetch_url`` follows them itself to check schemes and record
    permanent moves), and every connection checked by ``guard`` (default: public
    addresses only). The caller closes it."""
    transport = httpx.HTTPTransport(
        verify=_tls_context(),
        limits=httpx.Limits(max_connections=20, max_keepalive_connections=10))
    # httpx takes no network backend; its pool does. Every socket the client opens, on
    # every redirect hop, goes through the guard.
    transport._pool._network_backend = GuardedBackend(guard or NetworkGuard())
    return httpx.Client(
        timeout=httpx.Timeout(timeout),
        headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"},
        follow_redirects=False,
        trust_env=False,
        transport=transport,
    )


_shared: dict[tuple[int, str, int], tuple[NetworkGuard, httpx.Client]] = {}
_shared_lock = threading.Lock()
_DEFAULT_GUARD = NetworkGuard()


def shared_client(*, user_agent: str = DEFAULT_UA, guard: NetworkGuard | None = None
                  ) -> httpx.Client:
    """The process's pooled client for ``user_agent`` and this ``guard`` object (by
    identity: guards equal in value may resolve names differently), made on first use
    and never closed: connections to a host are kept alive and reused (httpx drops them
    after 5 s idle), so polling many feeds of one server costs one TCP (and TLS)
    handshake, not one per feed. Safe to share between threads; a forked process makes
    its own (the key holds the process id). Each request still sets its own timeout."""
    guard = guard or _DEFAULT_GUARD
    key = (os.getpid(), user_agent, id(guard))
    with _shared_lock:
        found = _shared.get(key)
        if found is not None and found[0] is guard:
            return found[1]
        if len(_shared) >= 16:  # guards made per call (tests, one-off use): start over;
            _shared.clear()  # not closed, a thread may be using one: its sockets go with it
        client = make_client(user_agent=user_agent, guard=guard)
        _shared[key] = (guard, client)
        return client


def fetch_url(
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    timeout: float = 20.0,
    max_bytes: int = 10_000_000,
    user_agent: str = DEFAULT_UA,
    client: httpx.Client | None = None,
    guard: NetworkGuard | None = None,
    per_host: int = 0,
) -> FetchResult:
    """GET ``url`` politely and return the whole body.

    Sends If-None-Match/If-Modified-Since from ``etag``/``last_modified``; a 304 gives
    ``not_modified=True`` and empty content. Follows at most 5 redirects (http/https only).
    The body is limited to ``max_bytes`` on the wire and again *after* decompression,
    whatever Content-Length says, and the whole fetch to about ``timeout`` seconds.
    Connections are checked by ``guard`` (default: public addresses only; a ``client``
    brings its own from :func:`make_client`; without one, the process's pooled client for
    ``user_agent`` and ``guard`` is used: :func:`shared_client`), and at most ``per_host``
    requests (0: no limit) run at once per host in this process.

    Raises FetchError ("could not connect", "timed out after 20 s", "too many redirects",
    "response larger than 10 MB", ...), BlockedAddressError ("refused: ... a private
    address") or HTTPStatusError ("HTTP 404 Not Found").
    """
    _check_scheme(url, url)
    headers = {"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    http = client if client is not None else shared_client(user_agent=user_agent, guard=guard)
    return _fetch(http, url, headers, timeout, max_bytes, etag, last_modified, per_host)


def _fetch(
    http: httpx.Client,
    url: str,
    headers: dict[str, str],
    timeout: float,
    max_bytes: int,
    etag: str | None,
    last_modified: str | None,
    per_host: int,
) -> FetchResult:
    deadline = time.monotonic() + timeout
    current, moved_to, all_permanent = url, None, True
    for _hop in range(MAX_REDIRECTS + 1):
        try:
            with (host_slot(urlsplit(current).hostname or "", per_host),
                  http.stream("GET", current, headers=headers, timeout=timeout) as resp):
                if resp.status_code in _REDIRECT_STATUSES and "location" in resp.headers:
                    _drain(resp)
                    try:
                        target = urljoin(current, resp.headers["location"])
                    except ValueError as e:  # a malformed host ("//[")
                        raise FetchError(current, "redirected to an invalid URL") from e
                    _check_scheme(url, target)
                    all_permanent = all_permanent and resp.status_code in _PERMANENT_STATUSES
                    moved_to = target if all_permanent else None
                    current = target
                    continue
                if resp.status_code == 304:
                    _drain(resp)
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


def _drain(resp: httpx.Response) -> None:
    """Finish a response whose body is not wanted, so its connection goes back to the
    pool instead of being closed: a 304 (no body, by the protocol) or a redirect that
    declares an empty one. Any other body is left unread and its connection closed: a
    server could drip even a short one out slowly, and a poll must not wait for it."""
    if resp.status_code != 304 and resp.headers.get("content-length", "").strip() != "0":
        return
    with contextlib.suppress(httpx.HTTPError):  # the connection is then simply not reused
        for _raw in resp.iter_raw(_CHUNK):
            pass


def _check_scheme(url: str, target: str) -> None:
    try:
        scheme = urlsplit(target).scheme.lower()
    except ValueError as e:  # a malformed host ("http://[::1")
        raise FetchError(url, "invalid URL") from e
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
    coding = resp.headers.get("content-encoding", "")
    decoder = _make_decoder(coding, url)
    compressed = coding.strip().lower() not in ("", "identity")
    out = bytearray()
    wire = 0
    for raw in resp.iter_raw(_CHUNK):
        if time.monotonic() > deadline:
            raise FetchError(url, f"timed out after {timeout:g} s")
        wire += len(raw)
        if wire > max_bytes:
            raise FetchError(url, f"response larger than {_human_size(max_bytes)}")
        for piece in decoder(raw, max_bytes + 1 - len(out)):
            out += piece
            if len(out) > max_bytes:
                if compressed:
                    raise FetchError(url, f"response larger than {_human_size(max_bytes)} "
                                          f"once decompressed ({_human_size(wire)} "
                                          "compressed: a gzip bomb?)")
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


@dataclass(frozen=True)
class RobotsVerdict:
    """May warta fetch the page? ``reason`` says why not; ``retry`` is True when the
    answer may change soon (robots.txt unreachable), False when the site forbids it."""

    allowed: bool
    reason: str = ""
    retry: bool = False


class RobotsCache:
    """robots.txt (RFC 9309) per origin (scheme, host, port), shared by the threads of a
    process. A robots.txt is fetched at most once per ``ttl`` seconds per origin (an
    unreachable one is asked again after ``error_ttl``). 2xx: its rules for ``token``
    apply; 4xx (none there): everything is allowed; 5xx or a failed fetch: nothing is,
    until it can be read (the RFC's "complete disallow"), as a retryable verdict."""

    def __init__(self, *, token: str = "warta", ttl: float = 3600, error_ttl: float = 300,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.token, self.ttl, self.error_ttl, self.clock = token, ttl, error_ttl, clock
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, RobotFileParser | None, str]] = {}

    def check(self, url: str, fetch: Callable[[str], FetchResult]) -> RobotsVerdict:
        """The verdict for ``url``; ``fetch`` gets robots.txt (e.g. ``fetch_url`` with the
        caller's guard and limits) when it is not cached."""
        parts = urlsplit(url)
        origin = f"{parts.scheme.lower()}://{(parts.netloc or '').lower()}"
        with self._lock:
            cached = self._cache.get(origin)
        if cached is None or cached[0] <= self.clock():
            cached = self._load(origin, fetch)
            with self._lock:
                self._cache[origin] = cached
        _expires, rules, error = cached
        if error:
            return RobotsVerdict(False, f"robots.txt could not be read ({error}): the page "
                                        "is fetched once it can be", retry=True)
        if rules is None or rules.can_fetch(self.token, url):
            return RobotsVerdict(True)
        return RobotsVerdict(False, f"robots.txt of {parts.hostname} disallows this page for "
                                    f"{self.token}")

    def _load(self, origin: str, fetch: Callable[[str], FetchResult]
              ) -> tuple[float, RobotFileParser | None, str]:
        now = self.clock()
        try:
            got = fetch(f"{origin}/robots.txt")
        except HTTPStatusError as e:
            if e.status is not None and 400 <= e.status < 500:
                return now + self.ttl, None, ""
            return now + self.error_ttl, None, f"HTTP {e.status}"
        except FetchError as e:
            return now + self.error_ttl, None, str(e)
        rules = RobotFileParser()
        rules.parse(got.content.decode("utf-8", errors="replace").splitlines())
        return now + self.ttl, rules, ""


_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:\-]+)["']""")
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))
# Labels servers attach by default (Apache's AddDefaultCharset, text/xml's old default):
# when the bytes are valid UTF-8 with non-ASCII characters, the label is the one lying.
_CATCH_ALL = frozenset({"iso8859-1", "ascii", "cp1252"})  # Python's canonical codec names


def decode_feed_bytes(content: bytes, http_charset: str | None = None) -> tuple[bytes, str]:
    """Settle a feed's encoding before parsing: returns the body as UTF-8 (BOM dropped,
    the XML declaration saying utf-8) and the encoding it was read in ("" when the bytes
    are left to the parser: gzip bytes, or UTF-16/32 without a BOM).

    Order (RFC 7303, as browsers and tolerant feed readers apply it): a BOM wins; then the
    HTTP charset, then the XML declaration — each only when the bytes decode in it strictly,
    and a catch-all single-byte label (ISO-8859-1, windows-1252, ASCII) loses to valid
    UTF-8; then UTF-8; then a statistical guess. Never raises."""
    if content[:2] == b"\x1f\x8b":
        return content, ""
    for bom, name in _BOMS:
        if content.startswith(bom):
            text = content.decode(name, errors="replace").lstrip("\ufeff")
            return _declare_utf8(text), name
    if b"\x00" in content[:64]:
        return content, ""
    match = _XML_DECL.match(content[:512])
    labels = [_codec(http_charset), _codec(match.group(1).decode("ascii") if match else None)]
    try:
        content.decode("ascii")
        return _declare_utf8(content.decode("ascii")), "ascii"
    except UnicodeDecodeError:
        pass
    utf8_ok = _decodes(content, "utf-8")
    for label in labels:
        if label is None:
            continue
        if utf8_ok and label in _CATCH_ALL:
            return _declare_utf8(content.decode("utf-8")), "utf-8"
        if _decodes(content, label):
            return _declare_utf8(content.decode(_python_codec(label))), label
    if utf8_ok:
        return _declare_utf8(content.decode("utf-8")), "utf-8"
    from warta.core.encoding import decode_html

    return _declare_utf8(decode_html(content)), "guessed"


def _codec(label: str | None) -> str | None:
    """A known codec's canonical Python name, or None for an unknown or missing one."""
    if not label:
        return None
    try:
        return codecs.lookup(label.strip().strip("\"'")).name
    except (LookupError, ValueError):  # ValueError: a NUL in the name
        return None


def _python_codec(label: str) -> str:
    # WHATWG: an ISO-8859-1 label is read as windows-1252 (its C1 range is printable there)
    return "cp1252" if label in ("iso8859-1", "ascii") else label


def _decodes(content: bytes, label: str) -> bool:
    try:
        content.decode(_python_codec(label))
    except (UnicodeError, LookupError):  # UnicodeError: the "undefined" codec, idna ...
        return False
    return True


def _declare_utf8(text: str) -> bytes:
    """``text`` as UTF-8 bytes, its XML declaration (if any) now saying so."""
    fixed = re.sub(r"""^(\s*<\?xml[^>]*?encoding\s*=\s*["'])[^"']*(["'])""", r"\1utf-8\2",
                   text, count=1)
    return fixed.encode("utf-8")


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
