"""Demo orders for `manage.py seed_demo`: channels, ~300 customers, ~2,000 orders.

Orders of the past two weeks are written in bulk in the state they would have reached
(with their SLA clocks, mostly met); today's orders go through the real intake, so the
sales rep's queue has live countdowns, automatic matches and customers to identify.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from ecomops.calendar import add_working_time
from ecomops.cutoffs import batch_for
from ecomops.errors import ApplicationError
from ecomops.money import allocate_proportionally
from ecomops.numbering.services import next_numbers
from ecomops.sla.models import SlaClock, SlaPolicy
from ecomops.validators import credit_code_check_char, resident_id_check_char
from listings.models import Sku
from listings.selectors import orderable_skus

from .models import (
    MARKETPLACE_KINDS,
    BlacklistEntry,
    BlacklistKind,
    Channel,
    ChannelKind,
    ChannelSkuMapping,
    Customer,
    CustomerKind,
    IntakePolicy,
    Order,
    OrderLine,
    OrderSource,
    OrderState,
    PaymentTerms,
)
from .selectors import IDENTIFICATION_CLOCK, SALES_ORDER_CLOCK
from .services import order_confirm, order_intake

CHANNELS = [
    ("tmall", "天猫旗舰店", ChannelKind.TMALL, PaymentTerms.PREPAID, Decimal("5")),
    ("taobao", "淘宝店", ChannelKind.TAOBAO, PaymentTerms.PREPAID, Decimal("5")),
    ("webshop", "官方商城", ChannelKind.WEBSHOP, PaymentTerms.PREPAID, Decimal("0")),
    ("groupbuy", "团购网站", ChannelKind.GROUP_BUYING, PaymentTerms.ON_ACCOUNT, Decimal("30")),
    ("distributor", "天猫分销", ChannelKind.DISTRIBUTOR, PaymentTerms.ON_ACCOUNT, Decimal("20")),
    ("agent", "代理商", ChannelKind.AGENT, PaymentTerms.ON_ACCOUNT, Decimal("20")),
    ("manual", "电话订单", ChannelKind.MANUAL, PaymentTerms.PREPAID, Decimal("10")),
]
# Secrets of the demo channels are fixed so the README's curl example works.
DEMO_SECRET = "demo-secret-{code}"  # noqa: S105

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国玉兰萍红鹏辉玲丹波宁欣"
    "怡晨阳婷雪梅浩然子涵思远佳琪俊杰"
)
PLACES = [
    ("北京市", "北京市", "朝阳区", "100020", "110105"),
    ("上海市", "上海市", "浦东新区", "200120", "310115"),
    ("广东省", "广州市", "天河区", "510620", "440106"),
    ("广东省", "深圳市", "南山区", "518052", "440305"),
    ("浙江省", "杭州市", "西湖区", "310012", "330106"),
    ("江苏省", "南京市", "鼓楼区", "210008", "320106"),
    ("四川省", "成都市", "武侯区", "610041", "510107"),
    ("湖北省", "武汉市", "洪山区", "430070", "420111"),
]
STREETS = ["中山路", "人民路", "解放路", "建设路", "和平路", "文化路", "长江路", "新华路", "滨江路"]
COMPANY_WORDS = ["华美", "恒信", "佳和", "万达", "顺通", "鑫源", "博远", "天成", "嘉禾", "宏图"]
COMPANY_KINDS = ["商贸有限公司", "美容连锁有限公司", "科技有限公司", "百货有限公司"]
PAST_DAYS = 14
PAST_ORDERS = 1950


def _id_number(rng: random.Random, area: str) -> str:
    birth = datetime(1960, 1, 1) + timedelta(days=rng.randrange(0, 40 * 365))  # noqa: DTZ001
    first17 = f"{area}{birth:%Y%m%d}{rng.randrange(0, 1000):03d}"
    return first17 + resident_id_check_char(first17)


def _credit_code(rng: random.Random, area: str) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = "".join(rng.choice(alphabet) for _ in range(9))
    first17 = f"91{area}{body}"
    return first17 + credit_code_check_char(first17)


def _mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3456789')}{rng.randrange(0, 10**9):09d}"


def _customers(rng: random.Random) -> list[Customer]:
    customers = []
    for index in range(300):
        province, city, district, postcode, area = rng.choice(PLACES)
        street = f"{rng.choice(STREETS)}{rng.randrange(1, 400)}号"
        if index % 5 == 4:
            name = f"{city[:2]}{rng.choice(COMPANY_WORDS)}{rng.choice(COMPANY_KINDS)}"
            code = _credit_code(rng, area)
            customers.append(
                Customer(
                    kind=CustomerKind.COMPANY,
                    name=name,
                    phone=_mobile(rng),
                    credit_code=code,
                    contact_person=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                    province=province,
                    city=city,
                    district=district,
                    street_address=street,
                    postcode=postcode,
                    invoice_title=name,
                    invoice_tax_id=code,
                    invoice_address_phone=(
                        f"{city}{district}{street} "
                        f"0{rng.randrange(10, 99)}-{rng.randrange(10**7, 10**8)}"
                    ),
                    invoice_bank_account=(
                        f"中国工商银行{city[:2]}分行 6222{rng.randrange(10**11, 10**12)}"
                    ),
                )
            )
        else:
            customers.append(
                Customer(
                    kind=CustomerKind.INDIVIDUAL,
                    name=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(["", *GIVEN]),
                    phone=_mobile(rng),
                    id_number=_id_number(rng, area) if rng.random() < 0.6 else "",
                    province=province,
                    city=city,
                    district=district,
                    street_address=street,
                    postcode=postcode,
                )
            )
    return Customer.objects.bulk_create(customers)


def _final_state(age_days: int, rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.03:
        return OrderState.CANCELLED
    if roll < 0.05:
        return OrderState.ON_HOLD
    if age_days >= 7:
        return OrderState.COMPLETED
    if age_days >= 3:
        return rng.choice([OrderState.DELIVERED, OrderState.DELIVERED, OrderState.COMPLETED])
    if age_days >= 1:
        return rng.choice(
            [OrderState.SHIPPED, OrderState.RELEASED, OrderState.DELIVERED, OrderState.ALLOCATED]
        )
    return rng.choice([OrderState.CONFIRMED, OrderState.ALLOCATED, OrderState.RELEASED])


FULFILLED: dict[str, int] = {
    OrderState.ALLOCATED: 1,
    OrderState.RELEASED: 2,
    OrderState.SHIPPED: 3,
    OrderState.DELIVERED: 4,
    OrderState.COMPLETED: 5,
}


def _fulfilment_times(state: str, confirmed: datetime, ship_by: date, tz: Any) -> dict[str, Any]:
    """When a past order was allocated, released, shipped, delivered and completed."""
    step = FULFILLED.get(state, 0)
    shipped = max(datetime.combine(ship_by, time(17, 30), tz), confirmed + timedelta(hours=2))
    times = {
        "allocated_at": confirmed + timedelta(minutes=40) if step >= 1 else None,
        "released_at": confirmed + timedelta(hours=1) if step >= 2 else None,
        "shipped_at": shipped if step >= 3 else None,
        "delivered_at": shipped + timedelta(days=2) if step >= 4 else None,
        "completed_at": shipped + timedelta(days=9) if step >= 5 else None,
    }
    now = timezone.now()
    return {key: (value if value is None or value < now else now) for key, value in times.items()}


def marketplace_money(n: int, goods: Decimal) -> dict[str, Decimal]:
    """Postage and discounts as a marketplace charges them, fixed by the order's index (no
    draw from the demo's random sequence): every third order of 100 yuan or more gets the
    shop's 满100减10 (10 yuan off per 100, at most 50), every fourth under the 99-yuan
    free-shipping line pays 8 yuan postage."""
    money: dict[str, Decimal] = {}
    if n % 3 == 0 and goods >= 100:
        money["discount_amount"] = min(Decimal(50), Decimal(10) * int(goods // 100))
    if n % 4 == 1 and goods < 99:
        money["shipping_fee"] = Decimal("8.00")
    return money


def _charge(order: Order, lines: list[OrderLine], money: dict[str, Decimal]) -> None:
    """Set a directly written order's money and its lines' shares of the discount."""
    goods = sum((line.amount for line in lines), Decimal("0.00"))
    discount = money.get("discount_amount", Decimal("0.00"))
    shipping = money.get("shipping_fee", Decimal("0.00"))
    for line, share in zip(
        lines, allocate_proportionally(discount, [line.amount for line in lines]), strict=True
    ):
        line.discount_share = share
    order.goods_amount = goods
    order.discount_amount = discount
    order.shipping_fee = shipping
    order.total_amount = goods - discount + shipping
    order.paid_amount = order.total_amount if order.paid_at is not None else Decimal("0.00")


def _past_orders(
    rng: random.Random, channels: list[Channel], customers: list[Customer], skus: list[Any]
) -> int:
    now = timezone.now()
    today = timezone.localdate()
    tz = timezone.get_current_timezone()
    orders: list[Order] = []
    lines: list[list[OrderLine]] = []
    weights = [30, 20, 15, 8, 10, 7, 10]
    # Repeat customers: a quarter of the customers get most of the orders.
    loyal = customers[: len(customers) // 4]
    per_day = PAST_ORDERS // PAST_DAYS
    for age in range(PAST_DAYS, 0, -1):
        day = today - timedelta(days=age)
        numbers = next_numbers("SO", per_day, day=day, width=6)
        for n in range(per_day):
            channel = rng.choices(channels, weights=weights)[0]
            customer = rng.choice(loyal) if rng.random() < 0.5 else rng.choice(customers)
            placed = datetime.combine(day, time(rng.randrange(0, 24), rng.randrange(60)), tz)
            accepted = placed + timedelta(minutes=rng.randrange(1, 20))
            if accepted >= now:
                continue
            batch = batch_for(accepted)
            chosen = rng.sample(skus, k=rng.choice([1, 1, 1, 2, 3]))
            order_lines = []
            total = Decimal("0.00")
            for position, sku in enumerate(chosen, start=1):
                quantity = rng.choice([1, 1, 2, 3]) * (
                    10 if channel.kind != "tmall" and rng.random() < 0.2 else 1
                )
                price = sku.current_price
                total += price * quantity
                order_lines.append(
                    OrderLine(
                        position=position,
                        sku=sku,
                        channel_sku_code=sku.code,
                        quantity=quantity,
                        unit_price=price,
                        list_price=price,
                        amount=price * quantity,
                    )
                )
            state = _final_state(age, rng)
            if batch.cut_at > now and FULFILLED.get(state, 0) > FULFILLED[OrderState.ALLOCATED]:
                # its batch is not cut yet: allocated at most, it cannot have left the warehouse
                state = OrderState.ALLOCATED
            identified = accepted + timedelta(minutes=rng.choice([0, 3, 6, 9, 12, 20]))
            confirmed = identified + timedelta(minutes=rng.choice([5, 10, 15, 25, 40]))
            orders.append(
                Order(
                    number=numbers[n],
                    channel=channel,
                    external_id=f"DEMO-{channel.code}-{numbers[n]}",
                    source=OrderSource.API if channel.kind != "manual" else OrderSource.MANUAL,
                    state=state,
                    customer=customer,
                    customer_data={
                        "kind": customer.kind,
                        "name": customer.name,
                        "phone": customer.phone,
                    },
                    receiver_name=customer.contact_person or customer.name,
                    receiver_phone=customer.phone,
                    ship_province=customer.province,
                    ship_city=customer.city,
                    ship_district=customer.district,
                    ship_street=customer.street_address,
                    ship_postcode=customer.postcode,
                    placed_at=placed,
                    paid_at=None if channel.is_on_account else accepted,
                    accepted_at=placed if channel.is_on_account else accepted,
                    batch_date=batch.batch_date,
                    batch_slot=batch.slot,
                    ship_by=batch.ship_by,
                    total_amount=total,
                    needs_invoice=customer.kind == CustomerKind.COMPANY,
                    invoice_kind="special" if customer.kind == CustomerKind.COMPANY else "",
                    invoice_details=(
                        {
                            "kind": "special",
                            "title": customer.invoice_title,
                            "tax_id": customer.invoice_tax_id,
                        }
                        if customer.kind == CustomerKind.COMPANY
                        else {}
                    ),
                    payload_hash=f"demo-{numbers[n]}",
                    identified_at=identified,
                    identified_automatically=True,
                    confirmed_at=confirmed if state != OrderState.ON_HOLD else None,
                    hold_kind="customer_request" if state == OrderState.ON_HOLD else "",
                    hold_reason="客户要求延后发货" if state == OrderState.ON_HOLD else "",
                    state_before_hold=OrderState.IDENTIFIED if state == OrderState.ON_HOLD else "",
                    cancel_reason="客户取消" if state == OrderState.CANCELLED else "",
                    cancelled_at=confirmed if state == OrderState.CANCELLED else None,
                    **_fulfilment_times(state, confirmed, batch.ship_by, tz),
                )
            )
            _charge(
                orders[-1],
                order_lines,
                marketplace_money(n, total) if channel.kind in MARKETPLACE_KINDS else {},
            )
            lines.append(order_lines)
    created = Order.objects.bulk_create(orders, batch_size=500)
    for order, order_lines in zip(created, lines, strict=True):
        for line in order_lines:
            line.order = order
    OrderLine.objects.bulk_create([line for group in lines for line in group], batch_size=1000)
    _past_clocks(created)
    return len(created)


def _past_clocks(orders: list[Order]) -> None:
    policies = {
        p.code: p
        for p in SlaPolicy.objects.filter(code__in=[IDENTIFICATION_CLOCK, SALES_ORDER_CLOCK])
    }
    content_type = ContentType.objects.get_for_model(Order)
    clocks = []
    for order in orders:
        if order.identified_at is None:
            continue
        steps = [(IDENTIFICATION_CLOCK, order.accepted_at, order.identified_at)]
        if order.confirmed_at:
            steps.append((SALES_ORDER_CLOCK, order.identified_at, order.confirmed_at))
        for code, start, stop in steps:
            policy = policies[code]
            if policy.limit is None:  # a manager turned it into a deadline policy
                continue
            due = add_working_time(start, policy.limit)
            clocks.append(
                SlaClock(
                    policy=policy,
                    content_type=content_type,
                    object_id=order.pk,
                    owner_role=policy.owner_role,
                    started_at=start,
                    due_at=due,
                    stopped_at=stop,
                    breached_at=due if stop > due else None,
                )
            )
    SlaClock.objects.bulk_create(clocks, batch_size=1000)


def _today_orders(
    rng: random.Random,
    channels: list[Channel],
    customers: list[Customer],
    skus: list[Any],
    log: Callable[[str], None],
) -> None:
    """Today's orders through the real intake: known customers match, new ones wait."""
    User = get_user_model()
    rep = User.objects.filter(username="sales_rep").first()
    by_code = {c.code: c for c in channels}
    now = timezone.now()
    made = 0
    for index in range(40):
        channel = by_code[rng.choice(["tmall", "tmall", "taobao", "webshop", "groupbuy"])]
        known = index % 3 != 0
        if known:
            customer = rng.choice([c for c in customers if c.kind == CustomerKind.INDIVIDUAL])
            person = {
                "kind": "individual",
                "name": customer.name,
                "phone": customer.phone,
                "province": customer.province,
                "city": customer.city,
                "district": customer.district,
                "street_address": customer.street_address,
                "postcode": customer.postcode,
            }
        else:
            look_alike = rng.choice(customers[:200])
            province, city, district, postcode, _area = rng.choice(PLACES)
            person = {
                "kind": "individual",
                # Half of the new ones resemble an existing customer (a typo, a new phone).
                "name": look_alike.name if index % 2 else rng.choice(SURNAMES) + rng.choice(GIVEN),
                "phone": _mobile(rng),
                "province": look_alike.province if index % 2 else province,
                "city": look_alike.city if index % 2 else city,
                "district": look_alike.district if index % 2 else district,
                "street_address": look_alike.street_address
                if index % 2
                else f"{rng.choice(STREETS)}{rng.randrange(1, 300)}号",
                "postcode": look_alike.postcode if index % 2 else postcode,
            }
        sku = rng.choice(skus)
        placed = now - timedelta(minutes=rng.randrange(1, 90))
        quantity = rng.choice([1, 2])
        data: dict[str, Any] = {
            "external_id": f"DEMO-TODAY-{timezone.localdate():%Y%m%d}-{index:03d}",
            "placed_at": placed,
            "paid_at": None if channel.is_on_account else placed + timedelta(seconds=40),
            "customer": person,
            "lines": [{"sku": sku.code, "quantity": quantity, "unit_price": sku.current_price}],
            "buyer_note": rng.choice(["", "", "请尽快发货", "周末不在家，请工作日送达"]),
        }
        if channel.kind in MARKETPLACE_KINDS:
            charged = marketplace_money(index, sku.current_price * quantity)
            data.update({key: str(value) for key, value in charged.items()})
        try:
            result = order_intake(channel=channel, data=data, source=OrderSource.API)
        except ApplicationError as exc:
            log(f"  orders: demo order {index} refused: {exc.message}")
            continue
        made += int(result.created)
        if (
            rep is not None
            and known
            and index % 4 == 1
            and result.order.state == OrderState.IDENTIFIED
        ):
            order_confirm(order_id=result.order.pk, by=rep)
    log(f"  orders: {made} orders today through intake")


# (placed at, customer, [(sku, quantity, unit price), ...])
HistoryOrder = tuple[datetime, Customer, list[tuple[Sku, int, Decimal]]]


def completed_orders(channel: Channel, rows: list[HistoryOrder]) -> list[Order]:
    """Completed orders placed in the past on ``channel``, written directly: demo history
    (partner sales, a past campaign's window) that cannot be replayed through intake now."""
    now = timezone.now()
    orders: list[Order] = []
    order_lines: list[list[OrderLine]] = []
    for placed, customer, lines in rows:
        batch = batch_for(placed)
        shipped = min(now, placed + timedelta(hours=20))
        number = next_numbers("SO", 1, day=timezone.localtime(placed).date(), width=6)[0]
        orders.append(
            Order(
                number=number,
                channel=channel,
                external_id=f"DEMO-{channel.code}-{number}",
                source=OrderSource.API,
                state=OrderState.COMPLETED,
                customer=customer,
                customer_data={"kind": customer.kind, "name": customer.name},
                receiver_name=customer.contact_person or customer.name,
                receiver_phone=customer.phone,
                ship_province=customer.province,
                ship_city=customer.city,
                ship_district=customer.district,
                ship_street=customer.street_address,
                ship_postcode=customer.postcode,
                placed_at=placed,
                paid_at=placed,
                accepted_at=placed,
                batch_date=batch.batch_date,
                batch_slot=batch.slot,
                ship_by=batch.ship_by,
                total_amount=sum((price * quantity for _s, quantity, price in lines), Decimal(0)),
                payload_hash=f"demo-{number}",
                identified_at=placed,
                identified_automatically=True,
                confirmed_at=placed,
                allocated_at=placed,
                released_at=placed,
                shipped_at=shipped,
                delivered_at=min(now, shipped + timedelta(days=2)),
                completed_at=min(now, shipped + timedelta(days=9)),
            )
        )
        order_lines.append(
            [
                OrderLine(
                    position=position,
                    sku=sku,
                    channel_sku_code=sku.code,
                    quantity=quantity,
                    unit_price=price,
                    list_price=price,
                    amount=price * quantity,
                )
                for position, (sku, quantity, price) in enumerate(lines, start=1)
            ]
        )
        _charge(orders[-1], order_lines[-1], {})
    created = Order.objects.bulk_create(orders)
    for order, group in zip(created, order_lines, strict=True):
        for line in group:
            line.order = order
    OrderLine.objects.bulk_create([line for group in order_lines for line in group])
    return created


def seed_orders(log: Callable[[str], None]) -> None:
    rng = random.Random(20261123)  # noqa: S311  (demo data)
    with transaction.atomic():
        channels = []
        for code, name, kind, terms, tolerance in CHANNELS:
            channel, _created = Channel.objects.get_or_create(
                code=code,
                defaults={
                    "name": name,
                    "kind": kind,
                    "payment_terms": terms,
                    "price_tolerance_percent": tolerance,
                    "secret": DEMO_SECRET.format(code=code),
                    # Marketplace buyers have paid: doubtful orders are parked, not refused.
                    "intake_policy": IntakePolicy.PARK
                    if kind in MARKETPLACE_KINDS
                    else IntakePolicy.REFUSE,
                },
            )
            channels.append(channel)
        skus = list(orderable_skus())
        if not skus:
            log("  orders: no orderable SKU (seed listings first); skipped")
            return
        for channel in channels[:2]:
            prefix = "TM" if channel.code == "tmall" else "TB"
            for sku in skus:
                ChannelSkuMapping.objects.get_or_create(
                    channel=channel, outer_id=f"{prefix}-{sku.code}", defaults={"sku": sku}
                )
        if Order.objects.filter(external_id__startswith="DEMO-").exists():
            log("  orders: demo orders already there")
            return
        customers = _customers(rng)
        count = _past_orders(rng, channels, customers, skus)
        log(f"  orders: {len(channels)} channels, {len(customers)} customers, {count} past orders")
    _today_orders(rng, channels, customers, skus, log)
    _parked_orders(channels, skus, log)


def _parked_orders(channels: list[Channel], skus: list[Any], log: Callable[[str], None]) -> None:
    """A few paid Tmall orders in the exception queue (异常订单): an unknown platform code,
    a price far below the listed one, a masked phone, a blacklisted buyer."""
    tmall = next((c for c in channels if c.code == "tmall"), None)
    if tmall is None or not skus:
        return
    BlacklistEntry.objects.get_or_create(
        kind=BlacklistKind.BUYER,
        value="tb_refund_hunter",
        active=True,
        defaults={"reason": "多次恶意退款（退款不退货）"},
    )
    now = timezone.now()
    sku = skus[0]
    customer = {
        "kind": "individual",
        "name": "周婷",
        "phone": "13512345678",
        "province": "浙江省",
        "city": "杭州市",
        "district": "西湖区",
        "street_address": "文三路90号",
        "postcode": "310012",
    }
    cases: list[tuple[str, dict[str, Any], list[dict[str, Any]], str]] = [
        (
            "EXC-UNKNOWN",
            customer,
            [{"sku": "TM-NEW-2026", "quantity": 1, "unit_price": sku.current_price}],
            "",
        ),
        (
            "EXC-PRICE",
            customer,
            [{"sku": sku.code, "quantity": 3, "unit_price": Decimal("1.00")}],
            "",
        ),
        (
            "EXC-PHONE",
            {**customer, "phone": "135****5678", "name": "吴磊"},
            [{"sku": sku.code, "quantity": 1, "unit_price": sku.current_price}],
            "",
        ),
        (
            "EXC-BLACKLIST",
            {**customer, "name": "郑浩", "phone": "13698765432"},
            [{"sku": sku.code, "quantity": 2, "unit_price": sku.current_price}],
            "tb_refund_hunter",
        ),
    ]
    made = 0
    for suffix, person, lines, buyer in cases:
        placed = now - timedelta(minutes=20)
        data = {
            "external_id": f"DEMO-{suffix}-{timezone.localdate():%Y%m%d}",
            "placed_at": placed,
            "paid_at": placed + timedelta(seconds=30),
            "customer": person,
            "lines": lines,
            "buyer_account": buyer,
        }
        try:
            made += int(order_intake(channel=tmall, data=data, source=OrderSource.API).created)
        except ApplicationError as exc:
            log(f"  orders: parked demo order {suffix} refused: {exc.message}")
    log(f"  orders: {made} orders parked in the exception queue")
