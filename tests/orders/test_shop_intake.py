"""A shop's channel takes no orders until the shop is open: the signed API answers 409
naming where the opening stands, the intake service refuses the same way, and once the
shop is open the same push is accepted."""

from __future__ import annotations

from typing import Any

import pytest

from orders.models import OpeningState, Order
from orders.services import (
    ChannelClosedError,
    order_intake,
    shop_open,
    shop_opening_abandon,
)
from tests.orders.factories import (
    SHOP_MORNING,
    approved,
    listed_sku,
    order_data,
    push,
    set_up,
    submitted,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("english"),
    pytest.mark.clock(SHOP_MORNING),
]


@pytest.fixture
def sku(db: None) -> Any:
    return listed_sku("SKU-1", "99.00")


def test_push_to_a_shop_in_review_is_409_naming_its_state(
    client: Any, manager: Any, sku: Any
) -> None:
    opening = submitted(manager)
    response = push(client, opening.channel, order_data())
    assert response.status_code == 409
    body = response.json()
    assert body["detail"] == (
        "Channel tmall-home does not accept orders: its shop is not open yet (In review)."
    )
    assert body["shop_state"] == "in_review"
    assert body["channel"] == "tmall-home"
    assert not Order.objects.exists()


def test_intake_refuses_a_shop_not_open_and_accepts_it_once_open(
    client: Any, manager: Any, boss: Any, sku: Any
) -> None:
    opening = approved(manager)
    with pytest.raises(ChannelClosedError) as refused:
        order_intake(channel=opening.channel, data=order_data())
    assert "(Setting up)" in refused.value.message
    assert refused.value.extra["shop_state"] == OpeningState.SETTING_UP
    assert refused.value.status_code == 409

    set_up(opening, boss)
    shop_open(opening_id=opening.pk, by=manager)
    opening.channel.refresh_from_db()
    response = push(client, opening.channel, order_data())
    assert response.status_code == 201, response.json()
    order = Order.objects.get()
    assert order.channel == opening.channel
    assert response.json()["number"] == order.number


def test_push_to_an_abandoned_shop_says_so(client: Any, manager: Any, sku: Any) -> None:
    opening = submitted(manager)
    shop_opening_abandon(opening_id=opening.pk, reason="品牌方收回授权", by=manager)
    response = push(client, opening.channel, order_data())
    assert response.status_code == 409
    assert response.json()["detail"] == (
        "Channel tmall-home does not accept orders: its shop opening was abandoned."
    )
    assert response.json()["shop_state"] == "abandoned"


def test_an_open_shop_whose_channel_is_switched_off_is_refused_as_inactive(
    client: Any, manager: Any, boss: Any, sku: Any
) -> None:
    opening = set_up(approved(manager), boss)
    shop_open(opening_id=opening.pk, by=manager)
    channel = opening.channel
    channel.refresh_from_db()
    channel.active = False
    channel.save(update_fields=["active"])
    response = push(client, channel, order_data())
    assert response.status_code == 409
    assert "it is not active" in response.json()["detail"]
