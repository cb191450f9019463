"""Datelines in scripts without capital letters and in East Asian wire conventions."""

from __future__ import annotations

import pytest

from warta.core.dateline import split_dateline


@pytest.mark.parametrize(("text", "dateline", "rest"), [
    ("دمشق، سوريا (CNN) -- أكدت جهات سورية معارضة", "دمشق، سوريا (CNN)",
     "أكدت جهات سورية معارضة"),
    ("Москва (AP) — Президент заявил", "Москва (AP)", "Президент заявил"),
    ("【6月18日 AFP】ナイジェリア北東部ボルノ州で", "【6月18日 AFP】",
     "ナイジェリア北東部ボルノ州で"),
    ("【ワシントン共同】米政府は18日", "【ワシントン共同】", "米政府は18日"),
    ("新华社北京11月17日电 记者17日从国家卫生健康委获悉", "新华社北京11月17日电",
     "记者17日从国家卫生健康委获悉"),
    ("新华社北京11月17日电（记者张三）记者17日从国家", "新华社北京11月17日电（记者张三）",
     "记者17日从国家"),
])
def test_other_script_datelines_are_split(text: str, dateline: str, rest: str) -> None:
    assert split_dateline(text) == (dateline, rest)


@pytest.mark.parametrize("text", [
    "【速報】地震が発生しました",  # a "breaking" label, not a dateline
    "香港行政长官梁振英在各方压力下就其大宅的违章建筑问题到立法会接受质询",
    "قال الرئيس (CNN) إن",  # no separator after the agency: a sentence
    "বীরভূম: লোকসভা নির্বাচনে",  # an uncased place with only a colon: too ambiguous
    "新华社",
    "【6月18日 AFP】",  # nothing after it: not split off into an empty paragraph
    "Episode Teaser Image:",  # a title-case label alone, with a colon: not a place
    "Archive:",
])
def test_other_script_openings_that_are_not_datelines(text: str) -> None:
    assert split_dateline(text) == ("", text)


PARAS = [
    "Not everyone subscribes to a New Year's resolution, but several states will adopt new "
    "laws on January 1 covering health care, guns and the use of drones.",
    "Colorado and Washington will allow the sale of marijuana for recreational use, while "
    "several other states will tighten their rules on background checks for gun buyers.",
    "Illinois will become the latest state to allow people living in the country illegally "
    "to apply for a driver's license, officials said on Monday.",
]


def story(*paragraphs: str) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<html lang='en'><head><title>New laws</title></head><body><article>"
            f"<h1>New laws</h1>{body}</article></body></html>")


def test_a_dateline_after_a_short_credit_line_is_found() -> None:
    from warta.core.extract import extract_article

    doc = extract_article(story("CNN", f"WASHINGTON (CNN) — {PARAS[0]}", *PARAS[1:]),
                          "https://example.com/laws")
    assert doc.dateline == "WASHINGTON (CNN)"
    assert [b.text for b in doc.blocks] == ["CNN", *PARAS]


def test_a_dateline_looking_second_paragraph_after_prose_is_left_alone() -> None:
    from warta.core.extract import extract_article

    second = f"LONDON (Reuters) - {PARAS[1]}"
    doc = extract_article(story(PARAS[0], second, PARAS[2]), "https://example.com/laws")
    assert doc.dateline == ""
    assert [b.text for b in doc.blocks] == [PARAS[0], second, PARAS[2]]
