"""Translation throughput of an OPUS-MT-size model on this machine's CPU: warta's path vs one
sentence at a time through CTranslate2 vs Hugging Face transformers, at beam 1 and beam 4.

    .venv/bin/python bench/bench_translate.py [--quick] [--beams 1,4] [--out-len 30]

No trained model can be downloaded here, so this builds one locally: a Hugging Face
``MarianMTModel`` with the dimensions of a transformer-base OPUS-MT model (6+6 layers,
d_model 512, 8 heads, FFN 2048, swish, a 60,000-token vocabulary whose first 8,000 pieces
are a SentencePiece model trained on the corpus text) with seeded random weights, saved, and
converted with CTranslate2's own ``TransformersConverter`` — so all three systems run the
*same* weights. Random weights would decode to arbitrary lengths, so every system is forced
to emit exactly ``--out-len`` target tokens per sentence (min = max decoding length); tokens
per second are therefore comparable across systems.

Input: real English sentences from ``../shared/corpus/mt/derived/tico19.all.en`` (news and
Wikinews text about COVID-19), grouped into articles of 20 sentences.

Systems, each in its own process (clean peak memory, ``ru_maxrss``; wall-clock time and
the process's CPU time, all threads, which is what counts on a shared, loaded machine):

* (a) warta: the articles through ``batch.translate_documents_checked``, what the
  translate worker runs (``stages.translate_entries``): pass one collects every article's
  protected segments, one ``CTranslate2Translator.translate_batch`` for all of them
  (int8, ``inter_threads`` 2 × 1 thread, batches cut by CTranslate2 by examples or by a
  token budget), pass two reassembles every article from the outputs and an in-memory
  segment memory, the retries of all articles in one more shared call. Segmenting,
  protection, memory look-ups and reassembly are inside the timing.
* for reference, CTranslate2 alone with (a)'s settings and batches and none of warta's
  work: the most (a) could reach.
* (b) one sentence at a time: ``ctranslate2.Translator.translate_batch([tokens])`` per
  sentence, int8, 1 worker using both cores.
* (c) transformers: ``MarianMTModel.generate`` in float32 on ``torch`` with both cores,
  at its best batch size (tried on a sample first).

(b) and (c) are slow, so they run on a sample spread evenly over (a)'s sentences, of the
same lengths (the "src tok" column: mean source tokens per sentence); rates are per sentence
and per token, so they compare. (a) counts the segments its pass two retried without
protection (random weights rarely give placeholders back): decoding it did. ``--quick`` takes
100 sentences spread over the full run's 1,000 (the first 100 are short title lines that
never lose a placeholder, so would retry nothing). Also measured:
one 600-word article end to end (segment → translate → reassemble → store as JSON) with
warta's path at beam 2.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

CORPUS = ROOT.parent / "shared" / "corpus" / "mt" / "derived"
VOCAB, SPM_PIECES, D_MODEL, LAYERS, HEADS, FFN = 60_000, 8_000, 512, 6, 8, 2048
PER_ARTICLE = 20


# ---------------------------------------------------------------- building the model

def build_models(root: Path) -> Path:
    """Train the SentencePiece model, make the random MarianMTModel, save it, convert it
    to CTranslate2 in warta's OPUS-MT layout. Returns ``root``."""
    import ctranslate2
    import sentencepiece as spm
    import torch
    from tests.support.tinymodel import train_unigram
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    sp_model = train_unigram([CORPUS / "tico19.all.en", CORPUS / "tico19.all.id"],
                             root / "sp", SPM_PIECES)
    sp = spm.SentencePieceProcessor(model_file=str(sp_model))
    vocab = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
    # <pad> last: CTranslate2's Marian loader drops it (it only starts the decoder in HF)
    vocab += [f"<extra_{i}>" for i in range(VOCAB - 1 - len(vocab))] + ["<pad>"]
    config = MarianConfig(
        vocab_size=VOCAB, d_model=D_MODEL, encoder_layers=LAYERS, decoder_layers=LAYERS,
        encoder_attention_heads=HEADS, decoder_attention_heads=HEADS,
        encoder_ffn_dim=FFN, decoder_ffn_dim=FFN, activation_function="swish",
        max_position_embeddings=512, scale_embedding=True, pad_token_id=VOCAB - 1,
        eos_token_id=vocab.index("</s>"), decoder_start_token_id=VOCAB - 1,
        forced_eos_token_id=None)
    torch.manual_seed(7)
    hf = root / "hf"
    MarianMTModel(config).save_pretrained(hf)
    (hf / "vocab.json").write_text(json.dumps({p: i for i, p in enumerate(vocab)}))
    for name in ("source.spm", "target.spm"):
        shutil.copy(sp_model, hf / name)
    MarianTokenizer(str(hf / "source.spm"), str(hf / "target.spm"), str(hf / "vocab.json"),
                    unk_token="<unk>", eos_token="</s>", pad_token="<pad>").save_pretrained(hf)
    ct2 = root / "ct2"
    ctranslate2.converters.TransformersConverter(str(hf)).convert(str(ct2), force=True)
    for name in ("source.spm", "target.spm"):
        shutil.copy(sp_model, ct2 / name)
    (ct2 / "metadata.json").write_text(json.dumps(
        {"from_code": "en", "to_code": "id", "name": "bench-base-random"}))
    return root


def load_sentences(n: int, of: int = 0) -> list[str]:
    """The first ``n`` sentences of the corpus; with ``of``, ``n`` of the first ``of`` spread
    evenly over them — so a system that only runs on a sample gets sentences of the same
    lengths as the whole set (the corpus starts with short title lines: the first 60 average
    12 source tokens, the first 1,000 average 31)."""
    lines = (CORPUS / "tico19.all.en").read_text(encoding="utf-8").splitlines()
    sentences = [line.strip() for line in lines if line.strip()]
    if not of or of <= n:
        return sentences[:n]
    pool = sentences[:of]
    return [pool[i * len(pool) // n] for i in range(n)]


# ---------------------------------------------------------------- the systems (children)

def _mean_tokens(root: Path, sentences: list[str]) -> float:
    return sum(map(len, _source_tokens(root, sentences))) / max(1, len(sentences))


def _source_tokens(root: Path, sentences: list[str]) -> list[list[str]]:
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_file=str(root / "ct2" / "source.spm"))
    return [[*sp.encode(s, out_type=str), "</s>"] for s in sentences]


def run_warta(root: Path, sentences: list[str], beam: int, out_len: int,
              batch: int, tokens: int) -> dict[str, Any]:
    from warta.core.document import Block, Document
    from warta.core.translate.batch import translate_documents_checked
    from warta.core.translate.ct2 import CTranslate2Translator
    from warta.core.translate.document import DocumentTranslation
    from warta.core.translate.memory import DictMemory

    model = CTranslate2Translator(root / "ct2", compute_type="int8", inter_threads=2,
                                  intra_threads=1, beam_size=beam, max_batch_size=batch,
                                  max_batch_tokens=tokens, max_decoding_length=out_len,
                                  min_decoding_length=out_len)
    docs = [Document(url=f"https://example.com/{i}", title="",
                     blocks=[Block("p", s) for s in sentences[i:i + PER_ARTICLE]])
            for i in range(0, len(sentences), PER_ARTICLE)]
    hyps = model._run([model._tokenize(s) for s in sentences[:4]])  # warm-up, and a check
    assert all(len(h) == out_len for h in hyps), [len(h) for h in hyps]

    class Counting:
        """The engine, counting what reaches it."""

        name, model_id = model.name, model.model_id

        def __init__(self) -> None:
            self.calls: list[list[str]] = []  # the inputs of each translate_batch call

        def translate_batch(self, texts: list[str], source: str, target: str) -> list[str]:
            self.calls.append(list(texts))
            return model.translate_batch(texts, source, target)

    start, cpu = time.perf_counter(), time.process_time()
    engine, memory, segments = Counting(), DictMemory(), 0

    def store(i: int, out: DocumentTranslation) -> None:
        nonlocal segments
        segments += out.segments
        json.dumps(out.doc.to_dict())  # what is stored

    translate_documents_checked(docs, engine, "en", "id", memory=memory,  # type: ignore[arg-type]
                                peek=memory.peek_many, finished=store)
    seconds = time.perf_counter() - start
    # random weights rarely give a placeholder back, so pass two retries those segments
    # without protection: real decoding work, counted (a trained model retries few)
    decoded = sum(map(len, engine.calls))
    first = engine.calls[0] if engine.calls else []  # pass one's shared call
    return {"seconds": seconds, "cpu_seconds": time.process_time() - cpu,
            "sentences": decoded, "retried": decoded - len(first),
            "engine_calls": len(engine.calls), "target_tokens": decoded * out_len,
            "segments": segments, "src_tokens": _mean_tokens(root, first)}


def run_single(root: Path, sentences: list[str], beam: int, out_len: int) -> dict[str, Any]:
    import ctranslate2

    translator = ctranslate2.Translator(str(root / "ct2"), device="cpu", compute_type="int8",
                                        inter_threads=1, intra_threads=os.cpu_count() or 1)
    tokens = _source_tokens(root, sentences)
    options = {"beam_size": beam, "max_decoding_length": out_len,
               "min_decoding_length": out_len}
    translator.translate_batch(tokens[:1], **options)  # warm-up
    produced = 0
    start, cpu = time.perf_counter(), time.process_time()
    for sentence in tokens:
        produced += len(translator.translate_batch([sentence], **options)[0].hypotheses[0])
    return {"seconds": time.perf_counter() - start, "cpu_seconds": time.process_time() - cpu,
            "sentences": len(tokens), "target_tokens": produced,
            "src_tokens": sum(map(len, tokens)) / len(tokens)}


def run_engine(root: Path, sentences: list[str], beam: int, out_len: int,
               batch: int) -> dict[str, Any]:
    """CTranslate2 alone with (a)'s settings and batching (int8, 2 × 1 threads, batches of
    ``batch`` sentences in length order, submitted together) and no warta code: what (a)
    would reach if its own work cost nothing."""
    import ctranslate2

    translator = ctranslate2.Translator(str(root / "ct2"), device="cpu", compute_type="int8",
                                        inter_threads=2, intra_threads=1)
    tokens = sorted(_source_tokens(root, sentences), key=len)
    options = {"beam_size": beam, "max_decoding_length": out_len,
               "min_decoding_length": out_len}
    translator.translate_batch(tokens[:2], **options)  # warm-up
    start, cpu = time.perf_counter(), time.process_time()
    pending = [translator.translate_batch(tokens[i:i + batch], max_batch_size=batch,
                                          asynchronous=True, **options)
               for i in range(0, len(tokens), batch)]
    produced = sum(len(r.result().hypotheses[0]) for chunk in pending for r in chunk)
    return {"seconds": time.perf_counter() - start, "cpu_seconds": time.process_time() - cpu,
            "sentences": len(tokens), "target_tokens": produced,
            "src_tokens": sum(map(len, tokens)) / len(tokens)}


def run_transformers(root: Path, sentences: list[str], beam: int, out_len: int,
                     batch: int) -> dict[str, Any]:
    import torch
    from transformers import MarianMTModel

    torch.set_num_threads(os.cpu_count() or 1)
    model = MarianMTModel.from_pretrained(root / "hf").eval()
    vocab = json.loads((root / "hf" / "vocab.json").read_text())
    ids = [[vocab.get(p, vocab["<unk>"]) for p in toks[:-1]] + [vocab["</s>"]]
           for toks in _source_tokens(root, sentences)]
    pad = model.config.pad_token_id
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))  # as CTranslate2 does

    def generate(chunk: list[list[int]]) -> int:
        width = max(len(x) for x in chunk)
        input_ids = torch.tensor([x + [pad] * (width - len(x)) for x in chunk])
        mask = torch.tensor([[1] * len(x) + [0] * (width - len(x)) for x in chunk])
        with torch.inference_mode():
            out = model.generate(input_ids=input_ids, attention_mask=mask, num_beams=beam,
                                 do_sample=False, min_new_tokens=out_len,
                                 max_new_tokens=out_len, early_stopping=False)
        return int(out.shape[0] * (out.shape[1] - 1))  # minus the decoder start token

    generate([ids[order[0]]])  # warm-up
    produced = 0
    start, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(order), batch):
        produced += generate([ids[j] for j in order[i:i + batch]])
    return {"seconds": time.perf_counter() - start, "cpu_seconds": time.process_time() - cpu,
            "sentences": len(ids), "target_tokens": produced,
            "src_tokens": sum(map(len, ids)) / len(ids)}


def run_article(root: Path, out_len: int) -> dict[str, Any]:
    """A 600-word article: segment → translate (beam 2) → reassemble → store (JSON)."""
    from warta.core.document import Block, Document
    from warta.core.translate.ct2 import CTranslate2Translator
    from warta.core.translate.document import translate_document_checked
    from warta.core.translate.glossary import bundled_glossary
    from warta.core.translate.memory import DictMemory

    model = CTranslate2Translator(root / "ct2", compute_type="int8", inter_threads=2,
                                  intra_threads=1, beam_size=2, max_decoding_length=out_len,
                                  min_decoding_length=out_len)
    words, paragraphs, para = 0, [], []
    for sentence in load_sentences(400)[200:]:
        para.append(sentence)
        words += len(sentence.split())
        if len(para) == 3:
            paragraphs.append(" ".join(para))
            para = []
        if words >= 600:
            break
    paragraphs.append(" ".join(para))
    doc = Document(url="https://example.com/a", title="Vaccines reach the islands",
                   blocks=[Block("p", p) for p in paragraphs if p])
    model.translate_batch(["Warm-up."], "en", "id")
    start, cpu = time.perf_counter(), time.process_time()
    out = translate_document_checked(doc, model, "en", "id", glossary=bundled_glossary("en", "id"),
                                     memory=DictMemory(), localise=True)
    stored = json.dumps(out.doc.to_dict())
    return {"seconds": time.perf_counter() - start, "cpu_seconds": time.process_time() - cpu,
            "words": words, "segments": out.segments, "bytes": len(stored)}


def child(spec: dict[str, Any]) -> None:
    root, sentences = Path(spec["root"]), load_sentences(spec["n"], spec.get("of", 0))
    system, beam, out_len = spec["system"], spec["beam"], spec["out_len"]
    if system == "warta":
        result = run_warta(root, sentences, beam, out_len, spec["batch"], spec["tokens"])
    elif system == "engine":
        result = run_engine(root, sentences, beam, out_len, spec["batch"])
    elif system == "single":
        result = run_single(root, sentences, beam, out_len)
    elif system == "transformers":
        result = run_transformers(root, sentences, beam, out_len, spec["batch"])
    else:
        result = run_article(root, out_len)
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


# ---------------------------------------------------------------- the parent

def measure(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one system in a child process; print its raw result at once (a long run that is
    cut short keeps what it measured)."""
    proc = subprocess.run([sys.executable, __file__, "--child", json.dumps(spec)],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{spec['system']} failed:\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    shown = {k: v for k, v in spec.items() if k != "root"}
    print(f"measured {json.dumps(shown)}: {json.dumps(result)}", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer sentences, a smaller "
                        "search for (c)'s batch size")
    parser.add_argument("--beams", default="1,4")
    parser.add_argument("--out-len", type=int, default=30, help="target tokens per sentence")
    parser.add_argument("--batch", type=int, default=32, help="(a): sentences per batch")
    parser.add_argument("--batch-tokens", type=int, default=0,
                        help="(a): source-token budget per batch instead (0: by sentences)")
    parser.add_argument("--model-dir", type=Path,
                        help="build the models here (kept; reused when already there)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(json.loads(args.child))
        return
    if not CORPUS.is_dir():
        raise SystemExit(f"the corpus is missing: {CORPUS}")
    # --quick: (a) on 100 of the full run's 1,000 sentences, spread over them (the first 100
    # are short title lines that never lose a placeholder: no retry to measure); (c) is the
    # better of its two tries, not measured again
    pool = 1000
    n_a, n_b, n_c, search, sizes = ((100, 12, 0, 24, (8, 24)) if args.quick
                                    else (1000, 60, 192, 48, (8, 16, 32)))
    import ctranslate2
    import torch
    import transformers

    with tempfile.TemporaryDirectory() as tmp:
        root = args.model_dir or Path(tmp)
        if not (root / "ct2" / "metadata.json").is_file():
            root.mkdir(parents=True, exist_ok=True)
            build_models(root)
        rows = []
        for beam in [int(b) for b in args.beams.split(",")]:
            common = {"root": str(root), "beam": beam, "out_len": args.out_len}
            a = measure({**common, "system": "warta", "n": n_a, "of": pool, "batch": args.batch,
                         "tokens": args.batch_tokens})
            engine = measure({**common, "system": "engine", "n": n_a, "of": pool,
                              "batch": args.batch})
            b = measure({**common, "system": "single", "n": n_b, "of": pool})
            tried = {size: measure({**common, "system": "transformers", "n": search,
                                    "of": pool, "batch": size}) for size in sizes}
            best = max(tried, key=lambda s: tried[s]["target_tokens"] / tried[s]["seconds"])
            c = (tried[best] if args.quick else
                 measure({**common, "system": "transformers", "n": n_c, "of": pool,
                          "batch": best}))
            rows.append((beam, a, engine, b, c, best))
        article = measure({"root": str(root), "system": "article", "n": 0, "beam": 2,
                           "out_len": args.out_len})
    print(f"model: Marian transformer-base, {LAYERS}+{LAYERS} layers, d_model {D_MODEL}, "
          f"{HEADS} heads, FFN {FFN}, vocab {VOCAB:,}, random weights; {args.out_len} target "
          f"tokens per sentence")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPU "
          f"threads; ctranslate2 {ctranslate2.__version__}, torch {torch.__version__}, "
          f"transformers {transformers.__version__}")
    print(f"(a) batches of {args.batch_tokens or args.batch} "
          f"{'tokens' if args.batch_tokens else 'sentences'}")
    # wall-clock rates, and rates per CPU-second (the process's CPU time, all threads): on a
    # shared machine the second is what the system itself costs
    print(f"{'beam':>4} {'system':<34}{'sentences':>10}{'src tok':>8}{'sent/s':>9}{'tok/s':>9}"
          f"{'tok/CPU-s':>10}{'peak MB':>9}{'a ÷ this':>10}{'(CPU)':>8}")
    for beam, a, engine, b, c, best in rows:
        rate_a = a["target_tokens"] / a["seconds"]
        cpu_a = a["target_tokens"] / a["cpu_seconds"]
        for label, r in (("(a) warta, int8, 2×1 threads", a),
                         ("    CTranslate2 alone, (a)'s batches", engine),
                         ("(b) CTranslate2, one at a time", b),
                         (f"(c) transformers fp32, batch {best}", c)):
            rate, cpu = r["target_tokens"] / r["seconds"], r["target_tokens"] / r["cpu_seconds"]
            print(f"{beam:>4} {label:<34}{r['sentences']:>10}{r.get('src_tokens', 0):>8.1f}"
                  f"{r['sentences'] / r['seconds']:>9.1f}"
                  f"{rate:>9.0f}{cpu:>10.0f}{r['peak_mb']:>9.0f}{rate_a / rate:>9.1f}×"
                  f"{cpu_a / cpu:>7.1f}×")
    for beam, a, *_ in rows:
        print(f"(a) at beam {beam}: {a['retried']} of {a['sentences']} sentences were retries "
              f"without protection; {a.get('engine_calls', '?')} engine calls in all")
    print(f"600-word article end to end (beam 2): {article['words']} words, "
          f"{article['segments']} segments, {article['seconds']:.2f} s, "
          f"peak {article['peak_mb']:.0f} MB")


if __name__ == "__main__":
    main()
