"""Translation throughput of a model the size of a real OPUS-MT/Argos model, CPU vs CUDA.

    python bench/bench_translate_device.py [--docs N] [--layers L] [--devices cpu,cuda]

No real model can be downloaded here, so this builds a Transformer with the dimensions of
a transformer-base OPUS-MT model (6+6 layers, d_model 512, 8 heads, FFN 2048, 8,000-token
vocabulary) filled with seeded random weights, packaged in the Argos layout, and runs it
through warta's own path (``CTranslate2Translator`` + ``translate_document``). Random
weights rarely emit ``</s>``, so segments decode to about ``--max-len`` tokens each: the
numbers are segments per second at a near-fixed output length, comparable across devices,
not the speed of a trained model (whose outputs are as long as the sentences).
Baseline: CPU int8 in the same run (the default on a machine without a GPU).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from ctranslate2.specs import transformer_spec  # noqa: E402
from tests.support.tinymodel import DATA, train_sentencepiece  # noqa: E402

from warta.core.document import Block, Document  # noqa: E402
from warta.core.translate.ct2 import CTranslate2Translator  # noqa: E402
from warta.core.translate.document import translate_document  # noqa: E402
from warta.core.translate.segment import split_sentences  # noqa: E402

VOCAB = 8000


def build_base_model(root: Path, layers: int) -> Path:
    sp_model = train_sentencepiece(root)
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_file=str(sp_model))
    vocab = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
    vocab += [f"<extra_{i}>" for i in range(VOCAB - len(vocab))]
    spec = transformer_spec.TransformerSpec.from_config((layers, layers), 8)
    rng = np.random.default_rng(7)
    d, ffn = 512, 2048
    def linear(lin: object, n_out: int, n_in: int) -> None:
        lin.weight = rng.normal(0, 0.02, (n_out, n_in)).astype(np.float32)  # type: ignore[attr-defined]
        lin.bias = np.zeros(n_out, np.float32)  # type: ignore[attr-defined]

    def norm(ln: object) -> None:
        ln.gamma = np.ones(d, np.float32)  # type: ignore[attr-defined]
        ln.beta = np.zeros(d, np.float32)  # type: ignore[attr-defined]

    for stack in (spec.encoder, spec.decoder):
        for layer in stack.layer:
            linear(layer.self_attention.linear[0], 3 * d, d)  # fused q, k, v
            linear(layer.self_attention.linear[1], d, d)
            norm(layer.self_attention.layer_norm)
            if hasattr(layer, "attention"):  # decoder cross-attention: q, fused k v, out
                linear(layer.attention.linear[0], d, d)
                linear(layer.attention.linear[1], 2 * d, d)
                linear(layer.attention.linear[2], d, d)
                norm(layer.attention.layer_norm)
            linear(layer.ffn.linear_0, ffn, d)
            linear(layer.ffn.linear_1, d, ffn)
            norm(layer.ffn.layer_norm)
        norm(stack.layer_norm)
    spec.encoder.embeddings[0].weight = rng.normal(0, 0.02, (VOCAB, d)).astype(np.float32)
    spec.decoder.embeddings.weight = rng.normal(0, 0.02, (VOCAB, d)).astype(np.float32)
    spec.decoder.projection.weight = rng.normal(0, 0.02, (VOCAB, d)).astype(np.float32)
    spec.decoder.projection.bias = np.zeros(VOCAB, np.float32)
    spec.register_source_vocabulary(vocab)
    spec.register_target_vocabulary(vocab)
    spec.validate()
    spec.optimize(quantization=None)
    pkg = root / "translate-en_id-base"
    (pkg / "model").mkdir(parents=True)
    spec.save(str(pkg / "model"))
    (pkg / "sentencepiece.model").write_bytes(sp_model.read_bytes())
    (pkg / "metadata.json").write_text(json.dumps({
        "package_version": "bench", "from_code": "en", "to_code": "id", "type": "translate"}))
    return pkg


def make_docs(n: int) -> list[Document]:
    lines = (DATA / "en.txt").read_text(encoding="utf-8").splitlines()
    return [Document(url=f"u{d}", title=lines[(d * 7) % len(lines)],
                     blocks=[Block("p", " ".join(lines[(d * 12 + i) % len(lines)]
                                                 for i in range(j, j + 3)))
                             for j in range(0, 12, 3)])
            for d in range(n)]


def run(pkg: Path, docs: list[Document], device: str, compute_type: str, max_len: int,
        batch: int, across: bool) -> tuple[float, int]:
    """Seconds for all ``docs`` and the number of sentences translated. ``across``: every
    sentence of every document in one engine call (what a translate worker does with a
    batch of articles); otherwise one ``translate_document`` per article."""
    model = CTranslate2Translator(pkg, device=device, compute_type=compute_type,
                                  intra_threads=os.cpu_count() or 1, beam_size=2,
                                  max_batch_size=batch, max_decoding_length=max_len)
    sentences = [s.strip() for doc in docs for text in [doc.title] + [b.text for b in doc.blocks]
                 for s in split_sentences(text, "en") if s.strip()]
    translate_document(docs[0], model, "en", "id")  # warm-up: allocations, kernels
    start = time.perf_counter()
    if across:
        model.translate_batch(sentences, "en", "id")
    else:
        for doc in docs:
            translate_document(doc, model, "en", "id")
    return time.perf_counter() - start, len(sentences)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=40)
    parser.add_argument("--layers", type=int, default=6)
    parser.add_argument("--max-len", type=int, default=48)
    parser.add_argument("--devices", default="cpu,cuda")
    args = parser.parse_args()
    import ctranslate2

    configs = [("cpu", "int8", 32, False), ("cpu", "int8", 32, True)]
    if "cuda" in args.devices:
        if ctranslate2.get_cuda_device_count() < 1:
            print("no CUDA device visible to CTranslate2: CPU only")
        else:
            configs += [("cuda", "float16", 32, False), ("cuda", "int8_float16", 32, False),
                        ("cuda", "float16", 32, True), ("cuda", "float16", 128, True),
                        ("cuda", "int8_float16", 128, True)]
    with tempfile.TemporaryDirectory() as tmp:
        pkg = build_base_model(Path(tmp), args.layers)
        docs = make_docs(args.docs)
        rows = [(dev, ct, b, across, *run(pkg, docs, dev, ct, args.max_len, b, across))
                for dev, ct, b, across in configs]
    print(f"{args.layers}+{args.layers} layers, d_model 512, vocab {VOCAB}, beam 2, "
          f"{args.max_len} tokens/segment; {args.docs} documents; {platform.machine()}, "
          f"{os.cpu_count()} CPU threads; ctranslate2 {ctranslate2.__version__}")
    base = rows[0][4]
    print(f"{'device':<7}{'compute':<14}{'batch':>6} {'calls':<14}{'seconds':>9}"
          f"{'sentences/s':>13}{'ratio':>7}")
    for dev, ct, b, across, secs, n in rows:
        calls = "all in one" if across else "per document"
        print(f"{dev:<7}{ct:<14}{b:>6} {calls:<14}{secs:>9.2f}{n / secs:>13.1f}"
              f"{base / secs:>7.1f}")


if __name__ == "__main__":
    main()
