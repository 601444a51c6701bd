"""Group-buying deals: the papers and the proposal with its quote sheet, the schedule, stock
and content preparation, the live window, shipping, the remittance finance records (and
reconciles when it is missing), and the close with its summary."""

from __future__ import annotations

import io
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from distribution import tasks
from distribution.models import Deal, DealDocument, DealState, DocumentKind, PartnerState
from distribution.selectors.deals import deal_results, stock_requests_open
from distribution.services import deals, partners
from ecomops.calendar import local_datetime
from ecomops.errors import ConflictError, PermissionDeniedError
from ecomops.notifications.models import Notification
from finance.models import MismatchKind, Remittance
from finance.services.reconciliation import reconcile
from finance.services.remittances import remittance_receive
from listings.models import SkuState
from orders.models import Order, OrderState
from tests.distribution.factories import (
    brand_sku,
    deal_order,
    deal_with_lines,
    live_deal,
    make_partner,
    pdf_file,
    picture,
    prepared_deal,
    proposed_deal,
    scheduled_deal,
)
from tests.orders.factories import order_data, push
from tests.warehouse.factories import put_stock

pytestmark = pytest.mark.django_db

DAY = date(2026, 12, 1)  # a Tuesday
MORNING = local_datetime(DAY, time(10))


def on(day: date, hour: int = 10) -> Any:
    return local_datetime(day, time(hour))


def pdf_text(document: DealDocument) -> str:
    with document.file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return "\n".join(page.extract_text() for page in reader.pages)


def upload(deal: Deal, by: Any, kind: str, file: Any) -> DealDocument:
    return deals.deal_document_upload(deal_id=deal.pk, kind=kind, upload=file, by=by)


# --- The whole path ----------------------------------------------------------------------------


@pytest.mark.clock(MORNING)
@pytest.mark.usefixtures("english")
def test_a_deal_from_first_contact_to_close(
    network_sales, keeper, clerk, sku, django_capture_on_commit_callbacks, clock
):
    deal = deal_with_lines(network_sales, sku)
    site = deal.partner
    assert deal.state == DealState.CONTACTED
    assert deal.number.startswith("GB")

    # Papers: checked by their bytes; the proposal waits for all of them.
    with pytest.raises(deals.DealError) as refused:
        deals.deal_propose(deal_id=deal.pk, by=network_sales)
    for paper in ("Product specifications", "Company papers", "Quality inspection report"):
        assert paper in refused.value.message
    upload(deal, network_sales, "specifications", picture("spec.png"))
    upload(deal, network_sales, "company_papers", picture("licence.jpg", fmt="JPEG"))
    with pytest.raises(deals.DealError) as refused:
        deals.deal_propose(deal_id=deal.pk, by=network_sales)
    assert "Quality inspection report" in refused.value.message
    assert "Company papers" not in refused.value.message
    qc = upload(deal, network_sales, "qc_report", pdf_file("qc.pdf"))
    assert qc.content_type == "application/pdf"

    deal = deals.deal_propose(deal_id=deal.pk, by=network_sales)
    assert deal.state == DealState.PROPOSED
    assert deal.proposed_at == MORNING
    quote = deal.documents.get(kind=DocumentKind.QUOTE_SHEET)
    text = pdf_text(quote)
    assert "团购报价单" in text
    assert deal.number in text
    assert sku.code in text
    assert "69.00" in text
    assert "99.00" in text  # the online price beside it
    assert "50" in text
    assert "200" in text

    # The site approves and schedules: it becomes an active partner with a channel.
    with pytest.raises(deals.DealError) as refused:
        deals.deal_schedule(
            deal_id=deal.pk,
            listing_date=DAY - timedelta(days=1),
            end_date=DAY + timedelta(days=3),
            by=network_sales,
        )
    assert "listing_date" in refused.value.extra["fields"]
    deal = deals.deal_schedule(
        deal_id=deal.pk,
        listing_date=DAY + timedelta(days=2),
        end_date=DAY + timedelta(days=4),
        by=network_sales,
    )
    assert deal.state == DealState.SCHEDULED
    site.refresh_from_db()
    assert site.state == PartnerState.ACTIVE
    assert site.channel is not None
    assert site.channel.kind == "group_buying"
    assert site.channel.active
    channel = site.channel

    # Stock: the warehouse is told what is needed against what is there.
    put_stock(sku, 150)
    deals.deal_stock_request(deal_id=deal.pk, by=network_sales)
    assert list(stock_requests_open()) == [deal]
    request = Notification.objects.get(
        recipient=keeper, key__startswith=f"distribution.deal.{deal.pk}.stock."
    )
    assert "SKU-A: 200 needed, 150 available" in request.body

    with pytest.raises(PermissionDeniedError) as refused_role:
        deals.deal_stock_confirm(deal_id=deal.pk, by=network_sales)
    assert refused_role.value.status_code == 403
    deal = deals.deal_stock_confirm(deal_id=deal.pk, by=keeper)
    assert deal.state == DealState.SCHEDULED  # the images and texts are not ready yet
    assert deal.stock_prepared_by == keeper
    assert not list(stock_requests_open())
    with pytest.raises(deals.DealError):
        deals.deal_content_ready(deal_id=deal.pk, note=" ", by=network_sales)
    deal = deals.deal_content_ready(deal_id=deal.pk, note="主图已发", by=network_sales)
    assert deal.state == DealState.PREPARED

    # Live on the listing date, not before; the daily sweep takes it live once.
    with pytest.raises(ConflictError):
        deals.deal_go_live(deal_id=deal.pk, by=network_sales)
    assert deals.deals_go_live_due() == 0
    clock.move_to(on(DAY + timedelta(days=2), 8))
    assert deals.deals_go_live_due() == 1
    assert deals.deals_go_live_due() == 0
    deal.refresh_from_db()
    assert deal.state == DealState.LIVE
    assert deal.live_at == on(DAY + timedelta(days=2), 8)

    # Orders come in on the site's channel at the group price.
    clock.move_to(on(DAY + timedelta(days=3), 11))
    shipped = deal_order(deal, sku, 3)
    deal_order(deal, sku, 2, state=OrderState.CANCELLED)
    data = order_data(sku.code, external_id="MT-1")
    data["lines"] = [{"sku": sku.code, "quantity": 4, "unit_price": "69.00"}]
    answer = push(Client(), channel, data)
    assert answer.status_code == 201, answer.content
    pushed = Order.objects.get(channel=channel, external_id="MT-1")
    assert pushed.total_amount == Decimal("276.00")

    with pytest.raises(ConflictError) as still_open:
        deals.deal_all_shipped(deal_id=deal.pk, by=network_sales)
    assert "runs until" in still_open.value.message

    clock.move_to(on(DAY + timedelta(days=5), 9))
    with pytest.raises(ConflictError) as unshipped:
        deals.deal_all_shipped(deal_id=deal.pk, by=network_sales)
    assert "1 of the deal's orders" in unshipped.value.message
    Order.objects.filter(pk=pushed.pk).update(state=OrderState.SHIPPED, shipped_at=timezone.now())
    deal = deals.deal_all_shipped(deal_id=deal.pk, by=network_sales)
    assert deal.state == DealState.SHIPPED

    # The remittance: the window's revenue, cancelled orders aside.
    deal = deals.deal_expect_remittance(deal_id=deal.pk, by=network_sales)
    assert deal.state == DealState.REMITTANCE_EXPECTED
    assert deal.remittance_amount == Decimal("483.00")  # (3 + 4) × 69.00
    assert deal.remittance_due == DAY + timedelta(days=5 + 15)
    remittance = Remittance.objects.get(reference=deal.number)
    assert remittance.amount_expected == Decimal("483.00")
    assert remittance.channel == channel
    assert remittance.due_date == deal.remittance_due

    clock.move_to(on(DAY + timedelta(days=12), 15))
    with django_capture_on_commit_callbacks(execute=True):
        remittance_receive(
            remittance_id=remittance.pk,
            bank_reference="B-GB-1",
            amount=Decimal("483.00"),
            paid_at=timezone.now(),
            by=clerk,
        )
    deal.refresh_from_db()
    assert deal.state == DealState.REMITTED
    assert deal.remitted_at == on(DAY + timedelta(days=12), 15)
    assert Notification.objects.filter(
        recipient=network_sales, key=f"distribution.deal.{deal.pk}.remitted"
    ).exists()

    deal = deals.deal_close(deal_id=deal.pk, lessons="备货偏多", by=network_sales)
    assert deal.state == DealState.CLOSED
    assert deal.lessons == "备货偏多"
    assert deal.summary["orders"] == 2
    assert deal.summary["units"] == 7
    assert deal.summary["estimated"] == 200
    assert deal.summary["revenue"] == "483.00"
    assert deal.summary["remitted"] == "483.00"
    assert deal.summary["lines"] == [
        {
            "sku": sku.code,
            "name": sku.name,
            "group_price": "69.00",
            "estimated": 200,
            "sold": 7,
            "revenue": "483.00",
        }
    ]
    assert shipped.number != pushed.number


# --- Papers -----------------------------------------------------------------------------------


def test_a_text_file_is_refused_whatever_its_name(network_sales, sku):
    deal = deal_with_lines(network_sales, sku)
    fake = SimpleUploadedFile("papers.pdf", b"just some text", content_type="application/pdf")
    with pytest.raises(deals.DealError) as refused:
        upload(deal, network_sales, "company_papers", fake)
    assert "file" in refused.value.extra["fields"]
    assert not deal.documents.exists()


def test_a_too_big_file_is_refused(network_sales, sku, settings):
    deal = deal_with_lines(network_sales, sku)
    settings.DISTRIBUTION_DOCUMENT_MAX_BYTES = 40
    with pytest.raises(deals.DealError) as refused:
        upload(deal, network_sales, "company_papers", pdf_file())
    assert "file" in refused.value.extra["fields"]
    assert not deal.documents.exists()


def test_a_truncated_pdf_is_refused(network_sales, sku):
    deal = deal_with_lines(network_sales, sku)
    truncated = SimpleUploadedFile("qc.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\n" + b"x" * 2000)
    with pytest.raises(deals.DealError) as refused:
        upload(deal, network_sales, "qc_report", truncated)
    assert "file" in refused.value.extra["fields"]


@pytest.mark.parametrize(
    ("file", "content_type"),
    [
        (lambda: picture("a.png"), "image/png"),
        (lambda: picture("a.jpg", fmt="JPEG"), "image/jpeg"),
        (lambda: pdf_file("a.pdf"), "application/pdf"),
        (lambda: picture("named-wrong.pdf", fmt="JPEG"), "image/jpeg"),
    ],
)
def test_png_jpeg_and_pdf_papers_are_accepted_by_their_bytes(
    network_sales, sku, file, content_type
):
    deal = deal_with_lines(network_sales, sku)
    document = upload(deal, network_sales, "specifications", file())
    assert document.content_type == content_type
    assert document.size > 0
    assert document.uploaded_by == network_sales
    assert document.file.name.startswith(f"distribution/deals/{deal.number}/")


def test_the_quote_sheet_is_made_not_uploaded(network_sales, sku):
    deal = deal_with_lines(network_sales, sku)
    with pytest.raises(deals.DealError):
        upload(deal, network_sales, "quote_sheet", pdf_file())
    quote = deals.deal_quote_sheet(deal_id=deal.pk, by=network_sales)
    again = deals.deal_quote_sheet(deal_id=deal.pk, by=network_sales)
    assert deal.documents.filter(kind=DocumentKind.QUOTE_SHEET).get() == again
    assert quote.pk != again.pk


def test_papers_of_a_proposed_deal_are_fixed_but_more_may_be_added(network_sales, sku):
    deal = proposed_deal(network_sales, sku)
    paper = deal.documents.get(kind=DocumentKind.QC_REPORT)
    with pytest.raises(ConflictError):
        deals.deal_document_remove(document_id=paper.pk, by=network_sales)
    upload(deal, network_sales, "qc_report", pdf_file("qc-2.pdf"))
    assert deal.documents.filter(kind=DocumentKind.QC_REPORT).count() == 2


# --- Lines ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"group_price": Decimal("120.00")}, "group_price"),  # above the online price 99.00
        ({"group_price": Decimal("39.00")}, "group_price"),  # below 99.00 less 60 %
        ({"group_price": Decimal("0")}, "group_price"),
        ({"min_quantity": 0}, "min_quantity"),
        ({"estimated_quantity": 0}, "estimated_quantity"),
    ],
)
def test_a_deal_line_outside_the_rules_is_refused(network_sales, sku, change, field):
    deal = deal_with_lines(network_sales, sku)
    values: dict[str, Any] = {
        "sku_id": sku.pk,
        "group_price": Decimal("59.00"),
        "min_quantity": 10,
        "estimated_quantity": 100,
    }
    values.update(change)
    with pytest.raises(deals.DealError) as refused:
        deals.deal_line_save(deal_id=deal.pk, by=network_sales, **values)
    assert field in refused.value.extra["fields"]


def test_a_delisted_sku_cannot_be_in_a_deal(network_sales, sku):
    deal = deal_with_lines(network_sales, sku)
    old = brand_sku(sku.product.brand, "SKU-OLD", state=SkuState.DELISTED)
    with pytest.raises(deals.DealError) as refused:
        deals.deal_line_save(
            deal_id=deal.pk,
            sku_id=old.pk,
            group_price=Decimal("69.00"),
            min_quantity=1,
            estimated_quantity=1,
            by=network_sales,
        )
    assert "sku" in refused.value.extra["fields"]


def test_lines_change_until_the_proposal_then_are_fixed(network_sales, sku, sku2):
    deal = deal_with_lines(network_sales, sku)
    line = deals.deal_line_save(
        deal_id=deal.pk,
        sku_id=sku.pk,
        group_price=Decimal("59.00"),
        min_quantity=20,
        estimated_quantity=100,
        by=network_sales,
    )
    assert deal.lines.get().group_price == Decimal("59.00")
    second = deals.deal_line_save(
        deal_id=deal.pk,
        sku_id=sku2.pk,
        group_price=Decimal("79.00"),
        min_quantity=20,
        estimated_quantity=100,
        by=network_sales,
    )
    deals.deal_line_remove(line_id=second.pk, by=network_sales)
    assert list(deal.lines.all()) == [line]

    proposed = proposed_deal(network_sales, sku, site=deal.partner)
    with pytest.raises(ConflictError):
        deals.deal_line_save(
            deal_id=proposed.pk,
            sku_id=sku.pk,
            group_price=Decimal("65.00"),
            min_quantity=10,
            estimated_quantity=100,
            by=network_sales,
        )


def test_a_deal_without_lines_is_not_proposed(network_sales, sku):
    site = make_partner(network_sales, kind="group_buying", shop_name="团购网", platform="meituan")
    deal = deals.deal_create(
        partner_id=site.pk, title="空活动", owner=network_sales, by=network_sales
    )
    with pytest.raises(deals.DealError):
        deals.deal_propose(deal_id=deal.pk, by=network_sales)


# --- Who and with whom -------------------------------------------------------------------------


def test_deals_are_made_with_open_group_buying_sites_only(specialist, network_sales, sku):
    agent = make_partner(network_sales)
    with pytest.raises(deals.DealError) as refused:
        deals.deal_create(partner_id=agent.pk, title="团购", owner=network_sales, by=network_sales)
    assert "partner" in refused.value.extra["fields"]
    with pytest.raises(deals.DealError):
        deals.deal_create(partner_id=agent.pk, title=" ", owner=network_sales, by=network_sales)

    deal = scheduled_deal(network_sales, sku)
    site = deal.partner
    partners.partner_suspend(partner_id=site.pk, why="回款慢", by=specialist)
    with pytest.raises(ConflictError):
        deals.deal_create(partner_id=site.pk, title="新团购", owner=network_sales, by=network_sales)


def test_a_suspended_site_cannot_schedule_a_deal(specialist, network_sales, sku):
    first = scheduled_deal(network_sales, sku)
    second = proposed_deal(network_sales, sku, site=first.partner)
    partners.partner_suspend(partner_id=first.partner_id, why="回款慢", by=specialist)
    with pytest.raises(ConflictError):
        deals.deal_schedule(
            deal_id=second.pk,
            listing_date=timezone.localdate(),
            end_date=timezone.localdate(),
            by=network_sales,
        )
    second.refresh_from_db()
    assert second.state == DealState.PROPOSED


def test_a_deal_is_cancelled_before_it_goes_live_with_a_reason(network_sales, keeper, sku):
    deal = prepared_deal(network_sales, sku, keeper)
    with pytest.raises(deals.DealError):
        deals.deal_cancel(deal_id=deal.pk, why="", by=network_sales)
    deal = deals.deal_cancel(deal_id=deal.pk, why="网站取消活动", by=network_sales)
    assert deal.state == DealState.CANCELLED
    assert deal.cancel_reason == "网站取消活动"
    live = live_deal(network_sales, sku, keeper, site=deal.partner)
    with pytest.raises(ConflictError):
        deals.deal_cancel(deal_id=live.pk, why="太晚了", by=network_sales)


def test_stock_and_content_wait_for_the_schedule(network_sales, keeper, sku):
    deal = proposed_deal(network_sales, sku)
    with pytest.raises(ConflictError):
        deals.deal_stock_request(deal_id=deal.pk, by=network_sales)
    with pytest.raises(ConflictError):
        deals.deal_stock_confirm(deal_id=deal.pk, by=keeper)
    with pytest.raises(ConflictError):
        deals.deal_content_ready(deal_id=deal.pk, note="图文", by=network_sales)


def test_content_first_then_stock_also_prepares_the_deal(network_sales, keeper, sku):
    deal = scheduled_deal(network_sales, sku)
    deal = deals.deal_content_ready(deal_id=deal.pk, note="图文已备", by=network_sales)
    assert deal.state == DealState.SCHEDULED
    deal = deals.deal_stock_confirm(deal_id=deal.pk, by=keeper)
    assert deal.state == DealState.PREPARED
    assert Notification.objects.filter(
        recipient=network_sales, key=f"distribution.deal.{deal.pk}.stock_prepared"
    ).exists()


@pytest.mark.clock(MORNING)
def test_the_daily_task_takes_due_deals_live_and_runs_twice_harmlessly(
    network_sales, keeper, sku, clock
):
    deal = prepared_deal(network_sales, sku, keeper, listing_date=DAY + timedelta(days=1))
    assert tasks.daily_distribution() == {"expiring": 0, "live": 0}
    clock.move_to(on(DAY + timedelta(days=1), 0))
    assert tasks.daily_distribution.delay().get() == {"expiring": 0, "live": 1}
    assert tasks.daily_distribution() == {"expiring": 0, "live": 0}
    deal.refresh_from_db()
    assert deal.state == DealState.LIVE


@pytest.mark.clock(MORNING)
def test_nothing_sold_means_no_remittance(network_sales, keeper, sku, clock):
    deal = live_deal(network_sales, sku, keeper, days=1)
    clock.move_to(on(DAY + timedelta(days=1)))
    deals.deal_all_shipped(deal_id=deal.pk, by=network_sales)
    with pytest.raises(deals.DealError):
        deals.deal_expect_remittance(deal_id=deal.pk, by=network_sales)
    deal = deals.deal_expect_remittance(
        deal_id=deal.pk, amount=Decimal("100.00"), due=DAY + timedelta(days=3), by=network_sales
    )
    assert deal.remittance_amount == Decimal("100.00")
    assert Remittance.objects.get(reference=deal.number).amount_expected == Decimal("100.00")


# --- Reconciliation -------------------------------------------------------------------------------


def missing_remittances(day: date) -> list[str]:
    run = reconcile(day=day)
    return list(
        run.mismatches.filter(kind=MismatchKind.REMITTANCE_MISSING).values_list(
            "reference", flat=True
        )
    )


@pytest.mark.clock(MORNING)
def test_a_remittance_missing_after_its_due_date_is_a_reconciliation_mismatch(
    network_sales, keeper, clerk, sku, django_capture_on_commit_callbacks, clock
):
    deal = live_deal(network_sales, sku, keeper, days=1)
    deal_order(deal, sku, 2)
    clock.move_to(on(DAY + timedelta(days=1)))
    deals.deal_all_shipped(deal_id=deal.pk, by=network_sales)
    deal = deals.deal_expect_remittance(
        deal_id=deal.pk, due=DAY + timedelta(days=3), by=network_sales
    )

    clock.move_to(on(DAY + timedelta(days=3), 2))
    assert deal.number not in missing_remittances(DAY + timedelta(days=2))  # not due yet
    clock.move_to(on(DAY + timedelta(days=4), 2))
    run = reconcile(day=DAY + timedelta(days=3))
    mismatch = run.mismatches.get(kind=MismatchKind.REMITTANCE_MISSING)
    assert mismatch.reference == deal.number
    assert mismatch.expected == Decimal("138.00")

    clock.move_to(on(DAY + timedelta(days=4), 11))
    remittance = Remittance.objects.get(reference=deal.number)
    with django_capture_on_commit_callbacks(execute=True):
        remittance_receive(
            remittance_id=remittance.pk,
            bank_reference="B-LATE-1",
            amount=Decimal("138.00"),
            paid_at=timezone.now(),
            by=clerk,
        )
    clock.move_to(on(DAY + timedelta(days=5), 2))
    assert deal.number not in missing_remittances(DAY + timedelta(days=4))
    deal.refresh_from_db()
    assert deal.state == DealState.REMITTED


@pytest.mark.clock(MORNING)
def test_a_remittance_for_another_reference_leaves_deals_alone(network_sales, keeper, sku):
    assert deals.deal_remitted(reference="GB-UNKNOWN") is None
    deal = live_deal(network_sales, sku, keeper)
    assert deals.deal_remitted(reference=deal.number) is None
    deal.refresh_from_db()
    assert deal.state == DealState.LIVE
    results = deal_results(deal)
    assert results["orders"] == 0
    assert results["revenue"] == Decimal("0.00")
