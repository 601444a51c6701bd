"""Sending notifications to people, roles and departments; marking them read."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from ecomops.accounts.selectors import users_in_department, users_with_role
from ecomops.jobs import enqueue

from .models import Notification

log = logging.getLogger(__name__)

# The sweep leaves a new notification this long to the task sent when it was made.
UNSENT_GRACE = timedelta(minutes=1)
# An e-mail that could not go out for this long is no longer news: the sweep gives it up
# (the notification stays in the portal).
UNSENT_GIVE_UP = timedelta(days=2)
UNSENT_CHUNK = 500


def notify_users(
    *,
    users: Iterable[Any],
    title: str,
    body: str = "",
    url: str = "",
    level: str = Notification.Level.INFO,
    key: str = "",
    email: bool = True,
) -> list[Notification]:
    """Notify each user once; with ``key``, a repeat for the same user is ignored.

    Returns the notifications created now (not those that already existed).
    """
    created: list[Notification] = []
    with transaction.atomic():
        for user in users:
            if key and Notification.objects.filter(recipient=user, key=key).exists():
                continue
            try:
                with transaction.atomic():
                    created.append(
                        Notification.objects.create(
                            recipient=user,
                            title=str(title),
                            body=str(body),
                            url=url,
                            level=level,
                            key=key,
                            email_wanted=email and bool(user.email),
                        )
                    )
            except IntegrityError:
                continue  # a concurrent sender created it first
        to_email = [n.pk for n in created if n.email_wanted]
        if to_email:
            enqueue("ecomops.notifications.tasks.send_notification_emails", to_email)
    return created


def notify_role(*, role: str, **kwargs: Any) -> list[Notification]:
    """Notify every active user holding ``role``."""
    return notify_users(users=users_with_role(role), **kwargs)


def notify_department(*, department: str, **kwargs: Any) -> list[Notification]:
    """Notify every active user of ``department`` (any of its roles)."""
    return notify_users(users=users_in_department(department), **kwargs)


def notification_mark_read(*, user: Any, notification_id: int) -> None:
    Notification.objects.filter(pk=notification_id, recipient=user, read_at=None).update(
        read_at=timezone.now()
    )


def notification_mark_all_read(*, user: Any) -> int:
    return Notification.objects.filter(recipient=user, read_at=None).update(read_at=timezone.now())


def portal_url(url: str) -> str:
    """``url`` as a link that works outside the portal (in an e-mail): a path such as
    ``/orders/5/`` gets ``settings.PORTAL_BASE_URL`` in front; a full URL stays as it is."""
    if urlsplit(url).scheme:
        return url
    return f"{settings.PORTAL_BASE_URL.rstrip('/')}/{url.lstrip('/')}"


def notifications_send_emails(*, notification_ids: list[int]) -> int:
    """E-mail the given notifications that have not been e-mailed yet; returns how many.

    Each row is claimed under a lock before sending, so a retried or duplicated task
    does not e-mail twice.
    """
    from django.core.mail import send_mail

    sent = 0
    for pk in notification_ids:
        with transaction.atomic():
            n = (
                Notification.objects.select_for_update(of=("self",))
                .select_related("recipient")
                .filter(pk=pk, emailed_at=None)
                .first()
            )
            if n is None or not n.recipient.email:
                continue
            link = portal_url(n.url) if n.url else ""
            send_mail(
                subject=f"[ecomops] {n.title}",
                message="\n\n".join(part for part in (n.body, link) if part),
                from_email=None,
                recipient_list=[n.recipient.email],
            )
            n.emailed_at = timezone.now()
            n.save(update_fields=["emailed_at"])
            sent += 1
    return sent


def notifications_send_unsent(*, now: Any = None) -> int:
    """The sweep behind ``notify_users``: e-mail every notification that should have been
    e-mailed and was not (its task lost in a crash or a broker outage), older than
    ``UNSENT_GRACE`` and younger than ``UNSENT_GIVE_UP``; returns how many were sent.

    Safe twice and beside the tasks: each row is claimed under its lock and sent only
    while ``emailed_at`` is empty. A recipient the mail server refuses is logged and left
    for the next sweep; the others still go out.
    """
    now = now or timezone.now()
    sent = 0
    last = 0
    while True:
        ids = list(
            Notification.objects.filter(
                email_wanted=True,
                emailed_at=None,
                created_at__lt=now - UNSENT_GRACE,
                created_at__gte=now - UNSENT_GIVE_UP,
                pk__gt=last,
            )
            .order_by("pk")
            .values_list("pk", flat=True)[:UNSENT_CHUNK]
        )
        if not ids:
            return sent
        last = ids[-1]
        for pk in ids:
            try:
                sent += notifications_send_emails(notification_ids=[pk])
            except (smtplib.SMTPException, OSError):
                log.exception("notification %s: e-mail not sent, the next sweep tries again", pk)
