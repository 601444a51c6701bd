"""A working day at scale (issue 24 §7): ``manage.py simulate_day --orders N``.

One day on a fresh database, driven through the real services as staff and beat would
drive them, each stage timed: orders pushed by the platforms' connectors in signed pages
of 500 through ``POST /api/v1/channels/<code>/orders/batch`` (with the mix the exception
queue gets: unknown codes, prices outside tolerance, blacklisted phones), their payment
notifications, the exception queue worked, queued identification (automatic matching
happens at intake), bulk confirmation, delivery notes, the 12:00 and 15:00 cuts released
by beat's task, picking, packing with a scan per unit, the hand-over to the carrier, the
carrier's pick-up confirmations, invoices issued and the nightly reconciliation.

It lives in finance because finance is the layer that may call everything the day needs
(DESIGN §1: finance -> warehouse -> orders -> listings -> ecomops).

The clock: the day runs on a travelling clock (``time_machine``, ``tick=True``). Each stage
starts at the hour staff would start it, or when the stage before it is done if that is
later, and time then runs at the machine's own speed, so the SLA shares measure whether
the services are fast enough for the day's deadlines, not a schedule written in advance.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import random
import resource
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dt_time
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection, connections, transaction
from django.test import Client
from django.utils import timezone

from ecomops.accounts.roles import RoleCode
from ecomops.accounts.services import user_add_roles
from ecomops.api import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from ecomops.calendar import local_datetime, next_working_day
from ecomops.errors import ApplicationError
from ecomops.sla.models import SlaClock, SlaPolicy
from ecomops.validators import credit_code_check_char
from listings.demo import demo_barcode
from listings.models import Brand, Category, Product, Sku, SkuPrice, SkuState
from orders import services as order_services
from orders.demo import PLACES  # the demo's addresses, so the day ships where demo orders do
from orders.models import (
    BlacklistKind,
    Channel,
    ChannelKind,
    Customer,
    CustomerKind,
    IntakePolicy,
    Order,
    OrderException,
    OrderLine,
    OrderState,
    PaymentTerms,
)
from orders.selectors import identification_candidates
from warehouse import services as warehouse_services
from warehouse.models import (
    Batch,
    Carrier,
    CarrierEventKind,
    DeliveryNote,
    Location,
    NoteState,
    Parcel,
    ParcelState,
    Warehouse,
    Wave,
)
from warehouse.services.waybills import waybill_account_setup

from . import services
from .models import InvoiceRequest, InvoiceRequestState

T = TypeVar("T")

PAGE = 500  # orders per signed page: the endpoint's maximum
CHUNK = 1000  # ids handed to a bulk service at a time: bounded memory
MORNING_SHARE = 0.6  # orders paid before 12:00 (the 12:00 batch); the rest before 15:00

MARKETPLACES = [
    ("tmall", "天猫旗舰店", ChannelKind.TMALL, 30),
    ("taobao", "淘宝店", ChannelKind.TAOBAO, 20),
    ("jd", "京东自营店", ChannelKind.JD, 15),
    ("pinduoduo", "拼多多店", ChannelKind.PINDUODUO, 10),
    ("douyin", "抖音小店", ChannelKind.DOUYIN, 10),
]
WEBSHOP = ("webshop", "官方商城", ChannelKind.WEBSHOP, 15)
SKU_COUNT = 40
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚华建国玉萍红鹏辉玲丹"
    "波宁欣怡晨阳婷雪梅浩然涵远琪俊"
)
STREETS = ["中山路", "人民路", "解放路", "建设路", "和平路", "文化路", "长江路", "新华路", "滨江路"]
BLACKLISTED = [f"170{n:08d}" for n in range(1, 21)]

# What kind of buyer an order comes from, and what is wrong with it (marketplaces only).
KNOWN, KNOWN_NEW_PHONE, NEW = "known", "known_new_phone", "new"
CLEAN, UNKNOWN_CODE, PRICE, BLACKLIST = "clean", "sku_unknown", "price", "blacklist"


# --- The day's orders, deterministic from the seed -------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What order ``n`` is: its channel, its buyer, what is wrong with it, its goods."""

    n: int
    channel: str
    buyer: str
    problem: str
    company: bool
    invoice: bool
    lines: tuple[tuple[int, int], ...]  # (SKU index, quantity)


def plan_of(seed: int, n: int) -> Plan:
    rng = random.Random(f"{seed}:{n}")  # noqa: S311 (a simulation, not a secret)
    channels = [*MARKETPLACES, WEBSHOP]
    channel = rng.choices([c[0] for c in channels], weights=[c[3] for c in channels])[0]
    roll = rng.random()
    buyer = KNOWN if roll < 0.45 else KNOWN_NEW_PHONE if roll < 0.50 else NEW
    problem = CLEAN
    if channel != WEBSHOP[0]:
        roll = rng.random()
        problem = (
            UNKNOWN_CODE
            if roll < 0.015
            else PRICE
            if roll < 0.03
            else BLACKLIST
            if roll < 0.04
            else CLEAN
        )
    company = rng.random() < 0.1
    invoice = company or rng.random() < 0.1
    count = rng.choice((1, 1, 1, 2, 2, 3))
    skus = rng.sample(range(SKU_COUNT), count)
    return Plan(
        n=n,
        channel=channel,
        buyer=buyer,
        problem=problem,
        company=company,
        invoice=invoice,
        lines=tuple((sku, rng.choice((1, 1, 2))) for sku in skus),
    )


def sku_code(index: int) -> str:
    return f"SIM{index + 1:04d}"


def sku_price(index: int) -> Decimal:
    return Decimal(39 + (index * 37) % 260) + Decimal("0.90")


def _place(n: int) -> tuple[str, str, str, str, str]:
    return PLACES[n % len(PLACES)]


def _name(n: int, company: bool) -> str:
    rng = random.Random(f"name:{n}")  # noqa: S311
    if company:
        return f"{_place(n)[1][:2]}{rng.choice(SURNAMES)}{rng.choice(GIVEN)}商贸有限公司{n}"
    return rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)


def _street(n: int) -> str:
    return f"{STREETS[n % len(STREETS)]}{n % 900 + 1}号{n // 900 + 1}室"


def _credit_code(n: int) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body, value = "", n
    for _position in range(9):
        body += alphabet[value % len(alphabet)]
        value //= len(alphabet)
    first17 = f"91{_place(n)[4]}{body}"
    return first17 + credit_code_check_char(first17)


def customer_phone(n: int) -> str:
    """The phone in the master data (a known buyer's; a new one's is new)."""
    return f"13{n:09d}"


def order_phone(plan: Plan) -> str:
    if plan.problem == BLACKLIST:
        return BLACKLISTED[plan.n % len(BLACKLISTED)]
    if plan.buyer == KNOWN:
        return customer_phone(plan.n)
    if plan.buyer == KNOWN_NEW_PHONE:
        return f"18{plan.n:09d}"
    return f"15{plan.n:09d}"


def known_customer(plan: Plan) -> Customer | None:
    """The customer already in the master data for ``plan``'s buyer (unsaved), if any."""
    if plan.buyer == NEW:
        return None
    province, city, district, postcode, _area = _place(plan.n)
    company = plan.company
    return Customer(
        kind=CustomerKind.COMPANY if company else CustomerKind.INDIVIDUAL,
        name=_name(plan.n, company),
        phone=customer_phone(plan.n),
        credit_code=_credit_code(plan.n) if company else "",
        contact_person=_name(plan.n + 1, False) if company else "",
        province=province,
        city=city,
        district=district,
        street_address=_street(plan.n),
        postcode=postcode,
    )


def payload(plan: Plan, paid_at: datetime) -> dict[str, Any]:
    """The order as the platform's connector sends it."""
    province, city, district, postcode, _area = _place(plan.n)
    name = _name(plan.n, plan.company)
    phone = order_phone(plan)
    customer: dict[str, Any] = {
        "kind": "company" if plan.company else "individual",
        "name": name,
        "phone": phone,
        "province": province,
        "city": city,
        "district": district,
        "street_address": _street(plan.n),
        "postcode": postcode,
    }
    if plan.company:
        customer["contact_person"] = _name(plan.n + 1, False)
        # A known company's code matches it; a new one's code is its own.
        customer["credit_code"] = _credit_code(plan.n if plan.buyer != NEW else plan.n + 10**8)
    lines = []
    for position, (index, quantity) in enumerate(plan.lines):
        price = sku_price(index)
        code = sku_code(index)
        if position == 0 and plan.problem == UNKNOWN_CODE:
            code = unknown_code(plan.channel, index)
        if position == 0 and plan.problem == PRICE:
            price = (price * Decimal("0.7")).quantize(Decimal("0.01"))
        lines.append({"sku": code, "quantity": quantity, "unit_price": str(price)})
    data: dict[str, Any] = {
        "external_id": f"{plan.channel.upper()}{plan.n:010d}",
        "placed_at": (paid_at - timedelta(minutes=2)).isoformat(),
        "paid_at": paid_at.isoformat(),
        "buyer_account": f"buyer_{plan.n}",
        "customer": customer,
        "lines": lines,
        "needs_invoice": plan.invoice,
    }
    if plan.invoice:
        data["invoice"] = {"kind": "ordinary", "title": name}
        if plan.company:
            data["invoice"]["tax_id"] = customer["credit_code"]
    return data


def unknown_code(channel: str, index: int) -> str:
    """A platform outer id nobody has mapped yet: one per channel and SKU."""
    return f"{channel.upper()}-OUTER-{index + 1:04d}"


# --- Figures --------------------------------------------------------------------------------


@dataclass
class Stage:
    name: str
    orders: int = 0
    seconds: float = 0.0
    floor_seconds: float | None = None
    note: str = ""

    @property
    def rate(self) -> float:
        return self.orders / self.seconds if self.seconds else 0.0

    @property
    def floor_rate(self) -> float | None:
        if self.floor_seconds is None:
            return None
        return self.orders / self.floor_seconds if self.floor_seconds else 0.0

    @property
    def ratio(self) -> float | None:
        return self.seconds / self.floor_seconds if self.floor_seconds else None

    def as_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "orders_per_second": round(self.rate, 1),
            "floor_orders_per_second": None
            if self.floor_rate is None
            else round(self.floor_rate, 1),
            "ratio_to_floor": None if self.ratio is None else round(self.ratio, 1),
        }


@dataclass
class DayReport:
    orders: int
    seed: int
    day: str
    database: str
    stages: dict[str, Stage] = field(default_factory=dict)
    sla: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, Any] = field(default_factory=dict)
    started: str = ""
    load_average: str = ""
    total_seconds: float = 0.0
    peak_rss_mb: float = 0.0
    clock: str = "time_machine (tick=True): each stage starts at its hour or when the last ends"

    def stage(self, name: str) -> Stage:
        if name not in self.stages:
            self.stages[name] = Stage(name)
        return self.stages[name]

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["stages"] = [stage.as_dict() for stage in self.stages.values()]
        return data

    def table(self) -> str:
        rows = [
            f"A day of {self.orders:,} orders (seed {self.seed}) on {self.database}, "
            f"simulated day {self.day}; run {self.started}, load average {self.load_average}",
            f"{'stage':<26}{'orders':>9}{'seconds':>10}{'orders/s':>10}"
            f"{'floor s':>10}{'floor/s':>10}{'× floor':>9}",
        ]
        for stage in self.stages.values():
            floor = (
                f"{stage.floor_seconds:>10.2f}{stage.floor_rate or 0:>10,.0f}"
                f"{stage.ratio or 0:>8.1f}×"
                if stage.floor_seconds is not None
                else f"{'':>10}{'':>10}{'':>9}"
            )
            rows.append(
                f"{stage.name:<26}{stage.orders:>9,}{stage.seconds:>10.2f}{stage.rate:>10,.1f}"
                f"{floor}{('  ' + stage.note) if stage.note else ''}"
            )
        rows.append(
            f"{'whole day':<26}{self.orders:>9,}{self.total_seconds:>10.2f}"
            f"{(self.orders / self.total_seconds if self.total_seconds else 0):>10,.1f}"
        )
        rows.append(f"peak RSS {self.peak_rss_mb:,.0f} MB")
        rows.append("SLA met (orders without exceptions):")
        for row in self.sla:
            share = "-" if row["share"] is None else f"{row['share'] * 100:.1f} %"
            rows.append(
                f"  {row['policy']:<26}{row['met']:>9,} of {row['clocks']:>9,} met  {share:>8}"
                f"  (running {row['running']:,})"
            )
        rows.append("counts: " + ", ".join(f"{k} {v}" for k, v in self.counts.items()))
        return "\n".join(rows)


def peak_rss_mb() -> float:
    """Peak resident memory of this process (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_average() -> str:
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "unknown"


class _Rollback(Exception):
    pass


def plain_sql_seconds(work: Callable[[Any], None]) -> float:
    """Seconds ``work(cursor)`` takes; everything it wrote is rolled back."""
    start = time.perf_counter()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            work(cursor)
            elapsed = time.perf_counter() - start
            raise _Rollback
    except _Rollback:
        pass
    return elapsed


def _chunks(ids: list[T], size: int = CHUNK) -> Iterator[list[T]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def side_by_side(jobs: list[Callable[[], None]], *, processes: bool = False) -> None:
    """Run ``jobs`` at once, each with its own database connection (staff at several
    stations); the first failure is raised once all have stopped.

    Threads by default; with ``processes`` on PostgreSQL, each job in a process of its own,
    forked from this one, as each station's requests would run in a web worker of its own:
    threads of one process take turns on its interpreter and use one core whatever their
    number. One job runs in this thread."""
    if len(jobs) <= 1:
        for job in jobs:
            job()
        return
    if processes and connection.vendor == "postgresql" and "fork" in mp.get_all_start_methods():
        _in_processes(jobs)
        return
    failures: list[BaseException] = []

    def run(job: Callable[[], None]) -> None:
        try:
            job()
        except BaseException as exc:  # raised again in the caller's thread
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]


def _in_processes(jobs: list[Callable[[], None]]) -> None:
    """Each job in a forked process. The parent's connections are closed first so that no
    child writes on a socket another process uses; a child's failure comes back as its
    message (an ``ApplicationError`` in the parent), or its exit code."""
    context = mp.get_context("fork")
    failures = context.SimpleQueue()

    def run(job: Callable[[], None]) -> None:
        try:
            job()
        except BaseException as exc:  # reported to the parent, which raises it
            failures.put(f"{type(exc).__name__}: {exc}")
            raise
        finally:
            connections.close_all()

    connections.close_all()
    children = [context.Process(target=run, args=(job,)) for job in jobs]
    for child in children:
        child.start()
    for child in children:
        child.join()
    if not failures.empty():
        raise ApplicationError(failures.get())
    crashed = [child.exitcode for child in children if child.exitcode]
    if crashed:
        raise ApplicationError(f"a station's process ended with exit code {crashed[0]}")


def _ids(queryset: Any) -> list[int]:
    return list(queryset.order_by("pk").values_list("pk", flat=True))


# --- The day ---------------------------------------------------------------------------------


class DaySimulation:
    """Runs the day; ``run()`` returns the report. The orders table must be empty."""

    def __init__(
        self,
        *,
        orders: int,
        seed: int = 1,
        day: date | None = None,
        log: Callable[[str], None] = lambda message: None,
        packers: int = 1,
    ) -> None:
        self.count = orders
        self.packers = max(1, packers)
        self.seed = seed
        self.day = day or next_working_day(timezone.localdate())
        self.log = log
        self.report = DayReport(
            orders=orders, seed=seed, day=self.day.isoformat(), database=connection.vendor
        )
        self.client = Client(HTTP_HOST=_allowed_host())
        self.staff: dict[str, Any] = {}
        self.traveller: Any = None

    # clock

    def at(self, hour: int, minute: int = 0) -> datetime:
        return local_datetime(self.day, dt_time(hour, minute))

    def move_to(self, moment: datetime) -> None:
        """Staff start at ``moment``, or now if the stage before ran past it."""
        if moment > timezone.now():
            self.traveller.move_to(moment)

    def timed(self, name: str, orders: int, work: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        result = work()
        stage = self.report.stage(name)
        stage.seconds += time.perf_counter() - started
        stage.orders += orders
        self.log(f"  {name}: {orders:,} in {time.perf_counter() - started:.2f} s")
        return result

    def run(self) -> DayReport:
        import time_machine  # a dev dependency: see the command's help

        if Order.objects.exists():
            raise ApplicationError(
                "The orders table is not empty: simulate_day needs a fresh database "
                "(run it with --fresh to drop and re-create every table first)."
            )
        from ecomops.celery import app

        eager = app.conf.task_always_eager
        app.conf.task_always_eager = True  # the tasks services enqueue run in this process
        self.report.started = f"{timezone.localtime():%Y-%m-%d %H:%M} Asia/Shanghai"
        self.report.load_average = load_average()
        start = time.perf_counter()
        try:
            with time_machine.travel(self.at(7), tick=True) as traveller:
                self.traveller = traveller
                self.timed("set-up (not the day)", 0, self.set_up)
                morning = int(self.count * MORNING_SHARE)
                self.round(range(0, morning), paid=(self.at(8), self.at(9)), start=self.at(9))
                self.cut_and_ship(12, due=self.at(15))
                self.round(
                    range(morning, self.count),
                    paid=(self.at(12), self.at(12, 30)),
                    start=self.at(12, 30),
                )
                self.cut_and_ship(15, due=self.at(18))
                self.move_to(self.at(16, 30))
                self.issue_invoices()
                self.move_to(self.at(17, 55))
                self.sweep()
                self.move_to(local_datetime(self.day + timedelta(days=1), dt_time(2)))
                self.reconcile()
                self.report.total_seconds = (
                    time.perf_counter()
                    - start
                    - (self.report.stages["set-up (not the day)"].seconds)
                )
                self.report.sla = sla_shares()
                self.report.counts.update(self.final_counts())
        finally:
            app.conf.task_always_eager = eager
        self.report.peak_rss_mb = round(peak_rss_mb(), 1)
        return self.report

    # set-up

    def set_up(self) -> None:
        """Channels, SKUs with prices and stock, the warehouse, carriers, staff, the
        blacklist and the customers the day's known buyers already are."""
        user_model: Any = get_user_model()
        roles = {
            "rep": RoleCode.SALES_REP,
            "service": RoleCode.PRESALES_SERVICE,
            "parts": RoleCode.BU_PARTS_ADMIN,
            "picker": RoleCode.PICKER,
            "packer": RoleCode.PACKER,
            "keeper": RoleCode.WAREHOUSE_ADMIN,
            "clerk": RoleCode.FINANCE_CLERK,
        }
        for key, role in roles.items():
            user, _created = user_model.objects.get_or_create(username=f"sim_{key}")
            user_add_roles(user=user, roles=[role])
            self.staff[key] = user
        for code, name, kind, _weight in [*MARKETPLACES, WEBSHOP]:
            marketplace = kind != ChannelKind.WEBSHOP
            Channel.objects.get_or_create(
                code=code,
                defaults={
                    "name": name,
                    "kind": kind,
                    "payment_terms": PaymentTerms.PREPAID,
                    "intake_policy": IntakePolicy.PARK if marketplace else IntakePolicy.REFUSE,
                    "price_tolerance_percent": Decimal("5") if marketplace else Decimal("0"),
                },
            )
        brand, _c = Brand.objects.get_or_create(name="模拟品牌")
        category, _c = Category.objects.get_or_create(name="模拟类目", parent=None)
        listed_since = self.at(0) - timedelta(days=30)
        for index in range(SKU_COUNT):
            if Sku.objects.filter(code=sku_code(index)).exists():
                continue
            product = Product.objects.create(
                name=f"模拟商品{index + 1}", brand=brand, category=category
            )
            sku = Sku(
                product=product,
                code=sku_code(index),
                barcode=demo_barcode(900 + index),
                name=f"模拟商品{index + 1} 标准装",
                tax_category="日用杂品",
                tax_code="1060512990000000000",
                listed_at=listed_since,
            )
            sku.__dict__["state"] = SkuState.LISTED  # set-up data, not a listing process
            sku.save()
            SkuPrice.objects.create(
                sku=sku, price=sku_price(index), valid_from=listed_since, reason="simulate_day"
            )
        carriers = []
        for code, name, prefix, first in (
            ("ZTO", "中通快递", "7", 310000000001),
            ("SF", "顺丰速运", "SF", 1400000000001),
        ):
            carrier, _c = Carrier.objects.get_or_create(code=code, defaults={"name": name})
            waybill_account_setup(
                carrier=carrier,
                code="default",
                name="模拟网点",
                prefix=prefix,
                first=first,
                last=first + 10_000_000,
                is_default=True,
                low_stock_threshold=1000,
            )
            carriers.append(carrier)
        warehouse, created = Warehouse.objects.get_or_create(
            code="SIM1",
            defaults={
                "name": "模拟仓",
                "address": "浙江省杭州市萧山区建设二路1号",
                "default_carrier": carriers[0],
            },
        )
        if created:
            Location.objects.bulk_create(
                Location(warehouse=warehouse, code=f"A-{n:03d}", zone="A", walk_order=n * 10)
                for n in range(1, 2 * SKU_COUNT + 1)
            )
        locations = list(warehouse.locations.order_by("walk_order"))
        per_bin = self.count // 8 + 50  # about 2.2 units per order over 40 SKUs, twice over
        for index, sku in enumerate(Sku.objects.filter(code__startswith="SIM").order_by("code")):
            for location in (locations[index], locations[index + SKU_COUNT]):
                warehouse_services.stock_receive(
                    sku=sku,
                    location=location,
                    quantity=per_bin,
                    by=self.staff["keeper"],
                    reference="SIM-OPENING",
                )
        for phone in BLACKLISTED:
            order_services.blacklist_add(
                kind=BlacklistKind.PHONE,
                value=phone,
                reason="模拟: 恶意退款",
                by=self.staff["service"],
            )
        known: list[Customer] = []
        for n in range(self.count):
            customer = known_customer(plan_of(self.seed, n))
            if customer is not None:
                known.append(customer)
            if len(known) >= CHUNK:
                Customer.objects.bulk_create(known)
                known = []
        Customer.objects.bulk_create(known)
        self.channels = {c.code: c for c in Channel.objects.all()}

    # one round: the orders of one batch, from the connectors to the delivery notes

    def round(self, numbers: range, *, paid: tuple[datetime, datetime], start: datetime) -> None:
        self.move_to(start)
        last = Order.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        self.intake(numbers, paid)
        self.sweep()
        self.payments(last)
        self.work_exceptions()
        self.identify()
        self.sweep()
        self.confirm()
        self.sweep()
        self.allocate()
        self.sweep()

    def intake(self, numbers: range, paid: tuple[datetime, datetime]) -> None:
        by_channel: dict[str, list[int]] = {}
        for n in numbers:
            by_channel.setdefault(plan_of(self.seed, n).channel, []).append(n)
        span = (paid[1] - paid[0]).total_seconds()
        statuses: dict[str, int] = self.report.counts.setdefault("intake_answers", {})
        pages = 0

        def push_all() -> None:
            nonlocal pages
            for code, ns in by_channel.items():
                channel = self.channels[code]
                for first in range(0, len(ns), PAGE):
                    page = ns[first : first + PAGE]
                    orders = [
                        payload(
                            plan_of(self.seed, n),
                            paid[0] + timedelta(seconds=span * (n - numbers.start) / len(numbers)),
                        )
                        for n in page
                    ]
                    answers = self.push_page(channel, orders)
                    pages += 1
                    for status in answers:
                        statuses[status] = statuses.get(status, 0) + 1

        self.timed("intake (signed pages)", len(numbers), push_all)
        floor = self.intake_floor(len(numbers))
        stage = self.report.stage("intake (signed pages)")
        stage.floor_seconds = (stage.floor_seconds or 0) + floor
        stage.note = "floor: INSERT order + lines, a transaction per page"
        auto = Order.objects.filter(identified_automatically=True).count()
        self.report.counts["identified_automatically"] = auto

    def push_page(self, channel: Channel, orders: list[dict[str, Any]]) -> list[str]:
        body = json.dumps({"orders": orders}, ensure_ascii=False).encode()
        ts = str(int(time.time()))
        response = self.client.post(
            f"/api/v1/channels/{channel.code}/orders/batch",
            data=body,
            content_type="application/json",
            headers={TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: sign(channel.secret, ts, body)},
        )
        if response.status_code != 200:
            raise ApplicationError(
                f"The batch endpoint answered {response.status_code}: {response.content[:500]!r}"
            )
        return [item["status"] for item in response.json()["results"]]

    def intake_floor(self, count: int) -> float:
        """Plain SQL inserting as many orders like the intake's, each with its lines (two on
        average), a transaction per page, on this connection; rolled back."""
        order = Order.objects.filter(state=OrderState.IDENTIFIED).order_by("-pk").first()
        line = OrderLine.objects.filter(order=order).first() if order else None
        if order is None or line is None:
            return 0.0
        order_columns, order_values = _columns_values(order)
        line_columns, line_values = _columns_values(line)
        quote = connection.ops.quote_name
        orders_table, lines_table = quote(Order._meta.db_table), quote(OrderLine._meta.db_table)
        order_sql = (
            f"INSERT INTO {orders_table} ({', '.join(map(quote, order_columns))}) "  # noqa: S608
            f"VALUES ({', '.join(['%s'] * len(order_columns))}) RETURNING id"
        )
        line_sql = (
            f"INSERT INTO {lines_table} ({', '.join(map(quote, line_columns))}) "  # noqa: S608
            f"VALUES ({', '.join(['%s'] * len(line_columns))})"
        )
        number_at = order_columns.index("number")
        external_at = order_columns.index("external_id")
        order_at = line_columns.index("order_id")
        position_at = line_columns.index("position")

        def work(cursor: Any) -> None:
            for first in range(0, count, PAGE):
                with transaction.atomic():
                    for n in range(first, min(first + PAGE, count)):
                        values = list(order_values)
                        values[number_at] = f"FLOOR-{n:09d}"
                        values[external_at] = f"FLOOR-{n}"
                        cursor.execute(order_sql, values)
                        row = list(line_values)
                        row[order_at] = cursor.fetchone()[0]
                        for position in (1, 2):
                            row[position_at] = position
                            cursor.execute(line_sql, row)

        return plain_sql_seconds(work)

    def payments(self, after_pk: int) -> None:
        """The platforms notify each payment (an order's reference, its paid amount)."""
        rows = list(
            Order.objects.filter(pk__gt=after_pk)
            .order_by("pk")
            .values_list("pk", "channel_id", "external_id", "paid_amount", "paid_at")
        )
        channels = {c.pk: c for c in self.channels.values()}

        def notify_all() -> None:
            # The platforms' settlement feeds: a chunk of each channel's payments at a time.
            by_channel: dict[int, list[services.PaymentNotification]] = {}
            for _pk, channel_id, external_id, amount, paid_at in rows:
                by_channel.setdefault(channel_id, []).append(
                    services.PaymentNotification(
                        reference=f"PAY-{external_id}",
                        order_external_id=external_id,
                        amount=amount,
                        paid_at=paid_at,
                    )
                )
            for channel_id, notifications in by_channel.items():
                for part in _chunks(notifications):
                    services.payments_notify_many(channel=channels[channel_id], notifications=part)

        self.timed("payments notified", len(rows), notify_all)

    def work_exceptions(self) -> None:
        """Service staff work the queue: map unknown codes, approve prices they accept
        (a platform promotion), cancel blacklisted buyers' orders."""
        parked = _ids(Order.objects.filter(state=OrderState.EXCEPTION))
        service = self.staff["service"]
        left = 0

        def work() -> None:
            nonlocal left
            for order_id in parked:
                reasons = list(
                    OrderException.objects.filter(order_id=order_id, resolved_at__isnull=True)
                    .order_by("pk")
                    .values_list("pk", "code", "field")
                )
                if not reasons:
                    continue  # released by a mapping made for an earlier order
                try:
                    self._resolve(order_id, reasons, service)
                except ApplicationError:
                    left += 1

        self.timed("exception queue", len(parked), work)
        self.report.counts["exceptions_left"] = self.report.counts.get("exceptions_left", 0) + left

    def _resolve(self, order_id: int, reasons: list[tuple[int, str, str]], by: Any) -> None:
        codes = {code for _pk, code, _field in reasons}
        if "blacklist" in codes:
            order_services.order_exception_cancel(
                order_id=order_id, by=by, reason="黑名单买家: 取消并退款"
            )
            return
        for _pk, code, path in reasons:
            if code == "sku_unknown":
                order = Order.objects.only("payload", "state").get(pk=order_id)
                if order.state != OrderState.EXCEPTION:
                    return
                index = int(path.split("[")[1].split("]")[0])
                sent = order.payload["lines"][index]["sku"]
                target = sku_code(int(sent.rsplit("-", 1)[1]) - 1)
                order_services.order_exception_map_line(
                    order_id=order_id, line_index=index, sku_code=target, by=by
                )
        if Order.objects.filter(pk=order_id, state=OrderState.EXCEPTION).exists():
            for pk in OrderException.objects.filter(
                order_id=order_id, resolved_at__isnull=True
            ).values_list("pk", flat=True):
                order_services.order_exception_approve(
                    exception_id=pk, by=by, note="平台活动价, 同意按下单价发货"
                )
            order_services.order_exception_release(order_id=order_id, by=by)

    def identify(self) -> None:
        """The rep's queue: a known buyer with a new phone is confirmed from the candidates
        (the phone corrected); a new buyer becomes a new customer. The rep picks each
        candidate by eye, then saves a page of the queue at once."""
        from orders.services.customers import (
            orders_identify_many,
            orders_identify_new_customers,
        )

        waiting = list(
            Order.objects.filter(state=OrderState.RECEIVED)
            .order_by("pk")
            .values_list("pk", "receiver_phone")
        )
        rep = self.staff["rep"]
        self.report.counts.setdefault("identified_from_candidates", 0)

        def work() -> None:
            for chunk in _chunks(waiting):
                chosen: list[tuple[int, int, dict[str, Any] | None]] = []
                new: list[int] = []
                new_phones = Order.objects.in_bulk(
                    [order_id for order_id, phone in chunk if phone.startswith("18")]
                )
                for order_id, phone in chunk:
                    if order_id in new_phones:
                        candidates = identification_candidates(new_phones[order_id])
                        if candidates:
                            chosen.append((order_id, candidates[0].customer.pk, {"phone": phone}))
                            continue
                    new.append(order_id)
                matched = orders_identify_many(pairs=chosen, by=rep, reason="老客户换了手机号")
                self.report.counts["identified_from_candidates"] += len(matched.done)
                created = orders_identify_new_customers(order_ids=new, by=rep)
                refused = len(matched.refused) + len(created.refused)
                if refused:
                    self.report.counts["identify_refused"] = (
                        self.report.counts.get("identify_refused", 0) + refused
                    )

        self.timed("identification (queue)", len(waiting), work)

    def confirm(self) -> None:
        ids = _ids(Order.objects.filter(state=OrderState.IDENTIFIED))
        stage = self.report.stage("confirmation (bulk)")
        stage.floor_seconds = (stage.floor_seconds or 0) + _confirm_floor(ids)
        stage.note = "floor: UPDATE the orders, a transaction per 1,000"
        rep = self.staff["rep"]

        def work() -> None:
            from orders.services.orders import orders_confirm_many

            for chunk in _chunks(ids):
                result = orders_confirm_many(order_ids=chunk, by=rep)
                if result.refused:
                    self.report.counts["confirm_refused"] = self.report.counts.get(
                        "confirm_refused", 0
                    ) + len(result.refused)

        self.timed("confirmation (bulk)", len(ids), work)

    def allocate(self) -> None:
        ids = _ids(Order.objects.filter(state=OrderState.CONFIRMED))
        parts = self.staff["parts"]

        def work() -> None:
            for chunk in _chunks(ids):
                result = warehouse_services.allocation_issue(order_ids=chunk, by=parts)
                if result.held or result.refused:
                    self.report.counts["not_allocated"] = (
                        self.report.counts.get("not_allocated", 0)
                        + len(result.held)
                        + len(result.refused)
                    )

        self.timed("delivery notes", len(ids), work)

    # the cut and the warehouse's afternoon

    def cut_and_ship(self, slot: int, *, due: datetime) -> None:
        from warehouse.tasks import release_due_batch

        self.move_to(self.at(slot))
        due_notes = list(
            DeliveryNote.objects.filter(state=NoteState.ALLOCATED)
            .order_by("pk")
            .values_list("pk", "order_id")
        )
        stage = self.report.stage("cutoff release (beat)")
        stage.floor_seconds = (stage.floor_seconds or 0) + _release_floor(due_notes)
        stage.note = "floor: UPDATE notes + orders in one transaction"
        self.timed("cutoff release (beat)", len(due_notes), lambda: release_due_batch.apply().get())
        batch = Batch.objects.get(batch_date=self.day, slot=slot)
        self.report.counts[f"batch_{slot}"] = {
            "notes": batch.note_count,
            "late": batch.late_count,
            "rolled_over": batch.rolled_over_count,
            "waves": batch.waves.count(),
        }
        self.sweep()
        self.pick(batch)
        self.pack(batch)
        self.sweep()
        self.hand_over()
        self.confirm_pickups()
        self.confirm_to_channels()
        self.sweep()

    def pick(self, batch: Batch) -> None:
        from warehouse.services.picking import wave_pick_all

        picker = self.staff["picker"]
        waves = _ids(Wave.objects.filter(batch=batch))
        notes = DeliveryNote.objects.filter(batch=batch).count()

        def work() -> None:
            # every bin had what the pick list says: the picker confirms the wave in one go
            for wave_id in waves:
                wave_pick_all(wave_id=wave_id, by=picker)
                warehouse_services.wave_sort(wave_id=wave_id, by=picker)

        self.timed("picking + sorting", notes, work)

    def pack(self, batch: Batch) -> None:
        """Pack stations work side by side, ``self.packers`` of them, each taking whole
        waves as the sorter hands them over. At a station the packer opens each parcel at
        its first note; the scanner buffers the parcel's unit scans and sends them at once
        (``pack_scans``), then the packer closes it."""
        from warehouse.models import DeliveryNoteLine

        notes = list(
            DeliveryNote.objects.filter(batch=batch, state=NoteState.PICKED)
            .order_by("wave_id", "pk")
            .values_list("pk", "wave_id", "merged", "merge_key")
        )
        scans = 0

        def work() -> None:
            nonlocal scans
            # the units each note's label lists, in the order they are scanned
            units: dict[int, list[str]] = {}
            for note_id, barcode, quantity, short, packed in (
                DeliveryNoteLine.objects.filter(note__batch=batch, note__state=NoteState.PICKED)
                .order_by("note_id", "order_line__position", "pk")
                .values_list(
                    "note_id", "sku__barcode", "quantity", "short_quantity", "packed_quantity"
                )
            ):
                units.setdefault(note_id, []).extend([barcode] * (quantity - short - packed))
            # a merged parcel (a wave's notes under one merge key) is packed together
            parcels: dict[Any, list[int]] = {}
            waves: dict[Any, list[list[int]]] = {}
            for note_id, wave_id, merged, merge_key in notes:
                key = (wave_id, merge_key) if merged and merge_key else note_id
                if key not in parcels:
                    parcels[key] = []
                    waves.setdefault(wave_id, []).append(parcels[key])
                parcels[key].append(note_id)
            stations: list[list[tuple[list[int], list[str]]]] = [[] for _ in range(self.packers)]
            for index, wave_parcels in enumerate(waves.values()):
                stations[index % self.packers].extend(
                    (group, [code for note_id in group for code in units.get(note_id, [])])
                    for group in wave_parcels
                )
            scans += sum(len(codes) for station in stations for _group, codes in station)
            side_by_side([partial(self.pack_at_station, s) for s in stations if s], processes=True)

        self.timed("packing (scan per unit)", len(notes), work)
        self.report.counts["pack_scans"] = self.report.counts.get("pack_scans", 0) + scans
        self.report.counts["pack_stations"] = self.packers

    def pack_at_station(self, parcels: list[tuple[list[int], list[str]]]) -> None:
        from warehouse.services.packing import pack_scans

        packer = self.staff["packer"]
        for group, codes in parcels:
            results = pack_scans(note_id=group[0], codes=codes, by=packer)
            refused = [result.message for result in results if not result.accepted]
            if refused:
                raise ApplicationError(f"scan refused: {refused[0]}")
            warehouse_services.pack_close(note_id=group[0], weight_grams=480, by=packer)

    def hand_over(self) -> None:
        keeper = self.staff["keeper"]
        carriers = sorted(
            set(
                Parcel.objects.filter(state=ParcelState.PACKED, manifest__isnull=True)
                .order_by()
                .values_list("carrier_id", flat=True)
                .distinct()
            )
        )
        parcels = Parcel.objects.filter(state=ParcelState.PACKED).count()
        orders = DeliveryNote.objects.filter(state=NoteState.PACKED).count()

        def work() -> None:
            for carrier_id in carriers:
                manifest = warehouse_services.manifest_open(carrier_id=carrier_id, by=keeper)
                warehouse_services.manifest_sign(
                    manifest_id=manifest.pk,
                    courier_name="张师傅",
                    counted=manifest.parcels.count(),
                    by=keeper,
                )

        self.timed("hand-over (manifests)", orders, work)
        self.report.counts["parcels"] = self.report.counts.get("parcels", 0) + parcels

    def confirm_pickups(self) -> None:
        """The carrier confirms each parcel it took: a tracking event (in transit), pushed
        to ``carrier_events_record_many`` a thousand at a time per carrier."""
        from warehouse.services.shipping import CarrierEventIn, carrier_events_record_many

        rows = list(
            Parcel.objects.filter(state=ParcelState.HANDED_OVER)
            .order_by("pk")
            .values_list("carrier_id", "waybill_number")
        )
        carriers = {c.pk: c for c in Carrier.objects.all()}
        waybills: dict[int, list[str]] = {}
        for carrier_id, waybill in rows:
            waybills.setdefault(carrier_id, []).append(waybill)

        def work() -> None:
            for carrier_id, numbers in waybills.items():
                for chunk in _chunks(numbers):
                    now = timezone.now()
                    outcomes = carrier_events_record_many(
                        carrier=carriers[carrier_id],
                        events=[
                            CarrierEventIn(
                                event_id=f"{waybill}-PICKUP",
                                waybill_number=waybill,
                                kind=CarrierEventKind.IN_TRANSIT,
                                occurred_at=now,
                                place="杭州萧山转运中心",
                                description="快件已揽收",
                            )
                            for waybill in chunk
                        ],
                    )
                    refused = [o.error.message for o in outcomes if o.error is not None]
                    if refused:
                        raise ApplicationError(f"pick-up refused: {refused[0]}")

        self.timed("shipment confirmations", len(rows), work)

    def confirm_to_channels(self) -> None:
        """发货回传: the hand-over wrote each order's confirmation in its transaction (one
        INSERT … SELECT per manifest); the warehouse admin downloads each marketplace's
        bulk-shipping file, which confirms its rows. A platform whose template or carrier
        names are not known (JD, Douyin; Pinduoduo's names until a manager enters them)
        waits for a person: counted, not confirmed."""
        from warehouse.models import ConfirmationMethod, ConfirmationStatus, ShipmentConfirmation
        from warehouse.services.confirmations import ConfirmationError, confirmations_export

        keeper = self.staff["keeper"]
        pending = ShipmentConfirmation.objects.filter(
            method=ConfirmationMethod.FILE, status=ConfirmationStatus.PENDING
        )
        channels = sorted(set(pending.order_by().values_list("channel_id", flat=True)))
        waiting = pending.count()

        def work() -> None:
            for channel_id in channels:
                try:
                    confirmations_export(channel_id=channel_id, by=keeper)
                except ConfirmationError as exc:
                    self.log(f"    channel {channel_id}: {exc.message}")

        self.timed("shipment confirmation to channels (files)", waiting, work)
        self.report.counts["confirmations_waiting_for_a_person"] = pending.count()

    # finance

    def issue_invoices(self) -> None:
        ids = _ids(InvoiceRequest.objects.filter(state=InvoiceRequestState.REQUESTED))
        clerk = self.staff["clerk"]

        def work() -> None:
            for part in _chunks(ids):
                services.invoices_issue_many(request_ids=part, by=clerk)

        self.timed("invoices issued", len(ids), work)

    def reconcile(self) -> None:
        from finance.tasks import reconcile_yesterday

        summary = self.timed(
            "nightly reconciliation", self.count, lambda: reconcile_yesterday.apply().get()
        )
        self.report.counts["reconciliation"] = summary

    def sweep(self) -> None:
        from ecomops.sla.tasks import sweep_sla_clocks

        self.timed("SLA sweeps (beat)", 0, lambda: sweep_sla_clocks.apply().get())

    def final_counts(self) -> dict[str, Any]:
        return {
            "order_states": dict(_state_counts()),
            "invoice_requests": InvoiceRequest.objects.count(),
            "invoices_issued": InvoiceRequest.objects.exclude(
                state__in=[InvoiceRequestState.REQUESTED, InvoiceRequestState.REJECTED]
            ).count(),
        }


def _state_counts() -> list[tuple[str, int]]:
    from django.db.models import Count

    return list(
        Order.objects.order_by()
        .values_list("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )


def _columns_values(obj: Any) -> tuple[list[str], list[Any]]:
    fields = [f for f in obj._meta.concrete_fields if not f.primary_key]
    return (
        [f.column for f in fields],
        [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields],
    )


def _confirm_floor(ids: list[int]) -> float:
    table = connection.ops.quote_name(Order._meta.db_table)
    now = timezone.now()

    def work(cursor: Any) -> None:
        for chunk in _chunks(ids):
            with transaction.atomic():
                cursor.execute(
                    f"UPDATE {table} SET state = %s, confirmed_at = %s WHERE id IN "  # noqa: S608
                    f"({', '.join(['%s'] * len(chunk))})",
                    [OrderState.CONFIRMED, now, *chunk],
                )

    return plain_sql_seconds(work)


def _release_floor(notes: list[tuple[int, int]]) -> float:
    notes_table = connection.ops.quote_name(DeliveryNote._meta.db_table)
    orders_table = connection.ops.quote_name(Order._meta.db_table)
    now = timezone.now()

    def work(cursor: Any) -> None:
        for chunk in _chunks(notes, 5000):
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"UPDATE {notes_table} SET state = %s, released_at = %s WHERE id IN ({marks})",  # noqa: S608
                [NoteState.RELEASED, now, *[n for n, _o in chunk]],
            )
            cursor.execute(
                f"UPDATE {orders_table} SET state = %s, released_at = %s WHERE id IN ({marks})",  # noqa: S608
                [OrderState.RELEASED, now, *[o for _n, o in chunk]],
            )

    return plain_sql_seconds(work)


def sla_shares() -> list[dict[str, Any]]:
    """For each SLA policy, the share of its clocks met (stopped in time, never marked
    breached), leaving out the clocks of orders that were parked as exceptions (and of
    their invoice requests): the target is every SLA met for the orders without one."""
    order_type = ContentType.objects.get_for_model(Order)
    request_type = ContentType.objects.get_for_model(InvoiceRequest)
    excepted = set(OrderException.objects.values_list("order_id", flat=True).distinct())
    excepted_requests = set(
        InvoiceRequest.objects.filter(order_id__in=excepted).values_list("pk", flat=True)
    )
    rows = []
    for policy in SlaPolicy.objects.order_by("code"):
        clocks = met = running = 0
        for type_id, object_id, stopped_at, due_at, breached_at in (
            SlaClock.objects.filter(policy=policy)
            .values_list("content_type_id", "object_id", "stopped_at", "due_at", "breached_at")
            .iterator(chunk_size=5000)
        ):
            if type_id == order_type.pk and object_id in excepted:
                continue
            if type_id == request_type.pk and object_id in excepted_requests:
                continue
            clocks += 1
            if stopped_at is None:
                running += 1
            elif breached_at is None and stopped_at <= due_at:
                met += 1
        if clocks:
            rows.append(
                {
                    "policy": policy.code,
                    "name": str(policy.name),
                    "clocks": clocks,
                    "met": met,
                    "running": running,
                    "share": round(met / clocks, 4) if clocks else None,
                }
            )
    return rows


def _allowed_host() -> str:
    hosts = [h for h in settings.ALLOWED_HOSTS if h and h != "*" and not h.startswith(".")]
    return hosts[0] if hosts else "localhost"
