"""Section names in the site's language: a feed's "Business" becomes "Bisnis".

A source's own category (set by the publisher) is used as written; categories that come from
a feed are in the source's language and are mapped here when a name is known.
"""

from __future__ import annotations

_NAMES: dict[str, dict[str, str]] = {
    "id": {
        "world": "Dunia", "world news": "Dunia", "international": "Internasional",
        "asia": "Asia", "india": "India", "business": "Bisnis", "economy": "Ekonomi",
        "markets": "Pasar", "finance": "Keuangan", "technology": "Teknologi",
        "tech": "Teknologi", "science": "Sains", "health": "Kesehatan",
        "sport": "Olahraga", "sports": "Olahraga", "politics": "Politik",
        "entertainment": "Hiburan", "lifestyle": "Gaya Hidup", "culture": "Budaya",
        "education": "Pendidikan", "environment": "Lingkungan", "climate": "Iklim",
        "travel": "Wisata", "opinion": "Opini", "national": "Nasional",
        "top stories": "Berita Utama", "latest": "Terkini", "crime": "Kriminal",
        "weather": "Cuaca", "automobile": "Otomotif", "auto": "Otomotif",
    },
}


def localise_category(name: str, language: str) -> str:
    """The section name in ``language`` when known, else ``name`` unchanged (trimmed)."""
    clean = " ".join(name.split())
    return _NAMES.get(language.split("-")[0].lower(), {}).get(clean.lower(), clean)
