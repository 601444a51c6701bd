"""Login throttling (登录限制) with django-axes.

Failed sign-ins are counted per (username, address) and per address. A pair is locked after
``AXES_FAILURE_LIMIT`` failures, an address trying many usernames after
``LOGIN_ADDRESS_FAILURE_LIMIT`` failures whatever the usernames; a lock lasts until the
failures that caused it are older than ``AXES_COOLOFF_TIME`` (a try refused during the lock
is not counted, so the time the login page promises holds). A right password inside a lock
is refused like a wrong one. A successful sign-in forgets that pair's failures (never the
address's). Managers unlock in the admin: deleting the access attempts of a user or address
(axes' own admin), or ``login_unlock``.

Axes allows one failure limit for every lockout parameter; ``LockoutHandler`` gives the
address its own, higher one by answering axes' "how many failures" with what is used of the
tighter of the two budgets.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_ip_address, get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from ecomops.errors import require_permission

UNLOCK_PERMISSION = "axes.delete_accessattempt"


@dataclass(frozen=True)
class LoginLockout:
    """Where a username at an address stands: tries left before a lock, or until when it is
    locked; ``by_address`` when it is the address as a whole (many usernames) that is."""

    attempts_left: int
    locked_until: datetime | None = None
    by_address: bool = False
    cool_off_minutes: int = 0

    @property
    def locked(self) -> bool:
        return self.locked_until is not None


def _cool_off() -> timedelta:
    cool_off = get_cool_off()
    if cool_off is None:  # configuration error: locks must end by themselves
        raise ValueError("AXES_COOLOFF_TIME must be set")
    return cool_off


def _lock_end(rows: list[tuple[datetime, int]], limit: int, cool_off: timedelta) -> datetime | None:
    """When these recent failures (time, count) stop holding ``limit`` or more: as each
    row's time passes ``cool_off``, its failures stop counting."""
    total = sum(count for _at, count in rows)
    if total < limit:
        return None
    for at, count in sorted(rows):
        total -= count
        if total < limit:
            return at + cool_off
    return None  # pragma: no cover - total reaches 0 < limit at the latest


def login_lockout_status(
    *, username: str | None, ip_address: str | None, now: datetime | None = None
) -> LoginLockout:
    """Tries left and lock for ``username`` signing in from ``ip_address`` (two queries)."""
    now = now or timezone.now()
    cool_off = _cool_off()
    user_limit = int(settings.AXES_FAILURE_LIMIT)
    address_limit = int(settings.LOGIN_ADDRESS_FAILURE_LIMIT)
    recent = AccessAttempt.objects.filter(ip_address=ip_address, attempt_time__gte=now - cool_off)
    address_rows = list(recent.values_list("attempt_time", "failures_since_start"))
    pair_rows = (
        list(recent.filter(username=username).values_list("attempt_time", "failures_since_start"))
        if username
        else []
    )
    pair_until = _lock_end(pair_rows, user_limit, cool_off)
    address_until = _lock_end(address_rows, address_limit, cool_off)
    if pair_until or address_until:
        until = max(at for at in (pair_until, address_until) if at is not None)
        return LoginLockout(
            0, until, by_address=not pair_until, cool_off_minutes=cool_off // timedelta(minutes=1)
        )
    left = min(
        user_limit - sum(count for _at, count in pair_rows),
        address_limit - sum(count for _at, count in address_rows),
    )
    return LoginLockout(max(left, 0), cool_off_minutes=cool_off // timedelta(minutes=1))


def request_lockout_status(request: HttpRequest, username: str | None) -> LoginLockout:
    return login_lockout_status(
        username=username,
        ip_address=getattr(request, "axes_ip_address", None) or get_client_ip_address(request),
    )


def login_unlock(*, username: str = "", ip_address: str = "", by: Any) -> int:
    """A manager lets a locked user (at every address) or address (for every user) sign in
    again at once; returns how many attempt records were forgotten."""
    require_permission(by, UNLOCK_PERMISSION)
    attempts = AccessAttempt.objects.all()
    if not username and not ip_address:
        return 0
    if username:
        attempts = attempts.filter(username=username)
    if ip_address:
        attempts = attempts.filter(ip_address=ip_address)
    count, _by_model = attempts.delete()
    return count


def client_address(request: HttpRequest) -> str | None:
    """The address a sign-in comes from. Behind ``LOGIN_PROXY_COUNT`` proxies, the entry of
    X-Forwarded-For the outermost one added (entries left of it are the client's to make up);
    directly, REMOTE_ADDR."""
    proxies = int(settings.LOGIN_PROXY_COUNT)
    if proxies > 0:
        forwarded = [
            part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        ]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies and _is_address(forwarded[-proxies]):
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


class LockoutHandler(AxesDatabaseHandler):
    """Axes' database handler with a budget for the pair and a larger one for the address."""

    def get_failures(self, request: Any, credentials: dict[str, Any] | None = None) -> int:
        status = login_lockout_status(
            username=get_client_username(request, credentials),
            ip_address=request.axes_ip_address,
            now=request.axes_attempt_time,
        )
        return int(settings.AXES_FAILURE_LIMIT) - status.attempts_left

    def reset_user_attempts(self, request: Any, credentials: dict[str, Any] | None = None) -> int:
        """After a successful sign-in: the pair's failures only, so signing in to one's own
        account does not clear an address that tried other usernames."""
        count, _by_model = AccessAttempt.objects.filter(
            username=get_client_username(request, credentials),
            ip_address=request.axes_ip_address,
        ).delete()
        return count


class TestClientLoginBackend(AxesStandaloneBackend):
    """Tests only (settings.test): Django's test client signs in without a request
    (``client.login``), where there is no address to throttle. Every real login passes its
    request (LoginView, the admin), and production keeps axes' backend that insists on it."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """The login page again (429) saying the sign-in is locked and until when, instead of
    axes' bare text; the admin's login lands here too."""
    username = get_client_username(request, credentials) or ""
    form = AuthenticationForm(request, initial={"username": username})
    context = {
        "form": form,
        "next": request.POST.get("next", "") or request.GET.get("next", ""),
        "lockout": request_lockout_status(request, username),
        "lockout_username": username,
    }
    return render(request, "registration/login.html", context, status=429)
