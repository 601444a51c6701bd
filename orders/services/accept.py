"""Accepting orders into the company: one push, or a batch of them at once (DESIGN §5).

``orders_intake`` takes the payloads of one channel (a connector's page of orders, a platform
export being imported) and answers for each exactly what ``order_intake`` would have for it
alone: created, parked in the exception queue with its reasons, the same order again, a
conflict with the order accepted before, or refused with every bad field. It does so
set-based: the checks read the catalogue, the blacklist, the orders already in and the
customers once for the batch (``intake.IntakeContext``), and the orders, their lines, the
pushes, the reasons, the state log and the SLA clocks are each written by one insert per
chunk. ``order_intake`` is the batch of one.

A batch is all or nothing only as far as the database goes: an order refused for its data
does not stop the others (the caller decides, as the import does, whether one refusal fails
the file). Two batches carrying the same external id at the same moment create one order:
the (channel, external id) constraint refuses the second insert, and that batch is answered
again against the order now in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm_log.models import StateLog

from ecomops import rows
from ecomops.accounts.selectors import acting_user
from ecomops.errors import ApplicationError, PermissionDeniedError
from ecomops.fsm import transition
from ecomops.gcpause import collector_paused
from ecomops.money import to_money
from ecomops.numbering.services import next_number, next_numbers
from ecomops.sla.services import ClockStart, sla_clocks_start_all
from listings.models import Sku

from ..models import (
    Channel,
    Customer,
    Order,
    OrderException,
    OrderLine,
    OrderPush,
    OrderSource,
    OrderState,
)
from ..selectors import (
    DuplicateFinder,
    exact_customer_matches,
    payload_time,
)
from .clocks import (
    EXCEPTION_CLOCK,
    IDENTIFICATION_CLOCK,
    SALES_ORDER_CLOCK,
    clocks_on_identified,
    confirmation_clock_starts,
)
from .intake import (
    IntakeConflict,
    IntakeContext,
    IntakeError,
    IntakeResult,
    OrderPayload,
    Reason,
    SkuResolver,
    _Prepared,
    _text,
    canonical_payload,
    check_channel,
    differing_fields,
    duplicate_reasons,
    order_seen,
    payload_hash,
    prepare_order,
)
from .order_money import OrderMoney

# Rows per INSERT: large enough to amortize the round trip, small enough for SQLite's
# variable limit and a bounded statement.
_CHUNK = 1000


@dataclass
class IntakeOutcome:
    """What became of one payload of a batch, as the single push would answer it."""

    index: int
    external_id: str
    order: Order | None = None
    created: bool = False
    error: ApplicationError | None = None  # IntakeError (400) or IntakeConflict (409)
    reasons: list[Reason] = field(default_factory=list)  # parked: every reason found

    @property
    def status(self) -> str:
        if isinstance(self.error, IntakeConflict):
            return "conflict"
        if self.error is not None:
            return "refused"
        if not self.created:
            return "repeated"
        parked = self.order is not None and self.order.state == OrderState.EXCEPTION
        return "parked" if parked else "created"


@dataclass
class _New:
    index: int
    prepared: _Prepared
    placed_at: datetime
    customer: Customer | None = None
    order: Order | None = None


def order_intake(
    *,
    channel: Channel,
    data: OrderPayload,
    source: str = OrderSource.API,
    by: Any = None,
    resolver: SkuResolver | None = None,
) -> IntakeResult:
    """Accept one order from ``channel``; idempotent on (channel, external id).

    Raises ``IntakeError`` (400, every bad field), ``IntakeConflict`` (409, the fields that
    differ from the accepted order) or ``ChannelClosedError`` (409).
    """
    (outcome,) = orders_intake(
        channel=channel, payloads=[data], source=source, by=by, resolver=resolver
    )
    if outcome.error is not None or outcome.order is None:
        raise outcome.error or IntakeError(_("The order was not accepted."))
    return IntakeResult(order=outcome.order, created=outcome.created)


def order_key_in(*, channel: Channel, data: OrderPayload, by: Any) -> IntakeResult:
    """An order keyed in by service staff; one taken by phone has no channel order number,
    so it gets one of ours (MO + day + counter)."""
    if not by.has_perm("orders.key_in_order"):
        raise PermissionDeniedError(_("You are not allowed to key in orders."))
    if not _text(data.get("external_id")):
        data = {**data, "external_id": next_number("MO", width=5)}
    return order_intake(channel=channel, data=data, source=OrderSource.MANUAL, by=by)


def orders_intake(
    *,
    channel: Channel,
    payloads: Sequence[OrderPayload],
    source: str = OrderSource.API,
    by: Any = None,
    resolver: SkuResolver | None = None,
) -> list[IntakeOutcome]:
    """Accept a batch of orders from ``channel``: one outcome per payload, in their order.

    Raises ``ChannelClosedError`` (409) for the whole batch when the channel takes no orders.
    """
    check_channel(channel)
    with collector_paused():
        canonical = [canonical_payload(data) for data in payloads]
        digests = [payload_hash(payload) for payload in canonical]
        try:
            with transaction.atomic():
                return _intake(channel, payloads, canonical, digests, source, by, resolver)
        except IntegrityError:
            # A concurrent push of one of these external ids committed first: answer again,
            # now against the order it created.
            with transaction.atomic():
                return _intake(channel, payloads, canonical, digests, source, by, resolver)


def _intake(
    channel: Channel,
    payloads: Sequence[OrderPayload],
    canonical: list[OrderPayload],
    digests: list[str],
    source: str,
    by: Any,
    resolver: SkuResolver | None,
) -> list[IntakeOutcome]:
    outcomes = [
        IntakeOutcome(index=i, external_id=payload["external_id"])
        for i, payload in enumerate(canonical)
    ]
    # Staff keying an order in fix it on the form; only what the platform sends is parked.
    park = channel.parks_orders and source != OrderSource.MANUAL
    external_ids = [p["external_id"] for p in canonical]
    duplicates = None
    if park:  # the orders already in and the possible duplicates' originals: one read
        duplicates = DuplicateFinder.for_payloads(channel, canonical, external_ids=external_ids)
        accepted = dict(duplicates.orders_in)
    else:
        accepted = _accepted_already(channel, external_ids)
    first_of: dict[str, int] = {}
    new: list[int] = []
    again: list[int] = []  # answered against an order accepted before or earlier in the batch
    for i, payload in enumerate(canonical):
        external_id = payload["external_id"]
        if external_id in accepted or (external_id and external_id in first_of):
            again.append(i)
            continue
        if external_id:
            first_of[external_id] = i
        new.append(i)

    context = IntakeContext(channel, [canonical[i] for i in new], resolver, duplicates)
    taken: list[_New] = []
    for i in new:
        try:
            prepared = prepare_order(
                channel,
                payloads[i],
                park=park,
                context=context,
                canonical=canonical[i],
                digest=digests[i],
            )
        except IntakeError as exc:
            outcomes[i].error = exc
            continue
        taken.append(_New(index=i, prepared=prepared, placed_at=prepared.placed_at))

    _create_all(channel, taken, source=source, by=by, park=park)
    for item in taken:
        outcome = outcomes[item.index]
        outcome.order, outcome.created = item.order, True
        outcome.reasons = item.prepared.reasons
        if item.order is not None and item.order.external_id:
            accepted[item.order.external_id] = item.order
    _answer_again(
        [outcomes[i] for i in again],
        [(canonical[i], digests[i]) for i in again],
        accepted,
        source,
    )
    return outcomes


def _accepted_already(channel: Channel, external_ids: list[str]) -> dict[str, Order]:
    wanted = sorted({e for e in external_ids if e})
    found: dict[str, Order] = {}
    for start in range(0, len(wanted), _CHUNK):
        for order in Order.objects.filter(
            channel=channel, external_id__in=wanted[start : start + _CHUNK]
        ).order_by():
            found[order.external_id] = order
    return found


def _answer_again(
    outcomes: list[IntakeOutcome],
    sent: list[tuple[OrderPayload, str]],
    accepted: dict[str, Order],
    source: str,
) -> None:
    """The same order again (a repeat) or different content (a conflict), each recorded."""
    pushes = []
    for outcome, (payload, digest) in zip(outcomes, sent, strict=True):
        order = accepted.get(payload["external_id"])
        if order is None:  # its first push in this batch was refused: refuse this one too
            outcome.error = IntakeError(
                _("The order was not accepted."),
                {"fields": {"external_id": [_("The same order was refused above.")]}},
            )
            continue
        outcome.order = order
        conflict = order.payload_hash != digest
        fields = differing_fields(order.payload, payload) if conflict else []
        pushes.append(
            OrderPush(
                order=order,
                source=source,
                outcome=OrderPush.Outcome.CONFLICT if conflict else OrderPush.Outcome.REPEATED,
                payload_hash=digest,
                differing_fields=fields,
            )
        )
        if conflict:
            outcome.error = IntakeConflict(
                _(
                    "Order %(external_id)s was already accepted as %(number)s with different "
                    "content."
                )
                % {"external_id": order.external_id, "number": order.number},
                {
                    "fields": {path: [_("Differs from the accepted order.")] for path in fields},
                    "order": {"id": order.pk, "number": order.number},
                },
            )
    OrderPush.objects.bulk_create(pushes, batch_size=_CHUNK)


def _create_all(channel: Channel, taken: list[_New], *, source: str, by: Any, park: bool) -> None:
    """Write the accepted orders with everything that comes with them, set-based."""
    if not taken:
        return
    now = timezone.now()
    # Every read first, the day's number last: its row stays locked until the commit, so
    # concurrent intakes queue behind each other only for the inserts.
    unparked = [item for item in taken if not item.prepared.reasons]
    matches = exact_customer_matches([item.prepared.payload["customer"] for item in unparked])
    numbers = next_numbers("SO", len(taken), width=6)
    if park:
        # Orders earlier in the batch count as possible duplicates of later ones, as they
        # would have, pushed one by one.
        earlier = DuplicateFinder(channel=channel, phones=set(), buyer_accounts=set(), placed=None)
        for position, (item, number) in enumerate(zip(taken, numbers, strict=True)):
            payload = item.prepared.payload
            if payload["paid_at"] is not None or payload.get("cash_on_delivery"):
                item.prepared.reasons += duplicate_reasons(earlier, payload, item.placed_at)
            earlier.add(order_seen(-len(taken) + position, number, payload, item.placed_at))
    for item, customer in zip(unparked, matches, strict=True):
        if not item.prepared.reasons:  # not parked as a duplicate of an order just before
            item.customer = customer
    flowing = [item for item in taken if not item.prepared.reasons]
    actor = acting_user(by)
    for item, number in zip(taken, numbers, strict=True):
        item.order = _order(channel, item, number=number, source=source, actor=actor, now=now)
    orders = [item.order for item in taken if item.order is not None]
    rows.insert(orders, batch_size=_CHUNK)
    # What comes with the orders goes in with their clocks: one statement for a push.
    pushes = [
        OrderPush(
            order=order,
            source=source,
            outcome=OrderPush.Outcome.CREATED,
            payload_hash=order.payload_hash,
        )
        for order in orders
    ]
    parked = [item for item in taken if item.prepared.reasons]
    exceptions, clocks = _park_all(parked, now)
    lines = [line for item in flowing if item.order for line in _lines(item.order, item.prepared)]
    logs, flowing_clocks = _clocks_all(flowing, now)
    clocks += flowing_clocks + confirmation_clock_starts(channel, orders)
    sla_clocks_start_all(model=Order, starts=clocks, together=[pushes, exceptions, lines, logs])


def _order(
    channel: Channel, item: _New, *, number: str, source: str, actor: Any, now: datetime
) -> Order:
    prepared = item.prepared
    payload = prepared.payload
    shipping = payload["shipping_address"]
    invoice = payload["invoice"]
    state = OrderState.RECEIVED
    identified: dict[str, Any] = {}
    if prepared.reasons:
        state = OrderState.EXCEPTION
    elif item.customer is not None:
        state = OrderState.IDENTIFIED
        identified = {
            "customer": item.customer,
            "identified_at": now,
            "identified_automatically": True,
        }
    return Order(
        number=number,
        channel=channel,
        external_id=payload["external_id"],
        source=source,
        customer_data=payload["customer"],
        receiver_name=shipping["name"],
        receiver_phone=shipping["phone"],
        ship_province=shipping["province"],
        ship_city=shipping["city"],
        ship_district=shipping["district"],
        ship_street=shipping["street_address"],
        ship_postcode=shipping["postcode"],
        placed_at=item.placed_at,
        paid_at=payload_time(payload["paid_at"]),
        accepted_at=prepared.accepted_at,
        batch_date=prepared.batch.batch_date,
        batch_slot=prepared.batch.slot,
        ship_by=prepared.batch.ship_by,
        **(_money_columns(prepared.money) or {"total_amount": prepared.total}),
        needs_invoice=payload["needs_invoice"],
        invoice_kind=invoice.get("kind", ""),
        invoice_details=invoice,
        buyer_note=payload["buyer_note"],
        requested_carrier=payload.get("requested_carrier", ""),
        cash_on_delivery=payload.get("cash_on_delivery", False),
        payload=payload,
        payload_hash=prepared.payload_hash,
        created_by=actor,
        state=state,
        **identified,
    )


def _park_all(parked: list[_New], now: datetime) -> tuple[list[OrderException], list[ClockStart]]:
    """异常订单: kept with every reason found. Returns the reasons' rows and the exception
    queue's clocks, to be written with the others."""
    exceptions = [
        OrderException(
            order=item.order,
            code=reason.code,
            field=reason.field,
            message=reason.message[:500],
            found_at=now,
        )
        for item in parked
        for reason in item.prepared.reasons
    ]
    clocks = [
        ClockStart(EXCEPTION_CLOCK, item.order.pk, item.order.received_at)
        for item in parked
        if item.order
    ]
    return exceptions, clocks


def _clocks_all(flowing: list[_New], now: datetime) -> tuple[list[StateLog], list[ClockStart]]:
    """The identification clock from arrival; stopped at once for a customer matched
    automatically, whose sales order clock starts then (as ``identify_automatically``,
    with the state log row it writes). Returns the log rows and the clocks, to be written
    with the others."""
    orders = [item.order for item in flowing if item.order is not None]
    identified = [order for order in orders if order.state == OrderState.IDENTIFIED]
    clocks = [
        ClockStart(
            IDENTIFICATION_CLOCK,
            order.pk,
            order.received_at,
            now if order.state == OrderState.IDENTIFIED else None,
        )
        for order in orders
    ] + [ClockStart(SALES_ORDER_CLOCK, order.pk, now) for order in identified]
    if not identified:
        return [], clocks
    content_type = ContentType.objects.get_for_model(Order)
    logs = [
        StateLog(
            timestamp=now,
            by=None,
            source_state=OrderState.RECEIVED,
            state=OrderState.IDENTIFIED,
            transition="identify",
            content_type=content_type,
            object_id=order.pk,
            description=_automatic_match(),
        )
        for order in identified
    ]
    return logs, clocks


def _automatic_match() -> str:
    return _("Matched automatically on credit code, ID number or phone.")


def _money_columns(money: OrderMoney | None) -> dict[str, Decimal]:
    if money is None:
        return {}
    return {
        "goods_amount": money.goods,
        "discount_amount": money.discount,
        "shipping_fee": money.shipping,
        "total_amount": money.total,
        "paid_amount": money.paid,
    }


def _lines(order: Order, prepared: _Prepared) -> list[OrderLine]:
    payload = prepared.payload
    shares = prepared.money.shares if prepared.money is not None else ()
    skus: list[Sku] = prepared.skus
    return [
        OrderLine(
            order=order,
            position=index + 1,
            sku=sku,
            channel_sku_code=line["sku"],
            quantity=line["quantity"],
            unit_price=to_money(line["unit_price"]),
            list_price=listed,
            amount=to_money(to_money(line["unit_price"]) * line["quantity"]),
            discount_share=shares[index] if shares else Decimal("0.00"),
        )
        for index, (line, sku, listed) in enumerate(
            zip(payload["lines"], skus, prepared.list_prices, strict=True)
        )
    ]


def create_lines(order: Order, prepared: _Prepared) -> None:
    """The order's lines from a prepared payload with every SKU resolved, each with its
    share of the discount; the order's money follows the payload (a parked order's may
    have been corrected before its release)."""
    columns = _money_columns(prepared.money)
    changed = [name for name, value in columns.items() if getattr(order, name) != value]
    if changed:
        for name in changed:
            setattr(order, name, columns[name])
        order.save(update_fields=changed)
    OrderLine.objects.bulk_create(_lines(order, prepared))


def identify_automatically(order: Order, customer: Customer) -> None:
    now = timezone.now()
    transition(
        order,
        "identify",
        by=None,
        reason=_automatic_match(),
        update_fields=["customer", "identified_at", "identified_automatically"],
        customer=customer,
        at=now,
        automatic=True,
    )
    clocks_on_identified(order, at=now)
