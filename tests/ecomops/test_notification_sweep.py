"""The e-mail sweep behind notifications (issue 23 §3): what should have been e-mailed and
was not is sent once; what was never meant to be e-mailed never is."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail

from ecomops.notifications.models import Notification
from ecomops.notifications.services import notifications_send_unsent, notify_users
from tests.timeutil import at

pytestmark = [pytest.mark.django_db, pytest.mark.clock(at(2026, 11, 23, 10))]


def test_lost_emails_are_sent_once_after_the_grace(clock: Any, make_user: Any) -> None:
    user = make_user("packer", username="packer")
    silent = make_user("packer", username="silent", email="")
    # Made in a transaction that never reaches on_commit here (as if the message was lost).
    [lost] = notify_users(users=[user], title="丢失的邮件")
    [quiet] = notify_users(users=[user], title="只在门户", email=False)
    [no_address] = notify_users(users=[silent], title="没有邮箱")
    assert (lost.email_wanted, quiet.email_wanted, no_address.email_wanted) == (True, False, False)
    mail.outbox.clear()
    Notification.objects.filter(pk=lost.pk).update(emailed_at=None)

    assert notifications_send_unsent() == 0  # its own task may still send it
    clock.shift(timedelta(minutes=2))
    assert notifications_send_unsent() == 1
    assert notifications_send_unsent() == 0
    assert [m.subject for m in mail.outbox] == ["[ecomops] 丢失的邮件"]
    assert mail.outbox[0].to == [user.email]
    assert Notification.objects.get(pk=quiet.pk).emailed_at is None


def test_the_sweep_gives_up_after_two_days(clock: Any, make_user: Any) -> None:
    user = make_user("packer", username="packer")
    [old] = notify_users(users=[user], title="旧消息")
    Notification.objects.filter(pk=old.pk).update(emailed_at=None)
    mail.outbox.clear()
    clock.shift(timedelta(days=2, minutes=1))
    assert notifications_send_unsent() == 0
    assert mail.outbox == []
