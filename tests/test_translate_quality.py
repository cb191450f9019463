"""Quality estimation (core/translate/quality.py) and the guards of translate_document_checked
that keep a story intact on short, empty, long, mixed, control-character and RTL input."""

from __future__ import annotations

import re

import pytest

from tests.support.tinymodel import TinyModel
from warta.core.document import Block, Document, Emphasis, Link
from warta.core.translate.ct2 import CTranslate2Translator
from warta.core.translate.document import translate_document_checked
from warta.core.translate.glossary import parse_glossary
from warta.core.translate.quality import (
    INFO,
    REVIEW,
    assess,
    blocks_publishing,
    is_already_target,
    language_between,
    parse_codes,
    severity_of,
)
from warta.core.translate.segment import MAX_SEGMENT_CHARS, split_long

SRC = ("President Joko Widodo said on Monday that 1,200 new schools would open in Surabaya. "
       "“We will finish them this year,” he told reporters.")
GOOD = ("Presiden Joko Widodo mengatakan pada hari Senin bahwa 1.200 sekolah baru akan dibuka "
        "di Surabaya. “Kami akan menyelesaikannya tahun ini,” katanya kepada wartawan.")


def _codes(output: str, source: str = SRC, **kw: object) -> list[str]:
    return [i.code for i in assess(source, output, "en", "id", **kw)]  # type: ignore[arg-type]


def test_a_good_translation_has_no_flags() -> None:
    assert _codes(GOOD) == []


@pytest.mark.parametrize(("output", "code"), [
    # the second sentence dropped
    (GOOD.split(" “")[0], "sentence_dropped"),
    # the first sentence copied back untranslated
    (SRC.split(" “")[0] + " “Kami akan menyelesaikannya tahun ini,” katanya kepada wartawan.",
     "untranslated"),
    # a decoding loop
    (GOOD.replace("kepada wartawan.", "kepada wartawan kepada wartawan kepada wartawan."),
     "repetition"),
    (GOOD.replace("1.200", "1.300"), "number_mismatch"),
    (GOOD.replace("“", "").replace("”", ""), "quote_lost"),
    (GOOD.replace("Surabaya", "Bandung"), "name_mismatch"),
    (GOOD + " {3}", "placeholder_leftover"),
    ("", "engine_error"),
    (GOOD + " " + GOOD + " " + GOOD, "length_ratio"),
])
def test_each_fault_gets_its_flag(output: str, code: str) -> None:
    assert code in _codes(output)


def test_untranslated_needs_a_copied_sentence_not_just_english_names() -> None:
    source = "The World Health Organization said the Covid-19 vaccine was safe."
    kept = "World Health Organization mengatakan vaksin Covid-19 itu aman."
    assert "untranslated" not in _codes(kept, source)
    assert "untranslated" in _codes(source, source)


def test_repetition_already_in_the_source_is_not_a_loop() -> None:
    source = "Go, go, go! the crowd shouted at the runners."
    assert "repetition" not in _codes("Ayo, ayo, ayo! teriak penonton kepada para pelari.",
                                      source)


def test_numbers_may_change_separators_not_digits() -> None:
    source = "Prices rose 4.5 per cent to 1,200 rupiah."
    assert "number_mismatch" not in _codes("Harga naik 4,5 persen menjadi 1.200 rupiah.", source)
    assert "number_mismatch" in _codes("Harga naik 4,5 persen menjadi 1.200 rupiah 7.", source)


def test_glossary_violation_and_exonyms_are_not_swapped_names() -> None:
    glossary = parse_glossary("Moscow\tMoskow\n")
    source = "Officials in Moscow met envoys from China on Friday."
    good = "Pejabat di Moskow bertemu utusan dari Tiongkok pada hari Jumat."
    assert _codes(good, source, glossary=glossary) == []
    bad = good.replace("Moskow", "Moscow")
    assert _codes(bad, source, glossary=glossary) == ["glossary_violation"]


def test_quantities_warta_localises_in_a_title_case_headline_are_not_swapped_names() -> None:
    source = "Indonesia Pledges $4.5 Billion, 12 Per Cent More, To Schools"
    output = "Indonesia Menjanjikan $4,5 Miliar, 12 Persen Lebih Banyak, Untuk Sekolah"
    assert "name_mismatch" not in _codes(output, source)


def test_text_already_in_the_target_language_is_recognised_strictly() -> None:
    assert is_already_target("Pemerintah kota akan membuka sekolah baru tahun depan.", "en", "id")
    assert not is_already_target("The city government will open new schools next year.",
                                 "en", "id")
    assert not is_already_target("Jakarta Post", "en", "id")  # too short to know


def test_a_language_py3langid_does_not_know_is_not_guessed() -> None:
    assert language_between("Hello there my friend, how are you?", "xx", "id") == ("", 0.0)
    indonesian = "Pemerintah kota akan membuka sekolah baru tahun depan."
    assert not is_already_target(indonesian, "xx", "id")
    # without language identification a copy cannot be told from a text of names: not flagged
    assert [i.code for i in assess(SRC, SRC, "xx", "id")] == []


def test_routing_uses_severity_unknown_codes_hold() -> None:
    info = {"flag": "already_target", "where": "block 2", "detail": ""}
    assert severity_of("already_target") == INFO and severity_of("untranslated") == REVIEW
    assert not blocks_publishing([info])
    # a stored severity is not trusted: the code decides
    assert blocks_publishing([{"flag": "number_mismatch", "where": "title", "severity": "info"}])
    assert blocks_publishing([{"flag": "something_new", "where": "title"}])
    assert not blocks_publishing([info, {"flag": "name_mismatch"}], ignore=["name_mismatch"])
    assert parse_codes(" untranslated, name_mismatch;x ") == ("untranslated", "name_mismatch", "x")


# ---------------------------------------------------------------- guards in the document path

class RecordingTranslator:
    """Wraps an engine and records every input it is sent."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.sent: list[str] = []

    @property
    def name(self) -> str:
        return str(getattr(self.inner, "name", "rec"))

    @property
    def model_id(self) -> str:
        return str(getattr(self.inner, "model_id", "rec:1"))

    def translate_batch(self, texts: list[str], source: str, target: str) -> list[str]:
        self.sent.extend(texts)
        return self.inner.translate_batch(texts, source, target)  # type: ignore[attr-defined]


def _rev(text: str) -> str:
    """Every word of letters written backwards ("The plan" → "ehT nalp"): what the fake engine
    below makes of a text. Placeholders ({1}, <a1>), the {0} separator and numbers survive."""
    return re.sub(r"\b[^\W\d_]+\b", lambda m: m.group()[::-1], text)


class ReversingTranslator:
    """A deterministic engine for the guards: what was sent to it is visibly changed (and no
    longer English, so it is not taken for untranslated text)."""

    name = "reverse"
    model_id = "reverse:1"

    def translate_batch(self, texts: list[str], source: str, target: str) -> list[str]:
        return [_rev(t) for t in texts]


LEAD = "The city council approved the new budget for schools on Tuesday."


def test_short_headline_goes_to_the_tiny_model_with_the_lead_as_context(tiny: TinyModel) -> None:
    engine = RecordingTranslator(CTranslate2Translator(tiny.package_dir))
    doc = Document(url="u", title="Police said", blocks=[
        Block("h2", "City"), Block("p", LEAD)])
    result = translate_document_checked(doc, engine, "en", "id")
    # the guard path: the label is sent with the lead sentence behind the {0} separator ...
    assert "Police said {0} " + LEAD in engine.sent
    assert "City {0} " + LEAD in engine.sent
    assert "Police said" not in engine.sent and "City" not in engine.sent
    # ... and split back: the label's own translation, exactly what the model gives for it
    assert result.doc.title == tiny.reference_translate("Police said")
    assert result.doc.blocks[0].text == tiny.reference_translate("City")
    assert result.in_context == 2
    assert not blocks_publishing(result.flag_dicts(), ignore=["untranslated"])


def test_short_label_whose_separator_is_lost_is_translated_alone_and_held() -> None:
    class DropsSeparator(ReversingTranslator):
        def translate_batch(self, texts: list[str], source: str, target: str) -> list[str]:
            return [t.replace("{0}", "") for t in super().translate_batch(texts, source, target)]

    doc = Document(url="u", title="Markets", blocks=[Block("p", LEAD)])
    result = translate_document_checked(doc, DropsSeparator(), "en", "id")
    assert result.doc.title == "stekraM"
    assert [(f.flag, f.where) for f in result.flags] == [("short_unchecked", "title")]
    assert blocks_publishing(result.flag_dicts())


def test_short_label_covered_by_the_glossary_never_reaches_the_engine() -> None:
    engine = RecordingTranslator(ReversingTranslator())
    doc = Document(url="u", title="Moscow", blocks=[Block("p", LEAD)])
    result = translate_document_checked(doc, engine, "en", "id",
                                        glossary=parse_glossary("Moscow\tMoskow\n"))
    assert result.doc.title == "Moskow"
    assert not any(s.startswith("{1}") for s in engine.sent)


def test_text_already_in_indonesian_is_passed_through_not_sent() -> None:
    indonesian = "Pemerintah kota akan membuka sekolah baru di seluruh provinsi tahun depan."
    engine = RecordingTranslator(ReversingTranslator())
    doc = Document(url="u", title="", blocks=[
        Block("p", LEAD), Block("p", indonesian), Block("p", f"{LEAD} {indonesian}")])
    result = translate_document_checked(doc, engine, "en", "id")
    assert indonesian not in engine.sent
    assert result.doc.blocks[1].text == indonesian
    # the English sentence translated, the Indonesian one kept
    assert result.doc.blocks[2].text == f"{_rev(LEAD)} {indonesian}"
    flags = {(f.flag, f.where) for f in result.flags}
    assert {("already_target", "block 2"), ("already_target", "block 3"),
            ("mixed_language", "block 3")} <= flags
    assert not blocks_publishing(result.flag_dicts())


def test_empty_segments_are_recorded_never_sent() -> None:
    engine = RecordingTranslator(ReversingTranslator())
    doc = Document(url="u", title="  ", dateline="", blocks=[
        Block("p", ""), Block("p", " \n "), Block("p", LEAD)])
    result = translate_document_checked(doc, engine, "en", "id")
    assert all(s.strip() for s in engine.sent)
    assert [b.text for b in result.doc.blocks[:2]] == ["", " \n "]
    assert [(f.flag, f.where) for f in result.flags] == [
        ("empty_unit", "block 1"), ("empty_unit", "block 2")]
    assert not blocks_publishing(result.flag_dicts())


def test_a_5000_character_sentence_is_split_never_truncated() -> None:
    words = ["item" + "".join(chr(97 + int(d)) for d in str(i)) for i in range(700)]
    sentence = "The list includes " + ", ".join(words) + " and more."
    assert len(sentence) > 5000
    pieces = split_long(sentence)
    assert "".join(pieces) == sentence and all(len(p) <= MAX_SEGMENT_CHARS for p in pieces)
    engine = RecordingTranslator(ReversingTranslator())
    doc = Document(url="u", title="", blocks=[Block("p", sentence)])
    result = translate_document_checked(doc, engine, "en", "id")
    assert max(len(s) for s in engine.sent) <= MAX_SEGMENT_CHARS
    out = result.doc.blocks[0].text
    assert all(_rev(w) in out for w in words)  # every word came back
    assert ("long_sentence_split", "block 1") in [(f.flag, f.where) for f in result.flags]


def test_a_sentence_without_spaces_is_cut_hard_but_kept_whole() -> None:
    blob = "x" * 1500
    assert "".join(split_long(blob)) == blob
    assert [len(p) for p in split_long(blob)] == [600, 600, 300]


def test_control_characters_are_removed_links_kept_and_flagged() -> None:
    text = "The mayor\x00 said\x1b the \u202eplan\u202c was ready."
    doc = Document(url="u", title="", blocks=[
        Block("p", text, (Link("plan", "https://x.example/p", text.index("plan")),))])
    result = translate_document_checked(doc, ReversingTranslator(), "en", "id")
    block = result.doc.blocks[0]
    assert block.text == _rev("The mayor said the plan was ready.")
    assert [(k.text, k.href) for k in block.links] == [("nalp", "https://x.example/p")]
    assert block.text[block.links[0].start:].startswith("nalp")
    flag = next(f for f in result.flags if f.flag == "control_chars")
    assert flag.detail.startswith("4 ") and flag.severity == INFO


def test_right_to_left_text_is_kept_and_flagged() -> None:
    arabic = "قال الرئيس إن الخطة جاهزة الآن."
    engine = RecordingTranslator(ReversingTranslator())
    doc = Document(url="u", title="", blocks=[
        Block("quote", arabic), Block("p", "The sign read مرحبا in large letters today.")])
    result = translate_document_checked(doc, engine, "en", "id")
    assert arabic not in engine.sent
    assert result.doc.blocks[0].text == arabic
    assert result.doc.blocks[1].text == _rev("The sign read مرحبا in large letters today.")
    flags = {(f.flag, f.where) for f in result.flags}
    assert {("foreign_script", "block 1"), ("rtl_text", "block 2")} <= flags
    assert blocks_publishing(result.flag_dicts())  # untranslated text: an editor decides


def test_quality_flags_reach_the_document_result() -> None:
    class Looping(ReversingTranslator):
        def translate_batch(self, texts: list[str], source: str, target: str) -> list[str]:
            return [_rev(t) + " lagi lagi lagi lagi" for t in texts]

    doc = Document(url="u", title="", blocks=[Block("p", LEAD)])
    result = translate_document_checked(doc, Looping(), "en", "id")
    assert [(f.flag, f.where, f.severity) for f in result.flags] == [
        ("repetition", "block 1", REVIEW)]
    assert result.flag_dicts()[0]["severity"] == "review"
    assert result.block_flags == [["repetition"]]


# ---------------------------------------------------------------- emphasis

def test_emphasis_survives_translation_like_a_link() -> None:
    text = "The mayor said the plan was very urgent and ready."
    block = Block("p", text, (Link("the plan", "https://x.example/p", text.index("the plan")),),
                  emphasis=(Emphasis("very urgent", text.index("very urgent"), "strong"),
                            Emphasis("the plan", text.index("the plan"), "em")))
    engine = RecordingTranslator(ReversingTranslator())
    result = translate_document_checked(Document(url="u", title="", blocks=[block]), engine,
                                        "en", "id")
    # the engine saw the emphasis as a span marker, like the link, never the words alone
    assert engine.sent == ["The mayor said <a1> the plan </a1> was <a2> very urgent </a2> and "
                           "ready."]
    out = result.doc.blocks[0]
    assert out.text == _rev(text)
    assert [(k.text, k.href) for k in out.links] == [(_rev("the plan"), "https://x.example/p")]
    # the strong span on its translated words; the em span that covered the link, on the link
    assert [(e.text, e.kind) for e in out.emphasis] == [
        (_rev("the plan"), "em"), (_rev("very urgent"), "strong")]
    assert all(out.text[e.start:e.start + len(e.text)] == e.text for e in out.emphasis)
    assert result.flags == []
    assert Block.from_dict(out.to_dict()) == out  # stored and read back with its emphasis


def test_emphasis_lost_by_the_engine_is_refound_by_text_or_recorded() -> None:
    text = "Officials called it a historic day for the city."
    block = Block("p", text, emphasis=(Emphasis("historic", text.index("historic")),))

    class DropsMarkers(ReversingTranslator):
        def translate_batch(self, texts: list[str], source: str, target: str) -> list[str]:
            return [re.sub(r"\s*</?a\d+>\s*", " ", t).strip() for t in texts]

    result = translate_document_checked(Document(url="u", title="", blocks=[block]),
                                        DropsMarkers(), "en", "id")
    out = result.doc.blocks[0]
    assert out.text == text  # retried without markers: the text is whole
    assert [(e.text, out.text[e.start:e.start + len(e.text)]) for e in out.emphasis] == [
        ("historic", "historic")]
    assert "placeholder_lost" in {f.flag for f in result.flags}


def test_emphasis_with_the_tiny_model(tiny: TinyModel) -> None:
    text = "The police said the minister was in the city."
    block = Block("p", text, emphasis=(Emphasis("the minister", text.index("the minister")),))
    result = translate_document_checked(Document(url="u", title="", blocks=[block]),
                                        CTranslate2Translator(tiny.package_dir), "en", "id")
    out = result.doc.blocks[0]
    assert [e.text for e in out.emphasis] == [tiny.reference_translate("the minister")]
    assert out.text[out.emphasis[0].start:].startswith(out.emphasis[0].text)
    assert "placeholder_lost" not in {f.flag for f in result.flags}


# ---------------------------------------------------------------- names (names.py)

TWO = ("Police in Surabaya arrested two men on Monday. Officials in Jakarta said the "
       "investigation would continue.")
TWO_ID = ("Polisi di Surabaya menangkap dua pria pada hari Senin. Pejabat di Jakarta "
          "mengatakan penyelidikan akan dilanjutkan.")


def test_a_name_replaced_by_another_name_of_the_same_text_is_a_swap() -> None:
    assert "name_mismatch" not in _codes(TWO_ID, TWO)
    # the set of names is the same; the counts are not (Jakarta ×2, Surabaya ×0)
    assert "name_mismatch" in _codes(TWO_ID.replace("Surabaya", "Jakarta"), TWO)


def test_two_names_swapped_between_sentences_are_caught() -> None:
    swapped = (TWO_ID.replace("Surabaya", "@").replace("Jakarta", "Surabaya")
               .replace("@", "Jakarta"))
    assert "name_mismatch" in _codes(swapped, TWO)


def test_names_moving_inside_one_sentence_are_word_order_not_a_swap() -> None:
    source = "Widodo said Jakarta would build a new seawall next year."
    output = "Jakarta akan membangun tanggul laut baru tahun depan, kata Widodo."
    assert _codes(output, source) == []


@pytest.mark.parametrize(("source", "output"), [
    # possessive, diacritics, the clitic -nya, an acronym's plural
    ("Officials said Jokowi's plan for São Paulo was ready.",
     "Pejabat mengatakan rencana Jokowi untuk Sao Paulo sudah siap."),
    ("The minister praised Widodo and thanked his staff.",
     "Menteri memuji Widodonya dan berterima kasih kepada stafnya."),
    ("Bat HCoVs were studied by Chinese teams in Wuhan.",
     "HCoV kelelawar diteliti oleh tim Tiongkok di Wuhan."),
    # translated institution, title and place words
    ("On Monday, the Ministry of Health in Jakarta and the Middle East Respiratory "
     "Syndrome team met Prime Minister Anwar.",
     "Pada hari Senin, Kementerian Kesehatan di Jakarta dan tim Sindrom Pernapasan Timur "
     "Tengah bertemu Perdana Menteri Anwar."),
    ("Doctors at Huoshenshan Hospital in Wuhan treated 40 patients.",
     "Dokter di Rumah Sakit Huoshenshan di Wuhan merawat 40 pasien."),
])
def test_names_are_compared_after_normalising(source: str, output: str) -> None:
    assert "name_mismatch" not in _codes(output, source)


def test_a_swap_inside_a_translated_institution_name_is_still_caught() -> None:
    source = "Doctors at Huoshenshan Hospital in Wuhan treated 40 patients on Monday."
    output = "Dokter di Rumah Sakit Clinic di Wuhan merawat 40 pasien pada hari Senin."
    assert "name_mismatch" in _codes(output, source)
    source = "On Monday, Iran's Ministry of Health closed the schools, officials said."
    output = "Pada hari Senin, Kementerian Kesehatan Trump menutup sekolah, kata pejabat."
    assert "name_mismatch" in _codes(output, source)
