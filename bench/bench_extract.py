"""Throughput of extract_article vs plain trafilatura.extract over the shared corpus pages.

    .venv/bin/python bench/bench_extract.py [--repeat N] [--every K]

Each extractor runs in its own fresh process pinned to one CPU core, over the same pages in
the same run, interleaved (trafilatura, warta, trafilatura, warta... for ``--repeat`` rounds)
so that load from other processes on a shared machine hits both alike. Time is the
process's CPU time (``time.process_time``): pages per CPU-second on one core, which other
processes competing for the core do not dilute the way they dilute wall-clock time. Prints
pages/s for each, the ratio (warta / trafilatura) and the peak resident memory of each
process. Pages
that are not articles (ExtractError) still count: rejecting a page costs time too.
``--every K`` takes every K-th page (a quicker, smaller sample).
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import resource
import statistics
import time
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "pages"


def corpus_pages(every: int = 1) -> list[tuple[str, bytes]]:
    paths = sorted(CORPUS.glob("mozilla-readability/test/test-pages/*/source.html"))
    paths += sorted(CORPUS.glob("newspaper4k/tests/data/html/*.html"))
    paths += sorted(CORPUS.glob("htmldate-selected/*.html"))
    paths += sorted(CORPUS.glob("postlight-parser/fixtures/*.html"))
    return [(f"https://example.com/{i}", p.read_bytes()) for i, p in enumerate(paths)][::every]


def _worker(name: str, every: int, queue: multiprocessing.Queue[tuple[float, int]]) -> None:
    """Run one extractor over the pages once (after a warm-up page) on one core; report
    (CPU seconds, peak RSS in kB)."""
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    import trafilatura

    from warta.core.errors import ExtractError
    from warta.core.extract import extract_article

    def run(url: str, data: bytes) -> None:
        if name == "trafilatura":
            trafilatura.extract(data, url=url)
        else:
            with contextlib.suppress(ExtractError):
                extract_article(data, url)

    pages = corpus_pages(every)
    run(*pages[0])  # imports, lazy models (the language identifier)
    start = time.process_time()
    for url, data in pages:
        run(url, data)
    elapsed = time.process_time() - start
    queue.put((elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


def measure(name: str, every: int) -> tuple[float, int]:
    ctx = multiprocessing.get_context("spawn")
    queue: multiprocessing.Queue[tuple[float, int]] = ctx.Queue()
    proc = ctx.Process(target=_worker, args=(name, every, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="rounds (median is reported)")
    parser.add_argument("--every", type=int, default=1, help="take every K-th page")
    args = parser.parse_args()
    pages = corpus_pages(args.every)
    if not pages:
        raise SystemExit(f"no corpus pages under {CORPUS}")
    sizes = sorted(len(d) for _, d in pages)
    times: dict[str, list[float]] = {"trafilatura": [], "warta": []}
    peak: dict[str, int] = {"trafilatura": 0, "warta": 0}
    ratios: list[float] = []
    for _ in range(args.repeat):
        for name in times:
            seconds, rss = measure(name, args.every)
            times[name].append(seconds)
            peak[name] = max(peak[name], rss)
        ratios.append(times["trafilatura"][-1] / times["warta"][-1])
    rate = {name: len(pages) / statistics.median(t) for name, t in times.items()}
    print(f"{len(pages)} pages, {sum(sizes) / 1e6:.1f} MB (median page"
          f" {sizes[len(sizes) // 2] / 1e3:.0f} kB), one core per extractor,"
          f" {args.repeat} round(s)")
    print(f"{'extractor':<28}{'pages/s':>10}{'ratio':>8}{'peak RSS MB':>13}")
    print(f"{'trafilatura.extract':<28}{rate['trafilatura']:>10.1f}{1.0:>8.2f}"
          f"{peak['trafilatura'] / 1024:>13.0f}")
    print(f"{'warta extract_article':<28}{rate['warta']:>10.1f}"
          f"{rate['warta'] / rate['trafilatura']:>8.2f}{peak['warta'] / 1024:>13.0f}")
    if len(ratios) > 1:
        print("ratio per round: " + ", ".join(f"{r:.2f}" for r in ratios))


if __name__ == "__main__":
    main()
