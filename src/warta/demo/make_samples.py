"""Render ``stories.py`` into the bundled sample sources under ``samples/``.

Run ``python -m warta.demo.make_samples`` after editing the stories; the output is committed,
so the server only reads files. Three publishers, three markups, three feed formats:

* ``ndtv-world``  – RSS 2.0 + Media RSS, NDTV-like pages full of boilerplate;
* ``wire-asia``   – Atom 1.0 with ``xml:base`` and relative links, plain wire pages;
* ``global-tech`` – RSS 2.0 with ``content:encoded`` and ``<enclosure>``, a blog-style markup.

Feeds and pages never name a host: ``{{BASE}}`` is replaced by the server with the source's
base URL (``http://127.0.0.1:PORT/ndtv-world``). Pages refer to their image relatively.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import timedelta, timezone
from email.utils import format_datetime
from html import escape
from pathlib import Path

from warta.demo.make_images import HEIGHT, WIDTH, render_image
from warta.demo.stories import (
    ALL_STORIES,
    NDTV_STORIES,
    SAMPLES_NOW,
    TECH_STORIES,
    WIRE_STORIES,
    Story,
)

SAMPLES_DIR = Path(__file__).with_name("samples")
BASE = "{{BASE}}"
IST = timezone(timedelta(hours=5, minutes=30), "IST")
WIB = timezone(timedelta(hours=7), "WIB")

SOURCES: list[dict[str, str]] = [
    {
        "slug": "ndtv-world",
        "name": "NDTV World (sample)",
        "feed_path": "feed.xml",
        "format": "rss",
        "language": "en",
        "category": "World",
        "licence": "Fictional sample written for warta, Apache-2.0 like warta itself. "
        "Styled after a syndicated NDTV feed; not NDTV content and not affiliated with NDTV.",
        "attribution": "Dimuat ulang atas izin NDTV World (contoh fiktif untuk demo warta).",
    },
    {
        "slug": "wire-asia",
        "name": "Asia Wire Service (sample)",
        "feed_path": "feed.atom",
        "format": "atom",
        "language": "en",
        "category": "World",
        "licence": "Fictional sample written for warta, Apache-2.0 like warta itself. "
        "Asia Wire Service (AWS) is an invented agency.",
        "attribution": "© Asia Wire Service (AWS). Dimuat ulang berdasarkan lisensi sindikasi "
        "(contoh fiktif).",
    },
    {
        "slug": "global-tech",
        "name": "Global Tech Daily (sample)",
        "feed_path": "feed.xml",
        "format": "rss",
        "language": "en",
        "category": "Technology",
        "licence": "Fictional sample written for warta, Apache-2.0 like warta itself. "
        "Global Tech Daily is an invented publication.",
        "attribution": "Dimuat ulang atas izin Global Tech Daily (contoh fiktif).",
    },
]


def _url(story: Story) -> str:
    return f"{BASE}/articles/{story.slug}.html"


def _image_url(story: Story) -> str:
    return f"{BASE}/images/{story.slug}.png"


def _body_html(story: Story, indent: str = "") -> str:
    out = []
    for kind, fragment in story.blocks:
        if kind == "p":
            out.append(f"{indent}<p>{fragment}</p>")
        elif kind == "quote":
            out.append(f"{indent}<blockquote><p>{fragment}</p></blockquote>")
        elif kind == "h2":
            out.append(f"{indent}<h2>{fragment}</h2>")
        else:
            raise ValueError(f"unknown block kind {kind!r} in {story.slug}")
    return "\n".join(out)


def _json_ld(story: Story, publisher: str) -> str:
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": story.title,
        "description": story.summary,
        "datePublished": story.published.isoformat(),
        "dateModified": story.published.isoformat(),
        "author": [{"@type": "Person", "name": story.author}],
        "image": {
            "@type": "ImageObject",
            "url": _image_url(story),
            "width": WIDTH,
            "height": HEIGHT,
        },
        "publisher": {"@type": "Organization", "name": publisher},
        "mainEntityOfPage": {"@type": "WebPage", "@id": _url(story)},
        "articleSection": story.category,
        "keywords": ", ".join(story.tags),
        "inLanguage": "en",
    }
    text = json.dumps(data, ensure_ascii=False, indent=2).replace("</", "<\\/")
    return f'<script type="application/ld+json">\n{text}\n</script>'


def _head(story: Story, site: str) -> str:
    t, d = escape(story.title), escape(story.summary)
    return f"""<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{t} | {escape(site)}</title>
<meta name="description" content="{d}">
<meta name="author" content="{escape(story.author)}">
<link rel="canonical" href="{_url(story)}">
<meta property="og:type" content="article">
<meta property="og:site_name" content="{escape(site)}">
<meta property="og:title" content="{t}">
<meta property="og:description" content="{d}">
<meta property="og:url" content="{_url(story)}">
<meta property="og:image" content="{_image_url(story)}">
<meta property="og:image:width" content="{WIDTH}">
<meta property="og:image:height" content="{HEIGHT}">
<meta property="article:published_time" content="{story.published.isoformat()}">
<meta property="article:section" content="{escape(story.category)}">
<meta name="twitter:card" content="summary_large_image">
{_json_ld(story, site)}"""


def _img(story: Story) -> str:
    return (
        f'<img src="../images/{story.slug}.png" width="{WIDTH}" height="{HEIGHT}" '
        f'alt="{escape(story.image_alt)}" loading="eager">'
    )


def _figcaption(story: Story) -> str:
    credit = f'<span class="credit">{escape(story.credit)}</span>'
    return f"<figcaption>{escape(story.caption)} {credit}</figcaption>"


# --- ndtv-world: NDTV-like page, boilerplate all around the article -------------------------


def _ndtv_page(story: Story) -> str:
    others = [s for s in NDTV_STORIES if s is not story]
    also = others[0]
    related = "\n".join(
        f'      <li><a href="{_url(s)}"><img src="../images/{s.slug}.png" width="120" '
        f'height="68" alt=""><span>{escape(s.title)}</span></a></li>'
        for s in others
    )
    local = story.published.astimezone(IST)
    hour = local.hour % 12 or 12
    shown = (
        f"{local:%B} {local.day}, {local.year} {hour}:{local:%M} "
        f"{'pm' if local.hour >= 12 else 'am'}"
    )
    paras = _body_html(story, "        ").split("\n")
    # NDTV drops an "Also Read" box into the story after the second paragraph.
    paras.insert(
        2,
        f"""        <div class="also-read" data-widget="also-read">
          <span class="also-read__ttl">Also Read</span>
          <a href="{_url(also)}">{escape(also.title)}</a>
        </div>""",
    )
    body = "\n".join(paras)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
{_head(story, "NDTV World (sample)")}
<style>body{{font-family:sans-serif;margin:0}}.sp-ttl{{font-size:2rem}}</style>
</head>
<body class="story-page world">
<div class="top-strip"><a href="{BASE}/">Home</a> | <a href="{BASE}/">Live TV</a> |
  <a href="{BASE}/">Latest</a> | <span class="trending">Trending: Moscow Summit, Elections,
  Cricket</span></div>
<header class="site-header">
  <a class="logo" href="{BASE}/"><span>NDTV World</span> <small>(sample)</small></a>
  <nav class="main-nav" aria-label="Sections">
    <ul>
      <li><a href="{BASE}/">India</a></li>
      <li class="active"><a href="{BASE}/">World</a></li>
      <li><a href="{BASE}/">Business</a></li>
      <li><a href="{BASE}/">Tech</a></li>
      <li><a href="{BASE}/">Science</a></li>
      <li><a href="{BASE}/">Videos</a></li>
      <li><a href="{BASE}/">Photos</a></li>
    </ul>
  </nav>
</header>
<div class="breadcrumb"><a href="{BASE}/">Home</a> &raquo; <a href="{BASE}/">World
  News</a> &raquo; <span>{escape(story.title)}</span></div>
<main class="content">
  <div class="share-bar" aria-label="Share">
    <span>Share</span>
    <a class="sh-fb" href="https://www.facebook.com/sharer/sharer.php?u={_url(story)}">Facebook</a>
    <a class="sh-tw" href="https://twitter.com/intent/tweet?url={_url(story)}">Twitter</a>
    <a class="sh-wa" href="https://wa.me/?text={_url(story)}">WhatsApp</a>
    <a class="sh-em" href="mailto:?subject={escape(story.title)}">Email</a>
    <span class="comments-count">Comments</span>
  </div>
  <article class="sp-cn ins_storybody" id="ins_storybody" itemscope
      itemtype="https://schema.org/NewsArticle">
    <h1 class="sp-ttl" itemprop="headline">{escape(story.title)}</h1>
    <div class="pst-by">
      <span class="pst-by_lnk">Edited by: <a href="{BASE}/" rel="author"
        itemprop="author">{escape(story.author)}</a></span>
      <span class="pst-by_cat">World News</span>
      <span class="pst-by_dt">Updated: <time itemprop="datePublished"
        datetime="{local.isoformat()}">{shown} IST</time></span>
    </div>
    <figure class="ins_instory_dv">
      {_img(story)}
      {_figcaption(story)}
    </figure>
    <div class="story__content" itemprop="articleBody">
{body}
    </div>
  </article>
  <div class="trk-ln">Track Latest News Live on NDTV World (sample) and get news updates
    from India and around the world.</div>
  <div class="story-tags">Tags: {", ".join(escape(t) for t in story.tags)}</div>
  <aside class="newsletter-box">
    <p><strong>Get the latest news</strong> delivered to your inbox every morning.</p>
    <form action="{BASE}/newsletter" method="post"><input type="email" name="email"
      placeholder="Your email"><button type="submit">Subscribe</button></form>
  </aside>
  <section class="related-news">
    <h3>Related News</h3>
    <ul>
{related}
    </ul>
  </section>
</main>
<footer class="site-footer">
  <ul><li><a href="{BASE}/">About Us</a></li><li><a href="{BASE}/">Advertise</a></li>
    <li><a href="{BASE}/">Privacy Policy</a></li><li><a href="{BASE}/">Feedback</a></li></ul>
  <p>&copy; 2026 NDTV World (sample). Fictional sample content for warta. All rights
    reserved.</p>
</footer>
</body>
</html>
"""


def _ndtv_feed(stories: list[Story]) -> str:
    items = []
    for s in sorted(stories, key=lambda s: s.published, reverse=True):
        items.append(f"""    <item>
      <title>{escape(s.title)}</title>
      <link>{_url(s)}</link>
      <guid isPermaLink="false">{s.guid}</guid>
      <pubDate>{format_datetime(s.published.astimezone(IST))}</pubDate>
      <dc:creator>{escape(s.author)}</dc:creator>
      <category>{escape(s.category)}</category>
      <description>{escape(s.summary)}</description>
      <media:content url="{_image_url(s)}" medium="image" type="image/png" width="{WIDTH}"
          height="{HEIGHT}">
        <media:description>{escape(s.caption)}</media:description>
        <media:credit>{escape(s.credit)}</media:credit>
      </media:content>
    </item>""")
    built = format_datetime(max(s.published for s in stories).astimezone(IST))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"
    xmlns:atom="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel>
    <title>NDTV World (sample) - Latest</title>
    <link>{BASE}/</link>
    <atom:link href="{BASE}/feed.xml" rel="self" type="application/rss+xml"/>
    <description>World news from NDTV World (sample), a fictional syndicated feed bundled
      with warta.</description>
    <language>en-in</language>
    <copyright>Fictional sample content for warta (AGPL-3.0-or-later).</copyright>
    <lastBuildDate>{built}</lastBuildDate>
    <ttl>15</ttl>
{chr(10).join(items)}
  </channel>
</rss>
"""


# --- wire-asia: Atom with xml:base, plain wire-agency pages ---------------------------------


def _wire_page(story: Story) -> str:
    local = story.published.astimezone(WIB)
    most_read = "\n".join(
        f'      <li><a href="{s.slug}.html">{escape(s.title)}</a></li>'
        for s in WIRE_STORIES
        if s is not story
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
{_head(story, "Asia Wire Service")}
</head>
<body>
<div class="topbar"><a href="{BASE}/">Asia Wire Service</a> &middot; Newswire for licensed
  subscribers &middot; <a href="{BASE}/feed.atom">Atom feed</a></div>
<nav class="crumbs"><a href="{BASE}/">Home</a> /
  <a href="{BASE}/">{escape(story.category)}</a></nav>
<div class="wrap">
  <div class="story" id="story">
    <h1 class="headline">{escape(story.title)}</h1>
    <p class="meta"><span class="author">By {escape(story.author)}</span> |
      <time datetime="{story.published.isoformat()}">{local:%d %b %Y %H:%M} WIB</time></p>
    <figure class="lead-photo">
      {_img(story)}
      {_figcaption(story)}
    </figure>
    <div class="story-body">
{_body_html(story, "      ")}
    </div>
  </div>
  <div class="sidebar">
    <h4>Most read</h4>
    <ol>
{most_read}
    </ol>
  </div>
</div>
<div class="footer"><p class="copyright">&copy; 2026 Asia Wire Service. For licensed
  subscribers only.</p> Asia Wire Service (AWS) is a fictional agency; sample content for
  warta.</div>
</body>
</html>
"""


def _wire_feed(stories: list[Story], image_sizes: dict[str, int]) -> str:
    entries = []
    for s in sorted(stories, key=lambda s: s.published, reverse=True):
        stamp = s.published.isoformat().replace("+00:00", "Z")
        entries.append(f"""  <entry>
    <id>{s.guid}</id>
    <title type="text">{escape(s.title)}</title>
    <link rel="alternate" type="text/html" href="articles/{s.slug}.html"/>
    <link rel="enclosure" type="image/png" href="images/{s.slug}.png"
        length="{image_sizes.get(s.slug, 0)}"/>
    <published>{stamp}</published>
    <updated>{stamp}</updated>
    <author><name>{escape(s.author)}</name></author>
    <category term="{escape(s.category)}" label="{escape(s.category)}"/>
    <summary type="text">{escape(s.summary)}</summary>
  </entry>""")
    updated = max(s.published for s in stories).isoformat().replace("+00:00", "Z")
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="{BASE}/" xml:lang="en">
  <id>tag:asiawire.example,2026:top-stories</id>
  <title>Asia Wire Service – Top Stories (sample)</title>
  <subtitle>Fictional wire agency feed bundled with warta.</subtitle>
  <link rel="self" type="application/atom+xml" href="feed.atom"/>
  <link rel="alternate" type="text/html" href="./"/>
  <updated>{updated}</updated>
  <rights>Fictional sample content for warta (AGPL-3.0-or-later).</rights>
  <generator>warta make_samples</generator>
{chr(10).join(entries)}
</feed>
"""


# --- global-tech: full text in content:encoded, blog-style pages ----------------------------


def _tech_content(story: Story) -> str:
    return (
        f'<figure><img src="{_image_url(story)}" width="{WIDTH}" height="{HEIGHT}" '
        f'alt="{escape(story.image_alt)}"><figcaption>{escape(story.caption)} '
        f"{escape(story.credit)}</figcaption></figure>\n{_body_html(story)}"
    )


def _tech_page(story: Story) -> str:
    more = "\n".join(
        f'      <a class="card" href="{s.slug}.html"><span class="kicker">'
        f"{escape(s.category)}</span> {escape(s.title)}</a>"
        for s in TECH_STORIES
        if s is not story
    )
    return f"""<!DOCTYPE html>
<html lang="en-US">
<head>
{_head(story, "Global Tech Daily")}
</head>
<body class="single-post">
<div id="cookie-consent" class="cookie-banner">We use cookies to improve your experience.
  <button>Accept</button> <button>Settings</button></div>
<header class="masthead"><a class="brand" href="{BASE}/">Global Tech Daily</a>
  <a class="subscribe" href="{BASE}/subscribe">Subscribe</a>
  <nav><a href="{BASE}/">Technology</a> <a href="{BASE}/">Business</a>
    <a href="{BASE}/">Science</a> <a href="{BASE}/">Podcasts</a></nav></header>
<main id="content">
  <article class="post" itemscope itemtype="https://schema.org/NewsArticle">
    <header class="post-header">
      <a class="kicker" href="{BASE}/">{escape(story.category)}</a>
      <h1 class="post-title" itemprop="headline">{escape(story.title)}</h1>
      <p class="post-dek">{escape(story.summary)}</p>
      <div class="post-meta">
        <address class="author">By <a rel="author"
          href="{BASE}/">{escape(story.author)}</a></address>
        <time class="published" itemprop="datePublished"
          datetime="{story.published.isoformat()}">{story.published:%b %d, %Y, %H:%M} UTC</time>
      </div>
    </header>
    <figure class="post-hero">
      <picture>{_img(story)}</picture>
      <figcaption><p>{escape(story.caption)}</p>
        <cite class="credit">{escape(story.credit)}</cite></figcaption>
    </figure>
    <section class="post-content" itemprop="articleBody">
{_body_html(story, "      ")}
    </section>
    <footer class="post-footer">Filed under: {", ".join(escape(t) for t in story.tags)}</footer>
  </article>
  <aside class="more-stories">
    <h2 class="rail-title">More from Global Tech Daily</h2>
{more}
  </aside>
</main>
<footer class="site-footer">&copy; 2026 Global Tech Daily (fictional sample for warta).</footer>
</body>
</html>
"""


def _tech_feed(stories: list[Story], image_sizes: dict[str, int]) -> str:
    items = []
    for s in sorted(stories, key=lambda s: s.published, reverse=True):
        content = _tech_content(s)
        if "]]>" in content:
            raise ValueError(f"{s.slug}: body cannot sit in CDATA")
        items.append(f"""    <item>
      <title>{escape(s.title)}</title>
      <link>{_url(s)}</link>
      <guid isPermaLink="true">{_url(s)}</guid>
      <pubDate>{format_datetime(s.published)}</pubDate>
      <dc:creator>{escape(s.author)}</dc:creator>
      <category>{escape(s.category)}</category>
      <description>{escape(s.summary)}</description>
      <content:encoded><![CDATA[{content}]]></content:encoded>
      <enclosure url="{_image_url(s)}" length="{image_sizes.get(s.slug, 0)}" type="image/png"/>
    </item>""")
    built = format_datetime(max(s.published for s in stories))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
    xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">
  <channel>
    <title>Global Tech Daily (sample)</title>
    <link>{BASE}/</link>
    <atom:link href="{BASE}/feed.xml" rel="self" type="application/rss+xml"/>
    <description>Technology, business and science news. A fictional publication bundled
      with warta.</description>
    <language>en-us</language>
    <lastBuildDate>{built}</lastBuildDate>
{chr(10).join(items)}
  </channel>
</rss>
"""


# --- build -----------------------------------------------------------------------------------


def check_story(story: Story) -> None:
    """Raise ``ValueError`` where a story breaks the sample rules (length, dates, blocks)."""
    paragraphs = [f for k, f in story.blocks if k in ("p", "quote")]
    words = sum(len(f.split()) for f in paragraphs)
    if not 4 <= len(paragraphs) <= 9 or not 150 <= words <= 450:
        raise ValueError(f"{story.slug}: {len(paragraphs)} paragraphs, {words} words")
    if not SAMPLES_NOW - timedelta(hours=48) <= story.published < SAMPLES_NOW:
        raise ValueError(f"{story.slug}: published {story.published} outside the window")
    if not any(k == "quote" for k, _ in story.blocks):
        raise ValueError(f"{story.slug}: no blockquote")


Renderer = Callable[[Story], str]
PAGE_RENDERERS: dict[str, Renderer] = {
    "ndtv-world": _ndtv_page,
    "wire-asia": _wire_page,
    "global-tech": _tech_page,
}


def render_text_files(image_sizes: dict[str, int]) -> dict[str, str]:
    """Every text file of ``samples/``, as ``{relative path: content}``."""
    files: dict[str, str] = {
        "sources.json": json.dumps(SOURCES, ensure_ascii=False, indent=2) + "\n"
    }
    for story in ALL_STORIES:
        check_story(story)
        files[f"{story.source}/articles/{story.slug}.html"] = PAGE_RENDERERS[story.source](story)
    files["ndtv-world/feed.xml"] = _ndtv_feed(NDTV_STORIES)
    files["wire-asia/feed.atom"] = _wire_feed(WIRE_STORIES, image_sizes)
    files["global-tech/feed.xml"] = _tech_feed(TECH_STORIES, image_sizes)
    return files


def render_images() -> dict[str, bytes]:
    return {
        f"{s.source}/images/{s.slug}.png": render_image(s.slug, *s.palette) for s in ALL_STORIES
    }


def build_samples(out: Path = SAMPLES_DIR) -> list[Path]:
    """Write every sample file under ``out``; idempotent (same stories → same bytes)."""
    images = render_images()
    sizes = {Path(p).stem: len(b) for p, b in images.items()}
    written = []
    for rel, data in [*images.items(), *render_text_files(sizes).items()]:
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            data = data.encode("utf-8")
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)  # untouched files keep their mtime (Last-Modified)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=SAMPLES_DIR)
    args = parser.parse_args(argv)
    for path in build_samples(args.out):
        print(path)


if __name__ == "__main__":
    main()
