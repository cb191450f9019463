"""Evaluate the translation quality checks (``warta.core.translate.quality``) on a labelled set.

The set is built at run time from ``../shared/corpus/mt/derived/tico19.all.{en,id}`` (human
English→Indonesian translations, line-aligned, with the document each line comes from in
``tico19.all.ids``): consecutive sentences of one document become a paragraph of 2–3
sentences. Each good pair is kept, and copies get one injected fault each:

* ``dropped_sentence`` — one sentence of the translation removed;
* ``changed_number`` — one digit of a number of the translation changed;
* ``untranslated_sentence`` — one sentence of the translation replaced by its English source;
* ``repetition_loop`` — the last words of a sentence repeated, as a looping decoder does;
* ``swapped_name`` — a name the translation shares with the source replaced by another name
  from the corpus.

A fault counts as detected when the checks raise any flag that blocks publishing; a good pair
with such a flag is a false positive. Precision per fault = detected faulty / (detected
faulty + false positives scaled to that fault's number of items); overall = on all items.

    .venv/bin/python bench/eval_translate_quality.py [--pairs 400]

The corpus is never copied into the repository; it is read where it lies.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from warta.core.translate.glossary import bundled_glossary
from warta.core.translate.quality import assess, severity_of

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
FAULTS = ("dropped_sentence", "changed_number", "untranslated_sentence", "repetition_loop",
          "swapped_name")
_NAME = re.compile(r"(?<=\s)[A-Z][a-z]{2,}\b")
_DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class Item:
    source: str
    translation: str
    fault: str  # "" for a good pair


def _paragraphs(corpus: Path, limit: int, seed: int) -> list[tuple[list[str], list[str]]]:
    """Aligned paragraphs of 2–3 consecutive sentences from one document (the medical
    dialogue part, lower-case chat lines, is left out: it is not news prose)."""
    mt = corpus / "mt" / "derived"
    en = (mt / "tico19.all.en").read_text(encoding="utf-8").splitlines()
    idn = (mt / "tico19.all.id").read_text(encoding="utf-8").splitlines()
    docs = [line.split("\t")[1] if "\t" in line else ""
            for line in (mt / "tico19.all.ids").read_text(encoding="utf-8").splitlines()]
    rng = random.Random(seed)
    out: list[tuple[list[str], list[str]]] = []
    i = 0
    while i < len(en) - 3:
        size = rng.choice((2, 3))
        rows = range(i, i + size)
        i += size
        if len({docs[r] for r in rows}) != 1 or "speech.cs.cmu.edu" in docs[i - 1]:
            continue
        if any(len(en[r]) < 20 or not en[r][0].isupper() for r in rows):
            continue
        out.append(([en[r] for r in rows], [idn[r] for r in rows]))
    rng.shuffle(out)
    return out[:limit]


def _inject(fault: str, src: list[str], tgt: list[str], names: list[str],
            rng: random.Random) -> str | None:
    """The translation with ``fault`` injected, or None where the pair cannot carry it."""
    k = rng.randrange(len(tgt))
    if fault == "dropped_sentence":
        return " ".join(t for j, t in enumerate(tgt) if j != k)
    if fault == "untranslated_sentence":
        return " ".join(src[j] if j == k else t for j, t in enumerate(tgt))
    if fault == "repetition_loop":
        words = tgt[k].rstrip(".!?").split()
        tail = words[-rng.choice((1, 2, 3)):]
        looped = " ".join(words + tail * rng.choice((2, 3, 4)))
        return " ".join(looped + "." if j == k else t for j, t in enumerate(tgt))
    joined = " ".join(tgt)
    if fault == "changed_number":
        digits = [m.start() for m in _DIGIT.finditer(joined)]
        if not digits:
            return None
        at = rng.choice(digits)
        new = str((int(joined[at]) + rng.randrange(1, 9)) % 10)
        return joined[:at] + new + joined[at + 1:]
    if fault == "swapped_name":
        shared = [m for m in _NAME.finditer(joined) if m.group() in " ".join(src)]
        if not shared:
            return None
        m = rng.choice(shared)
        other = rng.choice([n for n in names if n != m.group()])
        return joined[: m.start()] + other + joined[m.end():]
    raise ValueError(fault)


def build_eval_set(corpus: Path = CORPUS, pairs: int = 400, seed: int = 3) -> list[Item]:
    """Good pairs and their faulty copies (deterministic for a seed)."""
    paragraphs = _paragraphs(corpus, pairs, seed)
    rng = random.Random(seed)
    names = sorted({m.group() for _, tgt in paragraphs for m in _NAME.finditer(" ".join(tgt))
                    if m.group() in " ".join(_)})
    items: list[Item] = []
    for src, tgt in paragraphs:
        source = " ".join(src)
        items.append(Item(source, " ".join(tgt), ""))
        for fault in FAULTS:
            bad = _inject(fault, src, tgt, names, rng)
            if bad is not None and bad != " ".join(tgt):
                items.append(Item(source, bad, fault))
    return items


@dataclass
class Score:
    items: int
    detected: int
    precision: float
    recall: float


def evaluate(items: list[Item]) -> tuple[dict[str, Score], Counter[str]]:
    """Per fault and ``overall``: items, detected, precision, recall; and which flag codes
    fired on good pairs (the false positives)."""
    flagged: list[bool] = []
    false_codes: Counter[str] = Counter()
    glossary = bundled_glossary("en", "id")
    for item in items:
        issues = [i for i in assess(item.source, item.translation, "en", "id",
                                    glossary=glossary) if severity_of(i.code) != "info"]
        flagged.append(bool(issues))
        if not item.fault:
            false_codes.update(i.code for i in issues)
    good = [f for f, it in zip(flagged, items, strict=True) if not it.fault]
    fp_rate = sum(good) / max(1, len(good))
    scores: dict[str, Score] = {}
    for fault in (*FAULTS, "overall"):
        chosen = [f for f, it in zip(flagged, items, strict=True)
                  if it.fault and (fault == "overall" or it.fault == fault)]
        tp = sum(chosen)
        fp = fp_rate * len(chosen)  # false positives at the good pairs' rate, same number
        scores[fault] = Score(len(chosen), tp, tp / (tp + fp) if tp + fp else 1.0,
                              tp / max(1, len(chosen)))
    scores["good pairs flagged"] = Score(len(good), sum(good), 0.0, fp_rate)
    return scores, false_codes


def build_articles(corpus: Path = CORPUS, size: int = 10) -> list[list[tuple[str, str]]]:
    """Good articles: runs of ``size`` consecutive paragraphs (2–3 sentences, as above) of
    one document, each paragraph a (source, translation) pair as the pipeline checks it."""
    mt = corpus / "mt" / "derived"
    en = (mt / "tico19.all.en").read_text(encoding="utf-8").splitlines()
    idn = (mt / "tico19.all.id").read_text(encoding="utf-8").splitlines()
    docs = [line.split("\t")[1] if "\t" in line else ""
            for line in (mt / "tico19.all.ids").read_text(encoding="utf-8").splitlines()]
    articles: list[list[tuple[str, str]]] = []
    current: list[tuple[str, str]] = []
    i, doc = 0, ""
    while i < len(en) - 3:
        rows = range(i, i + 2 + i % 2)
        i = rows[-1] + 1
        same = len({docs[r] for r in rows}) == 1 and docs[rows[0]] == doc
        if not same or "speech.cs.cmu.edu" in docs[rows[0]]:
            current, doc = [], docs[rows[-1]]
            continue
        current.append((" ".join(en[r] for r in rows), " ".join(idn[r] for r in rows)))
        if len(current) == size:
            articles.append(current)
            current = []
    return articles


def evaluate_articles(articles: list[list[tuple[str, str]]]) -> tuple[float, Counter[str]]:
    """Share of good articles any paragraph of which has a review flag, and per code the
    number of articles it holds."""
    glossary = bundled_glossary("en", "id")
    held: Counter[str] = Counter()
    any_held = 0
    for article in articles:
        codes = {i.code for src, out in article
                 for i in assess(src, out, "en", "id", glossary=glossary)
                 if severity_of(i.code) != "info"}
        held.update(codes)
        any_held += bool(codes)
    return any_held / max(1, len(articles)), held


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=400)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--articles", action="store_true",
                        help="also: share of good 10-paragraph articles held, per flag")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args(argv)
    if not (args.corpus / "mt" / "derived").is_dir():
        print(f"corpus not found at {args.corpus}", file=sys.stderr)
        return 2
    items = build_eval_set(args.corpus, args.pairs, args.seed)
    scores, false_codes = evaluate(items)
    print(f"{'fault':24} {'items':>6} {'detected':>9} {'precision':>10} {'recall':>7}")
    for name, s in scores.items():
        if name == "good pairs flagged":
            print(f"{name:24} {s.items:6d} {s.detected:9d} {'':>10} {s.recall:7.3f}")
        else:
            print(f"{name:24} {s.items:6d} {s.detected:9d} {s.precision:10.3f} {s.recall:7.3f}")
    if false_codes:
        print("flags on good pairs:", ", ".join(f"{c} {n}" for c, n in false_codes.most_common()))
    if args.articles:
        articles = build_articles(args.corpus)
        share, held = evaluate_articles(articles)
        print(f"good 10-paragraph articles held: {share:.3f} of {len(articles)};",
              ", ".join(f"{c} {n / len(articles):.3f}" for c, n in held.most_common()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
