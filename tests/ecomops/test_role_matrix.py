"""The role × action matrix (issue 23): every portal page and action, GET and POST, for every
demo role and for a visitor who is not signed in, against what ``role_matrix.PAGES`` says
each may do. A URL pattern without a rule fails ``test_every_portal_page_has_a_rule``.

Pages that need an object are asked for one that does not exist (pk 999999): a role allowed
in is answered 404 (or a page), a role that is not is refused before anything is looked up.
No request may answer 5xx.

Views that take an action's name in the address are asked once more for every name they
accept (``role_matrix.ACTIONS``), against a real object put in the state that offers the
step: a role the action's rule lets in is never refused for permission, a role it keeps out
never gets the step done.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.contrib import messages
from django.db import models, transaction
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from ecomops.accounts.roles import ROLES, RoleCode
from ecomops.errors import PermissionDeniedError
from tests.ecomops.role_matrix import ACTIONS, IN_VIEW, MANAGERS, PAGES, PUBLIC, SIGNED_IN, Act
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# Not portal pages: the manager's admin, the signed API (tests/ecomops/test_api_fuzz.py),
# the schema and its docs page, files.
NOT_PORTAL = ("admin/", "api/", "static/", "media/")
MISSING = {"int": "999999", "str": "x", "slug": "x", "path": "x", "uuid": "0" * 32}
_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")


def portal_patterns() -> Iterator[tuple[str, str]]:
    """(URL name, address with made-up arguments) of every portal URL pattern."""

    def walk(patterns: list[Any], prefix: str, namespace: str) -> Iterator[tuple[str, str]]:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace or ""
                full = f"{namespace}:{inner}" if namespace and inner else (inner or namespace)
                yield from walk(pattern.url_patterns, route, full)
            elif isinstance(pattern, URLPattern) and not route.startswith(NOT_PORTAL):
                name = f"{namespace}:{pattern.name}" if namespace else str(pattern.name)
                address = _CONVERTER.sub(lambda m: MISSING[m.group(1) or "str"], route)
                yield name, "/" + address

    yield from walk(get_resolver().url_patterns, "", "")


PATTERNS = dict(portal_patterns())


def test_every_portal_page_has_a_rule() -> None:
    unruled = sorted(set(PATTERNS) - set(PAGES))
    assert unruled == [], f"views without a rule in tests/ecomops/role_matrix.py: {unruled}"
    stale = sorted(set(PAGES) - set(PATTERNS))
    assert stale == [], f"rules for views that are gone: {stale}"


def test_every_permission_in_the_matrix_exists() -> None:
    from django.contrib.auth.models import Permission

    named = {
        rule
        for value in PAGES.values()
        for rule in (value if isinstance(value, tuple) else (value,))
        if "." in rule
    }
    known = {
        f"{app}.{codename}"
        for app, codename in Permission.objects.values_list("content_type__app_label", "codename")
    }
    assert named - known == set()


def _refused(response: Any, address: str, rule: str) -> bool:
    """Refused by permission: 403, the login page, or a managers' page hiding itself with 404
    (elsewhere a 404 is an object or a setting that is not there, no refusal)."""
    if response.status_code == 403:
        return True
    if response.status_code == 404:
        return rule == MANAGERS and MISSING["int"] not in address and "/x/" not in address
    login = str(resolve_url(settings.LOGIN_URL))
    return response.status_code == 302 and response["Location"].startswith(login)


def _rule(name: str, method: str) -> str:
    rule = PAGES[name]
    if isinstance(rule, tuple):
        return rule[0] if method == "get" else rule[1]
    return rule


def _expected(rule: str, role: str | None, user: Any) -> str:
    """'in', 'out' or 'any' (the view decides)."""
    if rule == PUBLIC:
        return "any"
    if role is None:
        return "out"
    if rule == IN_VIEW:
        return "any"
    if rule == SIGNED_IN:
        return "in"
    if rule == MANAGERS:
        return "in" if role == RoleCode.MANAGER else "out"
    return "in" if user.has_perm(rule) else "out"


def test_every_role_may_do_what_the_matrix_says_and_nothing_else() -> None:
    users: dict[str | None, Any] = {None: None}
    for code in ROLES:
        users[code] = UserFactory(username=code, roles=[code])
    mismatches: list[str] = []
    errors: list[str] = []
    asked = 0
    for role, user in users.items():
        client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
        if user is not None:
            client.force_login(user)
        for name, address in sorted(PATTERNS.items()):
            for method in ("get", "post"):
                rule = _rule(name, method)
                expected = _expected(rule, role, user)
                response = getattr(client, method)(address)
                asked += 1
                if name == "logout" and user is not None:
                    client.force_login(user)  # signed out by its POST: back in for the rest
                who = role or "visitor"
                if response.status_code >= 500:
                    errors.append(f"{who} {method.upper()} {address}: {response.status_code}")
                elif response.status_code == 405:
                    continue
                elif expected == "in" and _refused(response, address, rule):
                    mismatches.append(f"{who} refused {method.upper()} {name} ({rule})")
                elif expected == "out" and not _refused(response, address, rule):
                    mismatches.append(
                        f"{who} let into {method.upper()} {name} ({rule}): {response.status_code}"
                    )
    print(f"\nrole matrix: {asked} requests, {len(users)} users, {len(PATTERNS)} pages")
    wrong = errors + mismatches
    assert wrong == [], f"{len(errors)} 5xx, {len(mismatches)} mismatches:\n" + "\n".join(
        wrong[:400]
    )


# --- Every action name of the action views ------------------------------------------------

_ACTION_ROUTE = re.compile(r"<(?:str|slug):action>")


def _accepted_names() -> dict[str, Callable[[], set[str]]]:
    """Where each action view keeps the names it accepts (its table of steps), so a step
    added to a view without a rule here fails ``test_every_action_name_has_a_rule``."""
    from distribution.views import deals, partners
    from ecomops.worktasks import views as worktasks
    from listings import views as listings
    from orders.views import sales, shops
    from returns.views import requests

    return {
        "listings:sku_action": lambda: set(listings.SKU_ACTIONS),
        "listings:application_action": lambda: {"reject", *listings._SIMPLE_ACTIONS},
        "orders:order_action": lambda: set(sales.ORDER_ACTIONS),
        "orders:shop_action": lambda: set(shops.ACTIONS),
        "returns:request_action": lambda: set(requests.BUTTONS),
        "distribution:partner_action": lambda: set(partners.STEPS),
        "distribution:deal_action": lambda: set(deals.STEPS),
        "worktasks:action": lambda: set(worktasks.STEPS),
    }


def test_every_action_view_has_its_actions_ruled() -> None:
    """Every URL taking an action's name is in ``ACTIONS`` and has a page rule too."""
    routes: set[str] = set()

    def walk(patterns: list[Any], prefix: str, namespace: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace or ""
                full = f"{namespace}:{inner}" if namespace and inner else (inner or namespace)
                walk(pattern.url_patterns, route, full)
            elif _ACTION_ROUTE.search(route) and not route.startswith(NOT_PORTAL):
                routes.add(f"{namespace}:{pattern.name}" if namespace else str(pattern.name))

    walk(get_resolver().url_patterns, "", "")
    assert routes == set(ACTIONS)
    assert set(_accepted_names()) == set(ACTIONS)


@pytest.mark.parametrize("view", sorted(ACTIONS))
def test_every_action_name_has_a_rule(view: str) -> None:
    assert set(ACTIONS[view]) == _accepted_names()[view]()


def _action_objects(users: dict[str, Any]) -> dict[str, models.Model]:
    """One real object per action view, made through the services."""
    from tests.distribution.factories import deal_with_lines, make_partner
    from tests.finance.factories import priced_order
    from tests.listings.factories import application_at
    from tests.orders.factories import listed_sku, start_opening
    from tests.returns.factories import delivered_order, open_return
    from tests.worktasks.factories import WorkTaskFactory

    sku = listed_sku("RM-1", "99.00")
    specialist = users["distribution_specialist"]
    task: Any = WorkTaskFactory(from_department="warehouse", to_department="ecommerce")
    return {
        "listings:sku_action": sku,
        "listings:application_action": application_at("draft", users),
        "orders:order_action": priced_order([(sku, 1, "99.00")]),
        "orders:shop_action": start_opening(users["manager"]),
        "returns:request_action": open_return(
            delivered_order([(sku, 1, "99.00")]), users["aftersales_service"]
        ),
        "distribution:partner_action": make_partner(specialist),
        "distribution:deal_action": deal_with_lines(specialist, sku),
        "worktasks:action": task,
    }


def _state_field(obj: models.Model) -> str:
    from django_fsm import FSMFieldMixin

    return next(f.attname for f in obj._meta.concrete_fields if isinstance(f, FSMFieldMixin))


def _post_action(client: Client, obj: models.Model, view: str, name: str, act: Act) -> Any:
    """POST ``name`` on ``obj`` put in ``act.state``; everything it changed is rolled back,
    so every role finds the object as the rule's state has it."""
    with transaction.atomic():
        if act.state:
            type(obj)._default_manager.filter(pk=obj.pk).update(**{_state_field(obj): act.state})
        response = client.post(reverse(view, args=[obj.pk, name]), dict(act.data))
        transaction.set_rollback(True)
    return response


def _done(response: Any) -> bool:
    """The step was taken: the view said so (a success message of this request)."""
    storage = getattr(response.wsgi_request, "_messages", None)
    queued = getattr(storage, "_queued_messages", [])
    return any(m.level == messages.SUCCESS for m in queued)


def test_every_role_may_take_each_action_the_matrix_says_and_no_other(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    users: dict[str | None, Any] = {None: None}
    for code in ROLES:
        users[code] = UserFactory(username=code, roles=[code])
    objects = _action_objects({k: v for k, v in users.items() if k is not None})
    denials: list[PermissionDeniedError] = []
    original = PermissionDeniedError.__init__

    def recording(self: PermissionDeniedError, *args: Any, **kwargs: Any) -> None:
        denials.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(PermissionDeniedError, "__init__", recording)
    mismatches: list[str] = []
    asked = 0
    for role, user in users.items():
        client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
        if user is not None:
            client.force_login(user)
        who = role or "visitor"
        for view, actions in sorted(ACTIONS.items()):
            for name, act in sorted(actions.items()):
                expected = _expected(act.rule, role, user)
                denials.clear()
                response = _post_action(client, objects[view], view, name, act)
                asked += 1
                refused = _refused(response, "", act.rule) or bool(denials)
                where = f"{who} POST {view} {name!r} ({act.rule})"
                if response.status_code >= 500:
                    mismatches.append(f"{where}: {response.status_code}")
                elif expected == "in" and (refused or response.status_code == 404):
                    mismatches.append(f"{where}: refused ({response.status_code})")
                elif expected == "out" and _done(response):
                    mismatches.append(f"{where}: done")
    print(f"\naction matrix: {asked} requests, {len(users)} users")
    assert mismatches == [], f"{len(mismatches)} mismatches:\n" + "\n".join(mismatches[:400])
