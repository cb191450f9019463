"""Translation memory hit rate and engine calls, per run and per source: returned by the
stage, printed by ``warta translate`` — and ``warta translate``/``warta glossary`` use the
same glossary and memory as the pipeline (real CLI, tiny real model)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import WartaEnv
from tests.support.tinymodel import TinyModel
from warta.newsroom import stages
from warta.newsroom import translation as tr
from warta.newsroom.models import Article, Entry, Source

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
