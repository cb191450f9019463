"""Measure the near-duplicate threshold of ``warta.core.cluster`` on labelled pairs.

Same story (positives): a real article text and the copies other outlets really make of a
wire story — (a) a syndicated copy with a dateline, an "Also read" line, a changed figure and
the last paragraph cut; (b) an updated version with a new lead paragraph and the last fifth
cut. Different stories (negatives): every pair of distinct articles, among them the demo's
"same event, different article" pairs (the Moscow methane summit vs. Indonesia joining the
pact; Malaysia's chip exports vs. a Penang plant: related, not duplicates — both must be
published), and pairs that share a source's boilerplate (the same syndication note and
footer appended to both).

Texts: the demo stories (``warta.demo.stories``), always; with ``--corpus`` also the expected
article texts of ``../shared/corpus/pages/newspaper4k`` (read where they lie).

    .venv/bin/python bench/eval_cluster.py [--corpus ../shared/corpus]

Prints precision and recall at a range of thresholds; the chosen one is
``warta.core.cluster.THRESHOLD``.
"""

from __future__ import annotations

import argparse
import html
import random
import re
from pathlib import Path

from warta.core.cluster import signature, similarity

BOILERPLATE = ("(Except for the headline, this story has not been edited by NDTV staff and is "
               "published from a syndicated feed.) Follow us on social media for the latest "
               "news, videos and live updates from around the world, every day.")


def demo_texts() -> dict[str, list[str]]:
    from warta.demo.stories import ALL_STORIES

    out = {}
    for story in ALL_STORIES:
        paras = [html.unescape(re.sub(r"<[^>]+>", "", body)) for _kind, body in story.blocks]
        out[f"demo:{story.source}/{story.slug}"] = [p for p in paras if p.strip()]
    return out


def corpus_texts(corpus: Path) -> dict[str, list[str]]:
    out = {}
    for path in sorted((corpus / "pages/newspaper4k/tests/data/txt").glob("*.txt")):
        paras = [p.strip() for p in path.read_text(errors="replace").split("\n") if p.strip()]
        if sum(len(p.split()) for p in paras) >= 150 and len(paras) >= 4:
            out[f"n4k:{path.stem}"] = paras
    return out


def _change_figure(text: str, rng: random.Random) -> str:
    return re.sub(r"\d+", lambda m: str(int(m.group()) + rng.randint(1, 9)), text, count=1)


def variants(paras: list[str], rng: random.Random) -> list[str]:
    """Two copies of one story as other outlets carry it."""
    syndicated = list(paras[:-1])
    syndicated[0] = "NEW DELHI: " + syndicated[0]
    mid = len(syndicated) // 2
    syndicated[mid] = _change_figure(syndicated[mid], rng)
    syndicated.insert(mid, "Also read: Markets close higher as investors weigh the outlook")
    updated = ["UPDATE: This story has been updated with new figures and reaction from "
               "officials who spoke on Tuesday evening.", *paras[: max(3, len(paras) * 4 // 5)]]
    return ["\n\n".join(syndicated), "\n\n".join(updated)]


# The corpus holds one article twice (the same cleveland.com page saved as a video article):
# a real same-story pair, labelled as such.
SAME_IN_CORPUS = frozenset({("n4k:cleveland.com1", "n4k:video_article_01")})


def labelled_pairs(texts: dict[str, list[str]], seed: int = 5) -> list[tuple[str, str, bool]]:
    """(text_a, text_b, same_story) pairs, deterministic for a seed."""
    rng = random.Random(seed)
    pairs: list[tuple[str, str, bool]] = []
    names = sorted(texts)
    for name in names:
        original = "\n\n".join(texts[name])
        pairs.extend((original, copy, True) for copy in variants(texts[name], rng))
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            ta, tb = "\n\n".join(texts[a]), "\n\n".join(texts[b])
            if rng.random() < 0.3:
                ta, tb = f"{ta}\n\n{BOILERPLATE}", f"{tb}\n\n{BOILERPLATE}"
            pairs.append((ta, tb, (a, b) in SAME_IN_CORPUS))
    return pairs


def score(pairs: list[tuple[str, str, bool]], threshold: float,
          sims: list[float] | None = None) -> tuple[float, float, int, int]:
    """Precision, recall, positives, negatives at ``threshold``."""
    sims = sims if sims is not None else [similarity(signature(a), signature(b))
                                          for a, b, _ in pairs]
    tp = sum(1 for s, (_, _, y) in zip(sims, pairs, strict=True) if y and s >= threshold)
    fp = sum(1 for s, (_, _, y) in zip(sims, pairs, strict=True) if not y and s >= threshold)
    pos = sum(1 for *_, y in pairs if y)
    precision = tp / (tp + fp) if tp + fp else 1.0
    return precision, tp / pos if pos else 1.0, pos, len(pairs) - pos


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=None)
    args = parser.parse_args()
    texts = demo_texts()
    if args.corpus:
        texts.update(corpus_texts(args.corpus))
    pairs = labelled_pairs(texts)
    sims = [similarity(signature(a), signature(b)) for a, b, _ in pairs]
    pos = sum(1 for *_, y in pairs if y)
    print(f"{len(texts)} texts, {pos} same-story pairs, {len(pairs) - pos} different-story pairs")
    print("| threshold | precision | recall |")
    print("|---|---|---|")
    for t in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        p, r, _, _ = score(pairs, t, sims)
        print(f"| {t:.1f} | {p:.3f} | {r:.3f} |")
    hardest_neg = max((s for s, (*_, y) in zip(sims, pairs, strict=True) if not y), default=0)
    weakest_pos = min((s for s, (*_, y) in zip(sims, pairs, strict=True) if y), default=1)
    print(f"highest different-story similarity {hardest_neg:.3f}, "
          f"lowest same-story similarity {weakest_pos:.3f}")


if __name__ == "__main__":
    main()
