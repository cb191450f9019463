"""When to poll a source next: a pure decision ("Decider") from the last poll's outcome.

No I/O and no clock: ``now`` and the jitter source ``rng`` are arguments, so every rule is a
row in a table test (tests/test_schedule.py).

Rules, in order:

- **410 Gone** — the feed was removed on purpose: the source is disabled, with the reason
  kept for the operator (``PollDelay.disable``).
- **Errors** (any other failure; ``error_count`` consecutive ones, this one included) —
  exponential back-off from the source's interval, ``default * 2**(n-1)`` with ±25 %
  jitter, capped at ``max_interval``. From ``ERRORS_BEFORE_MAX`` consecutive errors on, the
  source polls at ``max_interval`` and stays enabled: it never gives up silently.
  A Retry-After (429/503, seconds or HTTP date) is honoured as a minimum.
- **Success or 304** — the source's interval, lengthened (never shortened) by what the
  server asks: Cache-Control ``max-age`` (``s-maxage`` ignored: we are not a shared cache),
  ``Expires`` (relative to the response's ``Date``, else ``now``), the RSS ``<ttl>``
  (minutes). ``no-cache``/``no-store`` are not hints to poll faster.

Every result is then clamped to ``[min_interval, max_interval]``.
"""

from __future__ import annotations

import email.utils
import random
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import NamedTuple

ERRORS_BEFORE_MAX = 8
"""Consecutive errors after which a source polls at its maximum interval."""

_RETRY_AFTER_STATUSES = frozenset({429, 503})


class PollDelay(NamedTuple):
    """``seconds`` until the next poll and the ``reason`` (shown to the operator).
    ``disable`` is non-empty when the source must be disabled, and says why."""

    seconds: float
    reason: str
    disable: str = ""


def next_poll_delay(
    *,
    status: int | None,
    headers: Mapping[str, str],
    feed_ttl: int | None,
    error_count: int,
    min_interval: float,
    max_interval: float,
    default_interval: float,
    now: datetime,
    rng: Callable[[], float] = random.random,
) -> PollDelay:
    """Decide the delay before the next poll of a source.

    ``status`` is the HTTP status of the last poll (None when no response came: timeout,
    refused connection, unreadable feed); ``headers`` its headers with lower-case keys;
    ``feed_ttl`` the feed's ``<ttl>`` in minutes; ``error_count`` the consecutive failures
    including this poll (0 after a success). Intervals are in seconds; ``now`` is aware.
    ``rng`` returns floats in [0, 1) for the back-off jitter.
    """
    low = max(0.0, float(min_interval))
    high = max(low, float(max_interval))
    if status == 410:
        return PollDelay(high, "HTTP 410 Gone: the feed was removed", "HTTP 410 Gone: the "
                         "publisher removed this feed; enable the source again if it returns")
    if error_count > 0:
        return _clamp(_error_delay(status, headers, error_count, default_interval, high, now,
                                   rng), low, high)
    return _clamp(_success_delay(headers, feed_ttl, default_interval, now), low, high)


def _error_delay(
    status: int | None,
    headers: Mapping[str, str],
    error_count: int,
    default_interval: float,
    high: float,
    now: datetime,
    rng: Callable[[], float],
) -> PollDelay:
    if error_count >= ERRORS_BEFORE_MAX:
        delay = PollDelay(high, f"{error_count} consecutive errors: polling at the maximum "
                          "interval until the source recovers")
    else:
        raw = float(default_interval) * 2.0 ** (error_count - 1)
        delay = PollDelay(min(high, raw * (0.75 + 0.5 * rng())),
                          f"back-off after {error_count} consecutive error(s)")
    if status in _RETRY_AFTER_STATUSES:
        server = parse_retry_after(headers.get("retry-after"), now)
        if server is not None and server > delay.seconds:
            delay = PollDelay(server, f"HTTP {status}: Retry-After {server:g} s")
    return delay


def _success_delay(
    headers: Mapping[str, str], feed_ttl: int | None, default_interval: float, now: datetime
) -> PollDelay:
    delay = PollDelay(float(default_interval), "the source's poll interval")
    hints: list[PollDelay] = []
    max_age = cache_max_age(headers.get("cache-control"))
    if max_age is not None:
        hints.append(PollDelay(max_age, f"Cache-Control max-age={max_age:g}"))
    elif (expires := _expires_in(headers, now)) is not None:
        hints.append(PollDelay(expires, f"Expires in {expires:g} s"))
    if feed_ttl is not None and feed_ttl > 0:
        hints.append(PollDelay(feed_ttl * 60.0, f"feed <ttl> {feed_ttl} min"))
    for hint in hints:
        if hint.seconds > delay.seconds:
            delay = hint
    return delay


def _clamp(delay: PollDelay, low: float, high: float) -> PollDelay:
    if delay.seconds < low:
        return PollDelay(low, f"{delay.reason}; raised to the minimum interval {low:g} s")
    if delay.seconds > high:
        return PollDelay(high, f"{delay.reason}; capped at the maximum interval {high:g} s")
    return delay


def cache_max_age(value: str | None) -> float | None:
    """``max-age`` seconds of a Cache-Control header; None when absent, malformed, or
    the response forbids caching (``no-store``, ``no-cache``)."""
    if not value:
        return None
    directives: dict[str, str] = {}
    for part in value.split(","):
        key, _, arg = part.strip().partition("=")
        directives[key.strip().lower()] = arg.strip().strip('"')
    if "no-store" in directives or "no-cache" in directives:
        return None
    arg = directives.get("max-age", "")
    return float(arg) if arg.isdigit() else None


def _expires_in(headers: Mapping[str, str], now: datetime) -> float | None:
    expires = _http_date(headers.get("expires"))
    if expires is None:
        return None
    origin = _http_date(headers.get("date")) or now
    return max(0.0, (expires - origin).total_seconds())


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Retry-After (delta-seconds or HTTP date) as seconds from ``now``; None if absent or
    unreadable."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    when = _http_date(value)
    return None if when is None else max(0.0, (when - now).total_seconds())


def _http_date(value: str | None) -> datetime | None:
    if not value or not value.strip():
        return None
    try:
        when = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when
