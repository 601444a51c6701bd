"""Order intake: the one pipeline every channel's orders go through (DESIGN §5, Order).

A push from the API, a row group of a platform export and an order keyed in by service
staff all become the same *payload* (plain dict, see ``OrderPayload``) and go through
``order_intake``:

1. the payload is normalized and hashed; an order already accepted for (channel, external
   id) answers for it: the same payload returns that order, a different one is a conflict
   naming the fields that differ;
2. every business rule is checked at once (SKUs, prices, IDs and codes, quantities), and
   all errors are reported by field path (``lines[1].quantity``); nothing is stored;
3. the order is created with its cutoff batch (``ecomops.cutoffs.batch_for``), the
   customer identified when an exact match exists, and the SLA clocks started.

A channel whose ``intake_policy`` is *park* (the marketplaces: the buyer has paid) gets a
paid order that breaks only business rules (see ``Reason``) accepted in the ``exception``
state with every reason found, without lines; ``orders.services.exceptions`` re-checks it
and creates its lines when a person releases it. Structural errors stay refusals.

Two identical pushes at the same moment create one order: the (channel, external id)
constraint refuses the second insert, which then answers as a repeat.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Exists, F, FilteredRelation, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from ecomops.bounds import UNIT_PRICE_MAX, moment_window, validate_quantity
from ecomops.compiled import compiled_read
from ecomops.cutoffs import CutoffBatch, batch_for
from ecomops.errors import ApplicationError, ConflictError
from ecomops.money import to_money
from ecomops.validators import (
    normalize_credit_code,
    normalize_mobile,
    normalize_resident_id,
    validate_credit_code,
    validate_mobile,
    validate_postcode,
    validate_resident_id,
)
from listings.models import Sku, SkuPrice
from listings.selectors import PriceBook

from ..models import (
    BlacklistKind,
    Channel,
    ChannelSkuMapping,
    CustomerKind,
    InvoiceKind,
    OpeningState,
    Order,
)
from ..selectors import (
    Blacklist,
    DuplicateFinder,
    OrderSeen,
    duplicate_window_hours,
    goods_key,
    shop_state_of_channel,
)
from .order_money import OrderMoney, canonical_money, check_money

OrderPayload = dict[str, Any]
FieldErrors = dict[str, list[str]]

# Placed or paid more than this far in the future: the sender's clock is wrong.
FUTURE_SKEW = timedelta(minutes=5)
_LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")

CUSTOMER_KEYS = (
    "kind",
    "name",
    "phone",
    "email",
    "id_number",
    "credit_code",
    "contact_person",
    "postcode",
    "province",
    "city",
    "district",
    "street_address",
)
ADDRESS_KEYS = ("name", "phone", "province", "city", "district", "street_address", "postcode")
INVOICE_KEYS = ("kind", "title", "tax_id", "address_phone", "bank_account", "email")


class IntakeError(ApplicationError):
    """The order is refused: ``extra["fields"]`` lists every bad field with its reasons."""


class IntakeConflict(ConflictError):
    """An order with this external id was accepted with different content (HTTP 409)."""


class ChannelClosedError(ConflictError):
    """The channel does not accept orders (inactive, or its shop is not open yet)."""


@dataclass
class IntakeResult:
    order: Order
    created: bool


@dataclass(frozen=True)
class Reason:
    """A business rule an order breaks: refused (400) on most channels, parked on the
    marketplaces as an ``OrderException`` with this code."""

    code: str
    field: str
    message: str


@dataclass
class _Prepared:
    payload: OrderPayload  # canonical, JSON-ready
    payload_hash: str
    placed_at: datetime
    accepted_at: datetime
    batch: CutoffBatch
    skus: list[Sku] = field(default_factory=list)
    list_prices: list[Decimal] = field(default_factory=list)
    total: Decimal = Decimal("0.00")
    money: OrderMoney | None = None
    # Business rules broken, when the order may be parked (``park=True``); then ``skus``
    # and ``list_prices`` are incomplete and no lines can be created yet.
    reasons: list[Reason] = field(default_factory=list)


# --- Normalizing -------------------------------------------------------------------------


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _money_text(value: Any) -> str:
    try:
        return str(to_money(value))
    except (InvalidOperation, TypeError, ValueError):
        return _text(value)


def _when(value: Any) -> str | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return _text(value)


def normalize_phone(value: Any) -> str:
    """A mobile without +86 or separators; a landline (leading 0) as written."""
    text = _text(value)
    return normalize_mobile(text) if text and not text.startswith("0") else text


def canonical_payload(data: OrderPayload) -> OrderPayload:
    """The payload in one spelling: what is hashed, stored and compared on a repeat."""
    customer = data.get("customer") or {}
    shipping = data.get("shipping_address") or {}
    invoice = data.get("invoice") or {}
    canonical_customer = {key: _text(customer.get(key)) for key in CUSTOMER_KEYS}
    canonical_customer["phone"] = normalize_phone(customer.get("phone"))
    canonical_customer["id_number"] = normalize_resident_id(_text(customer.get("id_number")))
    canonical_customer["credit_code"] = normalize_credit_code(_text(customer.get("credit_code")))
    if not any(_text(shipping.get(key)) for key in ADDRESS_KEYS):
        # No separate shipping address: ship to the customer.
        shipping = {
            "name": customer.get("contact_person") or customer.get("name"),
            **{k: customer.get(k) for k in ADDRESS_KEYS if k != "name"},
        }
    canonical_shipping = {key: _text(shipping.get(key)) for key in ADDRESS_KEYS}
    canonical_shipping["phone"] = normalize_phone(shipping.get("phone"))
    needs_invoice = bool(data.get("needs_invoice"))
    canonical_invoice = {key: _text(invoice.get(key)) for key in INVOICE_KEYS}
    canonical_invoice["tax_id"] = normalize_credit_code(canonical_invoice["tax_id"])
    canonical: OrderPayload = {
        "external_id": _text(data.get("external_id")),
        "placed_at": _when(data.get("placed_at")),
        "paid_at": _when(data.get("paid_at")),
        "customer": canonical_customer,
        "lines": [
            {
                "sku": _text(line.get("sku")),
                "quantity": line.get("quantity"),
                "unit_price": _money_text(line.get("unit_price")),
            }
            for line in data.get("lines") or []
        ],
        "shipping_address": canonical_shipping,
        "needs_invoice": needs_invoice,
        "invoice": canonical_invoice if needs_invoice else {},
        "buyer_note": _text(data.get("buyer_note")),
    }
    # 买家会员名: only when sent, so payloads without it keep the hash they were accepted with.
    if _text(data.get("buyer_account")):
        canonical["buyer_account"] = _text(data.get("buyer_account"))
    # 指定快递 and 货到付款: only when asked for, for the same reason. Carrier codes are
    # compared without case by the carrier rules: one spelling here.
    if _text(data.get("requested_carrier")):
        canonical["requested_carrier"] = _text(data.get("requested_carrier")).upper()
    cash_on_delivery = data.get("cash_on_delivery") is True
    if cash_on_delivery:
        canonical["cash_on_delivery"] = True
    # Shipping, discount, paid and total, and the lines' discounts: only what differs from
    # their defaults, for the same reason (orders.services.order_money).
    canonical.update(canonical_money(data, canonical["lines"], paid=_paid(canonical)))
    return canonical


def _paid(payload: OrderPayload) -> bool:
    """Whether the buyer paid the platform: a cash-on-delivery order pays the courier, so
    its paid amount is 0 unless stated, whatever its ``paid_at``."""
    return payload["paid_at"] is not None and not payload.get("cash_on_delivery", False)


def payload_hash(payload: OrderPayload) -> str:
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(value, list):
        flat = {f"{prefix}.count": len(value)}
        for index, item in enumerate(value):
            flat.update(_flatten(item, f"{prefix}[{index}]"))
        return flat
    return {prefix: value}


def differing_fields(accepted: OrderPayload, pushed: OrderPayload) -> list[str]:
    """Field paths whose values differ between two canonical payloads (``lines[0].quantity``)."""
    a, b = _flatten(accepted), _flatten(pushed)
    paths = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
    # "lines.count" only adds something when no line path differs already.
    if any(p.startswith("lines[") for p in paths):
        paths = [p for p in paths if p != "lines.count"]
    return [p.replace("lines.count", "lines") for p in paths]


# --- Checking ----------------------------------------------------------------------------


class FieldErrorCollector:
    """Every error by field path; those from business rules also kept as ``reasons``
    (``reason()``, or ``add()`` inside ``with errors.as_reason(code)``)."""

    def __init__(self) -> None:
        self.fields: FieldErrors = {}
        self.reasons: list[Reason] = []
        self.structural = False
        self._reason_code: str | None = None

    def add(self, path: str, message: str) -> None:
        if self._reason_code is not None:
            self.reason(self._reason_code, path, message)
            return
        self.structural = True
        self.fields.setdefault(path, []).append(str(message))

    def reason(self, code: str, path: str, message: str) -> None:
        self.fields.setdefault(path, []).append(str(message))
        self.reasons.append(Reason(code=code, field=path, message=str(message)))

    @contextmanager
    def as_reason(self, code: str) -> Iterator[None]:
        previous, self._reason_code = self._reason_code, code
        try:
            yield
        finally:
            self._reason_code = previous

    def check(self, path: str, validator: Any, value: str) -> None:
        try:
            validator(value)
        except ValidationError as exc:
            for message in exc.messages:
                self.add(path, message)

    def required(self, path: str, value: str) -> bool:
        if not value:
            self.add(path, _("This field is required."))
            return False
        return True


def _check_phone(errors: FieldErrorCollector, path: str, phone: str, *, landline_ok: bool) -> None:
    if not errors.required(path, phone):
        return
    if landline_ok and _LANDLINE_RE.match(phone):
        return
    errors.check(path, validate_mobile, phone)


def _parse_time(errors: FieldErrorCollector, path: str, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        errors.add(path, _("Enter a date and time in ISO 8601, e.g. 2026-11-23T10:15:00+08:00."))
        return None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    if parsed > timezone.now() + FUTURE_SKEW:
        errors.add(path, _("This time is in the future."))
    elif parsed < moment_window()[0]:
        errors.add(path, _("This time is too long ago."))
        return None
    return parsed


_SKU_COLUMNS = [f.attname for f in Sku._meta.concrete_fields]
_SKU_WIDTH = len(_SKU_COLUMNS)


@compiled_read(channel_id=int)
def _listed_for_channel(*, channel_id: int, codes: list[str]) -> QuerySet[SkuPrice]:
    """The price rows of the listed SKUs that ``codes`` (as a channel sent them) name, by our
    code or by the channel's mapping: the SKU's columns, then (kind, valid from, pk, valid
    until, price), the code it was sent as when mapped, and whether our code is also an
    outer id the channel maps elsewhere."""
    mappings = ChannelSkuMapping.objects.filter(channel_id=channel_id)
    return PriceBook.listed_rows(
        Q(sku__code__in=codes) | Q(alias__outer_id__isnull=False),
        alias=FilteredRelation(
            "sku__channel_mappings",
            condition=Q(
                sku__channel_mappings__channel_id=channel_id,
                sku__channel_mappings__outer_id__in=codes,
            ),
        ),
        alias_of=F("alias__outer_id"),
        # Our own code that is also an outer id the channel maps elsewhere is that other
        # SKU, which may not be listed: looked up like an unknown code.
        shadowed=Exists(mappings.filter(outer_id=OuterRef("sku__code"))),
    ).values_list(
        *(f"sku__{name}" for name in _SKU_COLUMNS),
        "kind",
        "valid_from",
        "pk",
        "valid_until",
        "price",
        "alias_of",
        "shadowed",
    )


class SkuResolver:
    """Turns the codes a channel sends into orderable SKUs and their listed prices.

    A code is first looked up in the channel's mapping (platform outer ids), then taken as
    our own SKU code. The listed SKUs the codes name, directly or through the mapping, come
    with their price rows in one query (``listings.selectors.PriceBook``), so an import or a
    batch of pushes prices every line at its own instant without a query per order; only
    codes that name no listed SKU cost a second look (the mapping, then the SKU table).
    """

    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self._internal: dict[str, str] = {}  # sent code -> our SKU code, once looked up
        self._listed: dict[str, Sku] = {}
        self._known: set[str] = set()
        self._book = PriceBook()
        self._now = timezone.now()

    def mapping(self, codes: Iterable[str]) -> dict[str, str]:
        """Our SKU code for each sent code (itself when the channel maps it to nothing)."""
        codes = list(codes)
        self.load(codes)
        return {code: self._internal[code] for code in codes}

    def load(self, codes: Iterable[str]) -> None:
        """Read what the resolver needs for ``codes`` (sent codes): one query when they all
        name listed SKUs."""
        sent = {code for code in codes if code} - self._internal.keys()
        if not sent:
            return
        using = _listed_for_channel.using
        rows = [
            (Sku.from_db(using, _SKU_COLUMNS, row[:_SKU_WIDTH]), *row[_SKU_WIDTH:])
            for row in _listed_for_channel.rows(channel_id=self.channel.pk, codes=sorted(sent))
        ]
        self._listed.update(self._book.take_entries(row[:6] for row in rows))
        for sku, *_price, alias, _shadowed in rows:
            if alias is not None:
                self._internal[alias] = sku.code
        for sku, *_price, _alias, shadowed in rows:
            if sku.code in sent and not shadowed:
                self._internal.setdefault(sku.code, sku.code)
        unresolved = sent - self._internal.keys()
        if unresolved:
            self._internal.update(
                ChannelSkuMapping.objects.filter(
                    channel=self.channel, outer_id__in=unresolved
                ).values_list("outer_id", "sku__code")
            )
            for code in unresolved - self._internal.keys():
                self._internal[code] = code
            internal = {self._internal[code] for code in unresolved} - self._listed.keys()
            self._known |= set(Sku.objects.filter(code__in=internal).values_list("code", flat=True))
        self._known |= self._listed.keys()

    def resolve(
        self, codes: list[str], placed_at: datetime | None = None
    ) -> tuple[dict[str, Sku], dict[str, str], set[str]]:
        """(orderable SKU by sent code, internal code by sent code, codes that exist at all).

        Orderable means listed and priced now (we can ship it). ``placed_at`` is unused
        (kept for callers of before ``order_price``).
        """
        internal = self.mapping(codes)
        by_sent = {}
        for sent, code in internal.items():
            sku = self._listed.get(code)
            if sku is not None and self._book.price_at(sku.pk, self._now) is not None:
                by_sent[sent] = sku
        existing = {code for code in internal.values() if code in self._known}
        return by_sent, internal, existing

    def order_price(self, sku: Sku, placed_at: datetime) -> Decimal:
        """The listed price when the order was placed (a promotion then still counts), or
        today's price if it had none then."""
        price = None
        if placed_at < self._now - timedelta(minutes=1):
            price = self._book.price_at(sku.pk, placed_at)
        if price is None:
            price = self._book.price_at(sku.pk, self._now)
        if price is None:  # resolve() only answers SKUs priced now
            raise ValueError(f"SKU {sku.code} has no price")
        return price


class IntakeContext:
    """What the checks read besides the payload, read once for all the orders of a batch
    (an import, a page of a connector's pushes): the SKUs and their prices, the blacklist,
    and the orders already in that a new one could duplicate."""

    def __init__(
        self,
        channel: Channel,
        payloads: list[OrderPayload],
        resolver: SkuResolver | None = None,
        duplicates: DuplicateFinder | None = None,
    ) -> None:
        self.channel = channel
        self.resolver = resolver or SkuResolver(channel)
        self.resolver.load(line["sku"] for p in payloads for line in p["lines"] if line["sku"])
        self._payloads = payloads
        self._blacklist: Blacklist | None = None
        self._duplicates = duplicates

    @property
    def blacklist(self) -> Blacklist:
        if self._blacklist is None:
            self._blacklist = Blacklist.current(getattr(self.channel, "blacklist_stamp", None))
        return self._blacklist

    @property
    def duplicates(self) -> DuplicateFinder:
        if self._duplicates is None:
            self._duplicates = DuplicateFinder.for_payloads(self.channel, self._payloads)
        return self._duplicates


def check_customer(
    errors: FieldErrorCollector, customer: dict[str, str], prefix: str = "customer."
) -> None:
    """The rules of DESIGN §5 for a customer's master data, reported under ``prefix``."""
    kind = customer["kind"]
    if kind not in CustomerKind.values:
        errors.add(f"{prefix}kind", _('Give "individual" or "company".'))
        return
    # Marketplace exports hide or encrypt the buyer's name: a person asks for it.
    with errors.as_reason("address"):
        errors.required(f"{prefix}name", customer["name"])
    if kind == CustomerKind.INDIVIDUAL:
        with errors.as_reason("address"):
            _check_phone(errors, f"{prefix}phone", customer["phone"], landline_ok=False)
        if customer["id_number"]:
            errors.check(f"{prefix}id_number", validate_resident_id, customer["id_number"])
    else:
        if errors.required(f"{prefix}credit_code", customer["credit_code"]):
            errors.check(f"{prefix}credit_code", validate_credit_code, customer["credit_code"])
        errors.required(f"{prefix}contact_person", customer["contact_person"])
        _check_phone(errors, f"{prefix}phone", customer["phone"], landline_ok=True)
        errors.required(f"{prefix}street_address", customer["street_address"])
    if customer["postcode"]:
        errors.check(f"{prefix}postcode", validate_postcode, customer["postcode"])


def _check_shipping(errors: FieldErrorCollector, shipping: dict[str, str]) -> None:
    with errors.as_reason("address"):
        for key in ("name", "province", "city", "street_address"):
            errors.required(f"shipping_address.{key}", shipping[key])
        _check_phone(errors, "shipping_address.phone", shipping["phone"], landline_ok=True)
        if shipping["postcode"]:
            errors.check("shipping_address.postcode", validate_postcode, shipping["postcode"])


# Our carriers' codes (warehouse ``Carrier.code``): letters, digits, - and _.
REQUESTED_CARRIER_PATTERN = r"^[A-Za-z0-9_-]{1,20}$"
REQUESTED_CARRIER = re.compile(REQUESTED_CARRIER_PATTERN)


def _check_requested_carrier(errors: FieldErrorCollector, code: str) -> None:
    if code and not REQUESTED_CARRIER.match(code):
        errors.add(
            "requested_carrier",
            _("A carrier code: at most 20 letters, digits, - and _ (e.g. SF)."),
        )


def _check_invoice(errors: FieldErrorCollector, invoice: dict[str, str]) -> None:
    kind = invoice["kind"]
    if kind not in InvoiceKind.values:
        errors.add("invoice.kind", _('Give "ordinary" or "special".'))
        return
    errors.required("invoice.title", invoice["title"])
    if kind == InvoiceKind.SPECIAL:
        # 增值税专用发票: the buyer's full tax details are printed on it.
        if errors.required("invoice.tax_id", invoice["tax_id"]):
            errors.check("invoice.tax_id", validate_credit_code, invoice["tax_id"])
        errors.required("invoice.address_phone", invoice["address_phone"])
        errors.required("invoice.bank_account", invoice["bank_account"])
    elif invoice["tax_id"]:
        errors.check("invoice.tax_id", validate_credit_code, invoice["tax_id"])


def _check_lines(
    errors: FieldErrorCollector,
    channel: Channel,
    resolver: SkuResolver,
    lines: list[dict[str, Any]],
    at: Any,
) -> tuple[list[Sku], list[Decimal]]:
    if not lines:
        errors.add("lines", _("An order needs at least one line."))
        return [], []
    codes = [line["sku"] for line in lines if line["sku"]]
    by_sent, internal, existing = resolver.resolve(codes)
    skus: list[Sku] = []
    prices: list[Decimal] = []
    tolerance = channel.price_tolerance_percent
    for index, line in enumerate(lines):
        path = f"lines[{index}]"
        sent = line["sku"]
        sku = by_sent.get(sent)
        if not sent:
            errors.add(f"{path}.sku", _("This field is required."))
        elif sku is None and internal.get(sent) in existing:
            errors.reason(
                "sku_not_listed",
                f"{path}.sku",
                _("SKU %(code)s is not listed: it cannot be ordered.") % {"code": sent},
            )
        elif sku is None:
            errors.reason(
                "sku_unknown",
                f"{path}.sku",
                _(
                    "Unknown SKU %(code)s: neither one of our SKU codes nor mapped for "
                    "channel %(channel)s."
                )
                % {"code": sent, "channel": channel.code},
            )
        quantity = line["quantity"]
        try:
            validate_quantity(quantity)
        except ValidationError as exc:
            errors.add(f"{path}.quantity", exc.messages[0])
        try:
            unit_price = to_money(line["unit_price"])
        except (InvalidOperation, TypeError, ValueError):
            errors.add(f"{path}.unit_price", _("Enter an amount in yuan, e.g. 99.00."))
            continue
        if unit_price < 0:
            errors.add(f"{path}.unit_price", _("The unit price cannot be negative."))
            continue
        if unit_price > UNIT_PRICE_MAX:
            errors.add(
                f"{path}.unit_price",
                _("The unit price is more than %(max)s.") % {"max": f"{UNIT_PRICE_MAX:,}"},
            )
            continue
        if sku is None:
            continue
        listed = to_money(resolver.order_price(sku, at or timezone.now()))
        allowed = (listed * tolerance / 100).quantize(Decimal("0.01"))
        if abs(unit_price - listed) > allowed:
            errors.reason(
                "price",
                f"{path}.unit_price",
                _(
                    "The unit price %(price)s differs from the listed price %(listed)s by more "
                    "than the channel's tolerance of %(tolerance)s%%."
                )
                % {"price": unit_price, "listed": listed, "tolerance": tolerance.normalize()},
            )
        skus.append(sku)
        prices.append(listed)
    return skus, prices


def _check_blacklist(
    errors: FieldErrorCollector, payload: OrderPayload, blacklist: Blacklist
) -> None:
    shipping = payload["shipping_address"]
    phones = {p for p in (shipping["phone"], payload["customer"]["phone"]) if p}
    for entry in blacklist.hits(
        buyer_account=payload.get("buyer_account", ""), phones=phones, address=_address(payload)
    ):
        path = {
            BlacklistKind.BUYER: "buyer_account",
            BlacklistKind.PHONE: "shipping_address.phone",
            BlacklistKind.ADDRESS: "shipping_address",
        }[BlacklistKind(entry.kind)]
        errors.reason(
            "blacklist",
            path,
            _("%(kind)s %(value)s is on the blacklist: %(reason)s")
            % {"kind": entry.get_kind_display(), "value": entry.value, "reason": entry.reason},
        )


def _address(payload: OrderPayload) -> str:
    shipping = payload["shipping_address"]
    return "".join(shipping[k] for k in ("province", "city", "district", "street_address"))


def duplicate_reasons(
    finder: DuplicateFinder,
    payload: OrderPayload,
    placed_at: datetime,
    *,
    before_pk: int | None = None,
) -> list[Reason]:
    """The ``duplicate`` reasons of an order: one per order it may repeat."""
    return [
        Reason(
            code="duplicate",
            field="external_id",
            message=_(
                "Possibly the same order as %(number)s (%(external_id)s): same buyer, address "
                "and goods placed within %(hours)s hours."
            )
            % {
                "number": other.number,
                "external_id": other.external_id,
                "hours": duplicate_window_hours(),
            },
        )
        for other in finder.find(
            buyer_account=payload.get("buyer_account", ""),
            phone=payload["shipping_address"]["phone"],
            address=_address(payload),
            goods=goods_key(payload["lines"]),
            placed_at=placed_at,
            external_id=payload["external_id"],
            before_pk=before_pk,
        )
    ]


def order_seen(order_pk: int, number: str, payload: OrderPayload, placed_at: datetime) -> OrderSeen:
    """An order just accepted, as the duplicate check of the orders after it sees it."""
    return OrderSeen(
        pk=order_pk,
        number=number,
        external_id=payload["external_id"],
        phone=payload["shipping_address"]["phone"],
        buyer_account=payload.get("buyer_account", ""),
        address_key="".join(_address(payload).split()),
        goods=goods_key(payload["lines"]),
        placed_at=placed_at,
    )


def prepare_order(
    channel: Channel,
    data: OrderPayload,
    resolver: SkuResolver | None = None,
    *,
    park: bool = False,
    parked: Order | None = None,
    context: IntakeContext | None = None,
    canonical: OrderPayload | None = None,
    digest: str | None = None,
) -> _Prepared:
    """Check ``data`` against every rule; ``IntakeError`` lists all that is wrong.

    With ``park`` (a marketplace channel), a paid order breaking only business rules comes
    back with its ``reasons`` instead, checked against the blacklist and earlier orders
    too; ``parked`` is the order being re-checked (it is no duplicate of itself).
    ``context``: what was read for a batch of orders this one belongs to (``canonical``:
    ``data`` in its canonical form, and ``digest``: its ``payload_hash``, when the caller
    has them already).
    """
    payload = canonical if canonical is not None else canonical_payload(data)
    if context is None:
        context = IntakeContext(channel, [payload], resolver)
    errors = FieldErrorCollector()
    external_id = payload["external_id"]
    if errors.required("external_id", external_id) and len(external_id) > 64:
        errors.add("external_id", _("At most 64 characters."))
    if payload["placed_at"] is None:
        errors.add("placed_at", _("This field is required."))
    placed_at = _parse_time(errors, "placed_at", payload["placed_at"])
    paid_at = _parse_time(errors, "paid_at", payload["paid_at"])
    cash_on_delivery = payload.get("cash_on_delivery", False)
    if (
        paid_at is None
        and payload["paid_at"] is None
        and not channel.is_on_account
        and not cash_on_delivery
    ):
        errors.add("paid_at", _("Orders of a prepaid channel are accepted when paid."))
    _check_requested_carrier(errors, payload.get("requested_carrier", ""))
    check_customer(errors, payload["customer"])
    _check_shipping(errors, payload["shipping_address"])
    if payload["needs_invoice"]:
        _check_invoice(errors, payload["invoice"])
    skus, prices = _check_lines(errors, channel, context.resolver, payload["lines"], placed_at)
    money = check_money(errors, payload, paid=_paid(payload))
    # a cash-on-delivery order is accepted when placed: it may be parked like a paid one
    park = park and (paid_at is not None or cash_on_delivery) and not errors.structural
    if park and placed_at is not None:
        _check_blacklist(errors, payload, context.blacklist)
        for reason in duplicate_reasons(
            context.duplicates,
            payload,
            placed_at,
            before_pk=parked.pk if parked is not None else None,
        ):
            errors.reason(reason.code, reason.field, reason.message)
    if errors.fields and not park:
        raise IntakeError(_("The order was not accepted."), {"fields": errors.fields})
    if placed_at is None:  # reported above; keeps the type checker informed
        raise IntakeError(_("The order was not accepted."), {"fields": {"placed_at": []}})
    accepted_at = paid_at if paid_at is not None and not channel.is_on_account else placed_at
    total = sum(
        (to_money(line["unit_price"]) * line["quantity"] for line in payload["lines"]),
        Decimal("0.00"),
    )
    return _Prepared(
        payload=payload,
        payload_hash=digest if digest is not None else payload_hash(payload),
        placed_at=placed_at,
        accepted_at=accepted_at,
        batch=batch_for(accepted_at),
        skus=skus,
        list_prices=prices,
        total=money.total if money is not None else to_money(total),
        money=money,
        reasons=errors.reasons,
    )


def check_channel(channel: Channel) -> None:
    """A channel takes orders when it is active and, if its shop was opened here, the
    shop is open (a shop still in its opening has an inactive channel anyway; saying
    where the opening stands tells the sender why)."""
    shop_state = shop_state_of_channel(channel)
    if shop_state is not None and shop_state != OpeningState.OPEN:
        if shop_state == OpeningState.ABANDONED:
            message = _(
                "Channel %(channel)s does not accept orders: its shop opening was abandoned."
            )
        else:
            message = _(
                "Channel %(channel)s does not accept orders: its shop is not open yet (%(state)s)."
            )
        raise ChannelClosedError(
            message % {"channel": channel.code, "state": OpeningState(shop_state).label},
            {"channel": channel.code, "shop_state": shop_state},
        )
    if not channel.active:
        raise ChannelClosedError(
            _("Channel %(channel)s does not accept orders: it is not active.")
            % {"channel": channel.code},
            {"channel": channel.code},
        )
