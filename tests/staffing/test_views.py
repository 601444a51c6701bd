"""The staffing pages as each kind of user sees them: HR, a manager, a department's head and
other staff."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ecomops.staffing import services
from ecomops.staffing.models import Candidate, CandidateOutcome, StaffingRequest, StaffingState
from tests.staffing.factories import approved, hire, in_days, refreshed, requested, supply

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def url(name: str, *args: Any) -> str:
    return reverse(f"staffing:{name}", args=args)


def login(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def html(response: Any) -> str:
    return response.content.decode()


def field_block(page: str, field: str) -> str:
    """The markup of one form field (label, input, help and errors), up to the next field."""
    start = page.index(f'data-field="{field}"')
    end = page.find("data-field=", start + 1)
    return page[start : end if end != -1 else None]


# --- Who sees what ----------------------------------------------------------------------------


def test_signed_out_users_go_to_the_login(client: Client) -> None:
    response = client.get(url("list"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_hr_and_managers_see_every_department(
    client: Client, head: Any, other_head: Any, hr: Any, manager: Any
) -> None:
    pickers = requested(head)
    designer = requested(other_head, department="ecommerce", role="designer", position="美工")
    for user in (hr, manager):
        page = html(login(client, user).get(url("list")))
        assert pickers.number in page
        assert designer.number in page
        assert client.get(url("detail", designer.pk)).status_code == 200


def test_a_head_sees_the_requests_of_the_department_they_head(
    client: Client, head: Any, other_head: Any
) -> None:
    pickers = requested(head)
    designer = requested(other_head, department="ecommerce", role="designer", position="美工")
    login(client, head)
    page = html(client.get(url("list")))
    assert pickers.number in page
    assert designer.number not in page
    assert client.get(url("detail", pickers.pk)).status_code == 200
    assert client.get(url("detail", designer.pk)).status_code == 404
    assert client.get(url("detail", 999999)).status_code == 404


@pytest.mark.parametrize("role", ["picker", "sales_rep", "finance_clerk"])
def test_other_staff_get_a_clear_403(client: Client, head: Any, make_user: Any, role: str) -> None:
    request = requested(head)
    login(client, make_user(role))
    for page in (url("list"), url("new"), url("detail", request.pk)):
        response = client.get(page)
        assert response.status_code == 403, page
    response = client.post(url("cancel", request.pk), {"cancel-reason": "x"})
    assert response.status_code == 403
    assert refreshed(request).state == StaffingState.REQUESTED


def test_the_menu_entry_is_for_those_the_list_opens_to_and_the_queues_for_hr_and_managers(
    client: Client, head: Any, hr: Any, manager: Any, picker: Any
) -> None:
    requested(head, wanted_by=in_days(1))
    approved(head, hr, position="叉车司机", role="")
    login(client, picker)
    assert url("list") not in html(client.get(reverse("portal:home")))
    for user in (head, hr, manager):
        assert url("list") in html(login(client, user).get(reverse("portal:home")))
    with time_machine.travel(timezone.now() + timedelta(days=2), tick=False):
        page = html(login(client, hr).get(reverse("portal:home")))
        card = re.search(r'data-queue="staffing.handle">(.*?)</a>', page, re.S)
        assert card is not None
        assert ">2<" in card.group(1)  # requested + approved
        assert "1 late" in card.group(1)
        page = html(login(client, manager).get(reverse("portal:home")))
        card = re.search(r'data-queue="staffing.approve">(.*?)</a>', page, re.S)
        assert card is not None
        assert ">1<" in card.group(1)
        assert "1 late" in card.group(1)


# --- The list -------------------------------------------------------------------------------


def test_the_list_filters_and_marks_late_requests_red(
    client: Client, head: Any, other_head: Any, hr: Any
) -> None:
    soon = requested(head, wanted_by=in_days(1))
    later = approved(head, hr, position="叉车司机", role="", wanted_by=in_days(30))
    designer = requested(other_head, department="ecommerce", role="designer", position="美工")
    login(client, hr)
    page = html(client.get(url("list"), {"state": "approved"}))
    assert later.number in page
    assert soon.number not in page
    assert designer.number not in page
    page = html(client.get(url("list"), {"department": "ecommerce"}))
    assert designer.number in page
    assert soon.number not in page
    with time_machine.travel(timezone.now() + timedelta(days=2), tick=False):
        page = html(client.get(url("list")))
    assert re.search(rf'<tr class="is-late" data-number="{soon.number}"', page)
    assert not re.search(rf'<tr class="is-late" data-number="{later.number}"', page)


def test_the_list_reads_in_a_constant_number_of_queries(client: Client, head: Any, hr: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for_list(rows: int) -> int:
        client.get(url("list"))  # warm the session
        with CaptureQueriesContext(connection) as captured:
            page = html(client.get(url("list")))
        assert page.count("1 / 2") == rows
        return len(captured.captured_queries)

    def add(n: int) -> None:
        request = approved(head, hr, position=f"岗位{n}", role="")
        hire(supply(request, hr, phone=f"1380013800{n}"), hr)

    add(0)
    login(client, hr)
    one = queries_for_list(1)
    for n in range(1, 6):
        add(n)
    assert queries_for_list(6) == one


# --- Asking for staff ---------------------------------------------------------------------------


def test_a_head_asks_for_their_department_only(client: Client, head: Any, hr: Any) -> None:
    login(client, head)
    page = html(client.get(url("new")))
    assert 'value="warehouse"' in page
    assert 'value="ecommerce"' not in page
    response = client.post(
        url("new"),
        {
            "department": "warehouse",
            "position": "拣货员",
            "role": "picker",
            "headcount": "3",
            "wanted_by": in_days(10).isoformat(),
            "reason": "大促",
        },
    )
    request = StaffingRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("detail", request.pk)
    assert (request.department, request.headcount, request.requested_by) == ("warehouse", 3, head)
    response = client.post(
        url("new"),
        {
            "department": "ecommerce",
            "position": "美工",
            "headcount": "1",
            "wanted_by": in_days(10).isoformat(),
            "reason": "x",
        },
    )
    assert response.status_code == 200
    assert StaffingRequest.objects.count() == 1


def test_a_manager_asks_for_any_department(client: Client, manager: Any) -> None:
    page = html(login(client, manager).get(url("new")))
    assert 'value="warehouse"' in page
    assert 'value="finance"' in page


def test_a_refused_request_keeps_what_was_typed(client: Client, head: Any) -> None:
    login(client, head)
    response = client.post(
        url("new"),
        {
            "department": "warehouse",
            "position": "夜班拣货员",
            "role": "picker",
            "headcount": "4",
            "wanted_by": (timezone.localdate() - timedelta(days=2)).isoformat(),
            "reason": "双十二备货",
        },
    )
    assert response.status_code == 200
    page = html(response)
    assert 'value="夜班拣货员"' in page
    assert 'value="4"' in page
    assert "双十二备货" in page
    assert "This date is in the past." in field_block(page, "wanted_by")
    assert '<option value="picker" selected>' in page
    assert not StaffingRequest.objects.exists()


def test_a_role_of_another_department_is_refused_next_to_the_field(
    client: Client, manager: Any
) -> None:
    login(client, manager)
    response = client.post(
        url("new"),
        {
            "department": "warehouse",
            "position": "美工",
            "role": "designer",
            "headcount": "1",
            "wanted_by": in_days(5).isoformat(),
            "reason": "x",
        },
    )
    assert response.status_code == 200
    page = html(response)
    assert "Designer is not a role of Warehouse &amp; logistics." in field_block(page, "role")
    assert '<option value="designer" selected>' in page
    assert not StaffingRequest.objects.exists()


# --- A request's page ---------------------------------------------------------------------------


def test_each_side_gets_its_own_steps(client: Client, head: Any, hr: Any, manager: Any) -> None:
    request = requested(head)
    page = html(login(client, hr).get(url("detail", request.pk)))
    assert 'id="approve-form"' in page
    assert 'id="cancel-form"' in page
    assert 'id="candidate-form"' not in page
    page = html(login(client, head).get(url("detail", request.pk)))
    assert 'id="approve-form"' not in page
    assert 'id="cancel-form"' in page
    assert client.post(url("approve", request.pk), {"approve-note": ""}).status_code == 403
    assert refreshed(request).state == StaffingState.REQUESTED

    login(client, manager)
    response = client.post(url("approve", request.pk), {"approve-note": "同意招两人"})
    assert response.status_code == 302
    assert refreshed(request).state == StaffingState.APPROVED
    page = html(client.get(url("detail", request.pk)))
    assert "同意招两人" in page
    assert 'id="approve-form"' not in page
    assert 'id="candidate-form"' in page
    page = html(login(client, head).get(url("detail", request.pk)))
    assert 'id="candidate-form"' not in page


def test_hr_supplies_candidates_and_the_head_records_the_hires(
    client: Client, head: Any, hr: Any
) -> None:
    request = approved(head, hr, headcount=1)
    login(client, hr)
    response = client.post(
        url("candidate_add", request.pk),
        {
            "candidate-name": "陈晓明",
            "candidate-phone": "138 0013 8001",
            "candidate-source": "referral",
            "candidate-supplied_at": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 302
    candidate = Candidate.objects.get()
    assert candidate.phone == "13800138001"
    assert refreshed(request).state == StaffingState.IN_PROGRESS

    login(client, head)
    page = html(client.get(url("detail", request.pk), {"candidate": candidate.pk}))
    assert "陈晓明" in page
    assert 'id="outcome-form"' in page
    assert f'<option value="{candidate.pk}" selected>' in page
    response = client.post(
        url("candidate_outcome", request.pk),
        {
            "outcome-candidate": candidate.pk,
            "outcome-outcome": "hired",
            "outcome-start_date": "",
            "outcome-note": "试岗通过",
        },
    )
    assert response.status_code == 200
    page = html(response)
    assert "A hire needs a start date." in field_block(page, "start_date")
    assert "试岗通过" in page
    assert refreshed(candidate).outcome == CandidateOutcome.SUPPLIED
    response = client.post(
        url("candidate_outcome", request.pk),
        {
            "outcome-candidate": candidate.pk,
            "outcome-outcome": "hired",
            "outcome-start_date": in_days(7).isoformat(),
            "outcome-note": "试岗通过",
        },
    )
    assert response.status_code == 302
    assert refreshed(request).state == StaffingState.FILLED
    page = html(client.get(url("detail", request.pk)))
    assert "1 of 1 hired" in page
    assert 'id="cancel-form"' not in page
    assert 'id="outcome-form"' not in page
    assert "Nothing for you to do on this request now." in page
    assert 'data-testid="timeline"' in page


def test_a_refused_candidate_keeps_what_was_typed(client: Client, head: Any, hr: Any) -> None:
    request = approved(head, hr)
    login(client, hr)
    response = client.post(
        url("candidate_add", request.pk),
        {
            "candidate-name": "林志强",
            "candidate-phone": "0571-8888",
            "candidate-source": "agency",
            "candidate-supplied_at": "",
        },
    )
    assert response.status_code == 200
    page = html(response)
    assert 'value="林志强"' in page
    assert 'value="0571-8888"' in page
    assert '<option value="agency" selected>' in page
    assert "mainland mobile number" in field_block(page, "phone")
    assert not Candidate.objects.exists()


def test_the_head_cannot_supply_candidates(client: Client, head: Any, hr: Any) -> None:
    request = approved(head, hr)
    login(client, head)
    response = client.post(
        url("candidate_add", request.pk),
        {"candidate-name": "陈晓明", "candidate-phone": "13800138001", "candidate-source": "other"},
    )
    assert response.status_code == 403
    assert not Candidate.objects.exists()


def test_cancelling_needs_a_reason_and_shows_it(client: Client, head: Any, hr: Any) -> None:
    request = requested(head)
    login(client, head)
    response = client.post(url("cancel", request.pk), {"cancel-reason": ""})
    assert response.status_code == 200
    assert refreshed(request).state == StaffingState.REQUESTED
    response = client.post(url("cancel", request.pk), {"cancel-reason": "订单预测下调"})
    assert response.status_code == 302
    page = html(client.get(url("detail", request.pk)))
    assert "订单预测下调" in page
    assert refreshed(request).state == StaffingState.CANCELLED


def test_a_step_the_request_moved_past_is_a_message_not_a_500(
    client: Client, head: Any, hr: Any, hr2: Any
) -> None:
    request = requested(head)
    services.staffing_cancel(request_id=request.pk, reason="不需要了", by=head)
    login(client, hr)
    response = client.post(url("approve", request.pk), {"approve-note": ""}, follow=True)
    assert response.status_code == 200
    assert "cannot approve while it is Cancelled" in html(response)


def test_the_pages_render_in_chinese_by_default(head: Any, hr: Any) -> None:
    request = approved(head, hr)
    supply(request, hr)
    client = Client()
    client.force_login(hr)
    for page in (url("list"), url("detail", request.pk)):
        response = client.get(page)
        assert response.status_code == 200
        assert '<html lang="zh-hans">' in html(response)
    client.force_login(head)
    assert client.get(url("new")).status_code == 200
