"""HTML page → ``Document``: trafilatura finds the article, news post-processing shapes it.

trafilatura's XML body (paragraphs, ``quote``, ``head``, ``list``, ``graphic``, inline
``ref``) becomes ordered typed blocks; captions and credits come from the source page's
figures; boilerplate ("Also Read" boxes, share/newsletter/paywall lines, "Related" and
"Most viewed" link runs, reader comments: ``_junk``) is dropped; the syndication line
("...published from a syndicated feed.") moves to ``Document.syndication_note``; the first
paragraph's dateline moves to ``Document.dateline``. Pages that are not articles (``_pagetype``)
raise ``ExtractError``. A source's ``ExtractRules`` (CSS overrides) apply first.
Pure: no I/O.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import trafilatura
from lxml import etree
from trafilatura.metadata import extract_metadata

from warta.core import _html, _junk, _pagetype
from warta.core._html import Figure, HtmlElement, clean_text, safe_url
from warta.core.dateline import split_dateline
from warta.core.document import Block, BlockType, Document, Image, Link
from warta.core.errors import ExtractError
from warta.core.extract_rules import ExtractRules, body_only, remove_matches, select
from warta.core.language import identify_language

# Markup that arrived escaped (double-encoded feeds): block text must hold no HTML.
_TAG_LIKE = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]{0,300})?/?>")
_PUBLISHED_META = ("article:published_time", "og:published_time", "datePublished",
                   "publishdate", "pubdate", "publish-date", "parsely-pub-date",
                   "sailthru.date", "dc.date.issued", "DC.date.issued", "date")


def extract_article(html: str | bytes, url: str, *, encoding: str | None = None,
                    rules: ExtractRules | None = None) -> Document:
    """Extract the article on ``html`` (served at ``url``) into a ``Document``.

    Bytes are decoded by ``encoding`` if given, else BOM, ``<meta charset>``, UTF-8, then a
    detector. ``published`` is timezone-aware; a page that gives a naive time (or only a
    date) is read as UTC. ``language`` is the page's declared language, else the one
    identified from the text ("" when unsure). ``image`` is the lead photo; when it opens the
    body it is not repeated as a block. Links and image sources are absolute http(s) URLs.

    ``rules`` (a source's CSS overrides, see ``ExtractRules``) are applied first: matching
    junk is removed, the body is read from the body selector's elements only (the whole page
    when it matches nothing), and the title/caption selectors win over what is found.

    Raises ``ExtractError(url, reason)`` when the page is not an article: no/too little text,
    an error page, a page of link lists, a video page or a paywall stub. Deterministic and
    side-effect free.
    """
    text = _html.decode_html(html, encoding) if isinstance(html, bytes) else html
    tree = _parse(text, url)
    rules = rules or ExtractRules()
    remove_matches(tree, rules.remove_selectors)
    body_tree = body_only(tree, rules.body_selector) if rules.body_selector else None
    result = trafilatura.bare_extraction(
        copy.deepcopy(body_tree if body_tree is not None else tree), url=url,
        include_comments=False, include_formatting=True, include_links=True,
        include_images=True, include_tables=True, with_metadata=True,
        favor_precision=body_tree is None, favor_recall=body_tree is not None,
    )
    meta = result if body_tree is None else extract_metadata(copy.deepcopy(tree), url)
    title = _rule_text(tree, rules.title_selector) or _title(tree, meta)
    body = getattr(result, "body", None) if result is not None else None
    figures = _html.collect_figures(tree, url, select(tree, rules.caption_selector))
    blocks = list(_blocks(body, figures, url, title)) if body is not None else []
    paywall = _pagetype.has_paywall_line(blocks)
    blocks, note = _junk.drop_junk(blocks, figures)
    _pagetype.check_article(blocks, tree, title, url, paywall)
    dateline, blocks = _take_dateline(blocks)
    image, blocks = _lead_image(blocks, tree, figures, url)
    return Document(
        url=url, title=title, blocks=blocks, canonical_url=_html.canonical_link(tree, url),
        byline=_byline(tree, meta), published=_published(tree, meta),
        language=_language(tree, meta, blocks), dateline=dateline, image=image,
        syndication_note=note,
    )


def _parse(text: str, url: str) -> HtmlElement:
    tree = trafilatura.utils.load_html(text) if text.strip() else None
    if tree is None:
        raise ExtractError(url, "page is empty or not HTML")
    return tree


# --- body → blocks ------------------------------------------------------------------------

def _blocks(body: Any, figures: dict[str, Figure], base: str, title: str) -> Iterator[Block]:
    for el in body:
        tag = el.tag
        if tag == "head":
            yield from _heading(el, base, title)
        elif tag == "list":
            yield from _list_items(el, base)
        elif tag == "quote":
            yield from _text_blocks(el, "quote", base, figures)
        elif tag == "graphic":
            yield from _image(el, figures, base)
        elif tag == "table":
            for row in el.iter("row"):
                cells = [clean_text("".join(c.itertext())) for c in row.iter("cell")]
                if any(cells):
                    yield Block("p", " | ".join(c for c in cells if c))
        elif isinstance(tag, str):
            yield from _text_blocks(el, "p", base, figures)


def _heading(el: Any, base: str, title: str) -> Iterator[Block]:
    text, links = _inline(el, base)
    level = (el.get("rend") or "h2").lower()
    if not text or (level == "h1" and text == title):
        return
    yield Block("h2" if level in ("h1", "h2") else "h3", text, links)


def _list_items(el: Any, base: str) -> Iterator[Block]:
    for item in el.iterchildren("item"):
        nested = [child for child in item if child.tag == "list"]
        for child in nested:
            item.remove(child)
        text, links = _inline(item, base)
        if text:
            yield Block("li", text, links)
        for child in nested:
            yield from _list_items(child, base)


def _text_blocks(el: Any, btype: BlockType, base: str,
                 figures: dict[str, Figure]) -> Iterator[Block]:
    """A ``p`` (or a ``quote`` holding paragraphs/lists) → blocks; images inside follow."""
    graphics = list(el.iter("graphic"))
    parts = [c for c in el if c.tag in ("p", "list", "quote")]
    if parts and btype == "quote":
        for child in parts:
            if child.tag == "list":
                yield from _list_items(child, base)
            else:
                yield from _text_blocks(child, "quote", base, figures)
    else:
        text, links = _inline(el, base)
        if text:
            yield Block(btype, text, links)
    for graphic in graphics if not parts else ():
        yield from _image(graphic, figures, base)


def _image(el: Any, figures: dict[str, Figure], base: str) -> Iterator[Block]:
    src = safe_url(el.get("src"), base)
    if not src:
        return
    fig = figures.get(src)
    if fig is not None:
        yield Block("img", fig.caption, src=src, credit=fig.credit)
    else:
        caption, credit = _html.split_credit(el.get("title") or "")
        yield Block("img", caption, src=src, credit=credit)


def _inline(el: Any, base: str) -> tuple[str, tuple[Link, ...]]:
    """Plain text of an element with its ``ref`` links; offsets index the returned text."""
    out = ""
    links: list[Link] = []
    for piece, href in _pieces(el, base):
        piece = re.sub(r"\s+", " ", _TAG_LIKE.sub("", piece))
        if not out or out.endswith(" "):
            piece = piece.lstrip(" ")
        if href and piece.strip():
            links.append(Link(piece.strip(), href, len(out) + len(piece) - len(piece.lstrip())))
        out += piece
    return out.rstrip(), tuple(links)


def _pieces(el: Any, base: str) -> Iterator[tuple[str, str]]:
    if el.text:
        yield el.text, ""
    for child in el:
        if child.tag == "ref":
            href = safe_url(child.get("target"), base)
            yield "".join(child.itertext()), href
        elif child.tag == "lb":
            yield " ", ""
        elif child.tag not in ("graphic", etree.Comment):
            yield from _pieces(child, base)
        if child.tail:
            yield child.tail, ""


# --- clean-up -----------------------------------------------------------------------------

def _take_dateline(blocks: list[Block]) -> tuple[str, list[Block]]:
    for i, block in enumerate(blocks):
        if block.type != "p":
            continue  # the dateline opens the first paragraph, after any photo/highlights
        dateline, rest = split_dateline(block.text)
        if not dateline:
            return "", blocks
        cut = len(block.text) - len(rest)
        links = tuple(Link(x.text, x.href, x.start - cut) for x in block.links if x.start >= cut)
        tail = [block.with_text(rest, links)] if rest else []
        return dateline, [*blocks[:i], *tail, *blocks[i + 1 :]]
    return "", blocks


def _lead_image(blocks: list[Block], tree: HtmlElement, figures: dict[str, Figure],
                url: str) -> tuple[Image | None, list[Block]]:
    """The first figure when it opens the body (lifted out of ``blocks``), else the first
    captioned ``<figure>`` of the article, else og:image, else JSON-LD image."""
    first_text = next((i for i, b in enumerate(blocks) if b.type != "img"), len(blocks))
    if first_text > 0:
        lead = blocks[0]
        return Image(lead.src, lead.text, lead.credit), blocks[1:]
    for fig_el in tree.xpath("//article//figure | //main//figure"):
        img = next(fig_el.iter("img"), None)
        fig = figures.get(_html.image_src(img, url)) if img is not None else None
        if fig is not None and fig.caption:
            rest = [b for b in blocks if b.src != fig.src]
            return Image(fig.src, fig.caption, fig.credit), rest
    src = safe_url(_html.meta_content(tree, "og:image", "twitter:image"), url)
    for ld in _html.json_ld_articles(tree):
        src = src or safe_url(_html.ld_image_url(ld.get("image")), url)
    if not src:
        return None, blocks
    fig = figures.get(src)
    return Image(src, fig.caption if fig else "", fig.credit if fig else ""), blocks


# --- metadata -----------------------------------------------------------------------------

def _rule_text(tree: HtmlElement, selector: str) -> str:
    found = select(tree, selector)
    return _html.element_text(found[0]) if found else ""


def _language(tree: HtmlElement, result: Any, blocks: list[Block]) -> str:
    declared = _html.page_language(tree) or str(getattr(result, "language", "") or "")
    if declared:
        return declared
    return identify_language("\n".join(b.text for b in blocks if b.type in ("p", "quote")))


def _title(tree: HtmlElement, result: Any) -> str:
    title = clean_text(getattr(result, "title", "") or "")
    if not title:
        for ld in _html.json_ld_articles(tree):
            title = title or clean_text(str(ld.get("headline") or ""))
    if not title:
        title = _html.meta_content(tree, "og:title") or clean_text(tree.findtext(".//title"))
    site = clean_text(getattr(result, "sitename", "") or "")
    return _strip_site_name(title, site)


def _strip_site_name(title: str, site: str) -> str:
    parts = re.split(r"\s+[|–—»:-]\s+", title)
    if len(parts) > 1 and site and site.lower().replace(".com", "") in parts[-1].lower():
        return " - ".join(parts[:-1]).strip() or title
    return title


def _byline(tree: HtmlElement, result: Any) -> str:
    author = clean_text(getattr(result, "author", "") or "")
    if re.match(r"(?:https?:|www\.)", author):
        author = ""  # some sites put a social profile URL in <meta name=author>
    return author or _html.meta_content(tree, "author", "article:author", "byl")


def _published(tree: HtmlElement, result: Any) -> datetime | None:
    """JSON-LD datePublished, then publication meta tags, then trafilatura/htmldate's date
    (a date alone is taken as midnight UTC)."""
    candidates = [str(ld.get("datePublished") or "") for ld in _html.json_ld_articles(tree)]
    candidates.append(_html.meta_content(tree, *_PUBLISHED_META))
    candidates += tree.xpath("(.//article//time/@datetime | .//time[@pubdate]/@datetime)[1]")
    for value in candidates:
        parsed = _html.parse_datetime(value) if value else None
        if parsed is not None:
            return parsed
    date = getattr(result, "date", None) if result is not None else None
    parsed = _html.parse_datetime(str(date)) if date else None
    return parsed.astimezone(UTC) if parsed else None
