"""The warehouse's state machines: which transitions each state allows."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import models
from django_fsm import can_proceed

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


def in_state(model: type[models.Model], state: str, **fields: Any) -> Any:
    obj = model(**fields)
    obj.__dict__["state"] = state  # protected field: set as loaded from the database
    return obj


# transition -> the states it leaves from
BATCH = {
    "release": {BatchState.RELEASING},
    "hand_over": {BatchState.RELEASED},
}
PARCEL = {
    "hand_over": {ParcelState.PACKED},
    "transit": {ParcelState.HANDED_OVER, ParcelState.EXCEPTION},
    "deliver": {ParcelState.HANDED_OVER, ParcelState.IN_TRANSIT, ParcelState.EXCEPTION},
    "report_exception": {ParcelState.HANDED_OVER, ParcelState.IN_TRANSIT, ParcelState.EXCEPTION},
    "cancel": {ParcelState.PACKED},
}
MANIFEST = {"sign": {ManifestState.OPEN}}
WAVE = {
    "finish_picking": {WaveState.PICKING},
    "sort": {WaveState.PICKED},
    "finish": {WaveState.SORTED},
}
NOTE = {
    "allocate": {NoteState.WAITING},
    "release": {NoteState.ALLOCATED},
    "pick": {NoteState.RELEASED},
    "pack": {NoteState.PICKED},
    "ship": {NoteState.PACKED},
    "deliver": {NoteState.SHIPPED},
    "cancel": {
        NoteState.WAITING,
        NoteState.ALLOCATED,
        NoteState.RELEASED,
        NoteState.PICKED,
        NoteState.PACKED,
    },
}


@pytest.mark.parametrize("state", BatchState.values)
@pytest.mark.parametrize(("name", "allowed"), BATCH.items())
def test_batch_transitions(state: str, name: str, allowed: set[str]) -> None:
    batch = in_state(Batch, state)
    assert can_proceed(getattr(batch, name)) is (state in allowed)


@pytest.mark.parametrize("state", ParcelState.values)
@pytest.mark.parametrize(("name", "allowed"), PARCEL.items())
def test_parcel_transitions(state: str, name: str, allowed: set[str]) -> None:
    parcel = in_state(Parcel, state, manifest_id=1)
    assert can_proceed(getattr(parcel, name)) is (state in allowed)


def test_a_parcel_is_handed_over_only_on_a_manifest() -> None:
    assert not can_proceed(in_state(Parcel, ParcelState.PACKED).hand_over)
    assert can_proceed(in_state(Parcel, ParcelState.PACKED, manifest_id=1).hand_over)


@pytest.mark.parametrize("state", ManifestState.values)
@pytest.mark.parametrize(("name", "allowed"), MANIFEST.items())
def test_manifest_transitions(state: str, name: str, allowed: set[str]) -> None:
    manifest = in_state(Manifest, state)
    assert can_proceed(getattr(manifest, name)) is (state in allowed)


@pytest.mark.parametrize("state", WaveState.values)
@pytest.mark.parametrize(("name", "allowed"), WAVE.items())
def test_wave_transitions(state: str, name: str, allowed: set[str]) -> None:
    wave = in_state(Wave, state)
    assert can_proceed(getattr(wave, name)) is (state in allowed)


@pytest.mark.parametrize("state", NoteState.values)
@pytest.mark.parametrize(("name", "allowed"), NOTE.items())
def test_delivery_note_transitions(state: str, name: str, allowed: set[str]) -> None:
    note = in_state(DeliveryNote, state)
    assert can_proceed(getattr(note, name)) is (state in allowed)


@pytest.mark.parametrize(
    ("model", "state"),
    [
        (Batch, BatchState.RELEASED),
        (Parcel, ParcelState.IN_TRANSIT),
        (Manifest, ManifestState.SIGNED),
    ],
)
def test_states_are_set_by_transitions_only(model: type[models.Model], state: str) -> None:
    obj = model()
    with pytest.raises(AttributeError, match="not allowed"):
        obj.state = state  # type: ignore[attr-defined]
