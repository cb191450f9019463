"""The command-line contract (DESIGN.md): JSON keys, error lines, exit codes — run as a
real subprocess, the way scripts call it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli import WartaEnv, free_port
from tests.support.tinymodel import TinyModel

PAGES = Path(__file__).resolve().parent / "data" / "pages"
ARTICLE_KEYS = {"url", "canonical_url", "title", "byline", "published", "language", "dateline",
                "image", "blocks", "text"}




def test_extract_jsonl_prints_one_article_per_input(warta: WartaEnv) -> None:
    out = warta.run("extract", str(PAGES / "ndtv_syndicated.html"),
                    str(PAGES / "latin1_undeclared.html"), "--jsonl").stdout
    lines = out.splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert set(first) >= ARTICLE_KEYS
    assert first["dateline"] and first["blocks"]
    assert first["text"] == "\n\n".join(b["text"] for b in first["blocks"] if b["text"])


def test_extract_reports_a_non_article_and_goes_on(warta: WartaEnv) -> None:
    proc = warta.run("extract", str(PAGES / "section_front.html"),
                     str(PAGES / "ndtv_syndicated.html"), "--jsonl", check=False)
    assert proc.returncode == 1
    assert "warta: error:" in proc.stderr and "Traceback" not in proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert "error" in rows[0] and rows[1]["title"]


def test_extract_missing_file_is_a_clear_error(warta: WartaEnv) -> None:
    proc = warta.run("extract", "/nonexistent/page.html", check=False)
    assert proc.returncode == 1
    assert "no such file: /nonexistent/page.html" in proc.stderr


def test_usage_and_config_errors_print_one_line_without_traceback(warta: WartaEnv) -> None:
    usage = warta.run("fetch", "--bogus", check=False)
    assert usage.returncode == 2 and "warta: error:" in usage.stderr
    bad = warta.run("source", "list", check=False, WARTA_SITE_PAGE_SIZE="lots")
    assert bad.returncode == 1
    assert bad.stderr.strip() == "warta: error: config site.page_size: expected int, got 'lots'"


def test_translate_text_and_article_json(warta: WartaEnv, tiny: TinyModel, tmp_path: Path) -> None:
    warta.run("models", "install", "en-id", "--from", str(tiny.argosmodel))
    listed = warta.run("models", "list").stdout
    assert listed.startswith("en-id")
    text = "The police said the talks went well. The minister agreed.\n\nIn the city, calm."
    src = tmp_path / "in.txt"
    src.write_text(text)
    out = warta.run("translate", str(src)).stdout.strip()
    expected = [" ".join(tiny.reference_translate(s).strip() for s in para) for para in (
        ["The police said the talks went well.", "The minister agreed."], ["In the city, calm."])]
    assert out == "\n\n".join(expected)
    article = warta.run("extract", str(PAGES / "ndtv_syndicated.html")).stdout
    (tmp_path / "a.json").write_text(article)
    # the raw engine output: no glossary (tests/test_glossary_cli.py covers the glossary)
    doc = json.loads(warta.run("translate", str(tmp_path / "a.json"),
                               WARTA_TRANSLATE_GLOSSARY="none").stdout)
    source = json.loads(article)
    assert doc["title"] == tiny.reference_translate(source["title"]).strip()
    assert [b["type"] for b in doc["blocks"]] == [b["type"] for b in source["blocks"]]


def test_translate_without_model_says_how_to_install(warta: WartaEnv) -> None:
    proc = warta.run("translate", "-", check=False)
    assert proc.returncode == 1
    assert "no translation model installed for en-id" in proc.stderr
    assert "warta models install en-id" in proc.stderr


def test_models_install_rejects_a_package_for_another_pair(warta: WartaEnv,
                                                           tiny: TinyModel) -> None:
    proc = warta.run("models", "install", "en-de", "--from", str(tiny.argosmodel), check=False)
    assert proc.returncode == 1 and "is a en-id model, not en-de" in proc.stderr
    assert "no translation models installed" in warta.run("models", "list").stdout


def test_source_list_and_entries_json_keys(warta: WartaEnv) -> None:
    warta.run("source", "add", "http://127.0.0.1:9/feed.xml", "--name", "Down")
    (row,) = warta.json("source", "list")
    assert set(row) >= {"id", "name", "url", "format", "enabled", "last_fetched",
                        "last_http_status", "next_poll", "error_count", "last_error", "entries"}
    assert warta.json("entries") == []


def test_demo_offline_publishes_marked_awaiting_translation(warta: WartaEnv) -> None:
    dead_index = f"http://127.0.0.1:{free_port()}/index.json"
    proc = warta.run("demo", "--no-serve", "--samples-port", "0",
                     WARTA_TRANSLATE_INDEX_URL=dead_index)
    lines = [line for line in proc.stdout.splitlines() if "could be installed" in line]
    assert len(lines) == 1 and "warta models install en-id" in lines[0]
    assert "Traceback" not in proc.stderr
    assert "13 stories published (awaiting translation)" in proc.stdout
