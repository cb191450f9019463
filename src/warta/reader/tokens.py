"""Signed links for subscribers: confirm, preferences, unsubscribe.

A token is ``TimestampSigner(salt=purpose).sign("<id>.<key>")``: it names the subscriber,
cannot be forged without the site's secret key, is valid for one purpose only, and dies
with the subscriber's ``key`` (deleting a subscriber, or giving them a new key, voids every
link ever mailed to them). Confirmation links expire after ``newsletter.confirm_hours``;
preference and unsubscribe links do not (a reader must be able to leave from a year-old mail).
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing

from warta.core.errors import WartaError
from warta.reader.models import Subscriber

PURPOSES = ("confirm", "preferences", "unsubscribe")


class TokenError(WartaError):
    """A link that cannot be used; ``reason`` is ``expired`` or ``invalid``."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"link {reason}")


def _signer(purpose: str) -> signing.TimestampSigner:
    if purpose not in PURPOSES:
        raise ValueError(purpose)
    return signing.TimestampSigner(salt=f"warta.reader.{purpose}")


def make_token(subscriber: Subscriber, purpose: str) -> str:
    return _signer(purpose).sign(f"{subscriber.pk}.{subscriber.key}")


def confirm_max_age() -> int:
    """Seconds a confirmation link is valid."""
    return int(settings.WARTA["newsletter.confirm_hours"]) * 3600


def read_token(token: str, purpose: str) -> Subscriber:
    """The subscriber ``token`` was made for. Raises ``TokenError("expired")`` for a
    confirmation link older than ``newsletter.confirm_hours``, ``TokenError("invalid")``
    for anything tampered, made for another purpose, or naming a deleted subscriber."""
    max_age = confirm_max_age() if purpose == "confirm" else None
    try:
        value = _signer(purpose).unsign(token, max_age=max_age)
    except signing.SignatureExpired as e:
        raise TokenError("expired") from e
    except signing.BadSignature as e:
        raise TokenError("invalid") from e
    pk, _, key = value.partition(".")
    subscriber = Subscriber.objects.filter(pk=int(pk) if pk.isdigit() else 0, key=key).first()
    if subscriber is None:
        raise TokenError("invalid")
    return subscriber
