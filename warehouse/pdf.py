"""The warehouse's paperwork (reportlab, embedded CJK font): built from what it is handed.

- delivery note (出库单), A4, one page per note;
- pick list (拣货单) per wave, A4: lines in walking order, then the sort list;
- e-waybill label (电子面单), 100×180 mm two-part or 76×130 mm one-part per carrier
  account: sorting code, Code128 of the waybill, masked receiver, items, QR of the order;
- packing slip (装箱单), A4;
- hand-over manifest (交接单), A4, with the courier's signature line.

"Print batch" is ``wave_documents_pdf``: the pick list and every delivery note of the wave
in one file. Large waves stay one file per wave (DESIGN §7).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, BinaryIO

from django.conf import settings
from django.utils import timezone
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Spacer, Table, TableStyle

from ecomops import pdf

from .models import DeliveryNote, LabelSize, Manifest, Parcel, PickLine, Wave
from .selectors import SortSlot, WaybillLabel


def _local(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _info_table(pairs: Sequence[tuple[str, Any]], s: pdf.Styles, widths: Sequence[float]) -> Any:
    """Label/value pairs two per row, like the header block of a paper form."""
    rows = []
    for i in range(0, len(pairs), 2):
        row = []
        for label, value in pairs[i : i + 2]:
            row += [pdf.paragraph(label, s.cell_header), pdf.paragraph(value, s.cell)]
        while len(row) < 4:
            row.append("")
        rows.append(row)
    table = Table(rows, colWidths=list(widths))
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, "#888888"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("BACKGROUND", (0, 0), (0, -1), "#eeeeee"),
                ("BACKGROUND", (2, 0), (2, -1), "#eeeeee"),
            ]
        )
    )
    return table


def _signatures(labels: Sequence[str], s: pdf.Styles) -> Any:
    cells = [pdf.paragraph(f"{label}：______________", s.body) for label in labels]
    return Table([cells], colWidths=[180 * mm / len(labels)] * len(labels))


def _note_story(note: DeliveryNote, s: pdf.Styles) -> list[Any]:
    order = note.order
    story: list[Any] = [
        pdf.paragraph(f"{settings.COMPANY_NAME}", s.small),
        pdf.paragraph("出库单", s.title),
        pdf.code128_flowable(note.number, bar_height_mm=10, max_width_mm=80),
        Spacer(1, 3 * mm),
        _info_table(
            [
                ("出库单号", note.number + (f"（第{note.part}部分）" if note.part > 1 else "")),
                ("销售订单", order.number),
                ("渠道", order.channel.name),
                ("渠道单号", order.external_id),
                ("客户", order.customer.name if order.customer else ""),
                ("批次", str(note.batch) if note.batch else order.batch_label),
                ("收货人", f"{order.receiver_name} {order.receiver_phone}"),
                ("承运商", note.carrier.name),
                ("收货地址", order.ship_address),
                ("波次", note.wave.number if note.wave else ""),
                ("开单时间", _local(note.issued_at)),
                (
                    "标记",
                    " ".join(
                        m for m in ("合单" if note.merged else "", "迟发" if note.late else "") if m
                    ),
                ),
            ],
            s,
            [22 * mm, 68 * mm, 22 * mm, 68 * mm],
        ),
        Spacer(1, 4 * mm),
    ]
    lines = list(note.lines.all())
    story.append(
        pdf.data_table(
            ["行", "库位", "SKU", "品名", "规格", "数量"],
            [
                [
                    i,
                    line.location.code if line.location else "待分配",
                    line.sku.code,
                    line.sku.name,
                    line.sku.specification,
                    line.quantity,
                ]
                for i, line in enumerate(lines, start=1)
            ],
            [10 * mm, 22 * mm, 32 * mm, 66 * mm, 34 * mm, 16 * mm],
            number_columns=(0, 5),
            total_row=["合计", "", "", "", "", sum(line.quantity for line in lines)],
        )
    )
    if order.buyer_note:
        story += [Spacer(1, 3 * mm), pdf.paragraph(f"买家留言：{order.buyer_note}", s.body)]
    story += [Spacer(1, 10 * mm), _signatures(["拣货", "复核", "发货"], s)]
    return story


def delivery_notes_pdf(notes: Sequence[DeliveryNote]) -> bytes:
    """Delivery notes, one per page (lines prefetched with SKU and location)."""
    s = pdf.styles()
    story: list[Any] = []
    for i, note in enumerate(notes):
        if i:
            story.append(PageBreak())
        story += _note_story(note, s)
    title = "出库单 " + (notes[0].number if len(notes) == 1 else f"{len(notes)} 张")
    return pdf.build_pdf(story, title=title)


def _pick_story(
    wave: Wave, lines: Sequence[PickLine], slots: Sequence[SortSlot], s: pdf.Styles
) -> list[Any]:
    story: list[Any] = [
        pdf.paragraph(f"拣货单 {wave.number}", s.title),
        pdf.code128_flowable(wave.number, bar_height_mm=10, max_width_mm=80),
        Spacer(1, 3 * mm),
        _info_table(
            [
                ("波次", wave.number),
                ("批次", str(wave.batch)),
                ("承运商", wave.carrier.name),
                ("出库单数", str(wave.note_count)),
                ("拣货行数", str(len(lines))),
                ("件数合计", str(sum(line.quantity for line in lines))),
            ],
            s,
            [22 * mm, 68 * mm, 22 * mm, 68 * mm],
        ),
        Spacer(1, 4 * mm),
        pdf.paragraph("拣货（按库位顺序）", s.heading),
        pdf.data_table(
            ["序号", "库位", "SKU", "条码", "品名", "应拣", "实拣"],
            (
                [
                    i,
                    line.location.code,
                    line.sku.code,
                    line.sku.barcode,
                    line.sku.name,
                    line.quantity,
                    "" if line.picked_quantity is None else line.picked_quantity,
                ]
                for i, line in enumerate(lines, start=1)
            ),
            [12 * mm, 20 * mm, 28 * mm, 28 * mm, 60 * mm, 16 * mm, 16 * mm],
            number_columns=(0, 5, 6),
            total_row=["合计", "", "", "", "", sum(line.quantity for line in lines), ""],
        ),
    ]
    if slots:
        story += [
            pdf.paragraph("分拣（每格一个包裹）", s.heading),
            pdf.data_table(
                ["格口", "出库单", "订单", "收货人", "城市", "件数", "标记"],
                (
                    [
                        slot.slot,
                        note.number,
                        note.order.number,
                        note.order.receiver_name,
                        note.order.ship_city,
                        sum(line.quantity for line in note.lines.all()),
                        "合单" if slot.merged else "",
                    ]
                    for slot in slots
                    for note in slot.notes
                ),
                [14 * mm, 34 * mm, 34 * mm, 28 * mm, 28 * mm, 14 * mm, 28 * mm],
                number_columns=(0, 5),
            ),
        ]
    return story


def pick_list_pdf(wave: Wave, lines: Sequence[PickLine], slots: Sequence[SortSlot]) -> bytes:
    s = pdf.styles()
    return pdf.build_pdf(_pick_story(wave, lines, slots, s), title=f"拣货单 {wave.number}")


def wave_documents_pdf(
    wave: Wave, lines: Sequence[PickLine], slots: Sequence[SortSlot], notes: Sequence[DeliveryNote]
) -> bytes:
    """Print batch: the wave's pick list, then each of its delivery notes."""
    s = pdf.styles()
    story = _pick_story(wave, lines, slots, s)
    for note in notes:
        story.append(PageBreak())
        story += _note_story(note, s)
    return pdf.build_pdf(story, title=f"波次单据 {wave.number}")


# The two standard e-waybill sizes (docs/warehouse.md, "Labels"): page size in mm.
LABEL_SIZES: dict[str, tuple[int, int]] = {
    LabelSize.TWO_PART: (100, 180),
    LabelSize.ONE_PART: (76, 130),
}


class _Labels:
    """Draws e-waybill labels (电子面单), one a page, each in its account's size.

    100×180 mm, two-part (二联): the dispatch part on top (carrier, sorting code 三段码, the
    destination mark 大头笔 and consolidation hub 集包地, Code128 of the waybill number,
    receiver, sender, signature box), cut along a dashed line from the receiver's part
    below (waybill number, receiver, sender, items and piece count, order QR).
    76×130 mm, one-part (一联): the same blocks stacked in the one part.

    The frame of each size, each carrier's header and each warehouse's sender block are PDF
    forms, drawn once and placed on every page; the font and print date are read once per
    run. The receiver's name and phone come masked from the selector unless the channel
    allows full data.
    """

    def __init__(self) -> None:
        self.font = pdf.cjk_font()
        self.today = timezone.localdate().isoformat()
        self.last_waybill = ""
        self._forms: set[str] = set()

    def title(self, pages: int) -> str:
        return "面单 " + (self.last_waybill if pages == 1 else f"{pages} 张")

    def draw(self, canvas: Any, label: WaybillLabel) -> None:
        size = label.label_size if label.label_size in LABEL_SIZES else LabelSize.TWO_PART
        width_mm, height_mm = LABEL_SIZES[size]
        canvas.setPageSize((width_mm * mm, height_mm * mm))
        if size == LabelSize.ONE_PART:
            self._one_part(canvas, label, height_mm)
        else:
            self._two_part(canvas, label, height_mm)
        self.last_waybill = label.waybill_number

    # -- the parts, positions in mm from the top (``top(y)`` turns them into points) --

    def _two_part(self, canvas: Any, label: WaybillLabel, h: float) -> None:
        def top(y: float) -> float:
            return (h - y) * mm

        font = self.font
        self._form(canvas, "frame100x180", self._frame_two_part)
        self._form(canvas, f"carrier{label.carrier_id}w100", self._carrier, label, 100, h)
        self._form(canvas, f"sender{label.warehouse_id}w100", self._sender, label, h, 72, 30)
        self._sorting(canvas, label, h, width=100, y=13)
        pdf.draw_code128(
            canvas, label.waybill_number, 8 * mm, top(52), bar_height_mm=14, max_width_mm=84
        )
        self._receiver(canvas, label, h, y=56, width=100)
        canvas.setFont(font.name, 8)
        canvas.drawString(
            6 * mm, top(86), f"件数：{label.pieces} 件" + ("   合单" if label.merged else "")
        )
        canvas.drawString(6 * mm, top(91), f"重量：{label.weight_grams / 1000:.2f} kg")
        if label.account_code:
            canvas.drawString(6 * mm, top(96), f"月结账号：{label.account_code}")
        # the receiver's part, below the cut
        canvas.setFont(font.bold, 10)
        canvas.drawString(6 * mm, top(112), f"{label.carrier_name}  运单号 {label.waybill_number}")
        canvas.setFont(font.name, 8)
        canvas.drawString(6 * mm, top(118), f"收件：{label.receiver_name} {label.receiver_phone}")
        self._items(canvas, label, h, y=130, width_chars=30, lines=5)
        canvas.drawString(6 * mm, top(162), f"订单：{', '.join(label.order_numbers)}"[:44])
        canvas.drawString(6 * mm, top(167), f"包裹：{label.parcel_number}")
        canvas.drawString(6 * mm, top(172), f"打印：{self.today}")
        pdf.draw_qr(canvas, label.order_numbers[0], 72 * mm, 4 * mm, size_mm=24)

    def _one_part(self, canvas: Any, label: WaybillLabel, h: float) -> None:
        def top(y: float) -> float:
            return (h - y) * mm

        font = self.font
        self._form(canvas, "frame76x130", self._frame_one_part)
        self._form(canvas, f"carrier{label.carrier_id}w76", self._carrier, label, 76, h)
        self._form(canvas, f"sender{label.warehouse_id}w76", self._sender, label, h, 64, 24)
        pdf.draw_code128(
            canvas, label.waybill_number, 4 * mm, top(27), bar_height_mm=11, max_width_mm=68
        )
        self._sorting(canvas, label, h, width=76, y=28)
        self._receiver(canvas, label, h, y=47, width=76)
        canvas.setFont(font.name, 7)
        self._items(canvas, label, h, y=80, width_chars=26, lines=4)
        canvas.drawString(
            4 * mm, top(102), f"件数：{label.pieces} 件" + ("   合单" if label.merged else "")
        )
        canvas.drawString(4 * mm, top(106), f"重量：{label.weight_grams / 1000:.2f} kg")
        canvas.drawString(4 * mm, top(110), f"订单：{', '.join(label.order_numbers)}"[:26])
        canvas.drawString(4 * mm, top(114), f"包裹：{label.parcel_number}")
        if label.account_code:
            canvas.drawString(4 * mm, top(118), f"月结账号：{label.account_code}")
        canvas.drawString(4 * mm, top(122), f"运单号 {label.waybill_number}")
        pdf.draw_qr(canvas, label.order_numbers[0], 50 * mm, 3 * mm, size_mm=23)

    def _sorting(
        self, canvas: Any, label: WaybillLabel, h: float, *, width: float, y: float
    ) -> None:
        """三段码 large across the label, then 大头笔 and 集包地 on their own line."""
        font = self.font
        if label.sort_code:
            canvas.setFont(font.bold, 22 if width > 80 else 18)
            canvas.drawCentredString(width / 2 * mm, (h - y - 9) * mm, label.sort_code)
        canvas.setFont(font.bold, 11 if width > 80 else 9)
        line = "   ".join(
            part for part in (label.big_pen, f"集包地：{label.hub}" if label.hub else "") if part
        )
        if line:
            canvas.drawString(4 * mm, (h - y - 15.5) * mm, line[:32])

    def _receiver(
        self, canvas: Any, label: WaybillLabel, h: float, *, y: float, width: float
    ) -> None:
        font = self.font
        canvas.setFont(font.bold, 11 if width > 80 else 9)
        canvas.drawString(
            11 * mm, (h - y - 4.5) * mm, f"{label.receiver_name}  {label.receiver_phone}"
        )
        canvas.setFont(font.name, 9 if width > 80 else 7.5)
        per_line = 24 if width > 80 else 22
        address = label.ship_address
        for i in range(0, min(len(address), per_line * 3), per_line):
            canvas.drawString(
                11 * mm, (h - y - 9 - i // per_line * 4) * mm, address[i : i + per_line]
            )

    def _items(
        self, canvas: Any, label: WaybillLabel, h: float, *, y: float, width_chars: int, lines: int
    ) -> None:
        text = "物品：" + "；".join(label.items) if label.items else "物品："
        x = 6 if width_chars >= 30 else 4
        for n in range(lines):
            part = text[n * width_chars : (n + 1) * width_chars]
            if not part:
                break
            canvas.drawString(x * mm, (h - y - n * 4.5) * mm, part)

    def _form(self, canvas: Any, name: str, draw: Callable[..., None], *args: Any) -> None:
        """Place the form ``name``, drawing it with ``draw(canvas, *args)`` the first time."""
        if name not in self._forms:
            canvas.beginForm(name)
            draw(canvas, *args)
            canvas.endForm()
            self._forms.add(name)
        canvas.doForm(name)

    def _frame_two_part(self, canvas: Any) -> None:
        width, h = 100, 180
        canvas.setLineWidth(0.8)
        canvas.rect(3 * mm, 3 * mm, (width - 6) * mm, (h - 6) * mm)
        for y in (13, 31, 54, 72, 82):
            canvas.line(3 * mm, (h - y) * mm, (width - 3) * mm, (h - y) * mm)
        canvas.line(53 * mm, (h - 82) * mm, 53 * mm, (h - 104) * mm)
        canvas.setDash(3, 2)
        canvas.line(0, (h - 105) * mm, width * mm, (h - 105) * mm)  # the cut between the parts
        canvas.setDash()
        canvas.setFont(self.font.bold, 10)
        canvas.drawString(5 * mm, (h - 60) * mm, "收")
        canvas.drawString(5 * mm, (h - 77) * mm, "寄")
        canvas.setFont(self.font.name, 8)  # what every label prints alike, drawn once
        canvas.drawString(56 * mm, (h - 86) * mm, "签收人：")
        canvas.drawString(56 * mm, (h - 96) * mm, "签收时间：")
        canvas.drawString(6 * mm, (h - 123) * mm, f"寄件：{settings.COMPANY_NAME}"[:40])
        canvas.setFont(self.font.name, 6)
        canvas.drawRightString((width - 5) * mm, (h - 103.5) * mm, "派件联")
        canvas.drawRightString((width - 5) * mm, (h - 108.5) * mm, "收件联")

    def _frame_one_part(self, canvas: Any) -> None:
        width, h = 76, 130
        canvas.setLineWidth(0.6)
        canvas.rect(2 * mm, 2 * mm, (width - 4) * mm, (h - 4) * mm)
        for y in (11, 28, 45, 64, 76, 98):
            canvas.line(2 * mm, (h - y) * mm, (width - 2) * mm, (h - y) * mm)
        canvas.setFont(self.font.bold, 9)
        canvas.drawString(4 * mm, (h - 51) * mm, "收")
        canvas.drawString(4 * mm, (h - 70) * mm, "寄")

    def _carrier(self, canvas: Any, label: WaybillLabel, width: float, h: float) -> None:
        canvas.setFont(self.font.bold, 14 if width > 80 else 12)
        canvas.drawString(5 * mm, (h - 9.5) * mm, label.carrier_name)
        canvas.setFont(self.font.name, 7)
        canvas.drawRightString((width - 5) * mm, (h - 7) * mm, "电子面单")
        canvas.drawRightString((width - 5) * mm, (h - 10.5) * mm, self.today)

    def _sender(self, canvas: Any, label: WaybillLabel, h: float, y: float, chars: int) -> None:
        canvas.setFont(self.font.name, 7.5)
        x = 11 * mm
        canvas.drawString(x, (h - y - 4) * mm, f"{settings.COMPANY_NAME} {label.warehouse_phone}")
        canvas.drawString(x, (h - y - 8) * mm, label.warehouse_address[:chars])


def labels_pdf(labels: Iterable[WaybillLabel]) -> bytes:
    """E-waybill labels, one per parcel in its account's size (``selectors.waybill_labels``)."""
    drawer = _Labels()
    return pdf.canvas_pdf(labels, drawer.draw, title=drawer.title)


def write_labels_pdf(out: BinaryIO, labels: Iterable[WaybillLabel]) -> int:
    """``labels_pdf`` written to ``out`` page by page, for a wave of any size: flat memory.

    ``labels`` may be an iterator (``selectors.waybill_labels``); returns how many.
    """
    drawer = _Labels()
    return pdf.write_canvas_pdf(out, labels, drawer.draw, title=drawer.title)


def packing_slip_pdf(parcel: Parcel) -> bytes:
    s = pdf.styles()
    notes = list(parcel.notes.all())
    story: list[Any] = [
        pdf.paragraph(settings.COMPANY_NAME, s.small),
        pdf.paragraph("装箱单", s.title),
        pdf.code128_flowable(parcel.number, bar_height_mm=9, max_width_mm=70),
        Spacer(1, 3 * mm),
        _info_table(
            [
                ("包裹号", parcel.number),
                ("运单号", f"{parcel.carrier.name} {parcel.waybill_number}"),
                ("订单", ", ".join(n.order.number for n in notes)),
                ("收货人", notes[0].order.receiver_name),
                ("装箱时间", _local(parcel.packed_at)),
                ("重量", f"{parcel.weight_grams / 1000:.2f} kg"),
            ],
            s,
            [22 * mm, 68 * mm, 22 * mm, 68 * mm],
        ),
        Spacer(1, 4 * mm),
    ]
    rows = [
        [note.order.number, line.sku.code, line.sku.name, line.sku.specification, line.to_pack]
        for note in notes
        for line in note.lines.all()
    ]
    story.append(
        pdf.data_table(
            ["订单", "SKU", "品名", "规格", "数量"],
            rows,
            [36 * mm, 30 * mm, 64 * mm, 30 * mm, 20 * mm],
            number_columns=(4,),
            total_row=["合计", "", "", "", sum(r[4] for r in rows)],
        )
    )
    if parcel.inserts:
        story.append(Spacer(1, 3 * mm))
        for insert in parcel.inserts:
            story.append(pdf.paragraph(f"随附：{insert['label']} {insert['number']}", s.body))
    story += [
        Spacer(1, 6 * mm),
        pdf.paragraph("感谢您的购买！如有问题请在收货后7天内联系客服。", s.body),
    ]
    return pdf.build_pdf(story, title=f"装箱单 {parcel.number}")


def manifest_pdf(manifest: Manifest, parcels: Sequence[Parcel]) -> bytes:
    s = pdf.styles()
    story: list[Any] = [
        pdf.paragraph(settings.COMPANY_NAME, s.small),
        pdf.paragraph(f"快递交接单 {manifest.number}", s.title),
        _info_table(
            [
                ("承运商", manifest.carrier.name),
                ("交接单号", manifest.number),
                ("包裹数", str(len(parcels))),
                ("总重量", f"{sum(p.weight_grams for p in parcels) / 1000:.2f} kg"),
                ("快递员", manifest.courier_name or ""),
                ("签收时间", _local(manifest.signed_at)),
            ],
            s,
            [22 * mm, 68 * mm, 22 * mm, 68 * mm],
        ),
        Spacer(1, 4 * mm),
        pdf.data_table(
            ["序号", "运单号", "包裹号", "订单", "收货城市", "重量(kg)"],
            [
                [
                    i,
                    parcel.waybill_number,
                    parcel.number,
                    ", ".join(n.order.number for n in parcel.notes.all()),
                    parcel.notes.all()[0].order.ship_city if parcel.notes.all() else "",
                    f"{parcel.weight_grams / 1000:.2f}",
                ]
                for i, parcel in enumerate(parcels, start=1)
            ],
            [12 * mm, 36 * mm, 30 * mm, 54 * mm, 26 * mm, 22 * mm],
            number_columns=(0, 5),
            total_row=[
                "合计",
                f"{len(parcels)} 件",
                "",
                "",
                "",
                f"{sum(p.weight_grams for p in parcels) / 1000:.2f}",
            ],
        ),
        Spacer(1, 12 * mm),
        _signatures(["仓库交接人", "快递员签名", "清点件数"], s),
    ]
    return pdf.build_pdf(story, title=f"交接单 {manifest.number}")
