"""Barcodes drawn by reportlab itself (vector, sharp on any printer): Code128, QR, EAN-13.

Every helper returns a Flowable, which goes into ``build_pdf`` as is, or onto a canvas at
an absolute position with ``barcode.drawOn(canvas, x, y)`` (x, y: the bottom-left corner,
in points). Its ``width`` and ``height`` are known before drawing, so a label can centre
it: ``code.drawOn(canvas, (page_width - code.width) / 2, y)``. The ``draw_*`` functions
do just that in one call.
"""

from __future__ import annotations

from typing import Any, Literal

from reportlab.graphics.barcode.code128 import Code128
from reportlab.graphics.barcode.eanbc import Ean13BarcodeWidget
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import getAscentDescent, stringWidth
from reportlab.platypus import Flowable

from .fonts import cjk_font

QrLevel = Literal["L", "M", "Q", "H"]

# Code128 needs a quiet zone of ten modules on each side to scan reliably.
_QUIET_MODULES = 10
# Gap between the bars and the human-readable text under them.
_TEXT_GAP = 1 * mm


class Code128Barcode(Flowable):
    """A Code128 symbol with its value printed under the bars."""

    def __init__(
        self,
        value: str,
        *,
        bar_height: float,
        bar_width: float,
        human_readable: bool,
        font_name: str,
        font_size: float,
    ) -> None:
        super().__init__()
        self.value = value
        self._bars = Code128(
            value,
            barWidth=bar_width,
            barHeight=bar_height,
            humanReadable=0,
            quiet=1,
            lquiet=_QUIET_MODULES * bar_width,
            rquiet=_QUIET_MODULES * bar_width,
        )
        self.width = float(self._bars.width)
        self._font_name = font_name
        self._font_size = font_size
        self._text_height = 0.0
        if human_readable:
            text_width = stringWidth(value, font_name, font_size)
            if text_width > self.width:
                self._font_size = font_size * self.width / text_width
            ascent, descent = getAscentDescent(font_name, self._font_size)
            self._descent = -descent
            self._text_height = ascent - descent + _TEXT_GAP
        self.height = bar_height + self._text_height

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        self._bars.drawOn(self.canv, 0, self._text_height)
        if self._text_height:
            self.canv.saveState()
            self.canv.setFont(self._font_name, self._font_size)
            self.canv.drawCentredString(self.width / 2, self._descent, self.value)
            self.canv.restoreState()


def code128_flowable(
    value: str,
    *,
    bar_height_mm: float = 12,
    bar_width_mm: float = 0.33,
    max_width_mm: float | None = None,
    human_readable: bool = True,
    font_size: float = 9,
) -> Code128Barcode:
    """A Code128 barcode (tracking numbers, order and SKU codes); ASCII values only.

    ``bar_width_mm`` is the narrowest bar (the module); 0.33 mm scans well from thermal
    label printers. With ``max_width_mm`` the module shrinks so a long value still fits;
    quiet zones (10 modules each side) are included in the width.
    """
    if not value:
        raise ValueError("A Code128 barcode needs a value.")
    if not value.isascii():
        raise ValueError(f"Code128 encodes ASCII only, not {value!r}.")
    bar_width = bar_width_mm * mm
    if max_width_mm is not None:
        modules = Code128(value, barWidth=1, quiet=0).width + 2 * _QUIET_MODULES
        bar_width = min(bar_width, max_width_mm * mm / modules)
    return Code128Barcode(
        value,
        bar_height=bar_height_mm * mm,
        bar_width=bar_width,
        human_readable=human_readable,
        font_name=cjk_font().name,
        font_size=font_size,
    )


def draw_code128(canvas: Any, value: str, x: float, y: float, **options: Any) -> Code128Barcode:
    """Draw ``code128_flowable(value, **options)`` with its bottom-left corner at (x, y)."""
    barcode = code128_flowable(value, **options)
    barcode.drawOn(canvas, x, y)
    return barcode


def qr_flowable(
    value: str, *, size_mm: float = 25, level: QrLevel = "M", border_modules: int = 4
) -> Any:
    """A square QR code ``size_mm`` wide, its quiet zone (``border_modules``) included.

    Level M survives a scuffed label (15% of the symbol); UTF-8 text is fine.
    """
    if not value:
        raise ValueError("A QR code needs a value.")
    size = size_mm * mm
    widget = QrCodeWidget(
        value, barWidth=size, barHeight=size, barLevel=level, barBorder=border_modules
    )
    return _drawing(widget, size, size, x=0, y=0)


def draw_qr(canvas: Any, value: str, x: float, y: float, **options: Any) -> Any:
    """Draw ``qr_flowable(value, **options)`` with its bottom-left corner at (x, y)."""
    code = qr_flowable(value, **options)
    code.drawOn(canvas, x, y)
    return code


def ean13_flowable(
    value: str, *, bar_height_mm: float = 18, bar_width_mm: float = 0.33, font_size: float = 8
) -> Any:
    """An EAN-13 product barcode (the 69… codes on goods sold in China).

    ``value`` is 12 digits (the check digit is added) or 13 digits with a correct check
    digit; a wrong one is an error rather than a silently different code.
    """
    if not (value.isascii() and value.isdigit() and len(value) in (12, 13)):
        raise ValueError(f"An EAN-13 code is 12 or 13 digits, not {value!r}.")
    if len(value) == 13 and value[-1] != ean13_check_digit(value[:12]):
        raise ValueError(f"{value!r} is not a valid EAN-13 code: wrong check digit.")
    widget = Ean13BarcodeWidget(
        value[:12],
        barHeight=bar_height_mm * mm,
        barWidth=bar_width_mm * mm,
        fontName=cjk_font().name,
        fontSize=font_size,
    )
    x0, y0, x1, y1 = widget.getBounds()
    return _drawing(widget, x1 - x0, y1 - y0, x=-x0, y=-y0)


def draw_ean13(canvas: Any, value: str, x: float, y: float, **options: Any) -> Any:
    """Draw ``ean13_flowable(value, **options)`` with its bottom-left corner at (x, y)."""
    code = ean13_flowable(value, **options)
    code.drawOn(canvas, x, y)
    return code


def ean13_check_digit(first_12_digits: str) -> str:
    """The EAN-13 check digit: weights 1,3,1,3… from the left, 10 minus the sum mod 10."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first_12_digits))
    return str((10 - total % 10) % 10)


def _drawing(widget: Any, width: float, height: float, *, x: float, y: float) -> Any:
    widget.x, widget.y = x, y
    # The CJK font as the drawing's initial font keeps Helvetica (not embedded) out of the PDF.
    drawing = Drawing(width, height, initialFontName=cjk_font().name)
    drawing.add(widget)
    return drawing
