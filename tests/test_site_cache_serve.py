"""`warta serve` (granian by default, and gunicorn) and `warta build` as real processes: the
page cache across worker processes, hashed static files with far-future caching, the export."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.cli import WartaEnv, free_port

pytestmark = [pytest.mark.slow, pytest.mark.dbmatrix]


BUMP_ELSEWHERE = """
import django
django.setup()
from warta.site.cache import bump
bump({"site"})
"""


@pytest.mark.parametrize("server", ["granian", "gunicorn"])
def test_serve_caches_pages_and_static_files(warta: WartaEnv, server: str):
    warta.run("init")
    warta.env["WARTA_SITE_CACHE_SECONDS"] = "600"  # the suite turns it off (testenv.py)
    warta.env["WARTA_SITE_SERVER"] = server  # site.workers = 0: a process per core (or more)
    port = free_port()
    proc = warta.serve(port)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            seen = {client.get("/").headers.get("X-Cache") for _ in range(12)}
            assert "hit" in seen  # every worker renders once, then serves its copy

            # a change made by another process reaches every worker's next answer, the
            # fast lane's (fastlane.py) kept copies included
            subprocess.run([sys.executable, "-c", BUMP_ELSEWHERE], env=warta.env, check=True,
                           timeout=120)
            assert client.get("/").headers.get("X-Cache") == "miss"
            home = client.get("/")
            assert home.status_code == 200
            assert "public" in home.headers["Cache-Control"]
            again = client.get("/", headers={"If-None-Match": home.headers["ETag"]})
            assert again.status_code == 304

            # collectstatic ran: the page links a hashed name, served for a year, gzipped
            css = re.search(r'href="(/static/site/warta\.[0-9a-f]{12}\.css)"', home.text)
            assert css, home.text[:500]
            asset = client.get(css.group(1), headers={"Accept-Encoding": "gzip"})
            assert asset.status_code == 200
            assert "immutable" in asset.headers["Cache-Control"]
            assert asset.headers.get("Content-Encoding") == "gzip"

            subscribe = client.get("/berlangganan/")
            assert "no-store" in subscribe.headers["Cache-Control"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_build_command_writes_the_site(warta: WartaEnv, tmp_path: Path):
    warta.run("init")
    out = tmp_path / "site"
    first = warta.run("build", str(out), "--quiet")
    assert "warta: built" in first.stdout
    for rel in ("index.html", "404.html", "rss.xml", "sitemap.xml", "robots.txt"):
        assert (out / rel).is_file(), rel
    second = warta.run("build", str(out), "--quiet")
    assert "0 files written" in second.stdout
    bad = warta.run("build", str(out / "index.html" / "x"), check=False)
    assert bad.returncode == 1 and "warta: error: cannot create" in bad.stderr


def test_serve_on_a_taken_port_fails_with_a_readable_error(warta: WartaEnv):
    import socket

    warta.run("init")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = warta.run("serve", "--port", str(port), check=False, timeout=120)
    assert result.returncode == 1
    assert f"warta: error: cannot serve on 127.0.0.1:{port}: Address already in use" in (
        result.stderr)
    assert "backtrace" not in result.stderr.lower()
