"""Statement test data: the demo's payment accounts and orders the samples name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from ecomops.calendar import local_datetime
from finance.models import PaymentAccount, PaymentAccountKind
from orders.models import Channel, Order
from tests.orders.factories import make_channel, make_customer
from tests.warehouse.factories import make_order

SAMPLES = Path(__file__).parent / "statements"
# The samples' day (a Tuesday): every line occurred on it.
STATEMENT_DAY = date(2026, 11, 3)


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


@dataclass
class Books:
    tmall: Channel
    taobao: Channel
    webshop: Channel
    distributor: Channel
    alipay: PaymentAccount
    wechat: PaymentAccount
    bank: PaymentAccount


def make_books() -> Books:
    tmall = make_channel(code="tmall", kind="tmall", name="天猫旗舰店")
    taobao = make_channel(code="taobao", kind="taobao", name="淘宝店")
    webshop = make_channel(code="webshop", kind="webshop", name="官网商城")
    distributor = make_channel(
        code="dist", kind="distributor", name="经销商", payment_terms="on_account"
    )
    alipay = PaymentAccount.objects.create(
        code="alipay", name="支付宝企业账户", kind=PaymentAccountKind.ALIPAY
    )
    alipay.channels.set([tmall, taobao])
    wechat = PaymentAccount.objects.create(
        code="wechat", name="微信支付商户号", kind=PaymentAccountKind.WECHAT
    )
    wechat.channels.set([webshop])
    bank = PaymentAccount.objects.create(
        code="icbc", name="工商银行基本户", kind=PaymentAccountKind.BANK
    )
    bank.channels.set([distributor])
    return Books(tmall, taobao, webshop, distributor, alipay, wechat, bank)


def order_on(
    channel: Channel,
    sku: Any,
    external_id: str,
    *,
    total: str = "99.00",
    paid_at: tuple[date, time] = (date(2026, 11, 2), time(20)),
    **fields: Any,
) -> Order:
    at = local_datetime(*paid_at)
    amount = Decimal(total)
    return make_order(
        [(sku, 1)],
        channel=channel,
        external_id=external_id,
        accepted_at=at,
        total_amount=amount,
        goods_amount=amount,
        paid_amount=amount if channel.payment_terms == "prepaid" else Decimal("0.00"),
        **fields,
    )


def sample_orders(books: Books, sku: Any) -> dict[str, Order]:
    """The orders the samples name: Tmall/Taobao trades (by their trade id), web-shop orders
    (by the shop's number) and a distributor's order (by our own number)."""
    return {
        "401": order_on(books.tmall, sku, "3299194706518006401", total="198.00"),
        "402": order_on(books.taobao, sku, "3299194706518006402"),
        "403": order_on(books.tmall, sku, "3299194706518006403"),
        "web1001": order_on(books.webshop, sku, "SO-WEB-1001", total="128.00"),
        "web1002": order_on(books.webshop, sku, "SO-WEB-1002", total="256.00"),
        "acc2001": order_on(
            books.distributor,
            sku,
            "MO2026110200001",
            number="SO20261102000001",
            total="1580.00",
            customer=make_customer(name="杭州示例科技有限公司"),
        ),
    }
