"""What every page shares: the notification bell, live SLA countdowns, the API docs page."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.contrib.staticfiles import finders
from django.template import Context, Template
from django.templatetags.static import static
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from ecomops.sla.selectors import clocks_for
from ecomops.sla.services import sla_clock_stop
from ecomops.sla.templatetags.sla_tags import countdown_context
from tests.listings.factories import application_at
from tests.timeutil import at

pytestmark = pytest.mark.django_db

# A Monday morning in working hours (09:00-18:00), and the same evening.
MONDAY_MORNING = at(2026, 11, 23, 10, 0)
MONDAY_EVENING = at(2026, 11, 23, 20, 0)
EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u26ff\u2700-\u27bf]|&#1[0-9]{5};")


class _Tags(HTMLParser):
    """Start tags with their attributes, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


@pytest.fixture
def morning() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(MONDAY_MORNING, tick=False) as traveller:
        yield traveller


@pytest.fixture
def listing_users(morning: Any, make_user: Any) -> dict[str, Any]:
    roles = ["bu_applicant", "listing_reviewer", "designer", "shop_manager"]
    return {role: make_user(role) for role in roles}


# --- The notification bell -----------------------------------------------------------------


def test_bell_is_an_svg_icon_with_a_translated_name(make_user: Any) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_user("packer"))
    html = client.get(reverse("portal:home")).content.decode()
    bell = re.search(r'<a class="bell".*?</a>', html, re.S)
    assert bell is not None
    assert "<svg" in bell.group()
    assert 'aria-label="Notifications"' in bell.group()
    assert "<title>Notifications</title>" in bell.group()
    assert not EMOJI.search(html)  # the bell used to be U+1F514

    client.cookies.load({settings.LANGUAGE_COOKIE_NAME: "zh-hans"})
    badge = client.get(reverse("notifications:badge")).content.decode()
    with translation.override("zh-hans"):
        name = translation.gettext("Notifications")
    assert "<svg" in badge
    assert f'aria-label="{name}"' in badge
    assert not EMOJI.search(badge)


# --- Live countdowns -----------------------------------------------------------------------


def test_base_page_loads_the_countdown_script_and_its_words(make_user: Any) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_user("packer"))
    html = client.get(reverse("portal:home")).content.decode()
    scripts = [attrs.get("src") for tag, attrs in _tags(html) if tag == "script"]
    assert scripts.count(static("js/app.js")) == 1
    assert finders.find("js/app.js")
    strings = re.search(
        r'<script id="sla-countdown-strings" type="application/json">(.*?)</script>', html
    )
    assert strings is not None
    words = json.loads(strings.group(1))
    assert words["minute"] == ["%(minutes)d minute", "%(minutes)d minutes"]
    assert words["overdue"] == "%(time)s overdue"


def test_a_queue_other_than_the_sales_queue_has_live_countdowns(
    morning: time_machine.Traveller, listing_users: dict[str, Any]
) -> None:
    application = application_at("submitted", listing_users)
    [clock] = clocks_for(application)
    morning.shift(timedelta(minutes=5))
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(listing_users["listing_reviewer"])
    html = client.get(reverse("listings:review_queue")).content.decode()

    [badge] = [a for tag, a in _tags(html) if "sla-countdown" in (a.get("class") or "")]
    now = timezone.now()
    assert "data-live" in badge
    assert float(badge["data-left"] or "") == clock.time_left(now).total_seconds()
    assert float(badge["data-total"] or "") == clock.total.total_seconds()
    assert float(badge["data-due-in"] or "") == (clock.due_at - now).total_seconds()
    assert float(badge["data-idle"] or "") == 0  # working time is passing now
    assert float(badge["data-run"] or "") == 7 * 3600 + 55 * 60  # until 18:00
    assert 'id="sla-countdown-strings"' in html
    assert static("js/app.js") in html


def test_outside_working_hours_the_countdown_waits_for_the_next_opening(
    morning: time_machine.Traveller, listing_users: dict[str, Any]
) -> None:
    application = application_at("submitted", listing_users)
    [clock] = clocks_for(application)
    morning.move_to(MONDAY_EVENING)
    live = countdown_context(clock)["live"]
    assert live["idle"] == 13 * 3600  # nothing counts until Tuesday 09:00
    assert live["run"] == 9 * 3600  # then a whole working day does


def test_a_stopped_clock_does_not_tick(
    morning: time_machine.Traveller, listing_users: dict[str, Any]
) -> None:
    application = application_at("submitted", listing_users)
    [clock] = clocks_for(application)
    sla_clock_stop(code=clock.policy.code, obj=application)
    clock.refresh_from_db()
    html = Template("{% load sla_tags %}{% sla_countdown clock %}").render(
        Context({"clock": clock})
    )
    assert "sla-countdown" in html
    assert "data-live" not in html


SCRIPT_HARNESS = """
const fs = require("fs"), vm = require("vm");
const [source, strings, attrs] = process.argv.slice(2).map((a, i) => i ? JSON.parse(a) : a);
function El(a, text) {
  this.a = a; this.textContent = text; this.className = "badge sla-countdown";
}
El.prototype.getAttribute = function (n) { return n in this.a ? this.a[n] : null; };
El.prototype.setAttribute = function (n, v) { this.a[n] = String(v); };
const el = new El(attrs, "");
let clock = 1e12, listeners = {}, interval = null;
vm.runInNewContext(fs.readFileSync(source, "utf8"), {
  Date: { now: () => clock }, JSON, Math, parseFloat, isNaN, String, Object,
  document: {
    getElementById: () => ({ textContent: JSON.stringify(strings) }),
    querySelectorAll: () => [el],
    addEventListener: (name, f) => { listeners[name] = f; },
  },
  window: { setInterval: (f) => { interval = f; } },
});
const seen = [];
listeners.DOMContentLoaded();
for (const step of [0, 6, 2, 4]) {  // minutes later
  clock += step * 60000; interval();
  seen.push([el.textContent, el.className, el.getAttribute("data-sla-state")]);
}
console.log(JSON.stringify(seen));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js to run the script")
def test_script_counts_working_time_down_and_turns_red(tmp_path: Path) -> None:
    """Ten minutes left of a 15-minute clock: 10, 4, 2 (amber), 2 minutes overdue (red)."""
    harness = tmp_path / "harness.js"
    harness.write_text(SCRIPT_HARNESS)
    with translation.override("en"):
        strings_html = Template("{% load sla_tags %}{% sla_countdown_strings %}").render(Context())
    strings = json.loads(re.sub(r"^<script[^>]*>|</script>$", "", strings_html))
    attrs = {
        "data-live": "",
        "data-sla-state": "running",
        "data-left": "600",
        "data-total": "900",
        "data-due-in": "600",
        "data-idle": "0",
        "data-run": "3600",
    }
    source = Path(settings.BASE_DIR) / "static" / "js" / "app.js"
    out = subprocess.run(  # noqa: S603
        ["node", str(harness), str(source), json.dumps(strings), json.dumps(attrs)],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(out.stdout) == [
        ["10 minutes", "badge sla-countdown", "running"],
        ["4 minutes", "badge sla-countdown", "running"],
        ["2 minutes", "badge badge-warning sla-countdown", "warning"],
        ["2 minutes overdue", "badge badge-danger sla-countdown", "breached"],
    ]


# --- The API docs page ---------------------------------------------------------------------


def test_api_docs_page_uses_no_other_host_and_its_script_is_served(make_user: Any) -> None:
    client = Client()
    client.force_login(make_user("sales_rep"))
    response = client.get(reverse("api-docs"))
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html, re.I), html
    scripts = [src for tag, a in _tags(html) if tag == "script" and (src := a.get("src"))]
    assert scripts
    for src in scripts:
        assert src.startswith(settings.STATIC_URL) or src.startswith("/" + settings.STATIC_URL)
        assert finders.find(src.split(settings.STATIC_URL, 1)[1]), src
