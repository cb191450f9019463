"""'Baca juga' scoring: pick the one earlier story that is really about the same thing.

Pure and framework-free: plain ``RelatedDoc`` values in, one of them (or ``None``) out.
The score is the cosine of TF-IDF vectors (sublinear term frequency, smoothed IDF over the
target plus its candidates) built from a small Unicode tokenizer that drops Indonesian and
English stopwords and generic news words ("kata", "said", "Reuters"); words of the title
count ``TITLE_WEIGHT`` times. A candidate is only picked when its score reaches
``min_score`` *and* it shares at least ``min_shared`` informative terms with the target:
no link is better than a link to an unrelated story. Among equal scores the newer story wins.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

TITLE_WEIGHT = 3
DEFAULT_MIN_SCORE = 0.12
DEFAULT_MIN_SHARED = 2
_TIE = 1e-9
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Words: letters (any script), optionally joined by hyphens or apostrophes ("negara-negara",
# "Putin's" stays one token and is then normalised), digits are dropped (years, counts).
_WORD_RE = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")

_STOP_ID = """
ada adalah adanya agar akan akhirnya aku amat anda antara apa apabila apakah atas atau
bagaimana bagi bahkan bahwa baik banyak baru beberapa begitu belum benar berada berbagai
bersama besar bisa boleh buat bukan cukup dalam dan dapat dari daripada demikian dengan di
dia diri dirinya hal hampir hanya harus hingga ia ialah ini itu jadi jika juga kah kalau
kami kamu kan karena kata katanya ke kecil kembali kemudian kepada ketika kini kita lagi
lain lalu lama lebih maka mampu mana masih masing mau melalui memang mengatakan menjadi
menurut mereka merupakan meski misalnya mungkin namun oleh pada padahal para pernah pula
pun saat saja sama sambil sampai sangat sebab sebagai sebelum sebelumnya sebuah secara
sedang sehingga sejak sekali sekitar selain selama semua sementara seperti serta sesuai
setelah setiap siapa sini situ suatu sudah supaya tak tanpa tapi telah tentang tersebut
tetapi tidak tiap turut untuk waktu ya yaitu yakni yang tahun hari bulan pekan minggu
ujar ungkap jelas tutur menambahkan mengungkapkan menyatakan disebut dikatakan
senin selasa rabu kamis jumat sabtu
"""

_STOP_EN = """
a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing down during each few for from
further had has have having he her here hers herself him himself his how i if in into is it
its itself just me more most my no nor not now of off on once only or other our ours out over
own same she should so some such than that the their theirs them then there these they this
those through to too under until up very was we were what when where which while who whom
why will with would you your yours said says say told according added also one two new year
years day days week monday tuesday wednesday thursday friday saturday sunday
"""

# Agency names and page furniture that occur in unrelated stories alike.
_STOP_NEWS = """
reuters afp ap pti ani bernama antara kompas com news berita baca juga foto file arsip
"""

STOPWORDS: frozenset[str] = frozenset((_STOP_ID + _STOP_EN + _STOP_NEWS).split())


@dataclass(frozen=True)
class RelatedDoc:
    """One story as the scorer sees it. ``published`` is timezone-aware (naive = UTC)."""

    id: int | str
    title: str
    text: str
    published: datetime | None = None


def tokenize(text: str) -> list[str]:
    """Lower-cased content words of ``text``: stopwords, one-letter words and the
    possessive ``'s`` dropped; reduplicated Indonesian plurals ("negara-negara") become
    their base word."""
    out: list[str] = []
    for word in _WORD_RE.findall(text.lower()):
        if "-" in word or "'" in word or "’" in word:
            word = _normalise(word)
        if len(word) > 1 and word not in STOPWORDS:
            out.append(word)
    return out


def _normalise(word: str) -> str:
    word = word.replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    head, sep, tail = word.partition("-")
    return head if sep and head == tail else word


@lru_cache(maxsize=1024)
def _term_counts(doc: RelatedDoc) -> dict[str, int]:
    """Term counts of one story, title words ``TITLE_WEIGHT`` times. Memoised on the
    (immutable) document, so scoring the same recent stories again skips tokenising."""
    counts = Counter(tokenize(doc.text))
    for word in tokenize(doc.title):
        counts[word] += TITLE_WEIGHT
    return dict(counts)


def _idf(docs: Sequence[dict[str, int]]) -> dict[str, float]:
    df: Counter[str] = Counter()
    for counts in docs:
        df.update(counts.keys())
    n = len(docs)
    return {term: math.log((1 + n) / (1 + d)) + 1.0 for term, d in df.items()}


def _vector(counts: dict[str, int], idf: dict[str, float]) -> dict[str, float]:
    vec = {t: (1.0 + math.log(c)) * idf[t] for t, c in counts.items()}
    norm = math.sqrt(sum(w * w for w in vec.values()))
    if norm == 0.0:
        return {}
    return {t: w / norm for t, w in vec.items()}


def _cosine(a: dict[str, float], b: dict[str, float]) -> tuple[float, int]:
    if len(a) > len(b):
        a, b = b, a
    score = 0.0
    shared = 0
    for term, weight in a.items():
        other = b.get(term)
        if other is not None:
            score += weight * other
            shared += 1
    return score, shared


def score_related(target: RelatedDoc, candidates: Iterable[RelatedDoc]) -> list[tuple[float, int]]:
    """``(cosine, shared_terms)`` of each candidate against ``target``, in input order."""
    cands = list(candidates)
    counts = [_term_counts(target), *(_term_counts(c) for c in cands)]
    idf = _idf(counts)
    vectors = [_vector(c, idf) for c in counts]
    return [_cosine(vectors[0], v) for v in vectors[1:]]


def _recency(doc: RelatedDoc) -> datetime:
    if doc.published is None:
        return _EPOCH
    if doc.published.tzinfo is None:
        return doc.published.replace(tzinfo=UTC)
    return doc.published


def pick_related(
    target: RelatedDoc,
    candidates: list[RelatedDoc],
    *,
    min_score: float = DEFAULT_MIN_SCORE,
    min_shared: int = DEFAULT_MIN_SHARED,
) -> RelatedDoc | None:
    """The candidate most similar to ``target``, or ``None`` when none is similar enough.

    Candidates with the target's ``id`` are ignored. A candidate qualifies when its cosine
    score is at least ``min_score`` and it shares at least ``min_shared`` terms with the
    target. Ties (equal scores) go to the most recently published candidate.
    """
    pool = [c for c in candidates if c.id != target.id]
    if not pool:
        return None
    best: RelatedDoc | None = None
    best_score = -1.0
    for cand, (score, shared) in zip(pool, score_related(target, pool), strict=True):
        if score < min_score or shared < min_shared:
            continue
        if score > best_score + _TIE or (
            abs(score - best_score) <= _TIE and best is not None and _recency(cand) > _recency(best)
        ):
            best, best_score = cand, score
    return best
