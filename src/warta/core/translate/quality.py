"""Quality estimation for machine translation: why a (source, translation) pair needs a
person, as flags with reasons and a severity.

Each check looks for one failure that the known open engines really produce and that a news
page cannot afford, using only the two texts (no reference translation exists at run time):

* ``untranslated`` — an output sentence is the source sentence copied back (engines echo
  input they cannot handle). Word-level similarity to a source sentence *and* language
  identification of that sentence (py3langid, restricted to the two languages of the pair)
  must agree, so a translation that keeps many names or English terms is not flagged.
* ``sentence_dropped`` — the output has fewer sentences than the source, and is short for it.
* ``length_ratio`` — output length far outside what the pair produces (ratios measured on
  ``../shared/corpus/mt``: en→id sentences lie between 0.75 and 1.55 for 99 % of pairs).
* ``repetition`` — a word n-gram repeated back to back (a decoding loop: "di kota di kota di
  kota"), or far more often than in the source.
* ``number_mismatch`` — a number of the source missing from the output, or one added
  (``protect.missing_numbers``: separators may change, digits may not).
* ``quote_lost`` — the source has quotation marks and the output has fewer.
* ``placeholder_leftover`` — a placeholder (``{3}``, ``<a1>``) still in the output.
* ``glossary_violation`` — a glossary term of the source whose rendering is not in the output.
* ``name_mismatch`` — a name of the source is missing and a name the source does not have
  appears instead (a swapped name).
* ``engine_error`` — the engine returned nothing for a non-empty input.

Severities: ``info`` flags are recorded and shown but never hold a story back (text already
in the target language passed through, a long sentence split); every other severity sends
the translation to review (``blocks_publishing``). A flag of an unknown code blocks: the
safe default for flags stored by older versions.

Pure functions, deterministic; the language identifier is loaded once per language pair.
"""

from __future__ import annotations

import copy
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from warta.core.translate.names import find_swaps
from warta.core.translate.protect import _SCALES, _UNITS, TermMatcher, missing_numbers

INFO, REVIEW = "info", "review"

# code → severity; anything not listed here is REVIEW
SEVERITY: dict[str, str] = {
    "already_target": INFO,  # text already in the target language, passed through as is
    "mixed_language": INFO,  # some sentences of a unit were already in the target language
    "long_sentence_split": INFO,  # a very long sentence was cut at clause boundaries
    "control_chars": INFO,  # control / bidi-override characters were taken out
    "rtl_text": INFO,  # right-to-left script inside a sentence that was translated
    "empty_unit": INFO,  # a block with no text
    "emphasis_dropped": INFO,  # an <em>/<strong> span could not be placed (the words are there)
}

MIN_RATIO_CHARS = 30  # below this, the length ratio says nothing
# en→id measured on tico19 (3,070 pairs): 0.1 % quantile 0.67, 99.9 % quantile 1.78; the
# bounds sit outside so a good translation is rarely flagged. Other pairs: wider default.
RATIO_BOUNDS: dict[tuple[str, str], tuple[float, float]] = {("en", "id"): (0.6, 2.0)}
DEFAULT_RATIO_BOUNDS = (0.4, 2.8)
DROPPED_RATIO = 0.9  # fewer sentences *and* shorter than this: a sentence went missing
UNTRANSLATED_SIMILARITY = 0.85
UNTRANSLATED_MIN_WORDS = 4
_WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")
_PLACEHOLDER_LEFT = re.compile(r"[{｛]\s*\d+\s*[}｝]|<\s*/?\s*a\s*\d+\s*>", re.I)
_QUOTES = "“”\"«»„"
# words warta itself renders in the target's form inside protected quantities ("$4.5 Billion"
# → "$4,5 Miliar" in a title-case headline): never a swapped name
_QUANTITY_WORDS = {w.casefold() for w in _SCALES} | {w.casefold() for w in _UNITS}
_QUANTITY_RENDERINGS = {w.casefold() for w in _SCALES.values()} | {
    w.casefold() for w in _UNITS.values()}
# Indonesian words a swapped-in name never is (what the bundled glossary covers)
_TARGET_NAMES = {
    "januari", "februari", "maret", "april", "mei", "juni", "juli", "agustus", "september",
    "oktober", "november", "desember", "senin", "selasa", "rabu", "kamis", "jumat", "sabtu",
    "minggu", "tiongkok", "cina", "jepang", "jerman", "belanda", "mesir", "yunani", "swiss",
    "filipina", "turki", "arab", "inggris", "amerika", "serikat", "as", "pbb",
}


@dataclass(frozen=True)
class Issue:
    """One quality problem of a pair: ``code`` (see the module doc), ``detail`` for a person."""

    code: str
    detail: str = ""

    @property
    def severity(self) -> str:
        return severity_of(self.code)


def severity_of(code: str) -> str:
    """``info`` or ``review`` for a flag code (unknown codes: ``review``)."""
    return SEVERITY.get(code, REVIEW)


def blocks_publishing(flags: Iterable[Mapping[str, Any]], ignore: Iterable[str] = ()) -> bool:
    """True if any stored flag (``{"flag", "where", "detail"[, "severity"]}``) needs an
    editor. The code decides: a stored ``severity`` is shown to people but not trusted, so a
    flag stored before its code became ``info`` does not publish silently. ``ignore``: codes
    a site has chosen to record without holding stories (``translate.quality_ignore``).
    Pure."""
    skip = set(ignore)
    return any(severity_of(code) != INFO and code not in skip
               for code in (str(f.get("flag", "")) for f in flags))


def drop_flags(flags: list[dict[str, str]], ignore: Iterable[str]) -> list[dict[str, str]]:
    """``flags`` without those whose code is in ``ignore`` (checks a site turned off)."""
    skip = set(ignore)
    return [f for f in flags if f.get("flag") not in skip] if skip else flags


def drop_block_flags(blocks: list[dict[str, Any]], ignore: Iterable[str]) -> list[dict[str, Any]]:
    """Block dicts with the codes in ``ignore`` taken out of their ``"flags"`` lists (and the
    key removed where none is left)."""
    skip = set(ignore)
    if not skip:
        return blocks
    out = []
    for block in blocks:
        codes = [c for c in block.get("flags") or () if c not in skip]
        block = {k: v for k, v in block.items() if k != "flags"}
        if codes:
            block["flags"] = codes
        out.append(block)
    return out


def parse_codes(setting: str) -> tuple[str, ...]:
    """``"untranslated, name_mismatch"`` → ``("untranslated", "name_mismatch")``."""
    return tuple(c.strip() for c in setting.replace(";", ",").split(",") if c.strip())


# ---------------------------------------------------------------- language identification

_lock = threading.Lock()
_model: Any = None
_identifiers: dict[tuple[str, ...], Any] = {}


def _identifier(languages: tuple[str, ...]) -> Any:
    """A py3langid identifier restricted to ``languages``, or None when py3langid does not
    know one of them (remembered too). The model is loaded once (a few seconds); each
    language set gets a shallow copy, since ``set_languages`` only rebinds attributes.
    Classifying is read-only, so threads share them."""
    global _model
    with _lock:
        if languages in _identifiers:
            return _identifiers[languages]
        if _model is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            _model = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        found = None
        if set(languages) <= set(_model.nb_classes):
            found = copy.copy(_model)
            found.set_languages(list(languages))
        _identifiers[languages] = found
        return found


def _base(lang: str) -> str:
    return lang.lower().replace("_", "-").split("-")[0]


def language_between(text: str, source: str, target: str) -> tuple[str, float]:
    """Which of the two languages ``text`` is in, and the (normalised) probability. For a
    language py3langid does not know, ``("", 0.0)``."""
    pair = tuple(sorted({_base(source), _base(target)}))
    if len(pair) < 2:
        return "", 0.0
    identifier = _identifier(pair)
    if identifier is None:  # a language py3langid does not have
        return "", 0.0
    lang, prob = identifier.classify(text)
    return str(lang), float(prob)


def is_already_target(text: str, source: str, target: str, *, min_words: int = 5,
                      min_probability: float = 0.999) -> bool:
    """True when ``text`` is written in the target language already (a quotation or a
    paragraph a feed left untranslated), so sending it to the engine could only damage it.
    Deliberately strict: on tico19's 3,071 English sentences of 4+ words it never fires at
    0.99; a short or doubtful text is translated as usual."""
    if len(_WORD.findall(text)) < min_words or _base(source) == _base(target):
        return False
    lang, prob = language_between(text, source, target)
    return lang == _base(target) and prob >= min_probability


# ---------------------------------------------------------------- scripts and characters

_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def is_control(ch: str) -> bool:
    """A character no news text needs: C0/C1 controls (not tab or newline) and the bidi
    embedding/override/isolate controls (they can make text display differently from what
    it is); zero-width joiners and RTL marks are kept."""
    if ch in "\t\n\r":
        return False
    return unicodedata.category(ch) == "Cc" or ch in _BIDI_CONTROLS


def rtl_share(text: str) -> float:
    """Share of the letters of ``text`` that are of a right-to-left script."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0.0
    rtl = sum(unicodedata.bidirectional(c) in ("R", "AL") for c in letters)
    return rtl / len(letters)


# ---------------------------------------------------------------- the checks

def _words(text: str) -> list[str]:
    return _WORD.findall(text)


_BOUNDARY = re.compile(r"(?<=[.!?…])[\"”’)\]]*\s+(?=[“\"‘'(\[]?[^\W_a-z])")


def _sentences(text: str, lang: str = "") -> list[str]:
    """Sentences for counting and comparing: a full stop, question or exclamation mark
    followed by a capital, digit or opening quote. Much faster than pysbd (which segments
    for the engine, where boundaries matter more); an abbreviation ("Dr. Ali") may split a
    sentence here, on both sides alike. ``lang`` is for a future per-language rule."""
    return [s.strip() for s in _BOUNDARY.split(text) if s.strip()]


def check_untranslated(source: str, output: str, source_lang: str,
                       target_lang: str) -> list[Issue]:
    """Output sentences that are a source sentence copied back."""
    if _base(source_lang) == _base(target_lang):
        return []
    src = [[w.lower() for w in _words(s)] for s in _sentences(source, source_lang)]
    found: list[str] = []
    for sentence in _sentences(output, target_lang):
        words = [w.lower() for w in _words(sentence)]
        if len(words) < UNTRANSLATED_MIN_WORDS:
            continue
        best = max((SequenceMatcher(None, words, s, autojunk=False).ratio() for s in src),
                   default=0.0)
        if best < UNTRANSLATED_SIMILARITY:
            continue
        lang, _ = language_between(sentence, source_lang, target_lang)
        if lang == _base(source_lang):
            found.append(_excerpt(sentence))
    return [Issue("untranslated", "; ".join(found))] if found else []


def check_length(source: str, output: str, source_lang: str,
                 target_lang: str) -> list[Issue]:
    """Sentences dropped, or a length far outside the pair's usual ratio."""
    if len(source.strip()) < MIN_RATIO_CHARS:
        return []
    ratio = len(output.strip()) / len(source.strip())
    low, high = RATIO_BOUNDS.get((_base(source_lang), _base(target_lang)),
                                 DEFAULT_RATIO_BOUNDS)
    n_src = len(_sentences(source, source_lang))
    n_out = len(_sentences(output, target_lang))
    if n_out < n_src and ratio < DROPPED_RATIO:
        return [Issue("sentence_dropped", f"{n_src} sentences in the source, {n_out} in the "
                                          f"translation; length ratio {ratio:.2f}")]
    if ratio < low or ratio > high:
        return [Issue("length_ratio", f"translation is {ratio:.2f}× the source's length "
                                      f"(usual {low}–{high})")]
    return []


def _loop(words: list[str]) -> tuple[str, int]:
    """The longest back-to-back repetition of an n-gram (n ≤ 6) as (n-gram, times)."""
    best = ("", 1)
    for n in range(1, 7):
        i = 0
        while i + 2 * n <= len(words):
            times = 1
            while words[i + times * n: i + (times + 1) * n] == words[i: i + n]:
                times += 1
            if times > 1 and times * n > best[1] * len(best[0].split()):
                best = (" ".join(words[i: i + n]), times)
            i += max(1, (times - 1) * n) if times > 1 else 1
    return best


def check_repetition(source: str, output: str) -> list[Issue]:
    """A decoding loop: an n-gram repeated back to back (three times, or twice for n ≥ 3)
    more than anything in the source is, or a 3-gram occurring at least three times and two
    more than the source's most frequent 3-gram."""
    out = [w.lower() for w in _words(output)]
    src = [w.lower() for w in _words(source)]
    gram, times = _loop(out)
    n = len(gram.split())
    if gram and (times >= 3 or (times >= 2 and n >= 3)) and times > _loop(src)[1]:
        return [Issue("repetition", f"“{gram}” × {times}")]
    grams = Counter(zip(out, out[1:], out[2:], strict=False))
    src_grams = Counter(zip(src, src[1:], src[2:], strict=False))
    # the languages differ, so compare with the source's most repeated 3-gram, not the same one
    most = max(src_grams.values(), default=0)
    for g, count in grams.most_common(1):
        if count >= 3 and count >= most + 2:
            return [Issue("repetition", f"“{' '.join(g)}” × {count}")]
    return []


def _numbers_added(source: str, output: str) -> list[str]:
    return missing_numbers(output, source)


def check_numbers(source: str, output: str) -> list[Issue]:
    """Numbers lost, changed or added (separators may follow the target's style)."""
    missing = missing_numbers(source, output)
    added = _numbers_added(source, output)
    if not missing and not added:
        return []
    parts = (["missing " + ", ".join(missing)] if missing else []) + (
        ["added " + ", ".join(added)] if added else [])
    return [Issue("number_mismatch", "; ".join(parts))]


def check_quotes(source: str, output: str) -> list[Issue]:
    """Quotation marks of the source gone from the output."""
    n_src = sum(source.count(q) for q in _QUOTES)
    n_out = sum(output.count(q) for q in _QUOTES)
    if n_src >= 2 and n_out < n_src:
        return [Issue("quote_lost", f"{n_src} quotation marks in the source, {n_out} in the "
                                    "translation")]
    return []


def check_placeholders(output: str) -> list[Issue]:
    left = _PLACEHOLDER_LEFT.findall(output)
    return [Issue("placeholder_leftover", ", ".join(left))] if left else []


def check_glossary(source: str, output: str, glossary: TermMatcher | None) -> list[Issue]:
    """Glossary terms of the source whose fixed rendering is not in the output."""
    if glossary is None:
        return []
    folded = output.casefold()
    missing = [f"{source[s:e]} → {render}" for s, e, render in glossary.find(source)
               if render.casefold() not in folded]
    return [Issue("glossary_violation", "; ".join(dict.fromkeys(missing)))] if missing else []


def check_names(source: str, output: str, glossary: TermMatcher | None = None) -> list[Issue]:
    """A name of the source lost where a name the source lacks (or has fewer times) appears
    in the same region of the translation: a swapped name (``names.find_swaps``: names
    normalised, counted as multisets, paired by position). Names a correct translation
    changes are accepted: glossary renderings, months, weekdays, exonyms, translated
    institution and title words ("Ministry of Health" → "Kementerian Kesehatan"), the same
    name inflected or respelt. A name that is only missing is the other checks' business."""
    terms = glossary.find(source) if glossary is not None else []
    accepted = ({w for _, _, r in terms for w in _words(r)} | _TARGET_NAMES
                | _QUANTITY_RENDERINGS)
    swap = find_swaps(source, output, skip=[(s, e) for s, e, _ in terms], accepted=accepted,
                      kept=_QUANTITY_WORDS)
    if swap is None:
        return []
    return [Issue("name_mismatch", f"{', '.join(swap.lost)} missing; {', '.join(swap.new)} "
                                   "not in the source")]


def check_engine(source: str, output: str) -> list[Issue]:
    if source.strip() and not output.strip():
        return [Issue("engine_error", "the engine returned nothing")]
    return []


def assess(source: str, output: str, source_lang: str, target_lang: str, *,
           glossary: TermMatcher | None = None, numbers: bool = True,
           placeholders: bool = True) -> list[Issue]:
    """Every problem found in ``output`` as a translation of ``source`` (a sentence, a
    paragraph or a whole text), in a fixed order, one Issue per code. ``numbers`` and
    ``placeholders`` off: the caller checks those itself. Never raises on text."""
    if not source.strip() and not output.strip():
        return []
    issues = check_engine(source, output)
    if issues:
        return issues
    issues += check_untranslated(source, output, source_lang, target_lang)
    issues += check_length(source, output, source_lang, target_lang)
    issues += check_repetition(source, output)
    if numbers:
        issues += check_numbers(source, output)
    issues += check_quotes(source, output)
    if placeholders:
        issues += check_placeholders(output)
    issues += check_glossary(source, output, glossary)
    issues += check_names(source, output, glossary)
    return issues


def _excerpt(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
