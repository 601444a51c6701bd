"""Login throttling (issue 23, item 6): failed sign-ins lock out a username at an address,
and an address trying many usernames; the lock ends by itself after the cool-off or when a
manager unlocks; the login page says how many tries are left and until when it is locked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client, RequestFactory, override_settings
from django.utils import timezone

from ecomops.accounts.lockout import client_address, login_lockout_status, login_unlock
from ecomops.errors import PermissionDeniedError
from tests.factories import DEFAULT_PASSWORD

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.clock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC)),  # 10:00 in Shanghai
]

LIMIT = settings.AXES_FAILURE_LIMIT
ADDRESS_LIMIT = settings.LOGIN_ADDRESS_FAILURE_LIMIT
OFFICE = "10.1.2.3"


def _client(address: str = OFFICE) -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR=address)


def _sign_in(client: Client, username: str, password: str = DEFAULT_PASSWORD) -> Any:
    return client.post("/login/", {"username": username, "password": password})


def _signed_in(response: Any) -> bool:
    return response.status_code == 302 and response.wsgi_request.user.is_authenticated


def _fail(client: Client, username: str, times: int) -> Any:
    response = None
    for _ in range(times):
        response = _sign_in(client, username, "wrong-password")
    return response


@pytest.fixture
def staff(make_user: Any) -> Any:
    return make_user("sales_rep", username="wangfang")


def test_a_user_signs_in_after_fewer_failures_than_the_limit(staff: Any) -> None:
    client = _client()
    _fail(client, "wangfang", LIMIT - 1)
    assert _signed_in(_sign_in(client, "wangfang"))


def test_after_the_limit_the_right_password_is_refused_with_the_lock_and_its_end(
    staff: Any, clock: time_machine.Traveller
) -> None:
    client = _client()
    last = _fail(client, "wangfang", LIMIT)
    assert last.status_code == 429
    response = _sign_in(client, "wangfang")
    assert response.status_code == 429
    assert not response.wsgi_request.user.is_authenticated
    page = response.content.decode()
    until = timezone.localtime(timezone.now() + settings.AXES_COOLOFF_TIME)
    assert "this account is locked at your address until" in page
    assert until.strftime("%Y-%m-%d %H:%M") in page
    assert 'name="username" id="id_username" value="wangfang"' in page
    # A refused try inside the lock is not counted: the promised end holds.
    clock.shift(timedelta(minutes=10))
    _sign_in(client, "wangfang")
    clock.shift(settings.AXES_COOLOFF_TIME - timedelta(minutes=10) + timedelta(seconds=1))
    assert _signed_in(_sign_in(client, "wangfang"))


def test_another_user_at_the_same_address_still_signs_in(staff: Any, make_user: Any) -> None:
    make_user("sales_rep", username="lina")
    client = _client()
    _fail(client, "wangfang", LIMIT + 2)
    assert _signed_in(_sign_in(_client(), "lina"))
    # and the locked user from another address too: the lock is the pair's
    assert _signed_in(_sign_in(_client("10.9.9.9"), "wangfang"))


def test_an_address_trying_many_usernames_is_locked_for_everyone_at_it(
    staff: Any,
) -> None:
    client = _client("203.0.113.7")
    for n in range(ADDRESS_LIMIT):
        _sign_in(client, f"guess{n % (LIMIT - 1)}-{n // (LIMIT - 1)}", "wrong-password")
    response = _sign_in(client, "wangfang")
    assert response.status_code == 429
    assert "Too many failed sign-ins from your address" in response.content.decode()
    assert _signed_in(_sign_in(_client(), "wangfang"))


def test_the_lock_ends_by_itself_after_the_cool_off(
    staff: Any, clock: time_machine.Traveller
) -> None:
    client = _client()
    _fail(client, "wangfang", LIMIT)
    clock.shift(settings.AXES_COOLOFF_TIME - timedelta(seconds=30))
    assert _sign_in(client, "wangfang").status_code == 429
    clock.shift(timedelta(minutes=1))
    assert _signed_in(_sign_in(client, "wangfang"))


def test_the_login_page_says_how_many_tries_are_left(staff: Any) -> None:
    client = _client()
    assert "Tries left" not in client.get("/login/").content.decode()
    page = _sign_in(client, "wangfang", "wrong").content.decode()
    assert "Your username and password didn" in page
    minutes = settings.AXES_COOLOFF_TIME // timedelta(minutes=1)
    assert f"Tries left before signing in is locked for {minutes} minutes: {LIMIT - 1}." in page
    page = _sign_in(client, "wangfang", "wrong").content.decode()
    assert f"minutes: {LIMIT - 2}." in page


def test_a_successful_sign_in_forgets_the_earlier_failures(staff: Any) -> None:
    client = _client()
    _fail(client, "wangfang", LIMIT - 1)
    assert _signed_in(_sign_in(client, "wangfang"))
    client.logout()
    _fail(client, "wangfang", LIMIT - 1)
    assert _signed_in(_sign_in(client, "wangfang"))


def test_a_manager_unlocks_in_the_admin(staff: Any, make_user: Any) -> None:
    boss = make_user("manager", username="boss")
    _fail(_client(), "wangfang", LIMIT)
    admin = Client(HTTP_ACCEPT_LANGUAGE="en")
    admin.force_login(boss)
    listing = admin.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200
    assert "wangfang" in listing.content.decode()
    attempt = AccessAttempt.objects.get(username="wangfang")
    response = admin.post(
        "/admin/axes/accessattempt/",
        {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert _signed_in(_sign_in(_client(), "wangfang"))


def test_login_unlock_needs_the_permission_and_frees_the_user(staff: Any, make_user: Any) -> None:
    boss = make_user("manager", username="boss")
    _fail(_client(), "wangfang", LIMIT)
    with pytest.raises(PermissionDeniedError):
        login_unlock(username="wangfang", by=staff)
    assert login_lockout_status(username="wangfang", ip_address=OFFICE).locked
    assert login_unlock(username="wangfang", by=boss) == 1
    status = login_lockout_status(username="wangfang", ip_address=OFFICE)
    assert not status.locked
    assert status.attempts_left == LIMIT


def test_the_admin_login_is_throttled_too(make_user: Any) -> None:
    make_user("manager", username="boss")
    client = _client()
    for _ in range(LIMIT):
        client.post("/admin/login/", {"username": "boss", "password": "wrong"})
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "boss", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 429
    assert not response.wsgi_request.user.is_authenticated


def test_the_test_client_login_and_force_login_are_never_throttled(staff: Any) -> None:
    _fail(_client("127.0.0.1"), "wangfang", LIMIT)
    assert Client().login(username="wangfang", password=DEFAULT_PASSWORD)
    client = Client()
    client.force_login(staff)
    assert client.get("/").status_code == 200


def test_production_insists_on_the_request_for_every_authentication() -> None:
    from django.contrib.auth import authenticate

    from ecomops.settings import base

    assert base.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert base.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"
    with (
        override_settings(AUTHENTICATION_BACKENDS=base.AUTHENTICATION_BACKENDS),
        pytest.raises(ValueError, match="request"),
    ):
        authenticate(username="nobody", password="x")


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "1.1.1.1", "10.0.0.5"),
        (1, "6.6.6.6, 198.51.100.4", "198.51.100.4"),
        (2, "6.6.6.6, 198.51.100.4, 10.0.0.9", "198.51.100.4"),
        (1, "", "10.0.0.5"),
        (1, "not-an-address", "10.0.0.5"),
    ],
)
def test_the_address_comes_from_the_trusted_proxies_only(
    proxies: int, forwarded: str, expected: str
) -> None:
    request = RequestFactory().post(
        "/login/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR=forwarded
    )
    with override_settings(LOGIN_PROXY_COUNT=proxies):
        assert client_address(request) == expected
