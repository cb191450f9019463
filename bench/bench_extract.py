"""Throughput of extract_article vs plain trafilatura.extract over the shared corpus pages.

    .venv/bin/python bench/bench_extract.py [--repeat N]

Prints pages/s for each and the ratio (warta / trafilatura). Pages that are not articles
(ExtractError) still count: rejecting a page costs time too.
"""

from __future__ import annotations

import argparse
import contextlib
import time
from collections.abc import Callable
from pathlib import Path

import trafilatura

from warta.core.errors import ExtractError
from warta.core.extract import extract_article

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "pages"


def corpus_pages() -> list[tuple[str, bytes]]:
    paths = sorted(CORPUS.glob("mozilla-readability/test/test-pages/*/source.html"))
    paths += sorted(CORPUS.glob("newspaper4k/tests/data/html/*.html"))
    paths += sorted(CORPUS.glob("htmldate-selected/*.html"))
    paths += sorted(CORPUS.glob("postlight-parser/fixtures/*.html"))
    return [(f"https://example.com/{i}", p.read_bytes()) for i, p in enumerate(paths)]


def run_warta(url: str, data: bytes) -> None:
    with contextlib.suppress(ExtractError):
        extract_article(data, url)


def run_trafilatura(url: str, data: bytes) -> None:
    trafilatura.extract(data, url=url)


def pages_per_second(fn: Callable[[str, bytes], None], pages: list[tuple[str, bytes]],
                     repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        for url, data in pages:
            fn(url, data)
    return repeat * len(pages) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    pages = corpus_pages()
    if not pages:
        raise SystemExit(f"no corpus pages under {CORPUS}")
    megabytes = sum(len(d) for _, d in pages) / 1e6
    base = pages_per_second(run_trafilatura, pages, args.repeat)
    ours = pages_per_second(run_warta, pages, args.repeat)
    print(f"{len(pages)} pages, {megabytes:.1f} MB, repeat {args.repeat}")
    print(f"{'extractor':<28}{'pages/s':>10}{'ratio':>8}")
    print(f"{'trafilatura.extract':<28}{base:>10.1f}{1.0:>8.2f}")
    print(f"{'warta extract_article':<28}{ours:>10.1f}{ours / base:>8.2f}")


if __name__ == "__main__":
    main()
