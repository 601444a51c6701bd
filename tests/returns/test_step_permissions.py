"""The one-click steps (approve, confirm, receive) refuse a user without the step's
permission even when the step is already taken: nothing changes either way, but the
answer is a refusal, never "Saved." (issue 23, item 7)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django_fsm_log.models import StateLog

from ecomops.errors import PermissionDeniedError
from returns.models import ReturnRequest, ReturnState
from returns.services import requests as services
from tests.returns.factories import approved, awaiting_goods, delivered_order, open_return, received

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _approved(sku: Any, service: Any) -> ReturnRequest:
    return approved(open_return(delivered_order([(sku, 1, "80.00")]), service), service)


def _messages(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize(
    ("step", "outsider"),
    [("approve", "clerk"), ("confirm", "keeper"), ("receive", "service")],
)
def test_a_step_already_taken_is_refused_to_a_user_without_its_permission(
    step: str,
    outsider: str,
    request: pytest.FixtureRequest,
    sku: Any,
    service: Any,
    shop_manager: Any,
    keeper: Any,
) -> None:
    if step == "receive":
        return_request = received(_approved(sku, service), service, shop_manager, keeper)
    elif step == "confirm":
        return_request = awaiting_goods(_approved(sku, service), service, shop_manager)
    else:
        return_request = _approved(sku, service)
    user = request.getfixturevalue(outsider)
    logs = StateLog.objects.count()
    with pytest.raises(PermissionDeniedError):
        getattr(services, f"return_{step}")(request_id=return_request.pk, by=user)
    assert StateLog.objects.count() == logs


def test_a_step_already_taken_is_still_quietly_done_for_whoever_may_take_it(
    sku: Any, service: Any, shop_manager: Any, keeper: Any
) -> None:
    return_request = received(_approved(sku, service), service, shop_manager, keeper)
    logs = StateLog.objects.count()
    again = services.return_receive(request_id=return_request.pk, by=keeper)
    assert again.state == ReturnState.RECEIVED
    assert StateLog.objects.count() == logs


@pytest.mark.parametrize(("step", "outsider"), [("approve", "clerk"), ("receive", "service")])
def test_the_portal_answers_a_refusal_not_saved(
    step: str,
    outsider: str,
    request: pytest.FixtureRequest,
    client: Client,
    sku: Any,
    service: Any,
    shop_manager: Any,
    keeper: Any,
) -> None:
    return_request = _approved(sku, service)
    if step == "receive":
        received(return_request, service, shop_manager, keeper)
    client.force_login(request.getfixturevalue(outsider))
    response = client.post(f"/returns/requests/{return_request.pk}/{step}/")
    said = _messages(response)
    assert "Saved." not in said
    assert any("You are not allowed to do this" in message for message in said), said
