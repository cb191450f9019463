"""Near-duplicate stories: the same wire story carried by several sources.

Two sources rarely publish byte-identical text: one adds a dateline or an "Also read" line,
another trims the last paragraphs, a third runs an updated lead. Their word shingles still
overlap heavily, so the estimated Jaccard similarity of their MinHash signatures (datasketch)
is high, while two different stories — even on the same topic, from the same site with the
same boilerplate — share few shingles. :data:`THRESHOLD` is measured on a labelled set of
pairs (``bench/eval_cluster.py``; precision and recall in docs/ingest.md), and a test keeps
it above a floor.

:class:`StoryIndex` finds candidates with MinHash LSH (sub-linear in the number of indexed
stories) and confirms them with the estimated similarity. :func:`rank_members` chooses which
entry of a story is translated and published. Pure: no Django, no I/O.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from datasketch import MinHash, MinHashLSH

NUM_PERM = 128
SHINGLE_WORDS = 3
THRESHOLD = 0.4  # measured: bench/eval_cluster.py, docs/ingest.md "Near-duplicates"
MIN_WORDS = 40  # shorter texts (a headline and a teaser) are too thin to cluster safely
_SEED = 1  # one fixed permutation family: signatures stored today compare with tomorrow's
_SCHEME = "affine32"  # named, not defaulted: stored signatures must outlive a library upgrade
_WORD = re.compile(r"\w+", re.UNICODE)


def shingles(text: str, k: int = SHINGLE_WORDS) -> set[bytes]:
    """The set of ``k``-word shingles of ``text`` (lower-cased words), as UTF-8 bytes."""
    words = [w.lower() for w in _WORD.findall(text)]
    if len(words) < k:
        return {" ".join(words).encode("utf-8")} if words else set()
    return {" ".join(words[i:i + k]).encode("utf-8") for i in range(len(words) - k + 1)}


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def signature(text: str) -> list[int]:
    """The MinHash signature of ``text`` (:data:`NUM_PERM` unsigned 32-bit values), ready
    to store as JSON. Deterministic across processes and runs."""
    mh = MinHash(num_perm=NUM_PERM, seed=_SEED, scheme=_SCHEME)
    mh.update_batch(list(shingles(text)))
    return [int(v) for v in mh.hashvalues]


def _minhash(sig: Sequence[int]) -> MinHash:
    return MinHash(num_perm=len(sig), seed=_SEED, scheme=_SCHEME,
                   hashvalues=np.asarray(sig, dtype=np.uint64))


def similarity(a: Sequence[int], b: Sequence[int]) -> float:
    """Estimated Jaccard similarity of two signatures' shingle sets (0..1); 0 when the
    signatures are empty or of different lengths."""
    if not a or len(a) != len(b):
        return 0.0
    return float(_minhash(a).jaccard(_minhash(b)))


@functools.cache
def _banding(threshold: float = THRESHOLD, num_perm: int = NUM_PERM) -> tuple[int, int]:
    """(bands, rows per band) that datasketch's MinHashLSH chooses for ``threshold``: the
    stored band keys below find exactly the candidates its in-memory index would."""
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return int(lsh.b), int(lsh.r)


def band_keys(sig: Sequence[int]) -> list[int]:
    """LSH band keys of a signature, as signed 64-bit integers for a database index: two
    signatures sharing any key are candidates (confirmed with :func:`similarity`). Lets a
    database find a new article's near-duplicates among many thousands of stored ones with
    one indexed look-up instead of loading every signature. Empty for a signature of the
    wrong length."""
    bands, rows = _banding()
    if len(sig) != NUM_PERM:
        return []
    keys = []
    for band in range(bands):
        chunk = np.asarray(sig[band * rows:(band + 1) * rows], dtype=np.uint64).tobytes()
        digest = hashlib.blake2b(band.to_bytes(2, "big") + chunk, digest_size=8).digest()
        keys.append(int.from_bytes(digest, "big", signed=True))
    return keys


class StoryIndex:
    """MinHash LSH over signatures: :meth:`matches` returns the indexed keys whose estimated
    similarity to a signature is at least ``threshold``, best first."""

    def __init__(self, threshold: float = THRESHOLD, num_perm: int = NUM_PERM) -> None:
        self.threshold = threshold
        self._lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        self._sigs: dict[Hashable, list[int]] = {}

    def add(self, key: Hashable, sig: Sequence[int]) -> None:
        """Index ``sig`` under ``key``; a key already indexed, or a signature of another
        length (stored by an older configuration), is ignored."""
        if key in self._sigs or len(sig) != NUM_PERM:
            return
        self._sigs[key] = list(sig)
        self._lsh.insert(key, _minhash(sig))

    def add_many(self, items: Iterable[tuple[Hashable, Sequence[int]]]) -> None:
        for key, sig in items:
            self.add(key, sig)

    def matches(self, sig: Sequence[int]) -> list[tuple[Hashable, float]]:
        if len(sig) != NUM_PERM or not self._sigs:
            return []
        found = [(key, similarity(sig, self._sigs[key])) for key in self._lsh.query(_minhash(sig))]
        good = [(key, score) for key, score in found if score >= self.threshold]
        return sorted(good, key=lambda item: -item[1])

    def __len__(self) -> int:
        return len(self._sigs)


@dataclass(frozen=True)
class Member:
    """One entry of a story, as :func:`rank_members` sees it. ``chosen`` is True for an
    entry already translated, in review or published: a story never changes horse once
    its text is on the way to readers."""

    key: int
    priority: int = 0
    words: int = 0
    has_image: bool = False
    has_dateline: bool = False
    published: datetime | None = None
    chosen: bool = False


def rank_members(members: Sequence[Member]) -> list[int]:
    """The members' keys, best first: an already chosen entry; then the source's priority
    (higher first); then completeness (a lead photo, a dateline), length in words; then the
    earliest published; then the lowest key. The first one is the story's entry to publish."""
    far = datetime.max.replace(tzinfo=None)

    def order(m: Member) -> tuple[object, ...]:
        when = m.published.replace(tzinfo=None) if m.published else far
        return (not m.chosen, -m.priority, -(int(m.has_image) + int(m.has_dateline)),
                -m.words, when, m.key)

    return [m.key for m in sorted(members, key=order)]
