"""Whole documents, assembled in memory (DESIGN §7): flowing A4 pages or drawn labels."""

from __future__ import annotations

import io
import zlib
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, BinaryIO, NamedTuple, TypeVar

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfdoc
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import SimpleDocTemplate

from .fonts import CJKFont, cjk_font
from .styles import GREY

T = TypeVar("T")

LABEL_100X150 = (100 * mm, 150 * mm)
"""The express waybill label (面单), portrait: 100 mm wide, 150 mm high."""

PDF_LANG = "zh-CN"


class Margins(NamedTuple):
    """Page margins in millimetres, in CSS order."""

    top: float
    right: float
    bottom: float
    left: float


@dataclass(frozen=True)
class PageInfo:
    """What a header or footer knows about the page it decorates (lengths in points)."""

    number: int
    count: int
    title: str
    width: float
    height: float
    margins: Margins
    printed_at: datetime
    font: CJKFont

    @property
    def left(self) -> float:
        return self.margins.left * mm

    @property
    def right(self) -> float:
        return self.width - self.margins.right * mm

    @property
    def top(self) -> float:
        return self.height - self.margins.top * mm

    @property
    def bottom(self) -> float:
        return self.margins.bottom * mm


PageDecorator = Callable[[Any, PageInfo], None]
"""Draws on a finished page's canvas; the total page count is known by then."""


def standard_header(canvas: Any, page: PageInfo) -> None:
    """Company name on the left, document title on the right, a rule under both."""
    rule_y = page.top + 5 * mm
    canvas.saveState()
    canvas.setFont(page.font.name, 9)
    canvas.setFillColor(GREY)
    canvas.drawString(page.left, rule_y + 1.5 * mm, str(settings.COMPANY_NAME))
    canvas.drawRightString(page.right, rule_y + 1.5 * mm, page.title)
    canvas.setStrokeColor(GREY)
    canvas.setLineWidth(0.5)
    canvas.line(page.left, rule_y, page.right, rule_y)
    canvas.restoreState()


def standard_footer(canvas: Any, page: PageInfo) -> None:
    """The page number ("page N of M") centred, the print time (company time zone) right."""
    y = page.bottom - 8 * mm
    canvas.saveState()
    canvas.setFont(page.font.name, 8)
    canvas.setFillColor(GREY)
    canvas.drawCentredString(
        page.width / 2,
        y,
        _("Page %(page)s of %(pages)s") % {"page": page.number, "pages": page.count},
    )
    printed = timezone.localtime(page.printed_at).strftime("%Y-%m-%d %H:%M")
    canvas.drawRightString(page.right, y, _("Printed %(time)s") % {"time": printed})
    canvas.restoreState()


def build_pdf(
    flowables: Iterable[Any],
    *,
    title: str,
    pagesize: tuple[float, float] = A4,
    margins: tuple[float, float, float, float] | None = None,
    header: PageDecorator | None = standard_header,
    footer: PageDecorator | None = standard_footer,
    subject: str = "",
    printed_at: datetime | None = None,
) -> bytes:
    """A PDF of ``flowables`` flowing over pages, as bytes.

    ``margins`` are (top, right, bottom, left) in mm; by default they leave room for the
    header and footer. ``header``/``footer`` are drawn on every page once the page count
    is known; pass ``None`` for none, or your own ``PageDecorator``. ``printed_at``
    (default: now) is the print time the standard footer shows.
    """
    font = cjk_font()
    page_margins = Margins(*margins) if margins is not None else _default_margins(header, footer)
    template = PageInfo(
        number=0,
        count=0,
        title=title,
        width=pagesize[0],
        height=pagesize[1],
        margins=page_margins,
        printed_at=printed_at or timezone.now(),
        font=font,
    )
    decorators = [d for d in (header, footer) if d is not None]

    def decorate(canvas: Any, number: int, count: int) -> None:
        page = replace(template, number=number, count=count)
        for decorator in decorators:
            decorator(canvas, page)

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=pagesize,
        topMargin=page_margins.top * mm,
        rightMargin=page_margins.right * mm,
        bottomMargin=page_margins.bottom * mm,
        leftMargin=page_margins.left * mm,
        initialFontName=font.name,
        lang=PDF_LANG,
        **_metadata(title, subject),
    )
    doc.build(list(flowables), canvasmaker=_deferred_canvas_maker(decorate))
    return buffer.getvalue()


def canvas_pdf(
    items: Iterable[T],
    draw_page: Callable[[Any, T], None],
    *,
    title: str | Callable[[int], str],
    pagesize: tuple[float, float] = LABEL_100X150,
    subject: str = "",
) -> bytes:
    """One page per item, drawn by ``draw_page(canvas, item)`` at absolute positions.

    For labels and other fixed layouts: a whole wave's waybills in one file. The canvas
    starts in the CJK font; ``draw_page`` must not call ``showPage`` itself. ``title`` may
    be a function of the page count, for items that are counted only while drawn.
    """
    buffer = io.BytesIO()
    write_canvas_pdf(buffer, items, draw_page, title=title, pagesize=pagesize, subject=subject)
    return buffer.getvalue()


def write_canvas_pdf(
    out: BinaryIO,
    items: Iterable[T],
    draw_page: Callable[[Any, T], None],
    *,
    title: str | Callable[[int], str],
    pagesize: tuple[float, float] = LABEL_100X150,
    subject: str = "",
) -> int:
    """``canvas_pdf`` written to ``out`` page by page; returns the number of pages.

    Each page goes to ``out`` as soon as it is drawn, so memory stays flat however many
    items there are (10,000 labels from an iterator into a temporary file): only the font
    subset, shared forms and a few bytes per page are kept for the end of the file.
    """
    font = cjk_font()
    canvas = _StreamingCanvas(out, pagesize=pagesize, initialFontName=font.name, lang=PDF_LANG)
    pages = 0
    for item in items:
        draw_page(canvas, item)
        canvas.showPage()
        pages += 1
    if not pages:
        raise ValueError("canvas_pdf() needs at least one item: a PDF has one page or more")
    meta = _metadata(title if isinstance(title, str) else title(pages), subject)
    canvas.setTitle(meta["title"])
    canvas.setAuthor(meta["author"])
    canvas.setSubject(meta["subject"])
    canvas.setCreator(meta["creator"])
    canvas.save()
    return pages


class _StreamingCanvas(Canvas):
    """A canvas that writes each finished page (its dictionary and content) to a file.

    reportlab keeps every page's drawing operators in memory until ``save()``: about 7 KB
    a label, 70 MB for 10,000, and as much again while it formats the file. Here each page
    is compressed and written when it is shown, then dropped from reportlab's registry of
    objects: what stays is the page's object number and two file offsets. The objects that
    can change until the end (fonts, page tree, forms, catalogue, info) are written by
    ``save()``, then the cross-reference table. Pages cannot be linked to or bookmarked.
    """

    def __init__(self, out: BinaryIO, **options: Any) -> None:
        super().__init__(io.BytesIO(), **options)
        self._out = out
        self._position = 0
        self._offsets = array("q")  # by object number - 1; 0 until written
        # The header goes first: 1.4 covers everything reportlab draws on a label.
        self._emit(b"%PDF-1.4\n%\223\214\213\236 ReportLab Generated PDF document (opensource)\n")

    def _emit(self, data: bytes) -> int:
        offset = self._position
        self._out.write(data)
        self._position += len(data)
        return offset

    def _emit_object(self, name: str) -> int:
        """Write the registered object ``name``; its object number."""
        document = self._doc
        number = document.idToObjectNumberAndVersion[name][0]
        data = pdfdoc.PDFIndirectObject(name, document.idToObject[name]).format(document)
        if len(self._offsets) < number:
            self._offsets.extend([0] * (number - len(self._offsets)))
        self._offsets[number - 1] = self._emit(data)
        return number

    def _forget(self, name: str) -> None:
        document = self._doc
        number = document.idToObjectNumberAndVersion.pop(name)[0]
        del document.numberToId[number]
        del document.idToObject[name]

    def showPage(self) -> None:
        super().showPage()
        document = self._doc
        page = document.Pages.pages[-1]
        operators = page.stream.encode("utf-8")  # escaped by reportlab: ASCII
        page.stream = None
        contents = pdfdoc.PDFStream(content=zlib.compress(operators))
        contents.dictionary["Filter"] = pdfdoc.PDFName("FlateDecode")
        page.Contents = contents
        name = page.__InternalName__
        number = self._emit_object(name)  # references the contents: they get a number now
        self._emit_object(contents.__InternalName__)
        self._forget(name)
        self._forget(contents.__InternalName__)
        # The page tree's entry for the page, as the reference it formats to.
        document.Pages.pages[-1] = b"%d 0 R" % number

    def save(self) -> None:
        """Write what is left and the cross-reference table (``GetPDFData``, ``format``)."""
        if len(self._code):
            self.showPage()
        document = self._doc
        for font in document.delayedFonts:
            font.addObjects(document)
        document.info.invariant = document.invariant
        document.info.digest(document.signature)
        document.Reference(document.Catalog)
        document.Reference(document.info)
        document.Outlines.prepare(document, self)
        if document.Outlines.ready < 0:
            document.Catalog.Outlines = None
        number = 1
        while number <= document.objectcounter:  # formatting may register further objects
            if number in document.numberToId:
                self._emit_object(document.numberToId[number])
            number += 1
        count = document.objectcounter
        self._offsets.extend([0] * (count - len(self._offsets)))
        entries = b"".join(
            b"%010d 00000 n \n" % offset if offset else b"0000000000 65535 f \n"
            for offset in self._offsets[:count]
        )
        start = self._emit(b"xref\n0 %d\n0000000000 65535 f \n%s" % (count + 1, entries))
        trailer = pdfdoc.PDFTrailer(
            startxref=start,
            Size=count + 1,
            Root=document.Reference(document.Catalog),
            Info=document.Reference(document.info),
            ID=document.ID(),
        )
        self._emit(trailer.format(document))


def _default_margins(header: PageDecorator | None, footer: PageDecorator | None) -> Margins:
    return Margins(top=20 if header else 12, right=15, bottom=18 if footer else 12, left=15)


def _metadata(title: str, subject: str) -> dict[str, str]:
    return {
        "title": title,
        "author": str(settings.COMPANY_NAME),
        "subject": subject,
        "creator": "ecomops",
    }


def _deferred_canvas_maker(decorate: Callable[[Any, int, int], None]) -> Callable[..., Any]:
    """A canvas class that keeps every page until the end, to write "page N of M".

    One pass instead of building the document twice: each finished page's state is kept
    and replayed in ``save()``, when the count is known.
    """

    class DeferredCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._finished_pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._finished_pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            count = len(self._finished_pages)
            for state in self._finished_pages:
                self.__dict__.update(state)
                decorate(self, self._pageNumber, count)
                super().showPage()
            super().save()

    return DeferredCanvas
