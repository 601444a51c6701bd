"""Reads of orders, customers and channels for pages, the API and other apps."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from difflib import SequenceMatcher
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Max, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Left, Right, TruncDate
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.translation import gettext as _

from ecomops.accounts.roles import RoleCode
from ecomops.accounts.selectors import user_role_codes
from ecomops.calendar import add_working_days, working_days_between
from ecomops.compiled import compiled_read
from ecomops.sla.models import SlaClock
from ecomops.sla.selectors import annotate_sla
from listings.models import Sku, SkuState

from .models import (
    RUNNING_OPENING_STATES,
    BlacklistEntry,
    BlacklistKind,
    Channel,
    ChannelSkuMapping,
    Customer,
    CustomerChange,
    ExceptionCode,
    OpeningDocumentType,
    OpeningProcess,
    OpeningState,
    OpeningStepRecord,
    Order,
    OrderException,
    OrderImport,
    OrderState,
    ReviewDecision,
    ShopDocument,
    ShopOpening,
    StepPhase,
)

IDENTIFICATION_CLOCK = "customer_identification"
SALES_ORDER_CLOCK = "sales_order"
DELIVERY_NOTE_CLOCK = "delivery_note"
EXCEPTION_CLOCK = "order_exception"
# 发货回传时限: the channel's deadline for confirming shipment, counted from payment.
SHIPMENT_CONFIRMATION_CLOCK = "shipment_confirmation"
ORDER_CLOCKS = (IDENTIFICATION_CLOCK, SALES_ORDER_CLOCK, DELIVERY_NOTE_CLOCK)

# Candidates scoring below this are not worth the rep's time.
CANDIDATE_MIN_SCORE = 0.35
CANDIDATE_LIMIT = 5


# --- Identification ----------------------------------------------------------------------


def _active_customers() -> QuerySet[Customer]:
    return Customer.objects.filter(merged_into__isnull=True)


def exact_customer_match(data: dict[str, Any]) -> Customer | None:
    """The customer an order's details identify beyond doubt, or None.

    A credit code (companies) or ID number (individuals) names one customer. A phone
    number does when exactly one customer has it and that customer's own code or ID does
    not contradict the order's.
    """
    return exact_customer_matches([data])[0]


def _match_keys(data: dict[str, Any]) -> tuple[str, str, str]:
    return data.get("credit_code") or "", data.get("id_number") or "", data.get("phone") or ""


def exact_customer_matches(datas: list[dict[str, Any]]) -> list[Customer | None]:
    """``exact_customer_match`` for many orders' customer details, in one read."""
    keys = [_match_keys(data) for data in datas]
    codes = {k[0] for k in keys if k[0]}
    ids = {k[1] for k in keys if k[1]}
    phones = {k[2] for k in keys if k[2]}
    if not (codes or ids or phones):
        return [None] * len(datas)
    by_key: dict[tuple[str, str], list[Customer]] = defaultdict(list)
    named = {"credit_code": sorted(codes), "id_number": sorted(ids), "phone": sorted(phones)}
    longest = max(len(values) for values in named.values())
    for start in range(0, longest, 2000):
        part = {name: values[start : start + 2000] for name, values in named.items()}
        for row in _customers_matching.rows(**part):
            customer = Customer.from_db(_customers_matching.using, _CUSTOMER_COLUMNS, row)
            for field_name in named:
                value = getattr(customer, field_name)
                if value:
                    by_key[(field_name, value)].append(customer)
    return [_exact_match(data, key, by_key) for data, key in zip(datas, keys, strict=True)]


_CUSTOMER_COLUMNS = [f.attname for f in Customer._meta.concrete_fields]


@compiled_read()
def _customers_matching(
    *, credit_code: list[str], id_number: list[str], phone: list[str]
) -> QuerySet[Customer]:
    """The active customers with one of these credit codes, ID numbers or phones."""
    query = Q()
    for field_name, values in (
        ("credit_code", credit_code),
        ("id_number", id_number),
        ("phone", phone),
    ):
        if values:
            query |= Q(**{f"{field_name}__any": values})  # one parameter a set (AnyOf)
    return _active_customers().filter(query).order_by().values_list(*_CUSTOMER_COLUMNS)


def _exact_match(
    data: dict[str, Any],
    key: tuple[str, str, str],
    by_key: dict[tuple[str, str], list[Customer]],
) -> Customer | None:
    credit_code, id_number, phone = key
    if not (credit_code or id_number or phone):
        return None
    found_by_pk: dict[int, Customer] = {}
    for field_name, value in (
        ("credit_code", credit_code),
        ("id_number", id_number),
        ("phone", phone),
    ):
        if value:
            for customer in by_key.get((field_name, value), ()):
                found_by_pk[customer.pk] = customer
    # The first 20 customers any of the details names, as one query would see them.
    found = [found_by_pk[pk] for pk in sorted(found_by_pk)][:20]
    if credit_code:
        by_code = [c for c in found if c.credit_code == credit_code]
        if len(by_code) == 1:
            return by_code[0]
    if id_number:
        by_id = [c for c in found if c.id_number == id_number]
        if len(by_id) == 1:
            return by_id[0]
    by_phone = [c for c in found if phone and c.phone == phone]
    if len(by_phone) != 1:
        return None
    candidate = by_phone[0]
    if credit_code and candidate.credit_code and candidate.credit_code != credit_code:
        return None
    if id_number and candidate.id_number and candidate.id_number != id_number:
        return None
    if data.get("kind") and candidate.kind != data.get("kind"):
        return None
    return candidate


@dataclass
class Candidate:
    customer: Customer
    score: float
    reasons: list[str] = field(default_factory=list)

    @property
    def percent(self) -> int:
        return round(self.score * 100)


def _similarity(a: str, b: str) -> float:
    a, b = (a or "").strip().lower(), (b or "").strip().lower()
    if not a or not b:
        return 0.0
    return SequenceMatcher(None, a, b).ratio()


def identification_candidates(order: Order, limit: int = CANDIDATE_LIMIT) -> list[Candidate]:
    """Customers who may be the order's, best first: name, phone and address similarity.

    Scores: name 50%, phone 30% (full number, or the last four digits for half), address
    20%. Looked for among customers sharing the phone, the name, its first two characters
    in the same city, or the street address.
    """
    data = order.customer_data or {}
    name = data.get("name") or order.receiver_name
    phone = data.get("phone") or order.receiver_phone
    street = data.get("street_address") or order.ship_street
    city = data.get("city") or order.ship_city
    address = (
        "".join(data.get(k) or "" for k in ("province", "city", "district", "street_address"))
        or order.ship_address
    )
    # Each way in is an index (Customer.Meta): the last four digits and the name's first
    # two characters are compared as expressions, not with LIKE.
    query = Q(name=name)
    if phone:
        query |= Q(phone=phone)
        if len(phone) >= 4:
            query |= Q(Exact(Right("phone", 4), phone[-4:]))
        else:
            query |= Q(phone__endswith=phone)
    if street:
        query |= Q(street_address=street)
    if len(name) >= 2 and city:
        query |= Q(Exact(Left("name", 2), name[:2]), city=city)
    pool = _active_customers().filter(query).order_by("pk")[:200]
    ranked: list[Candidate] = []
    for customer in pool:
        reasons: list[str] = []
        name_score = _similarity(name, customer.name)
        if name_score >= 0.5:
            reasons.append(_("name %(percent)d%% alike") % {"percent": round(name_score * 100)})
        phone_score = 0.0
        if phone and customer.phone == phone:
            phone_score = 1.0
            reasons.append(_("same phone"))
        elif phone and customer.phone and customer.phone[-4:] == phone[-4:]:
            phone_score = 0.5
            reasons.append(_("phone ends the same"))
        address_score = _similarity(address, customer.address)
        if address_score >= 0.6:
            reasons.append(
                _("address %(percent)d%% alike") % {"percent": round(address_score * 100)}
            )
        score = 0.5 * name_score + 0.3 * phone_score + 0.2 * address_score
        if score >= CANDIDATE_MIN_SCORE:
            ranked.append(Candidate(customer, round(score, 3), reasons))
    ranked.sort(key=lambda c: (-c.score, c.customer.pk))
    return ranked[:limit]


# --- Orders ------------------------------------------------------------------------------


def _orders() -> QuerySet[Order]:
    return Order.objects.select_related("channel", "customer")


def identification_queue() -> QuerySet[Order]:
    """Orders waiting for their customer, least time left first."""
    return annotate_sla(_orders().filter(state=OrderState.RECEIVED), IDENTIFICATION_CLOCK).order_by(
        "sla_due_at", "pk"
    )


def confirmation_queue() -> QuerySet[Order]:
    """Identified orders the rep checks and confirms, least time left first."""
    return annotate_sla(_orders().filter(state=OrderState.IDENTIFIED), SALES_ORDER_CLOCK).order_by(
        "sla_due_at", "pk"
    )


def on_hold_orders() -> QuerySet[Order]:
    return _orders().filter(state=OrderState.ON_HOLD).order_by("accepted_at", "pk")


def queue_late_count(code: str = IDENTIFICATION_CLOCK) -> int:
    """Running ``code`` clocks already overdue (red on the rep's home page)."""
    return SlaClock.objects.filter(
        policy__code=code,
        stopped_at__isnull=True,
        due_at__lt=timezone.now(),
    ).count()


def order_search(
    *,
    q: str = "",
    channel_id: int | None = None,
    state: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
    customer_id: int | None = None,
) -> QuerySet[Order]:
    """Orders by number, channel order number, phone or name; channel, state, accepted date."""
    qs = _orders()
    q = q.strip()
    if q:
        qs = qs.filter(
            Q(number__iexact=q)
            | Q(external_id=q)
            | Q(receiver_phone=q)
            | Q(customer__phone=q)
            | Q(receiver_name__icontains=q)
            | Q(customer__name__icontains=q)
        )
    if channel_id:
        qs = qs.filter(channel_id=channel_id)
    if state:
        qs = qs.filter(state=state)
    tz = timezone.get_current_timezone()
    if date_from:
        qs = qs.filter(accepted_at__gte=datetime.combine(date_from, datetime.min.time(), tz))
    if date_to:
        end = datetime.combine(date_to + timedelta(days=1), datetime.min.time(), tz)
        qs = qs.filter(accepted_at__lt=end)
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    return qs.order_by("-accepted_at", "-pk")


def order_detail(pk: int) -> Order:
    return _orders().prefetch_related("lines__sku", "pushes", "platform_events").get(pk=pk)


# --- Customers ---------------------------------------------------------------------------


def customer_search(q: str = "", kind: str = "") -> QuerySet[Customer]:
    qs = _active_customers().annotate(
        order_count=Count("orders"), last_order_at=Max("orders__accepted_at")
    )
    q = q.strip()
    if q:
        qs = qs.filter(
            Q(name__icontains=q) | Q(phone=q) | Q(id_number=q.upper()) | Q(credit_code=q.upper())
        )
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("name", "pk")


def customer_detail(pk: int) -> Customer:
    return Customer.objects.select_related("merged_into").get(pk=pk)


def customer_orders(customer: Customer) -> QuerySet[Order]:
    return _orders().filter(customer=customer).order_by("-accepted_at", "-pk")


def customer_history(customer: Customer) -> QuerySet[CustomerChange]:
    return customer.changes.select_related("changed_by").order_by("-changed_at", "-pk")


def customer_figures(customer: Customer) -> dict[str, Any]:
    """Orders, repeat purchases and spend of a customer (cancelled orders left out)."""
    figures = (
        Order.objects.filter(customer=customer)
        .exclude(state=OrderState.CANCELLED)
        .aggregate(orders=Count("pk"), spent=Sum("total_amount"), last=Max("accepted_at"))
    )
    orders = figures["orders"] or 0
    return {
        "orders": orders,
        "repeat_purchases": max(orders - 1, 0),
        "spent": figures["spent"] or 0,
        "last_order_at": figures["last"],
    }


def repeat_customers(min_orders: int = 2) -> QuerySet[Customer]:
    """Customers with ``min_orders`` orders or more (cancelled ones not counted)."""
    return (
        _active_customers()
        .annotate(
            order_count=Count("orders", filter=~Q(orders__state=OrderState.CANCELLED)),
            spent=Sum("orders__total_amount", filter=~Q(orders__state=OrderState.CANCELLED)),
            last_order_at=Max("orders__accepted_at"),
        )
        .filter(order_count__gte=min_orders)
        .order_by("-order_count", "name")
    )


def merge_targets(customer: Customer) -> QuerySet[Customer]:
    """Customers a duplicate could be merged into: same kind, not itself."""
    return _active_customers().filter(kind=customer.kind).exclude(pk=customer.pk)


# --- Channels and imports ----------------------------------------------------------------


def channels() -> QuerySet[Channel]:
    return (
        Channel.objects.select_related("opening")
        .annotate(mapping_count=Count("sku_mappings", distinct=True))
        .order_by("code")
    )


def channel_mappings(channel: Channel) -> QuerySet[ChannelSkuMapping]:
    return channel.sku_mappings.select_related("sku").order_by("outer_id")


def imports_recent() -> QuerySet[OrderImport]:
    return OrderImport.objects.select_related("channel", "uploaded_by").order_by("-uploaded_at")[
        :20
    ]


def skus_to_map_to() -> QuerySet[Sku]:
    """The listed SKUs an unknown platform code may be mapped to, for the import's picker."""
    return Sku.objects.filter(state=SkuState.LISTED).only("code", "name").order_by("code")[:2000]


def previous_import(order_import: OrderImport) -> OrderImport | None:
    """The earlier import of the very same file into the same channel, if any."""
    return (
        OrderImport.objects.filter(
            channel=order_import.channel,
            file_sha256=order_import.file_sha256,
            state=OrderImport.State.IMPORTED,
        )
        .exclude(pk=order_import.pk)
        .order_by("imported_at")
        .first()
    )


# --- Figures -----------------------------------------------------------------------------


def orders_per_channel_per_day(days: int = 14) -> dict[str, Any]:
    """{"days": [date...], "series": [{"channel", "counts": [...]}], "max": n} for a chart."""
    today = timezone.localdate()
    first = today - timedelta(days=days - 1)
    tz = timezone.get_current_timezone()
    start = datetime.combine(first, datetime.min.time(), tz)
    rows = (
        Order.objects.filter(accepted_at__gte=start)
        .annotate(day=TruncDate("accepted_at", tzinfo=tz))
        .values("channel__name", "day")
        .annotate(n=Count("pk"))
        .order_by()
    )
    day_list = [first + timedelta(days=i) for i in range(days)]
    counts: dict[str, dict[date, int]] = defaultdict(dict)
    for row in rows:
        counts[row["channel__name"]][row["day"]] = row["n"]
    per_channel = {
        name: [by_day.get(d, 0) for d in day_list] for name, by_day in sorted(counts.items())
    }
    series = [{"channel": name, "counts": values} for name, values in per_channel.items()]
    totals = [sum(values[i] for values in per_channel.values()) for i in range(days)]
    return {"days": day_list, "series": series, "totals": totals, "max": max(totals or [0])}


def sla_met_rates(days: int = 14) -> list[dict[str, Any]]:
    """Per order clock: stopped clocks of the last ``days`` days, how many met, the share."""
    since = timezone.now() - timedelta(days=days)
    rows = (
        SlaClock.objects.filter(
            policy__code__in=ORDER_CLOCKS, stopped_at__isnull=False, started_at__gte=since
        )
        .values("policy__code", "policy__name")
        .annotate(
            clock_count=Count("pk"),
            late_count=Count("pk", filter=Q(breached_at__isnull=False)),
        )
        .order_by()
    )
    by_code = {row["policy__code"]: row for row in rows}
    result = []
    for code in ORDER_CLOCKS:
        row = by_code.get(code)
        if row is None:
            continue
        met = row["clock_count"] - row["late_count"]
        result.append(
            {
                "code": code,
                "name": row["policy__name"],
                "total": row["clock_count"],
                "met": met,
                "percent": round(100 * met / row["clock_count"]) if row["clock_count"] else 0,
            }
        )
    return result


# --- Shop opening (开店) -------------------------------------------------------------------

SHOP_APPROVAL_CLOCK = "shop_approval"


@dataclass(frozen=True)
class ReviewProgress:
    """Where the platform's review of the latest submission stands, in working days.

    ``elapsed_days`` is capped at ``total_days`` (for the bar); ``remaining_days`` goes
    negative once the answer is overdue; ``due_on`` is the day the SLA clock is due (at
    closing time).
    """

    submitted_on: date
    due_on: date
    total_days: int
    elapsed_days: int
    remaining_days: int
    percent: int
    overdue: bool

    @property
    def overdue_days(self) -> int:
        """Working days past the due day (at least 1 once overdue)."""
        return max(-self.remaining_days, 1) if self.overdue else 0


@dataclass(frozen=True)
class DocumentProblem:
    """Why the documents cannot be submitted yet: a required type ``missing``, or a
    current document ``expired`` (``document`` set)."""

    document_type: OpeningDocumentType
    problem: str  # "missing" | "expired"
    document: ShopDocument | None = None


def active_opening_processes() -> QuerySet[OpeningProcess]:
    return OpeningProcess.objects.filter(active=True).order_by("platform")


def opening_process_for(platform: str) -> OpeningProcess | None:
    """The active opening process of ``platform``, or None."""
    return active_opening_processes().filter(platform=platform).first()


def shop_openings(*, state: str = "") -> QuerySet[ShopOpening]:
    """Openings with their channel, process and shop manager, and their step counts:
    ``steps_total``, ``steps_done`` and ``setup_left`` (set-up items not done)."""
    qs = ShopOpening.objects.select_related("channel", "process", "owner").annotate(
        steps_total=Count("step_records", distinct=True),
        steps_done=Count(
            "step_records", filter=Q(step_records__done_at__isnull=False), distinct=True
        ),
        setup_left=Count(
            "step_records",
            filter=Q(step_records__phase=StepPhase.SETUP, step_records__done_at__isnull=True),
            distinct=True,
        ),
    )
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("-created_at", "-pk")


def shop_opening_detail(pk: int) -> ShopOpening:
    """One opening with its step records, every document (current and superseded), the
    platform's decisions and its process's document types, in a fixed number of queries."""
    return (
        ShopOpening.objects.select_related("channel", "process", "owner", "created_by")
        .prefetch_related(
            Prefetch(
                "step_records",
                queryset=OpeningStepRecord.objects.select_related("step", "done_by").order_by(
                    "position", "pk"
                ),
            ),
            Prefetch(
                "documents",
                queryset=ShopDocument.objects.select_related(
                    "document_type", "uploaded_by"
                ).order_by("document_type__position", "-uploaded_at", "-pk"),
            ),
            Prefetch(
                "decisions",
                queryset=ReviewDecision.objects.select_related("decided_by").order_by(
                    "decided_at", "pk"
                ),
            ),
            Prefetch(
                "process__document_types",
                queryset=OpeningDocumentType.objects.order_by("position", "pk"),
            ),
        )
        .get(pk=pk)
    )


def step_records(opening: ShopOpening, phase: str = "") -> list[OpeningStepRecord]:
    """The opening's step records in order (from the prefetch when there is one)."""
    records = sorted(opening.step_records.all(), key=lambda r: (r.position, r.pk))
    return [r for r in records if not phase or r.phase == phase]


def next_step(opening: ShopOpening, phase: str) -> OpeningStepRecord | None:
    """The first step of ``phase`` not done yet."""
    return next((r for r in step_records(opening, phase) if r.done_at is None), None)


def current_documents(opening: ShopOpening) -> dict[int, ShopDocument]:
    """The current (not superseded) document of each type, by document type id."""
    return {d.document_type_id: d for d in opening.documents.all() if d.superseded_at is None}


def document_problems(opening: ShopOpening, *, today: date | None = None) -> list[DocumentProblem]:
    """What keeps the documents from being submitted: each required type without a
    current document, and each current document that has run out by ``today`` (one
    expiring today included), in the process's order."""
    today = today or timezone.localdate()
    current = current_documents(opening)
    problems = []
    for document_type in sorted(
        opening.process.document_types.all(), key=lambda t: (t.position, t.pk)
    ):
        document = current.get(document_type.pk)
        if document is None:
            if document_type.required:
                problems.append(DocumentProblem(document_type, "missing"))
        elif document.expires_on is not None and document.expires_on <= today:
            problems.append(DocumentProblem(document_type, "expired", document))
    return problems


def review_due_on(opening: ShopOpening) -> date | None:
    """The last working day of the platform's review of the latest submission."""
    if opening.submitted_at is None:
        return None
    if opening.review_due_on is not None:
        return opening.review_due_on
    submitted_on = timezone.localtime(opening.submitted_at).date()
    return add_working_days(submitted_on, opening.process.review_working_days)


def shop_review_progress(
    opening: ShopOpening, *, today: date | None = None
) -> ReviewProgress | None:
    """The countdown and bar of an opening in review (None in any other state): working
    days from the submission day to ``today`` against the platform's review days."""
    if opening.state != OpeningState.IN_REVIEW or opening.submitted_at is None:
        return None
    today = today or timezone.localdate()
    submitted_on = timezone.localtime(opening.submitted_at).date()
    due_on = review_due_on(opening)
    if due_on is None:
        return None
    total = max(working_days_between(submitted_on, due_on), 1)
    elapsed = min(max(working_days_between(submitted_on, today), 0), total)
    remaining = working_days_between(today, due_on)
    return ReviewProgress(
        submitted_on=submitted_on,
        due_on=due_on,
        total_days=total,
        elapsed_days=elapsed,
        remaining_days=remaining,
        percent=min(100, elapsed * 100 // total),
        overdue=today > due_on,
    )


def running_shop_openings() -> QuerySet[ShopOpening]:
    return ShopOpening.objects.filter(state__in=RUNNING_OPENING_STATES)


def shop_openings_to_move_on_count() -> int:
    """Openings under way: each waits for the shop manager (a step, the documents, the
    platform's answers to record, the set-up checklist, opening the shop)."""
    return running_shop_openings().count()


def shop_reviews_overdue_count(*, today: date | None = None) -> int:
    """Openings whose platform answer is past its due day."""
    today = today or timezone.localdate()
    return ShopOpening.objects.filter(state=OpeningState.IN_REVIEW, review_due_on__lt=today).count()


def user_may_tick(user: Any, record: OpeningStepRecord) -> bool:
    """May ``user`` mark this set-up item done: a holder of its owner role, or a manager
    (``None`` is the system)."""
    if user is None:
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    codes = user_role_codes(user)
    return (
        bool(getattr(user, "is_superuser", False))
        or RoleCode.MANAGER in codes
        or record.owner_role in codes
    )


def setup_items_for_role(role: str) -> QuerySet[OpeningStepRecord]:
    """Set-up items ``role`` owns and has not done, in openings being set up."""
    return (
        OpeningStepRecord.objects.filter(
            phase=StepPhase.SETUP,
            owner_role=role,
            done_at__isnull=True,
            opening__state=OpeningState.SETTING_UP,
        )
        .select_related("opening", "opening__channel")
        .order_by("opening__approved_at", "opening_id", "position")
    )


def setup_items_count(role: str) -> int:
    return setup_items_for_role(role).count()


def documents_expiring(days: int, *, today: date | None = None) -> QuerySet[ShopDocument]:
    """Current documents of openings not abandoned that run out within ``days`` days of
    ``today`` (or already have), soonest first."""
    today = today or timezone.localdate()
    return (
        ShopDocument.objects.filter(
            superseded_at__isnull=True,
            expires_on__isnull=False,
            expires_on__lte=today + timedelta(days=days),
        )
        .exclude(opening__state=OpeningState.ABANDONED)
        .select_related("opening", "opening__channel", "opening__owner", "document_type")
        .order_by("expires_on", "pk")
    )


def documents_to_announce(*, until: date) -> QuerySet[ShopDocument]:
    """Current documents running out by ``until`` whose expiry nobody was told yet."""
    return (
        ShopDocument.objects.filter(
            superseded_at__isnull=True,
            expiry_notified_at__isnull=True,
            expires_on__isnull=False,
            expires_on__lte=until,
        )
        .exclude(opening__state=OpeningState.ABANDONED)
        .order_by("expires_on", "pk")
    )


def shop_document_for_download(pk: int) -> ShopDocument:
    return ShopDocument.objects.select_related("opening", "document_type").get(pk=pk)


def shop_opening_of_channel(channel: Channel) -> ShopOpening | None:
    """The channel's shop opening, or None when it was not opened here."""
    return ShopOpening.objects.filter(channel_id=channel.pk).select_related("process").first()


def shop_state_of_channel(channel: Channel) -> str | None:
    """The state of the channel's shop opening, or None when it was not opened here (read
    with the channel by ``channel_for_intake``, else now)."""
    if hasattr(channel, "shop_state"):
        return channel.shop_state
    return _latest_opening(channel.pk).values_list("state", flat=True).first()


def _latest_opening(channel_id: Any) -> QuerySet[ShopOpening]:
    return ShopOpening.objects.filter(channel_id=channel_id)


@compiled_read()
def _channel_for_intake(code: str) -> QuerySet[Channel]:
    latest = _latest_opening(OuterRef("pk")).values("state")[:1]
    entries = BlacklistEntry.objects.order_by().annotate(one=Value(1)).values("one")
    return (
        Channel.objects.annotate(
            shop_state=Subquery(latest),
            blacklist_count=Subquery(entries.annotate(n=Count("pk")).values("n")),
            blacklist_revisions=Subquery(entries.annotate(r=Sum("revision")).values("r")),
            blacklist_newest=Subquery(entries.annotate(m=Max("pk")).values("m")),
        )
        .filter(code=code)
        .order_by("pk")
        .values_list(*_CHANNEL_COLUMNS, *_CHANNEL_READ_WITH)[:1]
    )


_CHANNEL_COLUMNS = [f.attname for f in Channel._meta.concrete_fields]
_CHANNEL_READ_WITH = ("shop_state", "blacklist_count", "blacklist_revisions", "blacklist_newest")


def channel_for_intake(code: str) -> Channel | None:
    """The channel with this code, with its shop opening's state (``shop_state``) and the
    blacklist's stamp (``blacklist_stamp``, see ``Blacklist.current``) read in the same
    query: a push reads all three, and its SQL is built once per process."""
    rows = _channel_for_intake.rows(code=code)
    if not rows:
        return None
    row = rows[0]
    width = len(_CHANNEL_COLUMNS)
    channel = Channel.from_db(_channel_for_intake.using, _CHANNEL_COLUMNS, row[:width])
    shop_state, count, revisions, newest = row[width:]
    channel.shop_state = shop_state  # type: ignore[attr-defined]
    channel.blacklist_stamp = (count, revisions, newest)  # type: ignore[attr-defined]
    return channel


# --- The exception queue (异常订单) and the blacklist ---------------------------------------


def _address_key(text: str) -> str:
    return "".join(text.split())


class Blacklist:
    """The active blacklist, read once: kept by service staff, it is short.

    ``current(stamp)`` keeps one per process for the intake: ``stamp`` is what
    ``channel_for_intake`` reads with the channel (the number of entries, the sum of their
    revisions, the newest id), so an entry added, removed or corrected anywhere is seen by
    the next push in every process without a query of its own.
    """

    _kept: tuple[Any, Blacklist] | None = None

    @classmethod
    def forget(cls) -> None:
        """Drop the kept list (tests rolling their rows back)."""
        cls._kept = None

    @classmethod
    def current(cls, stamp: Any = None) -> Blacklist:
        """The blacklist as of ``stamp``; read now when no stamp is given."""
        if stamp is None:
            return cls()
        kept = cls._kept
        if kept is not None and kept[0] == stamp:
            return kept[1]
        blacklist = cls()
        cls._kept = (stamp, blacklist)
        return blacklist

    def __init__(self) -> None:
        self._by_value: dict[tuple[str, str], list[BlacklistEntry]] = defaultdict(list)
        self._addresses: dict[str, list[BlacklistEntry]] = defaultdict(list)
        for entry in BlacklistEntry.objects.filter(active=True).order_by("pk"):
            if entry.kind == BlacklistKind.ADDRESS:
                self._addresses[_address_key(entry.value)].append(entry)
            else:
                self._by_value[(entry.kind, entry.value)].append(entry)

    def hits(self, *, buyer_account: str, phones: set[str], address: str) -> list[BlacklistEntry]:
        """Entries matching the buyer account, one of the phones or the address (spaces
        ignored): buyer and phone entries first, each kind in the order they were added."""
        hits = [e for p in phones for e in self._by_value.get((BlacklistKind.PHONE, p), ())]
        if buyer_account:
            hits += self._by_value.get((BlacklistKind.BUYER, buyer_account), [])
        hits.sort(key=lambda entry: entry.pk)
        key = _address_key(address)
        if key:
            hits += self._addresses.get(key, [])
        return hits


def blacklist_hits(*, buyer_account: str, phones: set[str], address: str) -> list[BlacklistEntry]:
    """Active blacklist entries matching the buyer account, one of the phones or the address
    (spaces ignored)."""
    return Blacklist().hits(buyer_account=buyer_account, phones=phones, address=address)


def duplicate_window_hours() -> int:
    return int(getattr(settings, "ORDERS_DUPLICATE_WINDOW_HOURS", 24))


def goods_key(lines: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """The goods of a payload as (code as sent, quantity), in one order."""
    return sorted((str(line.get("sku", "")), int(line.get("quantity") or 0)) for line in lines)


@dataclass
class OrderSeen:
    """What the duplicate check compares of an order already in (or earlier in a batch)."""

    pk: int
    number: str
    external_id: str
    phone: str
    buyer_account: str
    address_key: str
    goods: list[tuple[str, int]]
    placed_at: datetime

    @classmethod
    def of_row(cls, row: tuple[Any, ...]) -> OrderSeen:
        """From a row of ``_SEEN``'s columns."""
        pk, number, external_id, phone, payload, *address, placed_at, _state = row
        payload = payload or {}
        return cls(
            pk=pk,
            number=number,
            external_id=external_id,
            phone=phone,
            buyer_account=payload.get("buyer_account", ""),
            address_key=_address_key("".join(address)),
            goods=goods_key(payload.get("lines") or []),
            placed_at=placed_at,
        )


def payload_time(value: str | None) -> datetime | None:
    """A payload's ISO time, or None when missing or unreadable (the checks report it)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


_IN_CHUNK = 2000  # values per IN (...): SQLite takes at most 32,766 parameters a statement


_SEEN = (
    "pk",
    "number",
    "external_id",
    "receiver_phone",
    "payload",
    "ship_province",
    "ship_city",
    "ship_district",
    "ship_street",
    "placed_at",
    "state",
)


@compiled_read(channel_id=int, earliest=datetime, latest=datetime)
def _orders_seen(
    *,
    channel_id: int,
    phones: list[str],
    accounts: list[str],
    external_ids: list[str],
    earliest: datetime,
    latest: datetime,
) -> QuerySet[Order]:
    """The orders of a channel that are ``external_ids`` or, placed between ``earliest`` and
    ``latest`` and not cancelled, went to one of ``phones`` or ``accounts``.

    Each set is one parameter (``__any``) matched through its two-column index with the
    channel (``Order.Meta.indexes``): a page's 500 phones as an ``IN`` list looked, to a
    planner without statistics, like more rows than the channel's own index, and every
    page read the whole channel."""
    same_buyer = Q(pk__in=[])
    if phones:
        same_buyer |= Q(receiver_phone__any=phones)
    if accounts:
        same_buyer |= Q(buyer_account__any=accounts)
    window = Q(placed_at__gte=earliest, placed_at__lte=latest) & ~Q(state=OrderState.CANCELLED)
    wanted = same_buyer & window
    if external_ids:
        wanted |= Q(external_id__any=external_ids)
    return (
        Order.objects.alias(buyer_account=KT("payload__buyer_account"))
        .filter(wanted, channel_id=channel_id)
        .order_by()
        .values_list(*_SEEN)
    )


class DuplicateFinder:
    """Possible duplicates of orders about to be accepted into ``channel`` (issue 20 §3):
    orders of the channel (not cancelled) placed within the duplicate window by the same
    buyer account or phone, to the same address, for the same goods. The orders already in
    that could match are read once for all of them; ``add`` makes an order accepted since
    a candidate for the ones after it."""

    def __init__(
        self,
        *,
        channel: Channel,
        phones: set[str],
        buyer_accounts: set[str],
        placed: tuple[datetime, datetime] | None,
        external_ids: Iterable[str] = (),
    ) -> None:
        """``external_ids``: also read the orders of ``channel`` already in with these ids
        (``orders_in``) in the same query, as a page of pushes needs both."""
        self.window = timedelta(hours=duplicate_window_hours())
        self._by_phone: dict[str, list[OrderSeen]] = defaultdict(list)
        self._by_account: dict[str, list[OrderSeen]] = defaultdict(list)
        self.orders_in: dict[str, Order] = {}
        ids = sorted({e for e in external_ids if e})
        wanted_ids = set(ids)
        if placed is None or not (phones or buyer_accounts):
            phones, buyer_accounts, placed = set(), set(), (timezone.now(), timezone.now())
        self._earliest, self._latest = placed[0] - self.window, placed[1] + self.window
        phone_list, account_list = sorted(phones), sorted(buyer_accounts)
        seen: dict[int, OrderSeen] = {}
        already_in: list[int] = []
        for start in range(0, max(len(phone_list), len(account_list), len(ids)), _IN_CHUNK):
            part = slice(start, start + _IN_CHUNK)
            rows = _orders_seen.rows(
                channel_id=channel.pk,
                phones=phone_list[part],
                accounts=account_list[part],
                external_ids=ids[part],
                earliest=self._earliest,
                latest=self._latest,
            )
            for row in rows:
                order = OrderSeen.of_row(row)
                if order.external_id in wanted_ids:
                    already_in.append(order.pk)
                if order.pk not in seen and self._candidate(order, row, phones, buyer_accounts):
                    seen[order.pk] = order
        for order_seen in sorted(seen.values(), key=lambda o: o.pk):
            self.add(order_seen)
        if already_in:  # a repeat push: answered with the whole order
            self.orders_in = {
                o.external_id: o for o in Order.objects.filter(pk__in=already_in).order_by()
            }

    @classmethod
    def for_payloads(
        cls, channel: Channel, payloads: list[Any], *, external_ids: Iterable[str] = ()
    ) -> DuplicateFinder:
        """The finder for these (canonical) payloads: their phones, buyer accounts and
        placing times."""
        placed = [t for p in payloads if (t := payload_time(p["placed_at"]))]
        return cls(
            channel=channel,
            phones={p["shipping_address"]["phone"] for p in payloads} - {""},
            buyer_accounts={p.get("buyer_account", "") for p in payloads} - {""},
            placed=(min(placed), max(placed)) if placed else None,
            external_ids=external_ids,
        )

    def _candidate(
        self, order: OrderSeen, row: tuple[Any, ...], phones: set[str], buyer_accounts: set[str]
    ) -> bool:
        """Read for its external id, is ``order`` also a possible duplicate's original?"""
        return (
            row[-1] != OrderState.CANCELLED
            and self._earliest <= order.placed_at <= self._latest
            and (
                order.phone in phones
                or (bool(order.buyer_account) and order.buyer_account in buyer_accounts)
            )
        )

    def add(self, order: OrderSeen) -> None:
        if order.phone:
            self._by_phone[order.phone].append(order)
        if order.buyer_account:
            self._by_account[order.buyer_account].append(order)

    def find(
        self,
        *,
        buyer_account: str,
        phone: str,
        address: str,
        goods: list[tuple[str, int]],
        placed_at: datetime,
        external_id: str,
        before_pk: int | None = None,
    ) -> list[OrderSeen]:
        """The possible duplicates, the first received first. ``before_pk``: only orders
        received before that one."""
        same_buyer = {o.pk: o for o in self._by_phone.get(phone, ())} if phone else {}
        if buyer_account:
            same_buyer.update((o.pk, o) for o in self._by_account.get(buyer_account, ()))
        candidates = [
            order
            for pk, order in sorted(same_buyer.items())
            if abs(order.placed_at - placed_at) <= self.window
            and order.external_id != external_id
            and (before_pk is None or pk < before_pk)
        ][:50]
        key = _address_key(address)
        return [o for o in candidates if o.address_key == key and o.goods == goods]


def open_reasons_of(order_ids: list[int]) -> dict[int, list[OrderException]]:
    """The open exception reasons of each order (first found first), in one query."""
    found: dict[int, list[OrderException]] = {order_id: [] for order_id in order_ids}
    if order_ids:
        for reason in OrderException.objects.filter(
            order_id__in=order_ids, resolved_at__isnull=True
        ).order_by("pk"):
            found[reason.order_id].append(reason)
    return found


def exception_queue() -> QuerySet[Order]:
    """Parked orders with their open reasons, sorted by time left on their clock."""
    open_reasons = OrderException.objects.filter(resolved_at__isnull=True).order_by("pk")
    return (
        annotate_sla(Order.objects.filter(state=OrderState.EXCEPTION), EXCEPTION_CLOCK)
        .select_related("channel")
        .prefetch_related(Prefetch("exceptions", queryset=open_reasons, to_attr="open_reasons"))
        .order_by(F("sla_due_at").asc(nulls_last=True), "pk")
    )


def exception_queue_count() -> int:
    return Order.objects.filter(state=OrderState.EXCEPTION).count()


def exception_queue_late_count() -> int:
    return queue_late_count(EXCEPTION_CLOCK)


def open_exceptions(order: Order) -> QuerySet[OrderException]:
    return order.exceptions.filter(resolved_at__isnull=True).order_by("pk")


def parked_orders_waiting_for_code(*, channel: Channel, code: str) -> QuerySet[Order]:
    """Parked orders of ``channel`` with an open unknown/unlisted SKU reason on ``code``.

    The code each reason points at is compared in SQL (the payload's ``lines[i].sku``), one
    query per line position among the open reasons: a mapping made from a long queue does
    not read every parked order's payload."""
    waiting = OrderException.objects.filter(
        resolved_at__isnull=True,
        code__in=[ExceptionCode.SKU_UNKNOWN, ExceptionCode.SKU_NOT_LISTED],
        order__channel=channel,
        order__state=OrderState.EXCEPTION,
    ).values_list("order_id", "field")
    by_index: dict[int, set[int]] = defaultdict(set)
    for order_id, path in waiting:
        index = _line_index(path)
        if index is not None:
            by_index[index].add(order_id)
    ids: set[int] = set()
    for index, order_ids in by_index.items():
        ids.update(
            Order.objects.filter(
                pk__in=order_ids, **{f"payload__lines__{index}__sku": code}
            ).values_list("pk", flat=True)
        )
    return Order.objects.filter(pk__in=ids).order_by("pk")


def _line_index(path: str) -> int | None:
    if not path.startswith("lines["):
        return None
    try:
        return int(path[len("lines[") : path.index("]")])
    except ValueError:
        return None


def blacklist_entries(*, active: bool = True) -> QuerySet[BlacklistEntry]:
    return BlacklistEntry.objects.filter(active=active).select_related("added_by", "removed_by")
