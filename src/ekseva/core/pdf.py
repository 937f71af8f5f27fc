"""PDF documents for people: statements now, receipts and certificates later.

    from ekseva.core.pdf import Document

    doc = Document("Settlement statement", language="hi")
    doc.heading("निपटान विवरण")
    doc.key_value([("विभाग", "लोक सेवा"), ("अवधि", "14-06-2026")])
    doc.table(["सेवा", "राशि"], [["आय प्रमाण पत्र", "₹1,23,456.00"]], widths=(3, 1),
              align=("LEFT", "RIGHT"))
    data: bytes = doc.output()

fpdf2 lays the page out; HarfBuzz (uharfbuzz) shapes the text, so Devanagari
conjuncts (क्ष, त्र, श्री) and matras (ि before its consonant) come out right.
The fonts are bundled in ``core/fonts`` (Noto Sans for Latin text, Noto Sans
Devanagari for Hindi, regular and bold; SIL Open Font License, ``fonts/OFL.txt``)
and embedded, subset, in every document: a PDF looks the same on any machine.
Mixed text needs no markup: a character Noto Sans lacks is drawn in Noto Sans
Devanagari (fpdf2's fallback fonts), in the same weight.

Every page has a header with the portal's name in English and Hindi and the
document's title, and a footer with "page n of N" and the time the document was
generated (from ``core.clock``, so tests can fix it). Tables wrap long cells and
repeat their header row on every page they run onto.

Text extraction: when HarfBuzz draws one cluster of text with several glyphs
(ि + consonant, a reph), fpdf2 gives the cluster's text to the first glyph and
leaves the others out of the ToUnicode map, so some readers print their raw codes
as stray control characters in the middle of a word. ``output()`` maps those
glyphs to no text at all; tests/core/test_pdf.py extracts the words back.

Speed (docs/performance.md, ``bench/bench_receipts.py``): the fonts are parsed
once per process, not once per document. ``fpdf.add_font`` reads a whole font
file with fontTools (about 20 ms a font, four fonts); here each font is read
once into a template (``_FontTemplate``) and a document gets a light copy that
shares what never changes while a document is drawn (the cmap, glyph ids, the
fontTools font read for glyph names and advance widths, the HarfBuzz face) and
has its own of what does (the subset map, widths, font descriptor, the
HarfBuzz font, whose size is set before each shaping). The embedded subset is
made by HarfBuzz's subsetter (``hb.subset``: about 0.3 ms a font) instead of
fontTools' (50 ms a font, and it changes the font it subsets in place, so a
shared font could not go through it): ``_Producer`` hands fpdf2 a ready
``_Subset`` where fpdf2 expects a fontTools font to subset, and the fontTools
subsetter fpdf2 calls leaves a ``_Subset`` as it is (``_Subsetter``). The
same tables are dropped as fpdf2 drops, the same first glyphs (.notdef, null,
CR, space) kept. Templates are made once under a lock and only read after;
every document is drawn by one thread, so gunicorn's threads may draw
documents at the same time.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import uharfbuzz as hb
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from fontTools import subset as ft_subset
from fpdf import FPDF
from fpdf import output as fpdf_output
from fpdf.enums import XPos, YPos
from fpdf.fonts import HarfBuzzFont, SubsetMap, TTFFont
from fpdf.output import OutputProducer

from . import clock

# fontTools (fpdf2's font subsetter) reports every table it subsets at INFO level.
logging.getLogger("fontTools").setLevel(logging.WARNING)

FONT_DIR = Path(__file__).resolve().parent / "fonts"
LATIN = "NotoSans"
DEVANAGARI = "NotoSansDevanagari"
FONT_FILES = {
    (LATIN, ""): "NotoSans-Regular.ttf",
    (LATIN, "B"): "NotoSans-Bold.ttf",
    (DEVANAGARI, ""): "NotoSansDevanagari-Regular.ttf",
    (DEVANAGARI, "B"): "NotoSansDevanagari-Bold.ttf",
}

MARGIN_MM = 15
BODY_PT = 10
SMALL_PT = 8
LINE_MM = 5.5
GREY = (90, 90, 90)
RULE = (160, 160, 160)
HEADING_FILL = (232, 236, 242)
ALIGNS = frozenset({"LEFT", "RIGHT", "CENTER", "JUSTIFY"})


class _NoText(int):
    """A ToUnicode target that prints as nothing: fpdf2 formats each code point
    with ``f"{code:04X}"``, so a glyph given ``(_NoText(),)`` is written ``<cid> <>``
    (this glyph stands for no text of its own) instead of being left out."""

    def __format__(self, spec: str) -> str:
        return ""


class _Pages(FPDF):
    """fpdf2 with our header and footer (fpdf2 calls them on every page)."""

    def __init__(self, document: Document) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self._document = document

    def header(self) -> None:
        self._document._header()

    def footer(self) -> None:
        self._document._footer()


class Document:
    """An A4 document in one language (``en`` or ``hi``) for the labels the
    document itself prints (footer); the caller passes text already in it."""

    def __init__(self, title: str = "", *, language: str = "en") -> None:
        self.title = title
        self.language = "hi" if language == "hi" else "en"
        self.generated_at = clock.local_now()
        pdf = _Pages(self)
        for index, template in enumerate(_font_templates(), start=1):
            pdf.fonts[template.fontkey] = template.for_document(index)
        pdf.set_fallback_fonts([DEVANAGARI], exact_match=False)
        pdf.set_text_shaping(True)
        pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
        pdf.set_auto_page_break(True, margin=MARGIN_MM + 5)
        pdf.set_creation_date(clock.now())
        pdf.set_title(title or settings.EKSEVA_PORTAL_NAME)
        pdf.set_author(settings.EKSEVA_PORTAL_NAME)
        pdf.set_creator(settings.EKSEVA_PORTAL_NAME)
        pdf.set_lang("hi-IN" if self.language == "hi" else "en-IN")
        self.pdf = pdf
        with self._language():
            pdf.add_page()
        self._font()

    # ------------------------------------------------------------------ page furniture

    def _language(self) -> Any:
        return translation.override(self.language)

    def _font(self, size: float = BODY_PT, bold: bool = False) -> None:
        self.pdf.set_font(LATIN, "B" if bold else "", size)

    def _header(self) -> None:
        pdf = self.pdf
        pdf.set_text_color(0, 0, 0)
        self._font(12, bold=True)
        names = f"{settings.EKSEVA_PORTAL_NAME} · {settings.EKSEVA_PORTAL_NAME_HI}"
        pdf.cell(0, 6, names, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self._font(SMALL_PT)
        pdf.set_text_color(*GREY)
        state = f"{settings.EKSEVA_STATE_NAME} · {settings.EKSEVA_STATE_NAME_HI}"
        pdf.cell(0, 4.5, state, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if self.title:
            pdf.cell(0, 4.5, self.title, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_draw_color(*RULE)
        pdf.line(pdf.l_margin, pdf.get_y() + 1, pdf.w - pdf.r_margin, pdf.get_y() + 1)
        pdf.set_text_color(0, 0, 0)
        pdf.ln(5)
        self._font()

    def _footer(self) -> None:
        pdf = self.pdf
        with self._language():
            generated = _("Generated %(when)s") % {
                "when": self.generated_at.strftime("%d-%m-%Y %H:%M %Z").strip()
            }
            page = _("Page %(page)s of %(pages)s") % {
                "page": pdf.page_no(),
                "pages": pdf.str_alias_nb_pages,
            }
        pdf.set_y(-MARGIN_MM)
        self._font(SMALL_PT)
        pdf.set_text_color(*GREY)
        width = (pdf.w - pdf.l_margin - pdf.r_margin) / 2
        pdf.cell(width, 5, generated, align="L")
        pdf.cell(width, 5, page, align="R")
        pdf.set_text_color(0, 0, 0)

    # ------------------------------------------------------------------ content

    def heading(self, text: str, level: int = 1) -> None:
        """A heading: level 1 (the document's) or 2 (a section's)."""
        pdf = self.pdf
        size = {1: 16, 2: 12.5}.get(level, 11)
        if level > 1:
            pdf.ln(2)
        self._font(size, bold=True)
        self.lines(text, line_height=size * 0.5)
        pdf.ln(1.5)
        self._font()

    def paragraph(self, text: str, *, bold: bool = False, size: float = BODY_PT) -> None:
        """Running text, wrapped at the margins."""
        self._font(size, bold=bold)
        self.lines(text, line_height=LINE_MM)
        self.pdf.ln(1.5)
        self._font()

    # Text is drawn a line at a time with ``cell`` after our own line breaking
    # (``wrap``): fpdf2's multi_cell and table() measure the line so far after
    # every character (a shaping of a new string each time, most of a receipt's
    # cost), and table() lays every cell out twice. ``wrap`` measures whole
    # words and lines: a dozen shapings a line instead of a hundred.

    def text_width(self, text: str) -> float:
        """The width of ``text`` in mm in the current font (shaped, with fallback),
        kept per process: fpdf2's get_string_width splits the text into runs per
        font (bidi, fallback) on every call, which costs more than the shaping."""
        if not text:
            return 0.0
        pdf = self.pdf
        key = (pdf.font_family, pdf.font_style, pdf.font_size_pt, text)
        found = _string_widths.get(key)
        if found is None:
            found = pdf.get_string_width(text)
            with _width_lock:
                _string_widths[key] = found
                while len(_string_widths) > _WIDTHS:
                    _string_widths.popitem(last=False)
        return found

    def wrap(self, text: str, width: float) -> list[str]:
        """``text`` broken into lines no wider than ``width`` mm in the current
        font: at spaces (a line's width taken as its words' and spaces' widths),
        and inside a word only when the word alone is too wide."""
        lines: list[str] = []
        measure = self.text_width
        space = measure(" ")
        for part in str(text).split("\n"):
            if measure(part) <= width:
                lines.append(part)
                continue
            line, line_width = "", 0.0
            for word in part.split(" "):
                word_width = measure(word)
                if line and line_width + space + word_width <= width:
                    line, line_width = f"{line} {word}", line_width + space + word_width
                    continue
                if not line and word_width <= width:
                    line, line_width = word, word_width
                    continue
                if line:
                    lines.append(line)
                while len(word) > 1 and measure(word) > width:
                    low, high = 1, len(word) - 1  # the longest head of the word that fits
                    while low < high:
                        middle = (low + high + 1) // 2
                        if measure(word[:middle]) <= width:
                            low = middle
                        else:
                            high = middle - 1
                    lines.append(word[:low])
                    word = word[low:]
                line, line_width = word, measure(word)
            lines.append(line)
        return lines

    def lines(
        self,
        text: str,
        *,
        line_height: float,
        x: float | None = None,
        width: float | None = None,
        align: str = "L",
    ) -> None:
        """``text`` wrapped into ``width`` mm (the rest of the line) from ``x`` (the
        left margin) in the current font, a line at a time; leaves the cursor at
        the left margin under the last line, on a new page if the text ran onto one."""
        pdf = self.pdf
        x = pdf.l_margin if x is None else x
        width = (pdf.w - pdf.r_margin - x) if width is None else width
        margin, pdf.c_margin = pdf.c_margin, 0
        try:
            for line in self.wrap(text, width):
                if pdf.will_page_break(line_height):
                    pdf.add_page()
                pdf.set_x(x)
                pdf.cell(width, line_height, line, align=align)
                pdf.set_xy(pdf.l_margin, pdf.get_y() + line_height)
        finally:
            pdf.c_margin = margin

    def key_value(self, pairs: Iterable[tuple[str, str]], *, widths: Sequence[float] = (1, 2)):
        """Labelled values, one pair a line (label in bold), wrapped if long."""
        rows = [(str(label), str(value)) for label, value in pairs]
        if not rows:
            return
        pdf = self.pdf
        left = pdf.l_margin
        label_width = pdf.epw * widths[0] / sum(widths)
        value_width = pdf.epw - label_width
        top_pad, right_pad = 0.6, 1  # as table(padding=(0.6, 1, 0.6, 0)) had it
        margin, pdf.c_margin = pdf.c_margin, 0
        try:
            for label, value in rows:
                self._font(bold=True)
                label_lines = self.wrap(label, label_width - right_pad)
                self._font()
                value_lines = self.wrap(value, value_width - right_pad)
                height = max(len(label_lines), len(value_lines)) * LINE_MM + 2 * top_pad
                if pdf.will_page_break(height):
                    pdf.add_page()
                top = pdf.get_y() + top_pad
                self._font(bold=True)
                for i, line in enumerate(label_lines):
                    pdf.set_xy(left, top + i * LINE_MM)
                    pdf.cell(label_width - right_pad, LINE_MM, line)
                self._font()
                for i, line in enumerate(value_lines):
                    pdf.set_xy(left + label_width, top + i * LINE_MM)
                    pdf.cell(value_width - right_pad, LINE_MM, line)
                pdf.set_xy(left, top - top_pad + height)
        finally:
            pdf.c_margin = margin
        self.pdf.ln(2)

    def table(
        self,
        columns: Sequence[str],
        rows: Iterable[Sequence[Any]],
        widths: Sequence[float] | None = None,
        align: Sequence[str] | None = None,
        *,
        size: float = 9,
    ) -> None:
        """A table with a header row (repeated at the top of every page it runs
        onto); ``widths`` are relative, ``align`` is LEFT, RIGHT or CENTER per column.
        Cells are turned into text with ``str()``; long ones wrap."""
        count = len(columns)
        widths = tuple(widths) if widths else (1,) * count
        align = tuple(a.upper() for a in align) if align else ("LEFT",) * count
        if len(widths) != count or len(align) != count or not set(align) <= ALIGNS:
            raise ValueError("one width and one alignment (LEFT/RIGHT/CENTER) per column")
        body = []
        for values in rows:
            if len(values) != count:
                raise ValueError(f"a row has {len(values)} cells, the table {count} columns")
            body.append(["" if value is None else str(value) for value in values])
        pdf = self.pdf
        total = sum(widths)
        columns_mm = [pdf.epw * w / total for w in widths]
        aligns = [{"LEFT": "L", "RIGHT": "R", "CENTER": "C", "JUSTIFY": "L"}[a] for a in align]
        line = size * 0.5
        pad_y, pad_x = 1, 1.2  # as table(padding=(1, 1.2)) had it
        heading = [str(column) for column in columns]

        def draw(cells: list[str], bold: bool) -> None:
            self._font(size, bold=bold)
            wrapped = [
                self.wrap(text, width - 2 * pad_x)
                for text, width in zip(cells, columns_mm, strict=True)
            ]
            height = max(len(lines) for lines in wrapped) * line + 2 * pad_y
            if pdf.will_page_break(height):
                pdf.add_page()
                if not bold:
                    draw(heading, True)
                    self._font(size)
            top = pdf.get_y()
            right = pdf.l_margin + pdf.epw
            if bold:
                pdf.set_fill_color(*HEADING_FILL)
                pdf.rect(pdf.l_margin, top, pdf.epw, height, style="F")
            x = pdf.l_margin
            for lines, width, cell_align in zip(wrapped, columns_mm, aligns, strict=True):
                middle = (height - 2 * pad_y - len(lines) * line) / 2  # centred, as table() did
                for i, text in enumerate(lines):
                    pdf.set_xy(x + pad_x, top + pad_y + middle + i * line)
                    pdf.cell(width - 2 * pad_x, line, text, align=cell_align)
                x += width
            pdf.set_draw_color(0, 0, 0)
            pdf.line(pdf.l_margin, top + height, right, top + height)
            pdf.set_xy(pdf.l_margin, top + height)

        margin, pdf.c_margin = pdf.c_margin, 0
        try:
            draw(heading, True)
            for cells in body:
                draw(cells, False)
        finally:
            pdf.c_margin = margin
        self.pdf.ln(3)
        self._font()

    def space(self, mm: float = 4) -> None:
        self.pdf.ln(mm)

    # ------------------------------------------------------------------ result

    def output(self) -> bytes:
        """The finished PDF."""
        with self._language():  # the last page's footer is drawn now
            return bytes(self.pdf.output(output_producer_class=_Producer))


class _Producer(OutputProducer):
    """Writes the file once every page (footers included) is drawn: first gives
    the glyphs that stand for no text of their own an empty ToUnicode entry, and
    each font copied from a template its subset, made by HarfBuzz."""

    def bufferize(self) -> bytearray:
        for font in self.fpdf.fonts.values():
            subset = getattr(font, "subset", None)
            if subset is None:
                continue
            for glyph, _code in subset.items():
                if glyph is not None and glyph.unicode == ():
                    glyph.unicode = (_NoText(),)
            template = _template_of(font)
            if template is not None:
                font.ttfont = template.subset(font)
        return super().bufferize()


# ---------------------------------------------------------------------- font cache

# The tables fpdf2 drops from an embedded font (fpdf/output.py, _add_fonts), and
# the first glyphs its fontTools options keep (recommended_glyphs: .notdef, null,
# CR, space).
_DROP_TABLES = (
    *("FFTM", "GDEF", "GPOS", "GSUB", "MATH", "hdmx", "meta", "sbix"),
    *("CBDT", "CBLC", "EBDT", "EBLC", "EBSC", "SVG ", "CPAL", "COLR"),
)
_DROP_TAGS = [int.from_bytes(tag.encode("ascii"), "big") for tag in _DROP_TABLES]
_RECOMMENDED_GLYPHS = (0, 1, 2, 3)


class _FontTemplate:
    """One font file, parsed once per process (by fpdf2 itself, on a scratch
    FPDF) and never drawn with: documents get copies (``for_document``)."""

    def __init__(self, family: str, style: str, path: Path) -> None:
        scratch = FPDF()
        scratch.add_font(family, style, str(path))
        self.fontkey = f"{family.lower()}{style}"
        self.font: TTFFont = scratch.fonts[self.fontkey]
        ttfont = self.font.ttfont
        # Read now what drawing reads later, so that documents only ever read it:
        # the glyph order (names by id and ids by name) and the advance widths.
        ttfont.getGlyphOrder()
        ttfont.getGlyphID(".notdef")
        ttfont["hmtx"]
        data = path.read_bytes()
        self.face = hb.Face(hb.Blob(data))
        self.glyph_count = len(ttfont.getGlyphOrder())

    def for_document(self, index: int) -> TTFFont:
        """A TTFFont for one document: shared read-only parts, its own mutable ones."""
        template = self.font
        font = _DocumentFont.__new__(_DocumentFont)
        font.template = self
        for name in TTFFont.__slots__:
            if hasattr(template, name):
                setattr(font, name, getattr(template, name))
        font.i = index
        font.cw = template.cw.copy()  # a defaultdict: reading a missing char adds it
        font.desc = copy.copy(template.desc)  # output() names it and gives it an id
        font.missing_glyphs = []
        font.biggest_size_pt = 0
        font._hbfont = HarfBuzzFont(self.face)  # output sets its size before shaping
        font.subset = SubsetMap(font)
        return font

    def subset(self, font: TTFFont) -> _Subset:
        """The embedded subset of the glyphs ``font`` (a document's copy) used."""
        ttfont = self.font.ttfont
        glyphs = {ttfont.getGlyphID(name) for name in font.subset.get_all_glyph_names()}
        glyphs.update(g for g in _RECOMMENDED_GLYPHS if g < self.glyph_count)
        template_cmap = self.font.cmap
        unicodes = set()
        for glyph, _code in font.subset.items():
            if glyph is None:
                continue
            for code in glyph.unicode:
                if isinstance(code, int) and template_cmap.get(code) == glyph.glyph_name:
                    unicodes.add(code)
        request = hb.SubsetInput()
        request.glyph_set.update(glyphs)
        request.unicode_set.update(unicodes)
        request.drop_table_tag_set.update(_DROP_TAGS)
        request.flags = hb.SubsetFlags.NO_LAYOUT_CLOSURE | hb.SubsetFlags.NOTDEF_OUTLINE
        plan = hb.SubsetPlan(self.face, request)
        new_ids = dict(plan.old_to_new_glyph_mapping.items())
        data = plan.execute().blob.data
        names = font.subset.get_all_glyph_names()
        return _Subset(data, {name: new_ids[ttfont.getGlyphID(name)] for name in names})


class _DocumentFont(TTFFont):
    """A document's copy of a template's font that remembers the widths of the
    texts it shaped, with every other copy of the same template.

    fpdf2's line breaking asks for the shaped width of the line so far after each
    character it adds (and a table lays each cell out twice), so a receipt asks
    HarfBuzz for about 10,000 widths, most of them the same labels, header and
    footer as in the last document. The width of a text depends only on the font,
    the text, the size and the shaping parameters, so it is kept per process
    (``_widths``: a bounded LRU cache, thread-safe)."""

    template: _FontTemplate

    def shaped_text_width(
        self, text: str, font_size_pt: float, text_shaping_params: dict[str, Any] | None
    ) -> tuple[int, float]:
        params: tuple = ()
        if text_shaping_params:  # names and values (features: a dict) of the parameters
            params = tuple(
                (name, tuple(sorted(value.items())) if isinstance(value, dict) else value)
                for name, value in text_shaping_params.items()
            )
        key = (self.template.fontkey, text, font_size_pt, params)
        with _width_lock:
            found = _widths.get(key)
            if found is not None:
                _widths.move_to_end(key)
                return found
        found = super().shaped_text_width(text, font_size_pt, text_shaping_params)
        with _width_lock:
            _widths[key] = found
            while len(_widths) > _WIDTHS:
                _widths.popitem(last=False)
        return found


_WIDTHS = 32768  # entries: ~10 MB at most
_width_lock = threading.Lock()
_widths: OrderedDict[tuple, tuple[int, float]] = OrderedDict()
# Document.text_width: (family, style, size, text) -> mm. Insertion-ordered (a
# plain dict read without the lock: a get is atomic), trimmed oldest first.
_string_widths: OrderedDict[tuple, float] = OrderedDict()


class _Subset:
    """What fpdf2's output asks of a subset font (``getGlyphID``, ``save``,
    ``close``), for a font HarfBuzz already subset."""

    def __init__(self, data: bytes, ids: dict[str, int]) -> None:
        self.data = data
        self.ids = ids

    def getGlyphID(self, name: str) -> int:
        return self.ids[name]

    def save(self, file: Any) -> None:
        file.write(self.data)

    def __contains__(self, tag: str) -> bool:
        return False  # no CFF table: the bundled fonts are TrueType

    def close(self) -> None:
        pass


class _Subsetter(ft_subset.Subsetter):
    """fontTools' subsetter, which leaves a ``_Subset`` as it is, and refuses to
    subset a template's font in place (it would spoil every later document)."""

    def subset(self, font: Any) -> None:
        if isinstance(font, _Subset):
            return None
        if any(font is template.font.ttfont for template in _templates or ()):
            raise RuntimeError("a shared font must not be subset in place: use Document.output()")
        return super().subset(font)


class _SubsetModule:
    Options = ft_subset.Options
    Subsetter = _Subsetter


fpdf_output.ftsubset = _SubsetModule  # fpdf2's output looks its subsetter up here

_templates: list[_FontTemplate] | None = None
_templates_lock = threading.Lock()


def _font_templates() -> list[_FontTemplate]:
    """The four fonts, parsed on first use (once per process, under a lock)."""
    global _templates
    if _templates is None:
        with _templates_lock:
            if _templates is None:
                _templates = [
                    _FontTemplate(family, style, FONT_DIR / file_name)
                    for (family, style), file_name in FONT_FILES.items()
                ]
    return _templates


def _template_of(font: TTFFont) -> _FontTemplate | None:
    for template in _templates or ():
        if font.fontkey == template.fontkey and font.cmap is template.font.cmap:
            return template
    return None
