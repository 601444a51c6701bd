"""Readers for the statement files finance downloads, and the classification of their lines.

Pure functions: bytes in, ``ParsedLine`` out; nothing here touches the database. Layouts
and their sources are in docs/finance.md "Statements".

- Alipay merchant 账务明细 (signcustomer) CSV: GBK, ``#`` lines above the header and below
  the rows, text cells end in a tab before the comma (``54632446537371\\t,``).
- WeChat Pay 交易账单 (ALL): every cell of the rows and of the summary starts with a
  backquote; two summary lines (``总交易单数,…`` and its values) close the file.
- Bank statements (CSV in GBK/UTF-8, or xlsx): each bank its own columns, named by a mapping
  saved on the bank account; title rows above the header are skipped.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache, partial
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _

from ecomops.errors import ApplicationError

# Kinds as stored (finance.models.StatementLineKind; repeated here so the readers stay pure).
SETTLEMENT = "settlement"
BUYER_PAYMENT = "buyer_payment"
REFUND = "refund"
FEE = "fee"
WITHDRAWAL = "withdrawal"
OTHER = "other"

ALIPAY = "alipay"
WECHAT = "wechat"
BANK = "bank"


class StatementFormatError(ApplicationError):
    """A statement file that cannot be read: nothing of it is stored."""


@dataclass
class ParsedLine:
    line_no: int
    reference: str
    kind: str
    amount: Decimal
    occurred_at: datetime
    counterparty: str = ""
    order_number: str = ""
    business_type: str = ""
    memo: str = ""
    raw: dict[str, str] = field(default_factory=dict)


@dataclass
class ParsedStatement:
    file_format: str
    lines: list[ParsedLine]


def _error(line_no: int, message: str) -> StatementFormatError:
    text = _("Line %(line)d: %(problem)s") % {"line": line_no, "problem": message}
    return StatementFormatError(text, {"fields": {"file": [text]}, "line": line_no})


def decode(content: bytes) -> str:
    """UTF-8 (with or without BOM) when it is, else GB18030 (a superset of GBK)."""
    if content.startswith(b"\xef\xbb\xbf"):
        return content[3:].decode("utf-8")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise StatementFormatError(
            _("The file is neither UTF-8 nor GBK/GB18030 text: is it the statement as downloaded?")
        ) from exc


def _cell(value: Any) -> str:
    """A cell as text: Alipay's trailing tab and WeChat's leading backquote removed."""
    if value is None:
        return ""
    text = str(value).strip().strip("\t").strip()
    return text[1:].strip() if text.startswith("`") else text


def money(value: str, line_no: int, column: str) -> Decimal:
    text = _cell(value).replace(",", "").replace("¥", "").replace("￥", "")
    if text in ("", "-", "--"):
        return Decimal("0.00")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise _error(
            line_no,
            _("%(column)s “%(value)s” is not an amount.") % {"column": column, "value": value},
        ) from None
    if not amount.is_finite():
        raise _error(
            line_no,
            _("%(column)s “%(value)s” is not an amount.") % {"column": column, "value": value},
        )
    return amount.quantize(Decimal("0.01"))


_DATETIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M",
    "%Y%m%d %H:%M:%S",
    "%Y%m%d%H%M%S",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y%m%d",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日",
)


def when(value: Any, line_no: int, column: str) -> datetime:
    """A local (Asia/Shanghai) date or date-time as the statement writes it, made aware."""
    parsed = value if isinstance(value, datetime) else _parse_when(_cell(value))
    if parsed is None:
        raise _error(
            line_no,
            _("%(column)s “%(value)s” is not a date and time.")
            % {"column": column, "value": _cell(value)},
        )
    if parsed.tzinfo is not None:
        return parsed
    return parsed.replace(tzinfo=_company_zone())


def _parse_when(text: str) -> datetime | None:
    if len(text) == 19:
        # The usual "2026-11-03 09:12:45", read in C; the other layouts below.
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            pass
    for fmt in _DATETIME_FORMATS:
        try:
            return datetime.strptime(text, fmt)  # noqa: DTZ007 (made aware by the caller)
        except ValueError:
            continue
    return None


@lru_cache(maxsize=4)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _company_zone() -> ZoneInfo:
    # The company's wall clock (settings.TIME_ZONE); zoneinfo resolves each date's offset.
    return _zone(settings.TIME_ZONE)


# --- Classification ------------------------------------------------------------------------

# Money moving between the company's own accounts: withdrawals to the bank, Alipay's money
# market funds, WeChat Pay's and Alipay's settlements arriving at the bank.
WITHDRAWAL_WORDS = (
    "提现",
    "转出到网商银行",
    "余利宝",
    "余额宝",
    "转存",
    "内部转账",
    "资金归集",
    "支付宝（中国）网络技术有限公司",
    "支付宝(中国)网络技术有限公司",
    "财付通支付科技有限公司",
)
# Platform fees and commissions (Tmall/Taobao via Alipay, WeChat Pay, banks).
FEE_WORDS = (
    "技术服务费",
    "基础软件服务费",
    "软件服务费",
    "佣金",
    "花呗",
    "分期",
    "手续费",
    "服务费",
    "代扣返点积分",
    "代扣交易退回积分",
    "消费者体验提升计划",
    "公益宝贝",
    "年费",
    "工本费",
    "账户管理费",
)
REFUND_WORDS = ("交易退款", "售后退款", "退款", "退货")


def _has(text: str, words: Iterable[str]) -> bool:
    return any(word in text for word in words)


def classify(
    *, source: str, business_type: str, memo: str, amount: Decimal, counterparty: str = ""
) -> str:
    """The kind of a line from what the statement says of it.

    Order matters: a withdrawal word wins (提现 is never a fee), then fees (佣金返还 is a
    fee coming back, still a fee), then refunds (but a deposit's 保证金退款 is other), then
    income by the account's kind: Alipay's 交易付款 is the platform settling an order
    (Tmall/Taobao escrow), 在线支付 and WeChat Pay and bank income are buyers paying us.
    """
    text = f"{business_type} {memo}"
    if business_type in ("交易付款", "在线支付") and amount > 0:
        return SETTLEMENT if source == ALIPAY and business_type == "交易付款" else BUYER_PAYMENT
    if business_type == "收费":
        return FEE
    if business_type == "提现" or (_has(text, WITHDRAWAL_WORDS) and not _has(text, FEE_WORDS)):
        return WITHDRAWAL
    if _has(text, FEE_WORDS):
        return FEE
    if _has(counterparty, WITHDRAWAL_WORDS):
        return WITHDRAWAL
    if "保证金" in text:
        return OTHER
    if _has(text, REFUND_WORDS):
        return REFUND
    if amount > 0 and source != ALIPAY:
        return BUYER_PAYMENT
    if amount > 0 and business_type in ("", "交易"):
        return BUYER_PAYMENT
    return OTHER


# Order numbers as statements write them: Tmall/Taobao trades come as T200P<trade id>, and
# fee lines name the order in their memo: 基础软件服务费(…), 天猫佣金{…}, 淘宝客佣金代扣款[…].
_TAOBAO_TRADE = re.compile(r"T200P([0-9A-Za-z-]{6,40})")
# An order number inside brackets: digits (Taobao trade ids) or a shop's own number.
_ID = r"([0-9A-Za-z][0-9A-Za-z-]{7,39})"
_MEMO_ORDER = (
    re.compile(r"订单号[:：]?\s*([0-9A-Za-z-]{6,40})"),
    re.compile(r"\{" + _ID + r"\}"),
    re.compile(r"\(" + _ID + r"\)"),
    re.compile(r"（" + _ID + r"）"),
    re.compile(r"\[" + _ID + r"\]"),
    # Our own order number (SO + day + counter), as payers write it on a bank transfer.
    re.compile(r"(?<![0-9A-Za-z])(SO\d{8,20})(?![0-9A-Za-z])"),
    # Last: a Taobao/Tmall trade id alone in the memo (花呗分期免息营销-3299…).
    re.compile(r"(?<!\d)(\d{16,22})(?!\d)"),
)


def order_number_from(merchant_order: str, memo: str) -> str:
    """The order a line names: the merchant order number (without Taobao's T200P), or for
    a fee, the order its memo names."""
    number = _cell(merchant_order)
    if number:
        found = _TAOBAO_TRADE.search(number)
        return found.group(1) if found else number[:64]
    found = _TAOBAO_TRADE.search(memo)
    if found:
        return found.group(1)
    for pattern in _MEMO_ORDER:
        found = pattern.search(memo)
        if found:
            return found.group(1)[:64]
    return ""


# --- Alipay 账务明细 -------------------------------------------------------------------------

ALIPAY_COLUMNS = {
    "reference": "账务流水号",
    "business_no": "业务流水号",
    "merchant_order": "商户订单号",
    "goods": "商品名称",
    "occurred_at": "发生时间",
    "counterparty": "对方账号",
    "income": "收入金额（+元）",
    "expense": "支出金额（-元）",
    "balance": "账户余额（元）",
    "trade_channel": "交易渠道",
    "business_type": "业务类型",
    "memo": "备注",
}
ALIPAY_REQUIRED = ("reference", "occurred_at", "income", "expense")
# Newer downloads write the money columns with ASCII brackets.
_ALIPAY_ALIASES = {
    "收入金额(+元)": "收入金额（+元）",
    "收入金额": "收入金额（+元）",
    "支出金额(-元)": "支出金额（-元）",
    "支出金额": "支出金额（-元）",
    "账户余额(元)": "账户余额（元）",
}


def _field(header: Mapping[str, int], cells: Sequence[Any], key: str) -> Any:
    """The cell of ``key``'s column in a row, empty when the row is short."""
    index = header.get(key)
    return cells[index] if index is not None and index < len(cells) else ""


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _header_index(names: Sequence[str], wanted: Mapping[str, str]) -> dict[str, int]:
    positions = {name: i for i, name in enumerate(names)}
    return {key: positions[column] for key, column in wanted.items() if column in positions}


def read_alipay(content: bytes) -> ParsedStatement:
    rows = _rows(decode(content))
    header: dict[str, int] | None = None
    lines: list[ParsedLine] = []
    for line_no, row in enumerate(rows, start=1):
        cells = [_cell(c) for c in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if header is None:
            names = [_ALIPAY_ALIASES.get(c, c) for c in cells]
            if ALIPAY_COLUMNS["reference"] not in names:
                continue
            header = _header_index(names, ALIPAY_COLUMNS)
            missing = [ALIPAY_COLUMNS[k] for k in ALIPAY_REQUIRED if k not in header]
            if missing:
                raise _error(
                    line_no,
                    _("the header lacks %(columns)s.") % {"columns": "、".join(missing)},
                )
            continue

        get = partial(_field, header, cells)

        if len(cells) < max(header.values()) + 1 and len([c for c in cells if c]) > 1:
            raise _error(
                line_no,
                _("%(count)d columns where the header has %(expected)d.")
                % {"count": len(cells), "expected": max(header.values()) + 1},
            )
        reference = get("reference")
        if not reference:
            raise _error(line_no, _("账务流水号 is empty."))
        income = money(get("income"), line_no, ALIPAY_COLUMNS["income"])
        expense = money(get("expense"), line_no, ALIPAY_COLUMNS["expense"])
        amount = abs(income) - abs(expense)
        business_type = get("business_type")
        remark = get("memo")
        memo = remark or get("goods")
        raw = {ALIPAY_COLUMNS[k]: get(k) for k in header}
        lines.append(
            ParsedLine(
                line_no=line_no,
                reference=reference[:80],
                kind=classify(
                    source=ALIPAY,
                    business_type=business_type,
                    memo=remark,
                    amount=amount,
                    counterparty=get("counterparty"),
                ),
                amount=amount,
                occurred_at=when(get("occurred_at"), line_no, ALIPAY_COLUMNS["occurred_at"]),
                counterparty=get("counterparty")[:200],
                order_number=order_number_from(get("merchant_order"), remark),
                business_type=business_type[:60],
                memo=memo[:500],
                raw=raw,
            )
        )
    if header is None:
        raise StatementFormatError(
            _(
                "No Alipay 账务明细 header (账务流水号, 发生时间, 收入金额（+元）, "
                "支出金额（-元） …) in the file: is it the Alipay account statement as "
                "downloaded?"
            )
        )
    return ParsedStatement(ALIPAY, lines)


# --- WeChat Pay 交易账单 ---------------------------------------------------------------------

WECHAT_COLUMNS = {
    "occurred_at": "交易时间",
    "transaction_id": "微信订单号",
    "merchant_order": "商户订单号",
    "openid": "用户标识",
    "trade_type": "交易类型",
    "status": "交易状态",
    "settled": "应结订单金额",
    "refund_id": "微信退款单号",
    "merchant_refund": "商户退款单号",
    "refund": "退款金额",
    "refund_status": "退款状态",
    "goods": "商品名称",
    "attach": "商户数据包",
    "fee": "手续费",
    "rate": "费率",
    "total": "订单金额",
}
WECHAT_REQUIRED = ("occurred_at", "transaction_id", "merchant_order", "status", "fee")
_WECHAT_OLD = {"总金额": "应结订单金额"}  # bills of merchants not yet on the 2018 layout


def read_wechat(content: bytes) -> ParsedStatement:
    rows = _rows(decode(content))
    header: dict[str, int] | None = None
    lines: list[ParsedLine] = []
    for line_no, row in enumerate(rows, start=1):
        cells = [_cell(c) for c in row]
        if not any(cells):
            continue
        if header is None:
            names = [_WECHAT_OLD.get(c, c) for c in cells]
            if "交易时间" not in names:
                continue
            header = _header_index(names, WECHAT_COLUMNS)
            missing = [WECHAT_COLUMNS[k] for k in WECHAT_REQUIRED if k not in header]
            if missing:
                raise _error(
                    line_no,
                    _("the header lacks %(columns)s.") % {"columns": "、".join(missing)},
                )
            continue
        if cells[0] in ("总交易单数", "资金流水总笔数"):
            break  # the summary: its header and one line of totals close the file

        get = partial(_field, header, cells)

        if len(cells) < max(header.values()) + 1:
            raise _error(
                line_no,
                _("%(count)d columns where the header has %(expected)d.")
                % {"count": len(cells), "expected": max(header.values()) + 1},
            )
        status = get("status").upper()
        occurred_at = when(get("occurred_at"), line_no, WECHAT_COLUMNS["occurred_at"])
        fee = money(get("fee"), line_no, WECHAT_COLUMNS["fee"])
        goods = get("goods")
        raw = {WECHAT_COLUMNS[k]: get(k) for k in header}
        order_number = order_number_from(get("merchant_order"), "")
        counterparty = get("openid")[:200]
        if status == "SUCCESS":
            reference = get("transaction_id")
            amount = money(get("settled"), line_no, WECHAT_COLUMNS["settled"])
            kind = BUYER_PAYMENT
            business_type = get("trade_type") or status
        elif status in ("REFUND", "REVOKED"):
            reference = get("refund_id") or get("transaction_id")
            amount = -abs(money(get("refund"), line_no, WECHAT_COLUMNS["refund"]))
            if status == "REVOKED" and not amount:
                amount = -abs(money(get("settled"), line_no, WECHAT_COLUMNS["settled"]))
            kind = REFUND
            business_type = status
        else:
            raise _error(
                line_no,
                _("交易状态 “%(status)s” is not SUCCESS, REFUND or REVOKED.") % {"status": status},
            )
        if not reference:
            raise _error(line_no, _("微信订单号 is empty."))
        lines.append(
            ParsedLine(
                line_no=line_no,
                reference=reference[:80],
                kind=kind,
                amount=amount,
                occurred_at=occurred_at,
                counterparty=counterparty,
                order_number=order_number,
                business_type=business_type[:60],
                memo=goods[:500],
                raw=raw,
            )
        )
        if fee:
            # The fee is taken from each payment (and given back, negative, on a refund):
            # booked as its own line so fees add up per channel and day.
            lines.append(
                ParsedLine(
                    line_no=line_no,
                    reference=f"{reference[:74]}:fee",
                    kind=FEE,
                    amount=-fee,
                    occurred_at=occurred_at,
                    counterparty=counterparty,
                    order_number=order_number,
                    business_type="手续费",
                    memo=(f"{get('rate')} {goods}").strip()[:500],
                    raw=raw,
                )
            )
    if header is None:
        raise StatementFormatError(
            _(
                "No WeChat Pay 交易账单 header (交易时间, 公众账号ID, 商户号 … 手续费, 费率) "
                "in the file: is it the WeChat Pay trade bill as downloaded?"
            )
        )
    return ParsedStatement(WECHAT, lines)


# --- Bank statements ---------------------------------------------------------------------

# What a bank account's mapping names: our field → the bank's column heading.
BANK_FIELDS = (
    "reference",
    "occurred_at",
    "time",
    "amount",
    "income",
    "expense",
    "counterparty",
    "memo",
    "purpose",
    "order_number",
)
# Headings common in Chinese banks' exports, to propose a mapping at the first import.
BANK_GUESSES: dict[str, tuple[str, ...]] = {
    "reference": ("交易流水号", "流水号", "交易流水", "凭证号", "银行流水号", "结算号"),
    "occurred_at": ("交易日期", "记账日期", "交易时间", "入账日期", "日期", "业务日期"),
    "time": ("交易时间",),
    "amount": ("交易金额", "发生额", "金额"),
    "income": ("贷方发生额", "贷方金额", "收入金额", "收入", "存入金额"),
    "expense": ("借方发生额", "借方金额", "支出金额", "支出", "支取金额"),
    "counterparty": ("对方户名", "对方账户名称", "对方名称", "收(付)方名称", "对方单位"),
    "memo": ("摘要", "交易摘要", "交易类型", "业务类型"),
    "purpose": ("用途", "附言", "交易附言", "备注", "摘要说明"),
    "order_number": ("订单号", "业务参考号"),
}


def guess_mapping(columns: Sequence[str]) -> dict[str, str]:
    present = set(columns)
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for name in (
        "occurred_at",
        "income",
        "expense",
        "reference",
        "counterparty",
        "memo",
        "purpose",
    ):
        for heading in BANK_GUESSES[name]:
            if heading in present and heading not in used:
                mapping[name] = heading
                used.add(heading)
                break
    if "income" not in mapping or "expense" not in mapping:
        mapping.pop("income", None)
        mapping.pop("expense", None)
        for heading in BANK_GUESSES["amount"]:
            if heading in present and heading not in used:
                mapping["amount"] = heading
                break
    if mapping.get("occurred_at") != "交易时间" and "交易时间" in present:
        mapping["time"] = "交易时间"
    for heading in BANK_GUESSES["order_number"]:
        if heading in present and heading not in used:
            mapping["order_number"] = heading
            break
    return mapping


def mapping_problems(mapping: Mapping[str, str]) -> list[str]:
    problems = []
    if not mapping.get("occurred_at"):
        problems.append(_("Say which column holds the date."))
    if not mapping.get("amount") and not (mapping.get("income") and mapping.get("expense")):
        problems.append(
            _("Say which column holds the signed amount, or both the income and expense columns.")
        )
    return problems


def _table(content: bytes, file_name: str) -> list[list[Any]]:
    if content[:4] == b"PK\x03\x04" or file_name.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:
            raise StatementFormatError(
                _("The file is not a readable xlsx workbook: %(error)s") % {"error": exc}
            ) from exc
        sheet = book.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    text = decode(content)
    dialect = "excel-tab" if text.count("\t") > text.count(",") else "excel"
    return [list(row) for row in csv.reader(io.StringIO(text), dialect=dialect)]


def bank_columns(content: bytes, file_name: str) -> list[str]:
    """The header of a bank file: the first row with at least three named cells that
    looks like a header (holds a date-ish and an amount-ish heading)."""
    for row in _table(content, file_name)[:30]:
        cells = [_cell(c) for c in row]
        named = [c for c in cells if c]
        if len(named) >= 3 and any("日期" in c or "时间" in c for c in named):
            return cells
    return []


def read_bank(content: bytes, file_name: str, mapping: Mapping[str, str]) -> ParsedStatement:
    table = _table(content, file_name)
    wanted = {k: v for k, v in mapping.items() if k in BANK_FIELDS and v}
    header: dict[str, int] | None = None
    lines: list[ParsedLine] = []
    seen: dict[str, int] = {}
    for line_no, row in enumerate(table, start=1):
        cells = [_cell(c) if not isinstance(c, datetime) else c for c in row]
        texts = [c if isinstance(c, str) else str(c) for c in cells]
        if header is None:
            if all(column in texts for column in wanted.values()):
                header = {key: texts.index(column) for key, column in wanted.items()}
            continue
        if not any(texts):
            continue

        get = partial(_field, header, cells)

        first = str(get("occurred_at"))
        if not first or first.startswith(("合计", "总计", "#")) or "合计" in texts[0]:
            continue  # a totals line under the rows
        occurred = get("occurred_at")
        if "time" in wanted and not isinstance(occurred, datetime) and get("time"):
            occurred = f"{occurred} {get('time')}"
        occurred_at = when(occurred, line_no, wanted["occurred_at"])
        if "amount" in wanted:
            amount = money(str(get("amount")), line_no, wanted["amount"])
        else:
            amount = abs(money(str(get("income")), line_no, wanted["income"])) - abs(
                money(str(get("expense")), line_no, wanted["expense"])
            )
        counterparty = str(get("counterparty"))[:200]
        # The bank's 摘要 is its own word for the transaction (转账, 收费, 提现, 退款); the
        # payer's 用途/附言 is free text that may name an order.
        summary = str(get("memo"))[:60]
        purpose = str(get("purpose"))
        memo = " ".join(part for part in (summary, purpose) if part)[:500]
        raw = {column: str(get(key)) for key, column in wanted.items()}
        reference = str(get("reference")) if "reference" in wanted else ""
        if not reference:
            # No serial number: the line's own content names it, counted within the file
            # so two equal transfers on one day stay two, and re-importing finds them again.
            key = "|".join(
                [occurred_at.isoformat(), str(amount), counterparty, memo, str(row[:12])]
            )
            digest = hashlib.sha256(key.encode()).hexdigest()[:24]
            seen[digest] = seen.get(digest, 0) + 1
            reference = f"H{digest}-{seen[digest]}"
        order_number = order_number_from(str(get("order_number")), purpose)
        lines.append(
            ParsedLine(
                line_no=line_no,
                reference=reference[:80],
                kind=classify(
                    source=BANK,
                    business_type=summary,
                    memo=purpose,
                    amount=amount,
                    counterparty=counterparty,
                ),
                amount=amount,
                occurred_at=occurred_at,
                counterparty=counterparty,
                order_number=order_number,
                business_type=summary,
                memo=memo,
                raw=raw,
            )
        )
    if header is None:
        raise StatementFormatError(
            _("No row of the file has the mapped columns %(columns)s.")
            % {"columns": "、".join(wanted.values())},
            {
                "fields": {
                    "file": [_("The columns mapped for this bank account are not in the file.")]
                }
            },
        )
    return ParsedStatement(BANK, lines)


def read_statement(
    *, kind: str, content: bytes, file_name: str, mapping: Mapping[str, str] | None = None
) -> ParsedStatement:
    """The lines of a statement file of a payment account of ``kind``."""
    if not content.strip():
        raise StatementFormatError(_("The file is empty."))
    if kind == ALIPAY:
        return read_alipay(content)
    if kind == WECHAT:
        return read_wechat(content)
    return read_bank(content, file_name, mapping or {})
