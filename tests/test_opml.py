"""OPML 2.0 in and out: nesting and category attributes, hostile input refused, round trip,
and `warta source import/export` through the real CLI (idempotent import)."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests.support.cli import WartaEnv
from warta.core.errors import FeedParseError
from warta.core.opml import OpmlFeed, build_opml, parse_opml

OPML = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>Newsroom feeds</title></head>
  <body>
    <outline text="World">
      <outline text="Asia" title="Asia">
        <outline type="rss" text="Wire Asia" xmlUrl="https://wire.example.com/asia.xml"
                 htmlUrl="https://wire.example.com/asia"/>
      </outline>
      <outline type="rss" text="Wire World" xmlUrl="https://wire.example.com/world.xml"
               category="/Dunia/Eropa,/other"/>
    </outline>
    <outline type="rss" title="Top" text="ignored" xmlUrl="https://news.example.org/top.atom"
             language="en-GB"/>
    <outline type="rss" text="Again" xmlUrl="https://news.example.org/top.atom"/>
    <outline text="A link, not a feed" url="https://example.org/"/>
    <outline type="rss" text="Bad scheme" xmlUrl="javascript:alert(1)"/>
  </body>
</opml>
"""


def test_parse_reads_nesting_categories_and_keeps_each_url_once() -> None:
    feeds = parse_opml(OPML)
    assert [f.xml_url for f in feeds] == [
        "https://wire.example.com/asia.xml",
        "https://wire.example.com/world.xml",
        "https://news.example.org/top.atom",
        "javascript:alert(1)",  # read as written; `source import` validates and skips it
    ]
    asia, world, top, _bad = feeds
    assert (asia.title, asia.category, asia.html_url) == (
        "Wire Asia",
        "World/Asia",
        "https://wire.example.com/asia",
    )
    assert world.category == "Dunia/Eropa"  # the category attribute wins over nesting
    assert (top.title, top.category, top.language) == ("Top", "", "en-GB")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<rss version='2.0'><channel/></rss>", "root element is not <opml>"),
        (b"<opml version='2.0'><head/></opml>", "no <body>"),
        (b"<opml><body><outline", "not an OPML file"),
        (
            b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;">]><opml><body><outline text="&b;"/></body></opml>',
            "entity bomb",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<opml><body><outline text="&x;" xmlUrl="https://a.example/"/></body></opml>',
            "entity bomb",
        ),
    ],
)
def test_bad_or_hostile_opml_is_a_readable_error(data: bytes, message: str) -> None:
    with pytest.raises(FeedParseError, match=message):
        parse_opml(data, "list.opml")


def test_build_groups_by_category_and_round_trips() -> None:
    feeds = [
        OpmlFeed("https://a.example/feed.xml", "A & B", category="World/Asia", language="en"),
        OpmlFeed("https://b.example/rss", "B"),
        OpmlFeed("https://c.example/atom", "C", category="World/Asia"),
    ]
    data = build_opml(feeds)
    root = ElementTree.fromstring(data)
    assert root.get("version") == "2.0"
    group = root.find("body/outline[@text='World/Asia']")
    assert group is not None and len(group) == 2
    # grouped by category on the way out: same feeds, same fields
    assert sorted(parse_opml(data), key=lambda f: f.xml_url) == sorted(
        feeds, key=lambda f: f.xml_url
    )


@pytest.mark.dbmatrix
def test_cli_import_is_idempotent_and_export_round_trips(warta: WartaEnv, tmp_path: Path) -> None:
    path = tmp_path / "feeds.opml"
    path.write_bytes(OPML)
    first = warta.run("source", "import", str(path))
    assert "3 source(s) added, 0 already present, 1 skipped" in first.stdout
    assert "javascript:alert(1)" in first.stderr
    again = warta.run("source", "import", str(path))
    assert "0 source(s) added, 3 already present" in again.stdout
    rows = {r["url"]: r for r in warta.json("source", "list")}
    assert len(rows) == 3
    assert rows["https://wire.example.com/asia.xml"]["name"] == "Wire Asia"
    out = tmp_path / "out.opml"
    warta.run("source", "export", "--output", str(out))
    exported = {f.xml_url: f for f in parse_opml(out.read_bytes())}
    assert set(exported) == set(rows)
    assert exported["https://wire.example.com/asia.xml"].category == "World/Asia"
    assert exported["https://news.example.org/top.atom"].language == "en-GB"
    printed = warta.run("source", "export").stdout
    assert printed.startswith("<?xml") and "https://wire.example.com/world.xml" in printed


@pytest.mark.dbmatrix
def test_cli_import_refuses_a_file_that_is_not_opml(warta: WartaEnv, tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(b"<rss version='2.0'><channel/></rss>")
    bad = warta.run("source", "import", str(path), check=False)
    assert bad.returncode != 0
    assert "warta: error:" in bad.stderr and "not <opml>" in bad.stderr
    missing = warta.run("source", "import", str(tmp_path / "nope.opml"), check=False)
    assert missing.returncode != 0 and "cannot read" in missing.stderr
