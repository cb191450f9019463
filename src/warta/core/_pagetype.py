"""Is the page an article? Section fronts, error pages, video pages and paywall stubs are not.

Private to ``warta.core.extract``: ``check_article`` raises ``ExtractError`` with a reason a
person understands, or returns. Reads the extracted blocks and the parsed page; pure.
"""

from __future__ import annotations

import re

from lxml import etree

from warta.core import _html
from warta.core._html import HtmlElement, clean_text
from warta.core._junk import PAYWALL_LINE
from warta.core.document import Block
from warta.core.errors import ExtractError

TEXT_TYPES = ("p", "quote", "h2", "h3", "li")
_MIN_PARAGRAPHS = 2
_MIN_CHARS = 250
_MAX_LINK_SHARE = 0.5
_FEW_PARAGRAPHS = 3  # with a page mostly of links, fewer paragraphs than this is a section front
# A video page carries a description, not a story: under this much text it is the video's.
_VIDEO_MAX_CHARS = 600
# A paywall stub shows a teaser; a metered page that ships the whole text is longer.
_STUB_MAX_CHARS = 1200
_ERROR_TITLE = re.compile(r"\b(?:404|410|page not found|not found|error|no longer available)\b",
                          re.I)
_VIDEO_HOSTS = re.compile(
    r"(?:youtube(?:-nocookie)?\.com/embed|player\.vimeo\.com|dailymotion\.com/embed"
    r"|jwplayer|jwplatform|brightcove|players\.brightcove|video\.|/video/|kaltura|ooyala)",
    re.I,
)


def check_article(blocks: list[Block], tree: HtmlElement, title: str, url: str,
                  paywall_seen: bool) -> None:
    """Raise ``ExtractError(url, reason)`` when the page is not an article to publish.

    ``paywall_seen``: a paywall prompt was among the extracted lines (already removed)."""
    text_blocks = [b for b in blocks if b.type in TEXT_TYPES]
    chars = sum(len(b.text) for b in text_blocks)
    paragraphs = sum(1 for b in text_blocks if b.type in ("p", "quote"))
    short = paragraphs < _MIN_PARAGRAPHS and chars < _MIN_CHARS
    if (chars < _VIDEO_MAX_CHARS and _declares_video(tree)) or (short and _has_player(tree)):
        raise ExtractError(url, "page looks like a video page, with no article text")
    if chars < _STUB_MAX_CHARS and (paywall_seen or _declares_paywall(tree)):
        raise ExtractError(url, "page looks like a paywall stub: only a teaser is readable")
    if short:
        page_title = clean_text(tree.findtext(".//title"))
        if _ERROR_TITLE.search(page_title) or _ERROR_TITLE.search(title):
            raise ExtractError(url, f"page looks like an error page (\"{page_title[:80]}\")")
        if page_link_share(tree) > _MAX_LINK_SHARE:
            raise ExtractError(url, "page looks like a list of links, not an article")
        if not _whole_page(text_blocks, tree, title):
            raise ExtractError(url, "no article text found")
    linked = sum(len(link.text) for b in text_blocks for link in b.links)
    few_paragraphs = paragraphs < _FEW_PARAGRAPHS and page_link_share(tree) > _MAX_LINK_SHARE
    if few_paragraphs or linked > _MAX_LINK_SHARE * chars:
        raise ExtractError(url, "page looks like a list of links, not an article")


def _whole_page(text_blocks: list[Block], tree: HtmlElement, title: str) -> bool:
    """A short reading is the article when it is (nearly) all the page says: a brief item
    ("Quake hits Lombok; no tsunami warning") on a page with nothing else. A short reading
    of a page that holds much more text is a fragment (a hub, a shell, a page the extractor
    could not read) and is refused. Pages with no words at all are refused either way."""
    text = " ".join(b.text for b in text_blocks)
    if not _WORD.search(text) or _SHELL.search(text):
        return False
    body = tree.find(".//body")
    if body is None:
        return False
    page = clean_text(" ".join(_VISIBLE_TEXT(body)))
    return len(text) + len(title) >= _WHOLE_PAGE_SHARE * len(page)


_WORD = re.compile(r"[^\W\d_]{2}")
# What an app shell, a bot check or a block page says instead of the story: short, and the
# whole page, so it would otherwise pass for a brief item.
_SHELL = re.compile(
    r"enable javascript|javascript (?:is )?(?:required|disabled|off)|turn on javascript"
    r"|(?:browser|version) is (?:not supported|out of date)|unsupported browser"
    r"|are you a (?:human|robot)|captcha|checking your browser|access (?:is )?denied"
    r"|(?:cookies|javascript) must be enabled|aktifkan javascript",
    re.I,
)
_VISIBLE_TEXT = etree.XPath(
    ".//text()[not(ancestor::script) and not(ancestor::style) and not(ancestor::noscript)"
    " and not(ancestor::template)]"
)
# Share of the page's visible text a short reading must hold to stand for the whole page.
_WHOLE_PAGE_SHARE = 0.6


def has_paywall_line(blocks: list[Block]) -> bool:
    return any(b.type != "img" and len(b.text) <= 300 and PAYWALL_LINE.search(b.text)
               for b in blocks)


def page_link_share(tree: HtmlElement) -> float:
    body = tree.find(".//body")
    if body is None:
        return 0.0
    total = len(clean_text(body.text_content()))
    linked = sum(len(clean_text(a.text_content())) for a in body.iter("a"))
    return linked / total if total else 0.0


def _declares_video(tree: HtmlElement) -> bool:
    """og:type video.*, or a JSON-LD VideoObject on a page with no JSON-LD article."""
    if _html.meta_content(tree, "og:type").lower().startswith("video"):
        return True
    types: set[str] = set()
    for ld in _html.json_ld_items(tree):
        types |= _ld_types(ld)
    return "videoobject" in types and not any("article" in t for t in types)


def _has_player(tree: HtmlElement) -> bool:
    body = tree.find(".//body")
    if body is None:
        return False
    if next(body.iter("video"), None) is not None:
        return True
    return any(_VIDEO_HOSTS.search(el.get("src") or el.get("data-src") or "")
               for el in body.iter("iframe"))


def _declares_paywall(tree: HtmlElement) -> bool:
    """schema.org ``isAccessibleForFree: false`` in JSON-LD or microdata."""
    for ld in _html.json_ld_items(tree):
        if str(ld.get("isAccessibleForFree", "")).strip().lower() == "false":
            return True
    return _html.meta_content(tree, "isAccessibleForFree").lower() == "false"


def _ld_types(ld: dict[str, object]) -> set[str]:
    value = ld.get("@type")
    types = value if isinstance(value, list) else [value]
    return {str(t).lower() for t in types if t}
