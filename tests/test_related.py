"""The pure "Baca juga" scorer: related stories are picked, unrelated ones never."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from warta.core.related import RelatedDoc, pick_related, score_related, tokenize

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
