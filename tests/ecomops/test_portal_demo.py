"""Every demo role on the seeded demo data, as a new user meets it: the home page and its
queues answer, and no link a role is shown leads to a refusal or an error.

``seed_demo`` runs once for the module (it takes a while) inside one transaction that is
rolled back when the module ends; its commit callbacks (signals, e-mails) run as they do
when the command runs on its own. Each test runs in a savepoint on top of it.
"""

from __future__ import annotations

import sys
import traceback
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from html.parser import HTMLParser
from io import StringIO
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from django.core.management import call_command
from django.core.signals import got_request_exception
from django.db import transaction
from django.test import Client, TestCase
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from ecomops.accounts.roles import ROLES
from ecomops.demo import DEMO_PASSWORD
from ecomops.notifications.models import Notification
from ecomops.portal import registry
from ecomops.sla.models import SlaClock
from ecomops.sla.services import sla_sweep
from returns.models import REVIEW_CLOCK, REVIEW_STATES, ReturnRequest
from returns.selectors.requests import review_queue_late_count

pytestmark = pytest.mark.django_db

# Addresses not to follow: files the web server serves, and the POST-only language switch
# and sign-out.
SKIPPED = ("/static/", "/media/", "/i18n/", "/accounts/logout/")
# Lists link to many pages of one kind: a few of each kind are enough.
PER_VIEW = 2
PER_ROLE = 250
REFUSED = {403, 404}


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock(), transaction.atomic():
        with TestCase.captureOnCommitCallbacks(execute=True):
            call_command("seed_demo", stdout=StringIO())
        yield
        transaction.set_rollback(True)


def signed_in(role: str) -> Client:
    client = Client(raise_request_exception=False)
    assert client.login(username=role, password=DEMO_PASSWORD), role
    return client


@pytest.mark.parametrize("role", list(ROLES))
def test_every_role_s_home_page_and_queues_answer(demo: None, role: str) -> None:
    client = signed_in(role)
    for url in (
        reverse("portal:home"),
        reverse("portal:role_home", args=[role]),
        reverse("portal:queues"),
        f"{reverse('portal:queues')}?role={role}",
    ):
        response = client.get(url)
        assert response.status_code == 200, f"{role}: {url} answered {response.status_code}"
        html = response.content.decode()
        for queue in registry.queues_for_role(role):
            assert f'data-queue="{queue.key}"' in html, f"{role}: {url} lacks {queue.key}"


def test_late_return_reviews_count_on_the_after_sales_home(demo: None) -> None:
    running = SlaClock.objects.filter(
        policy__code=REVIEW_CLOCK,
        stopped_at__isnull=True,
        object_id__in=ReturnRequest.objects.filter(state__in=REVIEW_STATES).values("pk"),
    )
    last_due = max(clock.due_at for clock in running)
    sla_sweep(now=last_due + timedelta(seconds=1))
    assert review_queue_late_count() == running.count() > 0
    html = signed_in("aftersales_service").get(reverse("portal:home")).content.decode()
    card = html.split('data-queue="returns.review"', 1)[1].split("</a>", 1)[0]
    assert 'class="queue-late"' in card


class _Page(HTMLParser):
    """The page's links, and the POST forms whose submit button is named like a field (the
    browser then sends the button's value for that field)."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.clashes: list[str] = []
        self._fields: set[str] | None = None
        self._buttons: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form" and a.get("method", "").lower() == "post":
            self._fields, self._buttons = set(), set()
        elif self._fields is not None and a.get("name"):
            submit = tag == "button" and a.get("type", "submit") == "submit"
            submit = submit or (tag == "input" and a.get("type") == "submit")
            (self._buttons if submit else self._fields).add(a["name"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._fields is not None:
            self.clashes.extend(sorted(self._fields & self._buttons))
            self._fields = None


def _internal(page: str, href: str) -> str | None:
    url = urlsplit(urljoin(f"http://testserver{page}", href))
    if url.scheme not in ("http", "https") or url.netloc != "testserver":
        return None
    if url.path.startswith(SKIPPED):
        return None
    return url.path + (f"?{url.query}" if url.query else "")


def _kind(url: str) -> str:
    path = urlsplit(url).path
    try:
        return resolve(path).view_name
    except Resolver404:
        return path


class _Crawl:
    """Follows a signed-in role's links from the home page, two clicks deep."""

    def __init__(self, role: str) -> None:
        self.role = role
        self.client = signed_in(role)
        self.problems: list[str] = []
        self.visited: set[str] = set()
        self.per_kind: Counter[str] = Counter()
        self.error = ""

    def _record_error(self, **_: Any) -> None:
        self.error = "".join(traceback.format_exception(*sys.exc_info())[-3:]).strip()

    def open(self, url: str, parent: str) -> str | None:
        """The page's HTML when it is one, after noting what went wrong opening it."""
        self.error = ""
        response = self.client.get(url, follow=True)
        status = response.status_code
        final = response.redirect_chain[-1][0] if response.redirect_chain else url
        if status in REFUSED or status >= 500:
            self.problems.append(
                f"{self.role}: on {parent} the link {url} answers {status}"
                + (f"\n{self.error}" if self.error else "")
            )
            return None
        if urlsplit(final).path in (reverse("login"), reverse("admin:login")):
            self.problems.append(f"{self.role}: on {parent} the link {url} asks to sign in")
            return None
        if status != 200 or "html" not in response.get("Content-Type", ""):
            return None  # a download: its status is all there is to check
        return response.content.decode()

    def links_of(self, url: str, html: str) -> list[str]:
        page = _Page()
        page.feed(html)
        for name in page.clashes:
            self.problems.append(
                f"{self.role}: on {url} a form's submit button is named like its field {name!r}"
            )
        return [link for href in page.links if (link := _internal(url, href))]

    def run(self) -> list[str]:
        got_request_exception.connect(self._record_error)
        try:
            home = reverse("portal:home")
            self.visited.add(home)
            level: list[tuple[str, str | None]] = [(home, self.open(home, "sign-in"))]
            for _depth in (1, 2):
                following: list[tuple[str, str | None]] = []
                for page, content in level:
                    if content is None:
                        continue
                    for link in self.links_of(page, content):
                        if link in self.visited or len(self.visited) >= PER_ROLE:
                            continue
                        self.visited.add(link)
                        kind = _kind(link)
                        self.per_kind[kind] += 1
                        if self.per_kind[kind] > PER_VIEW:
                            continue
                        following.append((link, self.open(link, page)))
                level = following
        finally:
            got_request_exception.disconnect(self._record_error)
        return self.problems


@pytest.mark.parametrize("role", list(ROLES))
def test_no_link_a_role_is_shown_leads_to_a_refusal_or_an_error(demo: None, role: str) -> None:
    problems = _Crawl(role).run()
    assert not problems, "\n".join(problems)


def test_every_notification_opens_for_its_recipient(demo: None) -> None:
    """A notification links to a page its recipient may open: the demo's, and the overdue
    notices every running SLA clock sends its owners once it runs out."""
    sla_sweep(now=timezone.now() + timedelta(days=60))
    problems: list[str] = []
    clients: dict[int, Client] = {}
    tried: Counter[tuple[int, str]] = Counter()
    for notification in Notification.objects.exclude(url="").select_related("recipient"):
        user = notification.recipient
        kind = (user.pk, _kind(notification.url))
        tried[kind] += 1
        if tried[kind] > PER_VIEW:
            continue
        if user.pk not in clients:
            clients[user.pk] = Client(raise_request_exception=False)
            clients[user.pk].force_login(user)
        status = clients[user.pk].get(notification.url, follow=True).status_code
        if status != 200:
            problems.append(
                f"{user.username}: notification {notification.title!r} links to "
                f"{notification.url}, which answers {status}"
            )
    assert tried, "the demo data has no notifications with a link"
    assert not problems, "\n".join(problems)
