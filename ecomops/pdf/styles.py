"""Paragraph styles in the CJK font, wrapping Chinese between any two characters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph

from .fonts import cjk_font

GREY = colors.HexColor("#555555")


@dataclass(frozen=True)
class Styles:
    """The styles of one document; derive more with ``ParagraphStyle(name, parent=...)``."""

    font_name: str
    bold_font_name: str
    title: Any
    heading: Any
    body: Any
    body_right: Any
    small: Any
    cell: Any
    cell_number: Any
    cell_header: Any


def styles(*, size: float = 10) -> Styles:
    """Fresh styles for a document whose body text is ``size`` points.

    Each call returns new ``ParagraphStyle`` objects, so changing one never leaks into
    another document. Table cells are a point smaller than the body, ``small`` two points.
    """
    font = cjk_font()
    body = _style("body", font.name, size)
    return Styles(
        font_name=font.name,
        bold_font_name=font.bold,
        title=_style(
            "title", font.bold, size + 6, alignment=TA_CENTER, spaceBefore=0, spaceAfter=size
        ),
        heading=_style("heading", font.bold, size + 2, spaceBefore=size * 0.8, spaceAfter=4),
        body=body,
        body_right=_style("body_right", font.name, size, alignment=TA_RIGHT),
        small=_style("small", font.name, size - 2, textColor=GREY),
        cell=cell_style(font.name, size - 1),
        cell_number=cell_style(font.name, size - 1, alignment=TA_RIGHT),
        cell_header=cell_style(font.bold, size - 1, alignment=TA_CENTER),
    )


def cell_style(font_name: str, size: float, *, alignment: int = TA_LEFT) -> Any:
    """A compact style for table cells."""
    return _style("cell", font_name, size, alignment=alignment, leading=size * 1.25)


def paragraph(text: object, style: Any) -> Any:
    """A Paragraph showing ``text`` literally: markup characters escaped, newlines kept.

    Use it for data (addresses, product names, remarks): ``&`` or ``<`` in a customer's
    address would otherwise break Paragraph's mini-markup or vanish.
    """
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)


def _style(name: str, font_name: str, size: float, **kwargs: Any) -> Any:
    kwargs.setdefault("leading", size * 1.4)
    return ParagraphStyle(
        name,
        fontName=font_name,
        fontSize=size,
        wordWrap="CJK",
        **kwargs,
    )
