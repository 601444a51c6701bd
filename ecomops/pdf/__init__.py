"""The PDF base every app's ``pdf.py`` builds on (DESIGN §6, §7).

Documents are made in memory and returned as bytes, in an embedded CJK font so they print
the same everywhere. Flowing documents (delivery notes, pick lists, invoices, letters)::

    from reportlab.lib.units import mm
    from ecomops import pdf

    s = pdf.styles()
    story = [
        pdf.paragraph("发货单", s.title),
        pdf.paragraph(order.address, s.body),
        pdf.code128_flowable(order.number),
        pdf.data_table(
            ["SKU", "品名", "数量", "金额"],
            [[line.sku, line.name, line.quantity, pdf.format_money(line.amount)] for ...],
            [30 * mm, 90 * mm, 20 * mm, 40 * mm],
            number_columns=(2, 3),
            total_row=["合计", "", total_quantity, pdf.format_money(total)],
        ),
    ]
    content = pdf.build_pdf(story, title="发货单 " + order.number)

Fixed layouts (100x150 mm waybill labels) draw at absolute positions, one page per item::

    def draw_label(canvas, parcel):
        canvas.setFont(pdf.register_cjk_font(), 12)
        canvas.drawString(5 * mm, 140 * mm, parcel.recipient)
        pdf.draw_code128(canvas, parcel.tracking_number, 5 * mm, 95 * mm, max_width_mm=90)
        pdf.draw_qr(canvas, parcel.tracking_url, 70 * mm, 5 * mm, size_mm=25)

    content = pdf.canvas_pdf(parcels, draw_label, title="面单 " + wave.code)

Print large batches as one file per wave. ``write_canvas_pdf`` writes a fixed layout to a
file page by page, so a wave of 10,000 labels takes no more memory than one of ten.
"""

from __future__ import annotations

from .barcodes import (
    Code128Barcode,
    QrCode,
    code128_flowable,
    draw_code128,
    draw_ean13,
    draw_qr,
    ean13_check_digit,
    ean13_flowable,
    qr_flowable,
    qr_matrix,
)
from .charts import bar_chart
from .document import (
    LABEL_100X150,
    Margins,
    PageDecorator,
    PageInfo,
    build_pdf,
    canvas_pdf,
    standard_footer,
    standard_header,
    write_canvas_pdf,
)
from .fonts import CJKFont, cjk_font, register_cjk_font
from .formatting import chinese_date, format_money
from .styles import Styles, cell_style, paragraph, styles
from .tables import data_table, key_value_table

__all__ = [
    "LABEL_100X150",
    "CJKFont",
    "Code128Barcode",
    "Margins",
    "PageDecorator",
    "PageInfo",
    "QrCode",
    "Styles",
    "bar_chart",
    "build_pdf",
    "canvas_pdf",
    "cell_style",
    "chinese_date",
    "cjk_font",
    "code128_flowable",
    "data_table",
    "draw_code128",
    "draw_ean13",
    "draw_qr",
    "ean13_check_digit",
    "ean13_flowable",
    "format_money",
    "key_value_table",
    "paragraph",
    "qr_flowable",
    "qr_matrix",
    "register_cjk_font",
    "standard_footer",
    "standard_header",
    "styles",
    "write_canvas_pdf",
]
