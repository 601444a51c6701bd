"""Department tasks through their services: the life cycle, who may take each step, the
refusals with their fields, and who is told what."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from django_fsm_log.models import StateLog

from ecomops.audit.selectors import timeline_for
from ecomops.errors import ConflictError, PermissionDeniedError
from ecomops.notifications.models import Notification
from ecomops.worktasks import services
from ecomops.worktasks.models import TaskState, WorkTask
from tests.worktasks.factories import accepted, dispatch, pdf_file, text_file

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def told(user: Any) -> list[str]:
    return list(Notification.objects.filter(recipient=user).values_list("key", flat=True))


def test_dispatch_accept_report_complete(keeper, shop, designer, clerk):
    task = dispatch(keeper, attachments=[pdf_file()])
    assert task.number.startswith("RW" + timezone.localdate().strftime("%Y%m%d"))
    assert len(task.number) == 14
    assert task.state == TaskState.DISPATCHED
    assert task.dispatched_by == keeper
    assert task.attachments.get().content_type == "application/pdf"
    # The receiving department is told, the sender and other departments are not.
    assert told(shop) == [f"worktasks.task.{task.pk}.dispatched"]
    assert told(designer) == [f"worktasks.task.{task.pk}.dispatched"]
    assert told(keeper) == []
    assert told(clerk) == []
    notice = Notification.objects.get(recipient=shop)
    assert notice.url == task.get_absolute_url()
    assert "Warehouse" in notice.title

    task = services.task_accept(task_id=task.pk, by=shop)
    assert task.state == TaskState.ACCEPTED
    assert task.accepted_by == shop
    assert task.accepted_at is not None
    assert told(keeper) == [f"worktasks.task.{task.pk}.accepted"]

    report = services.task_report(
        task_id=task.pk, text="已核对一半", attachments=[text_file()], by=designer
    )
    assert report.by == designer
    assert report.attachments.get().task == task
    assert f"worktasks.report.{report.pk}" in told(keeper)
    assert f"worktasks.report.{report.pk}" not in told(shop)  # the sender's side only
    assert f"worktasks.report.{report.pk}" not in told(designer)  # not the reporter

    task = services.task_complete(task_id=task.pk, note="差异已调整", by=shop)
    assert task.state == TaskState.COMPLETED
    assert task.completed_by == shop
    assert task.completion_note == "差异已调整"
    assert f"worktasks.task.{task.pk}.completed" in told(keeper)

    logs = StateLog.objects.filter(object_id=task.pk).order_by("pk")
    assert [(log.transition, log.by) for log in logs] == [("accept", shop), ("complete", shop)]
    assert [e.kind for e in timeline_for(task)] == ["transition", "transition"]


def test_steps_already_taken_change_nothing_and_notify_once(keeper, shop):
    task = dispatch(keeper)
    services.task_accept(task_id=task.pk, by=shop)
    services.task_accept(task_id=task.pk, by=shop)
    services.task_complete(task_id=task.pk, note="", by=shop)
    services.task_complete(task_id=task.pk, note="again", by=shop)
    task.refresh_from_db()
    assert task.completion_note == ""
    assert StateLog.objects.filter(object_id=task.pk).count() == 2
    assert told(keeper).count(f"worktasks.task.{task.pk}.accepted") == 1
    assert told(keeper).count(f"worktasks.task.{task.pk}.completed") == 1


def test_decline_needs_a_reason_and_tells_the_dispatcher(keeper, shop):
    task = dispatch(keeper)
    with pytest.raises(services.TaskError) as refused:
        services.task_decline(task_id=task.pk, reason="  ", by=shop)
    assert "reason" in refused.value.extra["fields"]
    task = services.task_decline(task_id=task.pk, reason="不归我们管", by=shop)
    assert task.state == TaskState.DECLINED
    assert task.decline_reason == "不归我们管"
    assert task.declined_by == shop
    notice = Notification.objects.get(recipient=keeper)
    assert notice.level == Notification.Level.WARNING
    assert notice.body == "不归我们管"
    assert StateLog.objects.get(object_id=task.pk).description == "不归我们管"


def test_an_accepted_task_may_still_be_declined(keeper, shop):
    task = accepted(keeper, shop)
    assert services.task_decline(task_id=task.pk, reason="人手不足", by=shop).state == "declined"


def test_the_sender_cancels_with_a_reason_and_the_receivers_are_told(keeper, picker, shop):
    task = dispatch(keeper)
    with pytest.raises(services.TaskError) as refused:
        services.task_cancel(task_id=task.pk, reason="", by=keeper)
    assert "reason" in refused.value.extra["fields"]
    # A colleague of the sending department may cancel too.
    task = services.task_cancel(task_id=task.pk, reason="盘点推迟", by=picker)
    assert task.state == TaskState.CANCELLED
    assert task.cancel_reason == "盘点推迟"
    assert f"worktasks.task.{task.pk}.cancelled" in told(shop)
    with pytest.raises(ConflictError):
        services.task_accept(task_id=task.pk, by=shop)


def test_the_system_dispatches_and_cancels(shop, keeper):
    task = dispatch(None, source_label="Campaign HD202611230001", source_url="/marketing/1/")
    assert task.dispatched_by is None
    assert task.source_label == "Campaign HD202611230001"
    services.task_accept(task_id=task.pk, by=shop)
    # No dispatcher: the sending department hears of it.
    assert told(keeper) == [f"worktasks.task.{task.pk}.accepted"]
    assert services.task_cancel(task_id=task.pk, reason="活动取消", by=None).state == "cancelled"


@pytest.mark.parametrize(
    ("step", "kwargs"),
    [
        ("task_accept", {}),
        ("task_decline", {"reason": "no"}),
    ],
)
def test_only_the_receiving_department_acts(keeper, clerk, step, kwargs):
    task = dispatch(keeper)
    with pytest.raises(PermissionDeniedError):
        getattr(services, step)(task_id=task.pk, by=clerk, **kwargs)
    # Not the sender either: the warehouse sent it to e-commerce.
    with pytest.raises(PermissionDeniedError):
        getattr(services, step)(task_id=task.pk, by=keeper, **kwargs)
    assert WorkTask.objects.get(pk=task.pk).state == TaskState.DISPATCHED


def test_the_receivers_steps_need_a_person(keeper):
    task = dispatch(keeper)
    with pytest.raises(PermissionDeniedError):
        services.task_accept(task_id=task.pk, by=None)


def test_a_task_for_one_role_is_worked_by_that_role_and_managers(keeper, shop, designer, manager):
    task = dispatch(keeper, to_role="designer")
    # Only the designers are told.
    assert told(designer) == [f"worktasks.task.{task.pk}.dispatched"]
    assert told(shop) == []
    with pytest.raises(PermissionDeniedError) as refused:
        services.task_accept(task_id=task.pk, by=shop)
    assert "Designer" in refused.value.message
    services.task_accept(task_id=task.pk, by=designer)
    services.task_report(task_id=task.pk, text="初稿完成", by=manager)
    assert services.task_complete(task_id=task.pk, note="", by=manager).completed_by == manager


def test_only_the_sending_side_cancels(keeper, shop, clerk, manager):
    task = dispatch(keeper)
    for outsider in (shop, clerk):
        with pytest.raises(PermissionDeniedError):
            services.task_cancel(task_id=task.pk, reason="x", by=outsider)
    assert services.task_cancel(task_id=task.pk, reason="x", by=manager).state == "cancelled"


def test_the_dispatcher_may_cancel_after_moving_to_another_department(keeper, shop):
    task = dispatch(keeper)
    keeper.groups.set(Group.objects.filter(name="finance_clerk"))
    moved = get_user_model().objects.get(pk=keeper.pk)
    assert services.task_cancel(task_id=task.pk, reason="x", by=moved).state == "cancelled"


def test_a_manager_dispatches_from_any_department_and_hears_back(manager, shop):
    task = dispatch(manager, from_department="finance")
    services.task_accept(task_id=task.pk, by=shop)
    assert told(manager) == [f"worktasks.task.{task.pk}.accepted"]


def test_dispatch_refusals_name_their_fields(keeper):
    with pytest.raises(services.TaskError) as refused:
        dispatch(
            keeper,
            to_department="warehouse",
            title=" ",
            details="",
            due_at=timezone.now() - timedelta(minutes=1),
        )
    fields = refused.value.extra["fields"]
    assert set(fields) == {"to_department", "title", "details", "due_at"}
    assert fields["due_at"] == ["The due time must be in the future."]
    with pytest.raises(services.TaskError) as refused:
        dispatch(keeper, to_role="finance_clerk")
    assert refused.value.extra["fields"]["to_role"] == [
        "Finance clerk is not a role of E-commerce."
    ]
    with pytest.raises(services.TaskError) as refused:
        dispatch(keeper, to_department="nowhere", due_at=None)
    assert set(refused.value.extra["fields"]) == {"to_department", "due_at"}
    with pytest.raises(services.TaskError) as refused:
        dispatch(None, source_url="javascript:alert(1)")
    assert "source_url" in refused.value.extra["fields"]
    assert not WorkTask.objects.exists()


def test_a_user_dispatches_only_from_their_own_department(keeper, manager):
    with pytest.raises(PermissionDeniedError) as refused:
        dispatch(keeper, from_department="finance")
    assert "from_department" in refused.value.extra["fields"]
    assert dispatch(manager, from_department="finance").from_department == "finance"


def test_reports_need_an_accepted_task_and_words(keeper, shop):
    task = dispatch(keeper)
    with pytest.raises(ConflictError) as refused:
        services.task_report(task_id=task.pk, text="进展", by=shop)
    assert refused.value.message == f"Accept task {task.number} before reporting on it."
    with pytest.raises(ConflictError):
        services.task_complete(task_id=task.pk, note="", by=shop)
    services.task_accept(task_id=task.pk, by=shop)
    with pytest.raises(services.TaskError) as empty:
        services.task_report(task_id=task.pk, text="   ", by=shop)
    assert "text" in empty.value.extra["fields"]
    services.task_complete(task_id=task.pk, note="", by=shop)
    with pytest.raises(ConflictError):
        services.task_report(task_id=task.pk, text="再补充一点", by=shop)
    assert not task.reports.exists()


def test_a_closed_task_cannot_be_declined_or_cancelled(keeper, shop):
    task = accepted(keeper, shop)
    services.task_complete(task_id=task.pk, note="", by=shop)
    with pytest.raises(ConflictError):
        services.task_decline(task_id=task.pk, reason="x", by=shop)
    with pytest.raises(ConflictError):
        services.task_cancel(task_id=task.pk, reason="x", by=keeper)


def test_a_role_nobody_holds_falls_back_to_the_department(keeper, shop):
    task = dispatch(keeper, to_role="listing_reviewer")
    assert told(shop) == [f"worktasks.task.{task.pk}.dispatched"]
