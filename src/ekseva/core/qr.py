"""QR codes for documents (receipts, certificates): a link a phone can open.

    from ekseva.core import qr

    data: bytes = qr.png("https://ekseva.example.in/en/track/?number=MP26TST0000001Q")
    doc.pdf.image(io.BytesIO(data), w=30)      # fpdf2 places PNG bytes as they are

segno makes the symbol (error correction level M: a receipt that is creased or
printed on a poor printer still scans); the PNG is black on white, one bit per
pixel, ``scale`` pixels per module, with the quiet zone of ``border`` modules
that scanners need. ``matrix()`` is the symbol's modules (1 dark, 0 light), the
same that the PNG draws, for tests and for any other renderer.

Speed (receipts, docs/performance.md): segno spends about 4 of its 5 ms a code
trying all eight mask patterns to pick the one with the lowest penalty. Any of
the eight is a valid symbol every reader decodes (the mask number is in the
format information); the choice only avoids unlucky patterns. ``mask=`` fixes
it (about 1 ms a code), and ``image()`` gives the symbol as a Pillow image of
a few pixels per module, which fpdf2 embeds without decoding a PNG::

    doc.pdf.image(qr.image(url, mask=qr.FAST_MASK), w=30)
"""

from __future__ import annotations

import io

import segno
from PIL import Image

ERROR_LEVEL = "m"
QUIET_ZONE = 4  # modules of white around the symbol, as ISO/IEC 18004 asks
FAST_MASK = 2  # a fixed mask pattern (0-7) for codes made in bulk: see the docstring


def make(data: str, *, mask: int | None = None) -> segno.QRCode:
    """The QR code of ``data`` (never a Micro QR: phones do not all read those),
    with segno's best mask pattern, or with pattern ``mask`` (faster)."""
    if not data:
        raise ValueError("a QR code needs some data")
    return segno.make(data, error=ERROR_LEVEL, micro=False, boost_error=False, mask=mask)


def png(data: str, *, scale: int = 8, border: int = QUIET_ZONE) -> bytes:
    """A PNG of the QR code of ``data``: ``scale`` pixels per module."""
    buffer = io.BytesIO()
    make(data).save(buffer, kind="png", scale=scale, border=border, dark="#000", light="#fff")
    return buffer.getvalue()


def image(
    data: str, *, mask: int | None = None, scale: int = 4, border: int = QUIET_ZONE
) -> Image.Image:
    """The QR code of ``data`` as a 1-bit Pillow image, black on white, ``scale``
    pixels per module, with a quiet zone of ``border`` modules. (At one pixel a
    module some viewers smooth the enlarged image into grey edges.)"""
    symbol = make(data, mask=mask).matrix
    side = len(symbol) + 2 * border
    pixels = bytearray(b"\xff" * (side * side))
    for y, row in enumerate(symbol):
        start = (y + border) * side + border
        for x, module in enumerate(row):
            if module:
                pixels[start + x] = 0
    small = Image.frombytes("L", (side, side), bytes(pixels)).convert("1")
    if scale == 1:
        return small
    return small.resize((side * scale, side * scale), Image.Resampling.NEAREST)


def matrix(data: str, *, mask: int | None = None) -> tuple[tuple[int, ...], ...]:
    """The modules of the QR code of ``data``, row by row, without the quiet zone."""
    return tuple(
        tuple(1 if module else 0 for module in row) for row in make(data, mask=mask).matrix
    )
