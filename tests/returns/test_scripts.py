"""Reply scripts (话术): writing and changing them with their history, searching them,
the day's changes, and the knowledge-base pages."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ecomops.accounts.names import person_name
from ecomops.errors import ApplicationError, PermissionDeniedError
from returns.models import ReplyScript, ScriptAudience, ScriptCategory
from returns.selectors import scripts as selectors
from returns.services import scripts as services
from tests.returns.kb_factories import ReplyScriptFactory
from tests.timeutil import at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

INVOICE_Q = "可以开发票吗？"
INVOICE_A = "亲，可以开具电子普通发票，确认收货后在订单页申请即可。"


def create(by: Any, **kwargs: Any) -> ReplyScript:
    values: dict[str, Any] = {
        "category": ScriptCategory.INVOICE,
        "audience": ScriptAudience.BOTH,
        "question": INVOICE_Q,
        "answer": INVOICE_A,
    }
    values.update(kwargs)
    return services.script_create(by=by, **values)


def update(script: ReplyScript, by: Any, **kwargs: Any) -> ReplyScript:
    values: dict[str, Any] = {
        "category": script.category,
        "audience": script.audience,
        "question": script.question,
        "answer": script.answer,
        "active": script.active,
    }
    values.update(kwargs)
    return services.script_update(script_id=script.pk, by=by, **values)


# --- Writing and history -------------------------------------------------------------------


def test_a_new_script_has_one_version_by_its_author(service):
    with time_machine.travel(at(2026, 11, 20, 9, 30), tick=False):
        script = create(service)
    assert (script.updated_by, script.updated_at) == (service, at(2026, 11, 20, 9, 30))
    (version,) = selectors.script_history(script)
    assert version.history_user == service
    assert version.history_date == at(2026, 11, 20, 9, 30)
    assert version.change_kind == "created"


def test_an_edit_keeps_both_versions_with_who_when_and_why(service, colleague):
    with time_machine.travel(at(2026, 11, 20, 9, 30), tick=False):
        script = create(service)
    with time_machine.travel(at(2026, 11, 23, 14), tick=False):
        update(
            script,
            colleague,
            answer="亲，可以开具电子专用发票或普通发票，在订单页申请即可。",
            change_note="可开专票",
        )
    script.refresh_from_db()
    assert (script.updated_by, script.updated_at) == (colleague, at(2026, 11, 23, 14))
    newest, oldest = selectors.script_history(script)
    assert (newest.history_user, newest.history_date) == (colleague, at(2026, 11, 23, 14))
    assert newest.history_change_reason == "可开专票"
    assert newest.change_kind == "changed"
    assert newest.changed_fields == ["answer"]
    assert "专用发票" in newest.answer
    assert (oldest.history_user, oldest.answer) == (service, INVOICE_A)


def test_saving_a_script_unchanged_records_nothing(service, colleague):
    script = create(service)
    update(script, colleague, question=f"  {INVOICE_Q} ", change_note="没改")
    assert script.history.count() == 1
    script.refresh_from_db()
    assert script.updated_by == service


def test_taking_a_script_out_of_use_is_a_kind_of_change(service):
    script = create(service)
    update(script, service, active=False)
    update(ReplyScript.objects.get(pk=script.pk), service, active=True)
    assert [v.change_kind for v in selectors.script_history(script)] == [
        "reactivated",
        "deactivated",
        "created",
    ]


def test_question_and_answer_are_required(service):
    with pytest.raises(ApplicationError) as exc:
        create(service, question=" ", answer="")
    assert set(exc.value.extra["fields"]) == {"question", "answer"}
    script = create(service)
    with pytest.raises(ApplicationError) as exc:
        update(script, service, answer="  ")
    assert set(exc.value.extra["fields"]) == {"answer"}
    assert script.history.count() == 1


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("aftersales_service", True),
        ("presales_service", True),
        ("shop_manager", False),
        ("picker", False),
    ],
)
def test_who_may_write_scripts(make_user, service, role, allowed):
    user = make_user(role)
    script = create(service)
    if allowed:
        create(user, question="支持七天无理由退货吗？")
        update(script, user, answer="亲，可以开票哦。")
        return
    with pytest.raises(PermissionDeniedError):
        create(user, question="支持七天无理由退货吗？")
    with pytest.raises(PermissionDeniedError):
        update(script, user, answer="亲，可以开票哦。")


# --- Search ------------------------------------------------------------------------------


def test_every_term_must_appear_in_the_question_or_the_answer(service):
    invoice = create(service)
    shipping = create(
        service,
        category=ScriptCategory.SHIPPING,
        question="什么时候发货？",
        answer="亲，付款后48小时内发货，可以指定快递。",
    )
    assert set(selectors.script_search(q="发票")) == {invoice}
    assert set(selectors.script_search(q="可以")) == {invoice, shipping}
    assert list(selectors.script_search(q="电子 订单页")) == [invoice]  # both in the answer
    assert list(selectors.script_search(q="发货  快递")) == [shipping]
    assert list(selectors.script_search(q="发票 快递")) == []
    assert list(selectors.script_search(q="可以", category=ScriptCategory.SHIPPING)) == [shipping]


def test_search_by_audience_and_scripts_out_of_use(service):
    both = create(service)
    presales = create(service, question="有优惠券吗？", audience=ScriptAudience.PRESALES)
    aftersales = create(service, question="怎么申请保修？", audience=ScriptAudience.AFTERSALES)
    old = create(service, question="双十一价保吗？")
    update(old, service, active=False)
    assert set(selectors.script_search(audience="presales")) == {both, presales}
    assert set(selectors.script_search(audience="aftersales")) == {both, aftersales}
    assert old not in selectors.script_search()
    assert old in selectors.script_search(active_only=False)


# --- The day's changes ---------------------------------------------------------------------


def test_changes_on_a_day_are_that_days_versions_newest_first(service, colleague):
    with time_machine.travel(at(2026, 11, 22, 23, 59), tick=False):
        edited = create(service)
    with time_machine.travel(at(2026, 11, 23, 0, 0), tick=False):
        new = create(colleague, question="收到货破损怎么办？", answer="亲，请拍照联系客服。")
    with time_machine.travel(at(2026, 11, 23, 16, 45), tick=False):
        update(edited, colleague, question="能开发票吗？", change_note="问法更口语")
    with time_machine.travel(at(2026, 11, 24, 0, 0), tick=False):
        update(new, service, active=False)

    changes = selectors.changes_on(at(2026, 11, 23).date())
    assert [(c.question, c.change_kind, c.history_user) for c in changes] == [
        ("能开发票吗？", "changed", colleague),
        ("收到货破损怎么办？", "created", colleague),
    ]
    assert changes[0].changed_fields == ["question"]
    assert [c.change_kind for c in selectors.changes_on(at(2026, 11, 22).date())] == ["created"]
    assert [c.change_kind for c in selectors.changes_on(at(2026, 11, 24).date())] == ["deactivated"]


# --- Pages --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "name", "status"),
    [
        ("presales_service", "returns:script_list", 200),
        ("presales_service", "returns:script_new", 200),
        ("presales_service", "returns:script_changes", 200),
        ("shop_manager", "returns:script_list", 200),
        ("shop_manager", "returns:script_new", 403),
        ("picker", "returns:script_list", 403),
        ("picker", "returns:script_changes", 403),
        ("picker", "returns:script_new", 403),
    ],
)
def test_script_pages_per_role(client, make_user, role, name, status):
    client.force_login(make_user(role))
    assert client.get(reverse(name)).status_code == status


def test_a_picker_cannot_read_or_edit_a_script(client, service, make_user):
    script = create(service)
    client.force_login(make_user("picker"))
    assert client.get(script.get_absolute_url()).status_code == 403
    assert client.get(reverse("returns:script_edit", args=[script.pk])).status_code == 403
    client.force_login(make_user("shop_manager"))
    assert client.get(script.get_absolute_url()).status_code == 200
    response = client.post(
        reverse("returns:script_edit", args=[script.pk]),
        {"category": "invoice", "audience": "both", "question": "x", "answer": "y"},
    )
    assert response.status_code == 403


def test_writing_and_editing_on_the_pages_shows_the_history(client, service, colleague):
    client.force_login(service)
    response = client.post(
        reverse("returns:script_new"),
        {"category": "invoice", "audience": "both", "question": INVOICE_Q, "answer": ""},
    )
    assert response.status_code == 200
    assert INVOICE_Q in response.content.decode()  # kept
    response = client.post(
        reverse("returns:script_new"),
        {"category": "invoice", "audience": "both", "question": INVOICE_Q, "answer": INVOICE_A},
    )
    script = ReplyScript.objects.get()
    assert response.status_code == 302
    client.force_login(colleague)
    response = client.post(
        reverse("returns:script_edit", args=[script.pk]),
        {
            "category": "invoice",
            "audience": "both",
            "question": INVOICE_Q,
            "answer": "亲，电子发票会在确认收货后24小时内发到您的邮箱。",
            "active": "on",
            "change_note": "写明发票时效",
        },
    )
    assert response.status_code == 302
    page = client.get(script.get_absolute_url()).content.decode()
    history = page[page.index('id="history"') :]
    assert history.count("<tr>") == 3  # the header and two versions
    assert "写明发票时效" in history
    assert history.index("24小时内") < history.index(INVOICE_A)  # newest first
    assert person_name(colleague) in history  # 姓名, family name first


def test_the_list_searches_with_two_terms(client, service):
    create(service)
    create(service, question="发票可以改抬头吗？", answer="亲，开票前可以修改抬头。")
    client.force_login(service)
    page = client.get(reverse("returns:script_list"), {"q": "发票 电子"}).content.decode()
    assert INVOICE_Q in page
    assert "改抬头" not in page
    assert "1 script found." in page


def test_the_changes_page_lists_the_days_changes(client, service):
    with time_machine.travel(at(2026, 11, 20, 10), tick=False):
        create(service, question="保修期多久？", answer="亲，整机保修一年。")
    with time_machine.travel(at(2026, 11, 23, 10), tick=False):
        create(service)
    client.force_login(service)
    page = client.get(reverse("returns:script_changes"), {"day": "2026-11-20"}).content.decode()
    assert "保修期多久？" in page
    assert INVOICE_Q not in page
    assert "created" in page


def _queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_script_list_query_count_does_not_grow_with_rows(client, service, colleague):
    client.force_login(service)
    url = reverse("returns:script_list")
    ReplyScriptFactory.create_batch(3, updated_by=colleague)
    with_three = _queries(client, url)
    ReplyScriptFactory.create_batch(7, updated_by=service)
    assert _queries(client, url) == with_three


def test_script_detail_and_changes_query_counts_do_not_grow_with_versions(client, service):
    client.force_login(service)
    script = create(service)
    update(script, service, answer="第二版")
    update(ReplyScript.objects.get(pk=script.pk), service, answer="第三版")
    detail = _queries(client, script.get_absolute_url())
    changes = _queries(client, reverse("returns:script_changes"))
    for n in range(7):
        update(ReplyScript.objects.get(pk=script.pk), service, answer=f"第{n + 4}版")
    assert _queries(client, script.get_absolute_url()) == detail
    assert _queries(client, reverse("returns:script_changes")) == changes


# --- Demo data -----------------------------------------------------------------------------


def test_the_demo_knowledge_base_cases_and_callbacks_are_seeded_once(make_user):
    from django.utils import timezone

    from orders.models import OrderState
    from returns.demo_kb import SCRIPTS, seed_cases_and_scripts
    from returns.models import AfterSalesCase, Callback
    from returns.selectors import cases as case_selectors
    from tests.returns.kb_factories import customer, order_for

    for n in range(9):
        buyer = customer(name=f"客户{n}")
        order_for(buyer)
        order_for(buyer, state=OrderState.COMPLETED)
    users = {
        "aftersales_service": make_user("aftersales_service", username="aftersales_service"),
        "presales_service": make_user("presales_service", username="presales_service"),
        "manager": make_user("manager", username="manager"),
    }
    first = seed_cases_and_scripts(users_by_role=users)
    assert first == {"scripts": len(SCRIPTS), "cases": 8, "callbacks": 8}
    assert seed_cases_and_scripts(users_by_role=users) == {"scripts": 0, "cases": 0, "callbacks": 0}

    assert {s.category for s in ReplyScript.objects.all()} == set(ScriptCategory.values)
    assert ReplyScript.objects.filter(active=False).count() == 1
    edited = [s for s in ReplyScript.objects.all() if s.history.count() == 2]
    assert len(edited) == 5
    today = timezone.localdate()
    assert len(selectors.changes_on(today)) == 2
    assert {c.state for c in AfterSalesCase.objects.all()} == {"open", "resolved", "closed"}
    due = list(case_selectors.callbacks_due_on(today))
    assert len(due) == 4  # three today, one overdue from yesterday
    assert Callback.objects.filter(done_at__isnull=False).count() == 2
    assert case_selectors.callbacks_upcoming(today).count() == 2
