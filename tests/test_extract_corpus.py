"""Quality gate for extraction over the shared evaluation corpus (never copied into the repo).

The scoring is ``eval/extract.py`` (``make eval`` prints it next to plain trafilatura's);
here warta alone is scored and every score must stay at or above its floor in
tests/data/extract_baseline.json (``dateline_false``, a false-positive rate, at or below
its ceiling). Raise the floors when extraction improves; never lower one to make a change
pass. Without the corpus this fails under CI=true (the ``corpus`` fixture).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BASELINE = Path(__file__).parent / "data" / "extract_baseline.json"
EVAL = Path(__file__).resolve().parent.parent / "eval" / "extract.py"

# one worker scores the corpus once for the module (pytest-xdist, --dist loadgroup)
pytestmark = [pytest.mark.corpus, pytest.mark.xdist_group("extract_corpus")]


def load_eval() -> ModuleType:
    spec = importlib.util.spec_from_file_location("warta_eval_extract", EVAL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def scored(corpus: Path) -> tuple[ModuleType, list[Any], list[Any], dict[str, Any]]:
    ev = load_eval()
    cases = ev.load_cases(corpus)
    scores, outputs, _ = ev.evaluate(cases, ev.run_warta)
    return ev, cases, outputs, scores


def test_every_score_stays_at_or_above_its_floor(scored: tuple[Any, ...]) -> None:
    ev, _, _, scores = scored
    baseline = json.loads(BASELINE.read_text(encoding="utf-8"))
    floors, ceilings = baseline["floors"], baseline["ceilings"]
    print("\n" + ev.table(scores, baseline.get("trafilatura")))
    below = {k: (scores[k], v) for k, v in floors.items() if scores[k] < v}
    above = {k: (scores[k], v) for k, v in ceilings.items() if scores[k] > v}
    assert not below, f"scores below their floor (got, floor): {below}"
    assert not above, f"scores above their ceiling (got, ceiling): {above}"


def test_page_counts_match_the_corpus(scored: tuple[Any, ...]) -> None:
    """A corpus that silently lost pages (or a loader that stopped finding them) would make
    every mean meaningless; the counts are part of the baseline."""
    _, _, _, scores = scored
    counts = json.loads(BASELINE.read_text(encoding="utf-8"))["counts"]
    assert {k: scores[k] for k in counts} == counts


def test_non_articles_are_rejected_for_their_reason(scored: tuple[Any, ...]) -> None:
    ev, cases, outputs, _ = scored
    for case, out in zip(cases, outputs, strict=True):
        if case.key in ev.NOT_ARTICLES:
            assert out.error.startswith(ev.NOT_ARTICLES[case.key]), (case.key, out.error)


def test_detik_and_kompas_dates_are_right_and_timezone_aware(corpus: Path) -> None:
    """The two Indonesian pages of htmldate's evaluation: the publication instant, with its
    offset, and the day in Jakarta time (WIB, UTC+7)."""
    from datetime import timedelta, timezone

    from warta.core.extract import extract_article

    ev = load_eval()
    wib = timezone(timedelta(hours=7))
    for stem, instant in [("health.detik.com-Stroke", "2023-11-02T20:59:53+07:00"),
                          ("money.kompas.com-Menhub", "2023-11-02T14:34:19+00:00")]:
        page = corpus / "pages" / "htmldate-selected" / f"{stem}.html"
        doc = extract_article(page.read_bytes(), ev.HTMLDATE_URLS[stem])
        assert doc.published is not None and doc.published.utcoffset() is not None
        assert doc.published.isoformat() == instant
        assert doc.published.astimezone(wib).date().isoformat() == ev.HTMLDATE_DATES[stem]
