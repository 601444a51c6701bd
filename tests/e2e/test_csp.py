"""The Content-Security-Policy in a real browser (issue 23 item 1): the main pages of several
roles and the admin load with no violation reported (inline scripts and styles carry the
page's nonce or live in static/), and the behaviours moved out of inline handlers work."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.finance.factories import sku_with_tax
from tests.returns.factories import delivered_order, open_return
from tests.warehouse.factories import make_warehouse

pytestmark = pytest.mark.django_db(transaction=True)

# Runs before any page script: every violation the browser reports is kept on the window.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI + " " + e.sourceFile);
});
"""


def _visit(page: Any, url: str) -> list[str]:
    response = page.goto(url)
    page.wait_for_load_state("networkidle")
    assert response.status == 200, url
    assert "/login/" not in page.url, url
    assert "script-src 'self'" in response.headers["content-security-policy"], url
    return [f"{url}: {v}" for v in page.evaluate("window.__cspViolations")]


def test_main_pages_and_the_admin_report_no_violation(
    live_server: Any, page: Any, login: Any
) -> None:
    make_warehouse()
    sku = sku_with_tax("SKU-CSP", "0.13")
    order = delivered_order([(sku, 1, "88.00")])
    service = UserFactory(username="service", roles=["aftersales_service"])
    UserFactory(username="rep", roles=["sales_rep"])
    UserFactory(username="planner", roles=["promotion"])
    UserFactory(username="boss", roles=["manager"])
    request_ = open_return(order, service)
    page.context.add_init_script(RECORD_VIOLATIONS)
    base = live_server.url
    walk = {
        "rep": ["/", "/orders/queue/", f"/orders/{order.pk}/", "/orders/figures/"],
        "service": ["/", "/returns/", "/returns/requests/", "/returns/reasons/"],
        "planner": ["/marketing/"],
        "boss": ["/", "/admin/", "/warehouse/allocation/", f"/returns/requests/{request_.pk}/"],
    }
    violations: list[str] = []
    for username, paths in walk.items():
        page.context.clear_cookies()
        login(page, username, DEFAULT_PASSWORD)
        for path in paths:
            violations += _visit(page, base + path)

    # The photo link to copy selects itself when clicked (was an inline onclick).
    page.context.clear_cookies()
    login(page, "service", DEFAULT_PASSWORD)
    page.goto(f"{base}/returns/requests/{request_.pk}/")
    with page.expect_navigation():
        page.click("#link-form button[type=submit]")
    field = page.locator("#photo-link input")
    field.click()
    assert page.evaluate(
        "() => { const f = document.querySelector('#photo-link input');"
        " return f.selectionStart === 0 && f.selectionEnd === f.value.length; }"
    )
    # The customer's page, anonymous.
    page.context.clear_cookies()
    violations += _visit(page, field.input_value())
    assert violations == []


def test_tick_all_works_without_an_inline_script(live_server: Any, page: Any, login: Any) -> None:
    UserFactory(username="boss", roles=["manager"])
    page.context.add_init_script(RECORD_VIOLATIONS)
    login(page, "boss", DEFAULT_PASSWORD)
    assert _visit(page, f"{live_server.url}/warehouse/allocation/") == []
    page.evaluate(
        "() => document.querySelector('#allocation-queue tbody').insertAdjacentHTML('beforeend',"
        " '<tr><td><input type=checkbox name=orders value=1></td></tr>"
        "<tr><td><input type=checkbox name=orders value=2></td></tr>')"
    )
    page.check("[data-check-all]")
    assert page.locator("input[name=orders]:checked").count() == 2
    page.uncheck("[data-check-all]")
    assert page.locator("input[name=orders]:checked").count() == 0
