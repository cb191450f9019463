"""The pages people see, in a real browser: the published demo stories served by
``warta serve``, opened in Chromium at phone and desktop widths."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.support.axe import axe_source
from tests.support.browser import launch_browser
from tests.support.cli import WartaEnv, free_port
from tests.support.tinymodel import TinyModel
from warta.demo.server import SampleServer, serve_samples

# one worker builds the site once for the module (pytest-xdist, --dist loadgroup)
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]
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
        entries = env.json("entries")
        found = [e for e in entries if REFERENCE in e["url"] and e.get("post_url")]
        path = found[0]["post_url"].split("://", 1)[1].split("/", 1)[1] if found else ""
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
    assert path != "/", "the reference story was not published by the demo pipeline"
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
    assert path != "/", "the reference story was not published by the demo pipeline"
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


# --- a reader's journey, checked for accessibility (axe-core) ---------------------------

WIDTHS = (375, 1280)


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: ``$WARTA_TEST_ARTIFACTS`` (CI uploads it) or a pytest temp
    directory (kept by pytest for the last three runs)."""
    configured = os.environ.get("WARTA_TEST_ARTIFACTS")
    path = Path(configured) if configured else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


def axe_violations(page: Any) -> list[str]:
    """Serious and critical axe-core violations of the page (WCAG 2.x A/AA rules and axe's
    best practices). axe is evaluated through the DevTools protocol, which the page's
    Content-Security-Policy does not govern, so the site's CSP stays as served."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(n["target"][0] if n["target"] else "?" for n in v["nodes"][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def _check(page: Any, name: str, width: int, artifacts: Path, problems: list[str]) -> None:
    page.screenshot(path=str(artifacts / f"{name}-{width}.png"), full_page=True)
    assert axe_violations(page) == [], f"{name} at {width}px"
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width}px"
    assert problems == [], (name, problems)


@pytest.mark.parametrize("width", WIDTHS)
def test_reader_journey_home_article_baca_juga_search_subscribe(
        browser: Any, site: tuple[str, str], width: int, artifacts: Path) -> None:
    base, path = site
    page, problems = _open(browser, base + "/", width)
    _check(page, "home", width, artifacts, problems)

    path = article_with_baca_juga(browser, base, path)
    page.locator(f"main a[href='{path}']").first.click()
    page.wait_for_load_state("load")
    assert page.url == base + path
    assert page.locator("nav.breadcrumbs").is_visible()
    assert page.locator("nav.share a").count() == 5
    _check(page, "article", width, artifacts, problems)

    page.locator("aside.baca-juga a").click()
    page.wait_for_load_state("load")
    assert page.url != base + path
    _check(page, "baca-juga", width, artifacts, problems)

    box = page.locator("header input[name=q]").first
    box.fill("methane")
    box.press("Enter")
    page.wait_for_load_state("load")
    assert "/cari/" in page.url and page.locator("main mark").count() > 0
    _check(page, "search", width, artifacts, problems)

    page.locator("header .tagline a[href='/berlangganan/']").click()
    page.wait_for_load_state("load")
    assert page.url == base + "/berlangganan/"
    form = page.locator("main form").first
    assert form.is_visible() and form.locator("input[type=email]").count() == 1
    _check(page, "subscribe", width, artifacts, problems)
    page.close()
    for name in ("home", "article", "baca-juga", "search", "subscribe"):
        assert (artifacts / f"{name}-{width}.png").stat().st_size > 1000


def article_with_baca_juga(browser: Any, base: str, preferred: str) -> str:
    """The reference story's path when the demo published it, else the first article
    listed on the home page that has a "Baca juga" box."""
    if preferred != "/":
        return preferred
    page = browser.new_page()
    page.goto(base + "/")
    paths = page.eval_on_selector_all("main .card-title a", "els => els.map(e => e.pathname)")
    for candidate in paths:
        page.goto(base + candidate)
        if page.locator("aside.baca-juga a").count():
            page.close()
            return str(candidate)
    page.close()
    raise AssertionError("no published article with a Baca juga box")


def test_list_and_error_pages_pass_axe(browser: Any, site: tuple[str, str],
                                       artifacts: Path) -> None:
    base, path = site
    path = article_with_baca_juga(browser, base, path)
    page, problems = _open(browser, base + path, 1280)
    source = page.locator("header.story-header p.meta a[href^='/sumber/']").get_attribute("href")
    stamp = page.locator("header.story-header time").first.get_attribute("datetime")
    day = datetime.fromisoformat(stamp).astimezone(ZoneInfo("Asia/Jakarta"))  # site's zone
    urls = {"source": source, "archive": day.strftime("/%Y/%m/%d/"),
            "category": page.locator("p.kicker a").get_attribute("href") if
            page.locator("p.kicker a").count() else "/"}
    page.close()
    for name, url in urls.items():
        page, problems = _open(browser, base + url, 375)
        _check(page, name, 375, artifacts, problems)
        page.close()
    page, problems = _open(browser, base + "/berita/tidak-ada/", 375)
    assert f"HTTP 404 {base}/berita/tidak-ada/" in problems
    assert page.locator("h1").is_visible()
    _check(page, "404", 375, artifacts, [])
    page.close()
