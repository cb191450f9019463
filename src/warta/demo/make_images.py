"""Small, real PNG images for the sample stories, drawn in pure Python (no Pillow).

Each image is 600×338 (16:9), a two-colour gradient with a disc and a band, so it compresses
to a few KB and every story gets a visibly different picture. Deterministic: the same story
always gives the same bytes.
"""

from __future__ import annotations

import struct
import zlib

WIDTH = 600
HEIGHT = 338

RGB = tuple[int, int, int]


def encode_png(width: int, height: int, rows: list[bytes]) -> bytes:
    """Encode 8-bit RGB ``rows`` (each ``3 * width`` bytes) as a PNG file."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = bytearray()
    previous = bytes(3 * width)
    for row in rows:
        if len(row) != 3 * width:
            raise ValueError(f"row of {len(row)} bytes, expected {3 * width}")
        # Filter type 2 (Up): rows of a vertical-ish gradient differ little, so this packs well.
        raw.append(2)
        raw.extend((a - b) & 0xFF for a, b in zip(row, previous, strict=True))
        previous = row
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(raw), 9))
        + chunk(b"IEND", b"")
    )


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def render_image(seed: str, top: RGB, bottom: RGB) -> bytes:
    """A 600×338 PNG: gradient from ``top`` to ``bottom``, a disc and a band placed by ``seed``."""
    h = zlib.crc32(seed.encode("utf-8"))
    cx, cy = 120 + h % 360, 90 + (h >> 9) % 160
    radius = 40 + (h >> 17) % 50
    band_y = 40 + (h >> 5) % 240
    disc = _mix(bottom, (255, 255, 255), 0.5)
    band = _mix(top, (0, 0, 0), 0.3)
    rows: list[bytes] = []
    for y in range(HEIGHT):
        base = _mix(top, bottom, y / (HEIGHT - 1))
        row = bytearray(bytes(base) * WIDTH)
        if band_y <= y < band_y + 14:
            row[:] = bytes(band) * WIDTH
        dy = y - cy
        if abs(dy) < radius:
            half = int((radius * radius - dy * dy) ** 0.5)
            x0, x1 = max(cx - half, 0), min(cx + half, WIDTH)
            row[3 * x0 : 3 * x1] = bytes(disc) * (x1 - x0)
        rows.append(bytes(row))
    return encode_png(WIDTH, HEIGHT, rows)
