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

import numpy as np
from numpy.typing import NDArray

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


class CandidatePool:
    """Candidates prepared once for scoring many targets against them.

    A story's TF-IDF vector depends on the target through the IDF only (the target is one
    of the documents the IDF is taken over), and only for the terms the two share. So each
    candidate's sub-linear term frequencies, the candidates' document frequencies and each
    candidate's squared norm are computed here once; scoring a target walks only the
    postings of the target's own terms and corrects the norms for the shared terms. The
    scores equal a fresh TF-IDF over target + candidates (up to floating-point rounding).

    A target that is itself one of the pool's stories (same ``id``) is scored against the
    others, with the IDF over the whole pool: exactly what a fresh pool without it would
    give. Safe to share between threads (the lazily built tables are idempotent).
    """

    def __init__(self, candidates: Sequence[RelatedDoc]) -> None:
        self.docs: tuple[RelatedDoc, ...] = tuple(candidates)
        self._index = {d.id: i for i, d in enumerate(self.docs)}
        self._tfs = [{t: 1.0 + math.log(c) for t, c in _term_counts(d).items()} for d in self.docs]
        self._df: Counter[str] = Counter()
        postings: dict[str, tuple[list[int], list[float]]] = {}
        for i, tf in enumerate(self._tfs):
            self._df.update(tf.keys())
            for term, w in tf.items():
                ids, weights = postings.setdefault(term, ([], []))
                ids.append(i)
                weights.append(w)
        # per term: the candidates that have it and their sub-linear term frequencies
        self._postings = {
            t: (np.array(ids, dtype=np.intp), np.array(ws, dtype=np.float64))
            for t, (ids, ws) in postings.items()
        }
        self._tables: dict[int, tuple[dict[str, float], NDArray[np.float64]]] = {}

    def _table(self, n: int) -> tuple[dict[str, float], NDArray[np.float64]]:
        """IDF over ``n`` documents of which the candidates are the first (a term's
        document frequency is the candidates' count), and each candidate's squared norm
        under it."""
        table = self._tables.get(n)
        if table is None:
            idf = {t: math.log((1 + n) / (1 + d)) + 1.0 for t, d in self._df.items()}
            norms = np.array(
                [sum((w * idf[t]) ** 2 for t, w in tf.items()) for tf in self._tfs],
                dtype=np.float64,
            )
            table = self._tables[n] = (idf, norms)
        return table

    def scores(self, target: RelatedDoc, *, skip_self: bool = True) -> list[tuple[float, int]]:
        """``(cosine, shared_terms)`` of each candidate against ``target``, in order. With
        ``skip_self``, a candidate with the target's ``id`` is the target (scored
        ``(0.0, 0)``, left out of the IDF's count); without, it is any other story."""
        size = len(self.docs)
        member = self._index.get(target.id) if skip_self else None
        # an outside target is one more document; a member is already counted
        n = size if member is not None else size + 1
        idf, norms = self._table(n)
        lone_idf = math.log((1 + n) / 2) + 1.0  # a term no candidate has
        target_norm2 = 0.0
        # each term's postings and factors gathered, then summed per candidate with one
        # bincount each (in term order per candidate, as a term-by-term loop would add)
        id_parts: list[NDArray[np.intp]] = []
        weight_parts: list[NDArray[np.float64]] = []
        dot_factors: list[float] = []
        fix_factors: list[float] = []
        for term, count in _term_counts(target).items():
            tf = 1.0 + math.log(count)
            postings = self._postings.get(term)
            if postings is None:
                target_norm2 += (tf * lone_idf) ** 2
                continue
            ids, weights = postings
            if member is None:  # the target adds one to the term's document frequency
                idf_in = math.log((1 + n) / (2 + self._df[term])) + 1.0
                fix_factors.append(idf_in * idf_in - idf[term] * idf[term])
            else:
                idf_in = idf[term]
            target_norm2 += (tf * idf_in) ** 2
            id_parts.append(ids)
            weight_parts.append(weights)
            dot_factors.append(tf * idf_in * idf_in)
        dot: NDArray[np.float64] = np.zeros(size)
        norm_fix: NDArray[np.float64] = np.zeros(size)
        shared: NDArray[np.intp] = np.zeros(size, dtype=np.intp)
        if id_parts:
            all_ids = np.concatenate(id_parts)
            all_weights = np.concatenate(weight_parts)
            lengths = [len(ids) for ids in id_parts]
            # (with weights, bincount sums floats; numpy's stubs say integers)
            dot = _float_bincount(all_ids, all_weights * np.repeat(dot_factors, lengths), size)
            shared = np.bincount(all_ids, minlength=size)
            if member is None:
                fixes = all_weights * all_weights * np.repeat(fix_factors, lengths)
                norm_fix = _float_bincount(all_ids, fixes, size)
        norm2 = norms + norm_fix
        valid = (shared > 0) & (norm2 > 0.0) & (target_norm2 > 0.0)
        if member is not None:
            valid[member] = False
        cosine = np.zeros(size)
        cosine[valid] = dot[valid] / np.sqrt(target_norm2 * norm2[valid])
        return [
            (float(c), int(k)) if ok else (0.0, 0)
            for c, k, ok in zip(cosine.tolist(), shared.tolist(), valid.tolist(), strict=True)
        ]

    def pick(
        self,
        target: RelatedDoc,
        *,
        min_score: float = DEFAULT_MIN_SCORE,
        min_shared: int = DEFAULT_MIN_SHARED,
    ) -> RelatedDoc | None:
        """The candidate most similar to ``target`` (see :func:`pick_related`); a candidate
        with the target's ``id`` is never picked."""
        best: RelatedDoc | None = None
        best_score = -1.0
        for cand, (score, shared) in zip(self.docs, self.scores(target), strict=True):
            if cand.id == target.id or score < min_score or shared < min_shared:
                continue
            if score > best_score + _TIE or (
                abs(score - best_score) <= _TIE
                and best is not None
                and _recency(cand) > _recency(best)
            ):
                best, best_score = cand, score
        return best


def _float_bincount(ids: NDArray[np.intp], weights: NDArray[np.float64],
                    size: int) -> NDArray[np.float64]:
    return np.bincount(ids, weights, size).astype(np.float64, copy=False)


def score_related(target: RelatedDoc, candidates: Iterable[RelatedDoc]) -> list[tuple[float, int]]:
    """``(cosine, shared_terms)`` of each candidate against ``target``, in input order."""
    return CandidatePool(list(candidates)).scores(target, skip_self=False)


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
    return CandidatePool(pool).pick(target, min_score=min_score, min_shared=min_shared)
