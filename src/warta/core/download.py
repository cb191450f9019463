"""One feed poll's network and parsing part, apart from the database: fetch a source's URL
with conditional GET, settle its charset, parse it. Plain data in and out, picklable, so a
poll round can run it in other processes (``runner.inline.fetch_sources``) while one
process claims sources and stores what they bring (``newsroom.stages.sources``)."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from typing import Any

from warta.core.errors import FeedParseError, FetchError
from warta.core.feeds import ParsedFeed, parse_feed
from warta.core.fetch import FetchResult, decode_feed_bytes, fetch_options, fetch_url


@dataclass
class Download:
    """What the network and the parser made of a poll: the response (its body dropped once
    parsed), the parsed feed (None for a 304, and for a body the same as the last one
    stored), or the error; ``digest`` is the body's :func:`body_digest`.
    Picklable, errors included: it may come back from a worker process."""

    fetched: FetchResult | None = None
    parsed: ParsedFeed | None = None
    error: FetchError | FeedParseError | None = None
    digest: str = ""

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        if self.error is not None:  # warta's errors take their own __init__ arguments
            state["error"] = (type(self.error), str(self.error), vars(self.error))
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        if state.get("error") is not None:
            cls, message, attrs = state["error"]
            error = cls.__new__(cls)
            Exception.__init__(error, message)
            error.__dict__.update(attrs)
            state = {**state, "error": error}
        self.__dict__.update(state)


def body_digest(content: bytes, format: str) -> str:
    """sha256 of a feed body as fetched (decompressed) and the format it is read as."""
    return hashlib.sha256(format.encode() + b"\x00" + content).hexdigest()


def download_feed(url: str, etag: str | None, last_modified: str | None, format: str,
                  cfg: Mapping[str, Any], digest: str | None = None,
                  known_items: Collection[str] = ()) -> Download:
    """Fetch ``url`` (conditional GET) and parse it: no database, so it can run in any
    thread or process. A body whose :func:`body_digest` is ``digest`` (that of the last
    document stored) is not parsed: a server that sends no validators, or ignores them,
    answers 200 with the same bytes, which can hold nothing new. In a changed body, the
    items whose digest is in ``known_items`` (the ``item_digests`` of the last document
    stored) are not read again (``parse_feed``): a feed that gained one story is read for
    that story. A FetchError or FeedParseError is returned in the Download, never raised;
    anything else is a bug and raised."""
    try:
        fetched = fetch_url(url, etag=etag, last_modified=last_modified, **fetch_options(cfg))
        if fetched.not_modified:
            return Download(fetched)
        new_digest = body_digest(fetched.content, format)
        if new_digest == digest:
            return Download(replace(fetched, content=b""), digest=new_digest)
        body, read_as = decode_feed_bytes(fetched.content, fetched.encoding)
        content_type = fetched.content_type
        if read_as and content_type:  # the bytes are UTF-8 now, whatever was declared
            content_type = f"{content_type}; charset=utf-8"
        parsed = parse_feed(body, fetched.url, content_type=content_type, format=format,
                            known_items=known_items)
    except (FetchError, FeedParseError) as e:
        return Download(error=e)
    return Download(replace(fetched, content=b""), parsed, digest=new_digest)
