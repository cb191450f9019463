"""Turning fetched bytes into text without mojibake."""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))


def decode_html(data: bytes, encoding: str | None = None) -> str:
    """Bytes → text. Order: the caller's ``encoding``, a BOM, a ``<meta charset>``, strict
    UTF-8, then charset_normalizer's guess (Windows-1252 when it has none). A declared
    encoding that fails to decode is ignored rather than trusted into mojibake; so is a
    single-byte Latin label (an HTTP header or ``<meta>`` saying ISO-8859-1/Windows-1252/ASCII)
    on bytes that are valid UTF-8 with non-ASCII characters: servers mislabel UTF-8 that way
    all the time, while Latin-1 text that happens to be valid UTF-8 is vanishingly rare."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data.decode(name, errors="replace")
    candidates = [encoding] if encoding else []
    m = _META_CHARSET.search(data[:4096])
    if m:
        candidates.append(m.group(1).decode("ascii"))
    candidates.append("utf-8")
    if _normalise_codec(candidates[0]) in _LATIN_LABELS and not data.isascii():
        candidates.insert(0, "utf-8")
    for name in candidates:
        try:
            return data.decode(_normalise_codec(name))
        except (LookupError, UnicodeDecodeError):
            continue
    best = from_bytes(data[:20000] + data[-20000:] if len(data) > 40000 else data).best()
    guess = best.encoding if best is not None else "cp1252"
    return data.decode(_normalise_codec(guess), errors="replace")


_LATIN_LABELS = frozenset({"cp1252", "windows-1252", "iso-8859-15", "latin-9"})


def _normalise_codec(name: str) -> str:
    # Browsers read "iso-8859-1"/"latin-1" labels as windows-1252 (WHATWG Encoding).
    key = name.strip().lower().replace("_", "-")
    return "cp1252" if key in ("iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii") else key


