"""The ruled table of pick lists, delivery notes and statements."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Table, TableStyle

from .fonts import cjk_font
from .styles import Styles, cell_style, paragraph

GRID_COLOR = colors.HexColor("#808080")
HEADER_BACKGROUND = colors.HexColor("#E6E6E6")
TOTAL_BACKGROUND = colors.HexColor("#F2F2F2")
STRIPE_BACKGROUND = colors.HexColor("#F7F7F7")
LABEL_BACKGROUND = colors.HexColor("#F2F4F7")
_PADDING = 3  # points, left and right of every cell


def data_table(
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    col_widths: Sequence[float | str | None],
    *,
    number_columns: Collection[int] = (),
    total_row: Sequence[Any] | None = None,
    font_size: float = 9,
    striped: bool = False,
) -> Any:
    """A gridded table whose header row repeats on every page it runs over.

    ``col_widths`` are in points (``30 * mm``), or what reportlab's Table accepts
    (``"20%"``, ``"*"``). Cells are text (wrapped, Chinese included), numbers, ``None``
    (blank) or any Flowable (a barcode, a Paragraph). The ``number_columns`` (indexes,
    negative ones allowed) are right-aligned and not wrapped: format money with
    ``format_money`` first. ``total_row`` is a last, shaded row (合计), e.g.
    ``["合计", "", "12", format_money(total)]``.

    Long tables split across pages row by row; thousands of rows are fine.
    """
    columns = len(header)
    if len(col_widths) != columns:
        raise ValueError(f"{len(col_widths)} column widths for {columns} columns.")
    font = cjk_font()
    make = _CellMaker(
        font_name=font.name,
        font_size=font_size,
        col_widths=col_widths,
        numbers={index % columns for index in number_columns},
    )
    title = cell_style(font.bold, font_size, alignment=TA_CENTER)
    data: list[list[Any]] = [[paragraph(label, title) for label in header]]
    data.extend(make.row(row, line) for line, row in enumerate(rows, start=1))
    if total_row is not None:
        data.append(make.row(total_row, len(data)))

    commands: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), font.name, font_size, font_size * 1.25),
        ("GRID", (0, 0), (-1, -1), 0.5, GRID_COLOR),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_BACKGROUND),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), _PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), _PADDING),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    commands.extend(("ALIGN", (index, 1), (index, -1), "RIGHT") for index in sorted(make.numbers))
    if striped:
        commands.append(("ROWBACKGROUNDS", (0, 1), (-1, -1), [None, STRIPE_BACKGROUND]))
    if total_row is not None:
        commands.append(("BACKGROUND", (0, -1), (-1, -1), TOTAL_BACKGROUND))
        commands.append(("LINEABOVE", (0, -1), (-1, -1), 1, colors.black))
    return Table(data, colWidths=list(col_widths), repeatRows=1, style=TableStyle(commands))


class _CellMaker:
    """Turns values into cells: a plain string where it fits on one line, else a Paragraph.

    A plain string draws many times faster than a Paragraph, which matters at thousands
    of rows; text that needs wrapping still wraps.
    """

    def __init__(
        self,
        *,
        font_name: str,
        font_size: float,
        col_widths: Sequence[float | str | None],
        numbers: set[int],
    ) -> None:
        self.font_name = font_name
        self.font_size = font_size
        self.numbers = numbers
        self.style = cell_style(font_name, font_size)
        # Room for text inside each cell; unknown for "%" and "*" widths.
        self.room = [
            float(width) - 2 * _PADDING if isinstance(width, int | float) else None
            for width in col_widths
        ]

    def row(self, values: Sequence[Any], line: int) -> list[Any]:
        if len(values) != len(self.room):
            raise ValueError(f"Row {line} has {len(values)} cells, the header {len(self.room)}.")
        return [self.cell(value, index) for index, value in enumerate(values)]

    def cell(self, value: Any, index: int) -> Any:
        if value is None:
            return ""
        if hasattr(value, "wrapOn"):  # a Flowable: a barcode, a Paragraph of your own
            return value
        text = str(value)
        if index in self.numbers or self._fits(text, self.room[index]):
            return text
        return paragraph(text, self.style)

    def _fits(self, text: str, room: float | None) -> bool:
        return (
            room is not None
            and "\n" not in text
            and stringWidth(text, self.font_name, self.font_size) <= room
        )


def key_value_table(
    rows: Sequence[tuple[str, str]],
    s: Styles,
    *,
    label_width: float = 38 * mm,
    value_width: float = 132 * mm,
) -> Any:
    """Facts as label/value rows (a letter's or report's header block), labels shaded."""
    table = Table(
        [[paragraph(k, s.cell_header), paragraph(v, s.cell)] for k, v in rows],
        colWidths=[label_width, value_width],
    )
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (0, -1), LABEL_BACKGROUND),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return table
