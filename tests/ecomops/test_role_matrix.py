"""The role × action matrix (issue 23): every portal page and action, GET and POST, for every
demo role and for a visitor who is not signed in, against what ``role_matrix.PAGES`` says
each may do. A URL pattern without a rule fails ``test_every_portal_page_has_a_rule``.

Pages that need an object are asked for one that does not exist (pk 999999): a role allowed
in is answered 404 (or a page), a role that is not is refused before anything is looked up.
No request may answer 5xx.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from ecomops.accounts.roles import ROLES, RoleCode
from tests.ecomops.role_matrix import IN_VIEW, MANAGERS, PAGES, PUBLIC, SIGNED_IN
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
