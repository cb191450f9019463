"""Translation memory hit rate and engine calls, per run and per source: returned by the
stage, printed by ``warta translate`` — and ``warta translate``/``warta glossary`` use the
same glossary and memory as the pipeline (real CLI, tiny real model)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import WartaEnv
from tests.support.tinymodel import TinyModel
from warta.newsroom import stages
from warta.newsroom import translation as tr
from warta.newsroom.models import Article, Entry, Source, Translation, TranslationMemory

BOILERPLATE = "Follow us for more news from the region."
DAYS = ("Monday", "Tuesday", "Wednesday")
PLANS = ("water", "road", "school")


def extracted_entries(source: Source, n: int) -> None:
    """``n`` extracted articles of ``source``, each with the feed's boilerplate line."""
    for i in range(n):
        url = f"https://example.com/{source.pk}/{i}"
        entry = Entry.objects.create(source=source, guid=url, url=url, status="extracted",
                                     title=f"Story {i}")
        day, plan = DAYS[i], PLANS[i]  # words, not digits: numbers become placeholders
        text = f"The council of {source.name} met on {day}. It voted on the {plan} plan."
        Article.objects.create(entry=entry, url=url, title=f"{day} meeting of {source.name}",
                               blocks=[{"type": "p", "text": text},
                                       {"type": "p", "text": BOILERPLATE}],
                               text_hash=f"{source.pk}-{i}")


@pytest.mark.dbmatrix
@pytest.mark.django_db
def test_stage_counts_memory_hits_and_engine_calls_per_source(
        warta_cfg: dict[str, Any]) -> None:
    names = ["Feed A", "Feed B"]
    for name in names:
        extracted_entries(Source.objects.create(name=name, url=f"https://{name[-1]}.test/"), 3)
    tr.STATS.reset()
    outcome = stages.translate_entries(stages.claim_entries(100, statuses=["extracted"]))
    assert set(outcome.values()) == {"translated"}
    total, per_source = tr.STATS.snapshot()
    assert sorted(per_source) == names
    assert total.documents == 6
    for counts in per_source.values():
        assert counts.documents == 3 and counts.segments == 3 * 4
        assert counts.engine_calls == 3  # each document rode the one shared engine call
    # the boilerplate went to the engine once (5 later documents found it in the memory the
    # first one filled), and so did each "It voted on the ... plan." both feeds carry (3)
    assert total.memory_hits == 5 + 3 and total.engine_inputs == 24 - 8
    assert per_source["Feed A"].memory_hits == 2  # its own boilerplate, twice
    assert per_source["Feed B"].memory_hits == 6
    # the same article again: everything from memory, no engine call
    entry = Entry.objects.filter(source__name="Feed A").select_related("article").first()
    tr.STATS.reset()
    tr.translate_article(stages.article_document(entry.article), "en", "id",
                         source_label="Feed A")
    _, again = tr.STATS.snapshot()
    assert again["Feed A"].hit_rate == 1.0 and again["Feed A"].engine_calls == 0


def _faulty_engine(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The configured (tiny, real) engine, losing the placeholders of every input that says
    "storm" (as an engine with random weights does); returns the list of its calls."""
    calls: list[list[str]] = []
    real = tr.configured_translator

    def faulty(source: str, target: str, **kw: Any) -> Any:
        translator = real(source, target, **kw)
        inner = translator.translate_batch

        def translate_batch(texts: list[str], src: str, tgt: str) -> list[str]:
            calls.append(list(texts))
            return [re.sub(r"\{[1-9]\d*\}", "", out) if "storm" in text else out
                    for text, out in zip(texts, inner(texts, src, tgt), strict=True)]

        translator.translate_batch = translate_batch
        return translator

    monkeypatch.setattr(tr, "configured_translator", faulty)
    return calls


def _memory_rows() -> list[tuple[Any, ...]]:
    return list(TranslationMemory.objects.order_by("key").values_list(
        "key", "source_text", "target_text", "engine", "model_id", "hits"))


@pytest.mark.dbmatrix
@pytest.mark.django_db
def test_stage_sends_the_retries_of_all_entries_in_one_engine_call(
        warta_cfg: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ["Feed A", "Feed B"]:
        source = Source.objects.create(name=name, url=f"https://{name[-1]}.test/")
        for i, day in enumerate(DAYS):
            url = f"https://example.com/{source.pk}/{i}"
            entry = Entry.objects.create(source=source, guid=url, url=url, status="extracted",
                                         title=f"Story {i}")
            storm = (f"The storm hit #Bogor{i} on {day}." if i else "The storm hit #Bogor.")
            Article.objects.create(entry=entry, url=url, title=f"{day} storm in {name}",
                                   blocks=[{"type": "p", "text": f"The council of {name} met."},
                                           {"type": "p", "text": storm},
                                           {"type": "p", "text": BOILERPLATE}],
                                   text_hash=f"{source.pk}-{i}")
    calls = _faulty_engine(monkeypatch)
    # one at a time first: what every article, memory row, hit and count must be
    tr.STATS.reset()
    alone = {entry.pk: stages._translation_fields(tr.translate_article(
                 stages.article_document(entry.article), "en", "id",
                 source_label=entry.source.name))
             for entry in Entry.objects.select_related("article", "source").order_by("pk")}
    _, alone_stats = tr.STATS.snapshot()
    rows = _memory_rows()
    assert len(calls) == 2 * 6 and sum(r[-1] for r in rows) > 0  # retried; hits made
    TranslationMemory.objects.all().delete()
    calls.clear()
    tr.STATS.reset()
    outcome = stages.translate_entries(stages.claim_entries(100, statuses=["extracted"]))
    assert set(outcome.values()) == {"translated"}
    # one call for the segments of the six articles, one for all their retries (the same
    # three storm sentences in both feeds); one at a time it took twelve calls
    assert len(calls) == 2 and len(calls[1]) == 3
    for row in Translation.objects.select_related("article__entry"):
        stored = {field: getattr(row, field) for field in alone[row.article.entry.pk]}
        assert stored == alone[row.article.entry.pk]
    assert _memory_rows() == rows
    _, per_source = tr.STATS.snapshot()
    for name, counts in per_source.items():
        assert vars(counts) == {**vars(alone_stats[name]), "engine_calls": 3 * 2}
        assert alone_stats[name].engine_calls == 3 * 2  # there: a call and a retry each


GLOSSARY = '''\
[[term]]
source = "Moscow"
target = "Moskwa"

[[term]]
source = "Kremlin"
target = "="
'''


@pytest.mark.slow
def test_cli_glossary_and_translate_use_the_database(warta: WartaEnv, tiny: TinyModel,
                                                     tmp_path: Path) -> None:
    warta.run("models", "install", "en-id", "--from", str(tiny.argosmodel))
    (tmp_path / "g.toml").write_text(GLOSSARY)
    assert warta.run("glossary", "import", str(tmp_path / "g.toml")).stdout.strip() == (
        f"imported {tmp_path / 'g.toml'}: 2 new, 0 updated, 0 unchanged")
    (tmp_path / "bad.csv").write_text("Paris,Parisa\nRome\n")
    bad = warta.run("glossary", "import", str(tmp_path / "bad.csv"), check=False)
    assert bad.returncode == 1
    assert bad.stderr.startswith(f"warta: error: {tmp_path / 'bad.csv'} line 2: expected")
    listed = warta.json("glossary", "list")
    assert [(t["source"], t["target"]) for t in listed] == [("Kremlin", ""),
                                                            ("Moscow", "Moskwa")]
    exported = warta.run("glossary", "export").stdout
    assert 'source = "Moscow"\ntarget = "Moskwa"' in exported
    effective = warta.run("glossary", "list", "--effective").stdout
    assert "Moscow\tMoskwa" in effective and "Russia\tRusia" in effective  # bundled too
    src = tmp_path / "in.txt"
    src.write_text("Moscow said the talks went well.\n\nThe Kremlin agreed.")
    first = warta.run("translate", "--json", str(src))
    out = json.loads(first.stdout)
    assert out["text"].startswith("Moskwa ") and "Kremlin" in out["text"]
    assert out["stats"]["memory_hits"] == 0 and out["stats"]["engine_calls"] == 1
    assert "0 from memory (0%)" in first.stderr
    again = json.loads(warta.run("translate", "--json", str(src)).stdout)
    assert again["text"] == out["text"]
    assert again["stats"] == {"segments": 2, "memory_hits": 2, "hit_rate": 1.0,
                              "engine_inputs": 0, "engine_calls": 0}
