"""Per-source CSS overrides: ExtractRules, applied by extract_article, stored on Source."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from warta.core.document import Document
from warta.core.errors import ConfigError
from warta.core.extract import extract_article
from warta.core.extract_rules import ExtractRules

PAGE = Path(__file__).parent / "data" / "pages" / "rules_site.html"
URL = "https://harbour.example/news/ferry-resumes"
RULES = ExtractRules(body_selector="div.story-text", remove_selectors=(".promo",),
                     caption_selector=".pic-note", title_selector="h1.hl")


def extract(rules: ExtractRules | None = None) -> Document:
    return extract_article(PAGE.read_bytes(), URL, rules=rules)


def test_generic_extraction_fails_on_this_layout() -> None:
    """The reason the site needs rules: wrong title, a side column and a promo kept."""
    doc = extract()
    assert doc.title != "Ferry service to the islands resumes after storm"
    assert "Tide tables" in doc.text and "Harbour Daily app" in doc.text


def test_rules_pick_body_title_and_caption() -> None:
    doc = extract(RULES)
    assert doc.title == "Ferry service to the islands resumes after storm"
    assert doc.dateline == "ROTTERDAM"
    assert doc.blocks[0].text.startswith("The ferry service to the northern islands")
    assert doc.blocks[-1].text.startswith("Repairs to the damaged jetty")
    for junk in ("Tide tables", "Letters to the editor", "Harbour Daily app"):
        assert junk not in doc.text
    (img,) = [b for b in doc.blocks if b.type == "img"]
    assert img.src == "https://harbour.example/img/ferry.jpg"
    assert img.text == "The first ferry leaves the harbour on Saturday."
    assert img.credit == "Harbour Daily"


def test_metadata_still_read_from_whole_page_with_body_selector() -> None:
    doc = extract(ExtractRules(body_selector="div.story-text"))
    assert doc.byline == "Mira Jansen"
    assert doc.published is not None
    assert doc.published.isoformat() == "2024-03-02T08:15:00+01:00"
    assert "Tide tables" not in doc.text


def test_remove_selectors_alone_apply_to_generic_extraction() -> None:
    doc = extract(ExtractRules(remove_selectors=(".promo", "div.col-b")))
    assert "Harbour Daily app" not in doc.text and "Tide tables" not in doc.text
    assert "The harbour master said the storm" in doc.text


def test_body_selector_matching_nothing_falls_back_to_generic() -> None:
    assert extract(ExtractRules(body_selector="div.gone-after-redesign")).text == extract().text


def test_empty_rules_change_nothing() -> None:
    assert extract(ExtractRules()).to_dict() == extract().to_dict()


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"body_selector": "div..story"}, "extract_rules.body_selector"),
        ({"remove_selectors": ["aside", "p:nth-child(x)"]}, "extract_rules.remove_selectors"),
        ({"title_selector": "h1[unclosed"}, "extract_rules.title_selector"),
        ({"caption_selector": 42}, "extract_rules.caption_selector"),
        ({"body": "div.story"}, "extract_rules.body"),
    ],
)
def test_invalid_rules_raise_config_error_naming_them(data: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError) as err:
        ExtractRules.from_dict(data)
    assert err.value.key == key
    if isinstance(next(iter(data.values())), str) and key != "extract_rules.body":
        assert repr(next(iter(data.values()))) in str(err.value)


def test_rules_round_trip_through_json() -> None:
    data = {"body_selector": "article .text", "remove_selectors": [".ad", "aside"]}
    rules = ExtractRules.from_dict(json.loads(json.dumps(data)))
    assert rules.remove_selectors == (".ad", "aside")
    assert rules.to_dict() == data
    assert not ExtractRules.from_dict({}) and ExtractRules.from_dict(None) == ExtractRules()


def test_a_single_remove_selector_string_is_accepted() -> None:
    assert ExtractRules.from_dict({"remove_selectors": ".ad"}).remove_selectors == (".ad",)


def _warta(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "warta.cli", *args], capture_output=True,
                          text=True, env=env, timeout=120, check=False)


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("WARTA_")}
    env["WARTA_DATA_DIR"] = str(tmp_path)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def test_cli_extract_tries_rules_without_saving(cli_env: dict[str, str]) -> None:
    rules = json.dumps(RULES.to_dict())
    done = _warta("extract", "--rules", rules, str(PAGE), env=cli_env)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["title"] == "Ferry service to the islands resumes after storm"
    assert "Tide tables" not in doc["text"]


def test_cli_extract_reports_a_bad_selector(cli_env: dict[str, str]) -> None:
    done = _warta("extract", "--rules", '{"body_selector": "div..x"}', str(PAGE), env=cli_env)
    assert done.returncode == 1
    assert "warta: error: config extract_rules.body_selector: invalid CSS selector 'div..x'" \
        in done.stderr


@pytest.mark.django_db
def test_source_rules_are_validated_and_used_by_cli(cli_env: dict[str, str]) -> None:
    from django.core.exceptions import ValidationError

    from warta.newsroom.models import Source

    source = Source(name="Harbour", url="https://harbour.example/feed.xml",
                    extract_rules={"body_selector": "div..x"})
    with pytest.raises(ValidationError, match="invalid CSS selector"):
        source.full_clean()
    source.extract_rules = RULES.to_dict()
    source.full_clean()


def test_cli_extract_uses_stored_source_rules(cli_env: dict[str, str]) -> None:
    done = _warta("source", "add", "https://harbour.example/feed.xml", "--name", "Harbour",
                  env=cli_env)
    assert done.returncode == 0, done.stderr
    script = (
        "from warta.cli import _setup_django; _setup_django();"
        "from warta.newsroom.models import Source;"
        f"Source.objects.filter(pk=1).update(extract_rules={RULES.to_dict()!r})"
    )
    subprocess.run([sys.executable, "-c", script], env=cli_env, check=True, timeout=120)
    done = _warta("extract", "--source", "1", str(PAGE), env=cli_env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["title"] == "Ferry service to the islands resumes after storm"
    missing = _warta("extract", "--source", "99", str(PAGE), env=cli_env)
    assert missing.returncode == 1 and "no source with id 99" in missing.stderr
