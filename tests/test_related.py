"""The pure "Baca juga" scorer: related stories are picked, unrelated ones never."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from warta.core.related import (
    CandidatePool,
    RelatedDoc,
    pick_related,
    score_related,
    tokenize,
)

T0 = datetime(2023, 9, 9, 7, 5, tzinfo=UTC)


def doc(id: int, title: str, text: str, hours_ago: float = 0) -> RelatedDoc:
    return RelatedDoc(id=id, title=title, text=text, published=T0 - timedelta(hours=hours_ago))


PUTIN_KIM = doc(
    1,
    "Putin dan Kim Jong Un bertemu di kosmodrom Vostochny",
    "Presiden Rusia Vladimir Putin menjamu pemimpin Korea Utara Kim Jong Un di kosmodrom "
    "Vostochny. Kedua pemimpin membahas kerja sama militer dan satelit. “Kami akan membantu "
    "mereka membangun satelit,” kata Putin kepada wartawan.",
)
KIM_TRAIN = doc(
    2,
    "Kereta lapis baja Kim Jong Un tiba di Rusia",
    "Pemimpin Korea Utara Kim Jong Un tiba di Rusia dengan kereta lapis baja untuk bertemu "
    "Presiden Vladimir Putin. Pertemuan itu diperkirakan membahas senjata dan kerja sama militer.",
    hours_ago=5,
)
MONSOON = doc(
    3,
    "Hujan lebat melanda Mumbai, sekolah ditutup",
    "Hujan monsun yang lebat menggenangi jalan-jalan di Mumbai. Pemerintah kota menutup sekolah "
    "dan kereta komuter terlambat berjam-jam. Badan meteorologi memperkirakan hujan berlanjut.",
    hours_ago=1,
)
CRICKET = doc(
    4,
    "India menang atas Pakistan di Piala Asia",
    "Tim kriket India mengalahkan Pakistan dengan selisih 228 run di Kolombo. Virat Kohli dan "
    "KL Rahul mencetak abad, sementara Kuldeep Yadav mengambil lima wicket.",
    hours_ago=2,
)
RUPIAH = doc(
    5,
    "Rupiah melemah terhadap dolar AS",
    "Nilai tukar rupiah melemah terhadap dolar Amerika Serikat pada perdagangan Jumat. "
    "Bank Indonesia menyatakan akan menjaga stabilitas nilai tukar.",
    hours_ago=3,
)


def test_picks_the_story_on_the_same_topic() -> None:
    assert pick_related(PUTIN_KIM, [MONSOON, KIM_TRAIN, CRICKET, RUPIAH]) == KIM_TRAIN


@pytest.mark.parametrize("unrelated", [MONSOON, CRICKET, RUPIAH])
def test_unrelated_story_is_never_picked(unrelated: RelatedDoc) -> None:
    assert pick_related(PUTIN_KIM, [unrelated]) is None


def test_no_candidates_and_self_are_none() -> None:
    assert pick_related(PUTIN_KIM, []) is None
    assert pick_related(PUTIN_KIM, [PUTIN_KIM]) is None


def test_single_shared_name_is_not_enough() -> None:
    # Both mention Mumbai, nothing else in common: one shared term is not a topic.
    other = doc(6, "Bandara Mumbai meluncurkan gerbang baru", "Gerbang keberangkatan baru dibuka.")
    assert pick_related(MONSOON, [other]) is None


def test_recency_breaks_ties() -> None:
    older = doc(10, KIM_TRAIN.title, KIM_TRAIN.text, hours_ago=30)
    newer = doc(11, KIM_TRAIN.title, KIM_TRAIN.text, hours_ago=2)
    assert pick_related(PUTIN_KIM, [older, newer]) == newer
    assert pick_related(PUTIN_KIM, [newer, older]) == newer


def test_higher_score_beats_recency() -> None:
    weak = doc(
        12,
        "Korea Utara meluncurkan rudal",
        "Korea Utara meluncurkan rudal balistik ke laut. Jepang memprotes peluncuran itu.",
        hours_ago=0,
    )
    assert pick_related(PUTIN_KIM, [weak, KIM_TRAIN]) == KIM_TRAIN


def test_min_score_is_respected() -> None:
    assert pick_related(PUTIN_KIM, [KIM_TRAIN], min_score=0.99) is None
    ((score, shared),) = score_related(PUTIN_KIM, [KIM_TRAIN])
    assert 0 < score < 1 and shared >= 2


def test_title_counts_more_than_body() -> None:
    title_match = doc(20, "Vostochny kosmodrom", "Gempa bumi mengguncang pulau Sulawesi.")
    body_match = doc(21, "Gempa bumi mengguncang Sulawesi", "Pulau, Vostochny kosmodrom.")
    (t_score, _), (b_score, _) = score_related(PUTIN_KIM, [title_match, body_match])
    assert t_score > b_score


def test_english_untranslated_text_matches_english() -> None:
    a = doc(
        30,
        "Floods hit Mumbai as monsoon rains lash city",
        "Heavy monsoon rains flooded streets in Mumbai; schools were shut.",
    )
    b = doc(
        31,
        "Mumbai schools shut after monsoon flooding",
        "Schools in Mumbai stayed closed as monsoon flooding continued.",
    )
    c = doc(32, "India beat Pakistan in Asia Cup", "Kohli and Rahul scored centuries in Colombo.")
    assert pick_related(a, [c, b]) == b
    assert pick_related(a, [c]) is None


def test_tokenize_drops_stopwords_numbers_and_folds_reduplication() -> None:
    assert tokenize("Negara-negara yang hadir pada 2023 mengatakan bahwa Putin's plan") == [
        "negara",
        "hadir",
        "putin",
        "plan",
    ]


def test_naive_and_missing_dates_do_not_crash() -> None:
    naive = RelatedDoc(40, KIM_TRAIN.title, KIM_TRAIN.text, datetime(2023, 9, 1))
    undated = RelatedDoc(41, KIM_TRAIN.title, KIM_TRAIN.text, None)
    assert pick_related(PUTIN_KIM, [undated, naive]) == naive


# ------------------------------------------------------------ precomputed candidates

POOL_DOCS = [PUTIN_KIM, KIM_TRAIN, MONSOON, CRICKET, RUPIAH]
OUTSIDE = doc(
    9,
    "Kim Jong Un pulang dari Rusia dengan kereta",
    "Pemimpin Korea Utara Kim Jong Un meninggalkan Rusia setelah bertemu Putin di Vostochny.",
)


def _fresh_scores(target: RelatedDoc, candidates: list[RelatedDoc]) -> list[tuple[float, int]]:
    """TF-IDF over target + candidates computed from scratch, without the pool's
    precomputation and norm corrections: the reference the pool must equal."""
    import math

    from warta.core.related import _term_counts

    counts = [_term_counts(target), *(_term_counts(c) for c in candidates)]
    df: dict[str, int] = {}
    for c in counts:
        for t in c:
            df[t] = df.get(t, 0) + 1
    idf = {t: math.log((1 + len(counts)) / (1 + d)) + 1.0 for t, d in df.items()}
    vectors = []
    for c in counts:
        vec = {t: (1.0 + math.log(n)) * idf[t] for t, n in c.items()}
        norm = math.sqrt(sum(w * w for w in vec.values()))
        vectors.append({t: w / norm for t, w in vec.items()} if norm else {})
    out = []
    for v in vectors[1:]:
        shared = [t for t in vectors[0] if t in v]
        out.append((sum(vectors[0][t] * v[t] for t in shared), len(shared)))
    return out


def test_pool_scores_an_outside_target_like_a_fresh_tf_idf() -> None:
    got = CandidatePool(POOL_DOCS).scores(OUTSIDE)
    want = _fresh_scores(OUTSIDE, POOL_DOCS)
    assert [s for _, s in got] == [s for _, s in want]
    assert [round(c, 12) for c, _ in got] == [round(c, 12) for c, _ in want]
    assert any(c > 0.1 for c, _ in got)  # the comparison is not between zeros


@pytest.mark.parametrize("member", POOL_DOCS, ids=lambda d: str(d.id))
def test_pool_scores_a_member_against_the_others_only(member: RelatedDoc) -> None:
    """A target that is one of the pool's stories scores exactly as against a pool made
    without it, and is never its own related story."""
    others = [d for d in POOL_DOCS if d.id != member.id]
    got = CandidatePool(POOL_DOCS).scores(member)
    assert got[POOL_DOCS.index(member)] == (0.0, 0)
    del got[POOL_DOCS.index(member)]
    want = _fresh_scores(member, others)
    assert [s for _, s in got] == [s for _, s in want]
    assert [round(c, 12) for c, _ in got] == [round(c, 12) for c, _ in want]
    assert CandidatePool(POOL_DOCS).pick(member) == pick_related(member, others)


def test_one_pool_serves_many_targets() -> None:
    pool = CandidatePool(POOL_DOCS)
    assert pool.pick(PUTIN_KIM) == KIM_TRAIN
    assert pool.pick(KIM_TRAIN) == PUTIN_KIM
    assert pool.pick(OUTSIDE) in (PUTIN_KIM, KIM_TRAIN)
    assert pool.pick(MONSOON) is None
