"""In-app notifications and their e-mails."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.urls import reverse

from ecomops.notifications.models import Notification
from ecomops.notifications.services import (
    notification_mark_read,
    notify_department,
    notify_role,
)

pytestmark = pytest.mark.django_db


def test_notify_role_reaches_every_holder_once_per_key(
    make_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    a, b = make_user("finance_clerk"), make_user("finance_clerk")
    make_user("picker")
    with django_capture_on_commit_callbacks(execute=True):
        first = notify_role(role="finance_clerk", title="发票待开", key="invoice-1")
        again = notify_role(role="finance_clerk", title="发票待开", key="invoice-1")
    assert {n.recipient for n in first} == {a, b}
    assert again == []
    assert Notification.objects.count() == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([a.email, b.email])
    assert all(n.emailed_at for n in Notification.objects.all())


def test_notify_department_covers_all_its_roles(make_user: Any) -> None:
    admin, picker = make_user("warehouse_admin"), make_user("picker")
    make_user("finance_clerk")
    created = notify_department(department="warehouse", title="批次已截单", email=False)
    assert {n.recipient for n in created} == {admin, picker}


def test_email_task_is_idempotent(make_user: Any, django_capture_on_commit_callbacks: Any) -> None:
    from ecomops.notifications.tasks import send_notification_emails

    user = make_user("sales_rep")
    with django_capture_on_commit_callbacks(execute=True):
        [note] = notify_role(role="sales_rep", title="识别超时")
    assert len(mail.outbox) == 1
    assert send_notification_emails(notification_ids=[note.pk]) == 0
    assert len(mail.outbox) == 1
    assert user.email in mail.outbox[0].to


def test_only_the_recipient_can_mark_read(make_user: Any) -> None:
    owner, other = make_user("packer"), make_user("packer")
    notify_role(role="packer", title="x", email=False)
    note = Notification.objects.get(recipient=owner)
    notification_mark_read(user=other, notification_id=note.pk)
    note.refresh_from_db()
    assert note.read_at is None
    notification_mark_read(user=owner, notification_id=note.pk)
    note.refresh_from_db()
    assert note.read_at is not None


def test_list_badge_and_mark_all_read_views(client: Any, make_user: Any) -> None:
    user = make_user("packer")
    notify_role(role="packer", title="包装台缺货", email=False)
    client.force_login(user)

    badge = client.get(reverse("notifications:badge"))
    assert b'data-testid="unread-count">1<' in badge.content

    page = client.get(reverse("notifications:list"))
    assert "包装台缺货" in page.content.decode()

    response = client.post(reverse("notifications:mark_all_read"))
    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=user, read_at=None).exists()


def test_mark_read_ignores_foreign_redirects(client: Any, make_user: Any) -> None:
    user = make_user("packer")
    [note] = notify_role(role="packer", title="x", email=False)
    client.force_login(user)
    response = client.post(
        reverse("notifications:mark_read", args=[note.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("notifications:list")
