"""Statement demo data (issue 22 §1): the payment accounts ``alipay`` (collects for ``tmall``
and ``taobao``) and ``wechat`` (for ``webshop``), and yesterday's Alipay 账务明细 for the
Tmall/Taobao orders paid before it, written in the downloaded layout and imported through
the real service, so the statement screens show matched lines, fees and lines to look at.
Run twice, it adds nothing (the accounts by code, the lines by their reference).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from orders.models import Channel, Order, OrderState

from . import services
from .models import PaymentAccount, PaymentAccountKind

ACCOUNTS = (
    ("alipay", "支付宝企业账户", PaymentAccountKind.ALIPAY, ("tmall", "taobao")),
    ("wechat", "微信支付商户号", PaymentAccountKind.WECHAT, ("webshop",)),
)
# Demo orders settled on yesterday's statement (the rest wait for their settlement).
DEMO_SETTLED = 40


def seed_payment_accounts(log: Callable[[str], None]) -> dict[str, PaymentAccount]:
    accounts = {}
    for code, name, kind, channel_codes in ACCOUNTS:
        account, created = PaymentAccount.objects.get_or_create(
            code=code, defaults={"name": name, "kind": kind}
        )
        if created:
            account.channels.set(Channel.objects.filter(code__in=channel_codes))
            log(f"  payment account {code} for {', '.join(channel_codes)}")
        accounts[code] = account
    return accounts


def alipay_statement(orders: list[Order], day_start: datetime) -> bytes:
    """A day's Alipay 账务明细 as downloaded (GBK, # lines, tab before the comma): each order's
    settlement (交易付款) with its commission and software fee, one withdrawal, and one
    payment that names no order of ours."""
    rows = []
    balance = Decimal("20000.00")
    moment = day_start + timedelta(hours=8)
    serial = int(day_start.strftime("%Y%m%d")) * 10**10

    def add(order_no: str, goods: str, who: str, amount: Decimal, kind: str, memo: str) -> None:
        nonlocal balance, moment, serial
        serial += 1
        moment += timedelta(minutes=7)
        balance += amount
        income = f"{amount:.2f}" if amount > 0 else "0.00"
        expense = f"{amount:.2f}" if amount < 0 else "0.00"
        rows.append(
            ",".join(
                [
                    f"{serial}\t",
                    f"{serial + 7 * 10**9}\t",
                    f"{order_no}\t",
                    f"{goods}\t",
                    f"{timezone.localtime(moment):%Y-%m-%d %H:%M:%S}",
                    f"{who}\t",
                    income,
                    expense,
                    f"{balance:.2f}",
                    "淘宝" if order_no else "支付宝",
                    kind,
                    memo,
                ]
            )
        )

    for order in orders:
        trade = order.external_id
        name = order.receiver_name[:1] + "*" if order.receiver_name else "*"
        phone = order.receiver_phone
        masked = f"{name} ({phone[:3]}****{phone[-4:]})" if len(phone) >= 7 else name
        add(f"T200P{trade}", "订单货款", masked, order.paid_amount, "交易付款", "")
        if order.channel.code == "tmall":
            commission = (order.paid_amount * Decimal("0.05")).quantize(Decimal("0.01"))
            add(
                "",
                "",
                "天猫 (tmall***@service.taobao.com)",
                -commission,
                "收费",
                f"天猫佣金{{{trade}}}扣款",
            )
        fee = (order.paid_amount * Decimal("0.006")).quantize(Decimal("0.01"))
        if fee:
            add(
                "",
                "",
                "淘宝 (tb***@service.taobao.com)",
                -fee,
                "其它",
                f"基础软件服务费({trade})扣款",
            )
    add(
        "T200P9999000011112222333",
        "订单货款",
        "陈* (135****6789)",
        Decimal("88.00"),
        "交易付款",
        "",
    )
    add("", "", "杭州示例商贸有限公司 (6222****8888)", Decimal("-5000.00"), "提现", "提现到银行卡")
    end = day_start + timedelta(days=1)
    lines = [
        "#支付宝账务明细查询",
        "#账号：[20881234567890120156]",
        f"#起始日期：[{day_start:%Y年%m月%d日} 00:00:00]   终止日期：[{end:%Y年%m月%d日} 00:00:00]",
        "#-----------------------------------------账务明细列表----------------------------------------",
        "账务流水号,业务流水号,商户订单号,商品名称,发生时间,对方账号,收入金额（+元）,支出金额（-元）,"
        "账户余额（元）,交易渠道,业务类型,备注",
        *rows,
        "#----------------------------------------账务明细列表结束-------------------------------------",
        f"#导出时间：[{end:%Y年%m月%d日} 09:30:00]",
    ]
    return ("\r\n".join(lines) + "\r\n").encode("gbk")


def seed_statements(log: Callable[[str], None]) -> None:
    accounts = seed_payment_accounts(log)
    alipay = accounts["alipay"]
    if alipay.lines.exists():
        return
    today = timezone.localdate()
    yesterday = today - timedelta(days=1)
    day_start = timezone.make_aware(datetime.combine(yesterday, time.min))
    orders = list(
        Order.objects.filter(
            channel__code__in=("tmall", "taobao"), paid_at__lt=day_start, paid_amount__gt=0
        )
        .exclude(state=OrderState.CANCELLED)
        .select_related("channel")
        .order_by("paid_at", "pk")[:DEMO_SETTLED]
    )
    if not orders:
        return
    outcome = services.statement_import(
        account=alipay,
        file_name=f"20881234567890120156_{yesterday:%Y%m%d}_账务明细.csv",
        content=alipay_statement(orders, day_start),
    )
    log(f"  alipay statement of {yesterday}: {outcome.created} lines, {outcome.matched} matched")
