"""Compile the site's message catalogues (``.po`` → ``.mo``) without GNU gettext.

Django's ``compilemessages`` and ``makemessages`` shell out to GNU gettext (``msgfmt``,
``xgettext``), which a deployment rarely has. This does the same job for warta's own
catalogues with Babel, which warta already depends on::

    python -m warta.site.compile_messages            # compile every locale/*/LC_MESSAGES/*.po
    python -m warta.site.compile_messages --check    # exit 1 when a .mo is stale or a msgid
                                                     # used by the site has no translation

The compiled ``.mo`` files are committed next to their ``.po`` (and shipped in the wheel),
so running warta never needs this; run it after editing a ``.po``.

:func:`extract_msgids` lists the msgids the site app uses: ``{% translate "…" %}`` and
``{% blocktranslate %}…{% endblocktranslate %}`` in its templates, ``gettext("…")`` /
``_("…")`` in its Python modules. It understands what the site uses (no message contexts,
no plurals) and raises on a construct it would get wrong rather than skip it.
"""

from __future__ import annotations

import argparse
import ast
import gettext
import io
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

SITE_DIR = Path(__file__).resolve().parent
LOCALE_DIR = SITE_DIR.parent / "locale"
DOMAIN = "django"

_GETTEXT_NAMES = frozenset({"_", "gettext", "gettext_lazy", "gettext_noop"})
_UNSUPPORTED_NAMES = frozenset(
    {"ngettext", "ngettext_lazy", "pgettext", "pgettext_lazy", "npgettext", "npgettext_lazy"}
)

_TRANSLATE_TAG = re.compile(
    r"""\{%\s*trans(?:late)?\s+(?P<q>["'])(?P<msg>.*?)(?P=q)(?P<rest>.*?)%\}""", re.S
)
_BLOCK_TAG = re.compile(
    r"\{%\s*(?P<tag>blocktrans(?:late)?)(?P<opts>(?:\s[^%]*)?)%\}(?P<body>.*?)"
    r"\{%\s*end(?P=tag)\s*%\}",
    re.S,
)
_TEMPLATE_UNDERSCORE = re.compile(r"""(?<![\w.])_\(\s*(?P<q>["'])(?P<msg>.*?)(?P=q)\s*\)""")
_BLOCK_VAR = re.compile(r"\{\{\s*(?P<name>\w+)\s*\}\}")


class ExtractionError(ValueError):
    """A translatable string written in a form :func:`extract_msgids` cannot read."""


def _block_msgid(body: str, opts: str, where: str) -> str:
    """The msgid Django builds for a ``{% blocktranslate %}`` body: ``{{ x }}`` becomes
    ``%(x)s`` and a literal ``%`` is doubled; ``trimmed`` joins the stripped lines."""
    if re.search(r"\{%\s*plural\s*%\}", body) or re.search(r"\b(count|context)\b", opts):
        raise ExtractionError(f"{where}: blocktranslate with plural/context is not supported")
    if "{%" in body or re.search(r"\{\{[^}]*\|", body):
        raise ExtractionError(f"{where}: blocktranslate body may only hold {{{{ variables }}}}")
    if re.search(r"\btrimmed\b", opts):
        body = " ".join(line.strip() for line in body.strip().splitlines() if line.strip())
    parts: list[str] = []
    pos = 0
    for m in _BLOCK_VAR.finditer(body):
        parts.append(body[pos : m.start()].replace("%", "%%"))
        parts.append(f"%({m['name']})s")
        pos = m.end()
    parts.append(body[pos:].replace("%", "%%"))
    return "".join(parts)


def template_msgids(text: str, where: str = "<template>") -> Iterator[str]:
    for m in _TRANSLATE_TAG.finditer(text):
        if re.search(r"\bcontext\b", m["rest"]):
            raise ExtractionError(f"{where}: translate with context is not supported")
        yield m["msg"]
    for m in _BLOCK_TAG.finditer(text):
        yield _block_msgid(m["body"], m["opts"], where)
    for m in _TEMPLATE_UNDERSCORE.finditer(text):
        yield m["msg"]


def python_msgids(source: str, where: str = "<python>") -> Iterator[str]:
    for node in ast.walk(ast.parse(source, filename=where)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if name in _UNSUPPORTED_NAMES:
            raise ExtractionError(f"{where}:{node.lineno}: {name}() is not supported")
        if name not in _GETTEXT_NAMES or not node.args:
            continue
        arg = node.args[0]
        if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
            raise ExtractionError(f"{where}:{node.lineno}: {name}() needs a string literal")
        yield arg.value


def extract_msgids(root: Path = SITE_DIR) -> dict[str, list[str]]:
    """Every msgid used under ``root`` (templates ``*.html``, modules ``*.py``) → where."""
    found: dict[str, list[str]] = {}
    for path in sorted(root.rglob("*")):
        if path.suffix not in (".html", ".py") or not path.is_file():
            continue
        where = str(path.relative_to(root))
        text = path.read_text(encoding="utf-8")
        ids = template_msgids(text, where) if path.suffix == ".html" else python_msgids(text, where)
        for msgid in ids:
            found.setdefault(msgid, []).append(where)
    return found


def read_catalog(po_path: Path) -> Catalog:
    with po_path.open("rb") as f:
        return read_po(f, domain=DOMAIN)


def compile_catalog(catalog: Catalog) -> bytes:
    """The ``.mo`` bytes for ``catalog`` (fuzzy and untranslated entries left out, as
    ``msgfmt`` does)."""
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    return buf.getvalue()


def mo_messages(data: bytes, *, header: bool = False) -> dict[object, str]:
    """A compiled catalogue's messages as Python's gettext reads them. The header (msgid
    ``""``) is left out, or with ``header`` kept without its ``Generated-By`` line (which
    names Babel's version)."""
    translations = gettext.GNUTranslations(io.BytesIO(data))
    catalog: dict[object, str] = translations._catalog  # type: ignore[attr-defined]
    messages = {k: v for k, v in catalog.items() if k != ""}
    if header:
        lines = catalog.get("", "").splitlines()
        messages[""] = "\n".join(x for x in lines if not x.startswith("Generated-By:"))
    return messages


def is_current(mo: Path, data: bytes) -> bool:
    """Whether the ``.mo`` at ``mo`` holds what ``data`` holds (header included)."""
    return mo.is_file() and mo_messages(mo.read_bytes(), header=True) == mo_messages(
        data, header=True
    )


def po_files(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    return sorted(locale_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def missing_translations(catalog: Catalog, msgids: Iterable[str]) -> list[str]:
    missing = []
    for msgid in msgids:
        message = catalog.get(msgid)
        if message is None or not message.string or message.fuzzy:
            missing.append(msgid)
    return missing


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m warta.site.compile_messages")
    parser.add_argument("po", nargs="*", type=Path, help=f"default: {LOCALE_DIR}/*/LC_MESSAGES")
    parser.add_argument(
        "--check", action="store_true", help="write nothing; fail on a stale .mo or a gap"
    )
    args = parser.parse_args(argv)
    paths: list[Path] = args.po or po_files()
    used = extract_msgids() if args.check else {}
    status = 0
    for po in paths:
        catalog = read_catalog(po)
        data = compile_catalog(catalog)
        mo = po.with_suffix(".mo")
        if args.check:
            if not is_current(mo, data):
                print(f"{mo}: stale, run python -m warta.site.compile_messages", file=sys.stderr)
                status = 1
            for msgid in missing_translations(catalog, used):
                print(f"{po}: no translation for {msgid!r} ({', '.join(used[msgid])})")
                status = 1
        elif is_current(mo, data):  # left alone: no churn in the committed file
            print(f"{mo}: up to date")
        else:
            mo.write_bytes(data)
            print(f"{po} → {mo.name}: {len(mo_messages(data))} messages")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
