"""After-sales cases: opening, the open → resolved → closed → reopened machine, who may
work on them, and the case pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_fsm_log.models import StateLog

from ecomops.errors import ApplicationError, ConflictError, PermissionDeniedError
from ecomops.notifications.models import Notification
from returns.models import AfterSalesCase, CaseCategory, CaseState
from returns.selectors import cases as selectors
from returns.services import cases as services
from tests.returns.kb_factories import CaseFactory, customer, order_for, return_request_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def open_case(by: Any, **kwargs: Any) -> AfterSalesCase:
    buyer = kwargs.pop("buyer", None) or customer(name="王磊")
    values: dict[str, Any] = {
        "customer_id": buyer.pk,
        "category": CaseCategory.QUALITY,
        "problem": "电饭煲用了三天不加热",
    }
    values.update(kwargs)
    return services.case_open(by=by, **values)


# --- Opening -----------------------------------------------------------------------------


def test_a_case_gets_a_number_and_its_opener_owns_it(service):
    buyer = customer(name="王磊")
    order = order_for(buyer)
    case = open_case(service, buyer=buyer, order_id=order.pk)
    assert case.number.startswith("AS")
    assert case.state == CaseState.OPEN
    assert case.owner == service
    assert case.opened_by == service
    assert case.order == order
    assert not Notification.objects.exists()  # nobody to tell: the opener owns it


def test_a_case_given_to_a_colleague_tells_them(service, colleague):
    case = open_case(service, owner_id=colleague.pk)
    assert case.owner == colleague
    note = Notification.objects.get(recipient=colleague)
    assert case.number in note.title
    assert note.url == case.get_absolute_url()


def test_the_order_must_be_the_customers(service):
    other_order = order_for(customer(name="李娜"))
    with pytest.raises(ApplicationError) as exc:
        open_case(service, order_id=other_order.pk)
    assert "order" in exc.value.extra["fields"]
    assert not AfterSalesCase.objects.exists()


def test_a_case_about_a_return_request_takes_its_order(service):
    buyer = customer()
    order = order_for(buyer)
    request = return_request_for(order)
    case = open_case(service, buyer=buyer, return_request_id=request.pk)
    assert case.return_request == request
    assert case.order == order
    with pytest.raises(ApplicationError) as exc:
        open_case(service, return_request_id=request.pk)  # another customer
    assert "return_request" in exc.value.extra["fields"]


def test_the_problem_is_required(service):
    with pytest.raises(ApplicationError) as exc:
        open_case(service, problem="   ")
    assert exc.value.extra["fields"]["problem"] == ["This field is required."]


def test_the_owner_must_work_on_cases(service, make_user):
    picker = make_user("picker")
    with pytest.raises(ApplicationError) as exc:
        open_case(service, owner_id=picker.pk)
    assert "owner" in exc.value.extra["fields"]


# --- The state machine ---------------------------------------------------------------------


def test_a_case_is_resolved_closed_and_reopened_with_its_log(service):
    case = open_case(service)
    services.case_resolve(
        case_id=case.pk, cause="温控器损坏", resolution="寄送新机，旧机上门取回", by=service
    )
    case.refresh_from_db()
    assert case.state == CaseState.RESOLVED
    assert case.cause == "温控器损坏"
    assert case.resolution == "寄送新机，旧机上门取回"
    assert case.resolved_at is not None

    services.case_close(case_id=case.pk, by=service)
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED
    assert case.closed_at is not None

    services.case_reopen(case_id=case.pk, reason="新机同样不加热", by=service)
    case.refresh_from_db()
    assert case.state == CaseState.OPEN
    assert case.resolved_at is None
    assert case.closed_at is None
    assert case.resolution == "寄送新机，旧机上门取回"  # kept: what was tried before

    logs = list(StateLog.objects.filter(object_id=case.pk).order_by("pk"))
    assert [(log.source_state, log.state) for log in logs] == [
        ("open", "resolved"),
        ("resolved", "closed"),
        ("closed", "open"),
    ]
    assert all(log.by == service for log in logs)
    assert logs[2].description == "新机同样不加热"


def test_a_resolution_is_required(service):
    case = open_case(service)
    with pytest.raises(ApplicationError) as exc:
        services.case_resolve(case_id=case.pk, cause="", resolution="  ", by=service)
    assert exc.value.extra["fields"]["resolution"] == ["This field is required."]
    assert "how the problem was resolved" in exc.value.message
    case.refresh_from_db()
    assert case.state == CaseState.OPEN


def _in_state(state: str, service: Any) -> AfterSalesCase:
    case = open_case(service)
    if state in (CaseState.RESOLVED, CaseState.CLOSED):
        services.case_resolve(case_id=case.pk, cause="", resolution="已补发", by=service)
    if state == CaseState.CLOSED:
        services.case_close(case_id=case.pk, by=service)
    case.refresh_from_db()
    return case


@pytest.mark.parametrize(
    ("state", "action", "outcome"),
    [
        ("open", "resolve", "resolved"),
        ("open", "close", ConflictError),
        ("open", "reopen", "open"),  # already there: nothing happens
        ("resolved", "resolve", "resolved"),
        ("resolved", "close", "closed"),
        ("resolved", "reopen", "open"),
        ("closed", "resolve", ConflictError),
        ("closed", "close", "closed"),
        ("closed", "reopen", "open"),
    ],
)
def test_transitions_allowed_and_refused(service, state, action, outcome):
    case = _in_state(state, service)
    logs_before = StateLog.objects.filter(object_id=case.pk).count()
    calls = {
        "resolve": lambda: services.case_resolve(
            case_id=case.pk, cause="", resolution="换新", by=service
        ),
        "close": lambda: services.case_close(case_id=case.pk, by=service),
        "reopen": lambda: services.case_reopen(case_id=case.pk, reason="客户再次来电", by=service),
    }
    if isinstance(outcome, type):
        with pytest.raises(outcome) as exc:
            calls[action]()
        assert case.number in str(exc.value)
        case.refresh_from_db()
        assert case.state == state
        return
    calls[action]()
    case.refresh_from_db()
    assert case.state == outcome
    moved = StateLog.objects.filter(object_id=case.pk).count() - logs_before
    assert moved == (0 if outcome == state else 1)


def test_a_closed_case_is_not_edited(service):
    case = _in_state(CaseState.CLOSED, service)
    with pytest.raises(ConflictError):
        services.case_update(
            case_id=case.pk,
            category=CaseCategory.DELIVERY,
            problem="改",
            cause="",
            owner_id=service.pk,
            by=service,
        )


def test_handing_a_case_over_tells_the_new_owner(service, colleague):
    case = open_case(service)
    services.case_update(
        case_id=case.pk,
        category=CaseCategory.INSTALLATION,
        problem=case.problem,
        cause="安装师傅未上门",
        owner_id=colleague.pk,
        by=service,
    )
    case.refresh_from_db()
    assert (case.owner, case.category, case.cause) == (colleague, "installation", "安装师傅未上门")
    assert Notification.objects.filter(recipient=colleague).count() == 1


# --- Who may ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["picker", "presales_service", "finance_clerk"])
def test_only_after_sales_staff_work_on_cases(service, make_user, role):
    outsider = make_user(role)
    with pytest.raises(PermissionDeniedError):
        open_case(outsider)
    case = open_case(service)
    with pytest.raises(PermissionDeniedError):
        services.case_resolve(case_id=case.pk, cause="", resolution="x", by=outsider)
    with pytest.raises(PermissionDeniedError):
        services.case_close(case_id=case.pk, by=outsider)


def test_the_system_may_open_a_case_for_a_named_owner(service):
    case = open_case(None, owner_id=service.pk)
    assert case.owner == service
    assert case.opened_by is None


@pytest.mark.parametrize(
    ("role", "name", "status"),
    [
        ("aftersales_service", "returns:case_list", 200),
        ("aftersales_service", "returns:case_new", 200),
        ("aftersales_service", "returns:repeat_customers", 200),
        ("presales_service", "returns:case_list", 200),
        ("presales_service", "returns:case_new", 403),
        ("manager", "returns:case_new", 200),
        ("picker", "returns:case_list", 403),
        ("picker", "returns:case_new", 403),
        ("picker", "returns:repeat_customers", 403),
    ],
)
def test_case_pages_per_role(client, make_user, role, name, status):
    client.force_login(make_user(role))
    assert client.get(reverse(name)).status_code == status


def test_a_picker_cannot_see_a_case_and_presales_cannot_change_it(client, service, make_user):
    case = open_case(service)
    client.force_login(make_user("picker"))
    assert client.get(case.get_absolute_url()).status_code == 403
    client.force_login(make_user("presales_service"))
    assert client.get(case.get_absolute_url()).status_code == 200
    response = client.post(case.get_absolute_url(), {"action": "resolve", "resolution": "已退款"})
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.state == CaseState.OPEN


# --- Pages --------------------------------------------------------------------------------


def test_service_opens_a_case_from_an_order_number(client, service):
    buyer = customer(name="赵敏")
    order = order_for(buyer)
    client.force_login(service)
    response = client.post(
        reverse("returns:case_new"),
        {"order": order.number, "category": "delivery", "problem": "快递显示签收但未收到"},
    )
    case = AfterSalesCase.objects.get()
    assert response.status_code == 302
    assert response["Location"] == case.get_absolute_url()
    assert (case.customer, case.order, case.owner) == (buyer, order, service)


def test_a_case_form_with_an_unknown_order_keeps_what_was_typed(client, service):
    client.force_login(service)
    response = client.post(
        reverse("returns:case_new"),
        {"order": "SO404", "category": "delivery", "problem": "快递显示签收但未收到"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "No order SO404." in page
    assert "快递显示签收但未收到" in page
    assert not AfterSalesCase.objects.exists()


def test_resolving_on_the_page_without_a_resolution_says_so(client, service):
    case = open_case(service)
    client.force_login(service)
    response = client.post(
        case.get_absolute_url(), {"action": "resolve", "cause": "配件缺失", "resolution": ""}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Say how the problem was resolved." in page
    assert "配件缺失" in page  # what was typed is kept
    response = client.post(
        case.get_absolute_url(),
        {"action": "resolve", "cause": "配件缺失", "resolution": "补寄配件"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.RESOLVED
    page = client.get(case.get_absolute_url()).content.decode()
    assert 'data-testid="timeline"' in page
    assert "Open → Resolved" in page


def test_closing_an_open_case_on_the_page_shows_why_not(client, service):
    case = open_case(service)
    client.force_login(service)
    response = client.post(case.get_absolute_url(), {"action": "close"}, follow=True)
    assert "cannot close while it is Open" in response.content.decode()
    case.refresh_from_db()
    assert case.state == CaseState.OPEN


def test_case_list_searches_and_filters(client, service):
    found = open_case(service, buyer=customer(name="孙丽", phone="13912345678"))
    other = open_case(service, buyer=customer(name="周杰"))
    services.case_resolve(case_id=other.pk, cause="", resolution="已处理", by=service)
    assert list(selectors.case_list(q="12345678")) == [found]
    assert list(selectors.case_list(q=found.number)) == [found]
    assert list(selectors.case_list(state="resolved")) == [other]
    client.force_login(service)
    page = client.get(reverse("returns:case_list"), {"q": "孙丽"}).content.decode()
    assert found.number in page
    assert other.number not in page


def _queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_case_list_query_count_does_not_grow_with_rows(client, service):
    client.force_login(service)
    url = reverse("returns:case_list")

    def cases(count: int) -> None:
        for _n in range(count):
            buyer = customer()
            CaseFactory(customer=buyer, order=order_for(buyer))

    cases(3)
    with_three = _queries(client, url)
    cases(7)
    assert _queries(client, url) == with_three
    assert AfterSalesCase.objects.count() == 10
