"""The local model store: install (Argos index, ``.argosmodel`` file, OPUS-MT conversion),
list and remove translation models. One directory per language pair: ``ROOT/<src>-<tgt>/``.

Installs are atomic: a package is checked, extracted into a temporary directory inside the
store and renamed into place, so a failed or interrupted install leaves nothing behind and
never damages the model already installed for that pair. Installing again replaces it.
"""

from __future__ import annotations

import builtins
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import httpx
from tqdm import tqdm

from warta.core.errors import ModelInstallError, ModelNotInstalledError, TranslateError

DEFAULT_INDEX_URL = "https://raw.githubusercontent.com/argosopentech/argospm-index/main/index.json"
INSTALL_HINT = "install from a downloaded file instead: `warta models install {pair} --from FILE`"
_PAIR_RE = re.compile(r"^[a-z]{2,3}(?:_[A-Za-z]{2,4})?-[a-z]{2,3}(?:_[A-Za-z]{2,4})?$")
_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


@dataclass(frozen=True)
class InstalledModel:
    pair: str  # "en-id"
    kind: str  # "argos" | "opus-mt"
    version: str
    path: Path
    size: int  # bytes on disk


def check_pair(pair: str) -> str:
    """Return ``pair`` if it looks like ``en-id``; raise TranslateError otherwise (it is
    used as a directory name, so nothing else may pass)."""
    if not _PAIR_RE.match(pair):
        raise TranslateError(f"bad language pair {pair!r} (expected e.g. en-id)")
    return pair


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", version))


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


class ModelStore:
    """Installed models under ``root``. Thread-safe within a process (one install at a time);
    across processes the atomic rename keeps each pair's directory whole."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._lock = threading.Lock()

    # -- query -----------------------------------------------------------------------

    def list(self) -> builtins.list[InstalledModel]:
        """Installed models sorted by pair; directories without readable metadata are skipped."""
        if not self.root.is_dir():
            return []
        found = []
        for path in sorted(self.root.iterdir()):
            if path.is_dir() and _PAIR_RE.match(path.name):
                meta = _read_metadata(path)
                if meta is not None:
                    kind = str(meta.get("kind") or "argos")
                    found.append(
                        InstalledModel(
                            path.name,
                            kind,
                            str(meta.get("package_version", "")),
                            path,
                            _dir_size(path),
                        )
                    )
        return found

    def path_for(self, pair: str) -> Path:
        """Directory of the model for ``pair``. Raises ModelNotInstalledError if none."""
        path = self.root / check_pair(pair)
        if _read_metadata(path) is None:
            raise ModelNotInstalledError(pair, hint=f"run `warta models install {pair}`")
        return path

    def remove(self, pair: str) -> bool:
        """Delete the model for ``pair``. Idempotent: returns False if none was installed."""
        path = self.root / check_pair(pair)
        with self._lock:
            if not path.exists():
                return False
            trash = self._tmpdir("remove-")
            path.rename(trash / pair)  # atomic: readers never see a half-deleted model
            shutil.rmtree(trash, ignore_errors=True)
        return True

    # -- install ---------------------------------------------------------------------

    def install_from_file(self, path: Path) -> InstalledModel:
        """Install an Argos ``.argosmodel`` zip. Checks that it is a zip with intact CRCs, no
        member escaping the package (absolute paths, ``..``, links), a ``metadata.json`` with
        ``from_code``/``to_code``, ``model/model.bin`` and ``sentencepiece.model``. Replaces an
        existing model for the same pair. Raises ModelInstallError; on error nothing changes."""
        path = Path(path)
        try:
            with zipfile.ZipFile(path) as zf:
                prefix, meta = _check_package_zip(zf, path)
                pair = check_pair(f"{meta['from_code']}-{meta['to_code']}")
                with self._lock:
                    staging = self._tmpdir("install-")
                    try:
                        _extract(zf, prefix, staging / "pkg")
                        self._move_into_place(staging / "pkg", pair)
                    finally:
                        shutil.rmtree(staging, ignore_errors=True)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError) as e:
            raise ModelInstallError(f"{path.name} is not a readable model package: {e}") from e
        except TranslateError as e:
            if isinstance(e, ModelInstallError):
                raise
            raise ModelInstallError(f"{path.name}: {e}") from e
        return self._info(pair)

    def install_from_index(
        self, pair: str, index_url: str = DEFAULT_INDEX_URL, progress: bool = True
    ) -> InstalledModel:
        """Download and install the newest package for ``pair`` listed in an Argos package
        index. Verifies the sha256 when the index gives one, and zip CRCs always.
        Raises ModelInstallError (unreachable index or host, no package, bad download);
        nothing is installed or left behind on failure."""
        check_pair(pair)
        entry = _pick_package(_fetch_index(index_url, pair), pair, index_url)
        expected = _expected_sha256(entry)
        links = [str(u) for u in entry.get("links") or []]
        if not links:
            raise ModelInstallError(f"index entry for {pair} has no download links")
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".download-", suffix=".argosmodel", dir=self.root)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            digest = _download_any(links, tmp, pair, progress)
            if expected and digest != expected:
                raise ModelInstallError(
                    f"checksum mismatch for {pair} package (expected sha256 {expected}, "
                    f"got {digest}); the download is corrupt or was tampered with"
                )
            return self.install_from_file(tmp)
        finally:
            tmp.unlink(missing_ok=True)

    def install_opus_mt(
        self,
        path: Path,
        pair: str | None = None,
        *,
        quantization: str | None = None,
        source_prefix_token: str | None = None,
    ) -> InstalledModel:
        """Convert a Marian OPUS-MT model directory (``decoder.yml``, ``model.npz``, vocab,
        ``source.spm``, ``target.spm``) with CTranslate2's ``OpusMTConverter`` and install it.
        ``pair`` defaults to the ``xx-yy`` at the end of the directory name (``opus-mt-en-id``).
        ``source_prefix_token`` (e.g. ``>>ind<<``) is prepended to every input, as multi-target
        OPUS-MT models require. Raises ModelInstallError."""
        src = Path(path)
        pair = check_pair(pair or _pair_from_name(src.name))
        needed = ("decoder.yml", "source.spm", "target.spm")
        missing = [n for n in needed if not (src / n).is_file()]
        if missing:
            raise ModelInstallError(
                f"{src} is not an OPUS-MT model directory (missing {', '.join(missing)})"
            )
        from ctranslate2.converters import OpusMTConverter  # slow import; only needed here

        with self._lock:
            staging = self._tmpdir("convert-")
            try:
                out = staging / "pkg"
                try:
                    OpusMTConverter(str(src)).convert(str(out), quantization=quantization)
                except Exception as e:  # the converter raises anything: yaml, KeyError, numpy
                    missing = _missing_marian_weights(src)
                    detail = f"{_MISSING_WEIGHTS}: {', '.join(missing)}" if missing else str(e)
                    raise ModelInstallError(f"cannot convert OPUS-MT model {src}: {detail}") from e
                for name in ("source.spm", "target.spm"):
                    shutil.copy2(src / name, out / name)
                _write_opus_metadata(out, pair, src.name, source_prefix_token)
                self._move_into_place(out, pair)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        return self._info(pair)

    # -- helpers ---------------------------------------------------------------------

    def _tmpdir(self, prefix: str) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f".{prefix}", dir=self.root))

    def _move_into_place(self, new: Path, pair: str) -> None:
        """Rename ``new`` to ``ROOT/pair``; an old model is moved aside first, then deleted."""
        final = self.root / pair
        old = None
        if final.exists():
            old = self._tmpdir("old-")
            final.rename(old / pair)
        new.rename(final)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def _info(self, pair: str) -> InstalledModel:
        for model in self.list():
            if model.pair == pair:
                return model
        raise ModelInstallError(f"model for {pair} vanished right after install")


def _read_metadata(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((path / "metadata.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _safe_member(name: str) -> PurePosixPath:
    """Reject names that could write outside the extraction directory."""
    member = PurePosixPath(name.replace("\\", "/"))
    if member.is_absolute() or ".." in member.parts or (member.parts and ":" in member.parts[0]):
        raise ModelInstallError(f"unsafe path in package: {name!r}")
    return member


def _check_package_zip(zf: zipfile.ZipFile, path: Path) -> tuple[str, dict[str, Any]]:
    """Validate a package zip; return (member prefix of the package root, metadata)."""
    for info in zf.infolist():
        _safe_member(info.filename)
        if (info.external_attr >> 16) & 0o170000 == 0o120000:
            raise ModelInstallError(f"symbolic link in package: {info.filename!r}")
    bad = zf.testzip()
    if bad is not None:
        raise ModelInstallError(f"{path.name} is corrupt (CRC error in {bad})")
    names = set(zf.namelist())
    metas = sorted((n for n in names if PurePosixPath(n).name == "metadata.json"), key=len)
    if not metas:
        raise ModelInstallError(f"{path.name} has no metadata.json; not an Argos package")
    prefix = metas[0][: -len("metadata.json")]
    if prefix.count("/") > 1:
        raise ModelInstallError(f"{path.name}: metadata.json is nested too deep ({metas[0]})")
    try:
        meta = json.loads(zf.read(metas[0]).decode("utf-8"))
    except ValueError as e:
        raise ModelInstallError(f"{path.name}: metadata.json is not valid JSON: {e}") from e
    if not isinstance(meta, dict) or not meta.get("from_code") or not meta.get("to_code"):
        raise ModelInstallError(f"{path.name}: metadata.json lacks from_code/to_code")
    for required in ("model/model.bin", "sentencepiece.model"):
        if prefix + required not in names:
            raise ModelInstallError(f"{path.name} lacks {required}; not an Argos package")
    return prefix, meta


def _extract(zf: zipfile.ZipFile, prefix: str, dest: Path) -> None:
    """Extract the members under ``prefix`` into ``dest``, skipping ``stanza/`` (unused)."""
    dest.mkdir(parents=True)
    for info in zf.infolist():
        if not info.filename.startswith(prefix) or info.is_dir():
            continue
        rel = _safe_member(info.filename[len(prefix) :])
        if not rel.parts or rel.parts[0] == "stanza":
            continue
        target = dest.joinpath(*rel.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        with zf.open(info) as src, open(target, "wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)
    meta = json.loads((dest / "metadata.json").read_text(encoding="utf-8"))
    meta.setdefault("kind", "argos")
    (dest / "metadata.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")


def _unreachable(what: str, url: str, pair: str, err: Exception) -> ModelInstallError:
    return ModelInstallError(
        f"cannot download the {what} from {url}: {err}; " + INSTALL_HINT.format(pair=pair)
    )


def _fetch_index(url: str, pair: str) -> list[dict[str, Any]]:
    try:
        response = httpx.get(url, timeout=_TIMEOUT, follow_redirects=True)
        response.raise_for_status()
        data = response.json()
    except httpx.HTTPError as e:
        raise _unreachable("model index", url, pair, e) from e
    except ValueError as e:
        raise ModelInstallError(f"model index at {url} is not JSON: {e}") from e
    if not isinstance(data, list):
        raise ModelInstallError(f"model index at {url} is not a list of packages")
    return [p for p in data if isinstance(p, dict)]


def _pick_package(index: list[dict[str, Any]], pair: str, url: str) -> dict[str, Any]:
    """The newest (by ``package_version``) translate package for ``pair``."""
    src, tgt = pair.split("-")
    candidates = [
        p
        for p in index
        if p.get("from_code") == src
        and p.get("to_code") == tgt
        and p.get("type", "translate") == "translate"
    ]
    if not candidates:
        raise ModelInstallError(f"the index at {url} has no package for {pair}")
    return max(candidates, key=lambda p: _version_key(str(p.get("package_version", "0"))))


def _expected_sha256(entry: dict[str, Any]) -> str | None:
    value = entry.get("sha256") or entry.get("checksum")
    if not value:
        return None
    value = str(value).strip().lower()
    return value.removeprefix("sha256:")


def _download_any(links: list[str], dest: Path, pair: str, progress: bool) -> str:
    """Download the first link that works into ``dest``; return its sha256 hex digest."""
    errors: list[Exception] = []
    for url in links:
        try:
            return _download(url, dest, progress)
        except httpx.HTTPError as e:
            errors.append(e)
    raise _unreachable("model package", links[-1], pair, errors[-1]) from errors[-1]


def _download(url: str, dest: Path, progress: bool) -> str:
    digest = hashlib.sha256()
    with httpx.stream("GET", url, timeout=_TIMEOUT, follow_redirects=True) as response:
        response.raise_for_status()
        total = int(response.headers.get("content-length") or 0) or None
        with (
            open(dest, "wb") as out,
            tqdm(
                total=total,
                unit="B",
                unit_scale=True,
                desc=PurePosixPath(url).name,
                disable=not progress,
                file=sys.stderr,
            ) as bar,
        ):
            for chunk in response.iter_bytes(1 << 16):
                out.write(chunk)
                digest.update(chunk)
                bar.update(len(chunk))
    return digest.hexdigest()


def _pair_from_name(name: str) -> str:
    match = re.search(r"([a-z]{2,3})-([a-z]{2,3})$", name)
    if not match:
        raise ModelInstallError(f"cannot tell the language pair from {name!r}; pass it explicitly")
    return f"{match.group(1)}-{match.group(2)}"


_MISSING_WEIGHTS = "the model .npz lacks weight matrices"


def _missing_marian_weights(src: Path, limit: int = 8) -> builtins.list[str]:
    """Names of the weight matrices CTranslate2's Marian converter needs that the model's
    ``.npz`` lacks (at most ``limit``, then a count); ``[]`` if none or if the npz or its
    config cannot be read (the converter's own error is clearer then). Used only to explain
    a failed conversion: for a missing matrix the converter fails with messages such as
    ``No module named 'torch'`` or ``'NoneType' object has no attribute 'shape'``."""
    import numpy as np  # ctranslate2 dependencies, only needed on this error path
    import yaml

    try:
        decoder = yaml.safe_load((src / "decoder.yml").read_text(encoding="utf-8"))
        with np.load(src / str(decoder["models"][0])) as weights:
            names = set(weights.files)
            config = yaml.safe_load(weights["special:model.yml"][:-1].tobytes())
        depths = {"encoder": int(config["enc-depth"]), "decoder": int(config["dec-depth"])}
    except Exception:  # unreadable: leave the diagnosis to the converter's message
        return []
    missing = [
        f"{scope}_Wemb" for scope in depths if f"{scope}_Wemb" not in names and "Wemb" not in names
    ]
    for scope, depth in depths.items():
        blocks = ["self", "context", "ffn"] if scope == "decoder" else ["self", "ffn"]
        for layer in range(1, depth + 1):
            for block in blocks:
                for part in "12" if block == "ffn" else "qkvo":
                    name = f"{scope}_l{layer}_{block}_W{part}"
                    transposed = f"{scope}_l{layer}_{block}_Wt{part}"
                    if name not in names and transposed not in names:
                        missing.append(name)
    if len(missing) > limit:
        missing = [*missing[:limit], f"and {len(missing) - limit} more"]
    return missing


def _write_opus_metadata(out: Path, pair: str, name: str, prefix_token: str | None) -> None:
    src, tgt = pair.split("-")
    meta: dict[str, Any] = {
        "kind": "opus-mt",
        "from_code": src,
        "to_code": tgt,
        "package_version": "",
        "name": name.removeprefix("opus-mt-"),
    }
    if prefix_token:
        meta["source_prefix_token"] = prefix_token
    (out / "metadata.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
