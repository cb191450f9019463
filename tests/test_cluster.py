"""Near-duplicate stories: the threshold is measured on labelled pairs and held above a
floor; LSH finds a story's copies among others; ranking picks the entry to publish."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from warta.core import cluster

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import eval_cluster  # bench/ holds scripts, not a package

# Floors (docs/ingest.md "Near-duplicates"): measured 1.000 / 1.000 at THRESHOLD 0.4.
PRECISION_FLOOR = 0.97
RECALL_FLOOR = 0.95
MOSCOW = "moscow-summit-14-nations-pledge-4-5-billion-methane-leaks-7023118"


def _check(texts: dict[str, list[str]]) -> None:
    pairs = eval_cluster.labelled_pairs(texts)
    precision, recall, pos, neg = eval_cluster.score(pairs, cluster.THRESHOLD)
    assert pos >= 20 and neg >= 50
    assert precision >= PRECISION_FLOOR, f"precision {precision:.3f} below the floor"
    assert recall >= RECALL_FLOOR, f"recall {recall:.3f} below the floor"


def test_threshold_floor_on_demo_stories() -> None:
    _check(eval_cluster.demo_texts())


@pytest.mark.corpus
def test_threshold_floor_with_real_articles(corpus: Path) -> None:
    texts = eval_cluster.demo_texts()
    texts.update(eval_cluster.corpus_texts(corpus))
    assert len(texts) > 20
    _check(texts)


def test_index_finds_a_copy_and_not_a_related_story() -> None:
    texts = {k.split("/")[-1]: "\n\n".join(v) for k, v in eval_cluster.demo_texts().items()}
    index = cluster.StoryIndex()
    index.add_many((name, cluster.signature(text)) for name, text in texts.items())
    copy = eval_cluster.variants(texts[MOSCOW].split("\n\n"),
                                 __import__("random").Random(1))[0]
    found = index.matches(cluster.signature(copy))
    assert [name for name, _ in found] == [MOSCOW]
    # the same event written up separately is a related story, not a copy
    related = index.matches(cluster.signature(texts["indonesia-joins-methane-pact"]))
    assert [name for name, _ in related] == ["indonesia-joins-methane-pact"]


def test_signatures_are_stable_and_comparable() -> None:
    sig = cluster.signature("one two three four five six")
    assert sig == cluster.signature("One two, three four five six!")
    assert len(sig) == cluster.NUM_PERM and cluster.similarity(sig, sig) == 1.0
    assert cluster.similarity(sig, []) == 0.0


def test_ranking_prefers_chosen_then_priority_then_completeness_then_earliest() -> None:
    early = datetime(2026, 11, 1, tzinfo=UTC)
    late = datetime(2026, 11, 2, tzinfo=UTC)
    members = [
        cluster.Member(1, words=500, published=late),
        cluster.Member(2, words=300, has_image=True, published=late),
        cluster.Member(3, priority=5, words=100, published=late),
        cluster.Member(4, words=500, published=early),
    ]
    assert cluster.rank_members(members) == [3, 2, 4, 1]
    assert cluster.rank_members([*members, cluster.Member(9, chosen=True)])[0] == 9


def test_stored_band_keys_find_exactly_what_the_lsh_index_finds() -> None:
    """The database look-up (band keys) and datasketch's in-memory LSH agree on candidates:
    same banding, so storing keys changes where the index lives, not what it finds."""
    from datasketch import MinHashLSH

    from tests.support.texts import article_paragraphs

    texts = {f"s{i}": " ".join(article_paragraphs(i)) for i in range(40)}
    for i in range(0, 40, 4):  # near-copies: a paragraph dropped, a line added
        paras = article_paragraphs(i)
        texts[f"c{i}"] = " ".join(["UPDATED: officials spoke again.", *paras[:-1]])
    sigs = {key: cluster.signature(text) for key, text in texts.items()}
    bands, rows = cluster._banding()
    lsh = MinHashLSH(threshold=cluster.THRESHOLD, num_perm=cluster.NUM_PERM)
    assert (lsh.b, lsh.r) == (bands, rows)
    keys = {key: set(cluster.band_keys(sig)) for key, sig in sigs.items()}
    for key, sig in sigs.items():
        lsh.insert(key, cluster._minhash(sig))
    for key, sig in sigs.items():
        by_keys = {other for other in sigs if keys[other] & keys[key]}
        assert by_keys == set(lsh.query(cluster._minhash(sig))), key
    # every near-copy is a candidate of its original, and confirmed by the similarity
    for i in range(0, 40, 4):
        assert keys[f"s{i}"] & keys[f"c{i}"]
        assert cluster.similarity(sigs[f"s{i}"], sigs[f"c{i}"]) >= cluster.THRESHOLD
    assert len(cluster.band_keys([1, 2, 3])) == 0  # a signature of another length
