"""fetch_url against a real HTTP server on 127.0.0.1; retry_delay as a pure function."""

from __future__ import annotations

import contextlib
import functools
import gzip
import socket
import threading
import time
import zlib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.support.httpserver import LocalHTTPServer, Request
from warta.core.errors import FetchError
from warta.core.fetch import (
    DEFAULT_UA,
    HTTPStatusError,
    retry_delay,
    shared_client,
)
from warta.core.fetch import fetch_url as _fetch_url
from warta.core.fetch import make_client as _make_client
from warta.core.net import NetworkGuard

# The local test server is on 127.0.0.1, which the SSRF guard refuses unless allowed.
LOCAL = NetworkGuard.from_setting("127.0.0.1")
fetch_url = functools.partial(_fetch_url, guard=LOCAL)
make_client = functools.partial(_make_client, guard=LOCAL)

FEED = b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title></channel></rss>"


def test_ok_returns_body_headers_and_charset(http_server: LocalHTTPServer) -> None:
    url = http_server.add(
        "/feed.xml",
        FEED,
        headers={"Content-Type": "application/rss+xml; charset=ISO-8859-1", "ETag": '"v1"'},
    )
    result = fetch_url(url)
    assert result.status == 200
    assert result.content == FEED
    assert result.url == url
    assert result.content_type == "application/rss+xml"
    assert result.encoding == "iso-8859-1"
    assert result.etag == '"v1"'
    assert result.headers["etag"] == '"v1"'
    assert not result.not_modified
    assert result.permanent_redirect_to is None
    assert http_server.requests[0].headers["user-agent"] == DEFAULT_UA
    assert DEFAULT_UA.startswith("warta/")


def test_304_sends_validators_and_reports_not_modified(http_server: LocalHTTPServer) -> None:
    def handler(req: Request) -> tuple[int, dict[str, str], bytes]:
        if req.headers.get("if-none-match") == '"v1"':
            return 304, {}, b""
        return 200, {"ETag": '"v1"'}, FEED

    url = http_server.add("/feed.xml", handler=handler)
    lm = "Sat, 09 Sep 2023 07:05:00 GMT"
    result = fetch_url(url, etag='"v1"', last_modified=lm)
    sent = http_server.requests[-1].headers
    assert sent["if-none-match"] == '"v1"'
    assert sent["if-modified-since"] == lm
    assert result.status == 304
    assert result.not_modified
    assert result.content == b""
    # the server did not repeat the validators: the stored ones are kept
    assert result.etag == '"v1"'
    assert result.last_modified == lm


def test_no_validators_sent_on_first_fetch(http_server: LocalHTTPServer) -> None:
    fetch_url(http_server.add("/f", FEED))
    sent = http_server.requests[0].headers
    assert "if-none-match" not in sent
    assert "if-modified-since" not in sent


def test_permanent_redirect_is_recorded(http_server: LocalHTTPServer) -> None:
    new = http_server.add("/new.xml", FEED)
    http_server.add("/old.xml", status=301, headers={"Location": "/new.xml"})
    result = fetch_url(http_server.url("/old.xml"))
    assert result.content == FEED
    assert result.url == new
    assert result.permanent_redirect_to == new


def test_temporary_redirect_is_followed_but_not_recorded(http_server: LocalHTTPServer) -> None:
    new = http_server.add("/new.xml", FEED)
    http_server.add("/moved", status=301, headers={"Location": "/tmp"})
    http_server.add("/tmp", status=302, headers={"Location": "/new.xml"})
    result = fetch_url(http_server.url("/moved"))
    assert result.url == new
    assert result.permanent_redirect_to is None


def test_redirect_loop_is_too_many_redirects(http_server: LocalHTTPServer) -> None:
    http_server.add("/a", status=302, headers={"Location": "/b"})
    http_server.add("/b", status=302, headers={"Location": "/a"})
    with pytest.raises(FetchError, match="too many redirects"):
        fetch_url(http_server.url("/a"))
    assert len(http_server.requests) == 6  # the request and 5 redirects


def test_redirect_to_other_scheme_is_refused(http_server: LocalHTTPServer) -> None:
    http_server.add("/a", status=302, headers={"Location": "file:///etc/passwd"})
    with pytest.raises(FetchError, match="only http and https"):
        fetch_url(http_server.url("/a"))


def test_redirect_to_a_malformed_url_is_a_fetch_error(http_server: LocalHTTPServer) -> None:
    """urljoin raised ValueError on a Location whose host is a broken IPv6 literal, out of
    fetch_url (which raises FetchError only) and out of the poll round."""
    http_server.add("/a", status=301, headers={"Location": "//["})
    with pytest.raises(FetchError, match="redirected to an invalid URL"):
        fetch_url(http_server.url("/a"))
    with pytest.raises(FetchError, match="invalid URL"):
        fetch_url("http://[::1/feed.xml")


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/x", "example.org"])
def test_only_http_and_https(url: str) -> None:
    with pytest.raises(FetchError, match="unsupported URL scheme"):
        fetch_url(url)


def test_404_message(http_server: LocalHTTPServer) -> None:
    with pytest.raises(HTTPStatusError) as info:
        fetch_url(http_server.url("/missing"))
    assert info.value.status == 404
    assert str(info.value).startswith("HTTP 404 Not Found (http://127.0.0.1:")


def test_500_message_and_retry_after(http_server: LocalHTTPServer) -> None:
    url = http_server.add("/boom", b"oops", status=503, headers={"Retry-After": "120"})
    with pytest.raises(FetchError, match=r"^HTTP 503 Service Unavailable") as info:
        fetch_url(url)
    assert isinstance(info.value, HTTPStatusError)
    assert info.value.status == 503
    assert info.value.retry_after == "120"


def test_oversize_body_rejected(http_server: LocalHTTPServer) -> None:
    url = http_server.add("/big", b"x" * 5000)
    with pytest.raises(FetchError, match="response larger than 1 kB"):
        fetch_url(url, max_bytes=1000)
    assert fetch_url(url, max_bytes=5000).content == b"x" * 5000


def test_oversize_body_with_lying_content_length_rejected(http_server: LocalHTTPServer) -> None:
    # Content-Length says 10 bytes; the server then sends 5000 and closes. Whatever httpx
    # makes of the excess, we must not return a body bigger than max_bytes.
    url = http_server.add("/liar", b"x" * 5000, headers={"Content-Length": "10"})
    try:
        result = fetch_url(url, max_bytes=1000)
    except FetchError:
        return
    assert len(result.content) <= 1000


def test_oversize_body_without_content_length_rejected() -> None:
    payload = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + b"y" * 50_000
    with (
        _raw_server(payload) as url,
        pytest.raises(FetchError, match="response larger than 10 kB"),
    ):
        fetch_url(url, max_bytes=10_000)


def test_gzip_is_decoded(http_server: LocalHTTPServer) -> None:
    url = http_server.add("/gz", gzip.compress(FEED), headers={"Content-Encoding": "gzip"})
    assert fetch_url(url).content == FEED


def test_raw_deflate_is_decoded(http_server: LocalHTTPServer) -> None:
    comp = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    body = comp.compress(FEED) + comp.flush()
    url = http_server.add("/deflate", body, headers={"Content-Encoding": "deflate"})
    assert fetch_url(url).content == FEED


def test_gzip_bomb_rejected(http_server: LocalHTTPServer) -> None:
    bomb = gzip.compress(b"\0" * 50_000_000, compresslevel=9)  # ~50 kB on the wire
    assert len(bomb) < 100_000
    url = http_server.add("/bomb", bomb, headers={"Content-Encoding": "gzip"})
    with pytest.raises(FetchError, match="response larger than 10 MB"):
        fetch_url(url)


def test_corrupt_gzip_is_a_fetch_error(http_server: LocalHTTPServer) -> None:
    url = http_server.add("/bad", b"not gzip at all", headers={"Content-Encoding": "gzip"})
    with pytest.raises(FetchError, match="could not decode"):
        fetch_url(url)


def test_connection_refused_is_could_not_connect() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # the socket is closed: nothing listens on that port now
    with pytest.raises(FetchError, match=r"^could not connect"):
        fetch_url(f"http://127.0.0.1:{port}/feed.xml")


def test_timeout_message(http_server: LocalHTTPServer) -> None:
    def slow(req: Request) -> tuple[int, dict[str, str], bytes]:
        time.sleep(2)
        return 200, {}, FEED

    url = http_server.add("/slow", handler=slow)
    with pytest.raises(FetchError, match=r"^timed out after 0\.5 s"):
        fetch_url(url, timeout=0.5)


def test_shared_client_is_reused_and_left_open(http_server: LocalHTTPServer) -> None:
    url = http_server.add("/f", FEED)
    with make_client() as client:
        assert fetch_url(url, client=client).content == FEED
        assert fetch_url(url, client=client).content == FEED
        assert not client.is_closed
    assert http_server.requests[0].headers["user-agent"] == DEFAULT_UA


def test_fetches_from_one_host_reuse_one_connection() -> None:
    """Without a client, fetch_url uses the process's pooled one: a 200, a 304 (finished,
    so its connection is not closed) and a redirect with an empty body to one host all go
    over one TCP connection, as the server sees it (one client port). A redirect with a
    body is not waited for: its connection is closed and the next request opens one."""
    ports: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            ports.append(self.client_address[1])
            if self.path in ("/old", "/chatty"):
                body = b"" if self.path == "/old" else b"moved"
                status, headers = 301, {"Location": "/f"}
            elif self.headers.get("If-None-Match") == '"v1"':
                status, headers, body = 304, {"ETag": '"v1"'}, b""
            else:
                status, headers, body = 200, {"ETag": '"v1"'}, FEED
            self.send_response(status)
            for key, value in {**headers, "Content-Length": str(len(body))}.items():
                self.send_header(key, value)
            self.end_headers()
            if status != 304:
                self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        guard = NetworkGuard.from_setting("127.0.0.1")  # its own: a fresh pooled client
        assert _fetch_url(url + "/f", guard=guard).content == FEED
        assert _fetch_url(url + "/f", guard=guard, etag='"v1"').not_modified
        assert _fetch_url(url + "/old", guard=guard).content == FEED
        assert _fetch_url(url + "/chatty", guard=guard).content == FEED
        assert shared_client(guard=guard) is shared_client(guard=guard)
    finally:
        server.shutdown()
        server.server_close()
    assert len(ports) == 6 and len(set(ports[:5])) == 1 and ports[5] != ports[0], ports


# --- retry_delay ------------------------------------------------------------------------


def test_retry_delay_grows_exponentially_without_jitter() -> None:
    mid = lambda: 0.5  # noqa: E731 - jitter factor exactly 1.0
    delays = [retry_delay(n, rng=mid) for n in range(1, 8)]
    assert delays == [60, 120, 240, 480, 960, 1920, 3840]


def test_retry_delay_is_monotone_with_any_jitter_and_capped() -> None:
    lo, hi = (lambda: 0.0), (lambda: 0.999999)
    for n in range(1, 60):
        assert retry_delay(n + 1, rng=lo) >= retry_delay(n, rng=lo)
        # ±25 % jitter never undoes a doubling: the next is longer even if it drew low
        assert retry_delay(n + 1, rng=lo) >= retry_delay(n, rng=hi)
    assert retry_delay(1000, rng=hi) == 6 * 3600
    assert retry_delay(30, cap=100) <= 100


def test_retry_delay_jitter_stays_within_a_quarter() -> None:
    assert retry_delay(3, rng=lambda: 0.0) == 240 * 0.75
    assert retry_delay(3, rng=lambda: 1.0) == 240 * 1.25


def test_retry_delay_no_errors_no_wait() -> None:
    assert retry_delay(0) == 0.0


def test_retry_delay_honours_retry_after_seconds() -> None:
    assert retry_delay(1, retry_after="900", rng=lambda: 0.5) == 900
    # Retry-After is a minimum, not a ceiling
    assert retry_delay(5, retry_after="10", rng=lambda: 0.5) == 960
    # but an absurd one is capped
    assert retry_delay(1, retry_after="99999999") == 6 * 3600


def test_retry_delay_honours_retry_after_http_date() -> None:
    now = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(minutes=30), usegmt=True)
    assert retry_delay(1, retry_after=later, now=now, rng=lambda: 0.5) == 1800
    past = format_datetime(now - timedelta(hours=1), usegmt=True)
    assert retry_delay(1, retry_after=past, now=now, rng=lambda: 0.5) == 60


def test_retry_delay_ignores_garbage_retry_after() -> None:
    assert retry_delay(2, retry_after="soon, maybe", rng=lambda: 0.5) == 120


# --- helpers ------------------------------------------------------------------------------


class _raw_server:
    """A one-shot TCP server that writes ``payload`` verbatim and closes (for responses
    http.server cannot produce, such as a body without Content-Length)."""

    def __init__(self, payload: bytes) -> None:
        import threading

        self.payload = payload
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        with conn:
            conn.recv(65536)
            with contextlib.suppress(OSError):
                conn.sendall(self.payload)

    def __enter__(self) -> str:
        self.thread.start()
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/"

    def __exit__(self, *exc: object) -> None:
        self.sock.close()
        self.thread.join(timeout=5)
