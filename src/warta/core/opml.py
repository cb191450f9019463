"""OPML 2.0 subscription lists in and out (``warta source import`` / ``export``).

Reading: lxml without DTDs, entity expansion or network access, after the same entity-bomb
screen as feeds (an OPML file is as untrusted as a feed). Every ``<outline>`` with an
``xmlUrl`` is a feed, at any depth; its category is its own ``category`` attribute (the
first of a comma-separated list, OPML 2.0's "/"-paths kept as written), else the titles of
the outlines it is nested in, joined by "/". Writing: one outline per category holding its
feeds, ``category`` attribute set too, so readers that flatten nesting still keep it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from lxml import etree

from warta.core.errors import FeedParseError


@dataclass(frozen=True)
class OpmlFeed:
    """One feed of a subscription list. ``category`` is "" when the list gives none."""

    xml_url: str
    title: str = ""
    html_url: str = ""
    category: str = ""
    language: str = ""


def parse_opml(content: bytes, name: str = "OPML file") -> list[OpmlFeed]:
    """The feeds of an OPML document, in document order, each URL once.

    Raises FeedParseError (with ``name`` as its url) when the bytes are not OPML: not XML,
    another root element, or a DTD declaring entities."""
    from warta.core.feeds import _refuse_entity_declarations

    _refuse_entity_declarations(content, name)
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=False
    )
    try:
        root = etree.fromstring(content, parser)
    except (etree.XMLSyntaxError, ValueError) as e:
        raise FeedParseError(name, f"not an OPML file: {e}") from e
    if not isinstance(root.tag, str) or etree.QName(root).localname.lower() != "opml":
        raise FeedParseError(name, "not an OPML file: the root element is not <opml>")
    body = next((c for c in root if _local(c) == "body"), None)
    if body is None:
        raise FeedParseError(name, "not an OPML file: no <body>")
    feeds: dict[str, OpmlFeed] = {}
    _walk(body, [], feeds)
    return list(feeds.values())


def _local(el: Any) -> str:
    return etree.QName(el).localname.lower() if isinstance(el.tag, str) else ""


def _walk(parent: Any, path: list[str], feeds: dict[str, OpmlFeed]) -> None:
    for el in parent:
        if _local(el) != "outline":
            continue
        attrs = {k.lower(): (v or "").strip() for k, v in el.attrib.items()}
        title = attrs.get("title") or attrs.get("text") or ""
        url = attrs.get("xmlurl", "")
        if url:
            category = attrs.get("category", "").split(",")[0].strip().strip("/")
            if url not in feeds:
                feeds[url] = OpmlFeed(
                    xml_url=url,
                    title=title,
                    html_url=attrs.get("htmlurl", ""),
                    category=category or "/".join(path),
                    language=attrs.get("language", ""),
                )
        _walk(el, [*path, title] if title and not url else path, feeds)


def build_opml(feeds: Iterable[OpmlFeed], title: str = "warta sources") -> bytes:
    """An OPML 2.0 document: feeds grouped in one outline per category (in first-seen
    order), uncategorised feeds at the top level."""
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = title
    etree.SubElement(head, "dateCreated").text = format_datetime(datetime.now(UTC))
    body = etree.SubElement(root, "body")
    groups: dict[str, Any] = {}
    for feed in feeds:
        parent = body
        if feed.category:
            if feed.category not in groups:
                groups[feed.category] = etree.SubElement(
                    body, "outline", text=feed.category, title=feed.category
                )
            parent = groups[feed.category]
        attrs = {
            "type": "rss",
            "text": feed.title or feed.xml_url,
            "title": feed.title or feed.xml_url,
            "xmlUrl": feed.xml_url,
        }
        if feed.html_url:
            attrs["htmlUrl"] = feed.html_url
        if feed.category:
            attrs["category"] = feed.category
        if feed.language:
            attrs["language"] = feed.language
        etree.SubElement(parent, "outline", attrs)
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return data
