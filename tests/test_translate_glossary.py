from __future__ import annotations

from pathlib import Path

import pytest

from warta.core.errors import ConfigError
from warta.core.translate.glossary import (
    Glossary,
    bundled_glossary,
    glossary_for,
    load_glossary,
    parse_glossary,
)


def _found(g: Glossary, text: str) -> list[tuple[str, str]]:
    return [(text[s:e], r) for s, e, r in g.find(text)]


def test_tsv_with_comments_keep_marker_and_later_lines_winning() -> None:
    g = parse_glossary("# names\n\nMoscow\tMoskow\nReuters\t=\nmoscow\tMoskwa\n")
    assert len(g) == 2
    assert _found(g, "Reuters in Moscow") == [("Reuters", "Reuters"), ("Moscow", "Moskwa")]


def test_whole_words_case_insensitive_longest_first() -> None:
    g = parse_glossary("Delhi\tDelhi-X\nNew Delhi\t=\nPrime Minister\tPerdana Menteri\n")
    text = "NEW DELHI: the prime  minister of New Delhi, not Delhiites, met Prime Minister X."
    assert _found(g, text) == [
        ("NEW DELHI", "NEW DELHI"), ("prime  minister", "perdana menteri"),
        ("New Delhi", "New Delhi"), ("Prime Minister", "Perdana Menteri")]


def test_terms_in_capitals_match_only_in_capitals() -> None:
    g = parse_glossary("US\tAS\nWHO\t=\n")
    assert _found(g, "Tell us who the US and WHO are") == [("US", "AS"), ("WHO", "WHO")]


def test_csv_files_and_quoted_commas(tmp_path: Path) -> None:
    path = tmp_path / "g.csv"
    path.write_text('source,target\n"Bank of Korea, Seoul",Bank Korea\nMoscow,Moskow\n')
    g = load_glossary(path)
    assert _found(g, "the Bank of Korea, Seoul said") == [
        ("Bank of Korea, Seoul", "Bank Korea")]


@pytest.mark.parametrize("text", ["Moscow\n", "Moscow\tMoskow\tx\n", "Moscow\t\n"])
def test_malformed_lines_name_the_key_and_line(text: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_glossary("# ok\n" + text, origin="my.tsv")
    assert err.value.key == "translate.glossary"
    assert "my.tsv line 2" in str(err.value)


def test_version_changes_with_the_entries() -> None:
    a, b = parse_glossary("Moscow\tMoskow\n"), parse_glossary("Moscow\tMoskwa\n")
    assert a.version and a.version != b.version
    assert a.version == parse_glossary("# c\nMoscow\tMoskow\n").version
    assert Glossary().version == ""


def test_bundled_starter_glossary_for_english_indonesian() -> None:
    g = bundled_glossary("en", "id")
    assert 40 <= len(g) <= 80
    assert dict((src, r) for src, r in _found(
        g, "Moscow, Russia: the United Nations and the Prime Minister in New Delhi")) == {
        "Moscow": "Moskow", "Russia": "Rusia", "United Nations": "Perserikatan Bangsa-Bangsa",
        "Prime Minister": "Perdana Menteri", "New Delhi": "New Delhi"}
    assert len(bundled_glossary("xx", "yy")) == 0


def test_setting_values(tmp_path: Path) -> None:
    assert len(glossary_for("", "en", "id")) == 0
    assert len(glossary_for("none", "en", "id")) == 0
    assert len(glossary_for("bundled", "en", "id")) == len(bundled_glossary("en", "id"))
    (tmp_path / "en-id.tsv").write_text("Jakarta\t=\n")
    assert len(glossary_for(str(tmp_path), "en", "id")) == 1
    assert len(glossary_for(str(tmp_path), "en", "ja")) == 0
    assert len(glossary_for(str(tmp_path / "{pair}.tsv"), "en", "id")) == 1
    with pytest.raises(ConfigError, match="does not exist"):
        glossary_for(str(tmp_path / "missing.tsv"), "en", "id")
