"""Glossaries: fixed renderings the engine must not get wrong ("Moscow" → "Moskow"), and
terms it must leave alone (names, agencies, brands).

File format (one glossary per language pair), UTF-8:

* TSV (``.tsv``, ``.txt``): ``source<TAB>target`` per line;
* CSV (``.csv``): ``source,target`` per row (quote a term that holds a comma);
* blank lines and lines starting with ``#`` are ignored; a target of ``=`` means "keep the
  source term as written" (do not translate). A later line for the same source term (case
  ignored) replaces an earlier one.

Matching is case-insensitive (except for terms written in capitals: "US" never matches
"us"), on whole words, leftmost and then longest first ("New Delhi"
wins over "Delhi"). A term found in all lower case ("prime minister") is rendered in lower
case; otherwise the target is used as written. Terms are protected like placeholders
(``protect.py``), so the engine never sees them and they always come back as written here.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from warta.core.errors import ConfigError

KEEP = "="
CONFIG_KEY = "translate.glossary"


@dataclass(frozen=True)
class Glossary:
    """Source term → target term for one pair. Immutable; ``version`` changes whenever an
    entry does (it is part of the translation-memory key)."""

    entries: tuple[tuple[str, str], ...] = ()
    _pattern: re.Pattern[str] | None = field(default=None, init=False, repr=False,
                                             compare=False)
    _lookup: dict[str, str] = field(default_factory=dict, init=False, repr=False,
                                    compare=False)

    def __post_init__(self) -> None:
        lookup = {src.casefold(): tgt for src, tgt in self.entries}
        object.__setattr__(self, "_lookup", lookup)
        if lookup:
            terms = sorted({src for src, _ in self.entries}, key=len, reverse=True)
            alternation = "|".join(_term_regex(t) for t in terms)
            object.__setattr__(self, "_pattern",
                               re.compile(rf"(?<!\w)(?:{alternation})(?!\w)", re.I))

    def __len__(self) -> int:
        return len(self._lookup)

    @property
    def version(self) -> str:
        """A short hash of the entries ("" for an empty glossary)."""
        if not self._lookup:
            return ""
        body = "\n".join(f"{s}\t{t}" for s, t in sorted(self._lookup.items()))
        return hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]

    def target_for(self, term: str) -> str | None:
        """The rendering of ``term`` as found in a text, or None if it is not a term."""
        target = self._lookup.get(" ".join(term.split()).casefold())
        if target is None:
            return None
        if target == KEEP:
            return term
        return target.lower() if term.islower() and not target.islower() else target

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """Non-overlapping ``(start, end, rendering)`` of every term occurring in ``text``."""
        if self._pattern is None:
            return []
        found = []
        for m in self._pattern.finditer(text):
            target = self.target_for(m.group())
            if target is not None:
                found.append((m.start(), m.end(), target))
        return found


def _term_regex(term: str) -> str:
    """A term's words with any run of whitespace between them; a term in capitals ("US",
    "WHO") matches only in capitals, so the pronouns "us" and "who" are left alone."""
    words = r"\s+".join(re.escape(word) for word in term.split())
    return f"(?-i:{words})" if term.isupper() else words


def parse_glossary(text: str, fmt: str = "tsv", *, origin: str = "glossary") -> Glossary:
    """Parse glossary text (``fmt`` "tsv" or "csv"). Raises ConfigError naming ``origin``
    and the line for a line that is not ``source<sep>target``."""
    rows: list[tuple[int, list[str]]] = []
    if fmt == "csv":
        reader = csv.reader(io.StringIO(text))
        rows = [(reader.line_num, row) for row in reader]
    else:
        rows = [(n, line.split("\t")) for n, line in enumerate(text.splitlines(), 1)]
    entries: list[tuple[str, str]] = []
    for line_no, row in rows:
        cells = [c.strip() for c in row]
        if not cells or not cells[0] or cells[0].startswith("#"):
            continue
        if len(cells) < 2 or not cells[1] or any(cells[2:]):
            raise ConfigError(CONFIG_KEY, f"{origin} line {line_no}: expected "
                              f"'source{'<TAB>' if fmt != 'csv' else ','}target', got {row!r}")
        entries.append((" ".join(cells[0].split()), cells[1]))
    return Glossary(tuple(entries))


def load_glossary(path: str | Path) -> Glossary:
    """Read a glossary file (CSV when it ends in ``.csv``, else TSV). Raises ConfigError
    if it cannot be read or a line is malformed."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(CONFIG_KEY, f"cannot read glossary {path}: {e}") from e
    return parse_glossary(text, "csv" if path.suffix.lower() == ".csv" else "tsv",
                          origin=str(path))


def bundled_glossary(source: str, target: str) -> Glossary:
    """The starter glossary shipped with warta for the pair (empty if there is none)."""
    name = f"glossary.{source}-{target}.tsv"
    ref = resources.files("warta").joinpath("data", name)
    if not ref.is_file():
        return Glossary()
    return parse_glossary(ref.read_text(encoding="utf-8"), origin=f"warta/data/{name}")


def glossary_for(setting: str, source: str, target: str) -> Glossary:
    """The glossary ``translate.glossary`` asks for, for one pair:

    * ``""`` (default) or ``"none"``: no glossary;
    * ``"bundled"``: the starter glossary shipped with warta for the pair, if any;
    * a directory: its ``<source>-<target>.tsv`` (or ``.csv``), if present, else none;
    * a file: that file (for the configured pair). ``{pair}`` in the path is replaced by
      ``<source>-<target>``.

    Raises ConfigError for a file that is missing, unreadable or malformed."""
    setting = setting.strip()
    if setting.lower() in ("", "none"):
        return Glossary()
    if setting.lower() == "bundled":
        return bundled_glossary(source, target)
    path = Path(setting.replace("{pair}", f"{source}-{target}")).expanduser()
    if path.is_dir():
        for suffix in (".tsv", ".csv", ".txt"):
            candidate = path / f"{source}-{target}{suffix}"
            if candidate.is_file():
                return load_glossary(candidate)
        return Glossary()
    if not path.is_file():
        raise ConfigError(CONFIG_KEY, f"glossary file {path} does not exist")
    return load_glossary(path)
