"""Canonical URLs: one key for every spelling of the same article's address.

Feeds link the same story as ``https://Example.com:443/world/story/?utm_source=rss``,
``http://example.com/world/story#comments``, ``https://amp.example.com/world/story`` or
``https://example.com/amp/world/story?amp=1``. :func:`normalise_url` removes what does not
name the article (tracking parameters, fragments, default ports, AMP variants, a trailing
slash, ``www.``); :func:`url_key` hashes the result without its scheme (http and https
copies of one page are one story) for exact-duplicate detection. Pure functions, no I/O.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Parameters that track the reader, never choose the article.
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid",
    "igshid", "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok", "vero_id",
    "vero_conv", "oly_anon_id", "oly_enc_id", "rb_clickid", "s_cid", "cmpid", "ncid", "ocid",
    "icid", "ref_src", "ref_url", "soc_src", "soc_trk", "wt.mc_id", "wt_mc", "at_medium",
    "at_campaign", "sr_share", "spm", "smid", "ito", "xtor", "__twitter_impression",
})
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "at_", "itm_")
# ?amp=1, ?amp, ?outputType=amp: the AMP rendering of the same page
_AMP_PARAMS = {"amp": {"", "1", "true", "yes"}, "outputtype": {"amp"}, "output": {"amp"}}
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_tracking(name: str) -> bool:
    key = name.lower()
    return key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES)


def _is_amp_param(name: str, value: str) -> bool:
    allowed = _AMP_PARAMS.get(name.lower())
    return allowed is not None and value.lower() in allowed


def _host(netloc_host: str) -> str:
    host = netloc_host.lower().rstrip(".")
    if host.startswith("amp."):
        host = host[4:]
    if host.startswith("www."):
        host = host[4:]
    return host


def _path(path: str) -> str:
    """AMP path forms (``/amp/x``, ``/x/amp``, ``/x/amp/``, ``/x.amp.html``, ``/x.amp``)
    → the plain path; no trailing slash except for the root."""
    segments = [s for s in path.split("/")]
    kept = [s for s in segments if s.lower() != "amp"]
    out = "/".join(kept)
    lower = out.lower()
    if lower.endswith(".amp.html"):
        out = out[: -len(".amp.html")] + ".html"
    elif lower.endswith(".amp"):
        out = out[: -len(".amp")]
    while "//" in out:
        out = out.replace("//", "/")
    out = out.rstrip("/")
    return out if out.startswith("/") else "/" + out


# A URL normalise_url gives back unchanged: lower-case http(s) scheme and host (not www./
# amp., no port, no trailing dot), a path of non-empty segments without "?", "#", ";" or
# whitespace (no query, no fragment, no trailing slash). AMP paths are checked apart.
_PLAIN_URL = re.compile(
    r"https?://(?!www\.|amp\.)[a-z0-9-]+(?:\.[a-z0-9-]+)*(?:/[A-Za-z0-9._~!$'()*+,=:@%-]+)+"
)


def _is_plain(text: str) -> bool:
    if _PLAIN_URL.fullmatch(text) is None:
        return False
    lower = text.lower()
    return "/amp/" not in lower + "/" and not lower.endswith((".amp", ".amp.html"))


def normalise_url(url: str) -> str:
    """``url`` in canonical form: lower-case scheme and host without ``www.``/``amp.``,
    no default port, no fragment, no tracking or AMP parameters (the others sorted), AMP
    paths made plain, no trailing slash. A string that is not an http(s) URL comes back
    stripped and otherwise unchanged (a guid like ``tag:agency,2026:123`` is its own key)."""
    text = url.strip()
    if _is_plain(text):  # most feed links: _normalise would give them back as they are
        return text
    return _normalise(text)


def _normalise(text: str) -> str:
    """:func:`normalise_url` of a stripped string, without the shortcut."""
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return text
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return text
    host = _host(parts.hostname)
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not _is_tracking(k) and not _is_amp_param(k, v)]
    return urlunsplit((scheme, host, _path(parts.path), urlencode(sorted(query)), ""))


def url_key(url: str) -> str:
    """sha256 (hex) of the normalised URL without its scheme; "" for an empty URL. Two
    links to the same article give the same key."""
    normal = normalise_url(url)
    if not normal:
        return ""
    _scheme, sep, rest = normal.partition("://")
    return hashlib.sha256((rest if sep else normal).encode("utf-8")).hexdigest()
