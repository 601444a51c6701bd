"""Charts for reports (reportlab graphics), labelled in the embedded CJK font."""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.units import mm

from .fonts import cjk_font

SERIES_COLORS = (
    colors.HexColor("#2F6DB5"),
    colors.HexColor("#C8CDD3"),
    colors.HexColor("#E08A2C"),
    colors.HexColor("#3A9A5B"),
)


def bar_chart(
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    title: str = "",
    width: float = 170 * mm,
    height: float = 75 * mm,
) -> Drawing:
    """A grouped vertical bar chart: one group per category, one bar per series, with a
    legend; a flowable for ``build_pdf`` stories."""
    font = cjk_font()
    drawing = Drawing(width, height)
    chart = VerticalBarChart()
    chart.x = 14 * mm
    chart.y = 14 * mm
    chart.width = width - 20 * mm
    chart.height = height - (30 if title else 22) * mm
    chart.data = [list(values) or [0] for _label, values in series] or [[0]]
    chart.categoryAxis.categoryNames = list(categories) or [""]
    chart.categoryAxis.labels.fontName = font.name
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.angle = 20 if len(categories) > 6 else 0
    chart.categoryAxis.labels.boxAnchor = "ne" if len(categories) > 6 else "n"
    chart.valueAxis.labels.fontName = font.name
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    chart.barSpacing = 1
    chart.groupSpacing = 6
    for index in range(len(chart.data)):
        chart.bars[index].fillColor = SERIES_COLORS[index % len(SERIES_COLORS)]
        chart.bars[index].strokeColor = None
    drawing.add(chart)
    legend = Legend()
    legend.fontName = font.name
    legend.fontSize = 8
    legend.alignment = "right"
    legend.x = chart.x + 2 * mm
    legend.y = height - (9 if title else 3) * mm
    legend.columnMaximum = 1
    legend.deltax = 40 * mm
    legend.colorNamePairs = [
        (SERIES_COLORS[index % len(SERIES_COLORS)], label)
        for index, (label, _values) in enumerate(series)
    ]
    drawing.add(legend)
    if title:
        drawing.add(
            String(
                width / 2,
                height - 3 * mm,
                title,
                fontName=font.bold,
                fontSize=10,
                textAnchor="middle",
            )
        )
    return drawing
