"""Names of a source and its translation, compared for the ``name_mismatch`` quality check.

A name is a capitalised word that does not start a sentence or quotation. Both sides are
normalised before comparing (case, diacritics, possessive 's, the Indonesian clitic -nya, a
hyphenated form split into its parts) and counted as *multisets*, each occurrence with its
relative position in its text: occurrences of the same name are paired up nearest first, so a
name that appears twice in the source and once in the translation has one occurrence lost,
and a name the translation repeats where the source had another name is one occurrence new.
A lost occurrence and a new one close to each other (same region of the text, as sentence
alignment would put them) are a swapped name.

What a correct translation changes is explained away before that:

* the common words of institution names, titles and places, with their Indonesian renderings
  (``_RENDERINGS``: "Ministry of Health" → "Kementerian Kesehatan", "Hospital" → "Rumah
  Sakit", "North" → "Utara"): a lost word whose rendering is in the translation, and a new
  word that renders a source word, are not names that changed;
* exonyms (``_RENDERINGS`` too: "Czech" → "Ceko", "Matthew" → "Matius");
* the same name respelt or inflected (``similar``: "Brazil" ~ "Brasil", "Italian" ~ "Italia");
* Indonesian words capitalised in a translated name that the table does not have: by their
  affixes ("Pengendalian", "Kesiapsiagaan"), or shaped of Indonesian syllables and next to a
  word the table explains ("Musim Semi", "Kota Terlarang");
* title-case text (a headline where most words are capitalised) is not checked.

In a text of several sentences, a name whose occurrence in the translation lies far from its
place in the source (``FAR``) counts as lost there and new where it now stands, so two names
swapped between sentences are caught; inside one sentence that is word order, not a swap.

Cheap: a few regular-expression passes and set look-ups per text; runs on every translation.
Pure and deterministic.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_OPENERS = ".!?:;…“\"'‘(«[—–-•*"  # a capital after one of these starts a sentence, a quote
_POSSESSIVE = re.compile(r"['’]s?$")
WINDOW = 0.2  # lost and new name this close (as a share of the text) are one swap
WINDOW_CHARS = 160  # … or this close in characters, for short texts
FAR = 0.4  # one name this far apart in a text of several sentences: moved, not kept

# source word (case-folded) → Indonesian words that render it; a source word listed here is
# an ordinary word a translator may translate, not a name to keep
_RENDERINGS_TEXT = """
ministry kementerian kementrian kemenkes|minister menteri|prime perdana|premier perdana
president presiden|vice wakil|secretary sekretaris|general jenderal umum|director direktur
chief kepala ketua|head kepala|governor gubernur|mayor wali walikota|king raja|queen ratu
prince pangeran|princess putri|pope paus|senator senator|speaker ketua|commissioner komisaris
health kesehatan|public publik masyarakat umum|people rakyat masyarakat orang
people's rakyat|republic republik|kingdom kerajaan|united serikat bersatu|states serikat negara
state negara bagian|nations bangsa-bangsa bangsa pbb|union uni serikat|federal federal
north utara|south selatan|east timur|west barat|middle tengah|central pusat tengah
northern utara|southern selatan|eastern timur|western barat|southeast tenggara
northeast timur laut|northwest barat laut|southwest barat daya|upper atas hulu|lower bawah hilir
hospital rumah sakit rs|clinic klinik|agency badan agensi|university universitas
institute institut lembaga|institutes institut lembaga|college perguruan kolese sekolah
school sekolah|academy akademi|department departemen dinas kementerian|office kantor
service layanan dinas|services layanan dinas|council dewan|committee komite komisi panitia
commission komisi|board dewan badan|authority otoritas badan|authorities otoritas
administration administrasi badan pemerintahan|government pemerintah pemerintahan
parliament parlemen|assembly majelis|senate senat|house dewan rumah|court pengadilan mahkamah
supreme agung|police polisi kepolisian|army angkatan darat tentara|navy angkatan laut
force angkatan pasukan gugus|forces angkatan pasukan|task tugas|party partai
city kota|town kota|village desa|province provinsi|district distrik kabupaten
county kabupaten|region wilayah kawasan|regional regional daerah|island pulau
islands kepulauan pulau|river sungai|sea laut|ocean samudra samudera|mount gunung
mountain gunung|lake danau|gulf teluk|bay teluk|square alun-alun lapangan|street jalan
airport bandara bandar udara|station stasiun|port pelabuhan|bridge jembatan|capital ibu kota
national nasional|international internasional|world dunia|global global sedunia
organization organisasi|organisation organisasi|association asosiasi perhimpunan
foundation yayasan|fund dana|bank bank|program program|programme program|network jaringan
center pusat|centre pusat|centers pusat|centres pusat|disease penyakit|diseases penyakit
control pengendalian|prevention pencegahan|preventive pencegahan|infectious menular infeksi
respiratory pernapasan|syndrome sindrom|acute akut|severe parah berat|emergency darurat
emergencies darurat|preparedness kesiapsiagaan|response respons tanggap|outbreak wabah
pandemic pandemi|medicine obat kedokteran|medicines obat|medical medis kedokteran
pharmaceutical farmasi|drug obat|drugs obat|food pangan makanan|research riset penelitian
science sains ilmu|sciences sains ilmu|technology teknologi|development pembangunan pengembangan
education pendidikan|labour buruh tenaga|labor buruh tenaga|workers pekerja buruh|trade perdagangan
finance keuangan|economic ekonomi|economy ekonomi|environment lingkungan|energy energi
transport transportasi perhubungan|transportation transportasi perhubungan
communication komunikasi|communications komunikasi|information informasi|security keamanan
defence pertahanan|defense pertahanan|affairs urusan negeri|foreign luar|home dalam|interior dalam
human manusia|rights hak|justice keadilan|law hukum|act undang-undang|regulation peraturan regulasi
constitution konstitusi|declaration deklarasi|agreement perjanjian kesepakatan|treaty perjanjian
conference konferensi|summit ktt|meeting pertemuan rapat|report laporan|index indeks
guidelines panduan pedoman|guideline panduan pedoman|diagnosis diagnosis diagnosa
treatment penanganan pengobatan perawatan|trial uji|trials uji|clinical klinis|registry pendaftaran
travel perjalanan|history riwayat sejarah|care perawatan|quality kualitas mutu|family keluarga
families keluarga|children anak|child anak|youth remaja pemuda|women perempuan wanita|men pria
market pasar|seafood makanan laut|wholesale grosir|new baru|year tahun|day hari|week pekan minggu
old lama tua|great raya besar|high tinggi|holy suci|church gereja|mosque masjid|temple kuil
faith kepercayaan|christian kristen|christianity kristen|christians kristen|muslim muslim
muslims muslim|islamic islam|jewish yahudi|judaism yahudi|jews yahudi|catholic katolik
protestant protestan|buddhist buddha|hindu hindu|cup piala|championship kejuaraan
league liga|federation federasi|olympic olimpiade|olympics olimpiade|red merah
cross salib|crescent sabit|prize hadiah|award penghargaan|war perang|revolution revolusi
air udara|land darat tanah|water air|discovery penemuan|stock saham bursa|exchange bursa
press pers|news berita|journal jurnal|magazine majalah|daily harian|museum museum
gallery galeri|library perpustakaan|park taman|zoo kebun|garden taman kebun|palace istana
tower menara|hall balai aula|chapter bab|article pasal|section bagian
czech ceko|czechia ceko|dutch belanda|danish denmark|denmark denmark|spain spanyol
spanish spanyol|france prancis perancis|french prancis perancis|britain inggris britania
british inggris britania|england inggris|english inggris|scotland skotlandia|ireland irlandia
irish irlandia|wales wales|welsh wales|america amerika|american amerika|americans amerika
russia rusia|russian rusia|egypt mesir|egyptian mesir|mexico meksiko|mexican meksiko
brazil brasil|brazilian brasil|norway norwegia|norwegian norwegia|sweden swedia|swedish swedia
finland finlandia|finnish finlandia|poland polandia|polish polandia|belgium belgia
belgian belgia|hungary hongaria|hungarian hongaria|portugal portugal|portuguese portugis
zealand selandia|cambodia kamboja|philippines filipina|filipino filipina|singapore singapura
singaporean singapura|saudi saudi|arabia arab|arabic arab|palestine palestina
palestinian palestina|syria suriah|syrian suriah|iraq irak|iraqi irak|jordan yordania
turkey turki|turkish turki|greece yunani|greek yunani|italy italia|italian italia
germany jerman|german jerman|switzerland swiss|swiss swiss|netherlands belanda|japan jepang
japanese jepang|china tiongkok cina tionghoa rrt|chinese tiongkok cina tionghoa imlek
korea korea|korean korea|macau makau|macao makau|cuba kuba|morocco maroko|algeria aljazair
ethiopia etiopia|ukraine ukraina|ukrainian ukraina|europe eropa|european eropa|africa afrika
african afrika|antarctica antartika|arctic arktik|pacific pasifik|atlantic atlantik
indian india|iranian iran|persian persia|austrian austria|australian australia
bible alkitab|matthew matius|john yohanes|jesus yesus|christmas natal|easter paskah
lent prapaskah|eid idulfitri lebaran|ramadan ramadan ramadhan
january januari|february februari|march maret|april april|may mei|june juni|july juli
august agustus|september september|october oktober|november november|december desember
monday senin|tuesday selasa|wednesday rabu|thursday kamis|friday jumat|saturday sabtu
sunday minggu ahad|sundays minggu|team tim|use penggunaan|petroleum minyak bumi
exporting pengekspor|countries negara negara-negara|country negara|numbers nomor angka
number nomor angka|temporary sementara|mobile seluler|event kejadian acara|events acara
tracing pelacakan|mass misa|week pekan minggu|management manajemen|crisis krisis
spring musim semi|summer musim panas|autumn musim gugur|fall musim gugur
winter musim dingin|annual tahunan|plan rencana|planning perencanaan|star bintang
approach pendekatan|moment saat momen|moments saat momen|time waktu|eye mata|road jalan
bridges jembatan|engineering teknik|partial parsial sebagian|list daftar|mecca mekkah makkah
diocese keuskupan|saint santo|peter petrus|paul paulus|leadership kepemimpinan|mutation mutasi
indonesian indonesia|malay melayu|javanese jawa|mandarin mandarin|cantonese kanton
one satu|two dua|three tiga|four empat|five lima|six enam|seven tujuh|eight delapan
nine sembilan|ten sepuluh|first pertama|second kedua|third ketiga|joint gabungan bersama
group grup kelompok|room ruang ruangan|critical kritis|appendix lampiran|code kode
emirates emirat|coronavirus koronavirus korona|vaccine vaksin
"""


def _table(text: str) -> dict[str, frozenset[str]]:
    table: dict[str, frozenset[str]] = {}
    for entry in text.replace("\n", "|").split("|"):
        words = entry.split()
        if words:
            table[words[0]] = frozenset(words[1:])
    return table


def _words_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


_RENDERINGS = _table(_RENDERINGS_TEXT)
# every Indonesian word the table gives: capitalised in a translated name, never a swap
# (except the names the table renders as themselves: "Korea", "April" can be swapped in)
_SAME = frozenset(k for k, ws in _RENDERINGS.items() if k in ws)
_TARGET_WORDS = frozenset(w for ws in _RENDERINGS.values() for w in ws) - _SAME | {
    "as", "pbb", "rrt", "ri", "dki", "uni", "eropa", "agung", "bersatu", "dan", "untuk",
    "bagi", "dari", "di", "ke", "yang", "tentang", "atas", "serta",
    # capitalised in any Indonesian sentence (pronouns of address, God), or after a heading
    # that has no full stop
    "anda", "bapak", "ibu", "saudara", "tuhan", "allah", "kita", "kami", "mereka", "dia",
    "ia", "selama", "saat", "pada", "dalam", "dengan", "setelah", "sebelum", "menurut",
    "namun", "tetapi", "jika", "ketika", "meskipun", "hingga", "sejak", "karena", "ini",
    "itu", "para", "sebuah", "seorang", "beberapa", "banyak", "semua", "tidak",
}
# capitalised in English for reasons other than being a name (after a boundary not seen,
# in a title)
_FUNCTION_WORDS = _words_set(
    "a an the on in at of for to and or but these this that those it its he she they we i as"
    " by with from after before when while if there table figure fig also however some many"
    " most all both each one two three not no yes so then than what which who how why where"
    " dr mr mrs ms st prof jr sr")
# Indonesian affixed words (pe(N)-…-an, ke-…-an, per-…-an, me(N)-/ber-/ter-/di-…-kan) as
# they appear capitalised in a translated name
_INDONESIAN_AFFIXED = re.compile(
    r"^(?:(?:pe[mnr]?|peng|peny|ke|per)[a-z]{3,}an|(?:me[mn]?|meng|meny|ber|ter|di)[a-z]{3,}"
    r"(?:kan|an|i)|se[a-z]{3,}nya)$")

# a word built of Indonesian syllables ((C)V(C), with the onsets loanwords bring: "kr", "st",
# "str"); "Kerja", "Semenanjung", "Statistik" are, "Trump", "Clinic", "Johnson" are not
_INDONESIAN_SHAPE = re.compile(
    r"^(?:(?:ng|ny|kh|sy|s[tkp]r?|[bcdfghjklmnprstvwyz][rl]?)?(?:ai|au|oi|[aeiou])"
    r"(?:ng|[bdghklmnprst](?![aeiou]))?)+$")
_CONNECTORS = frozenset({"dan", "untuk", "di", "dari", "ke", "bagi", "&"})


@lru_cache(maxsize=65536)
def normalise(word: str) -> str:
    """Case-folded, without diacritics, possessive 's or the clitic -nya: "Jokowi's",
    "JOKOWI", "Jokowinya" → "jokowi"; "HCoVs" → "hcov"."""
    if "'" in word or "’" in word:
        word = _POSSESSIVE.sub("", word)
    if len(word) > 3 and word.endswith("s") and any(c.isupper() for c in word[1:-1]):
        word = word[:-1]  # an acronym's plural: "CoVs", "NSAIDs"
    folded = word.casefold()
    if not folded.isascii():
        folded = "".join(c for c in unicodedata.normalize("NFKD", folded)
                         if not unicodedata.combining(c))
    if folded.endswith("nya") and len(folded) > 6:
        folded = folded[:-3]
    return folded


def similar(a: str, b: str) -> bool:
    """The same name in another form (both normalised): "bangladesh" ~ "bangladeshi",
    "brazil" ~ "brasil", "hcovs" ~ "hcov", "singaporean" ~ "singapura"."""
    prefix = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y),
                  min(len(a), len(b)))
    if prefix >= 4:
        return True
    match = SequenceMatcher(None, a, b, autojunk=False)  # cheap upper bounds first
    return match.real_quick_ratio() >= 0.6 and match.quick_ratio() >= 0.6 and (
        match.ratio() >= 0.6)


@dataclass(frozen=True)
class Occurrence:
    word: str  # as written
    key: str  # normalised
    at: int  # character offset in its text


def _parts(text: str) -> list[tuple[str, int]]:
    """Words with their offsets, hyphenated words split into parts ("Director-General")."""
    out = []
    for m in _TOKEN.finditer(text):
        word = m.group()
        if "-" not in word:
            out.append((word, m.start()))
            continue
        start = m.start()
        for part in word.split("-"):
            if part:
                out.append((part, start))
            start += len(part) + 1
    return out


def _sentence_start(text: str, at: int) -> bool:
    i = at - 1
    while i >= 0 and text[i].isspace():
        i -= 1
    return i < 0 or text[i] in _OPENERS or (text[i] == "-" and at - i > 1)


def names(text: str, skip: Iterable[tuple[int, int]] = (),
          parts: list[tuple[str, int]] | None = None) -> list[Occurrence]:
    """Capitalised words of ``text`` not at the start of a sentence or quotation and outside
    the ``skip`` spans (glossary terms), with function words and one- or two-letter words
    left out. ``parts``: ``text``'s words if already split."""
    spans = list(skip)
    found = []
    for word, at in _parts(text) if parts is None else parts:
        if not word[0].isupper() or len(word) <= 2 or any(a <= at < b for a, b in spans):
            continue
        key = normalise(word)
        if key in _FUNCTION_WORDS or _sentence_start(text, at):
            continue
        found.append(Occurrence(word, key, at))
    return found


def title_case(parts: list[tuple[str, int]]) -> bool:
    """Most words capitalised (a headline in title case): capitals say nothing about names."""
    words = [w for w, _ in parts if w[0].isalpha() and len(w) > 3]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) > 0.8 * len(words)


def _unpaired(left: list[Occurrence], right_at: list[int], scale: float, size_r: int,
              far: float) -> list[Occurrence]:
    """Occurrences of one name on the left that no occurrence on the right pairs with,
    pairing nearest relative positions first; an occurrence only ``far`` away or more (in
    another sentence: the name moved to where another name stood) does not pair."""
    if len(left) <= len(right_at) and far >= 1:
        return []
    free = list(left)
    for at in right_at:
        if not free:
            break
        pos = at / size_r
        best = min(free, key=lambda o: abs(o.at / scale - pos))
        if abs(best.at / scale - pos) < far:
            free.remove(best)
    return free


_SENTENCE_END = re.compile(r"[.!?…][\"”’)]*\s+\S")


def _far(source: str, output: str) -> float:
    """How far apart (as a share of the text) one name's occurrences in the source and the
    output may lie: anywhere in a one-sentence text (word order changes), less where there
    are several sentences."""
    if _SENTENCE_END.search(source.rstrip()) and _SENTENCE_END.search(output.rstrip()):
        return FAR
    return 1.0


def _occurrences(parts: list[tuple[str, int]]) -> dict[str, list[int]]:
    where: dict[str, list[int]] = defaultdict(list)
    for word, at in parts:
        where[normalise(word)].append(at)
    return where


def _in_run(text: str, occ: Occurrence, explained: list[tuple[str, int]]) -> bool:
    """``occ`` is next to a capitalised word a table explains, with at most a space or a
    connector ("dan", "untuk") between them: part of a name the translator translated."""
    end = occ.at + len(occ.word)
    for word, at in explained:
        gap = text[end:at] if at >= end else text[at + len(word):occ.at]
        if at != occ.at and len(gap) <= 8 and (
                not gap.strip() or gap.strip().casefold() in _CONNECTORS):
            return True
    return False


@dataclass(frozen=True)
class Swap:
    lost: tuple[str, ...]
    new: tuple[str, ...]


def find_swaps(source: str, output: str, *, skip: Iterable[tuple[int, int]] = (),
               accepted: Iterable[str] = (), kept: Iterable[str] = ()) -> Swap | None:
    """Names of ``source`` lost where names it lacks appear in ``output`` instead, or None.
    ``skip``: spans of the source not to look at (glossary terms); ``accepted``: target words
    that are never a swapped-in name (glossary renderings); ``kept``: source words a correct
    translation may change or drop (months …)."""
    if not source.strip() or not output.strip():
        return None
    src_parts, out_parts = _parts(source), _parts(output)
    if title_case(src_parts) or title_case(out_parts):
        return None
    size_s, size_o = max(1, len(source)), max(1, len(output))
    far = _far(source, output)
    out_where = _occurrences(out_parts)
    out_words = set(out_where)
    ok_lost = {normalise(w) for w in kept}
    # lost: occurrences of a source name that the output has fewer of
    src_list = names(source, skip, src_parts)
    src_names: dict[str, list[Occurrence]] = defaultdict(list)
    for o in src_list:
        src_names[o.key].append(o)
    lost: list[Occurrence] = []
    for key, occ in src_names.items():
        if key in ok_lost:
            continue
        renderings = _RENDERINGS.get(key, frozenset()) - {key}
        if renderings & out_words:
            continue  # translated ("Hospital" → "Rumah Sakit")
        lost += _unpaired(occ, out_where.get(key, []), size_s, size_o, far)
    if not lost:
        return None
    # new: occurrences of an output name that the source has fewer of
    src_where = _occurrences(src_parts)
    ok_new = {normalise(w) for w in accepted} | _TARGET_WORDS
    out_list = names(output, (), out_parts)
    out_names: dict[str, list[Occurrence]] = defaultdict(list)
    for o in out_list:
        if (o.key not in ok_new and not _INDONESIAN_AFFIXED.match(o.key)
                and not (o.word.isupper() and o.key not in src_where)):
            out_names[o.key].append(o)
    explained: list[tuple[str, int]] | None = None
    new: list[Occurrence] = []
    for key, occ in out_names.items():
        if _INDONESIAN_SHAPE.match(key):  # an Indonesian word inside a translated name
            if explained is None:
                explained = [(o.word, o.at) for o in out_list if o.key in ok_new
                             or _INDONESIAN_AFFIXED.match(o.key)]
            occ = [o for o in occ if not _in_run(output, o, explained)]
        new += _unpaired(occ, src_where.get(key, []), size_o, size_s, far)
    if not new:
        return None
    # a respelt or inflected name is the same name: compare with the names of the other side
    # that are not accounted for there
    src_only = {o.key for o in src_list} - out_words
    out_only = {o.key for o in out_list} - set(src_where)
    new = [o for o in new if o.key in src_where or not any(
        similar(o.key, k) for k in src_only)]
    lost = [o for o in lost if not any(similar(o.key, k) for k in out_only)]
    window = max(WINDOW, WINDOW_CHARS / size_s)
    pairs = [(a, b) for a in lost for b in new
             if abs(a.at / size_s - b.at / size_o) <= window]
    if not pairs:
        return None
    return Swap(tuple(dict.fromkeys(a.word for a, _ in pairs)),
                tuple(dict.fromkeys(b.word for _, b in pairs)))
