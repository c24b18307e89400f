"""Demo accounts for `make run`. Idempotent: existing accounts are left as they are."""

from dataclasses import dataclass
from typing import TextIO

from allauth.account.models import EmailAddress

from community.models import Experience, User
from community.services import user_create


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


DEMO_ACCOUNTS = (
    DemoAccount("client", "client@demo.coachworks.test", "demo-client-pass", "Alpine Logistics", "CH",
                Experience.PROFESSIONAL),
    DemoAccount("member", "ada@demo.coachworks.test", "demo-member-pass", "Ada Okafor", "NG",
                Experience.PROFESSIONAL, ("aerodynamics", "cad")),
    DemoAccount("member", "jonas@demo.coachworks.test", "demo-member-pass", "Jonas Berg", "DE",
                Experience.ENTHUSIAST, ("welding", "interior")),
    DemoAccount("judge", "judge@demo.coachworks.test", "demo-judge-pass", "Mira Tanaka", "JP",
                Experience.PROFESSIONAL, ("vehicle dynamics",)),
    DemoAccount("staff", "staff@demo.coachworks.test", "demo-staff-pass", "Coachworks Staff", "GB",
                Experience.PROFESSIONAL, (), True),
)  # fmt: skip


def demo_user(role: str) -> User:
    """The first demo account of a role (other apps' demo data builds on these)."""
    account = next(account for account in DEMO_ACCOUNTS if account.role == role)
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
            )
            if account.is_staff:
                user.is_superuser = True
                user.save(update_fields=["is_superuser"])
        EmailAddress.objects.update_or_create(
            user=user, email=account.email, defaults={"verified": True, "primary": True}
        )
        out.write(f"  {account.role:<7} {account.email:<32} {account.password}\n")
