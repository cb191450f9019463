"""The structured article: a ``Document`` of typed ``Block``s, and its JSON form.

The JSON form is the contract of ``warta extract`` (see DESIGN.md): keys may be added,
never renamed. Datetimes are timezone-aware and serialised as ISO 8601.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

BlockType = Literal["p", "quote", "h2", "h3", "li", "img"]
BLOCK_TYPES: tuple[str, ...] = ("p", "quote", "h2", "h3", "li", "img")


@dataclass(frozen=True)
class Link:
    """An inline link inside a block: ``text`` occurs at ``block.text[start:start+len(text)]``."""

    text: str
    href: str
    start: int

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "href": self.href, "start": self.start}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Link:
        return cls(text=str(d["text"]), href=str(d["href"]), start=int(d.get("start", 0)))


@dataclass(frozen=True)
class Emphasis:
    """An emphasised span inside a block (``<em>``/``<i>`` → ``"em"``, ``<strong>``/``<b>`` →
    ``"strong"``): ``text`` occurs at ``block.text[start:start+len(text)]``, as for links.
    Translation keeps it on the translated words (``translate/document.py``)."""

    text: str
    start: int
    kind: str = "em"  # "em" | "strong"

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "start": self.start, "kind": self.kind}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Emphasis:
        kind = str(d.get("kind") or "em")
        return cls(text=str(d["text"]), start=int(d.get("start", 0)),
                   kind=kind if kind in ("em", "strong") else "em")


@dataclass(frozen=True)
class Image:
    src: str
    caption: str = ""
    credit: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"src": self.src, "caption": self.caption, "credit": self.credit}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Image:
        return cls(src=str(d.get("src", "")), caption=str(d.get("caption") or ""),
                   credit=str(d.get("credit") or ""))


@dataclass(frozen=True)
class Block:
    """One unit of the body. ``img`` blocks carry ``src``/``caption``/``credit``;
    ``text`` of an ``img`` block is its caption (so ``Document.text`` reads naturally)."""

    type: BlockType
    text: str
    links: tuple[Link, ...] = ()
    src: str = ""
    credit: str = ""
    emphasis: tuple[Emphasis, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"type": self.type, "text": self.text}
        if self.links:
            d["links"] = [link.to_dict() for link in self.links]
        if self.emphasis:
            d["emphasis"] = [e.to_dict() for e in self.emphasis]
        if self.type == "img":
            d["src"] = self.src
            d["caption"] = self.text
            d["credit"] = self.credit
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Block:
        btype = str(d.get("type", "p"))
        if btype not in BLOCK_TYPES:
            btype = "p"
        text = str(d.get("text") if d.get("text") is not None else d.get("caption") or "")
        return cls(
            type=btype,  # type: ignore[arg-type]
            text=text,
            links=tuple(Link.from_dict(x) for x in d.get("links") or ()),
            src=str(d.get("src") or ""),
            credit=str(d.get("credit") or ""),
            emphasis=tuple(Emphasis.from_dict(x) for x in d.get("emphasis") or ()),
        )

    def with_text(self, text: str, links: tuple[Link, ...] = (),
                  emphasis: tuple[Emphasis, ...] = ()) -> Block:
        return replace(self, text=text, links=links, emphasis=emphasis)


@dataclass
class Document:
    url: str
    title: str
    blocks: list[Block] = field(default_factory=list)
    canonical_url: str = ""
    byline: str = ""
    published: datetime | None = None
    language: str = ""
    dateline: str = ""
    image: Image | None = None
    syndication_note: str = ""
    # When the publisher last revised the story (JSON-LD dateModified, article:modified_time);
    # timezone-aware; None when the page does not say.
    updated: datetime | None = None

    @property
    def text(self) -> str:
        """The blocks' text joined by blank lines (figures contribute their caption)."""
        return "\n\n".join(b.text for b in self.blocks if b.text)

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "canonical_url": self.canonical_url or self.url,
            "title": self.title,
            "byline": self.byline,
            "published": self.published.isoformat() if self.published else None,
            "updated": self.updated.isoformat() if self.updated else None,
            "language": self.language,
            "dateline": self.dateline,
            "image": self.image.to_dict() if self.image else None,
            "blocks": [b.to_dict() for b in self.blocks],
            "syndication_note": self.syndication_note,
            "text": self.text,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Document:
        published = d.get("published")
        updated = d.get("updated")
        image = d.get("image")
        return cls(
            url=str(d.get("url") or ""),
            title=str(d.get("title") or ""),
            blocks=[Block.from_dict(b) for b in d.get("blocks") or ()],
            canonical_url=str(d.get("canonical_url") or ""),
            byline=str(d.get("byline") or ""),
            published=datetime.fromisoformat(published) if published else None,
            language=str(d.get("language") or ""),
            dateline=str(d.get("dateline") or ""),
            image=Image.from_dict(image) if image else None,
            syndication_note=str(d.get("syndication_note") or ""),
            updated=datetime.fromisoformat(updated) if updated else None,
        )
