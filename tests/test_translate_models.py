from __future__ import annotations

import hashlib
import json
import socket
import zipfile
from pathlib import Path

import pytest

from tests.support.httpserver import LocalHTTPServer
from tests.support.tinymodel import TinyModel, write_package, zip_package
from warta.core.errors import ModelInstallError, ModelNotInstalledError
from warta.core.translate.ct2 import CTranslate2Translator
from warta.core.translate.models import ModelStore


@pytest.fixture
def store(tmp_path: Path) -> ModelStore:
    return ModelStore(tmp_path / "models")


def _leftovers(store: ModelStore) -> list[str]:
    """Everything in the store that is not an installed model (temp dirs, downloads)."""
    if not store.root.exists():
        return []
    installed = {m.pair for m in store.list()}
    return sorted(p.name for p in store.root.iterdir() if p.name not in installed)


def test_install_from_file_then_list_and_translate(store: ModelStore, tiny: TinyModel) -> None:
    info = store.install_from_file(tiny.argosmodel)
    assert (info.pair, info.kind, info.version) == ("en-id", "argos", "1.0")
    assert store.list() == [info]
    assert info.size > 0 and store.path_for("en-id") == info.path
    assert _leftovers(store) == []
    model = CTranslate2Translator(store.path_for("en-id"))
    assert model.translate_batch(["Police in the city."], "en", "id") == ["Police di itu city."]


def test_reinstall_replaces_the_old_version(
    store: ModelStore, tiny: TinyModel, tmp_path: Path
) -> None:
    store.install_from_file(tiny.argosmodel)
    pkg = tmp_path / "translate-en_id-1_1"
    write_package(pkg, tiny.package_dir / "sentencepiece.model", version="1.1")
    store.install_from_file(zip_package(pkg, tmp_path / "new.argosmodel"))
    assert [(m.pair, m.version) for m in store.list()] == [("en-id", "1.1")]
    assert _leftovers(store) == []


def test_remove_is_idempotent(store: ModelStore, tiny: TinyModel) -> None:
    store.install_from_file(tiny.argosmodel)
    assert store.remove("en-id") is True
    assert store.remove("en-id") is False
    assert store.list() == []
    with pytest.raises(ModelNotInstalledError):
        store.path_for("en-id")


def _rezip(
    src: Path, dest: Path, extra: dict[str, bytes] | None = None, drop: str | None = None
) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w") as zout:
        for item in zin.infolist():
            if drop is None or not item.filename.endswith(drop):
                zout.writestr(item, zin.read(item))
        for name, data in (extra or {}).items():
            zout.writestr(name, data)
    return dest


@pytest.mark.parametrize("evil", ["../evil.txt", "/tmp/evil.txt", "pkg/../../evil.txt"])
def test_path_traversal_zip_is_rejected(
    store: ModelStore, tiny: TinyModel, tmp_path: Path, evil: str
) -> None:
    bad = _rezip(tiny.argosmodel, tmp_path / "bad.argosmodel", extra={evil: b"x"})
    with pytest.raises(ModelInstallError, match="unsafe path"):
        store.install_from_file(bad)
    assert store.list() == [] and _leftovers(store) == []
    assert not (tmp_path / "evil.txt").exists()


@pytest.mark.parametrize(
    ("drop", "message"),
    [
        ("metadata.json", "no metadata.json"),
        ("model/model.bin", "lacks model/model.bin"),
        ("sentencepiece.model", "lacks sentencepiece.model"),
    ],
)
def test_incomplete_package_is_rejected(
    store: ModelStore, tiny: TinyModel, tmp_path: Path, drop: str, message: str
) -> None:
    bad = _rezip(tiny.argosmodel, tmp_path / "bad.argosmodel", drop=drop)
    with pytest.raises(ModelInstallError, match=message):
        store.install_from_file(bad)
    assert store.list() == []


def test_metadata_without_codes_is_rejected(
    store: ModelStore, tiny: TinyModel, tmp_path: Path
) -> None:
    meta = f"{tiny.package_dir.name}/metadata.json"
    bad = _rezip(
        tiny.argosmodel,
        tmp_path / "bad.argosmodel",
        drop="metadata.json",
        extra={meta: json.dumps({"from_code": "en"}).encode()},
    )
    with pytest.raises(ModelInstallError, match="from_code/to_code"):
        store.install_from_file(bad)


def test_not_a_zip_is_rejected(store: ModelStore, tmp_path: Path) -> None:
    junk = tmp_path / "junk.argosmodel"
    junk.write_bytes(b"<html>404</html>")
    with pytest.raises(ModelInstallError, match="not a readable model package"):
        store.install_from_file(junk)


def test_crc_error_is_rejected(store: ModelStore, tiny: TinyModel, tmp_path: Path) -> None:
    data = bytearray(tiny.argosmodel.read_bytes())
    with zipfile.ZipFile(tiny.argosmodel) as zf:
        info = zf.getinfo(f"{tiny.package_dir.name}/metadata.json")
    at = info.header_offset + 30 + len(info.filename) + len(info.extra) + 5
    data[at] ^= 0xFF  # flip a byte inside the stored data of one member
    bad = tmp_path / "crc.argosmodel"
    bad.write_bytes(bytes(data))
    with pytest.raises(ModelInstallError):
        store.install_from_file(bad)
    assert store.list() == [] and _leftovers(store) == []


# -- install_from_index over a real local HTTP server ----------------------------------------


def _serve_index(server: LocalHTTPServer, package: bytes, sha256: str | None) -> str:
    newest = {
        "package_version": "1.9",
        "argos_version": "1.0",
        "from_code": "en",
        "from_name": "English",
        "to_code": "id",
        "to_name": "Indonesian",
        "code": "translate-en_id",
        "type": "translate",
        "links": [server.url("/missing.argosmodel"), server.url("/en_id-1_9.argosmodel")],
    }
    if sha256 is not None:
        newest["sha256"] = sha256
    older = dict(newest, package_version="1.2", links=[server.url("/en_id-1_2.argosmodel")])
    other = dict(newest, to_code="de", links=[server.url("/en_de.argosmodel")])
    server.add(
        "/en_id-1_9.argosmodel", package, headers={"Content-Type": "application/octet-stream"}
    )
    return server.add(
        "/index.json",
        json.dumps([older, other, newest]),
        headers={"Content-Type": "application/json"},
    )


def test_install_from_index_picks_newest_and_verifies_checksum(
    store: ModelStore, tiny: TinyModel, http_server: LocalHTTPServer
) -> None:
    package = tiny.argosmodel.read_bytes()
    index = _serve_index(http_server, package, hashlib.sha256(package).hexdigest())
    info = store.install_from_index("en-id", index, progress=False)
    assert info.pair == "en-id"
    paths = [r.path for r in http_server.requests]
    assert paths == ["/index.json", "/missing.argosmodel", "/en_id-1_9.argosmodel"]
    assert _leftovers(store) == []


def test_checksum_mismatch_installs_nothing(
    store: ModelStore, tiny: TinyModel, http_server: LocalHTTPServer
) -> None:
    index = _serve_index(http_server, tiny.argosmodel.read_bytes(), "0" * 64)
    with pytest.raises(ModelInstallError, match="checksum mismatch"):
        store.install_from_index("en-id", index, progress=False)
    assert store.list() == [] and _leftovers(store) == []


def test_truncated_package_is_rejected(
    store: ModelStore, tiny: TinyModel, http_server: LocalHTTPServer
) -> None:
    package = tiny.argosmodel.read_bytes()
    index = _serve_index(http_server, package[: len(package) // 2], sha256=None)
    with pytest.raises(ModelInstallError):
        store.install_from_index("en-id", index, progress=False)
    assert store.list() == [] and _leftovers(store) == []


def test_pair_missing_from_index(
    store: ModelStore, tiny: TinyModel, http_server: LocalHTTPServer
) -> None:
    index = _serve_index(http_server, b"", None)
    with pytest.raises(ModelInstallError, match="no package for en-fr"):
        store.install_from_index("en-fr", index, progress=False)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_index_says_how_to_install_from_file(store: ModelStore) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/index.json"
    with pytest.raises(ModelInstallError, match="--from FILE") as e:
        store.install_from_index("en-id", url, progress=False)
    assert "warta models install en-id --from FILE" in str(e.value)
    assert _leftovers(store) == []


def test_unreachable_package_host_says_how_to_install_from_file(
    store: ModelStore, http_server: LocalHTTPServer
) -> None:
    dead = f"http://127.0.0.1:{_closed_port()}/en_id.argosmodel"
    entry = {"from_code": "en", "to_code": "id", "package_version": "1.0", "links": [dead]}
    index = http_server.add("/index.json", json.dumps([entry]))
    with pytest.raises(ModelInstallError, match="--from FILE"):
        store.install_from_index("en-id", index, progress=False)
    assert store.list() == [] and _leftovers(store) == []


def test_install_opus_mt_requires_a_marian_directory(store: ModelStore, tmp_path: Path) -> None:
    src = tmp_path / "opus-mt-en-id"
    src.mkdir()
    (src / "source.spm").write_bytes(b"")
    with pytest.raises(ModelInstallError, match=r"missing decoder\.yml, target\.spm"):
        store.install_opus_mt(src)
    assert store.list() == []
