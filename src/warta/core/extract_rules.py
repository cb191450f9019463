"""Per-source extraction overrides: CSS selectors for when the generic extractor fails.

A source whose pages trafilatura reads badly names, in plain CSS, where its article body,
captions and title are and what to throw away. ``ExtractRules`` holds those selectors
(validated when built: a bad selector is a ``ConfigError`` naming it), and the functions here
apply them to a parsed page. Selectors are matched with lxml + cssselect; pure, no I/O.

Stored as JSON on the source (``Source.extract_rules``) with the field names as keys::

    {"body_selector": "div.story-body", "remove_selectors": [".promo", "aside"],
     "caption_selector": ".photo-caption", "title_selector": "h1.headline"}
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Any

from cssselect import HTMLTranslator, SelectorError
from lxml import etree
from lxml import html as lxml_html
from lxml.html import HtmlElement

from warta.core.errors import ConfigError

_CONFIG_KEY = "extract_rules"


@dataclass(frozen=True)
class ExtractRules:
    """CSS selectors that override generic extraction for one source; every field optional.

    - ``body_selector``: the article is the matching element(s) only (all matches, in page
      order); the page's metadata (title, date, byline) is still read from the whole page.
      When nothing matches (the site changed), extraction falls back to the generic one.
    - ``remove_selectors``: elements dropped from the page before anything else is read.
    - ``caption_selector``: elements holding photo captions; each captions the first image
      inside it or inside its parent/grandparent. These win over generic captions.
    - ``title_selector``: the article's title is the first match's text.

    Raises ``ConfigError`` (key ``extract_rules.<field>``) for a selector cssselect cannot
    parse or translate.
    """

    body_selector: str = ""
    remove_selectors: tuple[str, ...] = ()
    caption_selector: str = ""
    title_selector: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.remove_selectors, str):  # one selector given bare: be forgiving
            object.__setattr__(self, "remove_selectors", (self.remove_selectors,))
        else:
            object.__setattr__(self, "remove_selectors", tuple(self.remove_selectors))
        for field in fields(self):
            value = getattr(self, field.name)
            for selector in value if isinstance(value, tuple) else (value,):
                if not isinstance(selector, str):
                    raise ConfigError(f"{_CONFIG_KEY}.{field.name}",
                                      f"expected a CSS selector string, got {selector!r}")
                if selector.strip():
                    css_xpath(selector, field.name)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> ExtractRules:
        """Rules from their stored JSON form; unknown keys are a ``ConfigError``."""
        data = dict(data or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"{_CONFIG_KEY}.{unknown[0]}",
                              f"unknown key; expected one of {', '.join(sorted(known))}")
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        """The non-empty fields, JSON-ready (``from_dict(to_dict())`` round-trips)."""
        out: dict[str, Any] = {}
        for field in fields(self):
            value = getattr(self, field.name)
            if value:
                out[field.name] = list(value) if isinstance(value, tuple) else value
        return out

    def __bool__(self) -> bool:
        return bool(self.to_dict())


@lru_cache(maxsize=512)
def css_xpath(selector: str, field: str = "selector") -> str:
    """The XPath expression for a CSS ``selector``; ``ConfigError`` naming it if invalid."""
    try:
        xpath = HTMLTranslator().css_to_xpath(selector.strip())
        etree.XPath(xpath)  # cssselect output lxml cannot compile is just as unusable
    except (SelectorError, etree.XPathError) as e:
        raise ConfigError(f"{_CONFIG_KEY}.{field}",
                          f"invalid CSS selector {selector!r}: {e}") from e
    return xpath


def select(tree: HtmlElement, selector: str) -> list[HtmlElement]:
    """Elements of ``tree`` matching ``selector``, in document order."""
    if not selector.strip():
        return []
    found = tree.xpath(css_xpath(selector))
    return [el for el in found if isinstance(el, HtmlElement)]


def remove_matches(tree: HtmlElement, selectors: tuple[str, ...]) -> None:
    """Drop every element matching one of ``selectors`` (with its children, keeping its
    tail text). Mutates ``tree``."""
    for selector in selectors:
        for el in select(tree, selector):
            if el.getparent() is not None:
                el.drop_tree()


def body_only(tree: HtmlElement, selector: str) -> HtmlElement | None:
    """A new page holding ``tree``'s ``<head>`` and, as its body, copies of the elements
    matching ``selector`` (outermost matches only); ``None`` when nothing matches."""
    matches = select(tree, selector)
    if not matches:
        return None
    matched = set(matches)
    outer = [el for el in matches if not any(a in matched for a in el.iterancestors())]
    page: HtmlElement = lxml_html.document_fromstring(
        "<html><head></head><body><article></article></body></html>")
    head = tree.find("head")
    if head is not None:
        page.replace(page[0], copy.deepcopy(head))
    article = page.find("body/article")
    for el in outer:
        copied = copy.deepcopy(el)
        copied.tail = None
        article.append(copied)
    return page
