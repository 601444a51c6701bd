"""The PDF base: embedded CJK font, extractable text, page numbers, labels, barcodes."""

from __future__ import annotations

import importlib.resources
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import qrcode
import reportlab
from django.core.exceptions import ImproperlyConfigured
from django.utils import translation
from django.utils.translation import gettext
from pypdf import PdfReader
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from ecomops import pdf
from ecomops.pdf import fonts
from ecomops.pdf.barcodes import QrLevel
from tests.barcode_scan import scan_pdf

ADDRESS = "发货单 杭州市西湖区文三路"
PAPERANG_FONT = Path(
    str(importlib.resources.files("paperang_p2_fonts_cjk").joinpath("fonts", "wqy-microhei.ttc"))
)


def read(content: bytes) -> PdfReader:
    assert content.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(content))


def page_fonts(reader: PdfReader) -> Iterator[Any]:
    for page in reader.pages:
        resources: Any = page["/Resources"]
        for font in resources["/Font"].values():
            yield font.get_object()


def is_embedded_truetype(font: Any) -> bool:
    """FontFile2 on the font's descriptor, or on its descendant's for a Type0 font."""
    owners = [font, *(d.get_object() for d in font.get("/DescendantFonts", []))]
    descriptors = [o["/FontDescriptor"].get_object() for o in owners if "/FontDescriptor" in o]
    return any("/FontFile2" in d for d in descriptors)


def delivery_note(rows: int = 3, **options: Any) -> bytes:
    s = pdf.styles()
    lines = [
        [f"SKU-{i:04d}", f"纯棉T恤 蓝色 第{i}号", i, pdf.format_money(Decimal("1234.56") * i)]
        for i in range(1, rows + 1)
    ]
    story = [
        pdf.paragraph(ADDRESS, s.title),
        pdf.paragraph("收货人 张三 13800138000", s.body),
        pdf.code128_flowable("SO20250101000123"),
        pdf.data_table(
            ["SKU", "品名", "数量", "金额"],
            lines,
            [35 * mm, 80 * mm, 20 * mm, 40 * mm],
            number_columns=(2, 3),
            total_row=["合计", "", rows, pdf.format_money(Decimal("9876.50"))],
        ),
    ]
    return pdf.build_pdf(story, title="发货单 SO20250101000123", **options)


def test_the_font_is_an_embedded_truetype_font_registered_once() -> None:
    name = pdf.register_cjk_font()

    assert pdf.register_cjk_font() == name
    assert isinstance(pdfmetrics.getFont(name), TTFont)
    assert pdf.cjk_font().bold  # a usable name, the regular face when there is no bold one


def test_chinese_text_and_numbers_are_extractable() -> None:
    reader = read(delivery_note())

    text = reader.pages[0].extract_text()
    assert ADDRESS in text
    assert "纯棉T恤 蓝色 第2号" in text
    assert "¥1,234.56" in text
    assert "¥3,703.68" in text
    assert "¥9,876.50" in text
    assert "SO20250101000123" in text  # the barcode's human-readable line


def test_every_font_is_embedded_and_none_is_the_cid_font_stsong() -> None:
    content = delivery_note()
    reader = read(content)

    used = list(page_fonts(reader))
    assert used
    assert all(is_embedded_truetype(font) for font in used)
    assert b"STSong" not in content
    assert all("Helvetica" not in str(font["/BaseFont"]) for font in used)


def test_metadata_names_the_document_and_the_company(settings: Any) -> None:
    settings.COMPANY_NAME = "杭州测试电子商务有限公司"

    reader = read(delivery_note())

    assert reader.metadata is not None
    assert reader.metadata.title == "发货单 SO20250101000123"
    assert reader.metadata.author == "杭州测试电子商务有限公司"
    header = reader.pages[0].extract_text()
    assert "杭州测试电子商务有限公司" in header


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_long_table_runs_over_pages_numbered_n_of_m(language: str) -> None:
    with translation.override(language):
        reader = read(delivery_note(rows=300))
        footer = gettext("Page %(page)s of %(pages)s")

    pages = len(reader.pages)
    assert pages > 3
    for number, page in enumerate(reader.pages, start=1):
        text = page.extract_text()
        assert footer % {"page": number, "pages": pages} in text
        assert "品名" in text  # the header row repeats on every page
    assert "第300号" in reader.pages[-1].extract_text()
    assert "¥9,876.50" in reader.pages[-1].extract_text()


def test_the_footer_shows_the_print_time_in_shanghai() -> None:
    with translation.override("en"):
        reader = read(delivery_note(printed_at=datetime(2025, 1, 1, 2, 30, tzinfo=UTC)))

    assert "Printed 2025-01-01 10:30" in reader.pages[0].extract_text()


def test_a_document_without_header_and_footer_on_a_label_page() -> None:
    reader = read(
        pdf.build_pdf(
            [pdf.paragraph(ADDRESS, pdf.styles().body), pdf.qr_flowable("SF1234567890")],
            title="面单",
            pagesize=pdf.LABEL_100X150,
            margins=(5, 5, 5, 5),
            header=None,
            footer=None,
        )
    )

    box = reader.pages[0].mediabox
    assert float(box.width) == pytest.approx(283.46, abs=0.01)
    assert float(box.height) == pytest.approx(425.2, abs=0.01)
    text = reader.pages[0].extract_text()
    assert ADDRESS in text
    assert gettext("Page %(page)s of %(pages)s") % {"page": 1, "pages": 1} not in text


def test_labels_are_drawn_on_a_canvas_one_page_per_parcel() -> None:
    def draw_label(canvas: Any, recipient: str) -> None:
        width, height = pdf.LABEL_100X150
        canvas.setFont(pdf.register_cjk_font(), 12)
        canvas.drawString(5 * mm, height - 15 * mm, f"收 {recipient} {ADDRESS}")
        code = pdf.code128_flowable("SF1234567890123", bar_height_mm=18, max_width_mm=90)
        code.drawOn(canvas, (width - code.width) / 2, height - 60 * mm)
        pdf.draw_qr(canvas, "SF1234567890123", width - 30 * mm, 5 * mm, size_mm=25)

    reader = read(pdf.canvas_pdf(["李四", "王五"], draw_label, title="面单 W001"))

    assert len(reader.pages) == 2
    assert reader.metadata is not None
    assert reader.metadata.title == "面单 W001"
    for page, recipient in zip(reader.pages, ["李四", "王五"], strict=True):
        assert float(page.mediabox.width) == pytest.approx(283.46, abs=0.01)
        assert float(page.mediabox.height) == pytest.approx(425.2, abs=0.01)
        text = page.extract_text()
        assert f"收 {recipient} {ADDRESS}" in text
        assert "SF1234567890123" in text
    assert all(is_embedded_truetype(font) for font in page_fonts(reader))


def test_canvas_pdf_refuses_an_empty_batch() -> None:
    with pytest.raises(ValueError, match="at least one"):
        pdf.canvas_pdf([], lambda canvas, item: None, title="面单")


def test_a_canvas_pdf_is_written_to_a_file_page_by_page(tmp_path: Path) -> None:
    """Items from a generator (not counted up front); each page is in the file once drawn."""
    path = tmp_path / "labels.pdf"
    written: list[int] = []

    def draw_label(canvas: Any, number: int) -> None:
        canvas.setFont(pdf.register_cjk_font(), 12)
        canvas.drawString(5 * mm, 140 * mm, f"收 第{number}张")

    with path.open("wb") as out:

        def parcels() -> Iterator[int]:
            for number in range(1, 301):
                written.append(out.tell())
                yield number

        pages = pdf.write_canvas_pdf(
            out, parcels(), draw_label, title=lambda count: f"面单 {count} 张"
        )

    reader = PdfReader(path, strict=True)
    assert pages == len(reader.pages) == 300
    assert 0 < written[1] < written[150] < written[299] < path.stat().st_size
    assert reader.metadata is not None
    assert reader.metadata.title == "面单 300 张"
    assert reader.pages[0].extract_text().strip() == "收 第1张"
    assert reader.pages[299].extract_text().strip() == "收 第300张"
    assert all(is_embedded_truetype(font) for font in page_fonts(reader))


# --- Font discovery ------------------------------------------------------------------------


def test_the_font_comes_from_the_setting(settings: Any) -> None:
    settings.PDF_CJK_FONT_PATH = str(PAPERANG_FONT)
    settings.PDF_CJK_FONT_SUBFONT_INDEX = 1  # WenQuanYi Micro Hei Mono in the collection

    font = pdf.cjk_font()

    assert font.path == PAPERANG_FONT
    assert font.subfont_index == 1
    assert pdf.register_cjk_font() == font.name
    assert pdfmetrics.getFont(font.name).face.name == b"WenQuanYiMicroHeiMono"
    assert ADDRESS in read(delivery_note()).pages[0].extract_text()


def test_a_missing_font_file_is_a_clear_configuration_error(settings: Any, tmp_path: Path) -> None:
    settings.PDF_CJK_FONT_PATH = str(tmp_path / "missing.ttc")

    with pytest.raises(ImproperlyConfigured) as error:
        pdf.register_cjk_font()

    message = str(error.value)
    assert "PDF_CJK_FONT_PATH" in message
    assert "missing.ttc" in message
    assert "paperang-p2-fonts-cjk" in message


@pytest.mark.parametrize(
    "font_file",
    [
        pytest.param(Path(reportlab.__file__).parent / "fonts" / "Vera.ttf", id="latin-only"),
        pytest.param(None, id="not-a-font"),
    ],
)
def test_an_unusable_font_file_is_a_clear_configuration_error(
    settings: Any, tmp_path: Path, font_file: Path | None
) -> None:
    if font_file is None:
        font_file = tmp_path / "broken.ttf"
        font_file.write_bytes(b"this is not a font")
    settings.PDF_CJK_FONT_PATH = str(font_file)

    with pytest.raises(ImproperlyConfigured, match="TrueType-outline CJK font"):
        pdf.register_cjk_font()


@pytest.fixture
def fresh_discovery() -> Iterator[None]:
    fonts._discovered_font.cache_clear()
    yield
    fonts._discovered_font.cache_clear()


@pytest.mark.usefixtures("fresh_discovery")
def test_discovery_skips_unreadable_candidates(
    settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.PDF_CJK_FONT_PATH = ""
    otf = tmp_path / "NotoSansCJK-Regular.otf"
    otf.write_bytes(b"OTTO")
    broken = tmp_path / "broken.ttc"
    broken.write_bytes(b"not a font")
    candidates = [(tmp_path / "absent.ttc", 0), (otf, 0), (broken, 0), (PAPERANG_FONT, 0)]
    monkeypatch.setattr(fonts, "_candidates", lambda: candidates)

    assert pdf.cjk_font().path == PAPERANG_FONT


@pytest.mark.usefixtures("fresh_discovery")
def test_no_installed_font_says_how_to_fix_it(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.PDF_CJK_FONT_PATH = ""
    monkeypatch.setattr(fonts, "_candidates", list)

    with pytest.raises(ImproperlyConfigured) as error:
        pdf.register_cjk_font()

    assert "paperang-p2-fonts-cjk" in str(error.value)
    assert "PDF_CJK_FONT_PATH" in str(error.value)


# --- Styles, tables, barcodes, money -------------------------------------------------------


def test_styles_wrap_chinese_in_the_cjk_font() -> None:
    s = pdf.styles(size=12)

    for style in (s.title, s.heading, s.body, s.body_right, s.small, s.cell, s.cell_number):
        assert style.wordWrap == "CJK"
        assert style.fontName in (s.font_name, s.bold_font_name)
    assert s.body.fontSize == 12
    assert pdf.styles().body is not pdf.styles().body  # fresh objects, safe to change


def test_paragraph_shows_markup_characters_literally() -> None:
    s = pdf.styles()
    story = [pdf.paragraph("A&B <特价> 第一行\n第二行", s.body)]

    text = read(pdf.build_pdf(story, title="t")).pages[0].extract_text()

    assert "A&B <特价> 第一行" in text
    assert "第二行" in text


def test_table_cells_may_be_blank_numbers_or_flowables() -> None:
    table = pdf.data_table(
        ["品名", "条码", "数量"],
        [["长" * 80, pdf.code128_flowable("A1", human_readable=False), None]],
        [60 * mm, 40 * mm, "*"],
        number_columns=(-1,),
    )

    text = read(pdf.build_pdf([table], title="t")).pages[0].extract_text()

    assert "长长长" in text


def test_table_rows_must_match_the_header() -> None:
    with pytest.raises(ValueError, match="Row 2 has 1 cells"):
        pdf.data_table(["a", "b"], [["1", "2"], ["1"]], [20 * mm, 20 * mm])
    with pytest.raises(ValueError, match="column widths"):
        pdf.data_table(["a", "b"], [], [20 * mm])


def test_code128_fits_a_maximum_width_and_refuses_non_ascii() -> None:
    wide = pdf.code128_flowable("SF1234567890123ABCDEFGHIJ", bar_width_mm=0.5)
    fitted = pdf.code128_flowable("SF1234567890123ABCDEFGHIJ", bar_width_mm=0.5, max_width_mm=60)

    assert wide.width > 60 * mm
    assert fitted.width == pytest.approx(60 * mm)
    assert fitted.height > 12 * mm  # the bars plus the human-readable line
    with pytest.raises(ValueError, match="ASCII"):
        pdf.code128_flowable("订单123")
    with pytest.raises(ValueError, match="needs a value"):
        pdf.code128_flowable("")


def test_qr_code_has_the_requested_size() -> None:
    code = pdf.qr_flowable("https://example.com/t/SF1234567890?收件人=张三", size_mm=30)

    assert code.width == pytest.approx(30 * mm)
    assert code.height == pytest.approx(30 * mm)


@pytest.mark.parametrize("level", ["L", "M", "Q", "H"])
def test_the_qr_symbol_is_the_one_qrcode_makes_mask_included(level: QrLevel) -> None:
    values = [
        "SO2026112300000123",
        "7310000000001",
        "https://example.com/t/SF1234567890?收件人=张三",
        "订单备注" * 12,
        "https://example.com/t/" + "x" * 200,  # version 9 or more: version information too
    ]
    for value in values:
        code = qrcode.QRCode(
            error_correction=getattr(qrcode.constants, f"ERROR_CORRECT_{level}"), border=0
        )
        code.add_data(value)
        code.make(fit=True)

        assert pdf.qr_matrix(value, level=level) == code.get_matrix(), (value, code.version)


def test_a_printed_qr_code_scans_with_its_quiet_zone_inside_its_size() -> None:
    value = "https://example.com/t/SF1234567890?收件人=张三"
    dpi, left_mm, size_mm, border = 150, 20, 30, 4

    def draw_label(canvas: Any, item: str) -> None:
        pdf.draw_qr(canvas, item, left_mm * mm, 20 * mm, size_mm=size_mm, border_modules=border)

    content = pdf.canvas_pdf([value], draw_label, title="面单")

    [page] = scan_pdf(content, dpi=dpi)
    assert page.qr == [value]
    modules = len(pdf.qr_matrix(value))
    module_px = size_mm / (modules + 2 * border) / 25.4 * dpi
    symbol_left_px = (left_mm / 25.4 * dpi) + border * module_px
    assert page.qr_left == [pytest.approx(symbol_left_px, abs=module_px)]


def test_reportlab_runs_with_its_c_accelerator() -> None:
    """rl_accel (a dependency) does reportlab's number formatting and encoding in C: 1,000
    labels took 40 % less time with it."""
    from reportlab.lib import rl_accel

    assert rl_accel.fp_str.__module__ == "_rl_accel"


def test_ean13_checks_the_check_digit() -> None:
    assert pdf.ean13_check_digit("690123456789") == "2"
    assert pdf.ean13_flowable("690123456789").width > 0
    assert pdf.ean13_flowable("6901234567892").width > 0
    with pytest.raises(ValueError, match="check digit"):
        pdf.ean13_flowable("6901234567891")
    with pytest.raises(ValueError, match="12 or 13 digits"):
        pdf.ean13_flowable("69012345")


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (Decimal("1234.56"), "¥1,234.56"),
        (Decimal("1234.5"), "¥1,234.50"),
        (Decimal("0.005"), "¥0.01"),
        (Decimal("-1409.50"), "-¥1,409.50"),
        (Decimal("-0.001"), "¥0.00"),
        (1000000, "¥1,000,000.00"),
        ("99.999", "¥100.00"),
    ],
)
def test_format_money(amount: Decimal | int | str, expected: str) -> None:
    assert pdf.format_money(amount) == expected


def test_format_money_refuses_floats_and_may_drop_the_symbol() -> None:
    assert pdf.format_money(Decimal("12"), symbol="") == "12.00"
    with pytest.raises(TypeError):
        pdf.format_money(12.5)  # type: ignore[arg-type]


def test_an_amount_in_capital_numerals_is_printed() -> None:
    money = pytest.importorskip("ecomops.money")
    words = money.amount_in_words(Decimal("1409.50"))
    s = pdf.styles()
    story = [
        pdf.paragraph(f"价税合计 大写 {words} 小写 {pdf.format_money(Decimal('1409.50'))}", s.body)
    ]

    text = read(pdf.build_pdf(story, title="发票")).pages[0].extract_text()

    assert words in text
    assert "¥1,409.50" in text
