"""The manager's admin for delivery notes, waves, batches, parcels and manifests: the state
log beside each one and buttons for the next steps, which run the services (a refusal is a
message, never a 500)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django_fsm_log.models import StateLog

from orders.models import Order, OrderState
from tests.timeutil import at
from tests.warehouse.factories import pack, pick_all
from warehouse import services
from warehouse.models import (
    Batch,
    BatchState,
    DeliveryNote,
    Manifest,
    ManifestState,
    NoteState,
    Parcel,
    ParcelState,
    Wave,
    WaveState,
)

pytestmark = [pytest.mark.django_db, pytest.mark.clock(at(2026, 11, 23, 13))]


def change_url(obj: Any) -> str:
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])


def transition_url(obj: Any, name: str) -> str:
    meta = obj._meta
    return reverse(
        f"admin:{meta.app_label}_{meta.model_name}_transition",
        kwargs={"object_id": obj.pk, "transition_name": name},
    )


def state_log_rows(response: Any) -> list[StateLog]:
    """The rows the state-log inline shows on a change page."""
    (inline,) = [
        f for f in response.context["inline_admin_formsets"] if f.formset.model is StateLog
    ]
    return [form.instance for form in inline.formset.forms]


def press(client: Client, obj: Any, name: str) -> Any:
    """Press the button of transition ``name`` on the object's change page (the read-only
    change form is posted with its inlines' management data, as the browser sends it)."""
    page = client.get(change_url(obj))
    assert page.status_code == 200
    assert f'value="{name}"' in page.content.decode(), f"no {name} button"
    data: dict[str, Any] = {"_fsm_transition_to": name}
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for field in management.fields:
            data[management.add_prefix(field)] = management[field].value()
        for form in formset.forms:
            for field in form.fields:
                value = form[field].value()
                if value is not None:
                    data[form.add_prefix(field)] = value
    return client.post(change_url(obj), data)


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def admin_client(client: Client, manager: Any) -> Client:
    client.force_login(manager)
    return client


@pytest.fixture
def shipped(released: dict[str, Any], picker: Any, packer: Any, keeper: Any) -> dict[str, Any]:
    """The first order's parcel handed to the courier; the second order sorted, not packed."""
    pick_all(released["wave"], picker)
    services.wave_sort(wave_id=released["wave"].pk, by=picker)
    parcel = pack(released["first"], packer)
    manifest = services.manifest_open(carrier_id=parcel.carrier_id, by=keeper)
    services.manifest_sign(manifest_id=manifest.pk, courier_name="王师傅", counted=1, by=keeper)
    return {**released, "parcel": Parcel.objects.get(pk=parcel.pk), "manifest": manifest}


def test_every_change_page_shows_its_state_log(
    admin_client: Client, shipped: dict[str, Any], keeper: Any
) -> None:
    note = DeliveryNote.objects.get(order=shipped["first"])
    for obj, first_step in [
        (note, "release"),
        (shipped["wave"], "finish_picking"),
        (shipped["batch"], "release"),
        (shipped["parcel"], "hand_over"),
        (shipped["manifest"], "sign"),
    ]:
        response = admin_client.get(change_url(obj))
        assert response.status_code == 200, obj
        rows = state_log_rows(response)
        assert rows, obj
        assert rows[-1].transition == first_step  # newest first
    parcel_page = admin_client.get(change_url(shipped["parcel"]))
    assert "王师傅" in parcel_page.content.decode()  # the hand-over's reason
    assert [row.by for row in state_log_rows(parcel_page)] == [keeper]


def test_a_manager_sorts_a_picked_wave_with_its_button(
    admin_client: Client, released: dict[str, Any], picker: Any, manager: Any
) -> None:
    wave = released["wave"]
    pick_all(wave, picker)
    response = press(admin_client, wave, "sort")
    assert response.status_code == 302
    wave = Wave.objects.get(pk=wave.pk)
    assert wave.state == WaveState.SORTED
    assert StateLog.objects.for_(wave).filter(transition="sort", by=manager).exists()
    assert set(wave.notes.values_list("state", flat=True)) == {NoteState.PICKED}


def test_closing_a_batch_with_notes_still_inside_is_refused_with_a_message(
    admin_client: Client, shipped: dict[str, Any], english: None
) -> None:
    batch = shipped["batch"]
    response = press(admin_client, batch, "hand_over")
    assert response.status_code == 302
    assert any("still has delivery notes" in m for m in messages_of(response))
    assert Batch.objects.get(pk=batch.pk).state == BatchState.RELEASED
    assert not StateLog.objects.for_(batch).filter(transition="hand_over").exists()


def test_a_manager_closes_a_batch_once_every_note_has_left(
    admin_client: Client,
    shipped: dict[str, Any],
    manager: Any,
    make_user: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from orders.services import order_cancellation_request

    rep = make_user("sales_rep", username="rep")
    batch = shipped["batch"]
    # the second order is cancelled: its note leaves no parcel, the batch is left released
    with django_capture_on_commit_callbacks(execute=True):
        order_cancellation_request(order_id=shipped["second"].pk, by=rep, reason="buyer asked")
    assert Batch.objects.get(pk=batch.pk).state == BatchState.RELEASED
    response = press(admin_client, batch, "hand_over")
    assert response.status_code == 302
    batch = Batch.objects.get(pk=batch.pk)
    assert batch.state == BatchState.DONE
    assert StateLog.objects.for_(batch).filter(transition="hand_over", by=manager).exists()


def test_a_manager_reports_an_exception_and_marks_the_parcel_delivered(
    admin_client: Client, shipped: dict[str, Any], manager: Any
) -> None:
    parcel = shipped["parcel"]
    # the button asks for the reason on the transition's own page
    response = press(admin_client, parcel, "report_exception")
    assert response.status_code == 302
    assert response.url == transition_url(parcel, "report_exception")
    assert admin_client.get(response.url).status_code == 200
    response = admin_client.post(response.url, {"reason": "快递员来电：外箱破损"})
    assert response.status_code == 302
    assert Parcel.objects.get(pk=parcel.pk).state == ParcelState.EXCEPTION
    response = admin_client.post(
        transition_url(parcel, "deliver"), {"reason": "客户来电确认收到，外包装破损"}
    )
    assert response.status_code == 302
    parcel = Parcel.objects.get(pk=parcel.pk)
    assert parcel.state == ParcelState.DELIVERED
    moves = [
        (log.transition, log.by, log.description)
        for log in StateLog.objects.for_(parcel).order_by("pk")
    ][1:]
    assert moves == [
        ("report_exception", manager, "快递员来电：外箱破损"),
        ("deliver", manager, "客户来电确认收到，外包装破损"),
    ]
    assert Order.objects.get(pk=shipped["first"].pk).state == OrderState.DELIVERED
    rows = state_log_rows(admin_client.get(change_url(parcel)))
    assert [row.transition for row in rows] == ["deliver", "report_exception", "hand_over"]


def test_a_delivery_note_is_delivered_with_its_parcel_from_the_note_page(
    admin_client: Client, shipped: dict[str, Any], manager: Any
) -> None:
    note = DeliveryNote.objects.get(order=shipped["first"])
    response = admin_client.post(transition_url(note, "deliver"), {"reason": "客户确认收到"})
    assert response.status_code == 302
    note = DeliveryNote.objects.get(pk=note.pk)
    assert note.state == NoteState.DELIVERED
    assert StateLog.objects.for_(note).filter(transition="deliver", by=manager).exists()
    assert Parcel.objects.get(pk=shipped["parcel"].pk).state == ParcelState.DELIVERED


def test_a_manager_signs_a_manifest_and_a_wrong_count_is_a_message(
    admin_client: Client,
    released: dict[str, Any],
    picker: Any,
    packer: Any,
    keeper: Any,
    manager: Any,
    english: None,
) -> None:
    pick_all(released["wave"], picker)
    services.wave_sort(wave_id=released["wave"].pk, by=picker)
    parcel = pack(released["first"], packer)
    manifest = services.manifest_open(carrier_id=parcel.carrier_id, by=keeper)
    url = transition_url(manifest, "sign")
    wrong = admin_client.post(url, {"courier_name": "王师傅", "counted": 3})
    assert wrong.status_code == 200
    assert any("count again" in m or "not signed" in m for m in messages_of(wrong))
    assert Manifest.objects.get(pk=manifest.pk).state == ManifestState.OPEN
    right = admin_client.post(url, {"courier_name": "王师傅", "counted": 1})
    assert right.status_code == 302
    manifest = Manifest.objects.get(pk=manifest.pk)
    assert (manifest.state, manifest.courier_name) == (ManifestState.SIGNED, "王师傅")
    assert StateLog.objects.for_(manifest).get().by == manager
    assert Parcel.objects.get(pk=parcel.pk).state == ParcelState.HANDED_OVER


def test_a_picker_sees_no_buttons_in_the_admin(
    client: Client, released: dict[str, Any], picker: Any
) -> None:
    picker.is_staff = True
    picker.save(update_fields=["is_staff"])
    client.force_login(picker)
    response = client.post(transition_url(released["batch"], "hand_over"))
    assert response.status_code in (302, 403)
    assert Batch.objects.get(pk=released["batch"].pk).state == BatchState.RELEASED
