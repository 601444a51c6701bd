"""Shipment confirmation (发货回传, issue 21 §1): the outbox written with the hand-over, the
signed callback delivered once with backoff, the not-confirmed queue, and the platforms'
bulk-shipping files downloaded from the warehouse portal."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from typing import Any

import openpyxl
import pytest
import requests
from django.test import Client
from django.urls import reverse

from ecomops.api import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from ecomops.notifications.models import Notification
from orders.models import Order
from tests.orders.factories import make_channel, make_customer
from tests.timeutil import at
from tests.warehouse.factories import MONDAY_MORNING, make_order, pick_all, put_stock
from warehouse import services
from warehouse.models import (
    ConfirmationAttempt,
    ConfirmationExport,
    ConfirmationStatus,
    DeliveryNote,
    Manifest,
    NoteState,
    Parcel,
    PlatformCarrierName,
    ShipmentConfirmation,
    Wave,
)
from warehouse.services import confirmations
from warehouse.services.packing import pack_scans
from warehouse.tasks import deliver_shipment_confirmations

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.clock(at(2026, 11, 23, 13)),
    pytest.mark.usefixtures("english"),
]

CALLBACK = "https://shop.example.com/ecomops/shipments"


class FakeResponse:
    def __init__(self, status_code: int, text: str = "") -> None:
        self.status_code = status_code
        self.text = text


class ChannelEndpoint:
    """The channel's callback: records each post (checking its signature as a channel
    would) and answers the scripted statuses, then 200."""

    def __init__(self, *answers: int | Exception) -> None:
        self.answers = list(answers)
        self.posts: list[dict[str, Any]] = []

    def __call__(self, url: str, *, data: bytes, headers: dict[str, str], timeout: Any) -> Any:
        timestamp = headers[TIMESTAMP_HEADER]
        self.posts.append(
            {
                "url": url,
                "body": json.loads(data),
                "key": headers["Idempotency-Key"],
                "signed": headers[SIGNATURE_HEADER] == sign("test-secret", timestamp, data),
            }
        )
        answer = self.answers.pop(0) if self.answers else 200
        if isinstance(answer, Exception):
            raise answer
        return FakeResponse(answer, "" if answer < 300 else "try later")


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> ChannelEndpoint:
    fake = ChannelEndpoint()
    monkeypatch.setattr(confirmations.requests, "post", fake)
    return fake


@pytest.fixture
def stock(warehouse: Any, sku: Any, sku2: Any) -> Any:
    put_stock(sku, 200)
    put_stock(sku2, 200, at="A-02")
    return sku


def pack_notes(orders: list[Order], packer: Any) -> list[Parcel]:
    """Every picked note of these orders into its parcel (a merged one once)."""
    parcels: dict[int, Parcel] = {}
    for note in DeliveryNote.objects.filter(order__in=orders).order_by("pk"):
        note.refresh_from_db()
        if note.state != NoteState.PICKED:
            continue
        codes = [
            line.sku.barcode
            for line in services.pack_lines(services.pack_find(note.number))
            for _unit in range(line.to_pack - line.packed_quantity)
        ]
        assert all(r.accepted for r in pack_scans(note_id=note.pk, codes=codes, by=packer))
        parcel = services.pack_close(note_id=note.pk, weight_grams=400, by=packer)
        parcels[parcel.pk] = parcel
    return list(parcels.values())


def ready_to_ship(orders: list[Order], people: dict[str, Any]) -> list[Parcel]:
    """Allocate, release, pick, sort and pack the orders: parcels waiting for the courier."""
    services.allocation_issue(order_ids=[o.pk for o in orders], by=people["parts_admin"])
    services.batch_release(batch_date=date(2026, 11, 23), slot=12)
    for wave in Wave.objects.all():
        pick_all(wave, people["picker"])
        services.wave_sort(wave_id=wave.pk, by=people["picker"])
    return pack_notes(orders, people["packer"])


def sign_manifest(parcels: list[Parcel], keeper: Any) -> Manifest:
    manifest = services.manifest_open(carrier_id=parcels[0].carrier_id, by=keeper)
    return services.manifest_sign(
        manifest_id=manifest.pk, courier_name="王师傅", counted=len(parcels), by=keeper
    )


@pytest.fixture
def people(parts_admin: Any, picker: Any, packer: Any, keeper: Any) -> dict[str, Any]:
    return {"parts_admin": parts_admin, "picker": picker, "packer": packer, "keeper": keeper}


@pytest.fixture
def hook_channel(db: None) -> Any:
    return make_channel(code="shop", kind="webshop", callback_url=CALLBACK, merge_parcels=False)


# --- The outbox and the hand-over --------------------------------------------------------------


def test_the_hand_over_writes_one_confirmation_per_order_in_its_transaction(
    stock: Any,
    sku2: Any,
    people: dict[str, Any],
    hook_channel: Any,
    endpoint: ChannelEndpoint,
    django_capture_on_commit_callbacks: Any,
) -> None:
    tmall = make_channel(code="tmall", kind="tmall")
    keyed = make_channel(code="manual", kind="manual")
    hooked = make_order([(stock, 1)], channel=hook_channel, accepted_at=MONDAY_MORNING)
    filed = make_order([(stock, 1)], channel=tmall, accepted_at=MONDAY_MORNING)
    nobody = make_order([(stock, 1)], channel=keyed, accepted_at=MONDAY_MORNING)
    parcels = ready_to_ship([hooked, filed, nobody], people)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        manifest = sign_manifest(parcels, people["keeper"])
    rows = {c.order_id: c for c in ShipmentConfirmation.objects.all()}
    assert set(rows) == {hooked.pk, filed.pk}  # a keyed-in order has nobody to tell
    assert (rows[hooked.pk].method, rows[hooked.pk].status) == ("callback", "pending")
    assert rows[hooked.pk].next_attempt_at == manifest.signed_at
    assert (rows[filed.pk].method, rows[filed.pk].next_attempt_at) == ("file", None)
    assert {c.manifest_id for c in rows.values()} == {manifest.pk}
    assert endpoint.posts == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()
    assert [post["body"]["external_id"] for post in endpoint.posts] == [hooked.external_id]


def test_a_hand_over_rolled_back_confirms_nothing(
    stock: Any,
    people: dict[str, Any],
    hook_channel: Any,
    endpoint: ChannelEndpoint,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    order = make_order([(stock, 1)], channel=hook_channel, accepted_at=MONDAY_MORNING)
    parcels = ready_to_ship([order], people)

    def fail(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr("warehouse.services.shipping.batch_check_done", fail)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        sign_manifest(parcels, people["keeper"])
    assert not ShipmentConfirmation.objects.exists()
    assert endpoint.posts == []
    assert Manifest.objects.get().state == Manifest.State.OPEN


def test_a_split_order_is_confirmed_at_each_hand_over_with_its_waybill(
    warehouse: Any,
    sku: Any,
    sku2: Any,
    people: dict[str, Any],
    hook_channel: Any,
    endpoint: ChannelEndpoint,
    clock: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    put_stock(sku, 5)
    put_stock(sku2, 1, at="A-02")
    order = make_order([(sku, 2), (sku2, 3)], channel=hook_channel, accepted_at=MONDAY_MORNING)
    services.allocation_issue(order_ids=[order.pk], by=people["parts_admin"])
    _first, rest = services.allocation_split(order_id=order.pk, by=people["parts_admin"])
    first_parcels = ready_to_ship([order], people)
    with django_capture_on_commit_callbacks(execute=True):
        sign_manifest(first_parcels, people["keeper"])
    # the rest comes in, goes out in the 15:00 batch on the next hand-over
    put_stock(sku2, 2, at="A-03")
    services.note_allocate_waiting(note_id=rest.pk, by=people["parts_admin"])
    clock.move_to(at(2026, 11, 23, 15, 5))
    services.batch_release(batch_date=date(2026, 11, 23), slot=15)
    for wave in Wave.objects.filter(batch__slot=15):
        pick_all(wave, people["picker"])
        services.wave_sort(wave_id=wave.pk, by=people["picker"])
    second_parcels = pack_notes([order], people["packer"])
    with django_capture_on_commit_callbacks(execute=True):
        sign_manifest(second_parcels, people["keeper"])
    assert ShipmentConfirmation.objects.filter(order=order).count() == 2
    assert [[w["waybill_number"] for w in post["body"]["waybills"]] for post in endpoint.posts] == [
        [first_parcels[0].waybill_number],
        [second_parcels[0].waybill_number],
    ]


# --- Delivering the callback ---------------------------------------------------------------------


def test_the_callback_is_signed_and_delivered_once(
    stock: Any,
    people: dict[str, Any],
    hook_channel: Any,
    endpoint: ChannelEndpoint,
    django_capture_on_commit_callbacks: Any,
) -> None:
    order = make_order([(stock, 2)], channel=hook_channel, accepted_at=MONDAY_MORNING)
    parcels = ready_to_ship([order], people)
    with django_capture_on_commit_callbacks(execute=True):
        sign_manifest(parcels, people["keeper"])
    [post] = endpoint.posts
    assert post["url"] == CALLBACK
    assert post["signed"]
    confirmation = ShipmentConfirmation.objects.get()
    assert post["key"] == f"ecomops-shipment-{confirmation.pk}"
    assert post["body"] == {
        "confirmation_id": confirmation.pk,
        "external_id": order.external_id,
        "order_number": order.number,
        "shipped_at": "2026-11-23T13:00:00+08:00",
        "waybills": [
            {
                "carrier": "ZTO",
                "carrier_name": "中通快递",
                "waybill_number": parcels[0].waybill_number,
            }
        ],
    }
    assert confirmation.status == ConfirmationStatus.CONFIRMED
    assert [(a.ok, a.status_code) for a in confirmation.attempt_log.all()] == [(True, 200)]
    # the sweep, a redelivered message, the manifest's task again: nothing is posted twice
    deliver_shipment_confirmations.apply()
    deliver_shipment_confirmations.apply(kwargs={"manifest_id": confirmation.manifest_id})
    deliver_shipment_confirmations.apply(kwargs={"confirmation_ids": [confirmation.pk]})
    assert len(endpoint.posts) == 1


def test_a_refused_callback_waits_and_is_delivered_once_across_a_worker_restart(
    stock: Any,
    people: dict[str, Any],
    hook_channel: Any,
    endpoint: ChannelEndpoint,
    clock: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    endpoint.answers = [503]
    order = make_order([(stock, 1)], channel=hook_channel, accepted_at=MONDAY_MORNING)
    with django_capture_on_commit_callbacks(execute=True):
        sign_manifest(ready_to_ship([order], people), people["keeper"])
    confirmation = ShipmentConfirmation.objects.get()
    assert (confirmation.status, confirmation.attempts) == ("pending", 1)
    assert confirmation.next_attempt_at == at(2026, 11, 23, 13, 1)
    assert confirmation.last_error == "HTTP 503: try later"
    deliver_shipment_confirmations.apply()  # not due yet: nothing
    assert len(endpoint.posts) == 1

    # The worker dies after the channel took the post, before its transaction commits.
    clock.shift(timedelta(minutes=1))
    real_create = ConfirmationAttempt.objects.create

    def worker_lost(**kwargs: Any) -> Any:
        raise SystemExit("worker lost")

    monkeypatch.setattr(ConfirmationAttempt.objects, "create", worker_lost)
    with pytest.raises(SystemExit):
        confirmations.confirmation_deliver(confirmation_id=confirmation.pk)
    monkeypatch.setattr(ConfirmationAttempt.objects, "create", real_create)
    confirmation.refresh_from_db()
    assert (confirmation.status, confirmation.attempts) == ("pending", 1)  # nothing lost

    # The restarted worker's sweep finds it still due and sends it again, with the same key.
    deliver_shipment_confirmations.apply()
    deliver_shipment_confirmations.apply()
    confirmation.refresh_from_db()
    assert confirmation.status == ConfirmationStatus.CONFIRMED
    assert len(endpoint.posts) == 3
    assert {post["key"] for post in endpoint.posts} == {f"ecomops-shipment-{confirmation.pk}"}
    assert [(a.ok, a.status_code) for a in confirmation.attempt_log.all()] == [
        (False, 503),
        (True, 200),
    ]


def test_backoff_doubles_then_the_confirmation_is_not_confirmed_and_the_admin_told_once(
    stock: Any,
    people: dict[str, Any],
    hook_channel: Any,
    endpoint: ChannelEndpoint,
    clock: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    endpoint.answers = [500, 500, requests.ConnectionError("refused"), 500, 500, 500, 500]
    order = make_order([(stock, 1)], channel=hook_channel, accepted_at=MONDAY_MORNING)
    with django_capture_on_commit_callbacks(execute=True):
        sign_manifest(ready_to_ship([order], people), people["keeper"])
    confirmation = ShipmentConfirmation.objects.get()
    waits = []
    while confirmation.status == ConfirmationStatus.PENDING:
        wait = confirmation.next_attempt_at - clock_now()
        waits.append(wait)
        clock.shift(wait)
        deliver_shipment_confirmations.apply()
        deliver_shipment_confirmations.apply()  # beat twice: each attempt is made once
        confirmation.refresh_from_db()
    assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32)]
    assert confirmation.status == ConfirmationStatus.FAILED
    assert confirmation.attempts == 7 == len(endpoint.posts)
    assert "ConnectionError: refused" in confirmation.attempt_log.all()[2].error
    assert confirmation.last_error == "HTTP 500: try later"
    told = Notification.objects.filter(
        recipient=people["keeper"], title__contains="Shipment not confirmed"
    )
    assert told.count() == 1
    deliver_shipment_confirmations.apply()
    assert len(endpoint.posts) == 7


def clock_now() -> Any:
    from django.utils import timezone

    return timezone.now()


# --- The not-confirmed queue ---------------------------------------------------------------------


@pytest.fixture
def failed(
    stock: Any,
    people: dict[str, Any],
    hook_channel: Any,
    endpoint: ChannelEndpoint,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> ShipmentConfirmation:
    settings.SHIPMENT_CONFIRMATION_MAX_ATTEMPTS = 1
    endpoint.answers = [404]
    order = make_order([(stock, 1)], channel=hook_channel, accepted_at=MONDAY_MORNING)
    with django_capture_on_commit_callbacks(execute=True):
        sign_manifest(ready_to_ship([order], people), people["keeper"])
    confirmation = ShipmentConfirmation.objects.get()
    assert confirmation.status == ConfirmationStatus.FAILED
    return confirmation


def test_the_admin_sees_the_failure_and_retries_it(
    failed: ShipmentConfirmation,
    keeper: Any,
    client: Client,
    endpoint: ChannelEndpoint,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client.force_login(keeper)
    page = client.get(reverse("warehouse:confirmation_queue"))
    assert page.status_code == 200
    html = page.content.decode()
    assert failed.order.external_id in html
    assert "HTTP 404: try later" in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("warehouse:confirmation_retry", args=[failed.pk]))
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status == ConfirmationStatus.CONFIRMED
    assert [a.ok for a in failed.attempt_log.all()] == [False, True]
    assert len(endpoint.posts) == 2


def test_marking_done_by_hand_needs_a_reason_and_keeps_who_and_why(
    failed: ShipmentConfirmation, keeper: Any, client: Client
) -> None:
    client.force_login(keeper)
    url = reverse("warehouse:confirmation_detail", args=[failed.pk])
    refused = client.post(url, {"reason": "  "})
    assert refused.status_code == 200
    assert "This field is required." in refused.content.decode()
    failed.refresh_from_db()
    assert failed.status == ConfirmationStatus.FAILED
    done = client.post(url, {"reason": "typed into the seller centre"})
    assert done.status_code == 302
    failed.refresh_from_db()
    assert (failed.status, failed.confirmed_by, failed.by_hand_reason) == (
        "confirmed",
        keeper,
        "typed into the seller centre",
    )
    page = client.get(reverse("warehouse:confirmation_queue")).content.decode()
    assert "Every callback reached its channel." in page


@pytest.mark.parametrize(
    ("role", "view", "post"),
    [
        ("packer", 403, 403),
        ("picker", 403, 403),
        ("manager", 200, 302),
        ("warehouse_admin", 200, 302),
    ],
)
def test_confirmations_are_the_warehouse_admins(
    failed: ShipmentConfirmation,
    make_user: Any,
    client: Client,
    role: str,
    view: int,
    post: int,
    endpoint: ChannelEndpoint,
) -> None:
    client.force_login(make_user(role, username=f"u-{role}"))
    assert client.get(reverse("warehouse:confirmation_queue")).status_code == view
    assert (
        client.get(reverse("warehouse:confirmation_detail", args=[failed.pk])).status_code == view
    )
    retry = client.post(reverse("warehouse:confirmation_retry", args=[failed.pk]))
    assert retry.status_code == post


# --- Bulk-shipping files ---------------------------------------------------------------


def file_content(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def read_sheet(content: bytes) -> dict[str, list[list[Any]]]:
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    return {
        sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)]
        for sheet in workbook.worksheets
    }


def test_taobao_file_downloaded_once_confirms_what_it_holds(
    stock: Any,
    people: dict[str, Any],
    keeper: Any,
    client: Client,
    django_capture_on_commit_callbacks: Any,
) -> None:
    tmall = make_channel(code="tmall", kind="tmall", merge_parcels=False)
    orders = [
        make_order([(stock, 1)], channel=tmall, accepted_at=MONDAY_MORNING, external_id=ext)
        for ext in ("4012345678901234567", "4012345678901234568")
    ]
    parcels = ready_to_ship(orders, people)
    with django_capture_on_commit_callbacks(execute=True):
        sign_manifest(parcels, keeper)
    client.force_login(keeper)
    queue = client.get(reverse("warehouse:confirmation_queue")).content.decode()
    assert 'data-channel="tmall"' in queue
    response = client.post(reverse("warehouse:confirmation_export", args=[tmall.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    content = file_content(response)
    sheets = read_sheet(content)
    waybill = {p.notes.get().order.external_id: p.waybill_number for p in parcels}
    assert sheets["批量发货"] == [
        ["订单编号", "物流公司", "运单号"],
        ["4012345678901234567", "中通快递", waybill["4012345678901234567"]],
        ["4012345678901234568", "中通快递", waybill["4012345678901234568"]],
    ]
    assert sheets["物流公司"][0] == ["物流公司"]
    assert ["中通快递"] in sheets["物流公司"]
    assert set(ShipmentConfirmation.objects.values_list("status", flat=True)) == {"confirmed"}
    export = ConfirmationExport.objects.get()
    assert (export.row_count, export.created_by) == (2, keeper)

    again = client.post(reverse("warehouse:confirmation_export", args=[tmall.pk]), follow=True)
    assert "Everything shipped for" in again.content.decode()
    assert ConfirmationExport.objects.count() == 1
    past = client.get(reverse("warehouse:confirmation_export_download", args=[export.pk]))
    assert file_content(past) == content


def test_pinduoduo_file_uses_its_columns_and_carrier_names(
    stock: Any, people: dict[str, Any], keeper: Any, client: Client
) -> None:
    pdd = make_channel(code="pdd", kind="pinduoduo")
    order = make_order([(stock, 1)], channel=pdd, accepted_at=MONDAY_MORNING)
    parcels = ready_to_ship([order], people)
    sign_manifest(parcels, keeper)
    client.force_login(keeper)
    missing = client.post(reverse("warehouse:confirmation_export", args=[pdd.pk]), follow=True)
    assert "The platform&#x27;s name of carrier ZTO is not set" in missing.content.decode()
    PlatformCarrierName.objects.create(platform="pinduoduo", carrier_code="ZTO", name="中通快递")
    response = client.post(reverse("warehouse:confirmation_export", args=[pdd.pk]))
    sheets = read_sheet(file_content(response))
    assert sheets == {
        "批量发货": [
            ["订单号", "快递公司", "快递单号"],
            [order.external_id, "中通快递", parcels[0].waybill_number],
        ]
    }


def test_a_platform_without_a_known_template_is_confirmed_by_hand(
    stock: Any, people: dict[str, Any], keeper: Any, client: Client
) -> None:
    jd = make_channel(code="jd", kind="jd")
    order = make_order([(stock, 1)], channel=jd, accepted_at=MONDAY_MORNING)
    sign_manifest(ready_to_ship([order], people), keeper)
    client.force_login(keeper)
    refused = client.post(reverse("warehouse:confirmation_export", args=[jd.pk]), follow=True)
    assert "The bulk-shipping template of JD is not known yet" in refused.content.decode()
    confirmation = ShipmentConfirmation.objects.get()
    assert confirmation.status == ConfirmationStatus.PENDING
    confirmations.confirmation_mark_done(
        confirmation_id=confirmation.pk, reason="shipped in 京麦 by hand", by=keeper
    )
    confirmation.refresh_from_db()
    assert confirmation.status == ConfirmationStatus.CONFIRMED


def test_same_customer_orders_merged_in_one_parcel_are_each_confirmed(
    stock: Any, people: dict[str, Any], keeper: Any
) -> None:
    tmall = make_channel(code="tmall", kind="tmall", merge_parcels=True)
    buyer = make_customer()
    orders = [
        make_order([(stock, 1)], channel=tmall, customer=buyer, accepted_at=MONDAY_MORNING)
        for _ in range(2)
    ]
    [parcel] = ready_to_ship(orders, people)
    sign_manifest([parcel], keeper)
    export = confirmations.confirmations_export(channel_id=tmall.pk, by=keeper)
    rows = read_sheet(bytes(export.content))["批量发货"][1:]
    assert sorted(rows) == sorted(
        [[o.external_id, "中通快递", parcel.waybill_number] for o in orders]
    )
