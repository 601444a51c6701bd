"""Money as the platforms charge it (issue 20 §1): goods, discount, shipping, total, paid
and each line's share of the discount, through the signed intake API and the services."""

from __future__ import annotations

import importlib
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ecomops.demo import seed_users, seeders
from orders.models import MARKETPLACE_KINDS, Order, OrderLine, PaymentTerms
from orders.services.intake import canonical_payload, payload_hash
from tests.orders.factories import CREDIT_CODE, listed_sku, make_channel, order_data, push
from tests.timeutil import at
from tests.warehouse.factories import make_order

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def three_skus(sku: Any) -> list[Any]:
    """SKU-1 at 99.00 and two at awkward prices."""
    return [sku, listed_sku("SKU-2", "33.33"), listed_sku("SKU-3", "0.10")]


def _lines() -> list[dict[str, Any]]:
    return [
        {"sku": "SKU-1", "quantity": 1, "unit_price": "99.00"},
        {"sku": "SKU-2", "quantity": 3, "unit_price": "33.33"},
        {"sku": "SKU-3", "quantity": 1, "unit_price": "0.10"},
    ]


def _accepted(response: Any) -> Order:
    assert response.status_code == 201, response.json()
    return Order.objects.get(pk=response.json()["id"])


def test_old_payload_keeps_working_with_no_shipping_no_discount_and_paid_in_full(
    client: Any, channel: Any, sku: Any
) -> None:
    data = order_data()
    order = _accepted(push(client, channel, data))

    assert (order.goods_amount, order.discount_amount, order.shipping_fee) == (
        D("198.00"),
        D("0.00"),
        D("0.00"),
    )
    assert order.total_amount == order.paid_amount == D("198.00")
    line = order.lines.get()
    assert (line.discount_share, line.net_amount) == (D("0.00"), D("198.00"))
    # The canonical payload of an old push has no money keys: its hash is unchanged.
    assert not {"shipping_fee", "discount_amount", "total_amount", "paid_amount"} & set(
        order.payload
    )
    assert "discount" not in order.payload["lines"][0]


def test_stating_the_defaults_is_the_same_order(client: Any, channel: Any, sku: Any) -> None:
    data = order_data()
    first = push(client, channel, data)
    explicit = {
        **data,
        "shipping_fee": "0",
        "discount_amount": "0.00",
        "total_amount": "198",
        "paid_amount": "198.00",
    }

    assert payload_hash(canonical_payload(explicit)) == payload_hash(canonical_payload(data))
    second = push(client, channel, explicit)
    assert (first.status_code, second.status_code) == (201, 200)
    assert Order.objects.count() == 1


def test_new_payload_shares_the_discount_in_proportion_to_the_fen(
    client: Any, channel: Any, three_skus: Any
) -> None:
    # Goods 99.00 + 99.99 + 0.10 = 199.09; 10.00 off; 12.00 postage; a 5.00 voucher.
    data = order_data(
        lines=_lines(),
        discount_amount="10.00",
        shipping_fee="12.00",
        paid_amount="196.09",
    )
    response = push(client, channel, data)
    order = _accepted(response)

    assert response.json()["amounts"] == {
        "goods_amount": "199.09",
        "discount_amount": "10.00",
        "shipping_fee": "12.00",
        "total_amount": "201.09",
        "paid_amount": "196.09",
    }
    shares = [line.discount_share for line in order.lines.order_by("position")]
    # 10 × 99/199.09 = 4.9726…, 10 × 99.99/199.09 = 5.0223…, 10 × 0.10/199.09 = 0.0050…
    assert shares == [D("4.97"), D("5.02"), D("0.01")]
    assert sum(shares) == order.discount_amount
    nets = [line.net_amount for line in order.lines.order_by("position")]
    assert nets == [D("94.03"), D("94.97"), D("0.09")]
    assert order.payload["discount_amount"] == "10.00"


def test_per_line_discounts_are_kept_as_the_platform_shared_them(
    client: Any, channel: Any, three_skus: Any
) -> None:
    lines = _lines()
    lines[0]["discount"] = "9.00"
    lines[1]["discount"] = "1.00"  # the third line states none: 0
    data = order_data(lines=lines, discount_amount="10.00", total_amount="189.09")
    order = _accepted(push(client, channel, data))

    assert [line.discount_share for line in order.lines.order_by("position")] == [
        D("9.00"),
        D("1.00"),
        D("0.00"),
    ]
    assert order.total_amount == order.paid_amount == D("189.09")


def test_line_discounts_alone_make_the_order_discount(
    client: Any, channel: Any, three_skus: Any
) -> None:
    lines = _lines()
    lines[1]["discount"] = "0.99"
    order = _accepted(push(client, channel, order_data(lines=lines)))

    assert order.discount_amount == D("0.99")
    assert order.total_amount == D("198.10")


def test_discount_equal_to_the_goods_leaves_only_postage(
    client: Any, channel: Any, three_skus: Any
) -> None:
    data = order_data(lines=_lines(), discount_amount="199.09", shipping_fee="6.00")
    order = _accepted(push(client, channel, data))

    lines = list(order.lines.order_by("position"))
    assert [line.discount_share for line in lines] == [line.amount for line in lines]
    assert all(line.net_amount == 0 for line in lines)
    assert order.total_amount == order.paid_amount == D("6.00")


def test_on_account_order_without_payment_has_paid_nothing(
    client: Any, channel: Any, sku: Any
) -> None:
    channel.payment_terms = PaymentTerms.ON_ACCOUNT
    channel.save()
    data = order_data(
        paid_at=None,
        shipping_fee="20.00",
        customer={
            "kind": "company",
            "name": "福州华美商贸有限公司",
            "phone": "0591-87654321",
            "credit_code": CREDIT_CODE,
            "contact_person": "王芳",
            "province": "福建省",
            "city": "福州市",
            "street_address": "五四路100号",
        },
    )
    order = _accepted(push(client, channel, data))

    assert (order.total_amount, order.paid_amount) == (D("218.00"), D("0.00"))


@pytest.mark.parametrize(
    ("overrides", "line_discounts", "path", "words"),
    [
        ({"discount_amount": "198.01"}, None, "discount_amount", "more than the goods"),
        ({"paid_amount": "198.01"}, None, "paid_amount", "more than the total"),
        (
            {"shipping_fee": "8.00", "discount_amount": "10.00", "total_amount": "198.00"},
            None,
            "total_amount",
            "196.00",
        ),
        ({"discount_amount": "10.00"}, ["6.00", "3.00"], "discount_amount", "add up to 9.00"),
        ({}, ["99.01", "0"], "lines[0].discount", "more than its amount 99.00"),
        ({"shipping_fee": "-1.00"}, None, "shipping_fee", "negative"),
        ({"paid_amount": "lots"}, None, "paid_amount", "valid number"),
        ({}, ["-1.00", "0"], "lines[0].discount", "negative"),
    ],
)
def test_amounts_that_do_not_add_up_are_refused_by_field(
    client: Any, channel: Any, sku: Any, overrides: Any, line_discounts: Any, path: str, words: str
) -> None:
    lines = [
        {"sku": "SKU-1", "quantity": 1, "unit_price": "99.00"},
        {"sku": "SKU-1", "quantity": 1, "unit_price": "99.00"},
    ]
    for line, discount in zip(lines, line_discounts or [], strict=False):
        line["discount"] = discount
    response = push(client, channel, order_data(lines=lines, **overrides))

    assert response.status_code == 400, response.json()
    fields = response.json()["fields"]
    assert path in fields, fields
    assert any(words in message for message in fields[path]), fields[path]
    assert Order.objects.count() == 0


def test_a_marketplace_parks_an_order_whose_amounts_do_not_add_up(client: Any, sku: Any) -> None:
    tmall = make_channel(code="tmall", kind="tmall", intake_policy="park")
    response = push(client, tmall, order_data(paid_amount="500.00"))

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "exception"
    assert {"code": "amount", "field": "paid_amount"} in [
        {"code": r["code"], "field": r["field"]} for r in body["reasons"]
    ]


def test_the_database_refuses_a_share_beyond_its_line(client: Any, channel: Any, sku: Any) -> None:
    order = _accepted(push(client, channel, order_data()))
    line = order.lines.get()
    line.discount_share = line.amount + D("0.01")
    with pytest.raises(IntegrityError), transaction.atomic():
        line.save()
    order.discount_amount = order.goods_amount + 1
    with pytest.raises(IntegrityError), transaction.atomic():
        order.save()
    assert OrderLine.objects.get().discount_share == 0


def test_schema_documents_the_money_fields(client: Any) -> None:
    schema = client.get("/api/schema/?format=json").json()
    order_in = schema["components"]["schemas"]["OrderIn"]["properties"]
    for name in ("shipping_fee", "discount_amount", "total_amount", "paid_amount"):
        assert name in order_in
        assert order_in[name]["description"]
    line_in = schema["components"]["schemas"]["LineIn"]["properties"]
    assert "分摊" in line_in["discount"]["description"]
    examples = schema["paths"]["/api/v1/channels/{code}/orders"]["post"]["requestBody"]["content"][
        "application/json"
    ]["examples"]
    assert any(
        "paid_amount" in example["value"] and "shipping_fee" in example["value"]
        for example in examples.values()
    )
    accepted = schema["components"]["schemas"]["AmountsOut"]["properties"]
    assert set(accepted) == {
        "goods_amount",
        "discount_amount",
        "shipping_fee",
        "total_amount",
        "paid_amount",
    }


def test_order_page_shows_goods_discount_shipping_total_paid_and_each_share(
    client: Any, channel: Any, three_skus: Any, make_user: Any
) -> None:
    data = order_data(
        lines=_lines(), discount_amount="10.00", shipping_fee="12.00", paid_amount="196.09"
    )
    order = _accepted(push(client, channel, data))
    client.force_login(make_user("sales_rep"))

    page = client.get(order.get_absolute_url()).content.decode()

    money = page[page.index('id="order-money"') :]
    for label, amount in (
        ("Goods at unit prices", "¥199.09"),
        ("Discounts and coupons", "-¥10.00"),
        ("Shipping fee", "¥12.00"),
        ("Total", "¥201.09"),
        ("Paid by the buyer", "¥196.09"),
    ):
        assert label in money
        assert amount in money
    assert "¥5.00 funded by the platform" in money
    lines = page[page.index('id="lines"') : page.index('id="order-money"')]
    assert "Discount share" in lines
    assert "Net amount" in lines
    assert "-¥4.97" in lines
    assert "¥94.03" in lines


@pytest.mark.clock(at(2026, 11, 24, 11))
def test_demo_marketplace_orders_carry_postage_and_discounts() -> None:
    seed_users(lambda message: None)
    for seeder in seeders():
        if seeder.order <= 20:  # listings, then orders
            seeder.run(lambda message: None)

    orders = Order.objects.all()
    marketplace = orders.filter(channel__kind__in=MARKETPLACE_KINDS)
    assert marketplace.filter(discount_amount__gt=0).exists()
    assert marketplace.filter(shipping_fee__gt=0).exists()
    assert not orders.exclude(channel__kind__in=MARKETPLACE_KINDS).filter(discount_amount__gt=0)
    for order in marketplace.filter(discount_amount__gt=0).prefetch_related("lines")[:50]:
        assert sum(line.discount_share for line in order.lines.all()) == order.discount_amount
        assert order.total_amount == order.goods_amount - order.discount_amount + (
            order.shipping_fee
        )
    assert not orders.filter(paid_at__isnull=False).exclude(paid_amount=F("total_amount"))
    assert not orders.filter(paid_at__isnull=True).exclude(paid_amount=0)


def test_the_data_migration_fills_goods_and_paid_of_earlier_orders(sku: Any) -> None:
    fill_money = importlib.import_module("orders.migrations.0007_order_money").fill_money
    paid = make_order([(sku, 2)])
    on_account = make_order([(sku, 1)], paid_at=None)
    # As they were before the migration: a total, nothing else.
    Order.objects.update(goods_amount=0, paid_amount=0)

    fill_money(apps, None)

    paid.refresh_from_db()
    on_account.refresh_from_db()
    assert (paid.goods_amount, paid.total_amount, paid.paid_amount) == (D("198.00"),) * 3
    assert (on_account.goods_amount, on_account.paid_amount) == (D("99.00"), D("0.00"))
    assert paid.discount_amount == paid.shipping_fee == 0


def test_staff_key_in_postage_and_discount_and_a_wrong_paid_amount_is_shown_on_its_field(
    client: Any, make_user: Any, channel: Any, sku: Any
) -> None:
    client.force_login(make_user("presales_service"))
    now = timezone.localtime()
    form = {
        "channel": channel.pk,
        "placed_at": f"{now - timedelta(minutes=10):%Y-%m-%dT%H:%M}",
        "paid_at": f"{now - timedelta(minutes=9):%Y-%m-%dT%H:%M}",
        "customer_kind": "individual",
        "customer_name": "赵磊",
        "customer_phone": "13812345678",
        "customer_province": "北京市",
        "customer_city": "北京市",
        "customer_street_address": "长安街1号",
        "lines": "SKU-1, 2, 99.00",
        "shipping_fee": "10.00",
        "discount_amount": "8.00",
        "paid_amount": "300.00",
    }
    response = client.post("/orders/new/", form)

    assert response.status_code == 200
    assert response.context["form"].errors["paid_amount"] == [
        "The amount paid 300.00 is more than the total 200.00."
    ]
    assert Order.objects.count() == 0
    form["paid_amount"] = ""
    assert client.post("/orders/new/", form).status_code == 302
    order = Order.objects.get()
    assert (order.discount_amount, order.shipping_fee) == (D("8.00"), D("10.00"))
    assert order.total_amount == order.paid_amount == D("200.00")
