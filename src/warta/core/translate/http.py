"""Plumbing shared by the HTTP translation engines (LibreTranslate, DeepL, OpenAI-compatible).

* :class:`EngineHTTP` posts JSON with a timeout, retries 429/5xx answers and connection
  failures with exponential back-off (``warta.core.fetch.retry_delay``) honouring
  Retry-After, spaces requests with a :class:`RateLimiter`, and wraps every failure once
  into :class:`TranslateError` with a message a person can act on
  ("DeepL: quota exceeded (HTTP 456)", "LibreTranslate at http://…: could not connect").
* :func:`plan_batches` cuts a list of segments into requests within an engine's limits.
* :class:`HTTPTranslator` is the ``Translator`` base: blank segments never leave the
  process, the rest go out in planned batches, and the engine must answer one text per text.

Sleeping and the clock are injectable so that tests exercise back-off and rate limiting
without waiting.
"""

from __future__ import annotations

import json
import logging
import math
import random
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from warta import __version__
from warta.core.errors import TranslateError
from warta.core.fetch import retry_delay

log = logging.getLogger("warta.translate")

Sleep = Callable[[float], None]
Clock = Callable[[], float]
# (status, parsed JSON body or raw text) -> the reason shown to the operator
DescribeError = Callable[[int, Any], str]

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
USER_AGENT = f"warta/{__version__} (+https://github.com/warta-news/warta)"


class RateLimiter:
    """At most ``rate`` requests per second, evenly spaced (``0`` = no limit). Thread-safe:
    each caller reserves the next free slot under a lock and sleeps outside it."""

    def __init__(
        self, rate: float, *, clock: Clock = time.monotonic, sleep: Sleep = time.sleep
    ) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._clock = clock
        self._sleep = sleep
        self._next = -math.inf
        self._lock = threading.Lock()

    def wait(self) -> float:
        """Block until the caller may send; return the seconds waited."""
        if not self.interval:
            return 0.0
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
        delay = slot - now
        if delay > 0:
            self._sleep(delay)
        return max(0.0, delay)


def plan_batches(texts: Sequence[str], max_segments: int, max_chars: int) -> list[list[int]]:
    """Indices of ``texts`` grouped into requests of at most ``max_segments`` segments and
    ``max_chars`` characters, keeping the input order. A single segment longer than
    ``max_chars`` goes alone (it is never cut: the engine decides whether it can take it)."""
    batches: list[list[int]] = []
    current: list[int] = []
    chars = 0
    for i, text in enumerate(texts):
        if current and (len(current) >= max_segments or chars + len(text) > max_chars):
            batches.append(current)
            current, chars = [], 0
        current.append(i)
        chars += len(text)
    if current:
        batches.append(current)
    return batches


def error_reason(status: int, body: Any) -> str:
    """The server's own words for an error: ``error``/``message``/``detail`` of a JSON body
    (also ``{"error": {"message": ...}}``), or a short plain-text body."""
    if isinstance(body, dict):
        for key in ("error", "message", "detail"):
            value = body.get(key)
            if isinstance(value, dict):
                value = value.get("message")
            if isinstance(value, str) and value.strip():
                return value.strip()
    if isinstance(body, str) and body.strip() and len(body) < 300 and "<" not in body:
        return body.strip()
    return "request failed"


class EngineHTTP:
    """One engine's HTTP door: a pooled client, retries with back-off, a rate limit.

    ``label`` names the engine in messages ("DeepL", "LibreTranslate at http://host:5000").
    ``retries`` is the number of retries after the first attempt. A Retry-After longer than
    ``max_wait`` seconds is not waited for: the request fails at once (so a fallback engine
    can take over and the pipeline retries later).
    """

    def __init__(
        self,
        label: str,
        base_url: str,
        *,
        timeout: float = 30.0,
        retries: int = 3,
        backoff_base: float = 1.0,
        backoff_cap: float = 30.0,
        max_wait: float = 60.0,
        rate_limit: float = 0.0,
        headers: dict[str, str] | None = None,
        describe_error: DescribeError = error_reason,
        retry_statuses: frozenset[int] = RETRY_STATUSES,
        sleep: Sleep = time.sleep,
        clock: Clock = time.monotonic,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.label = label
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retries = max(0, retries)
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.max_wait = max_wait
        self.describe_error = describe_error
        self.retry_statuses = retry_statuses
        self.limiter = RateLimiter(rate_limit, clock=clock, sleep=sleep)
        self._sleep = sleep
        self._rng = rng
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout),
            headers={
                "User-Agent": USER_AGENT,
                "Accept": "application/json",
                "Content-Type": "application/json",
                **(headers or {}),
            },
            follow_redirects=False,
            trust_env=False,
        )

    @property
    def where(self) -> str:
        """The label with the server's address, for connection problems."""
        return self.label if self.base_url in self.label else f"{self.label} at {self.base_url}"

    def close(self) -> None:
        self._client.close()

    def post_json(self, path: str, payload: dict[str, Any]) -> Any:
        """POST ``payload`` as JSON to ``base_url + path``; return the decoded JSON answer.

        Retries (up to ``retries`` times) connection failures, timeouts and the statuses in
        ``retry_statuses``; any other 4xx/5xx fails at once. Raises TranslateError."""
        url = self.base_url + path
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        attempt = 0
        while True:
            self.limiter.wait()
            retry_after: str | None = None
            try:
                response = self._client.post(url, content=body)
            except httpx.HTTPError as e:
                failure = TranslateError(self._transport_message(e))
                cause: BaseException = e
            else:
                if response.status_code < 400:
                    return self._decode(response)
                failure = self._status_error(response)
                cause = failure
                if response.status_code not in self.retry_statuses:
                    raise failure
                retry_after = response.headers.get("retry-after")
            attempt += 1
            asked = retry_delay(0, cap=math.inf, retry_after=retry_after)
            if attempt > self.retries or asked > self.max_wait:
                if asked > self.max_wait:
                    failure = TranslateError(f"{failure} (the server asks to wait {asked:.0f} s)")
                elif self.retries:
                    failure = TranslateError(f"{failure}; gave up after {attempt} attempts")
                raise failure from cause
            delay = retry_delay(
                attempt,
                base=self.backoff_base,
                cap=self.backoff_cap,
                retry_after=retry_after,
                rng=self._rng,
            )
            log.info("%s; retry %d/%d in %.1f s", failure, attempt, self.retries, delay)
            self._sleep(delay)

    def _transport_message(self, e: httpx.HTTPError) -> str:
        if isinstance(e, httpx.ConnectError | httpx.ConnectTimeout):
            return f"{self.where}: could not connect ({e})"
        if isinstance(e, httpx.TimeoutException):
            return f"{self.where}: no answer within {self.timeout:g} s"
        return f"{self.where}: connection failed ({e.__class__.__name__}: {e})"

    def _status_error(self, response: httpx.Response) -> TranslateError:
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text
        reason = self.describe_error(response.status_code, body)
        return TranslateError(f"{self.label}: {reason} (HTTP {response.status_code})")

    def _decode(self, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError as e:
            raise TranslateError(
                f"{self.label}: the answer is not JSON (HTTP {response.status_code})"
            ) from e


class HTTPTranslator:
    """Base of the HTTP engines. Subclasses set ``name``, ``http`` and implement
    ``_translate_chunk`` (one request, one output per input, in order)."""

    name = "http"
    http: EngineHTTP

    def __init__(self, *, max_segments: int, max_chars: int) -> None:
        self.max_segments = max(1, max_segments)
        self.max_chars = max(1, max_chars)

    @property
    def model_id(self) -> str:
        return self.name

    def translate_batch(self, texts: list[str], source: str, target: str) -> list[str]:
        """Translate ``texts`` (one output per input, in order). Blank inputs come back
        unchanged without a request; the others go out in batches within the engine's
        segment and character limits. Raises TranslateError, never returns partial results."""
        out = list(texts)
        todo = [i for i, text in enumerate(texts) if text.strip()]
        for batch in plan_batches([texts[i] for i in todo], self.max_segments, self.max_chars):
            indices = [todo[j] for j in batch]
            got = self._translate_chunk([texts[i] for i in indices], source, target)
            if len(got) != len(indices):
                raise TranslateError(
                    f"{self.http.label}: returned {len(got)} translations "
                    f"for {len(indices)} segments"
                )
            for i, text in zip(indices, got, strict=True):
                out[i] = text
        return out

    def _translate_chunk(self, texts: list[str], source: str, target: str) -> list[str]:
        raise NotImplementedError

    def close(self) -> None:
        self.http.close()
