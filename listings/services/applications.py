"""The listing application process (DESIGN §5): one function per step, each a transaction.

Every step checks who may act, runs the transition (django-fsm-log records who and why),
keeps the review rounds, runs the review SLA clock and tells the next person.
"""

from __future__ import annotations

from decimal import Decimal
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ecomops.accounts.roles import RoleCode
from ecomops.errors import ConflictError, PermissionDeniedError
from ecomops.fsm import transition
from ecomops.money import format_money
from ecomops.notifications.services import notify_role, notify_users
from ecomops.numbering.services import next_number
from ecomops.sla.services import sla_clock_start, sla_clock_stop
from ecomops.validators import validate_ean13, validate_tax_classification_code

from ..models import (
    ApplicationState,
    Brand,
    Category,
    ListingApplication,
    Product,
    ReviewRound,
    Sku,
    SkuImage,
)
from ..selectors import REVIEW_CLOCK, application_missing
from .catalog import ListingError, field_error, sku_check_unique, sku_image_add, sku_list_online
from .pricing import check_price, check_subsidy_floor, sales_target_suggest

# The applicant's fields, as the form and the review snapshot know them.
APPLICATION_FIELDS = (
    "brand",
    "category",
    "product_name",
    "specification",
    "description",
    "fit_reason",
    "offline_market_price",
    "online_guide_price",
    "base_subsidy_price",
    "offline_monthly_sales",
)
PRICE_FIELDS = ("offline_market_price", "online_guide_price", "base_subsidy_price")
BASE_INFO_FIELDS = (
    "code",
    "barcode",
    "name",
    "specification",
    "unit",
    "weight_grams",
    "length_mm",
    "width_mm",
    "height_mm",
    "tax_rate",
    "tax_category",
    "tax_code",
    "origin",
    "shelf_life",
    "material",
    "storage",
)


def _lock(application_id: int) -> ListingApplication:
    return ListingApplication.objects.select_for_update().get(pk=application_id)


def check_reference_prices(cleaned: dict[str, Any], errors: dict[str, list[str]]) -> None:
    """The three reference prices rank: the base subsidy price is the floor the company
    makes up to, the online guide price sits at or above it and at or below the offline
    market price. Each price out of order is named on its own field."""
    market = cleaned.get("offline_market_price")
    guide = cleaned.get("online_guide_price")
    subsidy = cleaned.get("base_subsidy_price")
    if market is not None and guide is not None and guide > market:
        errors.setdefault("online_guide_price", []).append(
            _("The online guide price cannot be above the offline market price (%(market)s).")
            % {"market": format_money(market)}
        )
    if guide is not None and subsidy is not None and subsidy > guide:
        errors.setdefault("base_subsidy_price", []).append(
            _("The online base subsidy price cannot be above the online guide price (%(guide)s).")
            % {"guide": format_money(guide)}
        )
    elif guide is None and market is not None and subsidy is not None and subsidy > market:
        errors.setdefault("base_subsidy_price", []).append(
            _(
                "The online base subsidy price cannot be above the offline market price "
                "(%(market)s)."
            )
            % {"market": format_money(market)}
        )


def _clean_application_data(data: dict[str, Any]) -> dict[str, Any]:
    """Check every field at once; the error lists all that is wrong, by field."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for field in APPLICATION_FIELDS:
        value = data.get(field)
        if value in (None, ""):
            errors.setdefault(field, []).append(_("This field is required."))
            continue
        if field in PRICE_FIELDS:
            try:
                cleaned[field] = check_price(value, field)
            except ListingError as exc:
                errors.update(exc.extra["fields"])
            continue
        cleaned[field] = value.strip() if isinstance(value, str) else value
    # The API and imports may pass ids; forms pass instances.
    for field, model, unknown in (
        ("brand", Brand, _("Unknown brand.")),
        ("category", Category, _("Unknown category.")),
    ):
        if isinstance(cleaned.get(field), int | str):
            found = model.objects.filter(pk=cleaned[field]).first()
            if found is None:
                errors.setdefault(field, []).append(unknown)
            else:
                cleaned[field] = found
    check_reference_prices(cleaned, errors)
    sales = cleaned.get("offline_monthly_sales")
    if sales is not None and (not isinstance(sales, int) or sales < 0):
        errors.setdefault("offline_monthly_sales", []).append(
            _("Enter a whole number of units, 0 or more.")
        )
    if errors:
        raise ListingError(
            _("The application has errors: please correct the fields marked."), {"fields": errors}
        )
    return cleaned


def _require_applicant(application: ListingApplication, by: Any) -> None:
    if application.applicant_id != by.pk and not by.is_superuser:
        raise PermissionDeniedError(_("Only the applicant can change this application."))


@transaction.atomic
def application_create(*, applicant: Any, data: dict[str, Any]) -> ListingApplication:
    """A draft application by a business-unit applicant."""
    if not applicant.has_perm("listings.submit_listingapplication"):
        raise PermissionDeniedError(_("Only business-unit applicants can apply for a listing."))
    cleaned = _clean_application_data(data)
    return ListingApplication.objects.create(
        number=next_number("LA"), applicant=applicant, **cleaned
    )


@transaction.atomic
def application_update(*, application_id: int, by: Any, data: dict[str, Any]) -> ListingApplication:
    """Edit a draft, or revise a rejected application before resubmitting it."""
    application = _lock(application_id)
    _require_applicant(application, by)
    if application.state not in (ApplicationState.DRAFT, ApplicationState.REJECTED):
        raise ConflictError(
            _("%(application)s is %(state)s: it can no longer be edited.")
            % {"application": application.number, "state": application.get_state_display()}
        )
    cleaned = _clean_application_data(data)
    for field, value in cleaned.items():
        setattr(application, field, value)
    application.save(update_fields=[*cleaned.keys(), "updated_at"])
    return application


def _snapshot(application: ListingApplication) -> dict[str, Any]:
    snapshot: dict[str, Any] = {}
    for field in APPLICATION_FIELDS:
        value = getattr(application, field)
        if isinstance(value, Decimal) or hasattr(value, "pk"):
            value = str(value)
        snapshot[field] = value
    return snapshot


def _application_url(application: ListingApplication) -> str:
    return reverse("listings:application_detail", args=[application.pk])


@transaction.atomic
def application_submit(*, application_id: int, by: Any) -> ListingApplication:
    """Send the application (again) for review: a new round, the review clock starts."""
    application = _lock(application_id)
    _require_applicant(application, by)
    if application.state == ApplicationState.SUBMITTED:
        return application
    now = timezone.now()
    transition(
        application,
        "submit",
        by=by,
        at=now,
        update_fields=[
            "round",
            "submitted_at",
            "rejection_reason",
            "reviewer",
            "reviewed_at",
            "updated_at",
        ],
    )
    ReviewRound.objects.create(
        application=application,
        number=application.round,
        submitted_at=now,
        submitted_by=by,
        snapshot=_snapshot(application),
    )
    sla_clock_start(code=REVIEW_CLOCK, obj=application, started_at=now)
    notify_role(
        role=RoleCode.LISTING_REVIEWER,
        title=_("Listing application %(number)s to review: %(product)s")
        % {"number": application.number, "product": application.product_name},
        url=_application_url(application),
        key=f"listing-review:{application.pk}:{application.round}",
    )
    return application


def _require_reviewer(application: ListingApplication, by: Any) -> None:
    if application.applicant_id == by.pk:
        raise PermissionDeniedError(_("You cannot review your own application."))


def _close_round(
    application: ListingApplication, *, by: Any, decision: str, reason: str, at: Any
) -> None:
    ReviewRound.objects.filter(application=application, number=application.round).update(
        decision=decision, decided_by=by, decided_at=at, reason=reason
    )


@transaction.atomic
def application_approve(*, application_id: int, by: Any) -> ListingApplication:
    application = _lock(application_id)
    _require_reviewer(application, by)
    if application.state == ApplicationState.APPROVED:
        return application
    now = timezone.now()
    transition(
        application,
        "approve",
        by=by,
        reviewer=by,
        at=now,
        update_fields=["reviewer", "reviewed_at", "updated_at"],
    )
    _close_round(application, by=by, decision=ReviewRound.Decision.APPROVED, reason="", at=now)
    sla_clock_stop(code=REVIEW_CLOCK, obj=application, stopped_at=now)
    notify_users(
        users=[application.applicant],
        title=_("%(number)s approved: fill in the base information sheet and upload photos")
        % {"number": application.number},
        url=_application_url(application),
    )
    return application


@transaction.atomic
def application_reject(*, application_id: int, by: Any, reason: str) -> ListingApplication:
    reason = (reason or "").strip()
    if not reason:
        raise field_error(
            "reason", _("Say why the application is rejected, so the applicant can revise it.")
        )
    application = _lock(application_id)
    _require_reviewer(application, by)
    if application.state == ApplicationState.REJECTED:
        return application
    now = timezone.now()
    transition(
        application,
        "reject",
        by=by,
        reviewer=by,
        at=now,
        reason=reason,
        rejection_reason=reason,
        update_fields=["reviewer", "reviewed_at", "rejection_reason", "updated_at"],
    )
    _close_round(application, by=by, decision=ReviewRound.Decision.REJECTED, reason=reason, at=now)
    sla_clock_stop(code=REVIEW_CLOCK, obj=application, stopped_at=now)
    notify_users(
        users=[application.applicant],
        title=_("%(number)s rejected: %(reason)s")
        % {"number": application.number, "reason": reason[:120]},
        url=_application_url(application),
        level="warning",
    )
    return application


@transaction.atomic
def application_withdraw(*, application_id: int, by: Any, reason: str = "") -> ListingApplication:
    application = _lock(application_id)
    _require_applicant(application, by)
    if application.state != ApplicationState.WITHDRAWN:
        transition(application, "withdraw", by=by, reason=reason, update_fields=["updated_at"])
    return application


def _clean_base_info(data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    cleaned = {field: data.get(field) for field in BASE_INFO_FIELDS if field in data}
    for field in ("code", "barcode", "name", "unit"):
        if not str(cleaned.get(field) or "").strip():
            errors.setdefault(field, []).append(_("This field is required."))
        else:
            cleaned[field] = str(cleaned[field]).strip()
    if cleaned.get("barcode"):
        try:
            validate_ean13(str(cleaned["barcode"]))
        except ValidationError as exc:
            errors.setdefault("barcode", []).extend(exc.messages)
    for field in ("weight_grams", "length_mm", "width_mm", "height_mm"):
        value = cleaned.get(field)
        if value in (None, ""):
            cleaned[field] = 0
        elif not isinstance(value, int) or value < 0:
            errors.setdefault(field, []).append(_("Enter a whole number, 0 or more."))
    if not cleaned.get("weight_grams"):
        errors.setdefault("weight_grams", []).append(
            _("The warehouse needs the weight of one unit.")
        )
    tax_rate = cleaned.get("tax_rate")
    if tax_rate in (None, ""):
        cleaned["tax_rate"] = Decimal("0.13")
    elif not (Decimal("0") <= Decimal(str(tax_rate)) <= Decimal("0.17")):
        errors.setdefault("tax_rate", []).append(
            _("Enter a VAT rate between 0 and 0.17 (0.13 for 13%).")
        )
    # Invoices print it as *category*name, so the stars are ours to add.
    tax_category = str(cleaned.get("tax_category") or "").strip().strip("*").strip()
    if not tax_category:
        errors.setdefault("tax_category", []).append(
            _("Invoices need the goods' tax category, e.g. 日用杂品.")
        )
    elif "*" in tax_category:
        errors.setdefault("tax_category", []).append(
            _("Enter the short name only, without stars: 日用杂品, not *日用杂品*.")
        )
    cleaned["tax_category"] = tax_category
    # The classification code may follow later (finance holds the SKU's invoices until then).
    tax_code = str(cleaned.get("tax_code") or "").strip()
    if tax_code:
        try:
            validate_tax_classification_code(tax_code)
        except ValidationError as exc:
            errors.setdefault("tax_code", []).extend(exc.messages)
    if "tax_code" in cleaned:
        cleaned["tax_code"] = tax_code
    if errors:
        raise ListingError(
            _("The base information sheet has errors: please correct the fields marked."),
            {"fields": errors},
        )
    return cleaned


@transaction.atomic
def application_base_info_save(*, application_id: int, by: Any, data: dict[str, Any]) -> Sku:
    """Fill (or correct) the base information sheet: the product and its SKU are created."""
    application = _lock(application_id)
    _require_applicant(application, by)
    if application.state != ApplicationState.APPROVED:
        raise ConflictError(
            _("The base information sheet is filled after approval, before design.")
        )
    cleaned = _clean_base_info(data)
    sku_check_unique(
        code=cleaned["code"], barcode=cleaned["barcode"], exclude_pk=application.sku_id
    )
    product_fields = {
        key: cleaned.pop(key, "") or "" for key in ("origin", "shelf_life", "material", "storage")
    }
    if application.product_id is None:
        product = Product.objects.create(
            name=application.product_name,
            brand=application.brand,
            category=application.category,
            description=application.description,
            **product_fields,
        )
        application.product = product
    else:
        product = application.product  # type: ignore[assignment]
        for key, value in product_fields.items():
            setattr(product, key, value)
        product.save()
    if application.sku_id is None:
        sku = Sku.objects.create(product=product, **cleaned)
        application.sku = sku
        application.save(update_fields=["product", "sku", "updated_at"])
    else:
        sku = Sku.objects.get(pk=application.sku_id)
        for key, value in cleaned.items():
            setattr(sku, key, value)
        sku.full_clean(exclude=["product", "state"])
        sku.save()
    return sku


def application_image_add(
    *, application_id: int, by: Any, upload: IO[bytes] | Any, kind: str, caption: str = ""
) -> SkuImage:
    application = ListingApplication.objects.select_related("sku").get(pk=application_id)
    if application.sku is None:
        raise ConflictError(_("Fill in the base information sheet before uploading photos."))
    if application.state not in (ApplicationState.APPROVED, ApplicationState.INFO_COMPLETE):
        raise ConflictError(
            _("Photos are uploaded after approval, before the detail page is finished.")
        )
    if application.applicant_id != by.pk and not by.has_perm("listings.design_listingapplication"):
        raise PermissionDeniedError(_("Only the applicant or a designer can upload photos."))
    return sku_image_add(sku=application.sku, upload=upload, kind=kind, by=by, caption=caption)


@transaction.atomic
def application_info_complete(*, application_id: int, by: Any) -> ListingApplication:
    """Hand over to design: needs the sheet, a main picture and a detail picture."""
    application = _lock(application_id)
    _require_applicant(application, by)
    if application.state == ApplicationState.INFO_COMPLETE:
        return application
    if application.state == ApplicationState.APPROVED:
        missing = application_missing(application)
        if missing:
            raise ConflictError(" ".join(missing))
    transition(application, "complete_info", by=by, update_fields=["updated_at"])
    notify_role(
        role=RoleCode.DESIGNER,
        title=_("Detail page to build: %(product)s (%(number)s)")
        % {"product": application.product_name, "number": application.number},
        url=_application_url(application),
        key=f"listing-design:{application.pk}",
    )
    return application


@transaction.atomic
def application_design_save(
    *, application_id: int, by: Any, headline: str, selling_points: str, body: str
) -> ListingApplication:
    application = _lock(application_id)
    if not by.has_perm("listings.design_listingapplication"):
        raise PermissionDeniedError(_("Only designers build detail pages."))
    if application.state != ApplicationState.INFO_COMPLETE:
        raise ConflictError(
            _("The detail page can be edited while the application waits for design.")
        )
    application.detail_headline = headline.strip()
    application.detail_selling_points = selling_points.strip()
    application.detail_body = body.strip()
    application.save(
        update_fields=["detail_headline", "detail_selling_points", "detail_body", "updated_at"]
    )
    return application


@transaction.atomic
def application_design_finish(*, application_id: int, by: Any) -> ListingApplication:
    application = _lock(application_id)
    if application.state == ApplicationState.DESIGNED:
        return application
    errors: dict[str, list[str]] = {}
    if not application.detail_headline:
        errors["headline"] = [_("The detail page needs a headline.")]
    if not application.detail_body:
        errors["body"] = [_("The detail page needs its text.")]
    if errors:
        raise ListingError(_("The detail page is not finished."), {"fields": errors})
    transition(
        application,
        "finish_design",
        by=by,
        designer=by,
        at=timezone.now(),
        update_fields=["designer", "designed_at", "updated_at"],
    )
    notify_role(
        role=RoleCode.SHOP_MANAGER,
        title=_("Price to decide: %(product)s (%(number)s)")
        % {"product": application.product_name, "number": application.number},
        url=reverse("listings:pricing", args=[application.pk]),
        key=f"listing-pricing:{application.pk}",
    )
    return application


@transaction.atomic
def application_price(
    *,
    application_id: int,
    by: Any,
    price: Any,
    monthly_sales_target: int | None = None,
    promotion_plan: str = "",
    reason: str = "",
    below_subsidy_reason: str = "",
) -> ListingApplication:
    """Decide the online price (recorded in the price history), the target and the plan."""
    application = _lock(application_id)
    if application.state == ApplicationState.PRICED:
        return application
    amount = check_price(price)
    if application.sku is None:
        raise ConflictError(_("The application has no SKU yet."))
    check_subsidy_floor(
        sku=application.sku, price=amount, below_subsidy_reason=below_subsidy_reason
    )
    if not promotion_plan.strip():
        raise field_error("promotion_plan", _("Describe the promotion plan for the launch."))
    target = monthly_sales_target or sales_target_suggest(application.offline_monthly_sales)
    if target <= 0:
        raise field_error("monthly_sales_target", _("The sales target must be at least one unit."))
    transition(
        application,
        "price",
        by=by,
        priced_by=by,
        at=timezone.now(),
        update_fields=[
            "priced_by",
            "priced_at",
            "monthly_sales_target",
            "promotion_plan",
            "updated_at",
        ],
        monthly_sales_target=target,
        promotion_plan=promotion_plan.strip(),
    )
    from .pricing import sku_price_change

    sku_price_change(
        sku_id=application.sku.pk,
        by=by,
        price=amount,
        reason=reason.strip() or _("Launch price"),
        below_subsidy_reason=below_subsidy_reason,
    )
    return application


@transaction.atomic
def application_publish(*, application_id: int, by: Any) -> ListingApplication:
    """List the product: its SKU becomes orderable."""
    application = _lock(application_id)
    if application.state == ApplicationState.LISTED:
        return application
    if application.sku_id is None:
        raise ConflictError(_("The application has no SKU yet."))
    transition(application, "publish", by=by, update_fields=["updated_at"])
    sku_list_online(sku_id=application.sku_id, by=by)
    notify_users(
        users=[application.applicant],
        title=_("%(product)s is online") % {"product": application.product_name},
        url=_application_url(application),
    )
    return application
