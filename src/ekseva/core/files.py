"""Checking an upload by what it is, not by what it claims to be.

``check_upload()`` reads the bytes: the magic number decides the kind (never the
file name or the browser's content type), then the size, the allow-list and the
kind's own rules: a PDF must be complete, not encrypted and free of scripts,
launch actions, attachments and XFA; an image must decode fully within its
pixel limits. A refusal carries a code and a message in English and Hindi for
the field it concerns.
"""

from __future__ import annotations

import hashlib
import io
import re
import zlib
from dataclasses import dataclass
from typing import BinaryIO

from django.utils import translation
from PIL import Image, UnidentifiedImageError

# kind → (MIME type, label for people)
KINDS: dict[str, tuple[str, str]] = {
    "pdf": ("application/pdf", "PDF"),
    "jpeg": ("image/jpeg", "JPEG"),
    "png": ("image/png", "PNG"),
    "webp": ("image/webp", "WebP"),
    "gif": ("image/gif", "GIF"),
}
_ALIASES = {"jpg": "jpeg"}
_PILLOW_FORMATS = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "gif": "GIF"}
# Decoded pixels beyond this are refused before decoding (a 100 KB file can
# claim to be 60 000 × 60 000 pixels and take gigabytes to open).
MAX_PIXELS = 40_000_000
# PDF names that run code or carry other files; /Encrypt marks an encrypted file.
_PDF_ACTIVE = {"JS", "JavaScript", "Launch", "EmbeddedFile", "RichMedia", "XFA"}
_PDF_NAME_RE = re.compile(rb"/([^\s/<>\[\]()%{}]+)")
_PDF_OBJSTM_RE = re.compile(rb"/Type\s*/ObjStm")
_PDF_STREAM_RE = re.compile(rb"\bobj\b(.{0,4096}?)\bstream\r?\n", re.DOTALL)
_MAX_INFLATED = 64 * 1024 * 1024


@dataclass(frozen=True)
class UploadInfo:
    """What an accepted upload turned out to be."""

    kind: str
    mime: str
    size: int
    sha256: str
    width: int | None = None
    height: int | None = None


class UploadRefused(ValueError):
    """An upload that is not accepted, with the reason in English and Hindi."""

    def __init__(self, code: str, message_en: str, message_hi: str) -> None:
        super().__init__(message_en)
        self.code, self.message_en, self.message_hi = code, message_en, message_hi

    @property
    def message(self) -> str:
        """The message in the active language (Hindi for ``hi``, else English)."""
        return self.message_hi if translation.get_language() == "hi" else self.message_en


def sniff(head: bytes) -> str | None:
    """The kind the first bytes say a file is, or None."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    return None


def _size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):g} MB"
    return f"{size / 1024:g} KB"


def _labels(kinds: set[str]) -> str:
    return ", ".join(sorted(KINDS[kind][1] for kind in kinds))


def _normalise_allowed(allowed: set[str]) -> set[str]:
    kinds = {_ALIASES.get(kind.lower(), kind.lower()) for kind in allowed}
    unknown = kinds - KINDS.keys()
    if not kinds or unknown:
        raise ValueError(f"allowed kinds must be among {sorted(KINDS)}, not {sorted(unknown)}")
    return kinds


def _read(fileobj: BinaryIO, max_bytes: int) -> bytes:
    declared = getattr(fileobj, "size", None)
    if isinstance(declared, int) and declared > max_bytes:
        raise _too_large(max_bytes)
    if hasattr(fileobj, "seek"):
        fileobj.seek(0)
    data = fileobj.read(max_bytes + 1)
    if hasattr(fileobj, "seek"):
        fileobj.seek(0)  # the caller stores it next
    if len(data) > max_bytes:
        raise _too_large(max_bytes)
    return data


def _too_large(max_bytes: int) -> UploadRefused:
    limit = _size_text(max_bytes)
    return UploadRefused(
        "too_large",
        f"The file is larger than {limit}. Upload a smaller file.",
        f"फ़ाइल {limit} से बड़ी है। छोटी फ़ाइल अपलोड करें।",
    )


def check_upload(
    fileobj: BinaryIO,
    *,
    allowed: set[str],
    max_bytes: int,
    min_dims: tuple[int, int] | None = None,
    max_dims: tuple[int, int] | None = None,
) -> UploadInfo:
    """Accept ``fileobj`` (an UploadedFile or any binary file) or raise UploadRefused.

    ``allowed`` names kinds from ``KINDS`` ("jpg" means "jpeg"); ``min_dims`` and
    ``max_dims`` are (width, height) in pixels and apply to images only. The file
    is left at position 0.
    """
    kinds = _normalise_allowed(allowed)
    data = _read(fileobj, max_bytes)
    if not data:
        raise UploadRefused("empty", "The file is empty.", "फ़ाइल ख़ाली है।")
    kind = sniff(data[:16])
    if kind is None or kind not in kinds:
        shown = _labels(kinds)
        raise UploadRefused(
            "type_not_allowed",
            f"This kind of file is not accepted here. Upload one of: {shown}.",
            f"यहाँ इस प्रकार की फ़ाइल स्वीकार नहीं की जाती। इनमें से कोई एक अपलोड करें: {shown}।",
        )
    width = height = None
    if kind == "pdf":
        _check_pdf(data)
    else:
        width, height = _check_image(data, kind, min_dims, max_dims)
    return UploadInfo(
        kind=kind,
        mime=KINDS[kind][0],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        width=width,
        height=height,
    )


# --- PDF ---------------------------------------------------------------------------


def _pdf_names(blob: bytes) -> set[str]:
    """Every name in ``blob``, ``#xx`` escapes decoded (``/J#61vaScript`` is ``/JavaScript``)."""
    names = set()
    for match in _PDF_NAME_RE.finditer(blob):
        raw = match.group(1)
        if b"#" in raw:
            raw = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m[1], 16)]), raw)
        names.add(raw.decode("latin-1"))
    return names


def _object_streams(data: bytes) -> list[bytes]:
    """The inflated contents of PDF object streams, where compressed PDFs keep
    dictionaries (and so any actions) out of sight of a plain byte scan."""
    inflated = []
    budget = _MAX_INFLATED
    for match in _PDF_STREAM_RE.finditer(data):
        header = match.group(1)
        if not _PDF_OBJSTM_RE.search(header):
            continue
        filters = _pdf_names(header) & {
            "FlateDecode", "LZWDecode", "ASCIIHexDecode", "ASCII85Decode", "RunLengthDecode",
        }  # fmt: skip
        body = data[match.end() : data.find(b"endstream", match.end())]
        if filters - {"FlateDecode"}:
            raise _pdf_unreadable()
        if not filters:
            inflated.append(body)
            continue
        if budget <= 0:
            raise _pdf_unreadable()  # expands beyond all reason
        try:
            inflater = zlib.decompressobj()
            text = inflater.decompress(body, budget)
        except zlib.error as exc:
            raise _pdf_unreadable() from exc
        if inflater.unconsumed_tail:
            raise _pdf_unreadable()
        budget -= len(text)
        inflated.append(text)
    return inflated


def _pdf_unreadable() -> UploadRefused:
    return UploadRefused(
        "pdf_damaged",
        "The PDF is damaged or cannot be read. Save it again as a PDF and upload it.",
        "PDF ख़राब है या पढ़ी नहीं जा सकती। इसे दोबारा PDF के रूप में सहेजकर अपलोड करें।",
    )


def _check_pdf(data: bytes) -> None:
    if b"%%EOF" not in data[-1024:]:
        raise _pdf_unreadable()
    names = _pdf_names(data)
    for stream in _object_streams(data):
        names |= _pdf_names(stream)
    if "Encrypt" in names:
        raise UploadRefused(
            "pdf_encrypted",
            "The PDF is protected by a password or encrypted. Upload it without protection.",
            "PDF पासवर्ड से सुरक्षित या एन्क्रिप्टेड है। बिना सुरक्षा वाली PDF अपलोड करें।",
        )
    if names & _PDF_ACTIVE:
        raise UploadRefused(
            "pdf_active_content",
            "The PDF contains scripts, actions or attached files, which are not allowed. "
            "Print it to a new PDF and upload that.",
            "PDF में स्क्रिप्ट, स्वचालित क्रियाएँ या संलग्न फ़ाइलें हैं, जिनकी अनुमति नहीं है। "
            "इसे नई PDF के रूप में प्रिंट करके वह अपलोड करें।",
        )


# --- images ----------------------------------------------------------------------------


def _image_damaged() -> UploadRefused:
    return UploadRefused(
        "image_damaged",
        "The image is damaged or incomplete. Upload it again.",
        "चित्र ख़राब या अधूरा है। इसे फिर से अपलोड करें।",
    )


def _check_image(
    data: bytes,
    kind: str,
    min_dims: tuple[int, int] | None,
    max_dims: tuple[int, int] | None,
) -> tuple[int, int]:
    try:
        # Pillow refuses (DecompressionBombError) only far beyond MAX_PIXELS, and
        # reads the size from the header without decoding: check it before load().
        with Image.open(io.BytesIO(data)) as image:
            if image.format != _PILLOW_FORMATS[kind]:
                raise _image_damaged()
            width, height = image.size
            _check_dims(width, height, min_dims, max_dims)
            image.load()  # decode every pixel: a truncated file fails here
    except UploadRefused:
        raise
    except Image.DecompressionBombError as exc:
        raise _too_many_pixels() from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise _image_damaged() from exc
    return width, height


def _too_many_pixels() -> UploadRefused:
    return UploadRefused(
        "image_too_large",
        "The image has too many pixels. Upload a smaller image.",
        "चित्र में बहुत अधिक पिक्सेल हैं। छोटा चित्र अपलोड करें।",
    )


def _dims_refused(
    code: str, bound: str, dims: tuple[int, int], width: int, height: int
) -> UploadRefused:
    bound_hi = "कम से कम" if bound == "at least" else "अधिकतम"
    return UploadRefused(
        code,
        f"The image must be {bound} {dims[0]}×{dims[1]} pixels; this one is {width}×{height}.",
        f"चित्र {bound_hi} {dims[0]}×{dims[1]} पिक्सेल का होना चाहिए; यह {width}×{height} का है।",
    )


def _check_dims(
    width: int, height: int, min_dims: tuple[int, int] | None, max_dims: tuple[int, int] | None
) -> None:
    if min_dims and (width < min_dims[0] or height < min_dims[1]):
        raise _dims_refused("image_too_small", "at least", min_dims, width, height)
    if max_dims and (width > max_dims[0] or height > max_dims[1]):
        raise _dims_refused("image_too_large", "at most", max_dims, width, height)
    if width * height > MAX_PIXELS:
        raise _too_many_pixels()
