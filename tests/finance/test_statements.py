"""Statements in, matched automatically (issue 22 §1): each format with its sample, kept once,
classified, matched by the order it names, suggestions, accept and undo, the command."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from ecomops.calendar import local_datetime
from ecomops.errors import PermissionDeniedError
from finance import services, statement_selectors
from finance.models import (
    PaymentAccount,
    StatementImport,
    StatementLine,
    StatementMatchAction,
    StatementMatchMethod,
)
from finance.statement_formats import classify, read_statement
from orders.models import Order
from tests.finance.statement_factories import (
    SAMPLES,
    Books,
    make_books,
    order_on,
    sample,
    sample_orders,
)
from tests.orders.factories import make_customer

pytestmark = [
    pytest.mark.clock(local_datetime(date(2026, 11, 4), time(10))),
    pytest.mark.usefixtures("english"),
]

BANK_MAPPING = {
    "occurred_at": "交易日期",
    "time": "交易时间",
    "reference": "交易流水号",
    "income": "贷方发生额",
    "expense": "借方发生额",
    "counterparty": "对方户名",
    "memo": "摘要",
    "purpose": "用途",
}


@pytest.fixture
def books(db: None) -> Books:
    return make_books()


@pytest.fixture
def orders(books: Books, sku: Any) -> dict[str, Order]:
    return sample_orders(books, sku)


def _by_ref(account: PaymentAccount) -> dict[str, StatementLine]:
    return {line.reference: line for line in account.lines.select_related("order", "channel")}


# --- The readers, each with its sample ---------------------------------------------------


def test_the_alipay_sample_is_read_as_downloaded() -> None:
    statement = read_statement(
        kind="alipay", content=sample("alipay_account_statement.csv"), file_name="a.csv"
    )
    lines = statement.lines
    assert len(lines) == 9  # the # lines above and below are not lines
    first = lines[0]
    assert first.line_no == 6
    assert first.reference == "20261103110070001000300000001"  # trailing tab removed
    assert first.amount == Decimal("198.00")
    assert first.order_number == "3299194706518006401"  # T200P taken off
    assert first.counterparty == "张* (138****0000)"  # masked as downloaded
    assert first.occurred_at == local_datetime(date(2026, 11, 3), time(9, 12, 45))
    assert [line.amount for line in lines[2:4]] == [Decimal("-4.95"), Decimal("-1.98")]
    # Fee lines name their order in the memo: 天猫佣金{…}, 基础软件服务费(…), 花呗…-…
    assert [lines[i].order_number for i in (2, 3, 5)] == [
        "3299194706518006402",
        "3299194706518006402",
        "3299194706518006401",
    ]


def test_the_wechat_sample_is_read_with_its_fees_and_without_its_summary() -> None:
    statement = read_statement(
        kind="wechat", content=sample("wechat_trade_bill.csv"), file_name="w.csv"
    )
    got = [(line.reference, line.kind, line.amount, line.order_number) for line in statement.lines]
    assert got == [
        ("4200002026110300000000000001", "buyer_payment", Decimal("128.00"), "SO-WEB-1001"),
        ("4200002026110300000000000001:fee", "fee", Decimal("-0.77"), "SO-WEB-1001"),
        ("4200002026110300000000000002", "buyer_payment", Decimal("256.00"), "SO-WEB-1002"),
        ("4200002026110300000000000002:fee", "fee", Decimal("-1.54"), "SO-WEB-1002"),
        ("50300002026110300000000000001", "refund", Decimal("-64.00"), "SO-WEB-0990"),
        ("50300002026110300000000000001:fee", "fee", Decimal("0.38"), "SO-WEB-0990"),
    ]


@pytest.mark.parametrize("name", ["bank_statement.csv", "bank_statement.xlsx"])
def test_a_bank_statement_is_read_through_its_mapping(name: str) -> None:
    statement = read_statement(
        kind="bank", content=sample(name), file_name=name, mapping=BANK_MAPPING
    )
    got = [(line.reference, line.kind, line.amount) for line in statement.lines]
    assert got == [  # title lines above and the 合计 line below are skipped
        ("B202611030001", "buyer_payment", Decimal("1580.00")),
        ("B202611030002", "buyer_payment", Decimal("4000.00")),
        ("B202611030003", "fee", Decimal("-12.00")),
        ("B202611030004", "withdrawal", Decimal("5000.00")),
        ("B202611030005", "refund", Decimal("-200.00")),
    ]
    assert statement.lines[0].order_number == "SO20261102000001"
    assert statement.lines[0].occurred_at == local_datetime(date(2026, 11, 3), time(9, 30, 12))


@pytest.mark.parametrize(
    ("source", "business_type", "memo", "amount", "kind"),
    [
        ("alipay", "交易付款", "", "198.00", "settlement"),
        ("alipay", "在线支付", "", "158.00", "buyer_payment"),
        ("alipay", "交易退款", "售后退款-T200P3299194706518006403", "-99.00", "refund"),
        ("alipay", "收费", "天猫佣金{3299194706518006402}扣款", "-4.95", "fee"),
        ("alipay", "其它", "基础软件服务费(3299194706518006402)扣款", "-1.98", "fee"),
        ("alipay", "收费", "花呗分期免息营销-3299194706518006401", "-1.80", "fee"),
        ("alipay", "其它", "淘宝联盟推广佣金返还", "0.50", "fee"),
        ("alipay", "提现", "提现到银行卡", "-5000.00", "withdrawal"),
        ("alipay", "转账", "转出到网商银行", "-800.00", "withdrawal"),
        ("alipay", "转账", "天猫保证金充值", "-1000.00", "other"),
        ("wechat", "", "", "128.00", "buyer_payment"),
        ("bank", "收费", "汇款手续费", "-12.00", "fee"),
        ("bank", "提现", "支付宝提现", "5000.00", "withdrawal"),
        ("bank", "退款", "退货退款", "-200.00", "refund"),
        ("bank", "转账", "货款", "1580.00", "buyer_payment"),
        ("bank", "转账", "房租", "-3000.00", "other"),
    ],
)
def test_each_line_is_classified(
    source: str, business_type: str, memo: str, amount: str, kind: str
) -> None:
    got = classify(source=source, business_type=business_type, memo=memo, amount=Decimal(amount))
    assert got == kind


# --- Import: kept once, matched ------------------------------------------------------------


def test_an_alipay_statement_is_kept_classified_and_matched(
    books: Books, orders: dict[str, Order], clerk: Any
) -> None:
    outcome = services.statement_import(
        account=books.alipay,
        file_name="账务明细.csv",
        content=sample("alipay_account_statement.csv"),
        by=clerk,
    )
    assert (outcome.lines, outcome.created, outcome.matched) == (9, 9, 6)
    lines = _by_ref(books.alipay)
    settled = lines["20261103110070001000300000001"]
    assert (settled.kind, settled.order, settled.channel) == (
        "settlement",
        orders["401"],
        books.tmall,
    )
    assert settled.match_method == StatementMatchMethod.AUTOMATIC
    # Fees are booked against the order the statement names, and its channel.
    commission = lines["20261103110070001000300000003"]
    assert (commission.kind, commission.order, commission.channel) == (
        "fee",
        orders["402"],
        books.taobao,
    )
    assert lines["20261103110070001000300000005"].order == orders["403"]
    assert lines["20261103110070001000300000007"].kind == "withdrawal"
    unknown = lines["20261103110070001000300000008"]
    assert (unknown.kind, unknown.order, unknown.order_number) == (
        "buyer_payment",
        None,
        "20261103WX0001",
    )
    record = outcome.statement_import
    assert (record.file_format, record.created_count, record.matched_count) == ("alipay", 9, 6)
    assert record.imported_by == clerk


def test_importing_again_or_an_overlapping_period_adds_nothing_twice(
    books: Books, orders: dict[str, Order]
) -> None:
    content = sample("alipay_account_statement.csv")
    services.statement_import(account=books.alipay, file_name="a.csv", content=content)
    again = services.statement_import(account=books.alipay, file_name="a.csv", content=content)
    assert (again.lines, again.created, again.existing, again.matched) == (9, 0, 9, 0)
    # The next day's download repeats the evening's last two lines and adds one.
    text = content.decode("gbk")
    head, rows = text.split("备注\r\n")
    body = rows.split("\r\n")
    next_day = "\r\n".join(
        [
            head + "备注",
            body[7],
            body[8],
            "20261104110070001000300000010\t,2026110422001100001000000010\t,"
            "T200P3299194706518006403\t,保湿面霜 50g\t,2026-11-04 08:00:00,李* (139****1111)\t,"
            "99.00,0.00,4446.27,淘宝,交易付款,",
            "#----------------------------------------账务明细列表结束-----",
        ]
    )
    overlap = services.statement_import(
        account=books.alipay, file_name="b.csv", content=next_day.encode("gbk")
    )
    assert (overlap.lines, overlap.created, overlap.matched) == (3, 1, 1)
    assert StatementLine.objects.filter(account=books.alipay).count() == 10
    assert StatementImport.objects.count() == 3


def test_the_same_reference_in_another_account_is_another_line(books: Books) -> None:
    content = sample("alipay_account_statement.csv")
    second = PaymentAccount.objects.create(code="alipay2", name="支付宝二号", kind="alipay")
    services.statement_import(account=books.alipay, file_name="a.csv", content=content)
    services.statement_import(account=second, file_name="a.csv", content=content)
    assert StatementLine.objects.count() == 18


def test_a_bad_line_names_itself_and_nothing_is_stored(books: Books) -> None:
    text = sample("alipay_account_statement.csv").decode("gbk").replace("-4.95", "-4.9x")
    with pytest.raises(services.StatementFormatError) as caught:
        services.statement_import(
            account=books.alipay, file_name="a.csv", content=text.encode("gbk")
        )
    assert caught.value.extra["line"] == 8
    assert "4.9x" in caught.value.message
    assert not StatementLine.objects.exists()
    assert not StatementImport.objects.exists()


def test_a_file_of_another_kind_is_refused(books: Books) -> None:
    with pytest.raises(services.StatementFormatError, match="Alipay"):
        services.statement_import(
            account=books.alipay, file_name="w.csv", content=sample("wechat_trade_bill.csv")
        )
    assert not StatementLine.objects.exists()


def test_a_wechat_bill_matches_web_shop_orders_and_books_the_fees(
    books: Books, orders: dict[str, Order]
) -> None:
    outcome = services.statement_import(
        account=books.wechat, file_name="bill.csv", content=sample("wechat_trade_bill.csv")
    )
    assert (outcome.created, outcome.matched) == (6, 4)
    lines = _by_ref(books.wechat)
    fee = lines["4200002026110300000000000001:fee"]
    assert (fee.order, fee.channel, fee.amount) == (
        orders["web1001"],
        books.webshop,
        Decimal("-0.77"),
    )
    refund = lines["50300002026110300000000000001"]
    assert refund.order is None  # SO-WEB-0990 is not here
    assert refund.channel == books.webshop  # the account collects for one channel only


def test_a_bank_account_asks_for_its_columns_once(
    books: Books, orders: dict[str, Order], clerk: Any
) -> None:
    with pytest.raises(services.MappingRequired) as caught:
        services.statement_import(
            account=books.bank, file_name="b.csv", content=sample("bank_statement.csv"), by=clerk
        )
    assert "贷方发生额" in caught.value.extra["columns"]
    assert caught.value.extra["guess"]["income"] == "贷方发生额"
    assert not StatementLine.objects.exists()
    outcome = services.statement_import(
        account=books.bank,
        file_name="b.csv",
        content=sample("bank_statement.csv"),
        by=clerk,
        mapping=BANK_MAPPING,
    )
    assert (outcome.created, outcome.matched) == (5, 1)
    books.bank.refresh_from_db()
    assert books.bank.column_mapping == BANK_MAPPING
    # The xlsx of the same days: the saved mapping is used, the lines are there already.
    again = services.statement_import(
        account=books.bank, file_name="b.xlsx", content=sample("bank_statement.xlsx"), by=clerk
    )
    assert (again.lines, again.created) == (5, 0)
    paid = StatementLine.objects.get(account=books.bank, reference="B202611030001")
    assert paid.order == orders["acc2001"]  # our order number in the payer's 用途


def test_importing_needs_the_permission(books: Books, service: Any) -> None:
    with pytest.raises(PermissionDeniedError):
        services.statement_import(
            account=books.alipay,
            file_name="a.csv",
            content=sample("alipay_account_statement.csv"),
            by=service,
        )


# --- Suggestions, accept, undo -------------------------------------------------------------


def _bank_lines(books: Books) -> None:
    services.statement_import(
        account=books.bank,
        file_name="b.csv",
        content=sample("bank_statement.csv"),
        mapping=BANK_MAPPING,
    )


def test_a_line_naming_no_order_gets_ranked_suggestions(books: Books, sku: Any) -> None:
    payer = make_customer(name="宁波某某商行", phone="13700001111")
    best = order_on(
        books.distributor,
        sku,
        "MO1",
        total="4000.00",
        paid_at=(date(2026, 11, 2), time(15)),
        customer=payer,
    )
    same_amount = order_on(
        books.distributor, sku, "MO2", total="4000.00", paid_at=(date(2026, 10, 25), time(15))
    )
    order_on(books.distributor, sku, "MO3", total="3999.00")  # another amount, another payer
    _bank_lines(books)
    line = StatementLine.objects.get(reference="B202611030002")
    ranked = statement_selectors.suggestions(line)
    assert [s.order for s in ranked] == [best, same_amount]
    assert set(ranked[0].reasons) >= {"amount", "payer", "channel", "date"}
    assert ranked[0].score > ranked[1].score


def test_a_clerk_accepts_a_suggestion_and_undoes_it_with_a_reason(
    books: Books, sku: Any, clerk: Any
) -> None:
    order = order_on(books.distributor, sku, "MO1", total="4000.00")
    _bank_lines(books)
    line = StatementLine.objects.get(reference="B202611030002")
    services.statement_line_match(line_id=line.pk, order_id=order.pk, by=clerk, reason="对过户名")
    line.refresh_from_db()
    assert (line.order, line.match_method, line.matched_by) == (order, "clerk", clerk)
    assert statement_selectors.suggestions(line) == [] or line.order is not None
    with pytest.raises(services.StatementError, match="why"):
        services.statement_line_unmatch(line_id=line.pk, reason=" ", by=clerk)
    services.statement_line_unmatch(line_id=line.pk, reason="付款人另有订单", by=clerk)
    line.refresh_from_db()
    assert (line.order, line.matched_at, line.match_method) == (None, None, "")
    log = list(line.match_log.order_by("pk").values_list("action", "order", "by", "reason"))
    assert log == [
        (StatementMatchAction.ACCEPTED, order.pk, clerk.pk, "对过户名"),
        (StatementMatchAction.UNDONE, order.pk, clerk.pk, "付款人另有订单"),
    ]


def test_an_automatic_match_can_be_undone_and_a_matched_line_is_not_matched_again(
    books: Books, orders: dict[str, Order], clerk: Any
) -> None:
    services.statement_import(
        account=books.alipay, file_name="a.csv", content=sample("alipay_account_statement.csv")
    )
    line = StatementLine.objects.get(reference="20261103110070001000300000001")
    with pytest.raises(services.StatementError, match="already matched"):
        services.statement_line_match(line_id=line.pk, order_id=orders["402"].pk, by=clerk)
    services.statement_line_unmatch(line_id=line.pk, reason="订单号对错了", by=clerk)
    line.refresh_from_db()
    assert line.order is None
    assert line.channel is None  # alipay collects for two channels
    assert line.match_log.get().action == StatementMatchAction.UNDONE


# --- The command ---------------------------------------------------------------------------


@pytest.fixture
def english() -> Any:
    with translation.override("en"):
        yield


@pytest.mark.usefixtures("english")
def test_the_command_imports_each_kind(books: Books, orders: dict[str, Order]) -> None:
    out = StringIO()
    call_command(
        "import_statement",
        "--account",
        "alipay",
        str(SAMPLES / "alipay_account_statement.csv"),
        stdout=out,
    )
    assert "9 lines: 9 new, 0 already in, 6 matched" in out.getvalue()
    out = StringIO()
    call_command(
        "import_statement",
        "--account",
        "wechat",
        str(SAMPLES / "wechat_trade_bill.csv"),
        stdout=out,
    )
    assert "6 lines: 6 new" in out.getvalue()
    out = StringIO()
    # A bank file with the usual headings: the proposed mapping is taken and saved.
    call_command(
        "import_statement", "--account", "icbc", str(SAMPLES / "bank_statement.xlsx"), stdout=out
    )
    assert "Column mapping taken" in out.getvalue()
    assert "5 lines: 5 new, 0 already in, 1 matched" in out.getvalue()
    books.bank.refresh_from_db()
    assert books.bank.column_mapping["income"] == "贷方发生额"


@pytest.mark.usefixtures("english")
def test_the_command_takes_a_mapping_and_refuses_a_bad_file(books: Books, tmp_path: Any) -> None:
    out = StringIO()
    call_command(
        "import_statement",
        "--account",
        "icbc",
        "--map",
        "date=交易日期",
        "--map",
        "amount=贷方发生额",
        str(SAMPLES / "bank_statement.csv"),
        stdout=out,
    )
    assert "5 lines" in out.getvalue()
    bad = tmp_path / "bad.csv"
    bad.write_bytes(
        sample("alipay_account_statement.csv")
        .decode("gbk")
        .replace("198.00", "一九八")
        .encode("gbk")
    )
    with pytest.raises(CommandError, match="Nothing of the statement was imported: Line 6"):
        call_command("import_statement", "--account", "alipay", str(bad))
    with pytest.raises(CommandError, match="no payment account"):
        call_command("import_statement", "--account", "nope", str(bad))
    assert not StatementLine.objects.filter(account=books.alipay).exists()


# --- Demo data -----------------------------------------------------------------------------


def test_the_demo_accounts_and_statement_are_seeded_once(db: None, sku: Any) -> None:
    from finance.statement_demo import seed_statements
    from tests.orders.factories import make_channel

    tmall = make_channel(code="tmall", kind="tmall")
    make_channel(code="taobao", kind="taobao")
    make_channel(code="webshop", kind="webshop")
    order = order_on(tmall, sku, "DEMO-tmall-00042", total="300.00")  # as seed_demo names them
    seed_statements(lambda _message: None)
    seed_statements(lambda _message: None)
    alipay = PaymentAccount.objects.get(code="alipay")
    wechat = PaymentAccount.objects.get(code="wechat")
    assert sorted(alipay.channels.values_list("code", flat=True)) == ["taobao", "tmall"]
    assert list(wechat.channels.values_list("code", flat=True)) == ["webshop"]
    lines = {line.kind: line for line in alipay.lines.filter(order=order)}
    assert lines["settlement"].amount == Decimal("300.00")
    assert lines["fee"].channel == tmall
    # settlement, commission and software fee, one unknown payment and one withdrawal
    assert alipay.lines.count() == 5
    assert StatementImport.objects.count() == 1
