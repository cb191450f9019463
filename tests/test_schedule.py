"""The polling decider as a table: each row is one rule of core/schedule.py."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from warta.core.schedule import (
    ERRORS_BEFORE_MAX,
    cache_max_age,
    next_poll_delay,
    parse_retry_after,
)

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
HTTP_NOW = "Tue, 24 Nov 2026 10:00:00 GMT"


def _decide(**kw: Any) -> tuple[float, str, str]:
    args: dict[str, Any] = {
        "status": 200, "headers": {}, "feed_ttl": None, "error_count": 0, "min_interval": 60,
        "max_interval": 6 * 3600, "default_interval": 900, "now": NOW, "rng": lambda: 0.5,
    }
    args.update(kw)
    d = next_poll_delay(**args)
    return d.seconds, d.reason, d.disable


@pytest.mark.parametrize(
    ("kw", "seconds", "reason_part"),
    [
        ({}, 900, "poll interval"),
        ({"status": 304}, 900, "poll interval"),
        ({"headers": {"cache-control": "public, max-age=3600"}}, 3600, "max-age=3600"),
        # a short max-age does not make us poll faster than the source's interval
        ({"headers": {"cache-control": "max-age=30"}}, 900, "poll interval"),
        ({"headers": {"cache-control": "no-cache, max-age=3600"}}, 900, "poll interval"),
        ({"headers": {"expires": "Tue, 24 Nov 2026 12:00:00 GMT", "date": HTTP_NOW}}, 7200,
         "Expires"),
        ({"headers": {"expires": "0"}}, 900, "poll interval"),  # invalid date = expired
        ({"feed_ttl": 60}, 3600, "<ttl> 60 min"),
        ({"feed_ttl": 60, "headers": {"cache-control": "max-age=7200"}}, 7200, "max-age"),
        ({"feed_ttl": 1440}, 6 * 3600, "capped at the maximum"),
        ({"default_interval": 10}, 60, "raised to the minimum"),
        ({"status": 304, "headers": {"cache-control": "max-age=1800"}}, 1800, "max-age"),
    ],
)
def test_success_honours_server_hints(kw: dict[str, Any], seconds: float,
                                      reason_part: str) -> None:
    got, reason, disable = _decide(**kw)
    assert got == seconds and reason_part in reason and disable == ""


@pytest.mark.parametrize(("count", "seconds"), [(1, 900), (2, 1800), (3, 3600), (5, 14400),
                                                (6, 6 * 3600)])
def test_errors_back_off_exponentially_up_to_the_cap(count: int, seconds: float) -> None:
    got, _reason, disable = _decide(status=500, error_count=count)
    assert got == seconds and not disable


def test_back_off_has_jitter_within_a_quarter() -> None:
    low = _decide(status=None, error_count=2, rng=lambda: 0.0)[0]
    high = _decide(status=None, error_count=2, rng=lambda: 0.999999)[0]
    assert low == pytest.approx(1350) and high == pytest.approx(2250, rel=1e-5)


def test_many_errors_poll_at_the_maximum_and_stay_enabled() -> None:
    got, reason, disable = _decide(status=500, error_count=ERRORS_BEFORE_MAX,
                                   default_interval=1)
    assert got == 6 * 3600 and f"{ERRORS_BEFORE_MAX} consecutive errors" in reason
    assert disable == ""


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize(("retry_after", "seconds"),
                         [("7200", 7200), ("Tue, 24 Nov 2026 13:00:00 GMT", 10800),
                          ("120", 900), ("soon", 900), ("999999", 6 * 3600)])
def test_retry_after_is_a_minimum_on_429_and_503(status: int, retry_after: str,
                                                 seconds: float) -> None:
    got, _, _ = _decide(status=status, error_count=1, headers={"retry-after": retry_after})
    assert got == seconds


def test_retry_after_is_ignored_on_other_statuses() -> None:
    assert _decide(status=500, error_count=1, headers={"retry-after": "7200"})[0] == 900


def test_410_disables_the_source_with_a_reason() -> None:
    got, reason, disable = _decide(status=410, error_count=1)
    assert "410" in reason and "410 Gone" in disable and got == 6 * 3600


def test_max_below_min_is_treated_as_min() -> None:
    assert _decide(min_interval=600, max_interval=100, feed_ttl=600)[0] == 600


def test_header_helpers() -> None:
    assert cache_max_age('private, max-age="120"') == 120
    assert cache_max_age("max-age=abc") is None and cache_max_age(None) is None
    assert cache_max_age("no-store") is None
    assert parse_retry_after("Tue, 24 Nov 2026 09:00:00 GMT", NOW) == 0
    assert parse_retry_after("", NOW) is None
