from __future__ import annotations

import pytest

from warta.core.dateline import split_dateline

POSITIVE = [
    ("MOSCOW, Russia: The Kremlin said.", "MOSCOW, Russia", "The Kremlin said."),
    ("Moscow (AFP) - Russia said on Monday.", "Moscow (AFP)", "Russia said on Monday."),
    ("WASHINGTON — The Senate voted.", "WASHINGTON", "The Senate voted."),
    ("NEW DELHI: India on Friday said.", "NEW DELHI", "India on Friday said."),
    ("JAKARTA, KOMPAS.com - Presiden Joko Widodo.", "JAKARTA, KOMPAS.com", "Presiden Joko Widodo."),
    ("Moskow, Rusia: Kremlin mengatakan.", "Moskow, Rusia", "Kremlin mengatakan."),
    ("LONDON (Reuters) - British inflation fell.", "LONDON (Reuters)", "British inflation fell."),
    ("Kyiv, Ukraine (AP) — Drones attacked.", "Kyiv, Ukraine (AP)", "Drones attacked."),
    ("New Delhi, Nov 25 (PTI) Officials said.", "New Delhi, Nov 25 (PTI)", "Officials said."),
    ("MOSCOW, Nov 25 (Reuters) - Russia said.", "MOSCOW, Nov 25 (Reuters)", "Russia said."),
    ("KUALA LUMPUR -- Malaysia's king.", "KUALA LUMPUR", "Malaysia's king."),
    ("Washington/ New Delhi:", "Washington/ New Delhi", ""),
    ("SAN FRANCISCO: \"We are done,\" he said.", "SAN FRANCISCO", "\"We are done,\" he said."),
    ("St. Petersburg, Russia: Officials said.", "St. Petersburg, Russia", "Officials said."),
    ("BEIJING: 2023 was a hard year.", "BEIJING", "2023 was a hard year."),
    ("Jakarta-", "Jakarta", ""),
    ("Port-au-Prince, Haiti (AP) — Gangs hit.", "Port-au-Prince, Haiti (AP)", "Gangs hit."),
]

NEGATIVE = [
    "However: the talks stalled.",
    "He said - then he left.",
    "In 2023, prices rose: by 5 per cent.",
    "The Kremlin said on Saturday that talks had stalled.",
    "Moscow said - and Kyiv agreed - that talks had stalled.",
    "Moscow: the city is cold.",
    "Meanwhile, Russia: a country at war.",
    "UPDATE: This story has been corrected.",
    "“We are open to dialogue,” Peskov said.",
    "US-China talks resumed on Monday.",
    "Peskov: We remain open.",
    "Also Read: Zelensky Visits Front Line",
    "",
    "2023: a year of war.",
]


@pytest.mark.parametrize(("text", "dateline", "rest"), POSITIVE)
def test_split_dateline_detects_agency_conventions(text: str, dateline: str, rest: str) -> None:
    assert split_dateline(text) == (dateline, rest)


@pytest.mark.parametrize("text", NEGATIVE)
def test_split_dateline_leaves_ordinary_sentences_alone(text: str) -> None:
    assert split_dateline(text) == ("", text)
