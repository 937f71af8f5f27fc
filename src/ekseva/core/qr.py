"""QR codes for documents (receipts, certificates): a link a phone can open.

    from ekseva.core import qr

    data: bytes = qr.png("https://ekseva.example.in/en/track/?number=MP26TST0000001Q")
    doc.pdf.image(io.BytesIO(data), w=30)      # fpdf2 places PNG bytes as they are

segno makes the symbol (error correction level M: a receipt that is creased or
printed on a poor printer still scans); the PNG is black on white, one bit per
pixel, ``scale`` pixels per module, with the quiet zone of ``border`` modules
that scanners need. ``matrix()`` is the symbol's modules (1 dark, 0 light), the
same that the PNG draws, for tests and for any other renderer.
"""

from __future__ import annotations

import io

import segno

ERROR_LEVEL = "m"
QUIET_ZONE = 4  # modules of white around the symbol, as ISO/IEC 18004 asks


def make(data: str) -> segno.QRCode:
    """The QR code of ``data`` (never a Micro QR: phones do not all read those)."""
    if not data:
        raise ValueError("a QR code needs some data")
    return segno.make(data, error=ERROR_LEVEL, micro=False, boost_error=False)


def png(data: str, *, scale: int = 8, border: int = QUIET_ZONE) -> bytes:
    """A PNG of the QR code of ``data``: ``scale`` pixels per module."""
    buffer = io.BytesIO()
    make(data).save(buffer, kind="png", scale=scale, border=border, dark="#000", light="#fff")
    return buffer.getvalue()


def matrix(data: str) -> tuple[tuple[int, ...], ...]:
    """The modules of the QR code of ``data``, row by row, without the quiet zone."""
    return tuple(tuple(1 if module else 0 for module in row) for row in make(data).matrix)
