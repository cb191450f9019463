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

import contextlib
import re
from collections.abc import Iterator
from datetime import datetime
from html import unescape
from typing import Any
from urllib.parse import urlsplit

import trafilatura
from htmldate import find_date
from lxml import etree
from trafilatura.metadata import (
    examine_meta,
    extract_meta_json,
    extract_sitename,
)

from warta.core import _html, _junk, _pagetype
from warta.core._html import Figure, HtmlElement, clean_text, safe_url
from warta.core.dateline import split_dateline
from warta.core.document import Block, BlockType, Document, Emphasis, Image, Link
from warta.core.errors import ExtractError
from warta.core.extract_rules import ExtractRules, body_only, remove_matches, select
from warta.core.language import identify_language

# Markup that arrived escaped (double-encoded feeds): block text must hold no HTML.
_TAG_LIKE = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]{0,300})?/?>")
_PUBLISHED_META = ("article:published_time", "og:published_time", "datePublished",
                   "publishdate", "pubdate", "publish-date", "parsely-pub-date",
                   "sailthru.date", "dc.date.issued", "DC.date.issued", "date")
_UPDATED_META = ("article:modified_time", "og:updated_time", "dateModified",
                 "last-modified", "dc.date.modified", "DC.date.modified")
# Pages bigger than this are refused before parsing: the fetch stage's default body limit
# (``fetch.max_bytes``); the largest real page in the evaluation corpus is 2.9 MB.
MAX_PAGE_BYTES = 10_000_000
_MAX_BINARY_SHARE = 0.05
_RETRY_BELOW_CHARS = 2000
_RETRY_GAIN = 3  # a precision reading that lost the article lost most of it


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
    an error page, a page of link lists, a video page or a paywall stub; and when the input
    itself is unusable: larger than ``MAX_PAGE_BYTES``, binary, or not parseable. Never
    raises anything else for bad input. Deterministic and side-effect free.
    """
    _check_size(html, url)
    text = _html.decode_html(html, encoding) if isinstance(html, bytes) else html
    tree = _parse(text, url)
    rules = rules or ExtractRules()
    remove_matches(tree, rules.remove_selectors)
    body_tree = body_only(tree, rules.body_selector) if rules.body_selector else None
    # The page is parsed once: trafilatura copies the tree it is given before pruning it, so
    # ``tree`` stays intact for figures, JSON-LD and metadata. Its own metadata pass (author
    # XPaths over a deep copy, categories, licence, htmldate on every page) cost as much as
    # the body extraction; ``_metadata`` reads only what a Document needs.
    try:
        if body_tree is not None:
            result = _trafilatura(body_tree, url, favor="recall")
        else:
            result = _trafilatura(tree, url, favor="precision")
            if _worth_a_second_look(result, tree):
                result = _longer(result, _trafilatura(tree, url, favor="balance"))
    except RecursionError as e:  # pathological nesting that slipped past the parser's cap
        raise ExtractError(url, "page markup is nested too deeply to read") from e
    meta = _metadata(tree)
    title = _rule_text(tree, rules.title_selector) or _title(tree, meta, url)
    body = getattr(result, "body", None) if result is not None else None
    figures = _html.collect_figures(tree, url, select(tree, rules.caption_selector))
    try:
        blocks = list(_blocks(body, figures, url, title)) if body is not None else []
    except RecursionError as e:
        raise ExtractError(url, "page markup is nested too deeply to read") from e
    paywall = _pagetype.has_paywall_line(blocks)
    blocks, note = _junk.drop_junk(blocks, figures)
    _pagetype.check_article(blocks, tree, title, url, paywall)
    dateline, blocks = _take_dateline(blocks)
    image, blocks = _lead_image(blocks, tree, figures, url)
    published = _published(tree, url)
    return Document(
        url=url, title=title, blocks=blocks, canonical_url=_html.canonical_link(tree, url),
        byline=_byline(tree, meta), published=published,
        language=_language(tree, blocks), dateline=dateline, image=image,
        syndication_note=note, updated=_updated(tree, published),
    )


def _trafilatura(tree: HtmlElement, url: str, *, favor: str) -> Any:
    """trafilatura's body as XML (formatting, links, images, tables kept; comments not).
    ``favor``: "precision" (the default reading), "balance" (the retry, see ``_longer``) or
    "recall" (inside a source's own body selector, where everything is the article)."""
    return trafilatura.bare_extraction(
        tree, url=url, include_comments=False, include_formatting=True, include_links=True,
        include_images=True, include_tables=True, with_metadata=False, output_format="xml",
        favor_precision=favor == "precision", favor_recall=favor == "recall",
    )


def _worth_a_second_look(result: Any, tree: HtmlElement) -> bool:
    """The precision reading is short and the page's own paragraphs hold several times more
    text. Short readings are common (section fronts, stubs, short items: a third of the
    corpus pages); one in forty of them lost the story, and the paragraphs tell which,
    for a fraction of the cost of a second extraction."""
    found = len(getattr(result, "raw_text", "") or "")
    if not found:
        return True  # precision mode drops very short texts outright; a brief item is one
    if found >= _RETRY_BELOW_CHARS:
        return False
    paragraphs = sum(len(p.text_content()) for p in tree.iter("p"))
    return paragraphs > _RETRY_GAIN * max(found, 1)


def _longer(first: Any, second: Any) -> Any:
    """favor_precision sometimes prunes an article down to its first paragraph (a review
    page: 1.7k of 11k characters); when it leaves little text, the page is read again
    without it and that reading wins if it finds clearly more."""
    first_len = len(getattr(first, "raw_text", "") or "")
    second_len = len(getattr(second, "raw_text", "") or "")
    return second if second_len > _RETRY_GAIN * first_len else first


def _check_size(html: str | bytes, url: str) -> None:
    """Refuse oversized input before decoding or parsing it: a 20 MB page is a dump or an
    attack, never a news article, and lxml would build a tree of it first."""
    if len(html) > MAX_PAGE_BYTES:
        raise ExtractError(url, f"page is too large to be an article ({len(html) / 1e6:.1f} MB;"
                                f" the limit is {MAX_PAGE_BYTES / 1e6:.0f} MB)")


def _parse(text: str, url: str) -> HtmlElement:
    if _looks_binary(text):
        raise ExtractError(url, "page is binary data, not HTML")
    tree = trafilatura.utils.load_html(text) if text.strip() else None
    if tree is None:
        raise ExtractError(url, "page is empty or not HTML")
    return tree


def _looks_binary(text: str) -> bool:
    """Binary served as text/html (an image, a PDF, gzip) decodes to control characters and
    replacement marks; real pages, whatever their script, have almost none."""
    sample = text[:4096]
    if not sample:
        return False
    bad = sum(1 for ch in sample if ch == "\ufffd" or (ch < " " and ch not in "\t\n\r\f"))
    return bad > len(sample) * _MAX_BINARY_SHARE


# --- body → blocks ------------------------------------------------------------------------

def _blocks(body: Any, figures: dict[str, Figure], base: str, title: str) -> Iterator[Block]:
    """trafilatura's body → blocks, in order. Text standing loose in the body (a page whose
    whole article is one bare line: trafilatura then returns a ``<span>`` of text) is a
    paragraph too."""
    yield from _loose_text(body.text)
    for el in body:
        yield from _element_blocks(el, figures, base, title)
        yield from _loose_text(el.tail)


def _loose_text(text: str | None) -> Iterator[Block]:
    """A paragraph of loose text, unless it is only a photo credit left behind by a
    caption ("(Credit: Jane Doe/CNET)")."""
    cleaned = clean_text(_TAG_LIKE.sub("", text or ""))
    if cleaned and _html.split_credit(cleaned)[0]:
        yield Block("p", cleaned)


def _element_blocks(el: Any, figures: dict[str, Figure], base: str,
                    title: str) -> Iterator[Block]:
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
    text, links, _ = _inline(el, base)  # a heading is emphasis enough
    level = (el.get("rend") or "h2").lower()
    if not text or (level == "h1" and text == title):
        return
    yield Block("h2" if level in ("h1", "h2") else "h3", text, links)


def _list_items(el: Any, base: str) -> Iterator[Block]:
    for item in el.iterchildren("item"):
        nested = [child for child in item if child.tag == "list"]
        for child in nested:
            item.remove(child)
        text, links, emphasis = _inline(item, base)
        if text:
            yield Block("li", text, links, emphasis=emphasis)
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
        text, links, emphasis = _inline(el, base)
        if text:
            yield Block(btype, text, links, emphasis=emphasis)
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


def _inline(el: Any, base: str) -> tuple[str, tuple[Link, ...], tuple[Emphasis, ...]]:
    """Plain text of an element with its ``ref`` links and its emphasis (``hi`` rend
    ``#i``/``#b``: the page's ``<em>``/``<i>``/``<strong>``/``<b>``); offsets index the
    returned text. Adjacent pieces of one emphasis ("<em>a <a>b</a></em>") make one span."""
    out = ""
    links: list[Link] = []
    spans: list[Emphasis] = []
    for piece, href, kind in _pieces(el, base, ""):
        piece = re.sub(r"\s+", " ", _TAG_LIKE.sub("", piece))
        if not out or out.endswith(" "):
            piece = piece.lstrip(" ")
        start = len(out) + len(piece) - len(piece.lstrip())
        word = piece.strip()
        if href and word:
            links.append(Link(word, href, start))
        if kind and word:
            last = spans[-1] if spans else None
            joined = out + piece
            if last and last.kind == kind and not joined[last.start + len(last.text):start].strip():
                spans[-1] = Emphasis(joined[last.start:start + len(word)], last.start, kind)
            else:
                spans.append(Emphasis(word, start, kind))
        out += piece
    return out.rstrip(), tuple(links), tuple(spans)


# trafilatura elements that stand apart: their words never run into the neighbours' words
# ("WebIDE" + "Develop..." read as "WebIDEDevelop").
_BLOCK_TAGS = frozenset({"p", "head", "item", "list", "quote", "row", "cell", "table", "div"})
# trafilatura's ``hi`` renditions that are emphasis (underline, sub/superscript are not).
_EMPHASIS = {"#i": "em", "#b": "strong"}


def _pieces(el: Any, base: str, kind: str) -> Iterator[tuple[str, str, str]]:
    """(text, link target or "", emphasis kind or "") in reading order; ``kind`` is the
    emphasis ``el`` sits in (the outer one wins: bold inside italics stays "em")."""
    if el.text:
        yield el.text, "", kind
    for child in el:
        if child.tag == "ref":
            href = safe_url(child.get("target"), base)
            yield "".join(child.itertext()), href, kind or _ref_emphasis(child)
        elif child.tag == "lb":
            yield " ", "", ""
        elif child.tag in _BLOCK_TAGS:  # a heading and its text inside one list item
            yield " ", "", ""
            yield from _pieces(child, base, kind)
            yield " ", "", ""
        elif child.tag == "hi":
            yield from _pieces(child, base, kind or _EMPHASIS.get(child.get("rend") or "", ""))
        elif child.tag not in ("graphic", etree.Comment):
            yield from _pieces(child, base, kind)
        if child.tail:
            yield child.tail, "", kind


def _ref_emphasis(ref: Any) -> str:
    """A link whose whole text is emphasised ("<a><strong>Read</strong></a>")."""
    inner = [c for c in ref if c.tag == "hi"]
    if len(inner) == 1 and not (ref.text or "").strip() and not (inner[0].tail or "").strip():
        return _EMPHASIS.get(inner[0].get("rend") or "", "")
    return ""


# --- clean-up -----------------------------------------------------------------------------

def _take_dateline(blocks: list[Block]) -> tuple[str, list[Block]]:
    """The dateline opens the first paragraph, after any photo or highlights; past a short
    source-credit line ("CNN", "By Jane Doe") it may open the second."""
    paragraphs = [i for i, b in enumerate(blocks) if b.type == "p"][:2]
    for n, i in enumerate(paragraphs):
        block = blocks[i]
        dateline, rest = split_dateline(block.text)
        if dateline:
            cut = len(block.text) - len(rest)
            links = tuple(Link(x.text, x.href, x.start - cut) for x in block.links
                          if x.start >= cut)
            emphasis = tuple(Emphasis(x.text, x.start - cut, x.kind) for x in block.emphasis
                             if x.start >= cut)
            tail = [block.with_text(rest, links, emphasis)] if rest else []
            return dateline, [*blocks[:i], *tail, *blocks[i + 1 :]]
        if n == 0 and not _CREDIT_LINE.fullmatch(block.text):
            break
    return "", blocks


# A line before the story that only names its source or author: a few words, no sentence.
_CREDIT_LINE = re.compile(r"(?:By\s+)?[A-Z][\w.&'’-]*(?:\s+[\w.&'’-]+){0,3}")


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


def _metadata(tree: HtmlElement) -> Any:
    """trafilatura's cheap metadata readers on the page tree: ``<meta>`` tags and JSON-LD
    (the headline elements are weighed by ``_title``). Not its author XPaths,
    categories, licence or date search (see ``_byline`` and ``_published``)."""
    meta = examine_meta(tree)
    if meta.author and " " not in meta.author:
        meta.author = None  # a handle ("newsdesk"), not a person; as trafilatura does
    with contextlib.suppress(Exception):  # trafilatura's JSON-LD reader trips on odd JSON
        meta = extract_meta_json(tree, meta)
    if not meta.sitename:
        meta.sitename = extract_sitename(tree)
    return meta


def _language(tree: HtmlElement, blocks: list[Block]) -> str:
    declared = _html.page_language(tree)
    if declared:
        return declared
    return identify_language("\n".join(b.text for b in blocks if b.type in ("p", "quote")))


def _title(tree: HtmlElement, result: Any, url: str) -> str:
    """The article's headline, chosen by agreement between the places a page states it.

    Sources: the JSON-LD headline, og:title, twitter:title (one "social" voice with
    og:title: sites fill both from one field), ``<title>`` and the page's first ``<h1>``s.
    Each is also read without a site-name segment ("Headline | Site", "Site | Headline",
    "Headline -- Section -- Site", "标题-新华网"). The reading most sources agree on wins
    (ties: JSON-LD, social, ``<title>``, ``<h1>``), printed as the first of them states it
    (quotes straight or curly: they are compared alike). A lone ``<h1>``
    that nothing agrees with is usually the site's logo or section name ("Allergies Health
    Center"), so ``<title>`` beats it; an ``<h1>`` is used alone only when nothing else
    names the page."""
    site = _site_names(tree, result, url)
    voices: list[tuple[str, list[str]]] = []
    for ld in _html.json_ld_articles(tree):
        headline = _clean_title(str(ld.get("headline") or ""))
        if headline:
            voices.append(("ld", [headline]))
            break
    social = [t for t in (_clean_title(_html.meta_content(tree, "og:title")),
                          _clean_title(_html.meta_content(tree, "twitter:title"))) if t]
    if not social and getattr(result, "title", None):
        social = [_clean_title(str(result.title))]
    if social:
        voices.append(("social", social))
    page_title = _clean_title(tree.findtext(".//title") or "")
    if page_title:
        voices.append(("title", [page_title]))
    h1s = [t for t in (_clean_title(h.text_content()) for h in tree.iter("h1")) if t][:3]
    best: tuple[int, int, str] | None = None
    readings: dict[str, tuple[set[str], str]] = {}
    order = {"ld": 0, "social": 1, "title": 2, "h1": 3}
    for voice, texts in [*voices, *(("h1", [h]) for h in h1s)]:
        for text in texts:
            for reading in _readings(text, site):
                key = _title_key(reading)
                names, shown = readings.get(key, (set(), reading))
                readings[key] = ({*names, voice}, shown)
    for names, shown in readings.values():
        if names == {"h1"} and voices:
            continue
        candidate = (len(names), -min(order[n] for n in names), shown)
        if best is None or candidate[:2] > best[:2]:
            best = candidate
    if best is None:
        return h1s[0] if h1s else ""
    if best[0] > 1:
        return best[2]
    # Nobody agrees: the best voice's own text, minus a known site name; an <h1> that
    # continues it is the whole headline a short <title> cut ("Hospital wing" / "Hospital
    # wing opens in June").
    title = _strip_site(best[2], site)
    key = _title_key(title)
    return next((h for h in h1s if len(h) > len(title) and _title_key(h).startswith(key)),
                title)


# " | ", " - ", " -- ", " » ", " · "; "|" and "_" anywhere; and, after Chinese, Japanese or
# Korean text (written without spaces), "-" and "：" too ("标题-新华网"). A colon with no
# space before it is part of a headline ("Analysis: ...").
_TITLE_SEPARATOR = re.compile(
    r"\s+(?:[|–—»·•:]|--?|::)\s+|\s*[|｜_]\s*"
    r"|(?<=[\u3000-\u9fff\uac00-\ud7af\uff00-\uffef])\s*[-：]\s*")


def _clean_title(text: str) -> str:
    title = clean_text(text).strip("¶ ")
    if "&" in title:  # double-escaped metadata: "&#039;Parasite&#039; scores..."
        title = clean_text(unescape(title))
    return title


def _title_key(text: str) -> str:
    return re.sub(r"[‘’ʼ`´]", "'", re.sub(r"[“”„«»]", '"', text)).casefold().strip(" .")


def _readings(text: str, site: set[str]) -> list[str]:
    """``text`` itself, then without its site-name segments, then its longest segment (the
    headline in "Headline | Section | Site" and "Site | Headline"; a short segment that two
    voices share is the site's name, not a headline they agree on)."""
    parts = [p.strip() for p in _TITLE_SEPARATOR.split(text) if p.strip()]
    out = [text]
    if len(parts) > 1:
        out += [_strip_site(text, site), max(parts, key=len)]
    return [t for t in dict.fromkeys(out) if t]


def _strip_site(title: str, site: set[str]) -> str:
    """Drop leading and trailing segments that name the site (its og:site_name, its host)."""
    parts = [p.strip() for p in _TITLE_SEPARATOR.split(title)]
    seps = _TITLE_SEPARATOR.findall(title)
    if len(parts) < 2 or not site:
        return title
    lo, hi = 0, len(parts)
    while hi - lo > 1 and _names_site(parts[hi - 1], site):
        hi -= 1
    while hi - lo > 1 and _names_site(parts[lo], site):
        lo += 1
    if (lo, hi) == (0, len(parts)):
        return title
    out = parts[lo]
    for i in range(lo + 1, hi):
        out += seps[i - 1] + parts[i]
    return out.strip() or title


def _names_site(segment: str, site: set[str]) -> bool:
    key = re.sub(r"\W+", "", segment.casefold())
    return bool(key) and any(key == s or (len(key) >= 3 and (key in s or s in key))
                             for s in site)


def _site_names(tree: HtmlElement, result: Any, url: str) -> set[str]:
    """Keys (alphanumerics, lower case) of the site's names: og:site_name, application-name,
    trafilatura's site name, and the host without "www." and its top-level domain."""
    names = [getattr(result, "sitename", "") or "",
             _html.meta_content(tree, "og:site_name", "application-name", "twitter:site")]
    host = urlsplit(url).hostname or ""
    labels = [x for x in host.split(".") if x not in ("www", "m", "amp")]
    if len(labels) >= 2:
        names.append(labels[-2])
    keys = {re.sub(r"\W+|\.(?:com|net|org|co|cz|de|uk)\b", "", n.casefold().lstrip("@"))
            for n in names}
    return {k for k in keys if len(k) >= 2}


# Where pages print the author when no <meta> or JSON-LD names one: schema.org microdata,
# rel=author links, then elements whose class names a byline or author. One XPath pass,
# only for pages whose metadata is silent (trafilatura's author search deep-copies the page).
_BYLINE_XPATH = etree.XPath(
    "//*[@itemprop='author'] | //a[@rel='author']"
    " | //*[self::p or self::span or self::div or self::a or self::address or self::strong]"
    "[contains(@class, 'byline') or contains(@class, 'author')]"
)
_BY = re.compile(r"^(?:by|oleh|von|par|por)\s+", re.I)
_MAX_BYLINE_CHARS = 100


def _byline(tree: HtmlElement, result: Any) -> str:
    for author in (clean_text(getattr(result, "author", "") or ""),
                   _html.meta_content(tree, "author", "article:author", "byl")):
        if author and not re.match(r"(?:https?:|www\.)", author):
            return author  # (some sites put a social profile URL in <meta name=author>)
    for el in _BYLINE_XPATH(tree):
        text = _BY.sub("", _html.element_text(el))
        if 3 <= len(text) <= _MAX_BYLINE_CHARS and not re.match(r"(?:https?:|www\.)", text):
            return text
    return ""


def _published(tree: HtmlElement, url: str) -> datetime | None:
    """JSON-LD datePublished (of an article-typed object first: a page's video or
    breadcrumb objects carry their own dates), then publication meta tags, then the
    article's ``<time>``; only when the page says nothing, htmldate's search of the page
    (URL, visible dates). Always timezone-aware: a time without an offset, or a date alone,
    is taken as UTC."""
    candidates = _ld_values(tree, "datePublished")
    candidates.append(_html.meta_content(tree, *_PUBLISHED_META))
    candidates += tree.xpath("(.//article//time/@datetime | .//time[@pubdate]/@datetime)[1]")
    for value in candidates:
        parsed = _html.parse_datetime(value) if value else None
        if parsed is not None:
            return parsed
    return _htmldate(tree, url)


def _updated(tree: HtmlElement, published: datetime | None) -> datetime | None:
    """When the story was last revised: JSON-LD dateModified, then modification meta tags.
    No htmldate guess: a wrong "updated" line is worse than none. A value before the
    publication time (a template default) is ignored."""
    candidates = _ld_values(tree, "dateModified")
    candidates.append(_html.meta_content(tree, *_UPDATED_META))
    for value in candidates:
        parsed = _html.parse_datetime(value) if value else None
        if parsed is not None:
            return None if published is not None and parsed < published else parsed
    return None


def _ld_values(tree: HtmlElement, key: str) -> list[str]:
    """``key`` of every JSON-LD object, article types (NewsArticle, BlogPosting,
    ReportageNewsArticle...) first, in page order."""
    items = [ld for ld in _html.json_ld_items(tree) if ld.get(key)]
    items.sort(key=lambda ld: not _ARTICLE_TYPE.search(str(ld.get("@type") or "")))
    return [str(ld.get(key)) for ld in items]


_ARTICLE_TYPE = re.compile(r"Article|Posting|Report", re.I)


def _htmldate(tree: HtmlElement, url: str) -> datetime | None:
    """htmldate without its extensive search: that search reads every date-like string on
    the page and guesses from copyright years ("2022-01-01") on a third of the corpus pages
    that carry no date, at ten times the cost. Here: the URL, ``<time>``/``<abbr>``, date
    classes, the title and headline."""
    try:
        found = find_date(tree, url=url, original_date=True, extensive_search=False,
                          outputformat="%Y-%m-%d")
    except Exception:  # htmldate must never turn a page into a crash
        return None
    return _html.parse_datetime(found) if found else None
