"""Department tasks through the portal, as the staff use it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.messages.storage.fallback import FallbackStorage
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ecomops.notifications.models import Notification
from ecomops.worktasks import services
from ecomops.worktasks.models import TaskState, WorkTask
from tests.worktasks.factories import (
    WorkTaskFactory,
    accepted,
    dispatch,
    pdf_file,
    picture,
    text_file,
    xlsx_file,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def url(name: str, *args: Any) -> str:
    return reverse(f"worktasks:{name}", args=args)


def login(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def html(response: Any) -> str:
    return response.content.decode()


def local(moment: Any) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%dT%H:%M}"


def step(client: Client, task: WorkTask, action: str, **fields: Any) -> Any:
    data = {f"{action}-{name}": value for name, value in fields.items()}
    return client.post(url("action", task.pk, action), data)


# --- Lists ------------------------------------------------------------------------------------


def test_received_and_sent_tabs_with_overdue_in_red(client, keeper, shop):
    dispatch(keeper, title="按时的任务")
    late = WorkTaskFactory(title="过期的任务", due_at=timezone.now() - timedelta(hours=3))
    WorkTaskFactory(title="财务的任务", from_department="finance", to_department="service")
    login(client, shop)
    page = html(client.get(url("list")))
    assert "按时的任务" in page
    assert "过期的任务" in page
    assert "财务的任务" not in page
    assert f'<tr class="is-late" data-task="{late.number}">' in page
    assert "3\xa0hours ago" in page  # naturaltime
    sent = html(client.get(url("list") + "?tab=sent"))
    assert "按时的任务" not in sent
    assert "No tasks sent." in sent
    login(client, keeper)
    assert "按时的任务" in html(client.get(url("list") + "?tab=sent"))


def test_the_list_filters_open_all_and_by_state(client, keeper, shop):
    dispatch(keeper, title="进行中")
    done = accepted(keeper, shop, title="做完了")
    services.task_complete(task_id=done.pk, note="", by=shop)
    login(client, shop)
    assert "做完了" not in html(client.get(url("list")))
    assert "做完了" in html(client.get(url("list") + "?show=all"))
    by_state = html(client.get(url("list") + "?state=completed"))
    assert "做完了" in by_state
    assert "进行中" not in by_state


def test_the_list_query_count_does_not_grow_with_rows(client, shop):
    login(client, shop)
    WorkTaskFactory.create_batch(2)
    with CaptureQueriesContext(connection) as few:
        client.get(url("list"))
    WorkTaskFactory.create_batch(8, to_role="designer")
    with CaptureQueriesContext(connection) as many:
        client.get(url("list"))
    assert len(many) == len(few)


# --- Dispatch ---------------------------------------------------------------------------------


def test_dispatch_form_offers_only_the_users_departments(client, keeper, manager):
    login(client, keeper)
    page = html(client.get(url("new")))
    assert '<option value="warehouse" selected>' in page
    assert '<select name="from_department"' in page
    from_select = page.split('name="from_department"')[1].split("</select>")[0]
    assert 'value="finance"' not in from_select
    login(client, manager)
    from_select = html(client.get(url("new"))).split('name="from_department"')[1]
    assert 'value="finance"' in from_select.split("</select>")[0]


def test_a_refused_dispatch_keeps_what_was_typed(client, keeper):
    login(client, keeper)
    response = client.post(
        url("new"),
        {
            "from_department": "warehouse",
            "to_department": "warehouse",
            "to_role": "",
            "title": "确认库存",
            "details": "请核对附件",
            "due_at": local(timezone.now() - timedelta(days=1)),
            "attachments": [pdf_file()],
        },
    )
    assert response.status_code == 200
    page = html(response)
    assert 'value="确认库存"' in page
    assert "请核对附件</textarea>" in page
    due = page.split('data-field="due_at"')[1].split('data-field="attachments"')[0]
    assert "The due time must be in the future." in due
    to = page.split('data-field="to_department"')[1].split('data-field="to_role"')[0]
    assert "A task goes to another department than the sender." in to
    assert "Choose the files to attach again." in page
    assert not WorkTask.objects.exists()


def test_a_role_of_another_department_is_refused_on_its_field(client, keeper):
    login(client, keeper)
    response = client.post(
        url("new"),
        {
            "from_department": "warehouse",
            "to_department": "ecommerce",
            "to_role": "finance_clerk",
            "title": "确认库存",
            "details": "请核对",
            "due_at": local(timezone.now() + timedelta(days=1)),
        },
    )
    role = html(response).split('data-field="to_role"')[1].split('data-field="title"')[0]
    assert "Finance clerk is not a role of E-commerce." in role
    assert not WorkTask.objects.exists()


def test_dispatch_with_files_and_go_to_the_task(client, keeper, shop):
    login(client, keeper)
    due = timezone.now() + timedelta(days=2)
    response = client.post(
        url("new"),
        {
            "from_department": "warehouse",
            "to_department": "ecommerce",
            "to_role": "shop_manager",
            "title": "确认第四季度库存盘点数据",
            "details": "请核对盘点差异",
            "due_at": local(due),
            "attachments": [pdf_file("差异.pdf"), picture("现场.png")],
        },
    )
    task = WorkTask.objects.get()
    assert response.status_code == 302
    assert response["Location"] == task.get_absolute_url()
    assert task.to_role == "shop_manager"
    assert task.dispatched_by == keeper
    assert sorted(task.attachments.values_list("name", flat=True)) == ["差异.pdf", "现场.png"]
    page = html(client.get(response["Location"]))
    assert "差异.pdf" in page
    assert "Shop manager" in page
    assert Notification.objects.filter(recipient=shop, url=task.get_absolute_url()).exists()


def test_nobody_without_a_department_dispatches(client, make_user):
    login(client, make_user())
    assert client.get(url("new")).status_code == 403


# --- A task's page ----------------------------------------------------------------------------


def test_the_receiving_department_accepts_reports_and_completes(client, keeper, shop):
    task = dispatch(keeper, source_label="Campaign HD202611230001", source_url="/marketing/7/")
    login(client, shop)
    page = html(client.get(task.get_absolute_url()))
    assert 'id="step-accept"' in page
    assert 'id="step-decline"' in page
    assert 'id="step-cancel"' not in page
    assert 'id="step-report"' not in page
    assert '<a href="/marketing/7/">Campaign HD202611230001</a>' in page

    response = step(client, task, "accept")
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.state == TaskState.ACCEPTED

    refused = step(client, task, "report", text="")
    assert refused.status_code == 200
    assert 'id="step-report"' in html(refused)
    assert "form-error" in html(refused)
    response = client.post(
        url("action", task.pk, "report"),
        {"report-text": "已核对一半", "report-attachments": [text_file("进度.txt")]},
    )
    assert response.status_code == 302
    report = task.reports.get()
    page = html(client.get(task.get_absolute_url()))
    assert "已核对一半" in page
    assert report.attachments.get().get_absolute_url() in page

    assert step(client, task, "complete", note="全部完成").status_code == 302
    task.refresh_from_db()
    assert task.state == TaskState.COMPLETED
    page = html(client.get(task.get_absolute_url()))
    assert "全部完成" in page
    assert "This task is closed." in page
    assert 'class="timeline' in page


def test_decline_needs_a_reason_on_the_form(client, keeper, shop):
    task = dispatch(keeper)
    login(client, shop)
    refused = step(client, task, "decline", reason="")
    assert refused.status_code == 200
    form = html(refused).split('id="step-decline"')[1].split("</form>")[0]
    assert "form-error" in form
    assert step(client, task, "decline", reason="不是我们的工作").status_code == 302
    task.refresh_from_db()
    assert task.state == TaskState.DECLINED
    assert "不是我们的工作" in html(client.get(task.get_absolute_url()))


def test_the_sender_cancels_from_the_page(client, keeper, shop):
    task = dispatch(keeper)
    login(client, keeper)
    page = html(client.get(task.get_absolute_url()))
    assert 'id="step-cancel"' in page
    assert 'id="step-accept"' not in page
    assert step(client, task, "cancel", reason="盘点推迟").status_code == 302
    task.refresh_from_db()
    assert task.state == TaskState.CANCELLED


def test_a_step_the_task_moved_past_is_a_message(client, keeper, shop):
    task = dispatch(keeper)
    services.task_cancel(task_id=task.pk, reason="取消", by=keeper)
    login(client, shop)
    response = step(client, task, "accept")
    assert response.status_code == 200
    assert "cannot accept" in html(response)


def test_outsiders_cannot_see_or_act(client, keeper, clerk, shop):
    task = dispatch(keeper, attachments=[pdf_file()])
    login(client, clerk)
    assert client.get(task.get_absolute_url()).status_code == 403
    assert step(client, task, "accept").status_code == 403
    assert client.get(task.attachments.get().get_absolute_url()).status_code == 403
    # The sender may look but not accept its own task.
    login(client, keeper)
    assert step(client, task, "accept").status_code == 403
    assert WorkTask.objects.get(pk=task.pk).state == TaskState.DISPATCHED
    assert client.get(url("detail", 999999)).status_code == 404
    assert client.post(url("action", task.pk, "explode")).status_code == 404


def test_attachments_download_for_both_departments(client, keeper, shop, clerk):
    task = dispatch(keeper, attachments=[pdf_file("说明.pdf")])
    attachment = task.attachments.get()
    for user in (keeper, shop):
        login(client, user)
        response = client.get(attachment.get_absolute_url())
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content).startswith(b"%PDF-")
    login(client, clerk)
    assert client.get(attachment.get_absolute_url()).status_code == 403
    client.logout()
    assert client.get(attachment.get_absolute_url()).status_code == 302  # to the login


def test_office_files_download_as_attachments(client, keeper):
    task = dispatch(keeper, attachments=[xlsx_file("清单.xlsx")])
    login(client, keeper)
    response = client.get(task.attachments.get().get_absolute_url())
    assert response["Content-Disposition"].startswith("attachment;")


# --- Home page, navigation, admin -------------------------------------------------------------


def test_the_home_page_shows_the_departments_tasks(client, keeper, shop, make_user):
    received = dispatch(keeper, title="盘点核对")
    sent = dispatch(shop, from_department="ecommerce", to_department="finance", title="补开发票")
    login(client, shop)
    page = html(client.get(reverse("portal:home")))
    panel = page.split('id="department-tasks"')[1]
    received_table = panel.split('id="home-tasks-received"')[1].split("</table>")[0]
    sent_table = panel.split('id="home-tasks-sent"')[1].split("</table>")[0]
    assert received.number in received_table
    assert sent.number in sent_table
    assert reverse("worktasks:list") in panel
    # The role's home page shows its department's tasks; the queue counts them.
    page = html(client.get(reverse("portal:role_home", args=["shop_manager"])))
    assert "Tasks of E-commerce" in page
    assert 'data-queue="worktasks.received"' in page
    assert "Department tasks" in page.split('class="sidebar"')[1]
    # Someone without a department gets no panel.
    login(client, make_user())
    assert 'id="department-tasks"' not in html(client.get(reverse("portal:home")))


def test_the_home_panel_shows_five_of_each(client, keeper, shop):
    WorkTaskFactory.create_batch(7)
    login(client, shop)
    panel = html(client.get(reverse("portal:home"))).split('id="department-tasks"')[1]
    received_table = panel.split('id="home-tasks-received"')[1].split("</table>")[0]
    assert received_table.count("data-task=") == 5
    assert "All 7 open tasks received" in panel


def test_managers_work_tasks_in_the_admin(client, keeper, manager):
    task = dispatch(keeper, attachments=[pdf_file()])
    login(client, manager)
    assert client.get(reverse("admin:worktasks_worktask_changelist")).status_code == 200
    page = html(client.get(reverse("admin:worktasks_worktask_change", args=[task.pk])))
    assert task.number in page
    assert 'name="_fsm_transition_to"\n  value="accept"' in page
    # The button runs the service: the manager is recorded as having accepted it.
    request = RequestFactory().post("/")
    request.user = manager
    request.session = {}  # type: ignore[assignment]
    request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
    model_admin: Any = admin.site._registry[WorkTask]
    assert model_admin._apply_fsm_transition(obj=task, transition_name="accept", request=request)
    task.refresh_from_db()
    assert task.state == TaskState.ACCEPTED
    assert task.accepted_by == manager
