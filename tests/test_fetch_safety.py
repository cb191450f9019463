"""Fetching safely against a real local server: the SSRF guard (every hop), the
decompression cap, the per-host limit, the User-Agent, robots.txt, charset conflicts."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Callable

import pytest

from tests.support.httpserver import LocalHTTPServer, Request
from warta.core.errors import ConfigError, FetchError
from warta.core.fetch import (
    FetchResult,
    RobotsCache,
    decode_feed_bytes,
    fetch_url,
    user_agent_for,
)
from warta.core.net import BlockedAddressError, NetworkGuard, address_kind

LOCAL = NetworkGuard.from_setting("127.0.0.1")


def test_loopback_is_refused_unless_allowed(http_server: LocalHTTPServer) -> None:
    url = http_server.add("/f", b"ok")
    with pytest.raises(BlockedAddressError, match=r"127\.0\.0\.1 is a loopback address"):
        fetch_url(url)
    assert http_server.requests == []  # refused before any byte was sent
    assert fetch_url(url, guard=LOCAL).content == b"ok"


def test_every_redirect_hop_is_checked(http_server: LocalHTTPServer) -> None:
    # "localhost" is allowed by name; the redirect to 127.0.0.1 is not
    target = http_server.add("/inside", b"secret")
    http_server.add("/r", status=302, headers={"Location": target})
    start = http_server.url("/r").replace("127.0.0.1", "localhost")
    guard = NetworkGuard.from_setting("localhost")
    with pytest.raises(BlockedAddressError, match="loopback"):
        fetch_url(start, guard=guard)
    assert [r.path for r in http_server.requests] == ["/r"]


def test_a_name_resolving_into_the_private_network_is_refused() -> None:
    guard = NetworkGuard(resolver=lambda host, port: ["93.184.215.14", "10.1.2.3"])
    with pytest.raises(BlockedAddressError, match=r"resolves to 10\.1\.2\.3, a private"):
        guard.check_url_host("https://news.example/feed")
    allowed = NetworkGuard(NetworkGuard.from_setting("10.0.0.0/8").networks,
                           resolver=lambda host, port: ["10.1.2.3"])
    allowed.check_url_host("https://wire.internal/feed")


@pytest.mark.parametrize("address,kind", [
    ("127.0.0.2", "loopback"), ("::1", "loopback"), ("169.254.169.254", "link-local"),
    ("192.168.1.1", "private"), ("224.0.0.1", "multicast"), ("0.0.0.0", "unspecified"),
    ("::ffff:10.0.0.1", "private"), ("100.64.0.1", "non-public"), ("8.8.8.8", None),
])
def test_address_kinds(address: str, kind: str | None) -> None:
    import ipaddress

    assert address_kind(ipaddress.ip_address(address)) == kind


def test_a_bad_allow_list_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"fetch\.allow_private"):
        NetworkGuard.from_setting("10.0.0.0/8, not a host")


def test_gzip_bomb_is_stopped_at_the_decompression_cap(http_server: LocalHTTPServer) -> None:
    bomb = gzip.compress(b"\0" * 5_000_000)
    url = http_server.add("/bomb", bomb, headers={"Content-Encoding": "gzip"})
    with pytest.raises(FetchError, match=r"once decompressed .* gzip bomb\?"):
        fetch_url(url, guard=LOCAL, max_bytes=1_000_000)
    assert len(bomb) < 1_000_000  # the wire size alone would have passed


def test_user_agent_carries_the_contact_url(http_server: LocalHTTPServer) -> None:
    url = http_server.add("/f", b"ok")
    ua = user_agent_for("", "https://berita.example/kontak")
    fetch_url(url, guard=LOCAL, user_agent=ua)
    sent = http_server.requests[0].headers["user-agent"]
    assert sent.startswith("warta/") and sent.endswith("(+https://berita.example/kontak)")
    assert user_agent_for("MyBot/1.0", "x") == "MyBot/1.0"


def test_per_host_limit_bounds_concurrent_requests(http_server: LocalHTTPServer) -> None:
    lock, state = threading.Lock(), {"now": 0, "most": 0}
    crowd = threading.Event()

    def slow(req: Request) -> tuple[int, dict[str, str], bytes]:
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
            if state["now"] > 2:
                crowd.set()
        crowd.wait(0.3)  # hold the request open so others can pile up, if they may
        with lock:
            state["now"] -= 1
        return 200, {}, b"ok"

    url = http_server.add("/slow", handler=slow)
    threads = [threading.Thread(target=fetch_url, args=(url,),
                                kwargs={"guard": LOCAL, "per_host": 2}) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(http_server.requests) == 6 and state["most"] == 2


def _robots_fetch(server: LocalHTTPServer) -> Callable[[str], FetchResult]:
    return lambda url: fetch_url(url, guard=LOCAL)


def test_robots_txt_disallows_and_is_cached(http_server: LocalHTTPServer) -> None:
    http_server.add("/robots.txt", b"User-agent: warta\nDisallow: /private/\n\n"
                                   b"User-agent: *\nDisallow: /\n")
    robots = RobotsCache()
    fetch = _robots_fetch(http_server)
    assert robots.check(http_server.url("/news/a"), fetch).allowed
    verdict = robots.check(http_server.url("/private/b"), fetch)
    assert not verdict.allowed and not verdict.retry and "disallows" in verdict.reason
    assert [r.path for r in http_server.requests] == ["/robots.txt"]


def test_robots_txt_missing_allows_and_unreachable_retries(
        http_server: LocalHTTPServer) -> None:
    fetch = _robots_fetch(http_server)
    assert RobotsCache().check(http_server.url("/a"), fetch).allowed  # 404: no rules
    http_server.add("/robots.txt", b"down", status=503)
    verdict = RobotsCache().check(http_server.url("/a"), fetch)
    assert not verdict.allowed and verdict.retry and "503" in verdict.reason


DECL = '<?xml version="1.0" encoding="{}"?><rss><title>{}</title></rss>'


@pytest.mark.parametrize("body,http_charset", [
    # the header lies (a server default), the bytes are valid UTF-8
    (DECL.format("utf-8", "Café “quoted”").encode("utf-8"), "iso-8859-1"),
    # the header is right, the declaration lies
    (DECL.format("utf-8", "Café").encode("cp1252"), "windows-1252"),
    # no header, the declaration is right
    (DECL.format("koi8-r", "Привет").encode("koi8-r"), None),
    # a BOM wins over both
    (DECL.format("iso-8859-1", "Café").encode("utf-16"), "iso-8859-1"),
    # the header names UTF-8 but the bytes are not: the declaration is used
    (DECL.format("windows-1252", "Café").encode("cp1252"), "utf-8"),
])
def test_charset_conflicts_are_settled(body: bytes, http_charset: str | None) -> None:
    out, _read_as = decode_feed_bytes(body, http_charset)
    text = out.decode("utf-8")
    assert 'encoding="utf-8"' in text
    assert any(word in text for word in ("Café", "Привет"))


def test_gzip_and_bomless_utf16_are_left_to_the_parser() -> None:
    raw = gzip.compress(b"<rss/>")
    assert decode_feed_bytes(raw) == (raw, "")
    utf16 = "<rss/>".encode("utf-16-le")
    assert decode_feed_bytes(utf16) == (utf16, "")
