"""What every platform's export reader shares: the results, the limits, opening the files
(zip, xlsx, CSV in GB18030 or UTF-8), finding the header row, and reading a cell.

Nothing here touches the database: a reader turns bytes into payloads and nothing else.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from ecomops.errors import ApplicationError

# --- Limits ------------------------------------------------------------------------------

MAX_FILE_BYTES = 50 * 1024 * 1024  # one uploaded file, and one member of a zip
MAX_ROWS = 200_000  # data rows of one file (one sheet of a workbook)
MAX_ZIP_MEMBERS = 2  # the order report and the item report, nothing else
# An xlsx is a zip of XML: a 50 MB workbook may unpack to a few hundred MB, a zip bomb to
# terabytes. The declared sizes are what zipfile will ever hand out, so checking them is enough.
MAX_XLSX_UNPACKED_BYTES = 512 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200  # XML compresses 10-50 times; a bomb thousands of times
HEADER_SEARCH_ROWS = 10  # a header row below a title row or two is still found

SHANGHAI = ZoneInfo("Asia/Shanghai")
CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# Normalized order states (``ExportedOrder.state`` and ``ParsedExport.states``).
AWAITING_SHIPMENT = "awaiting_shipment"
UNPAID = "unpaid"
SHIPPED = "shipped"
COMPLETED = "completed"
CLOSED = "closed"
REFUNDING = "refunding"
OTHER = "other"
STATES = (AWAITING_SHIPMENT, UNPAID, SHIPPED, COMPLETED, CLOSED, REFUNDING, OTHER)


# --- Results -----------------------------------------------------------------------------


class ExportFileError(ApplicationError):
    """The export cannot be imported: the message names the file, and where it applies the
    order number and the column; ``extra`` holds ``file``, ``row``, ``column`` and
    ``external_id``. Nothing of the file may be used."""


@dataclass
class ExportedOrder:
    """A paid order awaiting shipment, as the intake takes it."""

    payload: dict[str, Any]
    rows: list[int]  # spreadsheet rows of ``file_name`` (2 = the first row under the header)
    file_name: str
    platform_state: str  # 订单状态 as written
    state: str  # normalized, always AWAITING_SHIPMENT here
    # Where each of ``payload["lines"]`` was read: the item report for Taobao/Tmall, the
    # same file as ``rows`` for the one-file platforms.
    line_file_name: str = ""
    line_rows: list[int] = field(default_factory=list)
    # The total the file states (总金额, 应付金额, 用户实付金额, Σ订单应付金额), as read.
    total_amount: str | None = None
    # What a person should know that the payload cannot say (a line left out as refunded).
    warnings: list[str] = field(default_factory=list)


@dataclass
class SkippedOrder:
    """An order of the file that does not become an order, and why."""

    external_id: str
    platform_state: str
    reason: str
    state: str = OTHER
    file_name: str = ""
    rows: list[int] = field(default_factory=list)


@dataclass
class ParsedExport:
    platform: str
    orders: list[ExportedOrder] = field(default_factory=list)
    skipped: list[SkippedOrder] = field(default_factory=list)
    # external id -> normalized state, for every order of the file, imported or not
    states: dict[str, str] = field(default_factory=dict)

    def add(self, order: ExportedOrder) -> None:
        if order.total_amount and "total_amount" not in order.payload:
            # The intake checks it adds up (goods - discount + shipping): a file whose total
            # does not is parked with the reason "amount" (issue 20 §3).
            order.payload["total_amount"] = order.total_amount
        self.orders.append(order)
        self.states[order.payload["external_id"]] = order.state

    def skip(self, order: SkippedOrder) -> None:
        self.skipped.append(order)
        self.states[order.external_id] = order.state


def skip_reason(state: str, platform_state: str, detail: str = "") -> str:
    """Why an order in ``state`` is not imported, in the operator's words."""
    if state == UNPAID:
        return _("Not paid yet")
    if state == SHIPPED:
        return _("Already shipped")
    if state == COMPLETED:
        return pgettext("platform order", "Completed")
    if state == CLOSED:
        if detail:
            return _("Closed: %(reason)s") % {"reason": detail}
        return pgettext("platform order", "Closed")
    if state == REFUNDING:
        if detail:
            return _("Refund requested: %(reason)s") % {"reason": detail}
        return _("Refund requested")
    return _("Not awaiting shipment (%(state)s)") % {"state": platform_state or "-"}


# --- Errors ------------------------------------------------------------------------------


def file_error(file_name: str, message: str) -> NoReturn:
    raise ExportFileError(
        message, {"file": file_name, "row": None, "column": "", "external_id": ""}
    )


def cell_error(file_name: str, row: int, external_id: str, column: str, problem: str) -> NoReturn:
    """A data error in one cell: the message names file, row, order number and column."""
    message = _("%(file)s, row %(row)s, order %(order)s, column %(column)s: %(problem)s") % {
        "file": file_name,
        "row": row,
        "order": external_id or "-",
        "column": column,
        "problem": problem,
    }
    raise ExportFileError(
        message, {"file": file_name, "row": row, "column": column, "external_id": external_id}
    )


# --- Cells -------------------------------------------------------------------------------


def clean(value: str) -> str:
    """A cell as the platform meant it: without surrounding whitespace and tabs (the
    platforms' guard against Excel's scientific notation), the ``="…"`` formula wrapping of
    long numbers, or a leading apostrophe (Excel's text marker on phones)."""
    text = value.strip()
    if not text or text[0] not in "='":
        return text
    if len(text) >= 3 and text[1] == '"' and text[-1] == '"' and text[0] == "=":
        text = text[2:-1].strip()
    if text.startswith("'"):
        text = text[1:].strip()
    return text


def is_masked(value: str) -> bool:
    """A value the platform hid: ``138****0000``, or an encrypted ``#…#`` / ``$…$``."""
    if not value:
        return False
    if "*" in value:
        return True
    return len(value) > 2 and value[0] in "#$" and value[-1] == value[0]


def unmasked(value: str) -> str:
    return "" if is_masked(value) else value


def pick_phone(*candidates: str) -> str:
    """The first phone that is there and not masked (联系手机, else 联系电话)."""
    for candidate in candidates:
        phone = clean(candidate)
        if phone and not is_masked(phone):
            return phone
    return ""


_MONEY_JUNK = str.maketrans("", "", "元¥￥, ")


def parse_decimal(text: str) -> Decimal | None:
    """``"1,234.50元"`` → Decimal; ``""`` → None; not a number → ValueError."""
    text = text.translate(_MONEY_JUNK)
    if not text:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(text) from None
    if not amount.is_finite():
        raise ValueError(text)
    return amount


def money_text(amount: Decimal) -> str:
    return str(amount.quantize(CENT, rounding=ROUND_HALF_UP))


def parse_quantity(text: str) -> int:
    """A positive whole number (``"2"``, or ``"2.0"`` from a spreadsheet); ValueError else."""
    try:
        number = Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise ValueError(text) from None
    if not number.is_finite() or number <= 0 or number != number.to_integral_value():
        raise ValueError(text)
    return int(number)


_TIME_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d", "%Y-%m-%d %H:%M")


def parse_time(text: str) -> str | None:
    """A China-time timestamp of the file as ISO 8601 with +08:00; ``""`` → None;
    ValueError when it is no date."""
    if not text:
        return None
    if len(text) == 19 and text[10] == " " and text[4] == "-":
        # The usual ``2024-06-12 20:58:11``: checked, then written as is with the offset.
        try:
            datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(text) from None
        return f"{text[:10]}T{text[11:]}+08:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        for fmt in _TIME_FORMATS:
            try:
                moment = datetime.strptime(text, fmt).replace(tzinfo=SHANGHAI)
                break
            except ValueError:
                continue
        else:
            raise ValueError(text) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    return moment.astimezone(SHANGHAI).isoformat()


# --- Addresses ---------------------------------------------------------------------------

_POSTCODE_RE = re.compile(r"[(（]\s*(\d{6})\s*[)）]\s*$")
_MUNICIPALITIES = {"北京": "北京市", "上海": "上海市", "天津": "天津市", "重庆": "重庆市"}
_PROVINCES = (
    "北京|天津|上海|重庆|河北|山西|内蒙古|辽宁|吉林|黑龙江|江苏|浙江|安徽|福建|江西|山东|河南|"
    "湖北|湖南|广东|广西|海南|四川|贵州|云南|西藏|陕西|甘肃|青海|宁夏|新疆|台湾|香港|澳门"
)
_PROVINCE_SUFFIX = {
    "内蒙古": "自治区",
    "广西": "壮族自治区",
    "西藏": "自治区",
    "宁夏": "回族自治区",
    "新疆": "维吾尔自治区",
    "香港": "特别行政区",
    "澳门": "特别行政区",
}
# An address written without separators (JD: 江苏南京市鼓楼区中山北路1号).
_PROVINCE_RE = re.compile(
    rf"^({_PROVINCES})(省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)?"
)
_CITY_RE = re.compile(r"^(.{2,9}?(?:自治州|地区|盟|市))")
_DISTRICT_RE = re.compile(r"^(.{2,9}?(?:区|县|旗|市))")


def _province_name(short: str) -> str:
    if short in _MUNICIPALITIES:
        return _MUNICIPALITIES[short]
    return short + _PROVINCE_SUFFIX.get(short, "省")


def split_address(text: str) -> dict[str, str]:
    """The receiver's address as province, city, district, street and postcode.

    Taobao writes ``省 市 区 street(postcode)`` with spaces (municipalities as
    ``上海 上海市 浦东新区 …``, ``(000000)`` when there is no postcode); JD writes it in one
    run (``北京北京市朝阳区建国路88号``), split by the names of the provinces and the
    suffixes of cities and districts.
    """
    text = text.strip()
    postcode = ""
    match = _POSTCODE_RE.search(text)
    if match:
        postcode = "" if match.group(1) == "000000" else match.group(1)
        text = text[: match.start()].rstrip()
    parts = text.split(maxsplit=3)
    if len(parts) >= 3:
        province, city, district = parts[0], parts[1], parts[2]
        street = parts[3] if len(parts) > 3 else ""
        street = " ".join(street.split())
        province = _MUNICIPALITIES.get(province, province)
    else:
        province, city, district, street = _split_run("".join(parts))
    return {
        "province": province,
        "city": city,
        "district": district,
        "street_address": street,
        "postcode": postcode,
    }


def _split_run(text: str) -> tuple[str, str, str, str]:
    match = _PROVINCE_RE.match(text)
    if not match:
        return "", "", "", text
    short = match.group(1)
    province = _province_name(short)
    rest = text[match.end() :]
    if short in _MUNICIPALITIES:
        city = province
        for prefix in (province, short):
            if rest.startswith(prefix):
                rest = rest[len(prefix) :]
                break
    else:
        city_match = _CITY_RE.match(rest)
        city = city_match.group(1) if city_match else ""
        rest = rest[len(city) :]
    district_match = _DISTRICT_RE.match(rest)
    district = district_match.group(1) if district_match else ""
    return province, city, district, rest[len(district) :]


# --- Opening files -----------------------------------------------------------------------


def normalize_header(text: str) -> str:
    """Headers compared without spaces and tabs, full-width brackets and case:
    ``收货地址 `` = ``收货地址``, ``商品总价（元）`` = ``商品总价(元)``, ``商品ID`` = ``商品id``."""
    text = unicodedata.normalize("NFKC", text.replace("\ufeff", ""))
    return "".join(text.split()).lower()


@dataclass
class Table:
    """One sheet of data: its header and its records, read lazily."""

    file_name: str  # the file, and the sheet when a workbook has several
    header: list[str]  # as written, trimmed
    header_row: int  # spreadsheet row of the header (1 for a plain CSV)
    records: Iterator[tuple[int, list[str]]]  # (spreadsheet row, cells) under the header
    source: str = ""  # the file the table is in
    index: dict[str, int] = field(default_factory=dict)  # normalized header -> column

    def __post_init__(self) -> None:
        for position, name in enumerate(self.header):
            self.index.setdefault(normalize_header(name), position)

    def has(self, *names: str) -> bool:
        return any(normalize_header(name) in self.index for name in names)

    def column(self, *names: str) -> Column | None:
        """The first of these headers the file has (newer and older names of a column)."""
        for name in names:
            position = self.index.get(normalize_header(name))
            if position is not None:
                return Column(self.header[position], position)
        return None

    def required(self, *names: str) -> Column:
        column = self.column(*names)
        if column is None:
            file_error(
                self.file_name,
                _("%(file)s lacks the column %(column)s.")
                % {"file": self.file_name, "column": names[0]},
            )
        return column


@dataclass(frozen=True)
class Column:
    name: str  # the header as the file writes it, for messages
    position: int

    def get(self, cells: Sequence[str]) -> str:
        return clean(cells[self.position]) if self.position < len(cells) else ""


def cell(column: Column | None, cells: Sequence[str]) -> str:
    if column is None or column.position >= len(cells):
        return ""
    return clean(cells[column.position])


@dataclass
class Source:
    name: str
    data: bytes


def _kind(data: bytes) -> str:
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return "zip"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    return "text"


def _member_name(info: zipfile.ZipInfo) -> str:
    # Windows zips name their members in GBK without saying so; zipfile reads them as cp437.
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gb18030")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _open_zip(source: Source) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(source.data))
    except (zipfile.BadZipFile, OSError, ValueError):
        file_error(
            source.name,
            _("%(file)s is a damaged zip or Excel file.") % {"file": source.name},
        )


def _check_unpacked(source: Source, infos: list[zipfile.ZipInfo], limit: int) -> None:
    total = 0
    for info in infos:
        total += info.file_size
        ratio_too_high = (
            info.file_size > 1024 * 1024
            and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1)
        )
        if info.file_size > limit or total > limit or ratio_too_high:
            file_error(
                source.name,
                _("%(file)s unpacks to more than %(limit)d MB: it is no export.")
                % {"file": source.name, "limit": limit // (1024 * 1024)},
            )


def _is_xlsx(archive: zipfile.ZipFile) -> bool:
    names = set(archive.namelist())
    return "xl/workbook.xml" in names or "[Content_Types].xml" in names


def _junk_member(info: zipfile.ZipInfo) -> bool:
    name = info.filename.rsplit("/", 1)[-1]
    return info.is_dir() or info.filename.startswith("__MACOSX/") or name.startswith((".", "~$"))


def expand(files: Sequence[tuple[str, bytes]]) -> list[tuple[Source, zipfile.ZipFile | None]]:
    """The files as (source, workbook archive or None for text), zips opened up."""
    found: list[tuple[Source, zipfile.ZipFile | None]] = []
    for name, data in files:
        source = Source(name, data)
        if len(data) > MAX_FILE_BYTES:
            file_error(
                name,
                _("%(file)s is larger than %(limit)d MB: export fewer days at a time.")
                % {"file": name, "limit": MAX_FILE_BYTES // (1024 * 1024)},
            )
        kind = _kind(data)
        if kind == "xls":
            file_error(name, _xls_message(name))
        if kind == "text":
            found.append((source, None))
            continue
        archive = _open_zip(source)
        if _is_xlsx(archive):
            _check_unpacked(source, archive.infolist(), MAX_XLSX_UNPACKED_BYTES)
            found.append((source, archive))
            continue
        members = [info for info in archive.infolist() if not _junk_member(info)]
        if not members:
            file_error(name, _("%(file)s is an empty zip.") % {"file": name})
        if len(members) > MAX_ZIP_MEMBERS:
            file_error(
                name,
                _(
                    "%(file)s holds %(count)d files: a zip may hold only the files of one "
                    "export (for Taobao/Tmall the order report and the item report)."
                )
                % {"file": name, "count": len(members)},
            )
        _check_unpacked(source, members, MAX_FILE_BYTES)
        for info in members:
            if info.flag_bits & 0x1:
                file_error(
                    name,
                    _("%(file)s is protected by a password: unpack it first.") % {"file": name},
                )
            member = Source(f"{name}/{_member_name(info)}", _read_member(source, archive, info))
            member_kind = _kind(member.data)
            if member_kind == "xls":
                file_error(member.name, _xls_message(member.name))
            if member_kind == "zip":
                inner = _open_zip(member)
                if not _is_xlsx(inner):
                    file_error(
                        member.name,
                        _("%(file)s is a zip inside a zip: unpack it first.")
                        % {"file": member.name},
                    )
                _check_unpacked(member, inner.infolist(), MAX_XLSX_UNPACKED_BYTES)
                found.append((member, inner))
            else:
                found.append((member, None))
    return found


def _xls_message(name: str) -> str:
    return _("%(file)s is an old Excel (.xls) workbook: save it as .xlsx or CSV.") % {"file": name}


def _read_member(source: Source, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    try:
        with archive.open(info) as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError):
        file_error(
            source.name,
            _("%(file)s is a damaged zip or Excel file.") % {"file": source.name},
        )
    if len(data) > MAX_FILE_BYTES:
        file_error(
            source.name,
            _("%(file)s unpacks to more than %(limit)d MB: it is no export.")
            % {"file": source.name, "limit": MAX_FILE_BYTES // (1024 * 1024)},
        )
    return data


def decode(source: Source) -> str:
    """GB18030 as the seller centres write it, or UTF-8 (with or without BOM) as re-saved."""
    data = source.data
    text: str | None = None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            text = None
    else:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
    if text is None or "\x00" in text:
        file_error(
            source.name,
            _(
                "%(file)s is neither GB18030 nor UTF-8 text: download it again, or save it "
                "as CSV (UTF-8) or xlsx."
            )
            % {"file": source.name},
        )
    return text


def _data_rows(
    file_name: str, rows: Iterator[tuple[int, list[str]]]
) -> Iterator[tuple[int, list[str]]]:
    """The rows under the header, blank ones left out, at most MAX_ROWS of them."""
    count = 0
    for number, cells in rows:
        if not "".join(cells).strip():
            continue
        count += 1
        if count > MAX_ROWS:
            file_error(
                file_name,
                _("%(file)s has more than %(limit)s rows: export fewer days at a time.")
                % {"file": file_name, "limit": f"{MAX_ROWS:,}"},
            )
        yield number, cells


def _csv_rows(source: Source, text: str) -> Iterator[tuple[int, list[str]]]:
    first_line = text[: text.find("\n")] if "\n" in text else text
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as exc:
        file_error(
            source.name,
            _("%(file)s cannot be read as CSV (row %(row)s): %(error)s")
            % {"file": source.name, "row": reader.line_num, "error": exc},
        )


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    return str(value)


def _sheet_rows(sheet: Any) -> Iterator[tuple[int, list[str]]]:
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        yield number, [_cell_text(v) for v in values]


def _find_header(
    name: str, rows: Iterator[tuple[int, list[str]]], keys: frozenset[str], source: str
) -> Table | None:
    for _attempt in range(HEADER_SEARCH_ROWS):
        try:
            number, cells = next(rows)
        except StopIteration:
            return None
        header = [clean(c).replace("\ufeff", "") for c in cells]
        if any(normalize_header(h) in keys for h in header):
            return Table(name, header, number, _data_rows(name, rows), source)
    return None


def open_tables(
    files: Sequence[tuple[str, bytes]], key_headers: Sequence[str], stack: ExitStack
) -> list[Table]:
    """Every table of the files whose header row holds one of ``key_headers``.

    A file (or a workbook) with no such table is not an export of this platform: that is an
    error naming the file. Workbooks are closed when ``stack`` closes.
    """
    keys = frozenset(normalize_header(k) for k in key_headers)
    tables: list[Table] = []
    for source, archive in expand(files):
        found: list[Table] = []
        if archive is None:
            table = _find_header(source.name, _csv_rows(source, decode(source)), keys, source.name)
            if table is not None:
                found.append(table)
        else:
            workbook = _load_workbook(source)
            stack.callback(workbook.close)
            sheets = workbook.worksheets
            for sheet in sheets:
                label = source.name if len(sheets) == 1 else f"{source.name} [{sheet.title}]"
                table = _find_header(label, _sheet_rows(sheet), keys, source.name)
                if table is not None:
                    found.append(table)
        if not found:
            file_error(
                source.name,
                _(
                    "%(file)s is not an order export of this platform: no row holds the "
                    "column %(column)s."
                )
                % {"file": source.name, "column": " / ".join(key_headers)},
            )
        tables.extend(found)
    return tables


def _load_workbook(source: Source) -> Any:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        # Formulas as written, not their cached results: the platforms' ``="…"`` guards are
        # the only formulas of an export, and a workbook written by a program (not Excel)
        # caches no result for them. ``clean`` unwraps them.
        return load_workbook(io.BytesIO(source.data), read_only=True, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError):
        file_error(
            source.name,
            _("%(file)s is a damaged zip or Excel file.") % {"file": source.name},
        )


# --- Reading rows ------------------------------------------------------------------------


class RowReader:
    """Reads the typed values of one row, failing with the cell's coordinates."""

    def __init__(
        self,
        table: Table,
        number: int,
        cells: list[str],
        external_id: str = "",
        empty: Callable[[str], str] | None = None,
    ) -> None:
        self.table = table
        self.number = number
        self.cells = cells
        self.external_id = external_id
        self._empty = empty

    def text(self, column: Column | None) -> str:
        if column is None or column.position >= len(self.cells):
            return ""
        value = clean(self.cells[column.position])
        return self._empty(value) if self._empty else value

    def fail(self, column: Column | str, problem: str) -> NoReturn:
        name = column.name if isinstance(column, Column) else column
        cell_error(self.table.file_name, self.number, self.external_id, name, problem)

    def money(self, column: Column | None, *, default: Decimal | None = None) -> Decimal:
        """An amount; an empty cell or a missing column is ``default`` (an error if None)."""
        if column is None:
            if default is None:
                raise TypeError("a required column is looked up with Table.required")
            return default
        text = self.text(column)
        try:
            amount = parse_decimal(text)
        except ValueError:
            self.fail(column, _("“%(value)s” is not an amount.") % {"value": text})
        if amount is None:
            if default is not None:
                return default
            self.fail(column, _("the amount is empty."))
        return amount

    def quantity(self, column: Column) -> int:
        text = self.text(column)
        try:
            return parse_quantity(text)
        except ValueError:
            self.fail(
                column,
                _("the quantity “%(value)s” is not a positive whole number.") % {"value": text},
            )

    def time(self, column: Column | None) -> str | None:
        if column is None:
            return None
        text = self.text(column)
        try:
            return parse_time(text)
        except ValueError:
            self.fail(column, _("“%(value)s” is not a date and time.") % {"value": text})


# Our code of 顺丰 (warehouse ``Carrier.code``, as the demo and the platform carrier names
# seed it): an export that says the buyer paid for SF asks for this carrier.
SF_CARRIER_CODE = "SF"
CASH_ON_DELIVERY = "货到付款"


def order_payload(
    *,
    external_id: str,
    placed_at: str | None,
    paid_at: str | None,
    buyer_account: str,
    name: str,
    phone: str,
    address: dict[str, str],
    lines: list[dict[str, Any]],
    shipping_fee: Decimal,
    discount_amount: Decimal,
    paid_amount: Decimal,
    invoice_title: str,
    invoice_kind: str = "ordinary",
    tax_id: str = "",
    buyer_note: str,
    requested_carrier: str = "",
    cash_on_delivery: bool = False,
) -> dict[str, Any]:
    """The intake's payload (``orders.services.intake``), extended with the money of issue 20
    and, where the export says so, the carrier the buyer asked for and cash on delivery."""
    invoice: dict[str, str] = {}
    if invoice_title:
        invoice = {"kind": invoice_kind, "title": invoice_title}
        if tax_id:
            invoice["tax_id"] = tax_id
    payload: dict[str, Any] = {
        "external_id": external_id,
        "placed_at": placed_at,
        "paid_at": paid_at,
        "buyer_account": buyer_account,
        "customer": {"kind": "individual", "name": name, "phone": phone, **address},
        "shipping_address": {"name": name, "phone": phone, **address},
        "lines": lines,
        "shipping_fee": money_text(shipping_fee),
        "discount_amount": money_text(discount_amount),
        "paid_amount": money_text(paid_amount),
        "needs_invoice": bool(invoice_title),
        "invoice": invoice,
        "buyer_note": buyer_note,
    }
    # only where the export says so, as the intake keeps them
    if requested_carrier:
        payload["requested_carrier"] = requested_carrier
    if cash_on_delivery:
        payload["cash_on_delivery"] = True
    return payload


def line_payload(
    *, sku: str, quantity: int, unit_price: Decimal, title: str, discount: Decimal | None = None
) -> dict[str, Any]:
    line: dict[str, Any] = {
        "sku": sku,
        "quantity": quantity,
        "unit_price": money_text(unit_price),
    }
    if discount is not None:
        line["discount"] = money_text(discount)
    line["title"] = title
    return line


def join_street(*parts: str) -> str:
    return " ".join(part for part in parts if part)


def state_text(text: str) -> str:
    """A state as platforms write it, compared without spaces and with full-width
    punctuation (``买家已付款,等待卖家发货`` = ``买家已付款，等待卖家发货``)."""
    return "".join(text.split()).replace(",", "，").replace("(", "（").replace(")", "）")


def combine_line_states(states: list[str]) -> tuple[str, list[bool]]:
    """An order's state from its lines' states, and which lines ship.

    Lines closed (refunded before shipment) leave an order awaiting shipment with its other
    lines; a line in refund, or a line already shipped, makes the whole order wait for a
    person (refunding, or shipped in part).
    """
    first = states[0]
    if states.count(first) == len(states):
        return first, [True] * len(states)
    present = set(states)
    if REFUNDING in present:
        return REFUNDING, [False] * len(states)
    if present & {SHIPPED, COMPLETED}:
        return SHIPPED, [False] * len(states)
    if present == {AWAITING_SHIPMENT, CLOSED}:
        return AWAITING_SHIPMENT, [state == AWAITING_SHIPMENT for state in states]
    return first, [False] * len(states)


def left_out_warning(title: str, platform_state: str) -> str:
    return _("Line %(title)s was left out: it is %(state)s on the platform.") % {
        "title": title,
        "state": platform_state,
    }


Rows = list[tuple[int, list[str]]]


def group_rows(
    tables: Sequence[Table],
    key_names: Sequence[str],
    *,
    one_row: bool = False,
    empty: Callable[[str], str] | None = None,
) -> dict[str, tuple[Table, Rows]]:
    """The rows of each order number, in file order (``one_row``: an order is one row).

    An order in two files is an error: two exports overlapping in time would otherwise
    double its lines.
    """
    groups: dict[str, tuple[Table, Rows]] = {}
    for table in tables:
        key = table.required(*key_names)
        for number, cells in table.records:
            row = RowReader(table, number, cells, empty=empty)
            external_id = row.text(key)
            row.external_id = external_id
            if not external_id:
                row.fail(key, _("the order number is empty."))
            group = groups.get(external_id)
            if group is None:
                groups[external_id] = (table, [(number, cells)])
            elif group[0] is not table:
                row.fail(
                    key,
                    _("the order is also in %(other)s: give each order in one file only.")
                    % {"other": group[0].file_name},
                )
            elif one_row:
                row.fail(
                    key,
                    _("the order is in the file twice (rows %(first)s and %(second)s).")
                    % {"first": group[1][0][0], "second": number},
                )
            else:
                group[1].append((number, cells))
    return groups


def skipped(
    table: Table,
    rows: Rows,
    external_id: str,
    platform_state: str,
    state: str,
    *,
    detail: str = "",
    reason: str = "",
) -> SkippedOrder:
    return SkippedOrder(
        external_id=external_id,
        platform_state=platform_state,
        reason=reason or skip_reason(state, platform_state, detail),
        state=state,
        file_name=table.file_name,
        rows=[number for number, _cells in rows],
    )
