"""A tiny local HTTP server for the bundled sample sources (``warta demo``, end-to-end tests).

    server = serve_samples()            # 127.0.0.1, a free port, daemon thread
    server.feed_urls()                  # [(name, url, lang, category), ...]
    server.stop()

It serves the files under ``samples/`` read-only, replacing ``{{BASE}}`` in feeds and pages
with the source's base URL (``http://127.0.0.1:PORT/ndtv-world``), so the data never names a
host. Like a real publisher it sends ``ETag`` and ``Last-Modified`` and answers conditional
GETs with 304; a missing file, a directory, a hidden file or any ``..`` path is a 404.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import threading
from collections.abc import Mapping
from email.utils import formatdate, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

SAMPLES_DIR = Path(__file__).with_name("samples")
PLACEHOLDER = b"{{BASE}}"

CONTENT_TYPES: dict[str, str] = {
    ".xml": "application/rss+xml; charset=utf-8",
    ".atom": "application/atom+xml; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
}
TEMPLATED = {".xml", ".atom", ".html"}
_HOST_RE = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")


# Keys of each manifest entry (samples/sources.json, written by make_samples).
SOURCE_KEYS = (
    "slug",
    "name",
    "feed_path",
    "format",
    "language",
    "category",
    "licence",
    "attribution",
)


def load_sources(root: Path = SAMPLES_DIR) -> list[dict[str, str]]:
    """The bundled sources, in order: one dict per source with ``SOURCE_KEYS``.

    ``slug`` is the directory under samples/ (the first URL path segment), ``name`` the
    display name ("NDTV World (sample)"), ``feed_path`` the feed relative to the source's base
    URL, ``format`` "rss" or "atom", ``category`` the default category of its stories,
    ``licence`` and ``attribution`` the texts a republisher shows.
    """
    data = json.loads((root / "sources.json").read_text(encoding="utf-8"))
    for item in data:
        missing = [k for k in SOURCE_KEYS if not item.get(k)]
        if missing:
            raise ValueError(f"sources.json: {item.get('slug', '?')} lacks {missing}")
    return [dict(item) for item in data]


SOURCES: list[dict[str, str]] = load_sources()


def resolve_sample_path(root: Path, url_path: str) -> Path | None:
    """The file under ``root`` that ``url_path`` names, or None where it must be a 404.

    Rejects ``..`` and ``.`` segments (also percent-encoded), hidden names, backslashes, NUL
    and anything that resolves outside ``root`` (symlinks included).
    """
    path = unquote(urlsplit(url_path).path)
    segments = path.split("/")[1:]
    if not segments or any(
        not s or s.startswith(".") or "\\" in s or "\x00" in s for s in segments
    ):
        return None
    base = root.resolve()
    candidate = base.joinpath(*segments).resolve()
    if not candidate.is_relative_to(base) or not candidate.is_file():
        return None
    return candidate


class _Handler(BaseHTTPRequestHandler):
    server: _SampleHTTPServer
    protocol_version = "HTTP/1.1"
    # headers and body go out in separate writes: without this, a reused connection
    # waits ~40 ms per response on the client's delayed ACK (Nagle)
    disable_nagle_algorithm = True
    server_version = "warta-samples/1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep demo and test output clean

    def do_GET(self) -> None:
        self._serve(send_body=True)

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def _base_for(self, slug: str) -> bytes:
        host = self.headers.get("Host", "")
        origin = f"http://{host}" if _HOST_RE.match(host) else self.server.origin
        return f"{origin}/{slug}".encode()

    def _serve(self, send_body: bool) -> None:
        root = self.server.samples_root
        path = resolve_sample_path(root, self.path)
        if path is None:
            self._send(
                HTTPStatus.NOT_FOUND,
                {"Content-Type": "text/plain; charset=utf-8"},
                b"not found\n",
                send_body,
            )
            return
        body = path.read_bytes()
        suffix = path.suffix.lower()
        if suffix in TEMPLATED:
            slug = path.relative_to(root.resolve()).parts[0]
            body = body.replace(PLACEHOLDER, self._base_for(slug))
        mtime = int(path.stat().st_mtime)
        headers = {
            "ETag": '"' + hashlib.sha256(body).hexdigest()[:20] + '"',
            "Last-Modified": formatdate(mtime, usegmt=True),
            "Cache-Control": "public, max-age=60",
        }
        if self._not_modified(headers["ETag"], mtime):
            self._send(HTTPStatus.NOT_MODIFIED, headers, b"", send_body=False)
            return
        headers["Content-Type"] = CONTENT_TYPES.get(suffix, "application/octet-stream")
        self._send(HTTPStatus.OK, headers, body, send_body)

    def _not_modified(self, etag: str, mtime: int) -> bool:
        inm = self.headers.get("If-None-Match")
        if inm is not None:  # RFC 9110: If-None-Match wins over If-Modified-Since
            tags = [t.strip().removeprefix("W/") for t in inm.split(",")]
            return "*" in tags or etag in tags
        ims = self.headers.get("If-Modified-Since")
        if ims:
            try:
                since = parsedate_to_datetime(ims).timestamp()
            except (TypeError, ValueError, IndexError, OverflowError):
                return False
            return mtime <= since
        return False

    def _send(
        self, status: HTTPStatus, headers: dict[str, str], body: bytes, send_body: bool
    ) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        if status != HTTPStatus.NOT_MODIFIED:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body and body:
            self.wfile.write(body)


class _SampleHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    samples_root: Path
    origin: str

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that drops its connection (a pooled keep-alive connection closed when
        warta's fetcher exits) is normal for a web server, not a traceback on stderr."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class SampleServer:
    """A running sample server. Use ``serve_samples()`` to start one; ``stop()`` when done."""

    def __init__(
        self, httpd: _SampleHTTPServer, thread: threading.Thread, sources: list[dict[str, str]]
    ) -> None:
        self._httpd = httpd
        self._thread = thread
        self.sources = sources
        self.base_url: str = httpd.origin  # e.g. http://127.0.0.1:41234, no trailing slash

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def source_url(self, slug: str) -> str:
        """Base URL of one source: ``{base_url}/{slug}`` (what ``{{BASE}}`` becomes)."""
        return f"{self.base_url}/{slug}"

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def feed_url(self, source: Mapping[str, str] | str) -> str:
        """Feed URL of one source, given its manifest entry or its slug."""
        if isinstance(source, str):
            matches = [s for s in self.sources if s["slug"] == source]
            if not matches:
                raise KeyError(f"no sample source {source!r}")
            source = matches[0]
        return f"{self.source_url(source['slug'])}/{source['feed_path']}"

    def feed_urls(self) -> list[tuple[str, str, str, str]]:
        """``(display name, feed URL, language, default category)`` for every source."""
        return [(s["name"], self.feed_url(s), s["language"], s["category"]) for s in self.sources]

    def stop(self) -> None:
        """Stop serving and close the socket; safe to call twice."""
        if self._thread.is_alive():
            self._httpd.shutdown()
            self._thread.join(timeout=5)
        self._httpd.server_close()

    def __enter__(self) -> SampleServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve_samples(host: str = "127.0.0.1", port: int = 0, root: Path = SAMPLES_DIR) -> SampleServer:
    """Start serving ``root`` (the bundled samples) in a daemon thread and return at once.

    ``port=0`` picks a free port (see ``.base_url``). Raises ``OSError`` if the address is
    taken. Where ``host`` is a wildcard (0.0.0.0, ::) links name 127.0.0.1 unless the client
    sent a Host header.
    """
    httpd = _SampleHTTPServer((host, port), _Handler)
    httpd.samples_root = root
    shown = {"0.0.0.0": "127.0.0.1", "::": "[::1]", "": "127.0.0.1"}.get(host, host)
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    httpd.origin = f"http://{shown}:{httpd.server_address[1]}"
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.2}, name="warta-samples", daemon=True
    )
    thread.start()
    return SampleServer(httpd, thread, load_sources(root))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve warta's bundled sample sources.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args(argv)
    server = serve_samples(args.host, args.port)
    for name, url, lang, category in server.feed_urls():
        print(f"{name}\t{url}\t{lang}\t{category}")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
