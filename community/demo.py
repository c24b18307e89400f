"""Demo accounts for `make run`. Idempotent: existing accounts are left as they are."""

from dataclasses import dataclass
from typing import TextIO

from allauth.account.models import EmailAddress

from community.models import Comment, Experience, User
from community.services import comment_create, follow_create, user_create
from community.targets import registered


@dataclass(frozen=True)
class DemoAccount:
    role: str
    email: str
    password: str
    display_name: str
    country: str
    experience: str
    skills: tuple[str, ...] = ()
    is_staff: bool = False
    time_zone: str = "UTC"
    language: str = "en"


DEMO_ACCOUNTS = (
    DemoAccount("client", "client@demo.coachworks.test", "demo-client-pass", "Alpine Logistics", "CH",
                Experience.PROFESSIONAL),
    DemoAccount("member", "ada@demo.coachworks.test", "demo-member-pass", "Ada Okafor", "NG",
                Experience.PROFESSIONAL, ("aerodynamics", "cad"), time_zone="Africa/Lagos", language="en"),
    DemoAccount("member", "jonas@demo.coachworks.test", "demo-member-pass", "Jonas Berg", "DE",
                Experience.ENTHUSIAST, ("welding", "interior"), time_zone="Europe/Berlin", language="de"),
    DemoAccount("judge", "judge@demo.coachworks.test", "demo-judge-pass", "Mira Tanaka", "JP",
                Experience.PROFESSIONAL, ("vehicle dynamics",), time_zone="Asia/Tokyo"),
    DemoAccount("staff", "staff@demo.coachworks.test", "demo-staff-pass", "Coachworks Staff", "GB",
                Experience.PROFESSIONAL, (), True),
)  # fmt: skip


# The admin asks staff for a code from an authenticator app (`core.admin_site`). The demo staff account
# gets this published key, like its published password: add it to any TOTP app (or run
# `oathtool --totp -b <key>`). Never load the demo data into a real deployment.
DEMO_STAFF_TOTP_SECRET = "COACHWORKSDEMOSTAFFTOTPKEY234567"  # noqa: S105 - published, like the demo passwords


def _demo_staff_totp(user: User) -> str:
    """Give the demo staff account its authenticator (unless it has one of its own); say which it is."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP
    from allauth.mfa.utils import decrypt

    existing = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if existing is None:
        TOTP.activate(user, DEMO_STAFF_TOTP_SECRET)
    elif decrypt(existing.data["secret"]) != DEMO_STAFF_TOTP_SECRET:
        return "the authenticator app you set up"
    return f"a code from an authenticator app with the key {DEMO_STAFF_TOTP_SECRET}"


def demo_user(role: str, index: int = 0) -> User:
    """A demo account of a role, the first unless `index` says which (other apps' demo data builds on these)."""
    account = [account for account in DEMO_ACCOUNTS if account.role == role][index]
    return User.objects.get(email__iexact=account.email)


def load(out: TextIO) -> None:
    out.write("Demo accounts (e-mail / password):\n")
    for account in DEMO_ACCOUNTS:
        user = User.objects.filter(email__iexact=account.email).first()
        if user is None:
            user = user_create(
                email=account.email,
                password=account.password,
                is_staff=account.is_staff,
                display_name=account.display_name,
                country=account.country,
                experience=account.experience,
                skills=list(account.skills),
                time_zone=account.time_zone,
                preferred_language=account.language,
            )
            if account.is_staff:
                user.is_superuser = True
                user.save(update_fields=["is_superuser"])
        EmailAddress.objects.update_or_create(
            user=user, email=account.email, defaults={"verified": True, "primary": True}
        )
        out.write(f"  {account.role:<7} {account.email:<32} {account.password}\n")
        if account.is_staff:
            out.write(f"          two-factor sign-in: {_demo_staff_totp(user)}\n")


DEMO_COMMENTS = (
    ("challenges.challenge", "ada", "What payload should the concept plan for: two stretchers or one plus equipment?"),
    ("challenges.challenge", "jonas", "@AdaOkafor Zwei Tragen, denke ich. Der Rahmen muss das tragen."),
    ("blueprints.blueprint", "jonas", "I forked this to try a lower roof; feedback welcome."),
    ("submissions.entry", "ada", "The chilled locker sits low so that it can be loaded from the kerb."),
    ("submissions.entry", "jonas", "@AdaOkafor Gute Idee. Passt die Trage dann noch längs hinein?"),
)


def finish(out: TextIO) -> None:
    """Follows and a short discussion between Ada (Nigeria, English, Lagos time) and Jonas (Germany,
    German, Berlin time) on the first challenge, blueprint and entry each can see. Run after every
    app's `load`, so the things discussed exist. Their reputation comes from the real events of
    the other apps' demo data (entries, forks), not from here."""
    ada, jonas = demo_user_by_email("ada@demo.coachworks.test"), demo_user_by_email("jonas@demo.coachworks.test")
    follow_create(user=ada, label="community.user", object_id=jonas.pk)
    follow_create(user=jonas, label="community.user", object_id=ada.pk)
    authors = {"ada": ada, "jonas": jonas}
    posted = 0
    for label, author, body in DEMO_COMMENTS:
        target = registered(label)
        obj = target.model._default_manager.order_by("pk").first() if target is not None else None
        if obj is None or not target or not target.can_view(authors[author], obj):
            continue
        if Comment.objects.filter(author=authors[author], object_id=obj.pk, body=body).exists():
            continue
        if target.followable:
            follow_create(user=authors[author], label=label, object_id=obj.pk)
        comment_create(author=authors[author], label=label, object_id=obj.pk, body=body)
        posted += 1
    out.write(f"Community: Ada and Jonas follow each other; {posted} demo comment(s) posted.\n")


def demo_user_by_email(email: str) -> User:
    return User.objects.get(email__iexact=email)
