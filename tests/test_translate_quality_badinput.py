"""Bad input through the real path: ``translate_document_checked`` with the tiny CTranslate2
model the tests build (tests/support/tinymodel.py), whose output is known exactly. Each case
must not crash, must lose nothing, and must leave a recorded flag."""

from __future__ import annotations

import pytest

from tests.support.tinymodel import TinyModel
from warta.core.document import Block, Document
from warta.core.errors import TranslateError
from warta.core.translate.ct2 import CTranslate2Translator
from warta.core.translate.document import translate_document_checked
from warta.core.translate.quality import INFO, blocks_publishing
from warta.core.translate.segment import MAX_SEGMENT_CHARS

LEAD = "The city council approved the new budget for schools on Tuesday."
INDONESIAN = "Pemerintah kota akan membuka sekolah baru di seluruh provinsi tahun depan."
# the tiny model copies most English words: its honest output *is* untranslated English
IGNORE = ["untranslated"]


class Recording:
    """The real engine, with every input it is sent recorded."""

    def __init__(self, tiny: TinyModel) -> None:
        self.inner = CTranslate2Translator(tiny.package_dir)
        self.name = self.inner.name
        self.model_id = self.inner.model_id
        self.sent: list[str] = []

    def translate_batch(self, texts: list[str], source: str, target: str) -> list[str]:
        self.sent.extend(texts)
        return [str(t) for t in self.inner.translate_batch(texts, source, target)]


@pytest.fixture
def engine(tiny: TinyModel) -> Recording:
    return Recording(tiny)


def _flags(result: object) -> set[tuple[str, str]]:
    return {(f.flag, f.where) for f in result.flags}  # type: ignore[attr-defined]


def test_empty_segments_are_kept_flagged_and_never_sent(engine: Recording,
                                                        tiny: TinyModel) -> None:
    doc = Document(url="u", title="", dateline="  ", blocks=[
        Block("p", ""), Block("p", " \n\t "), Block("p", LEAD), Block("p", "\u200b")])
    result = translate_document_checked(doc, engine, "en", "id")
    assert engine.sent and all(s.strip() for s in engine.sent)
    assert [b.text for b in result.doc.blocks[:2]] == ["", " \n\t "]
    assert result.doc.blocks[2].text == tiny.reference_translate(LEAD)
    assert {("empty_unit", "block 1"), ("empty_unit", "block 2")} <= _flags(result)
    assert not blocks_publishing(result.flag_dicts(), ignore=IGNORE)


def test_a_5000_character_sentence_is_split_and_nothing_is_lost(engine: Recording,
                                                                tiny: TinyModel) -> None:
    words = [f"school{i}" for i in range(600)]
    sentence = "The city council listed " + ", ".join(words) + " on Tuesday."
    assert len(sentence) > 5000
    doc = Document(url="u", title="", blocks=[Block("p", sentence)])
    result = translate_document_checked(doc, engine, "en", "id")
    assert len(engine.sent) > 1 and max(map(len, engine.sent)) <= MAX_SEGMENT_CHARS
    out = result.doc.blocks[0].text
    # every word came back: the tiny model's 256 positions cannot take a 600-character
    # piece of rare words, so the engine failed on those and they were halved, not dropped
    assert all(w in out for w in words), [w for w in words if w not in out][:5]
    assert out.startswith(tiny.reference_translate("The city council listed"))
    assert out.endswith(tiny.reference_translate("on Tuesday."))
    assert ("long_sentence_split", "block 1") in _flags(result)
    assert not blocks_publishing(result.flag_dicts(), ignore=IGNORE)


def test_a_paragraph_in_two_languages_translates_only_the_foreign_part(
        engine: Recording, tiny: TinyModel) -> None:
    doc = Document(url="u", title="", blocks=[Block("p", f"{LEAD} {INDONESIAN}")])
    result = translate_document_checked(doc, engine, "en", "id")
    assert INDONESIAN not in engine.sent and LEAD in engine.sent
    assert result.doc.blocks[0].text == f"{tiny.reference_translate(LEAD)} {INDONESIAN}"
    assert {("mixed_language", "block 1"), ("already_target", "block 1")} <= _flags(result)
    assert not blocks_publishing(result.flag_dicts(), ignore=IGNORE)


def test_text_already_in_the_target_language_is_passed_through(engine: Recording) -> None:
    doc = Document(url="u", title="", blocks=[Block("p", INDONESIAN), Block("p", LEAD)])
    result = translate_document_checked(doc, engine, "en", "id")
    assert INDONESIAN not in engine.sent
    assert result.doc.blocks[0].text == INDONESIAN
    flag = next(f for f in result.flags if f.flag == "already_target")
    assert flag.where == "block 1" and flag.severity == INFO
    assert not blocks_publishing(result.flag_dicts(), ignore=IGNORE)


def test_control_characters_are_removed_before_the_model_and_flagged(
        engine: Recording, tiny: TinyModel) -> None:
    dirty = "The city\x00 council\x1b approved the \u202enew\u202c budget\x7f on Tuesday."
    doc = Document(url="u", title="", blocks=[Block("p", dirty)])
    result = translate_document_checked(doc, engine, "en", "id")
    clean = "The city council approved the new budget on Tuesday."
    assert engine.sent == [clean]
    assert result.doc.blocks[0].text == tiny.reference_translate(clean)
    flag = next(f for f in result.flags if f.flag == "control_chars")
    assert flag.detail.startswith("5 ") and flag.severity == INFO
    assert not blocks_publishing(result.flag_dicts(), ignore=IGNORE)


def test_right_to_left_text_is_kept_whole_and_flagged(engine: Recording) -> None:
    arabic = "قال الرئيس إن الخطة جاهزة الآن."
    inline = "The sign read مرحبا in large letters on Tuesday."
    doc = Document(url="u", title="", blocks=[Block("quote", arabic), Block("p", inline)])
    result = translate_document_checked(doc, engine, "en", "id")
    assert arabic not in engine.sent
    assert result.doc.blocks[0].text == arabic
    # the RTL word went through the model with its sentence and came back
    assert "مرحبا" in result.doc.blocks[1].text
    assert {("foreign_script", "block 1"), ("rtl_text", "block 2")} <= _flags(result)
    # an untranslated quotation: an editor decides
    assert blocks_publishing(result.flag_dicts(), ignore=IGNORE)


def test_an_output_cut_by_max_decoding_length_is_an_error_not_a_short_text(
        tiny: TinyModel) -> None:
    words = [f"school{i}" for i in range(12)]
    sentence = "The city council listed " + ", ".join(words) + " on Tuesday."
    whole = CTranslate2Translator(tiny.package_dir)
    assert whole.translate_batch([sentence], "en", "id") == [tiny.reference_translate(sentence)]
    short = CTranslate2Translator(tiny.package_dir, max_decoding_length=24)
    with pytest.raises(TranslateError, match="max_decoding_length"):
        short.translate_batch([LEAD, sentence], "en", "id")
    # what fits still comes back whole
    assert short.translate_batch(["On Tuesday."], "en", "id") == [
        tiny.reference_translate("On Tuesday.")]


def test_a_sentence_longer_than_the_decoder_allows_is_halved_until_it_fits(
        tiny: TinyModel) -> None:
    words = [f"school{i}" for i in range(20)]
    sentence = "The city council listed " + ", ".join(words) + " on Tuesday."
    assert len(sentence) > 200  # long enough to be halved (document.MIN_RETRY_CHARS)
    engine = Recording(tiny)
    engine.inner = CTranslate2Translator(tiny.package_dir, max_decoding_length=100)
    doc = Document(url="u", title="", blocks=[Block("p", sentence)])
    result = translate_document_checked(doc, engine, "en", "id")
    out = result.doc.blocks[0].text
    assert sentence in engine.sent and len(engine.sent) > 2  # failed whole, then halves
    assert all(w in out for w in words), [w for w in words if w not in out][:5]
    assert out.endswith(tiny.reference_translate("on Tuesday."))
