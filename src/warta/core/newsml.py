"""NewsML-G2 (IPTC) and bare NITF → ``FeedEntry``.

A document is a ``newsItem``, a ``newsMessage`` holding items in ``itemSet``, or a bare
``nitf`` file. For a text ``newsItem``:

- identity: ``@guid``, ``@version``; ``itemMeta``: ``versionCreated``, ``firstCreated``,
  ``pubStatus/@qcode`` (stat:usable, stat:withheld, stat:canceled), ``embargoed``;
- ``contentMeta``: ``headline``, ``description`` (summary), ``by``/``creator``,
  ``creditline``, ``subject/name``, ``language/@tag``;
- ``contentSet``: ``inlineXML`` with XHTML or NITF (``body.content``), or ``inlineData``
  plain text. NITF ``media`` elements become images with caption and credit.

Picture items in the same ``newsMessage`` (``itemClass`` ninat:picture) become the images of
the text items that link to them (``link/@residref``); a ``link`` with an image
``contenttype`` and ``href`` is an image too. Picture items are not entries themselves.
"""

from __future__ import annotations

import copy
import html
from typing import Any

from lxml import etree

from warta.core.errors import FeedParseError
from warta.core.feeds import (
    FeedEntry,
    FeedImage,
    ParsedFeed,
    make_guid,
    plain_text,
    safe_url,
    sanitize_html,
    text_to_html,
    to_utc,
)
from warta.core.wire import (
    byline_authors,
    parse_xml_safely,
    pub_status,
    unique,
    version_number,
)

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "hl1", "hl2"})
_BLOCKS = frozenset({"body", "body.content", "block", "div", "section", "p", "blockquote",
                     "ul", "ol", "li", "table", "tr", "figure", *_HEADINGS})


def _local(el: Any) -> str:
    tag = el.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _children(el: Any, name: str) -> list[Any]:
    return [c for c in el if _local(c) == name] if el is not None else []


def _child(el: Any, name: str) -> Any:
    found = _children(el, name)
    return found[0] if found else None


def _descendants(el: Any, name: str) -> list[Any]:
    return [d for d in el.iter() if _local(d) == name] if el is not None else []


def _text(el: Any) -> str:
    return " ".join("".join(el.itertext()).split()) if el is not None else ""


class NewsMLBackend:
    """NewsML-G2 ``newsItem``/``newsMessage`` and bare NITF documents."""

    def parse(self, content: bytes, url: str, content_type: str | None) -> ParsedFeed:
        root = parse_xml_safely(content, url)
        name = _local(root)
        if name == "nitf":
            entry = _nitf_entry(root, url)
            return ParsedFeed(title="", link="", language=entry.language, ttl=None,
                              entries=[entry], format="nitf")
        if name == "newsItem":
            items = [root]
        elif name in ("newsMessage", "packageItem"):
            items = _descendants(root, "newsItem")
        else:
            raise FeedParseError(url, f"not a feed: XML <{name}> is not NewsML-G2")
        pictures = {i.get("guid", ""): _picture(i, url) for i in items if _is_picture(i)}
        entries = [_newsml_entry(i, url, pictures) for i in items if not _is_picture(i)]
        languages = unique(e.language or "" for e in entries)
        return ParsedFeed(title="", link="", language=languages[0] if len(languages) == 1
                          else None, ttl=None, entries=entries, format="newsml-g2")


def _item_class(item: Any) -> str:
    cls = _child(_child(item, "itemMeta"), "itemClass")
    return (cls.get("qcode", "") if cls is not None else "").rsplit(":", 1)[-1].lower()


def _is_picture(item: Any) -> bool:
    return _item_class(item) in ("picture", "graphic")


def _picture(item: Any, base: str) -> FeedImage | None:
    meta = _child(item, "contentMeta")
    best, width = "", -1
    for rc in _descendants(_child(item, "contentSet"), "remoteContent"):
        href = safe_url(rc.get("href"), base)
        w = int(rc.get("width")) if (rc.get("width") or "").isdigit() else 0
        if href and (rc.get("contenttype") or "image/").startswith("image/") and w > width:
            best, width = href, w
    if not best:
        return None
    caption = _text(_child(meta, "description")) or _text(_child(meta, "headline"))
    credit = _text(_child(meta, "creditline")) or _text(_child(meta, "by"))
    return FeedImage(best, caption, credit)


def _newsml_entry(item: Any, base: str, pictures: dict[str, FeedImage | None]) -> FeedEntry:
    meta, cmeta = _child(item, "itemMeta"), _child(item, "contentMeta")
    body, nitf_images, nitf = _content(item, base)
    nitf_head = _child(_child(nitf, "body"), "body.head") if nitf is not None else None
    title = _text(_headline(cmeta)) or _text(_child(_child(nitf_head, "hedline"), "hl1"))
    first = _text(_child(meta, "firstCreated")) or _text(_child(cmeta, "contentCreated"))
    latest = _text(_child(meta, "versionCreated"))
    status = _child(meta, "pubStatus")
    language = _child(cmeta, "language")
    lang = (language.get("tag") if language is not None else "") or item.get(XML_LANG) or ""
    byline = _text(_child(cmeta, "by")) or _text(_child(nitf_head, "byline"))
    creators = [_text(_child(c, "name")) for c in _children(cmeta, "creator")]
    guid = item.get("guid", "")
    return FeedEntry(
        guid=make_guid(guid, None, title, first or latest),
        url="",
        title=title,
        summary=text_to_html(_text(_summary(cmeta))),
        content=body,
        published=to_utc(first) or to_utc(latest),
        updated=to_utc(latest),
        authors=byline_authors(byline) or unique(creators),
        images=_images(meta, base, pictures) + nitf_images,
        categories=unique(_subject_name(s) for s in _children(cmeta, "subject")),
        language=lang.strip().lower() or None,
        version=version_number(item.get("version")),
        pub_status=pub_status(status.get("qcode") if status is not None else ""),
        embargo=to_utc(_text(_child(meta, "embargoed"))),
    )


def _headline(cmeta: Any) -> Any:
    lines = _children(cmeta, "headline")
    main = [h for h in lines if (h.get("role") or "main").endswith("main")]
    return (main or lines or [None])[0]


def _summary(cmeta: Any) -> Any:
    lines = _children(cmeta, "description")
    wanted = [d for d in lines if (d.get("role") or "").rsplit(":", 1)[-1] in ("summary", "")]
    return (wanted or lines or [None])[0]


def _subject_name(subject: Any) -> str:
    names = _children(subject, "name")
    english = [n for n in names if (n.get(XML_LANG) or "en").lower().startswith("en")]
    return _text((english or names or [None])[0])


def _images(meta: Any, base: str, pictures: dict[str, FeedImage | None]) -> list[FeedImage]:
    images: list[FeedImage] = []
    for link in _children(meta, "link"):
        picture = pictures.get(link.get("residref") or "")
        if picture is None and (link.get("contenttype") or "").startswith("image/"):
            href = safe_url(link.get("href"), base)
            picture = FeedImage(href, plain_text(link.get("title")), "") if href else None
        if picture is not None and all(i.url != picture.url for i in images):
            images.append(picture)
    return images


def _content(item: Any, base: str) -> tuple[str, list[FeedImage], Any]:
    """(sanitised body HTML, images found in an NITF body, the NITF element or None)."""
    cset = _child(item, "contentSet")
    for inline in _children(cset, "inlineXML"):
        nitf = next((c for c in inline if _local(c) == "nitf"), None)
        if nitf is not None:
            body, images = _nitf_body(nitf, base)
            return body, images, nitf
        xhtml = _descendants(inline, "body")
        if xhtml:
            return _serialize_children(xhtml[0], base), [], None
    for data in _children(cset, "inlineData"):
        ctype = (data.get("contenttype") or "text/plain").lower()
        text = data.text or ""
        return (sanitize_html(text, base) if "html" in ctype else text_to_html(text)), [], None
    return "", [], None


def _nitf_body(nitf: Any, base: str) -> tuple[str, list[FeedImage]]:
    content = _child(_child(nitf, "body"), "body.content")
    if content is None:
        return "", []
    content = copy.deepcopy(content)  # a copy we may change
    images = []
    for media in _descendants(content, "media"):
        ref = _child(media, "media-reference")
        src = safe_url(ref.get("source") if ref is not None else "", base)
        if src and (media.get("media-type") or "image") == "image":
            images.append(FeedImage(src, _text(_child(media, "media-caption")),
                                    _text(_child(media, "media-producer"))))
        if media.getparent() is not None:
            _remove_keeping_tail(media)
    return _serialize_children(content, base), images


def _nitf_entry(nitf: Any, base: str) -> FeedEntry:
    """A bare NITF document: identity from ``docdata/doc-id``, dates from ``date.issue``."""
    head = _child(nitf, "head")
    docdata = _child(head, "docdata")
    body_head = _child(_child(nitf, "body"), "body.head")
    doc_id = _child(docdata, "doc-id")
    issued = _child(docdata, "date.issue")
    release = _child(docdata, "date.release")
    title = _text(_child(_child(body_head, "hedline"), "hl1")) or _text(_child(head, "title"))
    body, images = _nitf_body(nitf, base)
    published = _nitf_date(issued.get("norm") if issued is not None else "")
    return FeedEntry(
        guid=make_guid(doc_id.get("id-string") if doc_id is not None else None, None, title,
                       issued.get("norm", "") if issued is not None else ""),
        url="", title=title, summary=text_to_html(_text(_child(body_head, "abstract"))),
        content=body, published=published, updated=None,
        authors=byline_authors(_text(_child(body_head, "byline"))), images=images,
        categories=[], language=(nitf.get(XML_LANG) or "").lower() or None,
        embargo=_nitf_date(release.get("norm") if release is not None else ""),
    )


def _nitf_date(norm: str | None) -> Any:
    """NITF ``norm`` dates are ISO 8601, often basic format (20261124T100000Z)."""
    value = (norm or "").strip()
    if len(value) >= 15 and value[8:9] == "T" and value[:8].isdigit():
        value = (f"{value[:4]}-{value[4:6]}-{value[6:8]}T{value[9:11]}:{value[11:13]}:"
                 f"{value[13:15]}{value[15:]}")
    return to_utc(value)


def _remove_keeping_tail(el: Any) -> None:
    parent, tail = el.getparent(), el.tail or ""
    prev = el.getprevious()
    if prev is not None:
        prev.tail = (prev.tail or "") + tail
    else:
        parent.text = (parent.text or "") + tail
    parent.remove(el)


def _serialize_children(el: Any, base: str) -> str:
    """The element's content as HTML, namespaces dropped, then sanitised."""
    el = copy.deepcopy(el)
    for node in el.iter():
        if not isinstance(node.tag, str):
            continue
        node.tag = etree.QName(node).localname
        if node.tag in _HEADINGS:
            node.tag = "p"  # no headings in stored HTML: keep it a block of its own
        if node.tag in _BLOCKS or node is el:
            if node.text is not None and not node.text.strip() and len(node):
                node.text = None
            for child in node:
                if child.tail is not None and not child.tail.strip():
                    child.tail = None
    etree.cleanup_namespaces(el)
    parts = [html.escape(el.text or "", quote=False)]
    parts += [etree.tostring(c, encoding="unicode", method="html") for c in el]
    return sanitize_html("".join(parts), base)
