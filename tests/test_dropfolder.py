"""Drop folders on a real temporary folder: new files once, replaced files again, files
still being written left alone, a bad file reported while the rest go on."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from warta.core.dropfolder import folder_path, read_folder
from warta.core.errors import FetchError

WIRE = Path(__file__).parent / "data" / "wire"
OLD = time.time() - 3600


def _drop(folder: Path, name: str, source: str | bytes, *, mtime: float = OLD) -> Path:
    path = folder / name
    if isinstance(source, bytes):
        path.write_bytes(source)
    else:
        shutil.copyfile(WIRE / source, path)
    os.utime(path, (mtime, mtime))
    return path


def _url(folder: Path) -> str:
    return "dir://" + str(folder)


def test_new_files_are_read_once_and_replaced_ones_again(tmp_path: Path) -> None:
    _drop(tmp_path, "a.json", "ninjs1-text.json")
    _drop(tmp_path, "b.xml", "newsml-xhtml.xml")
    first = read_folder(_url(tmp_path), {}, now=time.time())
    assert [f.name for f, _ in first.feeds] == ["a.json", "b.xml"] and not first.errors
    assert [feed.format for _, feed in first.feeds] == ["ninjs1", "newsml-g2"]
    again = read_folder(_url(tmp_path), first.seen, now=time.time())
    assert again.feeds == [] and again.seen == first.seen
    _drop(tmp_path, "b.xml", "newsml-nitf-message.xml", mtime=OLD + 60)
    third = read_folder(_url(tmp_path), again.seen, now=time.time())
    assert [f.name for f, _ in third.feeds] == ["b.xml"]


def test_files_being_written_wait_for_the_next_poll(tmp_path: Path) -> None:
    now = time.time()
    _drop(tmp_path, "fresh.json", "ninjs1-text.json", mtime=now - 0.5)
    _drop(tmp_path, "c.json.part", "ninjs1-text.json")
    _drop(tmp_path, "d.tmp", "ninjs1-text.json")
    _drop(tmp_path, ".e.json.Xa12", "ninjs1-text.json")
    result = read_folder(_url(tmp_path), {}, now=now)
    assert result.feeds == [] and sorted(result.pending) == [
        ".e.json.Xa12", "c.json.part", "d.tmp", "fresh.json"]
    later = read_folder(_url(tmp_path), result.seen, now=now + 10)
    assert [f.name for f, _ in later.feeds] == ["fresh.json"]


def test_a_bad_file_is_reported_and_the_rest_go_on(tmp_path: Path) -> None:
    _drop(tmp_path, "1-bomb.xml", "entity-bomb-newsml.xml")
    _drop(tmp_path, "2-garbage.json", b"{not json")
    _drop(tmp_path, "3-good.xml", "nitf-bare.xml")
    result = read_folder(_url(tmp_path), {}, now=time.time())
    assert [f.name for f, _ in result.feeds] == ["3-good.xml"]
    assert [name for name, _ in result.errors] == ["1-bomb.xml", "2-garbage.json"]
    assert "entities" in result.errors[0][1]
    # remembered: not reported again until the file changes
    assert read_folder(_url(tmp_path), result.seen, now=time.time()).errors == []


def test_an_unreadable_file_is_retried_next_poll(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    _drop(tmp_path, "locked.json", "ninjs1-text.json")
    real_open = Path.open

    def refuse(self: Path, *args: Any, **kwargs: Any) -> Any:
        # chmod 0 does not stop root (CI runs as root): refuse the read the way the OS would
        if self.name == "locked.json":
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)
    result = read_folder(_url(tmp_path), {}, now=time.time())
    assert result.errors and "could not read" in result.errors[0][1]
    assert "locked.json" not in result.seen
    monkeypatch.setattr(Path, "open", real_open)
    assert read_folder(_url(tmp_path), result.seen, now=time.time()).feeds


def test_seen_state_forgets_deleted_files(tmp_path: Path) -> None:
    path = _drop(tmp_path, "a.json", "ninjs1-text.json")
    seen = read_folder(_url(tmp_path), {}, now=time.time()).seen
    path.unlink()
    assert read_folder(_url(tmp_path), seen, now=time.time()).seen == {}


def test_format_from_the_source_is_used(tmp_path: Path) -> None:
    _drop(tmp_path, "story.dat", "newsml-xhtml.xml")
    result = read_folder(_url(tmp_path), {}, now=time.time(), format="newsml")
    assert result.feeds[0][1].entries[0].version == 3


def test_missing_folder_and_bad_urls_are_fetch_errors(tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="not found"):
        read_folder(_url(tmp_path / "nope"), {}, now=time.time())
    with pytest.raises(FetchError, match="absolute"):
        folder_path("dir://relative/path")
    assert folder_path("dir:///srv/wire%20feeds") == Path("/srv/wire feeds")
