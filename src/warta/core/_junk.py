"""Boilerplate that survives trafilatura, removed from the extracted blocks.

Private to ``warta.core.extract``. Two kinds:

- lines: "Also read: ...", share/follow/newsletter prompts, credit-only paragraphs, paywall
  prompts, a caption repeated as a paragraph; the syndication line is set aside as a note;
- sections after (or inside) the article: a "Related" / "Most viewed" / "Trending" heading
  with its run of link-only items, a reader-comments heading with everything after it, and a
  trailing run of headline-like list items with no heading at all.

Pure functions of blocks; no I/O.
"""

from __future__ import annotations

import re

from warta.core._html import Figure
from warta.core.document import Block

_JUNK_PREFIX = re.compile(
    r"^(?:also read|read also|read more|more from|read|baca juga|see also|also see"
    r"|(?:à |a )?lire aussi|related"
    r"(?: stories| articles| news)?|recommended|also watch|watch|must read|don't miss)\s*[:|\-–—»]",
    re.I,
)
_JUNK_LINE = re.compile(
    r"^(?:(?:also read|read more|baca juga|related stories|share(?: this(?: article| story)?)?"
    r"|advertisement|story continues below(?: this ad)?|click here.*)\s*[:.]?"
    r"|follow (?:us|\w+) on .*|(?:share|tweet|post) (?:on|to|via) .*"
    r"|.*\b(?:subscribe|sign up|signup)\b.*\bnewsletter\b.*"
    r"|.*\bnewsletter\b.*\b(?:subscribe|sign up)\b.*"
    r"|track latest news live on .*|scroll to continue with content"
    r"|(?:representational|representative|file) (?:image|photo)\.?"
    r"|\(?(?:photo|image|picture|foto)(?: credits?)?\s*:\s*[^.]{1,60}\)?)$",
    re.I,
)
_JUNK_MAX_CHARS = 300
# "Subscribe to continue reading", "この記事は会員限定です": the wall, not the story.
PAYWALL_LINE = re.compile(
    r"(?:\b(?:subscribe|sign in|log in|register)\b.{0,40}\b(?:to (?:continue|keep) reading"
    r"|to read (?:the|this) (?:full|rest|whole|entire)|for full access|to unlock)"
    r"|\b(?:this (?:article|story|content) is (?:only )?(?:for|available to|exclusive to)"
    r" (?:paid |premium )?(?:subscribers|members)"
    r"|already a (?:subscriber|member)\??\s*(?:log|sign) in"
    r"|(?:artikel|konten|berita) ini (?:khusus|hanya) (?:untuk )?(?:pelanggan|member)"
    r"|berlangganan untuk (?:membaca|melanjutkan))"
    r"|会員限定|続きをお読みいただけます|有料会員)",
    re.I,
)
_SYNDICATION = re.compile(
    r"^\(?(?:except for the headline, )?this story has not been edited by .{1,60}? staff and is"
    r" (?:auto-generated|published) from a syndicated feed\.?\)?$",
    re.I,
)
# Section titles of the link boxes pages put after (and in) an article.
_SECTION_TITLE = re.compile(
    r"^(?:related(?: stories| articles| news| content| coverage| posts| links| topics| reading)?"
    r"|more (?:[\w'’-]+ ){0,2}(?:from|on|in|about) .{1,40}|more (?:stories|news|articles)"
    r"|(?:most|top) (?:viewed|read|popular|shared|emailed|commented)(?: stories| articles)?"
    r"|trending(?: now| stories| news| topics)?|popular(?: now| stories| news| posts)?"
    r"|top stories|latest (?:news|stories|headlines)|editor'?s'? picks?"
    r"|recommended(?: for you| stories| reading| articles)?|you (?:may|might) (?:also )?like"
    r"|you may have missed|don'?t miss|what to read next|read next|up next"
    r"|(?:other|more) (?:news|stories)|in other news|more must-reads from .{1,40}"
    r"|berita terkait|artikel terkait|berita lainnya|terpopuler|populer|terkini|pilihan editor)"
    r"(?:\s+more)?\s*[:»›>]*$",
    re.I,
)
# Titles that are boilerplate even when their links are gone (a real subheading is never
# just "Related"); others ("Top stories", "Trending") go only with their run of links.
_ORPHAN_TITLE = re.compile(
    r"^(?:related(?: stories| articles| news| content| coverage| posts| links| reading)?"
    r"|(?:most|top) (?:viewed|read|popular|shared|emailed|commented)"
    r"|recommended(?: for you| stories| reading| articles)?|you (?:may|might) (?:also )?like"
    r"|read next|what to read next|berita terkait|artikel terkait)\s*[:»›>]*$",
    re.I,
)
_COMMENTS_TITLE = re.compile(
    r"^(?:\d+\s+)?(?:comments?|reader comments|leave a (?:reply|comment)|join the "
    r"(?:conversation|discussion)|(?:post|add|write) a comment|comentar(?:ios)?"
    r"|commentaires?|kommentare?|komentar(?: anda)?|tulis komentar)\s*(?:\(\d+\))?\s*:?$",
    re.I,
)
_SECTION_MAX_CHARS = 80
_LINKED_SHARE = 0.7  # a block whose links cover this much of its text is a link, not prose
_MIN_TRAILING_ITEMS = 3
_SENTENCE_END = re.compile(r"[.!?。！？…\"”’»)\]]$")


def drop_junk(blocks: list[Block], figures: dict[str, Figure]) -> tuple[list[Block], str]:
    """Remove boilerplate lines and sections; return the kept blocks and the syndication
    note (the first "...published from a syndicated feed." line, "" if none)."""
    captions = {f.caption for f in figures.values() if f.caption}
    captions |= {b.text for b in blocks if b.type == "img" and b.text}
    kept: list[Block] = []
    note = ""
    for block in blocks:
        if block.type != "img" and _SYNDICATION.match(block.text):
            note = note or block.text
        elif block.type in ("p", "li", "h2", "h3") and (
            block.text in captions or is_junk_line(block)
        ):
            continue
        else:
            kept.append(block)
    return drop_trailing_list(drop_sections(kept)), note


def is_junk_line(block: Block) -> bool:
    if len(block.text) > _JUNK_MAX_CHARS:
        return False
    return bool(_JUNK_PREFIX.match(block.text) or _JUNK_LINE.match(block.text)
                or PAYWALL_LINE.search(block.text))


def drop_sections(blocks: list[Block]) -> list[Block]:
    """Drop "Related"/"Most viewed"-style sections (the title and its run of link-only or
    list items) wherever they are, and a reader-comments section with everything after it,
    once the article has started."""
    kept: list[Block] = []
    i = 0
    while i < len(blocks):
        block = blocks[i]
        if _is_section_title(block, _COMMENTS_TITLE) and _has_prose(kept):
            break
        if _is_section_title(block, _SECTION_TITLE):
            end = i + 1
            while end < len(blocks) and _is_link_item(blocks[end]):
                end += 1
            if end > i + 1 or end == len(blocks) or _ORPHAN_TITLE.match(block.text.strip()):
                i = end
                continue
        kept.append(block)
        i += 1
    return kept


def drop_trailing_list(blocks: list[Block]) -> list[Block]:
    """Drop a run of at least three headline-like list items that ends the page with no
    heading of its own ("more stories" boxes). A list introduced by "...:" or a heading
    is the article's and stays."""
    start = len(blocks)
    while start > 0 and blocks[start - 1].type == "li" and _is_headline_item(blocks[start - 1]):
        start -= 1
    if len(blocks) - start < _MIN_TRAILING_ITEMS or start == 0:
        return blocks
    before = blocks[start - 1]
    if before.type in ("h2", "h3") or before.text.rstrip().endswith(":"):
        return blocks
    return blocks[:start]


def _is_section_title(block: Block, pattern: re.Pattern[str]) -> bool:
    if block.type not in ("h2", "h3", "p") or len(block.text) > _SECTION_MAX_CHARS:
        return False
    return bool(pattern.match(block.text.strip()))


def _has_prose(blocks: list[Block]) -> bool:
    return sum(1 for b in blocks if b.type in ("p", "quote")) >= 2


def _link_share(block: Block) -> float:
    return sum(len(link.text) for link in block.links) / len(block.text) if block.text else 0.0


def _is_link_item(block: Block) -> bool:
    """A teaser in a link box: a list item, or a paragraph that is (almost) only a link."""
    if block.type == "img":
        return not block.text
    if block.type == "li":
        return _link_share(block) >= _LINKED_SHARE or _is_headline_item(block)
    return block.type == "p" and _link_share(block) >= _LINKED_SHARE


def _is_headline_item(block: Block) -> bool:
    """A list item that reads as a headline: linked, or short without a sentence's end."""
    if _link_share(block) >= _LINKED_SHARE:
        return True
    text = block.text.strip()
    return len(text) <= 160 and len(text.split()) >= 3 and not _SENTENCE_END.search(text)
