"""The listing pages as staff use them: permissions, forms that keep input, queues, exports."""

from __future__ import annotations

import csv
import io
import zipfile
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from listings import services
from listings.models import ApplicationState
from tests.listings.factories import application_at, application_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def login(client, user):
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("url_name", "allowed"),
    [
        ("listings:my_applications", {"bu_applicant"}),
        ("listings:application_new", {"bu_applicant"}),
        ("listings:review_queue", {"listing_reviewer"}),
        ("listings:design_queue", {"designer"}),
        ("listings:pricing_queue", {"shop_manager"}),
        (
            "listings:catalog",
            {"bu_applicant", "listing_reviewer", "designer", "shop_manager", "sales_rep"},
        ),
    ],
)
@pytest.mark.parametrize(
    "role", ["bu_applicant", "listing_reviewer", "designer", "shop_manager", "sales_rep", "picker"]
)
def test_pages_per_role(client, make_user, url_name, allowed, role):
    response = login(client, make_user(role)).get(reverse(url_name))
    assert response.status_code == (200 if role in allowed else 403)


def test_new_application_form_keeps_input_on_error(client, users):
    login(client, users["bu_applicant"])
    data = application_data()
    form = {key: (value.pk if hasattr(value, "pk") else value) for key, value in data.items()}
    form["online_guide_price"] = "0"
    response = client.post(reverse("listings:application_new"), form)
    assert response.status_code == 200
    html = response.content.decode()
    assert "玻尿酸保湿面霜" in html  # what the user typed is still there
    assert 'data-field="online_guide_price"' in html
    assert "form-error" in html


def test_applicant_submits_and_reviewer_rejects_through_pages(client, users):
    login(client, users["bu_applicant"])
    data = {k: (v.pk if hasattr(v, "pk") else v) for k, v in application_data().items()}
    response = client.post(reverse("listings:application_new"), {**data, "submit": "1"})
    application = users["bu_applicant"].listing_applications.get()
    assert response.status_code == 302
    assert application.state == ApplicationState.SUBMITTED

    login(client, users["listing_reviewer"])
    url = reverse("listings:application_action", args=[application.pk, "reject"])
    response = client.post(url, {"reason": ""}, follow=True)
    assert "Say why" in response.content.decode()
    client.post(url, {"reason": "价格偏高"})
    application.refresh_from_db()
    assert application.state == ApplicationState.REJECTED


def test_invalid_transition_shows_a_message_not_a_500(client, users):
    application = application_at("draft", users)
    login(client, users["listing_reviewer"])
    response = client.post(
        reverse("listings:application_action", args=[application.pk, "approve"]), follow=True
    )
    assert response.status_code == 200
    assert "cannot approve" in response.content.decode()


def test_reviewer_queue_query_count_does_not_grow(client, users, make_user):
    login(client, users["listing_reviewer"])

    def queries_with(n: int) -> int:
        applicants = [make_user("bu_applicant") for _ in range(3)]
        for i in range(n):
            application = services.application_create(
                applicant=applicants[i % 3], data=application_data()
            )
            services.application_submit(application_id=application.pk, by=applicants[i % 3])
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("listings:review_queue"))
        assert response.status_code == 200
        return len(ctx)

    ten = queries_with(10)
    two_hundred = queries_with(190)
    assert ten == two_hundred


def test_review_queue_is_sorted_by_time_left(client, users):
    first = application_at("submitted", users, product_name="先提交")
    second = application_at("submitted", users, product_name="后提交")
    response = login(client, users["listing_reviewer"]).get(reverse("listings:review_queue"))
    html = response.content.decode()
    assert html.index(first.number) < html.index(second.number)


def test_excel_export_has_the_catalog(client, users):
    sku = application_at("listed", users).sku
    response = login(client, users["shop_manager"]).get(
        reverse("listings:catalog_export", args=["xlsx"])
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    row = {headers[i]: cell.value for i, cell in enumerate(sheet[2])}
    assert row["SKU code"] == sku.code
    assert row["barcode"] == sku.barcode
    assert Decimal(str(row["online price (CNY)"])) == Decimal("139.00")
    assert row["state"] == "Listed"


def test_csv_export_opens_in_excel(client, users):
    sku = application_at("listed", users).sku
    response = login(client, users["shop_manager"]).get(
        reverse("listings:catalog_export", args=["csv"]) + f"?q={sku.code}"
    )
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["SKU code"] == sku.code
    assert row["online price (CNY)"] == "139.00"
    assert row["selling points"] == "补水\n温和"


def test_product_data_package_has_sheet_and_pictures(client, users):
    sku = application_at("listed", users).sku
    response = login(client, users["shop_manager"]).get(
        reverse("listings:data_package") + f"?sku={sku.pk}"
    )
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = archive.namelist()
    assert any(name.endswith(".xlsx") for name in names)
    assert sum(name.startswith(f"images/{sku.code}/") for name in names) == 2
    sheet_name = next(name for name in names if name.endswith(".xlsx"))
    sheet = load_workbook(io.BytesIO(archive.read(sheet_name))).worksheets[0]
    assert sheet["A2"].value == sku.code


def test_detail_page_preview_renders_the_house_style(client, users):
    application = application_at("designed", users)
    response = login(client, users["designer"]).get(
        reverse("listings:preview", args=[application.pk])
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "dp-hero" in html
    assert "保湿面霜" in html
    assert "补水" in html


def test_admin_shows_transition_buttons_and_log(admin_client, users):
    application = application_at("submitted", users)
    response = admin_client.get(
        reverse("admin:listings_listingapplication_change", args=[application.pk])
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "_fsm_transition_to" in html
    assert "approve" in html
    # The button runs the service: the reviewer is recorded and the review clock stops.
    from django.contrib import admin
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.test import RequestFactory

    from listings.models import ListingApplication

    request = RequestFactory().post("/")
    request.user = users["listing_reviewer"]
    request.session = {}  # type: ignore[assignment]
    request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
    model_admin: Any = admin.site._registry[ListingApplication]
    assert model_admin._apply_fsm_transition(
        obj=application, transition_name="approve", request=request
    )
    application.refresh_from_db()
    assert application.state == ApplicationState.APPROVED
    assert application.reviewer == users["listing_reviewer"]
