"""Group-buying deals (团购活动): the proposal with its papers, the site's approval and
schedule, stock and content preparation, the live window, shipping, the remittance finance
reconciles, and the summary at the close."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ecomops.accounts.roles import RoleCode
from ecomops.accounts.selectors import acting_user
from ecomops.errors import ApplicationError, ConflictError, require_permission
from ecomops.fsm import transition
from ecomops.money import format_money, to_money
from ecomops.notifications.services import notify_role, notify_users
from ecomops.numbering.services import next_number
from ecomops.uploads import JPEG, PDF, PNG, detect_document_type, display_name, stored_name
from finance.services.remittances import remittance_expect
from listings.models import Sku, SkuState
from listings.selectors import sku_online_price
from orders.models import OPEN_STATES, OrderState

from .. import pdf
from ..models import (
    Deal,
    DealDocument,
    DealLine,
    DealState,
    DocumentKind,
    Partner,
    PartnerKind,
    PartnerState,
)
from ..selectors.deals import deal_orders, deal_results, missing_documents, stock_check
from .partners import CHANNEL_PRICE_TOLERANCE, ensure_channel

HANDLE = "distribution.handle_deal"


class DealError(ApplicationError):
    """A deal step that cannot be taken as asked."""


def _lock(deal_id: int) -> Deal:
    return Deal.objects.select_for_update(of=("self",)).select_related("partner").get(pk=deal_id)


def _editable(deal: Deal) -> None:
    if deal.state != DealState.CONTACTED:
        raise ConflictError(
            _("Deal %(number)s was already proposed; its SKUs and prices are fixed.")
            % {"number": deal.number}
        )


def deal_create(*, partner_id: int, title: str, owner: Any, notes: str = "", by: Any) -> Deal:
    """A deal with a group-buying site we are talking to."""
    require_permission(by, HANDLE)
    title = (title or "").strip()
    if not title:
        raise DealError(_("Give the deal a title."), {"fields": {"title": [_("Required.")]}})
    partner = Partner.objects.get(pk=partner_id)
    if partner.kind != PartnerKind.GROUP_BUYING:
        raise DealError(
            _("Deals are made with group-buying sites; %(partner)s is not one.")
            % {"partner": partner.shop_name},
            {"fields": {"partner": [_("Choose a group-buying site.")]}},
        )
    if not partner.is_open or partner.state == PartnerState.SUSPENDED:
        raise ConflictError(
            _("%(partner)s is %(state)s; no new deals.")
            % {"partner": partner.shop_name, "state": partner.get_state_display()}
        )
    return Deal.objects.create(
        number=next_number("GB"),
        partner=partner,
        title=title,
        owner=owner,
        notes=(notes or "").strip(),
        created_by=acting_user(by),
    )


def deal_line_save(
    *,
    deal_id: int,
    sku_id: int,
    group_price: Decimal,
    min_quantity: int,
    estimated_quantity: int,
    by: Any,
) -> DealLine:
    """Add a SKU to the deal, or change its group price and quantities."""
    require_permission(by, HANDLE)
    errors: dict[str, list[str]] = {}
    sku = Sku.objects.filter(pk=sku_id).first()
    price = to_money(group_price) if group_price is not None else None
    if sku is None or sku.state != SkuState.LISTED:
        errors["sku"] = [_("Choose a listed product.")]
    if price is None or price <= 0:
        errors["group_price"] = [_("Enter the group price.")]
    elif sku is not None and (listed := sku_online_price(sku=sku)) is not None:
        tolerance = CHANNEL_PRICE_TOLERANCE[PartnerKind.GROUP_BUYING]
        floor = to_money(listed * (100 - tolerance) / 100)
        if price > listed:
            errors["group_price"] = [
                _("The group price is above the online price of %(price)s.")
                % {"price": format_money(listed)}
            ]
        elif price < floor:
            errors["group_price"] = [
                _("Below %(floor)s the site's orders would be refused (online price %(price)s).")
                % {"floor": format_money(floor), "price": format_money(listed)}
            ]
    if not min_quantity or int(min_quantity) < 1:
        errors["min_quantity"] = [_("At least 1.")]
    if not estimated_quantity or int(estimated_quantity) < 1:
        errors["estimated_quantity"] = [_("At least 1.")]
    if errors or sku is None or price is None:
        raise DealError(_("Check the deal line."), {"fields": errors})
    with transaction.atomic():
        deal = _lock(deal_id)
        _editable(deal)
        line, _created = DealLine.objects.update_or_create(
            deal=deal,
            sku=sku,
            defaults={
                "group_price": price,
                "min_quantity": int(min_quantity),
                "estimated_quantity": int(estimated_quantity),
            },
        )
    return line


def deal_line_remove(*, line_id: int, by: Any) -> None:
    require_permission(by, HANDLE)
    with transaction.atomic():
        line = DealLine.objects.select_related("deal").get(pk=line_id)
        deal = _lock(line.deal_id)
        _editable(deal)
        line.delete()


def check_document(upload: IO[bytes] | Any) -> str:
    """The upload's type from its own bytes (PDF, JPEG or PNG), or a ``DealError``."""
    try:
        return detect_document_type(
            upload, max_bytes=settings.DISTRIBUTION_DOCUMENT_MAX_BYTES, allowed=(PDF, JPEG, PNG)
        )
    except ValidationError as exc:
        if exc.code == "file_size":
            raise DealError(exc.messages[0], {"fields": {"file": [_("Too big.")]}}) from None
        if exc.code in ("file_damaged", "image_pixels"):
            raise DealError(exc.messages[0], {"fields": {"file": [exc.messages[0]]}}) from None
        raise DealError(
            _("Upload a PDF, JPEG or PNG file."),
            {"fields": {"file": [_("Not a PDF, JPEG or PNG file.")]}},
        ) from None


def deal_document_upload(
    *, deal_id: int, kind: str, upload: IO[bytes] | Any, title: str = "", by: Any
) -> DealDocument:
    """Attach a paper (specifications, company papers, QC report) after checking its bytes."""
    require_permission(by, HANDLE)
    if kind not in DocumentKind.values or kind == DocumentKind.QUOTE_SHEET:
        raise DealError(
            _("Choose what the paper is; the quote sheet is made from the deal's lines."),
            {"fields": {"kind": [_("Choose the kind of paper.")]}},
        )
    content_type = check_document(upload)
    name = display_name(getattr(upload, "name", ""), default="document")
    with transaction.atomic():
        deal = _lock(deal_id)
        if deal.state not in (DealState.CONTACTED, DealState.PROPOSED, DealState.SCHEDULED):
            raise ConflictError(
                _("Deal %(number)s is %(state)s; its papers are closed.")
                % {"number": deal.number, "state": deal.get_state_display()}
            )
        document = DealDocument(
            deal=deal,
            kind=kind,
            title=(title or "").strip() or name,
            content_type=content_type,
            size=upload.size if hasattr(upload, "size") else len(upload.read()),
            uploaded_by=acting_user(by),
        )
        upload.seek(0)
        # Named from the type its bytes showed, never from the uploader's file name.
        document.file.save(stored_name(content_type, prefix=deal.number), upload, save=False)
        document.save()
    return document


def deal_document_remove(*, document_id: int, by: Any) -> None:
    require_permission(by, HANDLE)
    with transaction.atomic():
        document = DealDocument.objects.get(pk=document_id)
        deal = _lock(document.deal_id)
        _editable(deal)
        document.file.delete(save=False)
        document.delete()


def _quote_sheet(deal: Deal, by: Any) -> DealDocument:
    """(Re)make the quote sheet from the deal's lines."""
    lines = list(deal.lines.select_related("sku__product__brand").order_by("pk"))
    content = pdf.quote_sheet(deal, lines=lines)
    for old in deal.documents.filter(kind=DocumentKind.QUOTE_SHEET):
        old.file.delete(save=False)
        old.delete()
    document = DealDocument(
        deal=deal,
        kind=DocumentKind.QUOTE_SHEET,
        title=_("Quote sheet %(number)s") % {"number": deal.number},
        content_type="application/pdf",
        size=len(content),
        uploaded_by=acting_user(by),
    )
    document.file.save(f"{deal.number}-quote.pdf", ContentFile(content), save=False)
    document.save()
    return document


def deal_quote_sheet(*, deal_id: int, by: Any) -> DealDocument:
    require_permission(by, HANDLE)
    with transaction.atomic():
        deal = _lock(deal_id)
        _editable(deal)
        if not deal.lines.exists():
            raise DealError(_("Add the deal's SKUs first."))
        return _quote_sheet(deal, by)


def deal_propose(*, deal_id: int, by: Any) -> Deal:
    """Send the proposal: the quote sheet is made from the lines; the specifications, the
    company papers and a QC report must be attached."""
    require_permission(by, HANDLE)
    with transaction.atomic():
        deal = _lock(deal_id)
        if deal.state == DealState.CONTACTED:
            if not deal.lines.exists():
                raise DealError(_("Add the deal's SKUs with their group prices first."))
            missing = missing_documents(deal)
            if missing:
                raise DealError(
                    _("Attach before sending: %(missing)s.") % {"missing": ", ".join(missing)}
                )
            _quote_sheet(deal, by)
        transition(deal, "propose", by=by, at=timezone.now(), update_fields=["proposed_at"])
    return deal


def deal_schedule(*, deal_id: int, listing_date: date, end_date: date, by: Any) -> Deal:
    """The site approved: the listing date and last day. The site becomes an active partner
    with its order channel, through which the deal's orders arrive."""
    require_permission(by, HANDLE)
    errors: dict[str, list[str]] = {}
    if listing_date is None:
        errors["listing_date"] = [_("Enter the listing date.")]
    elif listing_date < timezone.localdate():
        errors["listing_date"] = [_("The listing date is in the past.")]
    if end_date is None:
        errors["end_date"] = [_("Enter the deal's last day.")]
    elif listing_date is not None and end_date < listing_date:
        errors["end_date"] = [_("The last day is before the listing date.")]
    if errors:
        raise DealError(_("Check the schedule."), {"fields": errors})
    with transaction.atomic():
        deal = _lock(deal_id)
        transition(
            deal,
            "schedule",
            by=by,
            at=timezone.now(),
            listing_date=listing_date,
            end_date=end_date,
            update_fields=["approved_at", "listing_date", "end_date"],
        )
        partner = Partner.objects.select_for_update().get(pk=deal.partner_id)
        if partner.state in (PartnerState.PROSPECT, PartnerState.CONTACTED):
            transition(
                partner, "deal_agreed", by=None, at=timezone.now(), update_fields=["activated_at"]
            )
        if partner.state != PartnerState.ACTIVE:
            raise ConflictError(
                _("%(partner)s is %(state)s; it cannot take a deal.")
                % {"partner": partner.shop_name, "state": partner.get_state_display()}
            )
        ensure_channel(partner)
    return deal


def deal_stock_request(*, deal_id: int, by: Any) -> Deal:
    """Ask the warehouse to set aside the estimated quantities (shortfalls named)."""
    require_permission(by, HANDLE)
    with transaction.atomic():
        deal = _lock(deal_id)
        if deal.state != DealState.SCHEDULED:
            raise ConflictError(_("Stock is requested once the site has scheduled the deal."))
        rows = stock_check(deal)
        deal.stock_requested_at = timezone.now()
        deal.save(update_fields=["stock_requested_at"])
    body = "\n".join(
        _("%(sku)s: %(needed)s needed, %(available)s available")
        % {
            "sku": row["line"].sku.code,
            "needed": row["line"].estimated_quantity,
            "available": row["available"],
        }
        for row in rows
    )
    notify_role(
        role=RoleCode.WAREHOUSE_ADMIN,
        title=_("Prepare stock for group-buying deal %(number)s, live on %(day)s")
        % {"number": deal.number, "day": deal.listing_date},
        body=body,
        url=deal.get_absolute_url(),
        key=f"distribution.deal.{deal.pk}.stock.{deal.stock_requested_at:%Y%m%d%H%M%S}",
    )
    return deal


def _prepared_if_ready(deal: Deal, by: Any) -> None:
    if deal.stock_prepared_at is not None and deal.content_prepared_at is not None:
        transition(deal, "prepared", by=by, check_permission=False)


def deal_stock_confirm(*, deal_id: int, by: Any) -> Deal:
    """The warehouse confirms the deal's stock is set aside."""
    require_permission(by, "distribution.prepare_deal_stock")
    with transaction.atomic():
        deal = _lock(deal_id)
        if deal.state != DealState.SCHEDULED:
            raise ConflictError(
                _("Deal %(number)s is %(state)s; there is no stock to prepare.")
                % {"number": deal.number, "state": deal.get_state_display()}
            )
        deal.stock_prepared_at = timezone.now()
        deal.stock_prepared_by = acting_user(by)
        deal.save(update_fields=["stock_prepared_at", "stock_prepared_by"])
        _prepared_if_ready(deal, by)
    notify_users(
        users=[deal.owner],
        title=_("Stock for deal %(number)s is prepared") % {"number": deal.number},
        url=deal.get_absolute_url(),
        key=f"distribution.deal.{deal.pk}.stock_prepared",
    )
    return deal


def deal_content_ready(*, deal_id: int, note: str, by: Any) -> Deal:
    """The product images and texts the site needs are prepared (and where they are)."""
    require_permission(by, HANDLE)
    note = (note or "").strip()
    if not note:
        raise DealError(
            _("Say which images and texts were prepared and where the site finds them."),
            {"fields": {"note": [_("Required.")]}},
        )
    with transaction.atomic():
        deal = _lock(deal_id)
        if deal.state != DealState.SCHEDULED:
            raise ConflictError(_("Images and texts are prepared once the deal is scheduled."))
        deal.content_prepared_at = timezone.now()
        deal.content_note = note
        deal.save(update_fields=["content_prepared_at", "content_note"])
        _prepared_if_ready(deal, by)
    return deal


def deal_go_live(*, deal_id: int, by: Any, today: date | None = None) -> Deal:
    today = today or timezone.localdate()
    with transaction.atomic():
        deal = _lock(deal_id)
        if deal.state == DealState.PREPARED and deal.listing_date and deal.listing_date > today:
            raise ConflictError(
                _("Deal %(number)s goes live on %(day)s.")
                % {"number": deal.number, "day": deal.listing_date}
            )
        transition(deal, "go_live", by=by, at=timezone.now(), update_fields=["live_at"])
    return deal


def deals_go_live_due(*, today: date | None = None) -> int:
    """Prepared deals whose listing date has come go live (beat, safe twice)."""
    today = today or timezone.localdate()
    count = 0
    for deal_id in Deal.objects.filter(
        state=DealState.PREPARED, listing_date__lte=today
    ).values_list("pk", flat=True):
        try:
            deal_go_live(deal_id=deal_id, by=None, today=today)
        except ConflictError:
            continue  # another run took it live first
        count += 1
    return count


def deal_all_shipped(*, deal_id: int, by: Any, today: date | None = None) -> Deal:
    """The window is over and every one of the deal's orders has left the warehouse."""
    today = today or timezone.localdate()
    with transaction.atomic():
        deal = _lock(deal_id)
        if deal.state == DealState.LIVE:
            if deal.end_date and deal.end_date >= today:
                raise ConflictError(
                    _("Deal %(number)s runs until %(day)s; orders may still come.")
                    % {"number": deal.number, "day": deal.end_date}
                )
            waiting = deal_orders(deal).filter(state__in=OPEN_STATES).count()
            if waiting:
                raise ConflictError(
                    _("%(count)s of the deal's orders have not shipped yet.") % {"count": waiting}
                )
        transition(deal, "all_shipped", by=by, at=timezone.now(), update_fields=["shipped_at"])
    return deal


def deal_expect_remittance(
    *, deal_id: int, amount: Decimal | None = None, due: date | None = None, by: Any
) -> Deal:
    """Tell finance what the site owes and by when (default: the deal's revenue, due
    ``DISTRIBUTION_REMITTANCE_DAYS`` from today). A remittance not in by then is a
    mismatch in the nightly reconciliation."""
    with transaction.atomic():
        deal = _lock(deal_id)
        if amount is None:
            amount = deal_results(deal)["revenue"]
        amount = to_money(amount)
        due = due or timezone.localdate() + timedelta(days=settings.DISTRIBUTION_REMITTANCE_DAYS)
        if amount <= 0:
            raise DealError(
                _("The deal sold nothing; there is no remittance to expect."),
                {"fields": {"amount": [_("Enter an amount.")]}},
            )
        transition(
            deal,
            "expect_remittance",
            by=by,
            amount=amount,
            due=due,
            update_fields=["remittance_amount", "remittance_due"],
        )
        channel = deal.partner.channel
        if channel is None:
            raise ConflictError(_("The site has no order channel."))
        remittance_expect(
            reference=deal.number,
            channel=channel,
            amount=amount,
            due_date=due,
            description=_("Group-buying deal %(number)s %(title)s")
            % {"number": deal.number, "title": deal.title},
            order_ids=list(
                deal_orders(deal).exclude(state=OrderState.CANCELLED).values_list("pk", flat=True)
            ),
        )
    return deal


def deal_remitted(*, reference: str) -> Deal | None:
    """Finance recorded the site's transfer (receiver of ``remittance_received``)."""
    with transaction.atomic():
        deal = (
            Deal.objects.select_for_update()
            .filter(number=reference, state=DealState.REMITTANCE_EXPECTED)
            .first()
        )
        if deal is None:
            return None
        transition(deal, "remitted", by=None, at=timezone.now(), update_fields=["remitted_at"])
    notify_users(
        users=[deal.owner],
        title=_("Deal %(number)s: the site's remittance came in") % {"number": deal.number},
        url=deal.get_absolute_url(),
        key=f"distribution.deal.{deal.pk}.remitted",
    )
    return deal


def _summary_json(results: dict[str, Any]) -> dict[str, Any]:
    return {
        "orders": results["orders"],
        "units": results["units"],
        "estimated": results["estimated"],
        "revenue": str(results["revenue"]),
        "lines": [
            {
                "sku": row["sku_code"],
                "name": row["sku_name"],
                "group_price": str(row["group_price"]),
                "estimated": row["estimated"],
                "sold": row["sold"],
                "revenue": str(row["revenue"]),
            }
            for row in results["lines"]
        ],
    }


def deal_close(*, deal_id: int, lessons: str = "", by: Any) -> Deal:
    """Close a remitted deal with its summary: sold against estimated, and revenue."""
    with transaction.atomic():
        deal = _lock(deal_id)
        summary = _summary_json(deal_results(deal)) if deal.state == DealState.REMITTED else {}
        if summary:
            summary["remitted"] = str(deal.remittance_amount)
        transition(
            deal,
            "close",
            by=by,
            at=timezone.now(),
            summary=summary,
            lessons=(lessons or "").strip(),
            update_fields=["closed_at", "summary", "lessons"],
        )
    return deal


def deal_cancel(*, deal_id: int, why: str, by: Any) -> Deal:
    why = (why or "").strip()
    if not why:
        raise DealError(_("Give a reason."), {"fields": {"reason": [_("Give a reason.")]}})
    with transaction.atomic():
        deal = _lock(deal_id)
        transition(deal, "cancel", by=by, reason=why, why=why, update_fields=["cancel_reason"])
    return deal
