"""Score warta's extraction against plain ``trafilatura.extract`` on real pages with ground truth.

    .venv/bin/python eval/extract.py [--corpus DIR] [--warta-only] [--json FILE]   (make eval)

The pages and their expected output live in ``../shared/corpus/pages`` (written by others;
never copied into this repository):

- mozilla/readability: ``expected.html`` (the article) and ``expected-metadata.json`` (title,
  publishedTime); ``<figcaption>`` texts of the expected article are the captions to find;
- newspaper4k: ``txt/`` (expected body text) and ``metadata/`` (title, publish_date);
- goose3: ``content/*.json`` (the opening of the expected cleaned text, the title),
  ``publishdate/`` and ``title/`` (expected publish date, expected title);
- htmldate-selected (Detik, Kompas, NDTV, Reuters, BBC): publication dates read off each page
  by hand (``HTMLDATE_DATES``: what its JSON-LD, its visible date line and its URL agree on).

Scores (each over the pages that have that kind of ground truth):

- ``body_f1``: token-level (bag of lower-cased words) precision, recall and F1 of the body
  text, macro-averaged over readability and newspaper4k pages; a page the extractor rejects
  or returns nothing for scores 0 (except the ``NOT_ARTICLES`` pages, which must be
  rejected and are left out);
- ``lead_recall``: share of the tokens of goose3's expected opening found in the text;
- ``title``: exact match after whitespace normalisation; ``title_loose`` also accepts the
  expected title being ours plus a " | Site" suffix (readability keeps the site name);
- ``date``: the expected publication day equals the extracted one (in the expected value's
  own UTC offset when it has one);
- ``dateline``: the hand-labelled dateline (``DATELINES``) is set apart exactly; plain
  trafilatura has no dateline field and scores 0. ``dateline_false``: share of the other
  scored pages where a dateline was reported although the expected text opens with none;
- ``caption``: share of the expected figure captions returned as captions (warta: the lead
  image's or an image block's caption with the credit it split off; trafilatura: anywhere in
  its text, which is generous to it).

Body F1, titles and dates are scored twice: over every page with ground truth (a page warta
rejects as not an article scores 0), and ``*_accepted`` over the pages warta accepts, for
both extractors alike (what each reads from the same article pages).

Warta's text is ``dateline`` + the blocks' text (captions included), as a reader sees it.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import trafilatura
from lxml import html as lxml_html

from warta.core.errors import ExtractError
from warta.core.extract import extract_article

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
READABILITY_URL = "http://fakehost/test/page.html"

# Pages that are not articles warta may publish, labelled by hand, with the reason
# extract_article must give. newspaper4k's expected text for them is the teaser.
NOT_ARTICLES = {
    # two teaser paragraphs, then "この記事は会員限定です" (this article is for members only)
    "newspaper4k/japanese_article": "page looks like a paywall stub",
}

# Datelines, labelled by hand from the expected text of each page (the opening the
# publisher or wire put before the first sentence). Pages whose expected text opens with
# no dateline are the negatives; pages not scored for body text are not labelled.
DATELINES = {
    "newspaper4k/fox13now_001": "WASHINGTON (CNN)",
    "newspaper4k/yna_co_kr": "SEOUL, Aug. 20 (Yonhap)",
    "newspaper4k/arabic_article": "دمشق، سوريا (CNN)",
    "newspaper4k/bengali_article": "বীরভূম",
    "newspaper4k/japanese_article2": "【6月18日 AFP】",
    "newspaper4k/chinese_article_002": "新华社北京11月17日电",
    "goose3/test_aolNews": "WASHINGTON (Aug. 13)",
    "goose3/test_cnet": "NEW YORK",
    "goose3/test_cnn1": "Washington (CNN)",
    "goose3/test_cnn_arabic": "دمشق، سوريا (CNN)",
    "goose3/test_huffingtonPost2": "MONTGOMERY, Ala.",
    "goose3/test_usatoday_issue_74": "ANAHEIM, Calif.",
    "goose3/test_yahoo": "SAN FRANCISCO (AP)",
}

# htmldate's evaluation pages: the publication day each page states (JSON-LD
# datePublished, the visible date line and, where present, the URL agree).
HTMLDATE_DATES = {
    "bbc.com.52241221": "2020-04-10",
    "health.detik.com-Stroke": "2023-11-02",
    "money.kompas.com-Menhub": "2023-11-02",
    "reuters.com.parasite": "2020-01-20",
    "sports.ndtv.com-Cricket-World-Cup": "2023-11-02",
}
HTMLDATE_URLS = {
    "bbc.com.52241221": "https://www.bbc.com/news/world-us-canada-52241221",
    "health.detik.com-Stroke": "https://health.detik.com/berita-detikhealth/d-7014468/curhat",
    "money.kompas.com-Menhub": "https://money.kompas.com/read/2023/11/02/213419526/menhub",
    "reuters.com.parasite": "https://www.reuters.com/article/us-awards-sag/parasite-scores",
    "sports.ndtv.com-Cricket-World-Cup": "https://sports.ndtv.com/cricket-world-cup-2023/live",
}


@dataclass
class Case:
    """One page and whatever ground truth exists for it ("" / None / () = none)."""

    key: str  # "set/name"
    html: Path
    url: str
    text: str = ""
    text_is_prefix: bool = False
    title: str = ""
    date: str = ""  # ISO date or datetime
    dateline: str | None = None  # None: not labelled
    captions: tuple[str, ...] = ()


@dataclass
class Output:
    text: str = ""
    title: str = ""
    date: str = ""
    dateline: str = ""
    captions: list[str] = field(default_factory=list)
    error: str = ""


# --- the cases ----------------------------------------------------------------------------

def load_cases(corpus: Path = CORPUS) -> list[Case]:
    pages = corpus / "pages"
    return [*_readability(pages), *_newspaper4k(pages), *_goose3(pages), *_htmldate(pages)]


def _readability(pages: Path) -> Iterator[Case]:
    for page in sorted((pages / "mozilla-readability/test/test-pages").iterdir()):
        source, expected = page / "source.html", page / "expected.html"
        if not source.is_file():
            continue
        meta = _json(page / "expected-metadata.json")
        text, captions = _expected_html(expected) if expected.is_file() else ("", ())
        yield Case(f"readability/{page.name}", source, READABILITY_URL, text=text,
                   title=str(meta.get("title") or "").strip(),
                   date=str(meta.get("publishedTime") or ""), captions=captions)


def _expected_html(path: Path) -> tuple[str, tuple[str, ...]]:
    # The expected articles are UTF-8 with no charset declared; lxml would read bytes as
    # Latin-1 and turn every "’" into "â€™", costing both extractors the same words.
    tree = lxml_html.fromstring(path.read_text(encoding="utf-8", errors="replace"))
    captions = tuple(c for c in (_norm(" ".join(f.itertext())) for f in tree.iter("figcaption"))
                     if c)
    return _norm(" ".join(tree.itertext())), captions


def _newspaper4k(pages: Path) -> Iterator[Case]:
    data = pages / "newspaper4k/tests/data"
    for html_file in sorted((data / "html").glob("*.html")):
        stem = html_file.stem
        expected = data / "txt" / f"{stem}.txt"
        meta = _json(data / "metadata" / f"{stem}.json")
        key = f"newspaper4k/{stem}"
        text = expected.read_text(encoding="utf-8", errors="replace") if expected.is_file() else ""
        dateline = DATELINES.get(key, "") if text and key not in NOT_ARTICLES else None
        yield Case(key, html_file, str(meta.get("url") or f"https://example.com/{stem}"),
                   text=text, title=str(meta.get("title") or "").strip(),
                   date=str(meta.get("publish_date") or ""), dateline=dateline)


def _goose3(pages: Path) -> Iterator[Case]:
    data = pages / "goose3/tests/data"
    for folder in ("content", "publishdate", "title"):
        for expected_file in sorted((data / folder).glob("*.json")):
            html_file = expected_file.with_suffix(".html")
            if not html_file.is_file():
                continue
            raw = _json(expected_file)
            expected = raw.get("expected") or {}
            key = f"goose3/{expected_file.stem}"
            text = str(expected.get("cleaned_text") or "") if folder == "content" else ""
            yield Case(key, html_file, str(raw.get("url") or "https://example.com/"), text=text,
                       text_is_prefix=True, title=str(expected.get("title") or "").strip(),
                       date=str(expected.get("publish_date") or ""),
                       dateline=DATELINES.get(key, "") if text else None)


def _htmldate(pages: Path) -> Iterator[Case]:
    for stem, day in HTMLDATE_DATES.items():
        html_file = pages / "htmldate-selected" / f"{stem}.html"
        if html_file.is_file():
            yield Case(f"htmldate/{stem}", html_file, HTMLDATE_URLS[stem], date=day)


def _json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8", errors="replace"))
    return data if isinstance(data, dict) else {}


# --- the extractors -----------------------------------------------------------------------

def run_warta(case: Case) -> Output:
    try:
        doc = extract_article(case.html.read_bytes(), case.url)
    except ExtractError as e:
        return Output(error=e.reason)
    # A figure's caption as the page printed it: warta's caption and the credit it split off
    # ("Credit Harry Campbell" is all credit, and the expected figcaption has both).
    figures = [(doc.image.caption, doc.image.credit)] if doc.image else []
    figures += [(b.text, b.credit) for b in doc.blocks if b.type == "img"]
    captions = [c for c in (" ".join(filter(None, f)) for f in figures) if c]
    return Output(text="\n\n".join(filter(None, [doc.dateline, doc.text])), title=doc.title,
                  date=doc.published.isoformat() if doc.published else "",
                  dateline=doc.dateline, captions=captions)


def run_trafilatura(case: Case) -> Output:
    """Plain ``trafilatura.extract`` for the text, its metadata reader for title and date
    (``extract`` alone returns neither)."""
    data = case.html.read_bytes()
    text = trafilatura.extract(data, url=case.url) or ""
    meta = trafilatura.extract_metadata(data, default_url=case.url)
    return Output(text=text, title=(meta.title or "") if meta else "",
                  date=(meta.date or "") if meta else "", error="" if text else "nothing")


# --- scoring ------------------------------------------------------------------------------

_TOKEN = re.compile(r"\w+")
_ZERO = timedelta(0)


def tokens(text: str) -> Counter[str]:
    return Counter(_TOKEN.findall(text.lower()))


def prf(got: str, expected: str) -> tuple[float, float, float]:
    """Token-level (bag of words) precision, recall and F1."""
    got_t, exp_t = tokens(got), tokens(expected)
    overlap = sum((got_t & exp_t).values())
    if not overlap:
        return 0.0, 0.0, 0.0
    p, r = overlap / sum(got_t.values()), overlap / sum(exp_t.values())
    return p, r, 2 * p * r / (p + r)


def title_matches(got: str, expected: str) -> tuple[bool, bool]:
    """(exact, exact once a trailing " | Site" on the expected title is allowed)."""
    got, expected = _norm(got), _norm(expected)
    exact = got == expected
    suffixed = re.fullmatch(re.escape(got) + r"\s+[|–—»:-]\s+.{1,60}", expected)
    return exact, exact or (bool(got) and suffixed is not None)


def same_day(got: str, expected: str) -> bool:
    if not got:
        return False
    exp = _datetime(expected)
    got_dt = _datetime(got)
    if exp is None or got_dt is None:
        return False
    date_only = got_dt.time() == datetime.min.time() and got_dt.utcoffset() in (None, _ZERO)
    if exp.tzinfo is not None and got_dt.tzinfo is not None and not date_only:
        got_dt = got_dt.astimezone(exp.tzinfo)  # (a date alone is midnight UTC by convention)
    return got_dt.date() == exp.date()


def _datetime(value: str) -> datetime | None:
    value = value.strip().replace("Z", "+00:00")
    value = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", value)
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _norm(text: str) -> str:
    return " ".join(text.split())


def caption_found(caption: str, candidates: list[str]) -> bool:
    """The caption's words, in order, are within one candidate (credits may be split off)."""
    want = " ".join(_TOKEN.findall(caption.lower()))
    return bool(want) and any(want in " ".join(_TOKEN.findall(c.lower())) or
                              prf(c, caption)[2] >= 0.8 for c in candidates)


def score(cases: list[Case], outputs: list[Output], *, baseline: bool = False,
          accepted: list[bool] | None = None) -> dict[str, Any]:
    """Aggregate scores of one extractor's ``outputs`` (aligned with ``cases``), then the
    body, title and date scores again over the ``accepted`` pages only (those warta took for
    articles; default: those without an error), for both extractors alike: what each reads
    from the same article pages, apart from the cost of rejecting pages."""
    mask = accepted if accepted is not None else [not o.error for o in outputs]
    overall = _score(cases, outputs, baseline)
    kept = [(c, o) for c, o, ok in zip(cases, outputs, mask, strict=True) if ok]
    subset = _score([c for c, _ in kept], [o for _, o in kept], baseline)
    for key in ("body_f1", "body_pages", "title", "title_loose", "title_pages", "date",
                "date_pages"):
        overall[f"{key}_accepted"] = subset[key]
    return overall


def _score(cases: list[Case], outputs: list[Output], baseline: bool) -> dict[str, Any]:
    p_sum = r_sum = f_sum = 0.0
    n_body = 0
    lead: list[float] = []
    titles = loose = n_titles = 0
    dates = n_dates = 0
    datelines = n_datelines = false_dl = n_negative = 0
    captions = n_captions = 0
    rejected_ok = 0
    per_set: dict[str, list[float]] = {}
    for case, out in zip(cases, outputs, strict=True):
        if case.key in NOT_ARTICLES:
            rejected_ok += bool(out.error) if not baseline else 0
            continue
        if case.text and not case.text_is_prefix:
            p, r, f = prf(out.text, case.text)
            p_sum, r_sum, f_sum, n_body = p_sum + p, r_sum + r, f_sum + f, n_body + 1
            per_set.setdefault(case.key.split("/")[0], []).append(f)
        if case.text and case.text_is_prefix:
            got, exp = tokens(out.text), tokens(case.text)
            lead.append(sum((got & exp).values()) / sum(exp.values()) if exp else 0.0)
        if case.title:
            exact, tol = title_matches(out.title, case.title)
            titles, loose, n_titles = titles + exact, loose + tol, n_titles + 1
        if case.date:
            dates, n_dates = dates + same_day(out.date, case.date), n_dates + 1
        if case.dateline:
            n_datelines += 1
            datelines += _norm(out.dateline) == _norm(case.dateline)
        elif case.dateline == "":
            n_negative += 1
            false_dl += bool(out.dateline)
        for caption in case.captions:
            n_captions += 1
            pool = out.captions if not baseline else out.text.split("\n")
            captions += caption_found(caption, pool)
    return {
        "body_precision": _ratio(p_sum, n_body), "body_recall": _ratio(r_sum, n_body),
        "body_f1": _ratio(f_sum, n_body), "body_pages": n_body,
        **{f"body_f1_{name}": _ratio(sum(fs), len(fs)) for name, fs in per_set.items()},
        **{f"body_pages_{name}": len(fs) for name, fs in per_set.items()},
        "lead_recall": _ratio(sum(lead), len(lead)), "lead_pages": len(lead),
        "title": _ratio(titles, n_titles), "title_loose": _ratio(loose, n_titles),
        "title_pages": n_titles, "date": _ratio(dates, n_dates), "date_pages": n_dates,
        "dateline": _ratio(datelines, n_datelines), "dateline_pages": n_datelines,
        "dateline_false": _ratio(false_dl, n_negative), "dateline_negative_pages": n_negative,
        "caption": _ratio(captions, n_captions), "caption_count": n_captions,
        "not_articles_rejected": rejected_ok,
    }


def _ratio(a: float, b: int) -> float:
    return round(a / b, 4) if b else 0.0


def evaluate(cases: list[Case], run: Callable[[Case], Output], *, baseline: bool = False,
             accepted: list[bool] | None = None) -> tuple[dict[str, Any], list[Output], float]:
    start = time.perf_counter()
    outputs = [run(case) for case in cases]
    elapsed = time.perf_counter() - start
    return score(cases, outputs, baseline=baseline, accepted=accepted), outputs, elapsed


ROWS = [
    ("body token F1 (readability + newspaper4k)", "body_f1", "body_pages"),
    ("— readability pages", "body_f1_readability", "body_pages_readability"),
    ("— newspaper4k pages", "body_f1_newspaper4k", "body_pages_newspaper4k"),
    ("body token precision", "body_precision", "body_pages"),
    ("body token recall", "body_recall", "body_pages"),
    ("lead recall (goose3 expected openings)", "lead_recall", "lead_pages"),
    ("title exact", "title", "title_pages"),
    ("title, site suffix tolerated", "title_loose", "title_pages"),
    ("publication day", "date", "date_pages"),
    ("— on the pages warta accepts: body token F1", "body_f1_accepted", "body_pages_accepted"),
    ("— title exact", "title_accepted", "title_pages_accepted"),
    ("— title, site suffix tolerated", "title_loose_accepted", "title_pages_accepted"),
    ("— publication day", "date_accepted", "date_pages_accepted"),
    ("dateline set apart exactly", "dateline", "dateline_pages"),
    ("dateline where there is none (lower is better)", "dateline_false",
     "dateline_negative_pages"),
    ("figure captions returned as captions", "caption", "caption_count"),
]


def table(ours: dict[str, Any], base: dict[str, Any] | None) -> str:
    lines = ["| score | n | warta | trafilatura |", "|---|---|---|---|"]
    for label, key, n in ROWS:
        if key not in ours:
            continue
        other = f"{base[key]:.3f}" if base is not None and key in base else "–"
        lines.append(f"| {label} | {ours[n]} | {ours[key]:.3f} | {other} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--warta-only", action="store_true")
    parser.add_argument("--json", type=Path, help="write both score sets here")
    parser.add_argument("--show", default="", help="print per-page output for keys matching")
    args = parser.parse_args()
    if not (args.corpus / "pages").is_dir():
        raise SystemExit(f"no corpus pages under {args.corpus}")
    cases = load_cases(args.corpus)
    ours, outputs, t_ours = evaluate(cases, run_warta)
    base = None
    t_base = 0.0
    if not args.warta_only:
        base, _, t_base = evaluate(cases, run_trafilatura, baseline=True,
                                   accepted=[not o.error for o in outputs])
    if args.show:
        for case, out in zip(cases, outputs, strict=True):
            if re.search(args.show, case.key):
                print(case.key, "|", out.error, "|", out.title, "|", out.date, "|",
                      out.dateline, "|", prf(out.text, case.text) if case.text else "")
    print(f"{len(cases)} pages from {args.corpus / 'pages'}; warta {t_ours:.0f} s,"
          f" trafilatura {t_base:.0f} s")
    print(table(ours, base))
    if args.json:
        args.json.write_text(json.dumps({"warta": ours, "trafilatura": base}, indent=2) + "\n",
                             encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
