"""The order state machine: which transitions each state allows."""

from __future__ import annotations

import pytest
from django_fsm import can_proceed

from orders.models import Order, OrderState

TRANSITIONS = {
    "identify": {OrderState.RECEIVED},
    "confirm": {OrderState.IDENTIFIED},
    "hold": {OrderState.RECEIVED, OrderState.IDENTIFIED, OrderState.CONFIRMED},
    "release_hold": {OrderState.ON_HOLD},
    "cancel": {
        OrderState.RECEIVED,
        OrderState.IDENTIFIED,
        OrderState.CONFIRMED,
        OrderState.ALLOCATED,
        OrderState.ON_HOLD,
        OrderState.EXCEPTION,
    },
    # A platform change that could not be applied parks an order in the flow (issue 20 §4).
    "park": {
        OrderState.RECEIVED,
        OrderState.IDENTIFIED,
        OrderState.CONFIRMED,
        OrderState.ON_HOLD,
    },
    "release_exception": {OrderState.EXCEPTION},
    "allocate": {OrderState.CONFIRMED},
    "release": {OrderState.ALLOCATED},
    "ship": {OrderState.RELEASED},
    "deliver": {OrderState.SHIPPED},
    "complete": {OrderState.DELIVERED},
}


@pytest.mark.parametrize("state", OrderState.values)
@pytest.mark.parametrize(("name", "allowed"), TRANSITIONS.items())
def test_transition_table(state: str, name: str, allowed: set[str]) -> None:
    order = Order(state=state)
    assert can_proceed(getattr(order, name)) == (state in allowed)


@pytest.mark.parametrize("state", OrderState.values)
def test_cancellation_is_accepted_only_when_released_and_requested(state: str) -> None:
    from django.utils import timezone

    order = Order(state=state)
    assert not can_proceed(order.accept_cancellation)
    order.cancellation_requested_at = timezone.now()
    assert can_proceed(order.accept_cancellation) == (state == OrderState.RELEASED)
