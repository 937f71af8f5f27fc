"""Upload checking by content: kinds by magic bytes, sizes, dimensions, PDF dangers."""

import hashlib
import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from fpdf import FPDF
from PIL import Image

from ekseva.core.files import UploadRefused, check_upload

MB = 1024 * 1024
ANY = {"pdf", "jpeg", "png"}


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(out, fmt)
    return out.getvalue()


def fpdf_bytes(**encryption) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Caste certificate, page 1")
    if encryption:
        pdf.set_encryption(**encryption)
    return bytes(pdf.output())


def handmade_pdf(catalog_extra: bytes = b"", objects=(), trailer_extra: bytes = b"") -> bytes:
    """A small, well-formed PDF with extra catalog entries, objects and trailer keys."""
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
        *objects,
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R %s >>\n" % (len(bodies) + 1, trailer_extra)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def object_stream(content: bytes, filters: bytes = b"/FlateDecode", *, deflate=True) -> bytes:
    data = zlib.compress(content) if deflate and filters == b"/FlateDecode" else content
    return b"<< /Type /ObjStm /N 1 /First 5 /Filter %s /Length %d >>\nstream\n%s\nendstream" % (
        filters,
        len(data),
        data,
    )


def upload(data: bytes, name: str = "file.bin", content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def refused(data_or_file, code: str, **kwargs) -> UploadRefused:
    fileobj = data_or_file if hasattr(data_or_file, "read") else upload(data_or_file)
    kwargs.setdefault("allowed", ANY)
    kwargs.setdefault("max_bytes", 2 * MB)
    with pytest.raises(UploadRefused) as caught:
        check_upload(fileobj, **kwargs)
    assert caught.value.code == code
    assert caught.value.message_en and caught.value.message_hi
    return caught.value


# --- accepted ---------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "kind"), [("PNG", "png"), ("JPEG", "jpeg")])
def test_a_good_image_is_accepted_with_its_facts(fmt, kind):
    data = image_bytes(fmt, (640, 480))
    fileobj = upload(data, "photo.bin")
    info = check_upload(fileobj, allowed={"png", "jpg"}, max_bytes=MB, min_dims=(600, 400))
    assert (info.kind, info.mime) == (kind, f"image/{kind}")
    assert (info.size, info.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert (info.width, info.height) == (640, 480)
    assert fileobj.tell() == 0  # ready to be stored


@pytest.mark.parametrize("make", [fpdf_bytes, handmade_pdf], ids=["fpdf2", "handmade"])
def test_a_good_pdf_is_accepted(make):
    data = make()
    info = check_upload(io.BytesIO(data), allowed={"pdf"}, max_bytes=MB)
    assert (info.kind, info.mime, info.size, info.width) == (
        "pdf",
        "application/pdf",
        len(data),
        None,
    )


def test_a_harmless_action_and_a_clean_object_stream_are_accepted():
    data = handmade_pdf(
        b"/OpenAction << /S /URI /URI (https://mp.example/) >>",
        objects=[object_stream(b"4 0 << /Producer (Scanner) >>")],
    )
    assert check_upload(io.BytesIO(data), allowed={"pdf"}, max_bytes=MB).kind == "pdf"


def test_a_file_exactly_at_the_limit_is_accepted():
    data = image_bytes()
    assert check_upload(io.BytesIO(data), allowed={"png"}, max_bytes=len(data)).size == len(data)


# --- the kind comes from the content -----------------------------------------------------


def test_a_png_renamed_pdf_is_a_png():
    renamed = upload(image_bytes(), "certificate.pdf", "application/pdf")
    error = refused(renamed, "type_not_allowed", allowed={"pdf"})
    assert "PDF" in error.message_en and "PDF" in error.message_hi
    renamed.seek(0)
    assert check_upload(renamed, allowed={"pdf", "png"}, max_bytes=MB).kind == "png"


def test_a_text_file_claiming_to_be_a_jpeg_is_refused():
    refused(upload(b"just some text\n" * 10, "photo.jpg", "image/jpeg"), "type_not_allowed")


def test_html_claiming_to_be_a_pdf_is_refused():
    refused(
        upload(b"<html><script>alert(1)</script>", "form.pdf", "application/pdf"),
        "type_not_allowed",
    )


def test_an_empty_file_is_refused():
    refused(b"", "empty")


@pytest.mark.parametrize("wrap", [upload, io.BytesIO], ids=["declared-size", "stream"])
def test_an_oversized_file_is_refused(wrap):
    data = image_bytes()
    error = refused(wrap(data), "too_large", max_bytes=len(data) - 1)
    assert "KB" in error.message_en


def test_unknown_allowed_kinds_are_a_programming_error():
    with pytest.raises(ValueError):
        check_upload(io.BytesIO(image_bytes()), allowed={"docx"}, max_bytes=MB)
    with pytest.raises(ValueError):
        check_upload(io.BytesIO(image_bytes()), allowed=set(), max_bytes=MB)


# --- PDF dangers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pdf",
    [
        handmade_pdf(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"),
        handmade_pdf(b"/OpenAction 4 0 R", [b"<< /S /JavaScript /JS 5 0 R >>", b"(app.alert(1))"]),
        handmade_pdf(b"/OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >>"),
        handmade_pdf(b"/OpenAction << /S /Launch /F (cmd.exe) >>"),
        handmade_pdf(b"/Names << /JavaScript << /Names [(x) 4 0 R] >> >>"),
        handmade_pdf(b"/Names << /EmbeddedFiles 4 0 R >>", [b"<< /Type /EmbeddedFile >>"]),
        handmade_pdf(b"/AcroForm << /XFA 4 0 R >>"),
        handmade_pdf(objects=[object_stream(b"4 0 << /S /JavaScript /JS (app.alert(1)) >>")]),
    ],
    ids=[
        "openaction-js",
        "js-in-object",
        "hex-escaped-names",
        "launch",
        "document-js",
        "attachment",
        "xfa",
        "js-hidden-in-object-stream",
    ],
)
def test_a_pdf_with_active_content_is_refused(pdf):
    assert b"%%EOF" in pdf  # otherwise well-formed
    refused(pdf, "pdf_active_content", allowed={"pdf"})


def test_an_encrypted_pdf_is_refused():
    refused(fpdf_bytes(owner_password="owner", user_password="user"), "pdf_encrypted")
    refused(handmade_pdf(trailer_extra=b"/Encrypt 9 0 R"), "pdf_encrypted")


def test_a_truncated_pdf_is_refused():
    data = fpdf_bytes()
    refused(data[: len(data) // 2], "pdf_damaged")


@pytest.mark.parametrize(
    "stream",
    [object_stream(b"not zlib at all", deflate=False), object_stream(b"4 0 <<>>", b"/LZWDecode")],
)
def test_an_object_stream_that_cannot_be_read_is_refused(stream):
    refused(handmade_pdf(objects=[stream]), "pdf_damaged")


# --- images ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_a_truncated_image_is_refused(fmt):
    data = image_bytes(fmt, (300, 300))
    refused(data[: len(data) // 2], "image_damaged")


def test_an_image_with_a_garbled_body_is_refused():
    refused(b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "image_damaged")


def test_dimensions_outside_the_bounds_are_refused():
    data = image_bytes("PNG", (300, 200))
    error = refused(data, "image_too_small", min_dims=(300, 400))
    assert "300×400" in error.message_en and "300×200" in error.message_hi
    refused(data, "image_too_large", max_dims=(299, 1000))
    info = check_upload(io.BytesIO(data), allowed={"png"}, max_bytes=MB, max_dims=(300, 200))
    assert (info.width, info.height) == (300, 200)


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_header_claiming(width: int, height: int) -> bytes:
    """A tiny file that claims a huge image: its header, one row of pixels."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * (1 + 3 * width))
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("side", [7_000, 20_000])
def test_a_pixel_bomb_is_refused_before_decoding(side):
    refused(_png_header_claiming(side, side), "image_too_large")


def test_the_message_follows_the_language():
    error = refused(b"", "empty")
    with translation.override("hi"):
        assert error.message == "फ़ाइल ख़ाली है।"
    with translation.override("en"):
        assert error.message == "The file is empty." == str(error)
