"""The shop manager's pricing form submitted as a browser submits it: every field of the
form plus the name and value of the button that was clicked."""

from __future__ import annotations

from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import pytest
from django.urls import reverse

from listings.models import ApplicationState, SkuState
from listings.selectors import sku_online_price
from tests.listings.factories import application_at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


class _PostForm(HTMLParser):
    """The fields and submit buttons of the page's POST form, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self.buttons: list[dict[str, str]] = []
        self._in_form = False
        self._textarea: str | None = None
        self._button: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "").lower() == "post":
            self._in_form = True
        if not self._in_form:
            return
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "button"):
            self.fields.append((a["name"], a.get("value", "")))
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self.fields.append((a["name"], ""))
        elif tag == "button" and a.get("type", "submit") == "submit":
            self._button = {"name": a.get("name", ""), "value": a.get("value", ""), "text": ""}

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            name, text = self.fields[-1]
            self.fields[-1] = (name, text + data)
        if self._button is not None:
            self._button["text"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "button" and self._button is not None:
            self.buttons.append(self._button)
            self._button = None


def click(client: Any, url: str, button: str, typed: dict[str, str]) -> Any:
    """Fill in ``typed`` on the form at ``url`` and click the button labelled ``button``."""
    page = _PostForm()
    page.feed(client.get(url).content.decode())
    data: dict[str, list[str]] = {}
    for name, value in page.fields:
        data.setdefault(name, []).append(typed.get(name, value))
    clicked = next(b for b in page.buttons if b["text"].strip() == button)
    if clicked["name"]:
        # The browser sends the clicked button after the fields, under its own name.
        data.setdefault(clicked["name"], []).append(clicked["value"])
    return client.post(url, data)


@pytest.fixture
def designed(users: dict[str, Any]) -> Any:
    return application_at("designed", users)


def test_set_the_price_keeps_the_price_typed(client: Any, users: Any, designed: Any) -> None:
    client.force_login(users["shop_manager"])
    url = reverse("listings:pricing", args=[designed.pk])
    response = click(
        client, url, "Set the price", {"price": "139.00", "promotion_plan": "首页推荐，满199减20"}
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    designed.refresh_from_db()
    assert designed.state == ApplicationState.PRICED
    assert designed.sku.state != SkuState.LISTED
    assert sku_online_price(sku=designed.sku) == Decimal("139.00")


def test_set_the_price_and_list_now(client: Any, users: Any, designed: Any) -> None:
    client.force_login(users["shop_manager"])
    url = reverse("listings:pricing", args=[designed.pk])
    response = click(
        client,
        url,
        "Set the price and list now",
        {"price": "129.00", "promotion_plan": "首页推荐"},
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    designed.refresh_from_db()
    assert designed.state == ApplicationState.LISTED
    assert designed.sku.state == SkuState.LISTED
    assert sku_online_price(sku=designed.sku) == Decimal("129.00")


def test_a_refused_price_keeps_what_was_typed(client: Any, users: Any, designed: Any) -> None:
    client.force_login(users["shop_manager"])
    url = reverse("listings:pricing", args=[designed.pk])
    # Below the base subsidy price (120.00) without a reason.
    response = click(client, url, "Set the price", {"price": "99.00", "promotion_plan": "清仓"})
    assert response.status_code == 200
    assert 'value="99.00"' in response.content.decode()
    designed.refresh_from_db()
    assert designed.state == ApplicationState.DESIGNED
