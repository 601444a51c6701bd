"""Barcodes drawn by reportlab itself (vector, sharp on any printer): Code128, QR, EAN-13.

Every helper returns a Flowable, which goes into ``build_pdf`` as is, or onto a canvas at
an absolute position with ``barcode.drawOn(canvas, x, y)`` (x, y: the bottom-left corner,
in points). Its ``width`` and ``height`` are known before drawing, so a label can centre
it: ``code.drawOn(canvas, (page_width - code.width) / 2, y)``. The ``draw_*`` functions
do just that in one call.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from qrcode import QRCode
from qrcode import util as qrcode_util
from qrcode.constants import ERROR_CORRECT_H, ERROR_CORRECT_L, ERROR_CORRECT_M, ERROR_CORRECT_Q
from reportlab.graphics.barcode.code128 import Code128
from reportlab.graphics.barcode.eanbc import Ean13BarcodeWidget
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


class QrCode(Flowable):
    """A QR symbol drawn as one filled path: a rectangle per run of dark modules in a row.

    reportlab's own widget draws every run as a validated shape in its own graphics state
    (about 120 per code, most of a label's drawing time); this writes the same squares as a
    few hundred bytes of path operators.
    """

    def __init__(self, value: str, *, size: float, level: QrLevel, border_modules: int) -> None:
        super().__init__()
        self.value = value
        self.width = self.height = size
        modules, runs = _qr_runs(value, level)
        self.modules = modules
        module = size / (modules + 2 * border_modules)
        top = modules + border_modules - 1
        rects = " ".join(
            f"{border_modules + col} {top - row} {length} 1 re" for row, col, length in runs
        )
        # In module units (one unit = one module), black whatever the caller's fill colour.
        self._operators = f"q 0 g {module:.5f} 0 0 {module:.5f} 0 0 cm {rects} f Q"

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        self.canv.addLiteral(self._operators)


def qr_flowable(
    value: str, *, size_mm: float = 25, level: QrLevel = "M", border_modules: int = 4
) -> QrCode:
    """A square QR code ``size_mm`` wide, its quiet zone (``border_modules``) included.

    Level M survives a scuffed label (15% of the symbol); UTF-8 text is fine. The smallest
    version that holds the value is used, with the mask the standard's penalty rules choose.
    """
    if not value:
        raise ValueError("A QR code needs a value.")
    return QrCode(value, size=size_mm * mm, level=level, border_modules=border_modules)


def draw_qr(canvas: Any, value: str, x: float, y: float, **options: Any) -> QrCode:
    """Draw ``qr_flowable(value, **options)`` with its bottom-left corner at (x, y)."""
    code = qr_flowable(value, **options)
    code.drawOn(canvas, x, y)
    return code


def qr_matrix(value: str, *, level: QrLevel = "M") -> list[list[bool]]:
    """The QR symbol's modules, top row first, without the quiet zone (True: dark)."""
    modules, runs = _qr_runs(value, level)
    matrix = [[False] * modules for _ in range(modules)]
    for row, col, length in runs:
        matrix[row][col : col + length] = [True] * length
    return matrix


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


# --- QR: the qrcode package's encoder, the mask chosen on packed bits ------------------------
#
# qrcode chooses the mask by building the symbol eight times and scoring each in pure Python,
# about 2 ms a code: 2 s for a wave of 1,000 labels. Here qrcode builds the symbol once, with
# mask 0; the other seven masks only flip data modules, so they follow by XOR. The standard's
# four penalty rules (as qrcode counts them) are scored on the whole symbol packed into one
# integer, rows and then columns, each row followed by a light gap bit so that no run or
# finder-like pattern reaches from one row into the next. The mask chosen is the one qrcode
# would choose itself: tests compare whole symbols.

_QR_LEVELS: dict[str, int] = {
    "L": ERROR_CORRECT_L,
    "M": ERROR_CORRECT_M,
    "Q": ERROR_CORRECT_Q,
    "H": ERROR_CORRECT_H,
}
_QR_MASKS: tuple[Callable[[int, int], bool], ...] = (
    lambda i, j: (i + j) % 2 == 0,
    lambda i, j: i % 2 == 0,
    lambda i, j: j % 3 == 0,
    lambda i, j: (i + j) % 3 == 0,
    lambda i, j: (i // 2 + j // 3) % 2 == 0,
    lambda i, j: (i * j) % 2 + (i * j) % 3 == 0,
    lambda i, j: ((i * j) % 2 + (i * j) % 3) % 2 == 0,
    lambda i, j: ((i * j) % 3 + (i + j) % 2) % 2 == 0,
)
_BITS = bytes.maketrans(b"\x00\x01", b"01")
_DARK_RUN = re.compile("1+")


@dataclass(frozen=True)
class _QrLayout:
    """What one QR version's symbols share, packed row by row (or column by column)."""

    size: int  # modules per side
    stride: int  # bits per packed row: its modules and one light gap bit
    modules: int  # every module's bit set, the gap bits clear
    blank: tuple[int, int]  # rows, columns: format and version information, the dark module
    format: int  # rows: the 30 format-information modules
    flips: tuple[tuple[int, int], ...]  # per mask, rows and columns: where it differs from 0
    format_positions: tuple[tuple[int, int, int], ...]  # (bit, row, column)


def _pack(grid: Iterable[Iterable[bool]]) -> int:
    """Rows of modules as one integer, each row followed by a clear gap bit."""
    return int(b"".join(bytes(row) + b"\x00" for row in grid).translate(_BITS), 2)


def _pack_both(grid: list[list[bool]]) -> tuple[int, int]:
    return _pack(grid), _pack(zip(*grid, strict=True))


@functools.cache
def _qr_layout(version: int) -> _QrLayout:
    """Which modules of a version carry data, where its format information goes.

    Positions as qrcode places them (ISO/IEC 18004): finders with their separators, then
    alignment patterns where none would overlap a finder, then the timing lines; format
    information beside the finders, version information from version 7 on.
    """
    n = 4 * version + 17
    function = [[False] * n for _ in range(n)]
    blank = [[False] * n for _ in range(n)]

    def mark(rows: Iterable[int], cols: Iterable[int], grid: list[list[bool]]) -> None:
        for r in rows:
            for c in cols:
                grid[r][c] = True

    for top, left in ((0, 0), (0, n - 8), (n - 8, 0)):
        mark(range(top, top + 8), range(left, left + 8), function)
    centres = qrcode_util.pattern_position(version)
    for r in centres:
        for c in centres:
            if not function[r][c]:
                mark(range(r - 2, r + 3), range(c - 2, c + 3), function)
    mark([6], range(n), function)
    mark(range(n), [6], function)
    format_positions: list[tuple[int, int, int]] = []
    for i in range(15):
        format_positions.append((i, i if i < 6 else i + 1 if i < 8 else n - 15 + i, 8))
        format_positions.append((i, 8, n - i - 1 if i < 8 else 15 - i if i < 9 else 14 - i))
    for _bit, r, c in format_positions:
        blank[r][c] = True
    blank[n - 8][8] = True  # the dark module
    if version >= 7:
        mark(range(6), range(n - 11, n - 8), blank)
        mark(range(n - 11, n - 8), range(6), blank)
    for r in range(n):
        for c in range(n):
            function[r][c] = function[r][c] or blank[r][c]
    data = [[not f for f in row] for row in function]

    def flipped(mask: int) -> list[list[bool]]:
        first, other = _QR_MASKS[0], _QR_MASKS[mask]
        return [[data[i][j] and first(i, j) != other(i, j) for j in range(n)] for i in range(n)]

    format_grid = [[False] * n for _ in range(n)]
    for _bit, r, c in format_positions:
        format_grid[r][c] = True
    return _QrLayout(
        size=n,
        stride=n + 1,
        modules=_pack([[True] * n] * n),
        blank=_pack_both(blank),
        format=_pack(format_grid),
        flips=tuple(_pack_both(flipped(mask)) for mask in range(8)),
        format_positions=tuple(format_positions),
    )


@functools.cache
def _qr_format_bits(version: int, error_correction: int, mask: int) -> int:
    """The format information (level and mask, BCH-protected) at its modules, packed."""
    layout = _qr_layout(version)
    bits = qrcode_util.BCH_type_info((error_correction << 3) | mask)
    grid = [[False] * layout.size for _ in range(layout.size)]
    for bit, r, c in layout.format_positions:
        grid[r][c] = bool(bits >> bit & 1)
    return _pack(grid)


def _qr_runs(value: str, level: str) -> tuple[int, list[tuple[int, int, int]]]:
    """The symbol's size in modules and its dark runs: (row from the top, column, length)."""
    code = QRCode(error_correction=_QR_LEVELS[level], border=0, mask_pattern=0)
    code.add_data(value)
    code.make(fit=True)
    layout = _qr_layout(code.version)
    rows, cols = _pack_both(code.modules)
    # Scored as qrcode scores: format and version information light, like the dark module.
    test_rows, test_cols = rows & ~layout.blank[0], cols & ~layout.blank[1]
    mask = min(
        range(8),
        key=lambda k: _qr_penalty(
            test_rows ^ layout.flips[k][0], test_cols ^ layout.flips[k][1], layout
        ),
    )
    symbol = (rows ^ layout.flips[mask][0]) & ~layout.format | _qr_format_bits(
        code.version, code.error_correction, mask
    )
    stride = layout.stride
    bits = format(symbol, f"0{layout.size * stride}b")
    return layout.size, [
        (run.start() // stride, run.start() % stride, run.end() - run.start())
        for run in _DARK_RUN.finditer(bits)
    ]


def _qr_penalty(rows: int, cols: int, layout: _QrLayout) -> int:
    """The standard's penalty of a masked symbol: lower scans better."""
    stride = layout.stride
    light = ~rows & layout.modules
    score = _line_penalty(rows, light) + _line_penalty(cols, ~cols & layout.modules)
    # Two by two blocks of one colour, 3 each.
    dark_blocks = rows & rows >> 1 & rows >> stride & rows >> (stride + 1)
    light_blocks = light & light >> 1 & light >> stride & light >> (stride + 1)
    score += 3 * (dark_blocks.bit_count() + light_blocks.bit_count())
    # Every 5 % of dark modules away from half, 10.
    percent = float(rows.bit_count()) / (layout.size**2)
    return score + int(abs(percent * 100 - 50) / 5) * 10


def _line_penalty(dark: int, light: int) -> int:
    """Along rows (or columns): runs of five or more (length - 2 each), finder look-alikes."""
    score = 0
    for line in (dark, light):
        five = line & line >> 1 & line >> 2 & line >> 3 & line >> 4
        score += five.bit_count() + 2 * (five & ~(line << 1)).bit_count()
    # 1:1:3:1:1 with four light modules after it (10111010000), or before it (00001011101).
    after = (
        dark & dark >> 2 & dark >> 3 & dark >> 4 & dark >> 6
        & light >> 1 & light >> 5 & light >> 7 & light >> 8 & light >> 9 & light >> 10
    )  # fmt: skip
    before = (
        dark >> 4 & dark >> 6 & dark >> 7 & dark >> 8 & dark >> 10
        & light & light >> 1 & light >> 2 & light >> 3 & light >> 5 & light >> 9
    )  # fmt: skip
    return score + 40 * (after.bit_count() + before.bit_count())
