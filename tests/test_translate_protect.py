from __future__ import annotations

import pytest

from warta.core.document import Link
from warta.core.translate.glossary import parse_glossary
from warta.core.translate.protect import localise_number, missing_numbers, protect, restore

# (source text, what is protected (slot sources), rendering for an Indonesian page)
ATOMS = [
    ("See https://example.com/a?b=1.", ["https://example.com/a?b=1"], None),
    ("Mail tips@example.co.id today", ["tips@example.co.id"], None),
    ("Follow @warta_id and #Pemilu2024 now", ["@warta_id", "#Pemilu2024"], None),
    ("They raised $4.5 billion", ["$4.5 billion"], "$4,5 miliar"),
    ("It cost Rs 1,200 crore", ["Rs 1,200 crore"], "Rs 1.200 crore"),
    ("Prices rose 12 per cent", ["12 per cent"], "12 persen"),
    ("Prices rose 12% in March", ["12%"], "12%"),
    ("The town is 35 km away", ["35 km"], "35 km"),
    ("A grant of 2.4 million euros", ["2.4 million euros"], "2,4 juta euro"),
    ("Pledge $4.5 Billion To Plug", ["$4.5 Billion"], "$4,5 Miliar"),
    ("Talks end on November 25, 2026.", ["November 25, 2026"], "25 November 2026"),
    ("Talks end on 25/11/2026.", ["25/11/2026"], "25/11/2026"),
    ("Due Nov. 3 at noon", ["Nov. 3"], "3 November"),
    ("An election in March 2026", ["March 2026"], "Maret 2026"),
    ("Reading {7} and <a2> literally", ["{7}", "<a2>"], None),
]


@pytest.mark.parametrize(("text", "protected", "rendered"), ATOMS)
def test_atoms_are_protected_and_come_back(text: str, protected: list[str],
                                           rendered: str | None) -> None:
    local = protect(text, target="id")
    assert [s.source for s in local.slots] == protected
    assert not any(s in local.text for s in protected)
    if rendered is not None:
        assert local.slots[0].render == rendered
    plain = protect(text)  # no target style: everything comes back exactly as written
    assert restore(plain.text, plain) == restore(plain.text, plain.slots)
    assert restore(plain.text, plain).text == text
    assert restore(local.text, local).intact


@pytest.mark.parametrize("text", [
    "12 people died in 2026",  # plain integers stay for the engine (and are checked)
    "The G20 met in the 1990s",
    "prices may 2026 rise",  # "may" is a verb, not a month
    "Let us talk",
])
def test_plain_text_and_integers_are_left_alone(text: str) -> None:
    assert protect(text).text == text


def test_links_become_paired_markers_and_get_new_offsets() -> None:
    text = "Read the report on https://x.org in Moscow."
    links = (Link("the report", "https://e.com/r", 5), Link("Moscow", "https://e.com/m", 35))
    p = protect(text, links)
    assert p.text == "Read <a1> the report </a1> on {1} in <a2> Moscow </a2>."
    engine = "Baca <a1>laporan itu</a1> di {1} di <a2>Moskow</a2>."
    r = restore(engine, p)
    assert r.intact and r.text == "Baca laporan itu di https://x.org di Moskow."
    assert r.links == (Link("laporan itu", "https://e.com/r", 5),
                       Link("Moskow", "https://e.com/m", 37))
    for link in r.links:
        assert r.text[link.start: link.start + len(link.text)] == link.text


def test_link_markers_may_be_reordered_by_the_engine() -> None:
    p = protect("A said B.", (Link("A", "h:a", 0), Link("B", "h:b", 7)))
    r = restore("<a2>B</a2> kata <a1>A</a1>.", p)
    assert r.intact and r.text == "B kata A."
    assert [(k.href, k.start) for k in r.links] == [("h:b", 0), ("h:a", 7)]


def test_an_atom_inside_a_link_stays_inside_it() -> None:
    p = protect("See www.warta.id now", (Link("www.warta.id", "https://warta.id", 4),))
    assert p.text == "See <a1> {1} </a1> now"
    r = restore("Lihat <a1>{1}</a1> sekarang", p)
    assert r.links == (Link("www.warta.id", "https://warta.id", 6),)


@pytest.mark.parametrize("damaged", [
    "Mereka { 1 } dan <A1>laporan</A1>.",
    "Mereka {1 } dan < a1 >laporan< / a1 >.",
    "Mereka ｛1｝ dan &lt;a1&gt;laporan&lt;/a1&gt;.",
    "Mereka {1} dan <a1> laporan </a1>.",
])
def test_restore_tolerates_spaces_case_and_escaping(damaged: str) -> None:
    p = protect("They $4.5 billion and the report.", (Link("the report", "h:r", 22),),
                target="id")
    assert p.text == "They {1} and <a1> the report </a1>."
    r = restore(damaged, p)
    assert r.intact, r.problems
    assert "$4,5 miliar" in r.text
    assert r.links[0].text == "laporan"
    assert r.text[r.links[0].start:].startswith("laporan")


@pytest.mark.parametrize(("output", "problem"), [
    ("Mereka dan <a1>laporan</a1>.", "lost quantity '$4.5 billion'"),
    ("Mereka {1} {1} dan <a1>laporan</a1>.", "duplicated placeholder {1}"),
    ("Mereka {1} {7} dan <a1>laporan</a1>.", "unknown placeholder {7}"),
    ("Mereka {1} dan laporan.", "lost link 'the report' (h:r)"),
    ("Mereka {1} dan laporan</a1>.", "closed but not opened"),
    ("Mereka {1} dan <a1> </a1>laporan.", "empty link"),
])
def test_broken_placeholders_are_reported_not_intact(output: str, problem: str) -> None:
    p = protect("They $4.5 billion and the report.", (Link("the report", "h:r", 22),),
                target="id")
    r = restore(output, p)
    assert not r.intact
    assert any(problem in msg for msg in r.problems), r.problems


def test_glossary_terms_are_protected_longest_first_and_keep_means_as_is() -> None:
    glossary = parse_glossary("Delhi\tDelhi-X\nNew Delhi\t=\nPrime Minister\tPerdana Menteri\n")
    p = protect("The prime minister of New Delhi met Prime Minister Ali.", glossary=glossary)
    assert p.text == "The {1} of {2} met {3} Ali."
    r = restore("{1} dari {2} bertemu {3} Ali.", p)
    assert r.text == "perdana menteri dari New Delhi bertemu Perdana Menteri Ali."


def test_links_that_overlap_or_do_not_match_are_left_out() -> None:
    p = protect("Jakarta and Bali", (Link("Jakarta", "h:j", 0), Link("karta", "h:k", 2),
                                     Link("Nowhere", "h:n", 0)))
    assert [s.href for s in p.links] == ["h:j"]


@pytest.mark.parametrize(("num", "expected"), [
    ("4.5", "4,5"), ("1,200", "1.200"), ("12,345.67", "12.345,67"), ("2026", "2026"),
])
def test_numbers_are_localised_for_indonesian(num: str, expected: str) -> None:
    assert localise_number(num, "en", "id") == expected
    assert localise_number(num, "en", "ja") == num  # unknown style: as written


@pytest.mark.parametrize(("source", "translated", "missing"), [
    ("It grew 4.5 per cent", "Tumbuh 4,5 persen", []),  # decimal comma is correct Indonesian
    ("It grew 4.5 per cent", "Tumbuh 4.5 persen", []),
    ("1,200 people", "1.200 orang", []),
    ("1,200 people", "1200 orang", []),
    ("At 10:30 on day 3", "Pukul 10.30 pada hari ke-3", []),
    ("It grew 4.5 per cent", "Tumbuh 45 persen", ["4.5"]),
    ("12 people and 12 dogs", "12 orang dan anjing", ["12"]),
    ("In 2026, 14 nations", "Pada 2025, 14 negara", ["2026"]),
    ("Two nations", "Dua negara 5", []),
])
def test_missing_numbers(source: str, translated: str, missing: list[str]) -> None:
    assert missing_numbers(source, translated) == missing


@pytest.mark.parametrize(("output", "text", "link_text"), [
    ("Baca <a1> laporan itu </a1> di sini.", "Baca laporan itu di sini.", "laporan itu"),
    ("Baca<a1> laporan itu </a1>di sini.", "Baca laporan itu di sini.", "laporan itu"),
    ("Baca (<a1> laporan itu </a1>).", "Baca (laporan itu).", "laporan itu"),
    ("Baca <a1>laporan itu</a1>, kini.", "Baca laporan itu, kini.", "laporan itu"),
])
def test_spaces_inside_link_markers_are_not_kept(output: str, text: str, link_text: str) -> None:
    p = protect("Read the report here.", (Link("the report", "h:r", 5),))
    r = restore(output, p)
    assert r.intact and r.text == text
    (link,) = r.links
    assert link.text == link_text and r.text[link.start:].startswith(link_text)
