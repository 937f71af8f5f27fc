"""core.pdf: Hindi and English in one document, shaped, embedded, extractable."""

import io
import re
import unicodedata

import pytest
from django.utils import translation
from pypdf import PdfReader

from ekseva.core.pdf import Document

HINDI = "प्रमाण पत्र क्षेत्रीय कार्यालय श्री हिंदी विभाग"
MIXED = "श्री राम, क्षेत्रीय अधिकारी: Income certificate (आय प्रमाण पत्र) ₹1,23,456.00"


def read(data: bytes) -> PdfReader:
    assert data.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(data))


def text_of(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def squeezed(text: str) -> str:
    """Without white space: extractors guess word gaps from glyph positions (one
    puts a space after a below-base matra), but the characters and their order
    are what the file holds."""
    return re.sub(r"\s+", "", text)


def fonts_of(reader: PdfReader) -> dict[str, dict]:
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts[str(font["/BaseFont"]).split("+", 1)[-1]] = font
    return fonts


def to_unicode_targets(font) -> list[str]:
    cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1")
    block = cmap.split("beginbfchar", 1)[1].split("endbfchar", 1)[0]
    targets = []
    for _code, target in re.findall(r"<([0-9A-F]+)> <([0-9A-F]*)>", block):
        targets.append(bytes.fromhex(target).decode("utf-16-be"))
    return targets


@pytest.fixture
def document(frozen_clock):
    doc = Document("निपटान विवरण / Settlement statement")
    doc.heading(HINDI)
    doc.paragraph(MIXED)
    doc.key_value([("विभाग / Department", "लोक सेवा (LSG)"), ("Period", "14-06-2026")])
    return doc


def test_hindi_and_english_words_come_back(document):
    text = text_of(read(document.output()))
    for word in (
        "प्रमाण",
        "पत्र",
        "क्षेत्रीय",
        "श्री",
        "कार्यालय",
        "हिंदी",
        "विभाग",
        "Income",
        "certificate",
        "₹1,23,456.00",
        "Department",
        "लोक",
        "सेवा",
    ):
        assert word in text, word
    assert squeezed(HINDI) in squeezed(text)
    assert squeezed(MIXED) in squeezed(text)


def test_no_stray_codes_in_the_text(document):
    """Glyphs that carry no text of their own (the second glyph of a cluster)
    must not come out as control characters in the middle of a word."""
    text = text_of(read(document.output()))
    strays = [c for c in text if unicodedata.category(c) == "Cc" and c not in "\n\t"]
    assert strays == []


def test_conjuncts_are_shaped_into_single_glyphs(document):
    """With HarfBuzz shaping, क्ष and प्र are each drawn by one glyph (a ligature),
    so the font's ToUnicode map has one code standing for the whole conjunct."""
    fonts = fonts_of(read(document.output()))
    targets = to_unicode_targets(fonts["NotoSansDevanagari"])
    assert "क्ष" in targets
    assert "प्र" in targets


def test_fonts_are_embedded_and_both_scripts_used(document):
    fonts = fonts_of(read(document.output()))
    assert {"NotoSans", "NotoSansDevanagari", "NotoSansBold", "NotoSansDevanagariBold"} <= set(
        fonts
    )
    for name, font in fonts.items():
        assert font["/Subtype"] == "/Type0", name
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor, f"{name} is not embedded"
        assert len(descriptor["/FontFile2"].get_object().get_data()) > 1000


def test_header_footer_and_long_table_repeats_its_header(frozen_clock):
    doc = Document("Long table")
    rows = [
        [n, f"आय प्रमाण पत्र income certificate number {n} " * (n % 3 + 1), "₹10.00"]
        for n in range(90)
    ]
    doc.table(
        ["No.", "सेवा / Service", "Amount"], rows, widths=(1, 6, 2), align=("RIGHT", "LEFT", "RIGHT")
    )
    reader = read(doc.output())
    pages = len(reader.pages)
    assert pages >= 3
    for number, page in enumerate(reader.pages, start=1):
        text = page.extract_text()
        assert "ekseva" in text and "ई-सेवा" in text  # the portal name in both languages
        assert "सेवा / Service" in text  # the header row on every page
        assert f"Page {number} of {pages}" in text
        assert "Generated 15-06-2026 10:00 IST" in text
    everything = text_of(reader)
    for n in range(90):  # every row is there once, however the pages and lines fell
        found = re.findall(rf"income\s+certificate\s+number\s+{n}\b", everything)
        assert len(found) == n % 3 + 1


def test_footer_in_hindi(frozen_clock):
    with translation.override("en"):
        doc = Document("प्रमाण पत्र", language="hi")
    doc.paragraph("श्री")
    text = text_of(read(doc.output()))
    assert "पृष्ठ 1 / 1" in text
    assert "15-06-2026 10:00 IST" in text


def test_same_clock_same_bytes(frozen_clock):
    def make():
        doc = Document("Receipt")
        doc.paragraph(MIXED)
        return doc.output()

    assert make() == make()


def test_table_refuses_mismatched_columns(frozen_clock):
    doc = Document()
    with pytest.raises(ValueError):
        doc.table(["a", "b"], [["1", "2"]], widths=(1,))
    with pytest.raises(ValueError):
        doc.table(["a", "b"], [["1", "2", "3"]])
    with pytest.raises(ValueError):
        doc.table(["a"], [["1"]], align=("MIDDLE",))


# --------------------------------------------------------------------------- the font cache


def _legacy(title: str, body: str) -> bytes:
    """The same one-page text through fpdf2 alone, fonts read from the files and
    subset by fontTools (as core.pdf did before the font cache)."""
    from fpdf import FPDF

    from ekseva.core import pdf as core_pdf

    pdf = FPDF()
    for (family, style), name in core_pdf.FONT_FILES.items():
        pdf.add_font(family, style, str(core_pdf.FONT_DIR / name))
    pdf.set_fallback_fonts([core_pdf.DEVANAGARI], exact_match=False)
    pdf.set_text_shaping(True)
    pdf.add_page()
    pdf.set_font(core_pdf.LATIN, "B", 12)
    pdf.multi_cell(0, 6, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(core_pdf.LATIN, "", 10)
    pdf.multi_cell(0, 6, body, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _glyph_programs(data: bytes) -> dict[str, dict[str, tuple]]:
    """Each embedded font's glyph outlines, by the text each code stands for."""
    from fontTools.ttLib import TTFont

    fonts = {}
    for name, font in fonts_of(read(data)).items():
        descendant = font["/DescendantFonts"][0].get_object()
        program = TTFont(
            io.BytesIO(descendant["/FontDescriptor"]["/FontFile2"].get_object().get_data())
        )
        cid_to_gid = descendant["/CIDToGIDMap"].get_object().get_data()
        cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1")
        block = cmap.split("beginbfchar", 1)[1].split("endbfchar", 1)[0]
        glyf, order = program["glyf"], program.getGlyphOrder()
        outlines = {}
        for code, target in re.findall(r"<([0-9A-F]+)> <([0-9A-F]*)>", block):
            cid = int(code, 16)
            gid = int.from_bytes(cid_to_gid[cid * 2 : cid * 2 + 2], "big")
            glyph = glyf[order[gid]]
            coordinates, ends, _flags = glyph.getCoordinates(glyf)
            text = bytes.fromhex(target).decode("utf-16-be")
            outlines.setdefault(text, set()).add((tuple(coordinates), tuple(ends)))
        fonts[name] = {text: tuple(sorted(v)) for text, v in outlines.items()}
    return fonts


def test_cached_fonts_draw_the_same_glyphs_as_fonts_read_per_document(frozen_clock):
    """The font cache and HarfBuzz's subsetter change how the file is made, not
    what it shows: the same text, and for every character cluster the same glyph
    outlines as fpdf2 reading the fonts and fontTools subsetting them."""
    doc = Document()
    doc.pdf.set_font("NotoSans", "B", 12)
    doc.pdf.multi_cell(0, 6, HINDI, new_x="LMARGIN", new_y="NEXT")
    doc.pdf.set_font("NotoSans", "", 10)
    doc.pdf.multi_cell(0, 6, MIXED, new_x="LMARGIN", new_y="NEXT")
    ours, theirs = doc.output(), _legacy(HINDI, MIXED)
    assert squeezed(HINDI) in squeezed(text_of(read(ours)))
    assert squeezed(MIXED) in squeezed(text_of(read(ours)))
    mine, legacy = _glyph_programs(ours), _glyph_programs(theirs)
    assert "क्ष" in legacy["NotoSansDevanagari"] and "₹" in legacy["NotoSans"]
    for name, outlines in legacy.items():
        for text, glyphs in outlines.items():
            if text.strip():
                assert mine[name].get(text) == glyphs, (name, text)


def test_fonts_are_subset_not_embedded_whole(document):
    from fontTools.ttLib import TTFont

    from ekseva.core import pdf as core_pdf

    data = document.output()
    for name, font in fonts_of(read(data)).items():
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        program = TTFont(io.BytesIO(descriptor["/FontFile2"].get_object().get_data()))
        whole = TTFont(core_pdf.FONT_DIR / core_pdf.FONT_FILES[("NotoSans", "")])
        assert len(program.getGlyphOrder()) < 200 < len(whole.getGlyphOrder()), name
        assert "GSUB" not in program and "GPOS" not in program  # dropped, as fpdf2 drops them


def test_documents_drawn_on_many_threads_at_once_are_each_right(frozen_clock):
    """gunicorn's threads draw documents at the same time from the same cached
    fonts: each document comes out as it does alone."""
    import threading

    texts = [f"{HINDI} {n} — {MIXED} आवेदन {n:04d}" for n in range(8)]

    def make(text: str) -> bytes:
        doc = Document(f"दस्तावेज़ {text[-4:]}")
        doc.paragraph(text)
        doc.table(["सेवा", "राशि"], [[text[:30], "₹10.00"]] * 3)
        return doc.output()

    alone = {text: make(text) for text in texts}
    results: dict[str, list[bytes]] = {text: [] for text in texts}
    errors: list[BaseException] = []
    start = threading.Barrier(len(texts))

    def work(text: str) -> None:
        try:
            start.wait()
            for _ in range(3):
                results[text].append(make(text))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(text,)) for text in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for text in texts:
        assert results[text] == [alone[text]] * 3
        assert squeezed(text) in squeezed(text_of(read(alone[text])))


def test_a_shared_font_is_never_subset_in_place(frozen_clock):
    from ekseva.core import pdf as core_pdf

    doc = Document()
    doc.paragraph(MIXED)
    template = core_pdf._font_templates()[0]
    with pytest.raises(RuntimeError):
        core_pdf._Subsetter(core_pdf.ft_subset.Options()).subset(template.font.ttfont)


def test_remembered_widths_lay_out_the_same_document(frozen_clock):
    """The widths kept across documents give the same file as widths shaped afresh."""
    from ekseva.core import pdf as core_pdf

    def make() -> bytes:
        doc = Document("Receipt · रसीद")
        doc.paragraph(f"{MIXED} {HINDI} " * 4)
        doc.key_value([("आवेदक / Applicant", HINDI), ("Amount", "₹1,23,456.00")])
        return doc.output()

    with core_pdf._width_lock:
        core_pdf._widths.clear()
    fresh = make()
    assert len(core_pdf._widths) > 0
    assert make() == fresh
