"""Editors' glossary: file parsing (TOML/CSV, line-numbered refusals), the database terms
merged over the bundled glossary, all-or-nothing import, export round trip, the admin."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.test_admin_review import user_with
from warta.core.translate.glossary import (
    Glossary,
    GlossaryFileError,
    Term,
    glossary_from_terms,
    parse_terms,
)
from warta.newsroom import translation as tr
from warta.newsroom.models import GlossaryTerm

TOML = '''\
# editors' terms
[[term]]
source = "Moscow"
target = "Moskwa"
note = "house style since 2026"

[[term]]
source = "Apple"
target = "="
case_sensitive = true

[[term]]
source = "Kremlin"
target = ""
source_language = "en"
target_language = "ms"
'''


def test_toml_terms_are_read_with_their_flags() -> None:
    terms = parse_terms(TOML, "toml", origin="g.toml")
    assert [(t.source, t.target, t.case_sensitive, t.target_language, t.line)
            for t in terms] == [("Moscow", "Moskwa", False, "", 2), ("Apple", "", True, "", 7),
                                ("Kremlin", "", False, "ms", 12)]
    assert terms[0].note == "house style since 2026"


@pytest.mark.parametrize(("text", "fmt", "message"), [
    ('[[term]]\nsource = "A"\ntarget = "B"\n[[term]]\nsource = "C"\ntarget = \n', "toml",
     "g line 6: not valid TOML"),
    ('[[term]]\nsource = "A"\n\n[[term]]\ntarget = "B"\n', "toml",
     "g line 4: the source term is empty"),
    ('[[term]]\nsource = "A"\ncolour = "red"\n', "toml", "g line 1: unknown field(s) colour"),
    ('[[term]]\nsource = "A"\ncase_sensitive = "maybe"\n', "toml",
     "g line 1: case_sensitive must be true or false"),
    ('[[term]]\nsource = "A"\n[[term]]\nsource = "a"\n', "toml",
     "g line 3: term 'a' is already given on line 1"),
    ('[glossary]\nMoscow = "Moskow"\n', "toml", "g: unknown table(s) glossary"),
    ("source,target\nMoscow,Moskow\nKyiv\n", "csv", "g line 3: expected source,target"),
    ("Moscow,Moskow\nA,B,note,yes,extra\n", "csv", "g line 2: 5 columns, expected at most 4"),
    ('Moscow,Moskow\n"Kyiv,=\n', "csv", "g line"),
    ("source,target,colour\nA,B,red\n", "csv", "g line 2: unknown field(s) colour"),
])
def test_a_broken_file_is_refused_naming_the_line(text: str, fmt: str, message: str) -> None:
    with pytest.raises(GlossaryFileError) as err:
        parse_terms(text, fmt, origin="g")
    assert str(err.value).startswith(message)


def test_csv_with_and_without_header() -> None:
    plain = parse_terms("# comment\nMoscow,Moskow\n\nApple,=,brand,true\n", "csv")
    assert [(t.source, t.target, t.note, t.case_sensitive, t.line) for t in plain] == [
        ("Moscow", "Moskow", "", False, 2), ("Apple", "", "brand", True, 4)]
    headed = parse_terms("target,source\nMoskow,Moscow\n", "csv")
    assert (headed[0].source, headed[0].target) == ("Moscow", "Moskow")


def test_database_terms_win_over_the_bundled_file_and_case_sensitive_terms_match_as_written(
) -> None:
    bundled = Glossary((("Moscow", "Moskow"), ("Russia", "Rusia")))
    editors = glossary_from_terms([Term("moscow", "Moskwa"), Term("Apple", "", "", True)])
    merged = bundled.merged(editors)
    text = "Moscow said Apple sells an apple in Russia."
    assert [r for _, _, r in merged.find(text)] == ["Moskwa", "Apple", "Rusia"]
    assert merged.version != bundled.version
    assert glossary_from_terms([Term("Apple", "", "", False)]).find("an apple") == [
        (3, 8, "apple")]


@pytest.mark.dbmatrix
@pytest.mark.django_db
def test_import_is_all_or_nothing_and_export_reads_back(tmp_path: Path) -> None:
    good = tmp_path / "g.toml"
    good.write_text(TOML)
    done = tr.import_glossary(good, "en", "id")
    assert (done.created, done.updated, done.unchanged) == (3, 0, 0)
    assert GlossaryTerm.objects.get(source="Kremlin").target_language == "ms"
    # a file whose third line is broken saves nothing, not even its good first term
    bad = tmp_path / "bad.csv"
    bad.write_text("Tokyo,Tokio\nMoscow,Moskva\n\"broken\n")
    with pytest.raises(GlossaryFileError, match=r"bad.csv line 3"):
        tr.import_glossary(bad, "en", "id")
    assert not GlossaryTerm.objects.filter(source="Tokyo").exists()
    assert GlossaryTerm.objects.get(source="Moscow").target == "Moskwa"
    # importing again changes only what differs
    changed = tmp_path / "changed.csv"
    changed.write_text("Tokyo,Tokio\nMoscow,Moskow\n")
    again = tr.import_glossary(changed, "en", "id")
    assert (again.created, again.updated, again.unchanged) == (1, 1, 0)
    for fmt in ("toml", "csv"):
        exported = tmp_path / f"out.{fmt}"
        exported.write_text(tr.export_glossary(tr.stored_terms(), fmt))
        before = list(GlossaryTerm.objects.values_list(
            "source", "target", "note", "case_sensitive", "source_language", "target_language"))
        back = tr.import_glossary(exported, "xx", "yy")
        assert back.unchanged == len(before) and back.created == back.updated == 0


@pytest.mark.django_db
def test_configured_glossary_merges_the_database_over_the_bundled_file(
        settings: Any) -> None:
    settings.WARTA.values["translate.glossary"] = "bundled"
    base = tr.configured_glossary("en", "id")
    assert base.target_for("Moscow") == "Moskow"
    GlossaryTerm.objects.create(source="Moscow", target="Moskwa")
    GlossaryTerm.objects.create(source="Zelensky", target="")
    merged = tr.configured_glossary("en", "id")
    assert merged.target_for("Moscow") == "Moskwa"
    assert merged.target_for("Zelensky") == "Zelensky"
    assert merged.target_for("Russia") == "Rusia"  # the rest of the bundled file stays
    assert merged.version != base.version  # so the translation memory is not reused


@pytest.mark.django_db
def test_admin_escapes_terms_and_editors_manage_them() -> None:
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    term = GlossaryTerm.objects.create(source=payload, target=payload, note=payload)
    client = Client()
    client.force_login(user_with("editor"))
    listing = client.get(reverse("admin:newsroom_glossaryterm_changelist"))
    assert listing.status_code == 200
    html = listing.content.decode()
    assert "&lt;script&gt;alert(" in html
    assert payload not in html and "<img src=x" not in html
    change = client.get(reverse("admin:newsroom_glossaryterm_change", args=[term.pk]))
    assert change.status_code == 200 and payload not in change.content.decode()
    added = client.post(reverse("admin:newsroom_glossaryterm_add"), {
        "source_language": "en", "target_language": "id", "source": "Jokowi", "target": "",
        "note": "a name", "case_sensitive": "on"})
    assert added.status_code == 302
    assert GlossaryTerm.objects.get(source="Jokowi").case_sensitive
    reviewer = Client()
    reviewer.force_login(user_with("reviewer", "r@example.com"))
    assert reviewer.get(reverse("admin:newsroom_glossaryterm_add")).status_code == 403
