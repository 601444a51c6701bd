"""Finance's paperwork (reportlab, embedded CJK font), built from what it is handed.

- fully digital e-invoice (数电票) in the 电子发票 layout: QR code, title, 20-digit number,
  no cipher area, buyer and seller side by side, 价税合计 in 大写 and 小写, 开票人;
- paper-era invoice (发票) in the layout of a Chinese VAT invoice, 240×140 mm: title, code, number
  and date top right; buyer (购买方) and the cipher area; the goods table with tax per
  line; 价税合计 in capitals (大写) and figures; seller (销售方); remarks; signatures.
  A red-letter invoice prints 销项负数 and names its original in the remarks.
- reconciliation run, A4: figures per channel and the mismatch list;
- settlement statement, A4, and the same as an Excel workbook;
- customer statement (客户对账单), A4, and the same as an Excel workbook.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from ecomops import pdf
from ecomops.accounts.names import person_name
from ecomops.money import amount_in_words

from .models import Invoice, Mismatch, ReconciliationRun, Settlement, SettlementLine
from .statements import CustomerStatement

INVOICE_PAGE = (240 * mm, 140 * mm)
BROWN = colors.HexColor("#8B4513")
INK = colors.HexColor("#1F2A44")
KIND_TITLES = {"special": "增值税专用发票", "ordinary": "增值税普通发票"}
# 全电发票 titles: the special one keeps 增值税 in its name, the ordinary one does not.
ELECTRONIC_TITLES = {"special": "电子发票（增值税专用发票）", "ordinary": "电子发票（普通发票）"}


def _money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.2f}"


ITEM_ROW = 4.2 * mm  # the height of an item row on both invoice layouts


def _item_rows(
    canvas: Any,
    font: str,
    lines: list[Any],
    edges: list[float],
    *,
    top: float,
    room: int,
    left: float,
) -> None:
    """The invoice's item rows (项目名称, 规格型号, 单位, 数量, 单价, 金额, 税率, 税额) between the
    column ``edges`` from ``top`` down, as many as there is ``room`` for; when they do not
    fit, the last row says the goods are listed on the sales list (销货清单)."""
    shown = lines if len(lines) <= room else lines[: max(room - 1, 0)]
    for index, line in enumerate(shown):
        y = top - index * ITEM_ROW
        cells = [
            line.description,
            line.specification,
            line.unit,
            str(line.quantity),
            f"{line.unit_price_net:.6f}".rstrip("0").rstrip("."),
            _money(line.amount_net),
            line.tax_rate_percent,
            _money(line.tax_amount),
        ]
        for col, text in enumerate(cells):
            col_left, col_right = edges[col], edges[col + 1]
            canvas.setFont(font, 7.5)
            if col in (3, 4, 5, 7):
                canvas.drawRightString(col_right - 1.5 * mm, y, text)
            elif col == 6:
                canvas.drawCentredString((col_left + col_right) / 2, y, text)
            else:
                _fit(canvas, text, col_left + 1.5 * mm, y, col_right - col_left - 3 * mm, 7.5)
    if len(shown) < len(lines):
        canvas.setFont(font, 7.5)
        canvas.drawString(
            left + 1.5 * mm, top - len(shown) * ITEM_ROW, f"（详见销货清单，共 {len(lines)} 行）"
        )


def _fit(canvas: Any, text: str, x: float, y: float, width: float, size: float) -> None:
    """Draw ``text`` at (x, y), shrinking the font until it fits ``width``."""
    font = canvas._fontname
    while size > 5 and canvas.stringWidth(text, font, size) > width:
        size -= 0.5
    canvas.setFont(font, size)
    canvas.drawString(x, y, text)


def _draw_invoice(canvas: Any, invoice: Invoice) -> None:
    font = pdf.register_cjk_font()
    width, height = INVOICE_PAGE
    left, right = 8 * mm, width - 8 * mm
    canvas.setFont(font, 9)
    # Title with the double rule under it, in the invoice's brown.
    titles = ELECTRONIC_TITLES if invoice.electronic else KIND_TITLES
    title = titles.get(invoice.kind, "发票")
    canvas.setFillColor(BROWN)
    canvas.setStrokeColor(BROWN)
    canvas.setFont(font, 17)
    canvas.drawCentredString(width / 2, height - 16 * mm, title)
    canvas.setLineWidth(0.6)
    canvas.line(width / 2 - 38 * mm, height - 18.5 * mm, width / 2 + 38 * mm, height - 18.5 * mm)
    canvas.line(width / 2 - 38 * mm, height - 19.5 * mm, width / 2 + 38 * mm, height - 19.5 * mm)
    if invoice.is_red_letter:
        canvas.setFillColor(colors.red)
        canvas.setFont(font, 11)
        canvas.drawCentredString(width / 2, height - 25 * mm, "销项负数")
        canvas.setFillColor(BROWN)
    # Code, number and date, top right.
    canvas.setFont(font, 8.5)
    series = settings.FINANCE_INVOICE_SERIES[invoice.kind]
    top_right = [
        ("发票代码", series),
        ("发票号码", invoice.number[len(series) :] or invoice.number),
        ("开票日期", timezone.localtime(invoice.issued_at).strftime("%Y年%m月%d日")),
        ("订单号", invoice.order.number),
    ]
    for index, (label, value) in enumerate(top_right):
        y = height - 10 * mm - index * 4.5 * mm
        canvas.setFillColor(BROWN)
        canvas.drawString(width - 70 * mm, y, f"{label}：")
        canvas.setFillColor(INK)
        canvas.drawString(width - 53 * mm, y, value)
    # The form's frame.
    frame_top, frame_bottom = height - 29 * mm, 16 * mm
    canvas.setStrokeColor(BROWN)
    canvas.setLineWidth(0.8)
    canvas.rect(left, frame_bottom, right - left, frame_top - frame_bottom)
    # Buyer block (购买方) with the cipher area.
    buyer_bottom = frame_top - 20 * mm
    canvas.setLineWidth(0.5)
    canvas.line(left, buyer_bottom, right, buyer_bottom)
    _party(
        canvas,
        "购买方",
        [
            ("名　　称", invoice.buyer_name),
            ("纳税人识别号", invoice.buyer_tax_id),
            ("地 址、电 话", invoice.buyer_address_phone),
            ("开户行及账号", invoice.buyer_bank_account),
        ],
        left,
        buyer_bottom,
        frame_top,
        width=135 * mm,
    )
    cipher_x = left + 143 * mm
    canvas.line(cipher_x, buyer_bottom, cipher_x, frame_top)
    canvas.line(cipher_x + 6 * mm, buyer_bottom, cipher_x + 6 * mm, frame_top)
    canvas.setFillColor(BROWN)
    canvas.setFont(font, 8)
    for i, char in enumerate("密码区"):
        canvas.drawCentredString(cipher_x + 3 * mm, frame_top - 6 * mm - i * 5 * mm, char)
    canvas.setFillColor(INK)
    canvas.setFont(font, 7)
    digest = f"{invoice.number}{invoice.total_amount}{invoice.buyer_tax_id}"
    cipher = "".join(f"{ord(c) * 7919 % 97:02d}" for c in digest)
    for row in range(4):
        chunk = cipher[row * 28 : row * 28 + 28] or cipher[:28]
        canvas.drawString(cipher_x + 8 * mm, frame_top - 5 * mm - row * 4.2 * mm, chunk)
    # Goods table.
    columns = [
        ("货物或应税劳务、服务名称", 62),
        ("规格型号", 28),
        ("单位", 12),
        ("数量", 16),
        ("单价", 24),
        ("金额", 28),
        ("税率", 12),
        ("税额", 42),
    ]
    lines = list(invoice.lines.all())
    table_top = buyer_bottom
    summary_height = 6 * mm
    words_height = 7 * mm
    seller_height = 20 * mm
    table_bottom = frame_bottom + seller_height + words_height + summary_height
    canvas.setFillColor(BROWN)
    canvas.setFont(font, 8)
    x = left
    header_y = table_top - 4.5 * mm
    edges = [x]
    for label, col in columns:
        canvas.drawCentredString(x + col * mm / 2, header_y, label)
        x += col * mm
        edges.append(x)
    canvas.setFillColor(INK)
    available = int((table_top - 7 * mm - table_bottom) / ITEM_ROW)
    canvas.setFillColor(INK)
    _item_rows(canvas, font, lines, edges, top=table_top - 9 * mm, room=available, left=left)
    # 合计 row
    canvas.setStrokeColor(BROWN)
    summary_top = table_bottom
    canvas.line(left, summary_top, right, summary_top)
    canvas.setFillColor(BROWN)
    canvas.setFont(font, 8.5)
    canvas.drawCentredString(left + 31 * mm, summary_top - 4.2 * mm, "合　　计")
    canvas.setFillColor(INK)
    canvas.drawRightString(
        edges[6] - 1.5 * mm, summary_top - 4.2 * mm, f"¥{_money(invoice.amount_net)}"
    )
    canvas.drawRightString(
        edges[8] - 1.5 * mm, summary_top - 4.2 * mm, f"¥{_money(invoice.tax_amount)}"
    )
    # 价税合计 (大写 and 小写)
    words_top = summary_top - summary_height
    canvas.line(left, words_top, right, words_top)
    canvas.setFillColor(BROWN)
    canvas.drawString(left + 2 * mm, words_top - 4.8 * mm, "价税合计（大写）")
    canvas.setFillColor(INK)
    words = amount_in_words(abs(invoice.total_amount))
    canvas.setFont(font, 9.5)
    canvas.drawString(
        left + 32 * mm,
        words_top - 4.8 * mm,
        ("ⓧ负数 " if invoice.total_amount < 0 else "ⓧ ") + words,
    )
    canvas.setFont(font, 8.5)
    canvas.setFillColor(BROWN)
    canvas.drawString(edges[5], words_top - 4.8 * mm, "（小写）")
    canvas.setFillColor(INK)
    canvas.setFont(font, 9.5)
    canvas.drawString(edges[5] + 14 * mm, words_top - 4.8 * mm, f"¥{_money(invoice.total_amount)}")
    # Seller block (销售方) with remarks.
    seller_top = words_top - words_height
    canvas.setFont(font, 8.5)
    canvas.line(left, seller_top, right, seller_top)
    _party(
        canvas,
        "销售方",
        [
            ("名　　称", str(settings.COMPANY_NAME)),
            ("纳税人识别号", settings.COMPANY_TAX_ID),
            ("地 址、电 话", settings.COMPANY_ADDRESS_PHONE),
            ("开户行及账号", settings.COMPANY_BANK_ACCOUNT),
        ],
        left,
        frame_bottom,
        seller_top,
        width=135 * mm,
    )
    canvas.line(cipher_x, frame_bottom, cipher_x, seller_top)
    canvas.line(cipher_x + 6 * mm, frame_bottom, cipher_x + 6 * mm, seller_top)
    canvas.setFillColor(BROWN)
    canvas.setFont(font, 8)
    for i, char in enumerate("备注"):
        canvas.drawCentredString(cipher_x + 3 * mm, seller_top - 7 * mm - i * 5 * mm, char)
    canvas.setFillColor(INK)
    remarks = [f"订单 {invoice.order.number}"]
    if invoice.is_red_letter and invoice.original is not None:
        remarks.append(f"对应正数发票代码:{series}")
        remarks.append(f"号码:{invoice.original.number[len(series) :]}")
        if invoice.red_note:
            remarks.append(invoice.red_note)
    for i, remark in enumerate(remarks[:4]):
        _fit(
            canvas,
            remark,
            cipher_x + 8 * mm,
            seller_top - 5 * mm - i * 4 * mm,
            right - cipher_x - 10 * mm,
            7.5,
        )
    # Signatures under the frame.
    canvas.setFillColor(BROWN)
    canvas.setFont(font, 8.5)
    issuer = ""
    issued_by: Any = invoice.issued_by
    if issued_by is not None:
        issuer = person_name(issued_by)
    y = frame_bottom - 6 * mm
    canvas.drawString(left, y, "收款人：")
    canvas.drawString(left + 50 * mm, y, "复核：")
    canvas.drawString(left + 100 * mm, y, f"开票人：{issuer}")
    canvas.drawString(left + 160 * mm, y, "销售方：（章）")


def _party(
    canvas: Any,
    label: str,
    rows: Sequence[tuple[str, str]],
    left: float,
    bottom: float,
    top: float,
    *,
    width: float,
) -> None:
    font = pdf.register_cjk_font()
    canvas.setStrokeColor(BROWN)
    canvas.line(left + 6 * mm, bottom, left + 6 * mm, top)
    canvas.setFillColor(BROWN)
    canvas.setFont(font, 8)
    for i, char in enumerate(label):
        canvas.drawCentredString(left + 3 * mm, top - 5 * mm - i * 4.5 * mm, char)
    for i, (name, value) in enumerate(rows):
        y = top - 4.5 * mm - i * 4.4 * mm
        canvas.setFillColor(BROWN)
        canvas.setFont(font, 8)
        canvas.drawString(left + 8 * mm, y, f"{name}：")
        canvas.setFillColor(INK)
        _fit(canvas, value, left + 30 * mm, y, width - 30 * mm, 8.5)


def invoice_pdf(invoice: Invoice) -> bytes:
    """One invoice: a 数电票 in the 电子发票 layout (210×140 mm), a paper-era invoice in the
    layout of a Chinese VAT invoice (240×140 mm)."""
    if invoice.digital:
        return pdf.canvas_pdf(
            [invoice],
            _draw_digital_invoice,
            title=f"电子发票 {invoice.number}",
            pagesize=DIGITAL_PAGE,
            subject=invoice.order.number,
        )
    return pdf.canvas_pdf(
        [invoice],
        _draw_invoice,
        title=f"发票 {invoice.number}",
        pagesize=INVOICE_PAGE,
        subject=invoice.order.number,
    )


# --- 数电票 (fully digital e-invoice) ------------------------------------------------------

DIGITAL_PAGE = (210 * mm, 140 * mm)
# 发票种类 in the QR code's payload: 31 电子发票（增值税专用发票）, 32 电子发票（普通发票）.
QR_KIND = {"special": "31", "ordinary": "32"}


def digital_qr_payload(invoice: Invoice) -> str:
    """The QR code's text as on issued 数电票: version 01, kind, no code, the number, the
    amount without tax, the date (YYYYMMDD); the platform's check value is not ours to make
    and stays empty."""
    day = timezone.localtime(invoice.issued_at).strftime("%Y%m%d")
    return (
        f"01,{QR_KIND.get(invoice.kind, '32')},,{invoice.number},{invoice.amount_net:.2f},{day},,"
    )


def _draw_qr(canvas: Any, text: str, x: float, y: float, size: float) -> None:
    from reportlab.graphics import renderPDF
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing

    widget = QrCodeWidget(text)
    x1, y1, x2, y2 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x2 - x1), 0, 0, size / (y2 - y1), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, canvas, x, y)


def _draw_digital_invoice(canvas: Any, invoice: Invoice) -> None:
    """The 电子发票 face: QR code top left, title with 发票号码 and 开票日期 top right; the
    buyer's and seller's blocks side by side (名称, 统一社会信用代码/纳税人识别号); the items
    (项目名称 as *简称*名称, 规格型号, 单位, 数量, 单价, 金额, 税率/征收率, 税额); 合计;
    价税合计 in 大写 and 小写; 备注; 开票人. No cipher area, no code."""
    font = pdf.register_cjk_font()
    width, height = DIGITAL_PAGE
    left, right = 8 * mm, width - 8 * mm
    _draw_qr(canvas, digital_qr_payload(invoice), left, height - 28 * mm, 20 * mm)
    title = ELECTRONIC_TITLES.get(invoice.kind, "电子发票（普通发票）")
    canvas.setFillColor(BROWN)
    canvas.setStrokeColor(BROWN)
    canvas.setFont(font, 16)
    canvas.drawCentredString(width / 2, height - 15 * mm, title)
    canvas.setLineWidth(0.6)
    canvas.line(width / 2 - 36 * mm, height - 17.5 * mm, width / 2 + 36 * mm, height - 17.5 * mm)
    canvas.line(width / 2 - 36 * mm, height - 18.5 * mm, width / 2 + 36 * mm, height - 18.5 * mm)
    canvas.setFont(font, 8.5)
    for index, (label, value) in enumerate(
        [
            ("发票号码", invoice.number),
            ("开票日期", timezone.localtime(invoice.issued_at).strftime("%Y年%m月%d日")),
        ]
    ):
        y = height - 12 * mm - index * 5 * mm
        canvas.setFillColor(BROWN)
        canvas.drawString(width - 66 * mm, y, f"{label}：")
        canvas.setFillColor(INK)
        canvas.drawString(width - 52 * mm, y, value)
    frame_top, frame_bottom = height - 30 * mm, 14 * mm
    canvas.setStrokeColor(BROWN)
    canvas.setLineWidth(0.8)
    canvas.rect(left, frame_bottom, right - left, frame_top - frame_bottom)
    # Buyer and seller side by side.
    parties_bottom = frame_top - 16 * mm
    middle = (left + right) / 2
    canvas.setLineWidth(0.5)
    canvas.line(left, parties_bottom, right, parties_bottom)
    canvas.line(middle, parties_bottom, middle, frame_top)
    for x, label, name, tax_id in (
        (left, "购买方信息", invoice.buyer_name, invoice.buyer_tax_id),
        (middle, "销售方信息", str(settings.COMPANY_NAME), settings.COMPANY_TAX_ID),
    ):
        canvas.setStrokeColor(BROWN)
        canvas.line(x + 6 * mm, parties_bottom, x + 6 * mm, frame_top)
        canvas.setFillColor(BROWN)
        canvas.setFont(font, 7)
        for i, char in enumerate(label):
            canvas.drawCentredString(x + 3 * mm, frame_top - 3.5 * mm - i * 2.8 * mm, char)
        canvas.setFont(font, 8)
        canvas.drawString(x + 8 * mm, frame_top - 5.5 * mm, "名称：")
        canvas.drawString(x + 8 * mm, frame_top - 11.5 * mm, "统一社会信用代码/纳税人识别号：")
        canvas.setFillColor(INK)
        _fit(canvas, name, x + 17 * mm, frame_top - 5.5 * mm, middle - left - 19 * mm, 8.5)
        canvas.setFont(font, 8.5)
        canvas.drawString(x + 52 * mm, frame_top - 11.5 * mm, tax_id)
    # Items.
    columns = [
        ("项目名称", 52),
        ("规格型号", 24),
        ("单位", 12),
        ("数量", 14),
        ("单价", 22),
        ("金额", 24),
        ("税率/征收率", 18),
        ("税额", 28),
    ]
    edges = [left]
    for _label, col in columns:
        edges.append(edges[-1] + col * mm)
    edges[-1] = right
    canvas.setFillColor(BROWN)
    canvas.setFont(font, 8)
    header_y = parties_bottom - 4.5 * mm
    for (label, _col), col_left, col_right in zip(columns, edges, edges[1:], strict=False):
        canvas.drawCentredString((col_left + col_right) / 2, header_y, label)
    remarks_height, words_height, summary_height = 14 * mm, 7 * mm, 6 * mm
    summary_top = frame_bottom + remarks_height + words_height + summary_height
    lines = list(invoice.lines.all())
    available = int((header_y - 2 * mm - summary_top) / ITEM_ROW)
    canvas.setFillColor(INK)
    _item_rows(canvas, font, lines, edges, top=header_y - 5 * mm, room=available, left=left)
    # 合计
    canvas.setStrokeColor(BROWN)
    canvas.line(left, summary_top, right, summary_top)
    canvas.setFillColor(BROWN)
    canvas.setFont(font, 8.5)
    canvas.drawCentredString((edges[0] + edges[1]) / 2, summary_top - 4.2 * mm, "合　　计")
    canvas.setFillColor(INK)
    canvas.drawRightString(
        edges[6] - 1.5 * mm, summary_top - 4.2 * mm, f"¥{_money(invoice.amount_net)}"
    )
    canvas.drawRightString(
        edges[8] - 1.5 * mm, summary_top - 4.2 * mm, f"¥{_money(invoice.tax_amount)}"
    )
    # 价税合计（大写）and（小写）
    words_top = summary_top - summary_height
    canvas.line(left, words_top, right, words_top)
    canvas.setFillColor(BROWN)
    canvas.drawString(left + 2 * mm, words_top - 4.8 * mm, "价税合计（大写）")
    canvas.setFillColor(INK)
    canvas.setFont(font, 9.5)
    canvas.drawString(left + 32 * mm, words_top - 4.8 * mm, invoice.total_in_words)
    canvas.setFont(font, 8.5)
    canvas.setFillColor(BROWN)
    canvas.drawString(edges[5], words_top - 4.8 * mm, "（小写）")
    canvas.setFillColor(INK)
    canvas.setFont(font, 9.5)
    canvas.drawString(edges[5] + 14 * mm, words_top - 4.8 * mm, f"¥{_money(invoice.total_amount)}")
    # 备注
    remarks_top = words_top - words_height
    canvas.line(left, remarks_top, right, remarks_top)
    canvas.line(left + 6 * mm, frame_bottom, left + 6 * mm, remarks_top)
    canvas.setFillColor(BROWN)
    canvas.setFont(font, 8)
    for i, char in enumerate("备注"):
        canvas.drawCentredString(left + 3 * mm, remarks_top - 5 * mm - i * 4.5 * mm, char)
    canvas.setFillColor(INK)
    remarks = [f"订单 {invoice.order.number}"]
    if invoice.is_red_letter and invoice.original is not None:
        remarks.append(f"被红冲蓝字数电发票号码：{invoice.original.number}")
        form = getattr(invoice, "red_letter_confirmation", None)
        if form is not None:
            remarks.append(f"红字发票信息确认单编号：{form.number}")
    for i, remark in enumerate(remarks[:3]):
        _fit(
            canvas,
            remark,
            left + 8 * mm,
            remarks_top - 4.5 * mm - i * 4 * mm,
            right - left - 10 * mm,
            7.5,
        )
    # 开票人 under the frame.
    issued_by: Any = invoice.issued_by
    canvas.setFillColor(BROWN)
    canvas.setFont(font, 8.5)
    canvas.drawString(left, frame_bottom - 6 * mm, "开票人：")
    canvas.setFillColor(INK)
    canvas.drawString(
        left + 13 * mm, frame_bottom - 6 * mm, person_name(issued_by) if issued_by else ""
    )


# --- Reconciliation -----------------------------------------------------------------------

FIGURE_LABELS = (
    ("orders", "订单"),
    ("shipped", "发货"),
    ("invoiced", "开票"),
    ("paid", "收款"),
    ("refunded", "退款"),
)


def reconciliation_pdf(run: ReconciliationRun, mismatches: Sequence[Mismatch]) -> bytes:
    """The run's figures per channel, mismatch counts by kind and the mismatch list."""
    s = pdf.styles(size=9)
    story: list[Any] = [
        pdf.paragraph(f"对账报告 {run.day:%Y-%m-%d}", s.title),
        pdf.paragraph(
            "各渠道当日订单、发货、开票、收款、退款；差异截至当日 24:00。"
            f"共 {run.mismatch_count} 项差异。",
            s.body,
        ),
        Spacer(1, 4 * mm),
    ]
    header = ["渠道"]
    for _key, label in FIGURE_LABELS:
        header += [f"{label}笔数", f"{label}金额"]
    rows = []
    for row in run.figures:
        cells: list[Any] = [row["channel_name"] or "—"]
        for key, _label in FIGURE_LABELS:
            cells += [row[key]["count"], _money(Decimal(row[key]["amount"]))]
        rows.append(cells)
    widths = [24 * mm] + [15.6 * mm, 15.6 * mm] * 5
    story.append(pdf.data_table(header, rows, widths, number_columns=range(1, 11), font_size=7.5))
    story.append(Spacer(1, 5 * mm))
    labels = dict(Mismatch._meta.get_field("kind").choices or [])
    kind_rows = [[str(labels.get(k, k)), n] for k, n in run.mismatch_counts.items() if n]
    if kind_rows:
        story.append(pdf.paragraph("差异分类", s.heading))
        story.append(
            pdf.data_table(["类别", "数量"], kind_rows, [80 * mm, 25 * mm], number_columns=(1,))
        )
        story.append(Spacer(1, 5 * mm))
        story.append(pdf.paragraph("差异明细", s.heading))
        story.append(
            pdf.data_table(
                ["类别", "渠道", "单据", "订单", "应为", "实际"],
                [
                    [
                        str(labels.get(m.kind, m.kind)),
                        m.channel.name if m.channel else "",
                        m.reference,
                        m.order.number if m.order else "",
                        _money(m.expected),
                        _money(m.actual),
                    ]
                    for m in mismatches
                ],
                [44 * mm, 20 * mm, 38 * mm, 32 * mm, 23 * mm, 23 * mm],
                number_columns=(4, 5),
                font_size=7.5,
                striped=True,
            )
        )
        if len(mismatches) < run.mismatch_count:
            story.append(
                pdf.paragraph(
                    f"仅列出前 {len(mismatches)} 项；全部 {run.mismatch_count} 项见 CSV。", s.small
                )
            )
    else:
        story.append(pdf.paragraph("无差异。", s.heading))
    return pdf.build_pdf(story, title=f"对账报告 {run.day:%Y-%m-%d}", printed_at=run.started_at)


# --- Settlement ----------------------------------------------------------------------------

SETTLEMENT_HEADER = [
    "SKU",
    "品名",
    "发货数量",
    "销售额",
    "退货数量",
    "退货金额",
    "底价补贴价",
    "补贴",
    "应结金额",
]


def _settlement_rows(lines: Sequence[SettlementLine]) -> list[list[Any]]:
    return [
        [
            line.sku.code,
            line.sku.name,
            line.units_shipped,
            line.sales_amount,
            line.units_returned,
            line.returns_amount,
            line.base_subsidy_price,
            line.subsidy_amount,
            line.amount_due,
        ]
        for line in lines
    ]


def _confirmations(settlement: Settlement) -> list[str]:
    def who(user: Any, at: Any) -> str:
        if at is None:
            return "未确认"
        name = person_name(user)
        return f"{name} {timezone.localtime(at):%Y-%m-%d %H:%M}"

    return [
        f"财务确认：{who(settlement.finance_confirmed_by, settlement.finance_confirmed_at)}",
        "事业部确认："
        + who(settlement.business_unit_confirmed_by, settlement.business_unit_confirmed_at),
    ]


def settlement_pdf(settlement: Settlement, lines: Sequence[SettlementLine]) -> bytes:
    s = pdf.styles(size=9)
    story: list[Any] = [
        pdf.paragraph(f"结算单 {settlement.number}", s.title),
        pdf.paragraph(
            f"结算期间：{settlement.period_start:%Y-%m-%d} 至 {settlement.period_end:%Y-%m-%d}　"
            f"状态：{settlement.get_state_display()}",
            s.body,
        ),
        pdf.paragraph(
            "应结金额 = 发货销售额 - 退货金额 + 底价补贴（售价低于线上底价补贴价的差额）", s.small
        ),
        Spacer(1, 4 * mm),
    ]
    rows = [
        [
            r[0],
            r[1],
            r[2],
            _money(r[3]),
            r[4],
            _money(r[5]),
            _money(r[6]),
            _money(r[7]),
            _money(r[8]),
        ]
        for r in _settlement_rows(lines)
    ]
    story.append(
        pdf.data_table(
            SETTLEMENT_HEADER,
            rows,
            [22 * mm, 38 * mm, 14 * mm, 20 * mm, 14 * mm, 18 * mm, 18 * mm, 16 * mm, 20 * mm],
            number_columns=range(2, 9),
            font_size=7.5,
            total_row=[
                "合计",
                "",
                sum(line.units_shipped for line in lines),
                _money(settlement.sales_amount),
                sum(line.units_returned for line in lines),
                _money(settlement.returns_amount),
                "",
                _money(settlement.subsidy_amount),
                _money(settlement.amount_due),
            ],
        )
    )
    story.append(Spacer(1, 4 * mm))
    story.append(
        pdf.paragraph(f"应结金额（大写）：{amount_in_words(settlement.amount_due)}", s.body)
    )
    story.append(Spacer(1, 6 * mm))
    for text in _confirmations(settlement):
        story.append(pdf.paragraph(text, s.body))
    return pdf.build_pdf(story, title=f"结算单 {settlement.number}")


def settlement_xlsx(settlement: Settlement, lines: Sequence[SettlementLine]) -> bytes:
    """The statement as an Excel workbook: one sheet, amounts as numbers with two decimals."""
    book = Workbook()
    sheet = book.create_sheet("结算单", 0)
    book.remove(book.worksheets[1])
    sheet.append([f"结算单 {settlement.number}"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(
        [f"结算期间 {settlement.period_start:%Y-%m-%d} 至 {settlement.period_end:%Y-%m-%d}"]
    )
    sheet.append([])
    sheet.append(SETTLEMENT_HEADER)
    for cell in sheet[4]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    for row in _settlement_rows(lines):
        sheet.append([float(v) if isinstance(v, Decimal) else v for v in row])
    sheet.append(
        [
            "合计",
            "",
            sum(line.units_shipped for line in lines),
            float(settlement.sales_amount),
            sum(line.units_returned for line in lines),
            float(settlement.returns_amount),
            None,
            float(settlement.subsidy_amount),
            float(settlement.amount_due),
        ]
    )
    for row in sheet.iter_rows(min_row=5, min_col=4, max_col=9):
        for cell in row:
            if cell.column != 5:
                cell.number_format = "#,##0.00"
    sheet.append([])
    sheet.append([f"应结金额（大写）：{amount_in_words(settlement.amount_due)}"])
    for text in _confirmations(settlement):
        sheet.append([text])
    for column, width in zip("ABCDEFGHI", (14, 30, 10, 14, 10, 14, 14, 12, 14), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- Customer statement (对账单) --------------------------------------------------------------

STATEMENT_HEADER = ["日期", "类型", "单号", "发票号码", "摘要", "应收金额", "已收金额", "余额"]


def _statement_facts(statement: CustomerStatement) -> list[tuple[str, str]]:
    customer = statement.customer
    facts = [
        ("客户", customer.name),
        (
            "统一社会信用代码" if customer.credit_code else "联系电话",
            customer.credit_code or customer.phone,
        ),
    ]
    if customer.contact_person:
        facts.append(("联系人", customer.contact_person))
    if customer.address:
        facts.append(("地址", customer.address))
    facts.append(
        ("对账期间", f"{statement.period_start:%Y-%m-%d} 至 {statement.period_end:%Y-%m-%d}")
    )
    facts.append(("对账单号", statement.number))
    return facts


def _statement_rows(statement: CustomerStatement) -> list[list[Any]]:
    rows: list[list[Any]] = [
        [
            f"{statement.period_start:%Y-%m-%d}",
            "期初余额",
            "",
            "",
            "",
            None,
            None,
            statement.opening,
        ]
    ]
    for line in statement.lines:
        rows.append(
            [
                f"{line.day:%Y-%m-%d}",
                line.kind_label,
                line.reference,
                line.invoices,
                line.description,
                line.owed or None,
                line.received or None,
                line.balance,
            ]
        )
    return rows


def _closing_words(statement: CustomerStatement) -> str:
    words = amount_in_words(abs(statement.closing))
    side = "客户尚欠" if statement.closing >= 0 else "我方应退"
    return f"期末余额（大写）：{words}（{side}）"


def customer_statement_pdf(statement: CustomerStatement, *, prepared_by: Any = None) -> bytes:
    s = pdf.styles(size=9)
    story: list[Any] = [
        pdf.paragraph("客户对账单", s.title),
        pdf.key_value_table(_statement_facts(statement), s),
        Spacer(1, 4 * mm),
    ]
    rows = [
        [r[0], r[1], r[2], r[3], r[4], _money(r[5]), _money(r[6]), _money(r[7])]
        for r in _statement_rows(statement)
    ]
    story.append(
        pdf.data_table(
            STATEMENT_HEADER,
            rows,
            [18 * mm, 12 * mm, 27 * mm, 33 * mm, 32 * mm, 18 * mm, 18 * mm, 20 * mm],
            number_columns=range(5, 8),
            font_size=7.5,
            total_row=[
                "合计",
                "",
                "",
                "",
                f"订单 {_money(statement.orders_total)}　收款 {_money(statement.payments_total)}"
                f"　退款 {_money(statement.refunds_total)}",
                _money(statement.orders_total - statement.refunds_total),
                _money(statement.payments_total - statement.refunds_total),
                _money(statement.closing),
            ],
        )
    )
    story.append(Spacer(1, 4 * mm))
    story.append(
        pdf.paragraph(
            f"期初余额：{_money(statement.opening)}　期末余额：{_money(statement.closing)}", s.body
        )
    )
    story.append(pdf.paragraph(_closing_words(statement), s.body))
    story.append(Spacer(1, 6 * mm))
    story.append(
        pdf.paragraph(
            "请核对上述往来明细，如有不符请于收到本对账单后十日内与我司财务联系；"
            "逾期未回复视为无误。",
            s.small,
        )
    )
    preparer = person_name(prepared_by)
    printed = timezone.localtime(statement.printed_at or timezone.now())
    story.append(
        pdf.paragraph(
            f"制表：{preparer or '系统'}　制表日期：{printed:%Y-%m-%d}　客户确认（盖章）：", s.body
        )
    )
    return pdf.build_pdf(story, title=f"客户对账单 {statement.number}")


def customer_statement_xlsx(statement: CustomerStatement, *, prepared_by: Any = None) -> bytes:
    """The statement as an Excel workbook: amounts as numbers with two decimals."""
    book = Workbook()
    sheet = book.create_sheet("对账单", 0)
    book.remove(book.worksheets[1])
    sheet.append(["客户对账单"])
    sheet["A1"].font = Font(bold=True, size=14)
    for label, value in _statement_facts(statement):
        sheet.append([label, value])
    sheet.append([])
    header_row = sheet.max_row + 1
    sheet.append(STATEMENT_HEADER)
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    for row in _statement_rows(statement):
        sheet.append([float(v) if isinstance(v, Decimal) else v for v in row])
    sheet.append(
        [
            "合计",
            "",
            "",
            "",
            "",
            float(statement.orders_total - statement.refunds_total),
            float(statement.payments_total - statement.refunds_total),
            float(statement.closing),
        ]
    )
    for row in sheet.iter_rows(min_row=header_row + 1, min_col=6, max_col=8):
        for cell in row:
            cell.number_format = "#,##0.00"
    sheet.append([])
    sheet.append(["期初余额", float(statement.opening)])
    sheet.append(["本期订单", float(statement.orders_total)])
    sheet.append(["本期收款", float(statement.payments_total)])
    sheet.append(["本期退款", float(statement.refunds_total)])
    sheet.append(["期末余额", float(statement.closing)])
    for row in sheet.iter_rows(min_row=sheet.max_row - 4, min_col=2, max_col=2):
        for cell in row:
            cell.number_format = "#,##0.00"
    sheet.append([_closing_words(statement)])
    sheet.append([f"制表：{person_name(prepared_by) or '系统'}"])
    for column, width in zip("ABCDEFGH", (12, 10, 24, 24, 30, 14, 14, 14), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
