"""One exception tree for warta. Library exceptions are wrapped once, at their adapter."""

from __future__ import annotations


class WartaError(Exception):
    """Base of every error warta raises on purpose. ``str(err)`` is readable by a person."""


class ConfigError(WartaError):
    def __init__(self, key: str, message: str) -> None:
        self.key = key
        super().__init__(f"config {key}: {message}")


class FetchError(WartaError):
    """An HTTP fetch failed: unreachable host, timeout, bad status, too large."""

    def __init__(self, url: str, message: str, status: int | None = None) -> None:
        self.url = url
        self.status = status
        super().__init__(f"{message} ({url})")


class FeedParseError(WartaError):
    def __init__(self, url: str, message: str) -> None:
        self.url = url
        super().__init__(f"feed could not be read: {message} ({url})")


class ExtractError(WartaError):
    """The page is not an article we can publish; ``reason`` says why."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"{reason} ({url})")


class TranslateError(WartaError):
    pass


class ModelNotInstalledError(TranslateError):
    def __init__(self, pair: str, hint: str = "") -> None:
        self.pair = pair
        msg = f"no translation model installed for {pair}"
        if hint:
            msg += f"; {hint}"
        super().__init__(msg)


class ModelInstallError(TranslateError):
    pass
