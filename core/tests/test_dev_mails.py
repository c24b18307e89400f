"""In development every mail is kept and listed at /dev/mails/ (staff only, DEBUG only), so a newcomer can
click the confirmation link; in production the page does not exist and mails go to SMTP only."""

import re
from pathlib import Path
from typing import Any

import pytest
from django.core.mail import EmailMultiAlternatives, get_connection
from django.test import Client
from django.urls import reverse

from core.dev_mails import PAGE_SIZE
from core.mail import outbox_page
from core.tests.clients import as_member
from tests.support import UserFactory
from tests.test_settings import boot_settings

pytestmark = pytest.mark.django_db

OUTBOX = "core.mail.OutboxEmailBackend"


@pytest.fixture
def outbox(settings: Any, tmp_path: Path) -> Path:
    settings.DEV_MAIL_DIR = tmp_path / "mail"
    settings.EMAIL_BACKEND = OUTBOX
    settings.DEBUG = True
    return settings.DEV_MAIL_DIR


@pytest.fixture
def staff() -> Any:
    return UserFactory.create(email="staff@example.com", is_staff=True)


def send(subject: str, *, to: str = "ada@example.com", text: str = "Hello", html: str = "") -> None:
    message = EmailMultiAlternatives(subject, text, "Coachworks <noreply@example.com>", [to])
    if html:
        message.attach_alternative(html, "text/html")
    message.send()


def test_development_settings_keep_console_mails_and_production_settings_do_not() -> None:
    script = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({'email': s.EMAIL_BACKEND}))"
    )

    assert boot_settings({"DEBUG": "1"}, script)["email"] == OUTBOX
    smtp = boot_settings({"DEBUG": "1", "EMAIL_URL": "smtp://mail.example.com:587"}, script)
    assert smtp["email"] == "django.core.mail.backends.smtp.EmailBackend"
    assert boot_settings({}, script)["email"] == "django.core.mail.backends.console.EmailBackend"


def test_the_outbox_backend_prints_each_mail_and_keeps_it_as_an_eml_file(outbox: Path, capsys: Any) -> None:
    send("Confirm your address", text="Open http://testserver/accounts/confirm-email/abc/")

    assert "Confirm your address" in capsys.readouterr().out
    files = list(outbox.glob("*.eml"))
    assert len(files) == 1
    assert b"Subject: Confirm your address" in files[0].read_bytes()


def test_the_outbox_keeps_only_the_newest_mails(outbox: Path, settings: Any) -> None:
    settings.DEV_MAIL_KEEP = 3
    with get_connection(OUTBOX) as connection:
        for number in range(5):
            EmailMultiAlternatives(
                f"Mail {number}", "x", "a@example.com", ["b@example.com"], connection=connection
            ).send()

    mails, _ = outbox_page()
    assert [mail.subject for mail in mails] == ["Mail 4", "Mail 3", "Mail 2"]


def test_staff_see_the_mails_newest_first_a_page_at_a_time(outbox: Path, staff: Any) -> None:
    for number in range(PAGE_SIZE + 3):
        send(f"Mail number {number:02d}")
    client = as_member(staff)

    first = client.get(reverse("dev-mails")).content.decode()
    subjects = re.findall(r"Mail number (\d\d)", first)
    assert subjects == [f"{number:02d}" for number in range(PAGE_SIZE + 2, 2, -1)]
    older = re.search(r'href="([^"]+)" rel="next"', first)
    assert older
    second = client.get(older.group(1).replace("&amp;", "&")).content.decode()
    assert re.findall(r"Mail number (\d\d)", second) == ["02", "01", "00"]
    assert 'rel="next"' not in second


def test_a_mail_shows_its_links_clickable_and_its_html_without_scripts(outbox: Path, staff: Any) -> None:
    send(
        "Welcome",
        text="Confirm: http://testserver/accounts/confirm-email/KEY123/",
        html='<p>Hi <a href="http://testserver/x/">there</a></p><script>alert(1)</script>',
    )
    client = as_member(staff)
    name = outbox_page()[0][0].name

    html = client.get(reverse("dev-mail", args=[name])).content.decode()

    assert '<a href="http://testserver/accounts/confirm-email/KEY123/"' in html
    assert '<a href="http://testserver/x/" rel="noopener">there</a>' in html
    assert "alert(1)" not in html


def test_a_newcomer_confirms_their_sign_up_by_the_link_on_the_mails_page(outbox: Path, staff: Any) -> None:
    Client().post(
        reverse("account_signup"),
        {"email": "newcomer@example.com", "display_name": "Newcomer", "experience": "enthusiast",
         "password1": "a-Long-and-unusual-pw-2026", "password2": "a-Long-and-unusual-pw-2026"},
    )  # fmt: skip
    client = as_member(staff)
    listing = client.get(reverse("dev-mails")).content.decode()
    assert "newcomer@example.com" in listing
    mail_url = re.search(r'href="(/dev/mails/[^"]+)"', listing)
    assert mail_url

    mail = client.get(mail_url.group(1)).content.decode()
    link = re.search(r'<a href="http://testserver(/accounts/confirm-email/[^"]+)"', mail)
    assert link
    assert Client().get(link.group(1)).status_code == 200


@pytest.mark.parametrize("who", ["anonymous", "member"])
def test_only_staff_may_see_the_outbox(outbox: Path, who: str, member: Any) -> None:
    send("Private")
    client = Client() if who == "anonymous" else as_member(member)
    name = outbox_page()[0][0].name

    assert client.get(reverse("dev-mails")).status_code == 404
    assert client.get(reverse("dev-mail", args=[name])).status_code == 404


def test_with_debug_off_the_page_does_not_exist_even_for_staff(outbox: Path, staff: Any, settings: Any) -> None:
    send("Kept before")
    name = outbox_page()[0][0].name
    settings.DEBUG = False
    client = as_member(staff)

    assert client.get(reverse("dev-mails")).status_code == 404
    assert client.get(reverse("dev-mail", args=[name])).status_code == 404


def test_a_name_outside_the_outbox_is_not_found(outbox: Path, staff: Any) -> None:
    client = as_member(staff)

    assert client.get(reverse("dev-mail", args=["..%2F..%2Fsettings.py"])).status_code == 404
    assert client.get(reverse("dev-mail", args=["20261130T081500123456Z-" + "0" * 32 + ".eml"])).status_code == 404
