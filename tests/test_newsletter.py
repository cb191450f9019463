"""The e-mail newsletter against a real SMTP server on 127.0.0.1 (aiosmtpd): double opt-in,
digests, one-click unsubscribe, and runs that a refusing server stops and a rerun finishes."""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import lxml.html
import pytest
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.test import Client, override_settings

from tests.support.smtpserver import LocalSMTPServer
from warta.config import Config
from warta.newsroom.models import Article, Category, Entry, Post, Source, Translation
from warta.reader.models import Issue, Send, Subscriber
from warta.reader.newsletter import NewsletterError, send_newsletter
from warta.reader.tokens import make_token, read_token

pytestmark = pytest.mark.dbmatrix
_seq = itertools.count(1)
NOW = datetime.now(UTC)


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def warta_settings(**values: Any) -> Any:
    """override_settings for warta's config keys (``newsletter.batch_size=2`` style)."""
    merged = {**settings.WARTA.values, **{k.replace("__", "."): v for k, v in values.items()}}
    return override_settings(WARTA=Config(merged, None))


def make_post(title: str, *, category: Category | None = None, hours_ago: float = 1,
              image: str = "") -> Post:
    n = next(_seq)
    source, _ = Source.objects.get_or_create(url="https://feeds.example.com/nl.xml",
                                             defaults={"name": "NDTV"})
    url = f"https://www.example.com/nl/story-{n}"
    entry = Entry.objects.create(source=source, guid=url, url=url, title=title,
                                 status=Entry.Status.PUBLISHED)
    article = Article.objects.create(entry=entry, url=url, title=title, text_hash=f"nl{n}")
    translation = Translation.objects.create(
        article=article, language="id", title=title, engine="test",
        image={"src": image, "caption": "Foto"} if image else None,
        blocks=[{"type": "p", "text": f"Paragraf pertama berita {title}."}])
    return Post.objects.create(entry=entry, translation=translation, slug=f"nl-story-{n}",
                               category=category, source_name="NDTV", original_url=url,
                               published_at=NOW - timedelta(hours=hours_ago))


def active_subscriber(email: str, frequency: str = "daily",
                      categories: tuple[Category, ...] = ()) -> Subscriber:
    sub = Subscriber.objects.create(email=email, frequency=frequency,
                                    status=Subscriber.Status.ACTIVE, confirmed_at=NOW)
    sub.categories.set(categories)
    return sub


def parse(response: Any) -> Any:
    return lxml.html.document_fromstring(response.content.decode())


def body(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None and part.get_content_type() == f"text/{subtype}"
    return str(part.get_content())


def first_link(text: str, marker: str) -> str:
    match = re.search(r"https?://\S*" + marker + r"\S*", text)
    assert match, text
    return urlsplit(match.group(0)).path


# ---------------------------------------------------------------- subscribing


@pytest.mark.django_db
def test_subscribe_page_has_the_form_and_keeps_the_rss_link(client: Client) -> None:
    Category.objects.create(slug="dunia", name="Dunia")
    make_post("Berita dunia", category=Category.objects.get())
    doc = parse(client.get("/berlangganan/"))
    (form,) = doc.xpath("//main//form[@method='post']")
    assert form.get("action") == "/berlangganan/daftar/"
    assert form.xpath(".//input[@type='email'][@name='email'][@required]")
    assert form.xpath(".//input[@name='csrfmiddlewaretoken']")
    assert [i.get("value") for i in form.xpath(".//input[@name='frequency']")] == [
        "instant", "daily", "weekly"]
    assert form.xpath(".//input[@name='categories']/following-sibling::text()")[0].strip() \
        == "Dunia"
    assert "Berlangganan" in form.xpath("string(.//button)")
    assert doc.xpath("//main//a[@href='/rss.xml']")


@pytest.mark.django_db
def test_double_opt_in_digest_and_one_click_unsubscribe_end_to_end(
        smtp: LocalSMTPServer) -> None:
    world = Category.objects.create(slug="dunia", name="Dunia")
    client = Client(enforce_csrf_checks=True)
    page = client.get("/berlangganan/")
    token = parse(page).xpath("//main//input[@name='csrfmiddlewaretoken']/@value")[0]
    response = client.post("/berlangganan/daftar/", {
        "csrfmiddlewaretoken": token, "email": "Pembaca@Contoh.ID", "name": "Sari",
        "frequency": "daily"})
    assert response.status_code == 200
    assert "Periksa kotak masuk Anda" in parse(response).xpath("string(//h1)")
    sub = Subscriber.objects.get()
    assert (sub.email, sub.name, sub.status) == ("pembaca@contoh.id", "Sari", "pending")

    (confirmation,) = smtp.messages
    assert confirmation["To"] == "pembaca@contoh.id"
    assert confirmation["Subject"] == "Konfirmasi langganan Warta Anda"
    confirm_path = first_link(body(confirmation, "plain"), "/berlangganan/konfirmasi/")
    # following the link (as a mail scanner would) changes nothing; the button does
    page = client.get(confirm_path)
    assert page.status_code == 200
    sub.refresh_from_db()
    assert sub.status == "pending"
    token = parse(page).xpath("//main//input[@name='csrfmiddlewaretoken']/@value")[0]
    response = client.post(confirm_path, {"csrfmiddlewaretoken": token}, follow=True)
    assert "langganan Anda sudah dikonfirmasi" in response.content.decode()
    sub.refresh_from_db()
    assert sub.status == "active" and sub.confirmed_at is not None

    make_post("Putin menjamu Kim di Vostochny", category=world,
              image="https://img.example.com/kim.jpg")
    make_post("Banjir melanda Mumbai", hours_ago=2)
    report = send_newsletter("daily")
    assert report.sent == 1
    digest = smtp.messages[-1]
    assert digest["To"] == "pembaca@contoh.id"
    assert digest["Subject"].startswith("Ringkasan harian Warta, ")
    assert digest["Message-ID"].endswith("@warta.example>")
    text, html = body(digest, "plain"), body(digest, "html")
    for part in (text, html):
        assert "Putin menjamu Kim di Vostochny" in part and "Banjir melanda Mumbai" in part
        assert "Baca selengkapnya" in part
        assert "http://127.0.0.1:8000/berita/" in part
    doc = lxml.html.document_fromstring(html)
    assert doc.xpath("//img/@src") == ["https://img.example.com/kim.jpg"]  # no pixel
    assert len(doc.xpath("//a[contains(@class, 'read-more')]")) == 2
    assert doc.get("lang") == "id"

    # RFC 8058: https first, then mailto; the POST comes with no cookie and no CSRF token
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https_uri, mailto = re.findall(r"<([^>]+)>", digest["List-Unsubscribe"])
    assert mailto.startswith("mailto:redaksi@warta.example?subject=unsubscribe")
    mailto_token = unquote(mailto).rpartition(" ")[2]
    assert read_token(mailto_token, "unsubscribe") == sub
    mail_client = Client(enforce_csrf_checks=True)
    response = mail_client.post(urlsplit(https_uri).path, "List-Unsubscribe=One-Click",
                                content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    sub.refresh_from_db()
    assert sub.status == "unsubscribed" and sub.unsubscribed_at is not None

    make_post("Berita baru setelah berhenti", hours_ago=0.1)
    assert send_newsletter("daily").sent == 0
    assert len(smtp.messages) == 2


@pytest.mark.django_db
def test_subscribe_answers_the_same_whatever_the_address(
        client: Client, smtp: LocalSMTPServer) -> None:
    world = Category.objects.create(slug="dunia", name="Dunia")
    active = active_subscriber("aktif@contoh.id", "weekly", (world,))
    Subscriber.objects.create(email="tertunda@contoh.id")
    Subscriber.objects.create(email="berhenti@contoh.id", status="unsubscribed")
    pages = set()
    for email in ("baru@contoh.id", "aktif@contoh.id", "tertunda@contoh.id",
                  "berhenti@contoh.id"):
        response = client.post("/berlangganan/daftar/", {"email": email, "frequency": "daily"})
        assert response.status_code == 200
        pages.add(response.content)
    assert len(pages) == 1
    # nobody can change an active subscriber's choices by typing their address
    active.refresh_from_db()
    assert active.frequency == "weekly" and list(active.categories.all()) == [world]
    by_to = {m["To"]: m for m in smtp.messages}
    assert set(by_to) == {"baru@contoh.id", "aktif@contoh.id", "tertunda@contoh.id",
                          "berhenti@contoh.id"}
    assert by_to["aktif@contoh.id"]["Subject"] == "Anda sudah berlangganan Warta"
    assert "/berlangganan/preferensi/" in body(by_to["aktif@contoh.id"], "plain")
    assert Subscriber.objects.get(email="berhenti@contoh.id").status == "pending"


@pytest.mark.django_db
def test_subscribe_is_rate_limited_per_client_and_per_mailbox(
        client: Client, smtp: LocalSMTPServer) -> None:
    with warta_settings(newsletter__subscribe_limit=2):
        for n in range(2):
            response = client.post("/berlangganan/daftar/", {"email": f"a{n}@contoh.id",
                                                           "frequency": "daily"})
            assert response.status_code == 200
        response = client.post("/berlangganan/daftar/", {"email": "a9@contoh.id",
                                                       "frequency": "daily"})
        assert response.status_code == 429
        assert "Terlalu banyak permintaan" in response.content.decode()
        other = Client(REMOTE_ADDR="192.0.2.7")
        assert other.post("/berlangganan/daftar/", {"email": "b@contoh.id",
                                                    "frequency": "daily"}).status_code == 200
    assert not Subscriber.objects.filter(email="a9@contoh.id").exists()
    # many clients asking for one address: its owner gets no more than the limit of mails
    cache.clear()
    with warta_settings(newsletter__subscribe_limit=2):
        for n in range(4):
            response = Client(REMOTE_ADDR=f"198.51.100.{n}").post(
                "/berlangganan/daftar/", {"email": "korban@contoh.id", "frequency": "daily"})
            assert response.status_code == 200
    assert smtp.recipients().count("korban@contoh.id") == 2


@pytest.mark.django_db
@pytest.mark.parametrize(("data", "field", "message"), [
    ({"email": "a@contoh.id", "name": "Sari\r\nBcc: korban@contoh.id"}, "name",
     "Nama tidak boleh berisi baris baru"),
    ({"email": "a@contoh.id", "name": "Sari\u2028Bcc"}, "name", "Nama tidak boleh"),
    ({"email": "bukan-alamat"}, "email", "Masukkan alamat surel yang benar"),
    ({"email": "a@contoh.id\nBcc: korban@contoh.id"}, "email",
     "Masukkan alamat surel yang benar"),
    ({"email": "a@@contoh.id"}, "email", "Masukkan alamat surel yang benar"),
    ({"email": ""}, "email", "Masukkan alamat surel Anda"),
])
def test_bad_input_is_refused_with_a_clear_message(
        client: Client, smtp: LocalSMTPServer, data: dict[str, str], field: str,
        message: str) -> None:
    response = client.post("/berlangganan/daftar/", {"frequency": "daily", **data})
    assert response.status_code == 400
    errors = parse(response).xpath("//main//span[@class='error']")
    assert len(errors) == 1 and message in errors[0].text_content()
    assert Subscriber.objects.count() == 0 and smtp.messages == []


def _old_token(sub: Subscriber, purpose: str, days: int) -> str:
    class Earlier(signing.TimestampSigner):
        def timestamp(self) -> str:
            return signing.b62_encode(int(time.time()) - days * 86400)

    return Earlier(salt=f"warta.reader.{purpose}").sign(f"{sub.pk}.{sub.key}")


@pytest.mark.django_db
def test_expired_tampered_and_misused_links_get_a_clear_page(client: Client) -> None:
    sub = Subscriber.objects.create(email="a@contoh.id")
    expired = client.get(f"/berlangganan/konfirmasi/{_old_token(sub, 'confirm', 4)}/")
    assert expired.status_code == 410
    assert "sudah kedaluwarsa" in expired.content.decode()
    assert client.get(f"/berlangganan/konfirmasi/{_old_token(sub, 'confirm', 2)}/") \
        .status_code == 200  # within the 72 hours
    good = make_token(sub, "confirm")
    tampered = good[:-1] + ("A" if good[-1] != "A" else "B")
    for path in (f"/berlangganan/konfirmasi/{tampered}/",
                 f"/berlangganan/konfirmasi/{make_token(sub, 'unsubscribe')}/",  # wrong purpose
                 f"/berlangganan/berhenti/{good}/",
                 f"/berlangganan/preferensi/{'x' * 40}/"):
        response = client.post(path)
        assert response.status_code == 400, path
        assert "Tautan ini tidak sah" in response.content.decode()
    # old unsubscribe links never expire; a deleted subscriber's links die with it
    old = _old_token(sub, "unsubscribe", 400)
    assert client.get(f"/berlangganan/berhenti/{old}/").status_code == 200
    sub.delete()
    assert client.post(f"/berlangganan/berhenti/{old}/").status_code == 400
    assert Subscriber.objects.count() == 0


@pytest.mark.django_db
def test_preferences_page_changes_choices(client: Client) -> None:
    world = Category.objects.create(slug="dunia", name="Dunia")
    Category.objects.create(slug="ekonomi", name="Ekonomi")
    sub = active_subscriber("a@contoh.id")
    path = f"/berlangganan/preferensi/{make_token(sub, 'preferences')}/"
    doc = parse(client.get(path))
    assert doc.xpath("//main//input[@name='frequency'][@value='daily']/@checked") != []
    response = client.post(path, {"name": "Sari", "frequency": "weekly",
                                  "categories": [str(world.pk)]})
    assert response.status_code == 200
    assert "Pilihan Anda sudah disimpan" in response.content.decode()
    sub.refresh_from_db()
    assert (sub.name, sub.frequency, list(sub.categories.all())) == ("Sari", "weekly", [world])
    doc = parse(client.get(path))
    assert doc.xpath(f"//main//input[@name='categories'][@value='{world.pk}']/@checked")
    response = client.post(path, {"name": "x\ny", "frequency": "weekly"})
    assert response.status_code == 400
    sub.refresh_from_db()
    assert sub.name == "Sari"


# ---------------------------------------------------------------- sending


@pytest.mark.django_db
def test_refusing_server_stops_the_run_and_the_rerun_sends_the_rest_once(
        smtp: LocalSMTPServer) -> None:
    make_post("Berita satu")
    emails = [f"r{n}@contoh.id" for n in range(5)]
    for email in emails:
        active_subscriber(email)
    smtp.handler.refuse_after = 2
    with pytest.raises(NewsletterError) as err:
        send_newsletter("daily")
    message = str(err.value)
    assert "451" in message and "2 mail(s) went out" in message and "again" in message
    assert smtp.recipients() == emails[:2]
    statuses = list(Send.objects.order_by("id").values_list("status", flat=True))
    assert statuses == ["sent", "sent", "pending", "pending", "pending"]
    refused = Send.objects.get(subscriber__email=emails[2])
    assert refused.last_error.startswith("451") and refused.attempts == 1

    smtp.handler.refuse_after = None
    report = send_newsletter("daily")
    assert report.sent == 3
    assert sorted(smtp.recipients()) == sorted(emails)  # each exactly once
    assert Issue.objects.count() == 1 and Issue.objects.get().completed_at is not None
    assert send_newsletter("daily").sent == 0  # nothing new: no second issue
    assert len(smtp.recipients()) == 5


@pytest.mark.django_db
def test_unreachable_server_is_a_clear_error_and_loses_nothing() -> None:
    make_post("Berita satu")
    active_subscriber("a@contoh.id")
    from tests.support.cli import free_port

    with override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                           EMAIL_HOST="127.0.0.1", EMAIL_PORT=free_port(), EMAIL_TIMEOUT=5), \
            pytest.raises(NewsletterError, match="run `warta newsletter send` again"):
        send_newsletter("daily")
    assert Send.objects.get().status == "pending"


@pytest.mark.django_db
def test_recipient_refused_for_good_is_marked_and_the_run_goes_on(
        smtp: LocalSMTPServer) -> None:
    make_post("Berita satu")
    for email in ("a@contoh.id", "hilang@contoh.id", "c@contoh.id"):
        active_subscriber(email)
    smtp.handler.refuse_recipients = {"hilang@contoh.id"}
    report = send_newsletter("daily")
    assert (report.sent, report.failed) == (2, 1)
    failed = Send.objects.get(subscriber__email="hilang@contoh.id")
    assert failed.status == "failed" and failed.last_error.startswith("550")
    assert smtp.recipients() == ["a@contoh.id", "c@contoh.id"]


@pytest.mark.django_db
def test_each_subscriber_gets_their_categories_and_frequency(smtp: LocalSMTPServer) -> None:
    world = Category.objects.create(slug="dunia", name="Dunia")
    money = Category.objects.create(slug="ekonomi", name="Ekonomi")
    sport = Category.objects.create(slug="olahraga", name="Olahraga")
    make_post("Berita dunia", category=world)
    make_post("Berita ekonomi", category=money)
    active_subscriber("dunia@contoh.id", categories=(world,))
    active_subscriber("olahraga@contoh.id", categories=(sport,))
    active_subscriber("semua@contoh.id")
    active_subscriber("mingguan@contoh.id", frequency="weekly")
    Subscriber.objects.create(email="belum@contoh.id")  # never confirmed
    report = send_newsletter("daily")
    assert (report.sent, report.empty) == (2, 0)
    by_to = {m["To"]: body(m, "plain") for m in smtp.messages}
    assert set(by_to) == {"dunia@contoh.id", "semua@contoh.id"}
    assert "Berita dunia" in by_to["dunia@contoh.id"]
    assert "Berita ekonomi" not in by_to["dunia@contoh.id"]
    assert "Berita ekonomi" in by_to["semua@contoh.id"]
    assert Send.objects.get(subscriber__email="olahraga@contoh.id").status == "empty"
    assert send_newsletter("weekly").sent == 1
    assert smtp.messages[-1]["Subject"].startswith("Ringkasan mingguan Warta, ")


@pytest.mark.django_db
def test_batches_share_a_connection_and_the_rate_is_limited(smtp: LocalSMTPServer) -> None:
    make_post("Berita satu")
    for n in range(5):
        active_subscriber(f"b{n}@contoh.id")
    naps: list[float] = []
    with warta_settings(newsletter__batch_size=2, newsletter__rate_limit=4.0):
        report = send_newsletter("daily", sleep=naps.append)
    assert report.sent == 5
    assert smtp.handler.connections == 3  # 2 + 2 + 1
    assert naps == [0.25] * 5


@pytest.mark.django_db
def test_a_mail_left_sending_by_a_crash_is_sent_again_with_the_same_message_id(
        smtp: LocalSMTPServer) -> None:
    from warta.reader.newsletter import SENDING_LEASE, create_issue

    make_post("Berita satu")
    sub = active_subscriber("a@contoh.id")
    issue = create_issue("daily")
    assert issue is not None
    row = Send.objects.get()
    # killed after claiming: a fresh claim is left alone, an expired one is taken over
    Send.objects.filter(pk=row.pk).update(status="sending", claimed_at=NOW)
    assert send_newsletter("daily").sent == 0
    Send.objects.filter(pk=row.pk).update(claimed_at=NOW - SENDING_LEASE * 2)
    assert send_newsletter("daily").sent == 1
    assert smtp.messages[0]["Message-ID"] == f"<warta.issue{issue.pk}.reader{sub.pk}@warta.example>"


@pytest.mark.django_db
def test_killed_story_is_left_out_of_an_unfinished_issue(smtp: LocalSMTPServer) -> None:
    from warta.reader.newsletter import create_issue

    keep = make_post("Berita tetap")
    kill = make_post("Berita ditarik")
    active_subscriber("a@contoh.id")
    assert create_issue("daily") is not None
    Post.objects.filter(pk=kill.pk).update(status=Post.Status.KILLED)
    send_newsletter("daily")
    text = body(smtp.messages[0], "plain")
    assert keep.translation.title in text and "Berita ditarik" not in text


# ---------------------------------------------------------------- privacy, CLI, i18n


def test_cli_exports_and_deletes_a_subscriber(warta: Any) -> None:
    warta.run("init")
    warta.query("INSERT INTO reader_subscriber (email, name, frequency, status, key, created) "
                "VALUES ('a@contoh.id', 'Sari', 'daily', 'active', 'k', '2025-01-01 00:00:00')")
    import json

    exported = json.loads(warta.run("subscribers", "export", "A@contoh.id").stdout)
    assert exported == [{"email": "a@contoh.id", "name": "Sari", "status": "active",
                         "frequency": "daily", "categories": [], "created": exported[0]["created"],
                         "confirmed_at": None, "unsubscribed_at": None, "sends": []}]
    assert "deleted a@contoh.id" in warta.run("subscribers", "delete", "a@contoh.id").stdout
    missing = warta.run("subscribers", "delete", "a@contoh.id", check=False)
    assert missing.returncode == 1 and "warta: error: no subscriber a@contoh.id" in missing.stderr
    assert json.loads(warta.run("subscribers", "export").stdout) == []
    sent = warta.run("newsletter", "send", "--frequency", "daily")
    assert "sent 0" in sent.stdout


def test_reader_strings_are_translated_to_indonesian() -> None:
    import warta.reader
    from warta.site.compile_messages import (
        compile_catalog,
        extract_msgids,
        mo_messages,
        read_catalog,
        template_msgids,
    )

    root = Path(warta.reader.__file__).parent
    used = set(extract_msgids(root))
    for txt in root.rglob("*.txt"):  # the plain-text mail templates
        used.update(template_msgids(txt.read_text(), str(txt)))
    po = root / "locale" / "id" / "LC_MESSAGES" / "django.po"
    catalog = read_catalog(po)
    assert catalog.get("Read more").string == "Baca selengkapnya"
    missing = sorted(m for m in used if not (catalog.get(m) and catalog.get(m).string))
    assert missing == []
    unused = sorted(m.id for m in catalog if m.id and m.id not in used)
    assert unused == [], "entries no longer used by the reader app: remove them"
    assert [m.id for m in catalog if m.id and m.string == m.id] == []
    assert mo_messages(po.with_suffix(".mo").read_bytes()) == mo_messages(
        compile_catalog(catalog)), "run python -m warta.site.compile_messages " + str(po)


def test_smtp_password_from_file_and_masked(tmp_path: Path) -> None:
    from warta.config import load_config

    secret = tmp_path / "smtp-password"
    secret.write_text("rahasia\n")
    cfg = load_config(env={"WARTA_DATA_DIR": str(tmp_path), "WARTA_CONFIG": "/dev/null",
                           "WARTA_EMAIL_PASSWORD_FILE": str(secret)})
    assert cfg["email.password"] == "rahasia"
    assert cfg.masked()["email.password"] == "********"
