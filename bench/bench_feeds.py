"""Feeds per second of warta's parse_feed vs raw feedparser.parse on the fastfeedparser
benchmark set (../shared/corpus/feeds/fastfeedparser-bench/benchmark_data, 200 real feeds).

    .venv/bin/python bench/bench_feeds.py [--limit N] [--repeat R]

Prints a table; the ratio says what warta's normalisation (nh3 sanitising, media captions,
date/URL handling) costs on top of feedparser.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from collections.abc import Callable
from pathlib import Path

import feedparser

from warta.core.errors import FeedParseError
from warta.core.feeds import parse_feed

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "corpus" / "feeds" / "fastfeedparser-bench" / "benchmark_data"


def _warta(content: bytes) -> int:
    try:
        return len(parse_feed(content, "https://bench.example/feed").entries)
    except FeedParseError:
        return 0


def _feedparser(content: bytes) -> int:
    return len(feedparser.parse(io.BytesIO(content)).entries)


def time_parser(fn: Callable[[bytes], int], docs: list[bytes], repeat: int) -> tuple[float, int]:
    """Best-of-``repeat`` wall time for parsing every doc once; entries found."""
    best, entries = float("inf"), 0
    for _ in range(repeat):
        start = time.perf_counter()
        entries = sum(fn(d) for d in docs)
        best = min(best, time.perf_counter() - start)
    return best, entries


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=0, help="only the first N feeds")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args(argv)
    if not DATA.is_dir():
        print(f"benchmark data not found at {DATA}", file=sys.stderr)
        return 2
    files = sorted(p for p in DATA.iterdir() if p.is_file())
    docs = [p.read_bytes() for p in files[: args.limit or None]]
    size_mb = sum(map(len, docs)) / 1e6
    rows = [
        (name, *time_parser(fn, docs, args.repeat))
        for name, fn in (("feedparser.parse", _feedparser), ("warta parse_feed", _warta))
    ]
    base = rows[0][1]
    print(f"{len(docs)} feeds, {size_mb:.1f} MB, best of {args.repeat}")
    print(f"{'parser':<18} {'seconds':>8} {'feeds/s':>8} {'MB/s':>6} {'entries':>8} {'ratio':>6}")
    for name, secs, entries in rows:
        print(
            f"{name:<18} {secs:>8.2f} {len(docs) / secs:>8.1f} {size_mb / secs:>6.2f} "
            f"{entries:>8} {secs / base:>6.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
