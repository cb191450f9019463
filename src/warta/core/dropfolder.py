"""Drop folders: agencies deliver wire files (ninjs, NewsML-G2, NITF, RSS) by FTP/SFTP into
a local folder; a source ``dir:///path`` reads the new ones on each poll.

``read_folder`` is the one entry point. Its contract:

- a file is *new* when its name, modification time and size differ from what ``seen``
  (the state returned by the previous poll) recorded: a file replaced by a new version
  is read again, an unchanged one is skipped;
- a file still being written is left for the next poll: hidden files (``.name``, the
  rsync/FTP temporaries), names ending ``.tmp``/``.part``/``.partial``/``.filepart``/
  ``.crdownload``, and files modified less than ``settle_seconds`` ago;
- a file that cannot be parsed is reported in ``errors`` and remembered (it is not read
  again until it changes); one that cannot be *read* (permissions, vanished) is reported
  and retried on the next poll; the other files go on either way;
- the returned ``seen`` holds only names still in the folder, so it never grows without
  bound.

Raises ``FetchError`` when the folder itself is missing or unreadable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from warta.core.errors import FeedParseError, FetchError
from warta.core.feeds import ParsedFeed, parse_feed

PARTIAL_SUFFIXES = (".tmp", ".part", ".partial", ".filepart", ".crdownload", ".lock")
MAX_FILE_BYTES = 10_000_000


@dataclass(frozen=True)
class DropFile:
    name: str
    path: Path
    mtime_ns: int
    size: int

    @property
    def key(self) -> str:
        """What identifies this version of the file in ``seen``."""
        return f"{self.mtime_ns}:{self.size}"


@dataclass
class FolderRead:
    """One poll of a drop folder: ``feeds`` parsed from new files, in name order,
    ``errors`` as (file name, message), ``pending`` names left for the next poll, and the
    ``seen`` state to store for the next call."""

    feeds: list[tuple[DropFile, ParsedFeed]] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    seen: dict[str, str] = field(default_factory=dict)


def is_folder_url(url: str) -> bool:
    return url.startswith("dir://")


def folder_path(url: str) -> Path:
    """``dir:///srv/wire/ap`` → ``/srv/wire/ap``. Raises FetchError for a relative path."""
    parts = urlsplit(url)
    if parts.scheme != "dir" or parts.netloc or not parts.path.startswith("/"):
        raise FetchError(url, "a drop folder must be dir:///absolute/path")
    return Path(unquote(parts.path))


def read_folder(
    url: str,
    seen: Mapping[str, str],
    *,
    now: float,
    format: str | None = None,
    settle_seconds: float = 2.0,
    max_bytes: int = MAX_FILE_BYTES,
) -> FolderRead:
    """Parse the new files of the drop folder ``url`` (see the module docstring).
    ``now`` is the current time as a POSIX timestamp; ``format`` the source's format."""
    files = list_files(url)
    result = FolderRead()
    for f in files:
        if is_partial(f, now=now, settle_seconds=settle_seconds):
            result.pending.append(f.name)
            if f.name in seen:
                result.seen[f.name] = seen[f.name]
            continue
        if seen.get(f.name) == f.key:
            result.seen[f.name] = f.key
            continue
        try:
            content = _read(f, max_bytes)
        except OSError as e:
            result.errors.append((f.name, f"could not read the file: {e.strerror or e}"))
            continue  # not remembered: tried again next poll
        result.seen[f.name] = f.key
        try:
            result.feeds.append((f, parse_feed(content, f.path.as_uri(), format=format)))
        except FeedParseError as e:
            result.errors.append((f.name, str(e)))
    return result


def list_files(url: str) -> list[DropFile]:
    """The regular files of the folder, by name. Raises FetchError if it is unreadable."""
    path = folder_path(url)
    try:
        entries = sorted(os.scandir(path), key=lambda d: d.name)
    except FileNotFoundError as e:
        raise FetchError(url, "drop folder not found") from e
    except NotADirectoryError as e:
        raise FetchError(url, "not a folder") from e
    except OSError as e:
        raise FetchError(url, f"could not read the drop folder: {e.strerror or e}") from e
    files = []
    for d in entries:
        try:
            if not d.is_file(follow_symlinks=False):
                continue
            st = d.stat(follow_symlinks=False)
        except OSError:
            continue  # vanished while listing
        files.append(DropFile(d.name, Path(d.path), st.st_mtime_ns, st.st_size))
    return files


def is_partial(f: DropFile, *, now: float, settle_seconds: float) -> bool:
    """Probably still being written: a temporary name, or modified too recently."""
    lowered = f.name.lower()
    if f.name.startswith(".") or lowered.endswith(PARTIAL_SUFFIXES):
        return True
    return f.mtime_ns / 1e9 > now - settle_seconds


def _read(f: DropFile, max_bytes: int) -> bytes:
    with f.path.open("rb") as fh:
        content = fh.read(max_bytes + 1)
    if len(content) > max_bytes:
        raise OSError(0, f"file larger than {max_bytes // 1_000_000} MB")
    return content
