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
A term in ``exact`` (an editor's "case sensitive" term) matches only as written.

Editors manage terms in the database (``GlossaryTerm``, ``warta glossary import``); files
for import are read by :func:`parse_terms` — TOML (``[[term]]`` tables with ``source``,
``target``, optional ``note``, ``case_sensitive``, ``source_language``,
``target_language``) or CSV (``source,target[,note[,case_sensitive]]``, header row
optional) — which rejects a broken file as a whole, naming the line.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from warta.core.errors import ConfigError, WartaError

KEEP = "="
CONFIG_KEY = "translate.glossary"


@dataclass(frozen=True)
class Glossary:
    """Source term → target term for one pair. Immutable; ``version`` changes whenever an
    entry does (it is part of the translation-memory key)."""

    entries: tuple[tuple[str, str], ...] = ()
    exact: frozenset[str] = frozenset()  # source terms matched only as written
    _pattern: re.Pattern[str] | None = field(default=None, init=False, repr=False,
                                             compare=False)
    _lookup: dict[str, str] = field(default_factory=dict, init=False, repr=False,
                                    compare=False)

    def __post_init__(self) -> None:
        lookup = {_fold(src, src in self.exact): tgt for src, tgt in self.entries}
        object.__setattr__(self, "_lookup", lookup)
        if lookup:
            terms = sorted({src for src, _ in self.entries}, key=len, reverse=True)
            alternation = "|".join(_term_regex(t, t in self.exact) for t in terms)
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
        if self.exact:
            body += "\nexact:" + "\t".join(sorted(self.exact))
        return hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]

    def target_for(self, term: str) -> str | None:
        """The rendering of ``term`` as found in a text, or None if it is not a term."""
        spaced = " ".join(term.split())
        target = self._lookup.get(_fold(spaced, True))
        if target is None:
            target = self._lookup.get(spaced.casefold())
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


    def merged(self, other: Glossary) -> Glossary:
        """This glossary with ``other``'s entries added; where both have a term (case
        ignored), ``other`` wins (the database over the bundled file)."""
        replaced = {src.casefold() for src, _ in other.entries}
        kept = tuple(e for e in self.entries if e[0].casefold() not in replaced)
        exact = frozenset(t for t in self.exact if t.casefold() not in replaced) | other.exact
        return Glossary(kept + other.entries, exact)


def _fold(term: str, exact: bool) -> str:
    """The lookup key of a term: exact terms as written (marked), others case-folded."""
    return "\x00" + term if exact else term.casefold()


def _term_regex(term: str, exact: bool = False) -> str:
    """A term's words with any run of whitespace between them; a term in capitals ("US",
    "WHO") or marked exact matches only as written, so the pronouns "us" and "who" are
    left alone."""
    words = r"\s+".join(re.escape(word) for word in term.split())
    return f"(?-i:{words})" if exact or term.isupper() else words


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


class GlossaryFileError(WartaError):
    """A glossary file that cannot be imported; ``line`` is 1-based (0 when unknown)."""

    def __init__(self, origin: str, line: int, message: str) -> None:
        self.origin, self.line = origin, line
        where = f"{origin} line {line}" if line else origin
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Term:
    """One glossary entry as stored and imported. ``target`` "" = keep the source term."""

    source: str
    target: str = ""
    note: str = ""
    case_sensitive: bool = False
    source_language: str = ""  # "" = the language pair given to the import
    target_language: str = ""
    line: int = 0  # where it was read from


def glossary_from_terms(terms: Iterable[Term]) -> Glossary:
    """A ``Glossary`` of stored terms (an empty target keeps the source term)."""
    terms = list(terms)
    return Glossary(tuple((t.source, t.target or KEEP) for t in terms),
                    frozenset(t.source for t in terms if t.case_sensitive))


_TRUE = {"1", "true", "yes", "y"}
_FALSE = {"", "0", "false", "no", "n"}
_TERM_HEADER = re.compile(r"^\s*\[\[\s*terms?\s*\]\]")
_LANG = re.compile(r"^[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?$")


def parse_terms(text: str, fmt: str, *, origin: str = "glossary") -> list[Term]:
    """Every term of a TOML (``fmt`` "toml") or CSV ("csv") glossary file. All or nothing:
    raises GlossaryFileError naming ``origin`` and the line of the first problem (syntax,
    a missing source, an unknown field, a bad flag, a term given twice)."""
    if fmt == "toml":
        terms = _toml_terms(text, origin)
    elif fmt == "csv":
        terms = _csv_terms(text, origin)
    else:
        raise GlossaryFileError(origin, 0, f"unknown format {fmt!r} (toml or csv)")
    seen: dict[tuple[str, str, str], int] = {}
    for t in terms:
        key = (t.source_language, t.target_language, t.source.casefold())
        if key in seen:
            raise GlossaryFileError(origin, t.line, f"term {t.source!r} is already given on "
                                    f"line {seen[key]}")
        seen[key] = t.line
    return terms


def _term(origin: str, line: int, raw: dict[str, Any]) -> Term:
    known = {"source", "target", "note", "case_sensitive", "source_language",
             "target_language"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise GlossaryFileError(origin, line, f"unknown field(s) {', '.join(unknown)} "
                                f"(known: {', '.join(sorted(known))})")
    values: dict[str, Any] = {}
    for key in known - {"case_sensitive"}:
        value = raw.get(key, "")
        if not isinstance(value, str):
            raise GlossaryFileError(origin, line, f"{key} must be text, got {value!r}")
        values[key] = " ".join(value.split()) if key != "note" else value.strip()
    flag = raw.get("case_sensitive", False)
    if isinstance(flag, str) and flag.strip().lower() in _TRUE | _FALSE:
        flag = flag.strip().lower() in _TRUE
    if not isinstance(flag, bool):
        raise GlossaryFileError(origin, line, f"case_sensitive must be true or false, "
                                f"got {flag!r}")
    if not values["source"]:
        raise GlossaryFileError(origin, line, "the source term is empty")
    if len(values["source"]) > 300 or len(values["target"]) > 300:
        raise GlossaryFileError(origin, line, "a term is longer than 300 characters")
    for key in ("source_language", "target_language"):
        if values[key] and not _LANG.match(values[key]):
            raise GlossaryFileError(origin, line, f"{key} {values[key]!r} is not a "
                                    "language code")
    target = "" if values["target"] == KEEP else values["target"]
    return Term(values["source"], target, values["note"], flag, values["source_language"],
                values["target_language"], line)


def _toml_terms(text: str, origin: str) -> list[Term]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        line = int(m.group(1)) if (m := re.search(r"line (\d+)", str(e))) else 0
        raise GlossaryFileError(origin, line, f"not valid TOML: {e}") from e
    extra = sorted(set(data) - {"term", "terms"})
    if extra:
        raise GlossaryFileError(origin, 0, f"unknown table(s) {', '.join(extra)}: "
                                "write each term as a [[term]] table")
    rows = data.get("term", []) + data.get("terms", [])
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise GlossaryFileError(origin, 0, "write each term as a [[term]] table")
    headers = [n for n, line in enumerate(text.splitlines(), 1) if _TERM_HEADER.match(line)]
    return [_term(origin, headers[i] if i < len(headers) else 0, row)
            for i, row in enumerate(rows)]


def _csv_terms(text: str, origin: str) -> list[Term]:
    columns = ["source", "target", "note", "case_sensitive"]
    terms: list[Term] = []
    reader = csv.reader(io.StringIO(text))
    first = True
    try:
        for row in reader:
            line = reader.line_num
            cells = [c.strip() for c in row]
            if not any(cells) or cells[0].startswith("#"):
                continue
            if first and "source" in (c.lower() for c in cells):  # a header row
                columns = [c.lower() for c in cells]
                first = False
                continue
            first = False
            if len(cells) > len(columns):
                raise GlossaryFileError(origin, line, f"{len(cells)} columns, expected at "
                                        f"most {len(columns)} ({','.join(columns)})")
            if len(cells) < 2:
                raise GlossaryFileError(origin, line, "expected source,target "
                                        "(an empty target or = keeps the term as is)")
            terms.append(_term(origin, line, dict(zip(columns, cells, strict=False))))
    except csv.Error as e:
        raise GlossaryFileError(origin, reader.line_num, f"not valid CSV: {e}") from e
    return terms
