"""Who may do what in a shop opening: shop managers run it, designers and listing
reviewers tick their own set-up items, managers anything; others see nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ecomops.errors import PermissionDeniedError
from orders.models import OpeningState
from orders.services import (
    shop_document_upload,
    shop_documents_submit,
    shop_open,
    shop_opening_abandon,
    shop_opening_start,
    shop_review_pass,
    shop_step_complete,
)
from tests.orders.factories import (
    SHOP_MORNING,
    approved,
    document_type_id,
    ensure_opening_processes,
    prepared,
    shop_pdf,
    start_opening,
    step_id,
    with_documents,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("english"),
    pytest.mark.clock(SHOP_MORNING),
]

DESIGN_ITEMS = ("product_photos", "descriptions", "shop_decoration")


@pytest.fixture
def people(make_user: Any) -> dict[str, Any]:
    return {
        role: make_user(role, username=role)
        for role in (
            "shop_manager",
            "designer",
            "listing_reviewer",
            "manager",
            "sales_rep",
            "warehouse_admin",
        )
    }


def tick(opening: Any, code: str, by: Any) -> Any:
    return shop_step_complete(opening_id=opening.pk, step_id=step_id(opening, code), by=by)


def test_a_sales_rep_cannot_run_an_opening(people: dict[str, Any]) -> None:
    ensure_opening_processes()
    rep = people["sales_rep"]
    with pytest.raises(PermissionDeniedError):
        shop_opening_start(
            platform="tmall", code="rep-shop", name="店", company_name="公司", by=rep
        )
    opening = with_documents(
        prepared(start_opening(people["shop_manager"]), people["shop_manager"]),
        people["shop_manager"],
    )
    for attempt in (
        lambda: shop_documents_submit(opening_id=opening.pk, by=rep),
        lambda: tick(opening, "opening_exam", rep),
        lambda: shop_document_upload(
            opening_id=opening.pk,
            document_type_id=document_type_id(opening, "bank_account"),
            upload=shop_pdf(),
            by=rep,
        ),
        lambda: shop_opening_abandon(opening_id=opening.pk, reason="x", by=rep),
    ):
        with pytest.raises(PermissionDeniedError) as denied:
            attempt()
        assert denied.value.status_code == 403
    opening.refresh_from_db()
    assert opening.state == OpeningState.DOCUMENTS


def test_set_up_items_are_ticked_by_their_roles(people: dict[str, Any]) -> None:
    opening = approved(people["shop_manager"])
    designer, reviewer = people["designer"], people["listing_reviewer"]
    for code in DESIGN_ITEMS:
        assert tick(opening, code, designer).done_by == designer
    with pytest.raises(PermissionDeniedError) as denied:
        tick(opening, "first_products", designer)
    assert "Listing reviewer" in denied.value.message
    with pytest.raises(PermissionDeniedError):
        tick(opening, "shop_settings", reviewer)
    assert tick(opening, "first_products", reviewer).done_by == reviewer
    with pytest.raises(PermissionDeniedError) as denied:
        tick(opening, "shop_settings", designer)
    assert "Shop manager" in denied.value.message
    # The shop manager runs the opening but does not do the designer's work.
    other = approved(people["shop_manager"], code="tmall-two")
    with pytest.raises(PermissionDeniedError):
        tick(other, "product_photos", people["shop_manager"])
    # A manager may tick anything.
    assert tick(other, "product_photos", people["manager"]).is_done
    # Designers and reviewers do not run the opening.
    with pytest.raises(PermissionDeniedError):
        shop_open(opening_id=opening.pk, by=designer)
    with pytest.raises(PermissionDeniedError):
        shop_review_pass(
            opening_id=other.pk, step_id=step_id(other, "alipay_verification"), by=reviewer
        )


def test_a_manager_runs_every_step(people: dict[str, Any]) -> None:
    boss = people["manager"]
    opening = approved(boss)
    assert opening.owner == boss
    for record in opening.step_records.filter(phase="setup"):
        shop_step_complete(opening_id=opening.pk, step_id=record.step_id, by=boss)
    assert shop_open(opening_id=opening.pk, by=boss).state == OpeningState.OPEN


@pytest.mark.parametrize(
    ("role", "list_status", "detail_status", "new_status", "download_status"),
    [
        ("shop_manager", 200, 200, 200, 200),
        ("manager", 200, 200, 200, 200),
        ("designer", 200, 200, 403, 200),
        ("listing_reviewer", 200, 200, 403, 200),
        ("sales_rep", 403, 403, 403, 403),
        ("warehouse_admin", 403, 403, 403, 403),
    ],
)
def test_pages_per_role(
    people: dict[str, Any],
    role: str,
    list_status: int,
    detail_status: int,
    new_status: int,
    download_status: int,
) -> None:
    opening = with_documents(
        prepared(start_opening(people["shop_manager"]), people["shop_manager"]),
        people["shop_manager"],
    )
    document = opening.documents.first()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(people[role])
    assert client.get(reverse("orders:shop_list")).status_code == list_status
    assert client.get(reverse("orders:shop_detail", args=[opening.pk])).status_code == (
        detail_status
    )
    assert client.get(reverse("orders:shop_new")).status_code == new_status
    response = client.get(reverse("orders:shop_document", args=[document.pk]))
    assert response.status_code == download_status
    if download_status == 200:
        assert b"".join(response.streaming_content).startswith(b"%PDF-")  # type: ignore[attr-defined]


def test_a_designer_cannot_submit_through_the_portal(people: dict[str, Any]) -> None:
    opening = with_documents(
        prepared(start_opening(people["shop_manager"]), people["shop_manager"]),
        people["shop_manager"],
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(people["designer"])
    page = client.get(reverse("orders:shop_detail", args=[opening.pk])).content.decode()
    assert 'id="step-submit"' not in page
    assert 'id="upload-business_licence"' not in page
    response = client.post(reverse("orders:shop_action", args=[opening.pk, "submit"]))
    assert response.status_code == 403
    opening.refresh_from_db()
    assert opening.state == OpeningState.DOCUMENTS


def test_a_designer_ticks_design_items_in_the_portal_and_sees_no_other_buttons(
    people: dict[str, Any],
) -> None:
    opening = approved(people["shop_manager"])
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(people["designer"])
    page = client.get(reverse("orders:shop_detail", args=[opening.pk])).content.decode()
    for code in DESIGN_ITEMS:
        assert f'id="tick-{code}"' in page
    assert 'id="tick-first_products"' not in page
    assert 'id="step-open"' not in page
    response = client.post(
        reverse("orders:shop_action", args=[opening.pk, "step"]),
        {"step-step": step_id(opening, "product_photos"), "step-note": "主图 12 张"},
    )
    assert response.status_code == 302
    record = opening.step_records.get(code="product_photos")
    assert (record.done_by, record.note) == (people["designer"], "主图 12 张")
    response = client.post(
        reverse("orders:shop_action", args=[opening.pk, "step"]),
        {"step-step": step_id(opening, "first_products")},
    )
    assert response.status_code == 403
    assert not opening.step_records.get(code="first_products").is_done
