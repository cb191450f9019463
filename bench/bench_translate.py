"""Batched ``translate_document`` vs one engine call per sentence, on the tiny test model.

    .venv/bin/python bench/bench_translate.py [--docs N] [--repeat R]

Prints segments/s and tokens/s for both ways and their ratio. The tiny model is built in a
temporary directory (a few seconds); numbers show the batching overhead saved, not the
speed of a real model.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.tinymodel import DATA, build_tiny_model  # noqa: E402

from warta.core.document import Block, Document  # noqa: E402
from warta.core.translate.ct2 import CTranslate2Translator  # noqa: E402
from warta.core.translate.document import translate_document  # noqa: E402
from warta.core.translate.segment import split_sentences  # noqa: E402


class OnePerCall:
    """Wraps a translator so that every sentence is its own engine call (the baseline)."""

    def __init__(self, inner: CTranslate2Translator) -> None:
        self.inner, self.name, self.model_id = inner, inner.name, inner.model_id

    def translate_batch(self, texts: list[str], source: str, target: str) -> list[str]:
        return [self.inner.translate_batch([t], source, target)[0] for t in texts]


def make_docs(n: int) -> list[Document]:
    lines = (DATA / "en.txt").read_text(encoding="utf-8").splitlines()
    docs = []
    for d in range(n):
        chunk = lines[(d * 12) % 290 : (d * 12) % 290 + 12]
        blocks = [Block("p", " ".join(chunk[i : i + 3])) for i in range(0, 12, 3)]
        docs.append(Document(url=f"u{d}", title=chunk[0], blocks=blocks))
    return docs


def measure(engine: object, docs: list[Document], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for doc in docs:
            translate_document(doc, engine, "en", "id")  # type: ignore[arg-type]
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tiny = build_tiny_model(Path(tmp) / "tiny")
        model = CTranslate2Translator(tiny.package_dir)
        docs = make_docs(args.docs)
        texts = [doc.title for doc in docs] + [b.text for doc in docs for b in doc.blocks]
        segments = sum(len(split_sentences(t, "en")) for t in texts)
        tokens = sum(len(model._tokenize(s)) for t in texts for s in split_sentences(t, "en"))
        batched = measure(model, docs, args.repeat)
        single = measure(OnePerCall(model), docs, args.repeat)
    print(
        f"cpu: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"compute_type={model.compute_type}; {args.docs} docs, {segments} segments, "
        f"{tokens} source tokens"
    )
    print(f"{'mode':<24}{'seconds':>10}{'segments/s':>14}{'tokens/s':>12}")
    for name, secs in (("batched (documents)", batched), ("one call per sentence", single)):
        print(f"{name:<24}{secs:>10.3f}{segments / secs:>14.0f}{tokens / secs:>12.0f}")
    print(f"speed-up of batching: {single / batched:.2f}x")


if __name__ == "__main__":
    main()
