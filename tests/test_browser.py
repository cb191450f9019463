"""The pages people see, in a real browser: the published demo stories served by
``warta serve``, opened in Chromium at phone and desktop widths."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.browser import launch_browser
from tests.support.cli import WartaEnv, free_port
from tests.support.tinymodel import TinyModel
from warta.demo.server import SampleServer, serve_samples

pytestmark = pytest.mark.slow
REFERENCE = "moscow-summit-14-nations-pledge-4-5-billion-methane-leaks-7023118"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, tiny: TinyModel) -> Iterator[tuple[str, str]]:
    """(base URL of the running site, path of the reference article)."""
    samples: SampleServer = serve_samples(port=0)
    env = WartaEnv(tmp_path_factory.mktemp("browser"))
    port = free_port()
    server = None
    try:
        env.run("models", "install", "en-id", "--from", str(tiny.argosmodel))
        for name, url, lang, _category in samples.feed_urls():
            env.run("source", "add", url, "--name", name, "--lang", lang)
        env.run("fetch", "--once")
        env.run("process", "--until-idle")
        entry = next(e for e in env.json("entries") if REFERENCE in e["url"])
        path = entry["post_url"].split("://", 1)[1].split("/", 1)[1]
        server = env.serve(port)
        yield f"http://127.0.0.1:{port}", "/" + path
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        env.close()
        samples.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_browser()


def _open(browser: Any, url: str, width: int) -> tuple[Any, list[str]]:
    page = browser.new_page(viewport={"width": width, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("response", lambda r: problems.append(f"HTTP {r.status} {r.url}")
            if r.status >= 400 else None)
    page.goto(url, wait_until="load")
    return page, problems


@pytest.mark.parametrize("width", [375, 1280])
def test_reference_article_reads_right_in_a_browser(browser: Any, site: tuple[str, str],
                                                    width: int) -> None:
    base, path = site
    page, problems = _open(browser, base + path, width)
    assert page.locator("header").first.inner_text().count("Dapatkan berita terbaru") == 1
    assert page.locator("h1").inner_text().startswith("At Moskow Summit")
    image = page.locator("figure img").first
    assert image.is_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth > 0"), "photo did not load"
    assert "(arsip)" in page.locator("figure figcaption").first.inner_text()
    assert page.locator(".dateline").first.inner_text().strip() == "Moskow, Rusia:"
    assert page.locator("article blockquote").first.is_visible()
    assert page.locator("footer.syndication a").first.is_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"page scrolls sideways by {overflow}px at {width}px"
    assert problems == [], problems  # no script errors, no CSP violations
    page.close()


def test_baca_juga_leads_to_the_same_event_from_the_other_source(
        browser: Any, site: tuple[str, str]) -> None:
    base, path = site
    page, problems = _open(browser, base + path, 375)
    link = page.locator("aside.baca-juga a")
    assert link.is_visible()
    link.click()
    page.wait_for_load_state("load")
    assert page.url != base + path
    assert page.locator("h1").inner_text().startswith("Indonesia joins 14-nation methane pact")
    assert problems == [], problems
    page.close()


def test_search_from_the_header_finds_both_reports(browser: Any, site: tuple[str, str]) -> None:
    base, _ = site
    page, problems = _open(browser, base + "/", 1280)
    box = page.locator("header input[type=search], header input[name=q]").first
    box.fill("methane Moskow")
    box.press("Enter")
    page.wait_for_load_state("load")
    assert "/cari/" in page.url
    results = page.locator("main").inner_text()
    assert "At Moskow Summit" in results and "Indonesia joins 14-nation methane pact" in results
    assert page.locator("main mark").count() > 0
    assert problems == [], problems
    page.close()
