"""Two packers at once never get one waybill number (issue 21 §2), on PostgreSQL, whether
they take them or type them by hand.

Each packer takes numbers in its own transaction and holds them until it commits, as
``pack_close`` does: list numbers are claimed with SKIP LOCKED (the other packer takes the
next ones), a range's ``next`` moves under the range's row lock (the other packer waits,
then re-checks what is left).
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction

from tests.concurrency import race
from tests.warehouse.factories import make_warehouse
from warehouse.models import WaybillAccount, WaybillNumber, WaybillNumberState, WaybillRange
from warehouse.services.waybills import (
    WaybillError,
    default_account,
    waybill_given,
    waybill_record,
    waybill_take,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks and SKIP LOCKED need PostgreSQL (.ci/run uses it)",
    ),
]


def _packer(carrier_id: int, rounds: int, count: int, pause: float) -> list[str]:
    """A packer closing ``rounds`` parcels of ``count`` numbers, each in a transaction
    that holds its numbers for ``pause`` seconds before committing."""
    got: list[str] = []
    for _ in range(rounds):
        with transaction.atomic():
            account = default_account(carrier_id)
            assert account is not None
            taken = waybill_take(account=account, count=count)
            time.sleep(pause)
            waybill_record(taken=taken, parcels=[])
        got += taken.numbers
    return got


def test_two_packers_never_get_one_number_from_a_range() -> None:
    carrier = make_warehouse().default_carrier
    assert carrier is not None
    results = race([lambda: _packer(carrier.pk, 15, 2, 0.01) for _ in range(2)])

    assert not [r for r in results if isinstance(r, Exception)], results
    numbers = results[0] + results[1]
    assert len(numbers) == len(set(numbers)) == 60
    assert sorted(numbers) == [f"7{310000000001 + n}" for n in range(60)]
    assert WaybillRange.objects.get().next == 310000000061
    assert WaybillNumber.objects.filter(state=WaybillNumberState.USED).count() == 60


def test_two_packers_never_get_one_listed_number_and_skip_each_others() -> None:
    carrier = make_warehouse().default_carrier
    assert carrier is not None
    account = WaybillAccount.objects.get(carrier=carrier, is_default=True)
    WaybillRange.objects.filter(account=account).delete()
    WaybillNumber.objects.bulk_create(
        WaybillNumber(account=account, carrier=carrier, number=f"75{n:08d}") for n in range(40)
    )
    holding = threading.Event()

    def slow() -> list[str]:
        with transaction.atomic():
            fresh = default_account(carrier.pk)
            assert fresh is not None
            taken = waybill_take(account=fresh, count=5)
            holding.set()
            time.sleep(0.5)  # the other packer comes while these five are held
            waybill_record(taken=taken, parcels=[])
        return taken.numbers

    def fast() -> list[str]:
        holding.wait(5)
        return _packer(carrier.pk, 10, 1, 0)

    first, second = race([slow, fast])

    assert not isinstance(first, Exception), first
    assert not isinstance(second, Exception), second
    assert first == [f"75{n:08d}" for n in range(5)]
    assert second == [f"75{n:08d}" for n in range(5, 15)]  # skipped the held ones, no wait
    assert WaybillNumber.objects.filter(state=WaybillNumberState.USED).count() == 15


def test_numbers_typed_by_hand_and_taken_from_the_range_never_meet() -> None:
    """A packer types numbers of the range ahead of it (``waybill_given``) while another
    takes from the range: each number is used once; a typed number the range reached first
    is refused, a number typed first is passed over by the range."""
    carrier = make_warehouse().default_carrier
    assert carrier is not None
    typed = [f"7{310000000001 + n}" for n in range(0, 30, 2)]

    def typist() -> tuple[list[str], list[str]]:
        kept: list[str] = []
        refused: list[str] = []
        for number in typed:
            try:
                with transaction.atomic():
                    taken = waybill_given(carrier_id=carrier.pk, number=number)
                    assert taken is not None
                    time.sleep(0.01)
                    waybill_record(taken=taken, parcels=[])
                kept.append(number)
            except WaybillError:
                refused.append(number)
        return kept, refused

    typist_result, packer_result = race([typist, lambda: _packer(carrier.pk, 15, 1, 0.01)])

    assert not isinstance(typist_result, Exception), typist_result
    assert not isinstance(packer_result, Exception), packer_result
    kept, refused = typist_result
    assert sorted(kept + refused) == sorted(typed)
    assert set(refused) <= set(packer_result)  # refused only because the range gave it out
    used = kept + packer_result
    assert len(used) == len(set(used)) == len(kept) + 15
    assert WaybillNumber.objects.filter(state=WaybillNumberState.USED).count() == len(used)
