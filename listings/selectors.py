"""Reads of the catalog and the listing process; other apps read the catalog only here."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from ecomops.money import MoneyField
from ecomops.sla.selectors import annotate_sla

from .models import (
    ApplicationState,
    ListingApplication,
    PriceKind,
    ReviewRound,
    Sku,
    SkuImage,
    SkuPrice,
    SkuState,
)

REVIEW_CLOCK = "listing_review"


# --- Prices --------------------------------------------------------------------------------


def _latest_prices(at: datetime, kind: str) -> QuerySet[SkuPrice]:
    """Rows of ``kind`` in effect at ``at``, the latest first (per SKU once filtered)."""
    return (
        SkuPrice.objects.filter(kind=kind, valid_from__lte=at)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=at))
        .order_by("-valid_from", "-pk")
    )


def sku_price_in_effect(*, sku: Sku, at: datetime | None = None) -> SkuPrice | None:
    """The price row a customer pays at ``at``: a promotion in its window, else the online price."""
    at = at or timezone.now()
    for kind in (PriceKind.PROMOTION, PriceKind.ONLINE):
        row = _latest_prices(at, kind).filter(sku=sku).first()
        if row is not None:
            return row
    return None


def sku_online_price(*, sku: Sku, at: datetime | None = None) -> Decimal | None:
    """The SKU's price at ``at`` (default now), or None when it was never priced."""
    row = sku_price_in_effect(sku=sku, at=at)
    return row.price if row else None


def sku_regular_price(*, sku: Sku, at: datetime | None = None) -> Decimal | None:
    """The online price without promotions."""
    row = _latest_prices(at or timezone.now(), PriceKind.ONLINE).filter(sku=sku).first()
    return row.price if row else None


def with_current_price(queryset: QuerySet[Sku], at: datetime | None = None) -> QuerySet[Sku]:
    """Annotate ``current_price`` (promotion first) and ``regular_price`` in one query."""
    at = at or timezone.now()

    def latest(kind: str) -> Subquery:
        return Subquery(_latest_prices(at, kind).filter(sku=OuterRef("pk")).values("price")[:1])

    return queryset.annotate(
        regular_price=latest(PriceKind.ONLINE),
        promotion_price=latest(PriceKind.PROMOTION),
    ).annotate(
        current_price=Coalesce(
            "promotion_price",
            "regular_price",
            output_field=MoneyField(),
        )
    )


def sku_price_history(*, sku: Sku) -> QuerySet[SkuPrice]:
    return sku.prices.select_related("changed_by").order_by("-created_at", "-pk")


class PriceBook:
    """The prices of some SKUs at any instants, from one read of their price rows.

    For the order intake, which prices thousands of lines placed at as many instants: the
    rule is the one ``_latest_prices`` states in SQL (a promotion in its window first, else
    the online price; among rows in effect the latest ``valid_from``, then the latest row),
    applied in memory. ``tests/listings/test_price_book.py`` holds the two to each other.
    """

    def __init__(self) -> None:
        # (sku id, kind) -> rows (valid_from, pk, valid_until, price), latest first.
        self._rows: dict[tuple[int, str], list[tuple[datetime, int, datetime | None, Decimal]]]
        self._rows = {}
        self._loaded: set[int] = set()

    def load(self, sku_ids: Iterable[int]) -> None:
        """Read the price rows of the SKUs not read yet (one query)."""
        wanted = set(sku_ids) - self._loaded
        if not wanted:
            return
        self._loaded |= wanted
        rows = (
            SkuPrice.objects.filter(sku_id__in=wanted)
            .order_by()
            .values_list("sku_id", "kind", "valid_from", "pk", "valid_until", "price")
        )
        for sku_id, kind, valid_from, pk, valid_until, price in rows:
            self._rows.setdefault((sku_id, kind), []).append((valid_from, pk, valid_until, price))
        for entries in self._rows.values():
            entries.sort(reverse=True, key=lambda row: (row[0], row[1]))

    @staticmethod
    def listed_rows(match: Q, **annotations: Any) -> QuerySet[SkuPrice]:
        """The price rows of the listed SKUs ``match`` selects, each with its SKU joined:
        for ``take``. ``annotations`` come first, so ``match`` may
        filter on them (a caller's join to its own aliases of the SKU codes)."""
        return (
            SkuPrice.objects.annotate(**annotations)
            .filter(match, sku__state=SkuState.LISTED)
            .select_related("sku")
            .order_by()
        )

    def take(self, rows: Iterable[SkuPrice]) -> dict[str, Sku]:
        """Keep the price rows ``listed_rows`` read; returns their SKUs by code."""
        return self.take_entries(
            (row.sku, row.kind, row.valid_from, row.pk, row.valid_until, row.price) for row in rows
        )

    def take_entries(
        self, rows: Iterable[tuple[Sku, str, datetime, int, datetime | None, Decimal]]
    ) -> dict[str, Sku]:
        """``take`` for price rows read as values: (SKU, kind, valid from, pk, valid until,
        price)."""
        skus: dict[str, Sku] = {}
        fresh: set[int] = set()
        for sku, kind, valid_from, pk, valid_until, price in rows:
            skus.setdefault(sku.code, sku)
            if sku.pk in self._loaded:
                continue
            key = (sku.pk, kind)
            entry = (valid_from, pk, valid_until, price)
            if entry not in self._rows.setdefault(key, []):  # a row read twice (two aliases)
                self._rows[key].append(entry)
            fresh.add(sku.pk)
        self._loaded |= fresh
        for entries in self._rows.values():
            entries.sort(reverse=True, key=lambda entry: (entry[0], entry[1]))
        return skus

    def load_listed(self, codes: Iterable[str]) -> dict[str, Sku]:
        """The listed SKUs among ``codes`` that were ever priced, by code, with their price
        rows read into the book: one query (a listed SKU never priced cannot be ordered)."""
        wanted = {code for code in codes if code}
        if not wanted:
            return {}
        return self.take(self.listed_rows(Q(sku__code__in=wanted)))

    def price_at(self, sku_id: int, at: datetime) -> Decimal | None:
        """What a customer paid for the SKU at ``at``; None when it had no price then."""
        for kind in (PriceKind.PROMOTION, PriceKind.ONLINE):
            for valid_from, _pk, valid_until, price in self._rows.get((sku_id, kind), ()):
                if valid_from <= at and (valid_until is None or valid_until > at):
                    return price
        return None


# --- What orders may sell --------------------------------------------------------------------


def orderable_skus(at: datetime | None = None) -> QuerySet[Sku]:
    """Listed SKUs with a price in effect, annotated with ``current_price``."""
    return (
        with_current_price(Sku.objects.filter(state=SkuState.LISTED), at)
        .filter(current_price__isnull=False)  # type: ignore[misc]
        .select_related("product", "product__brand")
    )


def orderable_skus_by_code(codes: Iterable[str], at: datetime | None = None) -> dict[str, Sku]:
    """The orderable SKUs among ``codes``, by code; a code missing here cannot be ordered."""
    wanted = {code for code in codes if code}
    if not wanted:
        return {}
    return {sku.code: sku for sku in orderable_skus(at).filter(code__in=wanted)}


# --- Catalog ----------------------------------------------------------------------------------


def catalog_search(
    *,
    q: str = "",
    brand_id: int | None = None,
    category_id: int | None = None,
    state: str = "",
) -> QuerySet[Sku]:
    """Catalog search by code, barcode, name or brand name; filtered by brand and state."""
    qs = with_current_price(Sku.objects.all()).select_related("product__brand", "product__category")
    if q:
        q = q.strip()
        qs = qs.filter(
            Q(code__icontains=q)
            | Q(barcode__startswith=q)
            | Q(name__icontains=q)
            | Q(product__name__icontains=q)
            | Q(product__brand__name__icontains=q)
        )
    if brand_id:
        qs = qs.filter(product__brand_id=brand_id)
    if category_id:
        qs = qs.filter(
            Q(product__category_id=category_id) | Q(product__category__parent_id=category_id)
        )
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("code")


def catalog_for_export(sku_ids: Iterable[int] | None = None) -> QuerySet[Sku]:
    qs = with_current_price(Sku.objects.all()).select_related(
        "product__brand", "product__category__parent"
    )
    if sku_ids is not None:
        qs = qs.filter(pk__in=list(sku_ids))
    return qs.prefetch_related(
        Prefetch("images", queryset=SkuImage.objects.order_by("kind", "position", "pk"))
    ).order_by("code")


# --- Applications ------------------------------------------------------------------------------


def _applications() -> QuerySet[ListingApplication]:
    return ListingApplication.objects.select_related(
        "brand", "category", "applicant", "sku", "product"
    )


def applications_of(user: Any) -> QuerySet[ListingApplication]:
    """An applicant's own applications, newest first, with the review clock."""
    return annotate_sla(_applications().filter(applicant=user), REVIEW_CLOCK).order_by(
        "-updated_at", "-pk"
    )


def review_queue() -> QuerySet[ListingApplication]:
    """Applications waiting for review, least time left first (queues sort by time left)."""
    return annotate_sla(
        _applications().filter(state=ApplicationState.SUBMITTED), REVIEW_CLOCK
    ).order_by("sla_due_at", "submitted_at", "pk")


def review_queue_late_count() -> int:
    """Applications whose review clock ran out."""
    return review_queue().filter(sla_breached_at__isnull=False).count()  # type: ignore[misc]


def design_queue() -> QuerySet[ListingApplication]:
    return _applications().filter(state=ApplicationState.INFO_COMPLETE).order_by("updated_at", "pk")


def pricing_queue() -> QuerySet[ListingApplication]:
    return _applications().filter(state=ApplicationState.DESIGNED).order_by("designed_at", "pk")


def publish_queue() -> QuerySet[ListingApplication]:
    return _applications().filter(state=ApplicationState.PRICED).order_by("priced_at", "pk")


def application_missing(application: ListingApplication) -> list[str]:
    """What the applicant (or the next person) still has to do, in words for the portal."""
    from django.utils.translation import gettext as _

    state = application.state
    if state == ApplicationState.DRAFT:
        return [_("Submit the application for review.")]
    if state == ApplicationState.REJECTED:
        return [_("Revise the application as the reviewer asked and submit it again.")]
    if state == ApplicationState.SUBMITTED:
        return [_("Waiting for the listing reviewer.")]
    if state == ApplicationState.APPROVED:
        missing = []
        if application.sku_id is None:
            missing.append(_("Fill in the base information sheet (SKU code, barcode, weight…)."))
        else:
            kinds = (
                set(application.sku.images.values_list("kind", flat=True))
                if application.sku
                else set()
            )
            if SkuImage.Kind.MAIN not in kinds:
                missing.append(_("Upload a main picture."))
            if SkuImage.Kind.DETAIL not in kinds:
                missing.append(_("Upload at least one detail picture."))
        return missing
    if state == ApplicationState.INFO_COMPLETE:
        return [_("Waiting for the designer to build the detail page.")]
    if state == ApplicationState.DESIGNED:
        return [_("Waiting for the shop manager to set the online price.")]
    if state == ApplicationState.PRICED:
        return [_("Waiting for the shop manager to list the product.")]
    return []


def user_can_review(user: Any, application: ListingApplication) -> bool:
    """Reviewers review, but never their own application."""
    return application.applicant_id != user.pk and user.has_perm(
        "listings.review_listingapplication"
    )


# Permissions of the people who work an application after the applicant.
_WORKER_PERMISSIONS = (
    "listings.review_listingapplication",
    "listings.design_listingapplication",
    "listings.price_listingapplication",
)


def user_can_see_application(user: Any, application: ListingApplication) -> bool:
    """The applicant, the people who work applications, and managers (who see everything).

    Another business-unit applicant does not see someone else's application.
    """
    if application.applicant_id == user.pk:
        return True
    if not user.has_perm("listings.view_listingapplication"):
        return False
    is_only_applicant = user.has_perm("listings.submit_listingapplication") and not any(
        user.has_perm(permission) for permission in _WORKER_PERMISSIONS
    )
    return not is_only_applicant


def application_rounds(application: ListingApplication) -> QuerySet[ReviewRound]:
    return application.rounds.select_related("submitted_by", "decided_by").order_by("number")


def listing_counts() -> dict[str, int]:
    return dict(Sku.objects.values_list("state").annotate(n=Count("id")).order_by())
