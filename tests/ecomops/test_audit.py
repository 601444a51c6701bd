"""Notes and the timeline partial: transitions, SLA clocks and notes of one object."""

from __future__ import annotations

from typing import Any

import pytest
from django.template import Context, Template

from ecomops.audit.selectors import timeline_for
from ecomops.audit.services import note_add
from ecomops.errors import ApplicationError
from ecomops.fsm import transition
from ecomops.sla.services import sla_clock_start
from tests.testapp.models import Ticket

pytestmark = pytest.mark.django_db


def test_timeline_merges_transitions_clocks_and_notes(make_user: Any) -> None:
    rep = make_user("sales_rep")
    ticket = Ticket.objects.create(title="T-100")
    sla_clock_start(code="customer_identification", obj=ticket)
    note_add(obj=ticket, text="客户来电确认地址", by=rep)
    transition(ticket, "approve", by=None, reason="系统自动")

    entries = timeline_for(ticket)

    assert [e.kind for e in entries].count("transition") == 1
    assert [e.kind for e in entries].count("note") == 1
    assert [e.kind for e in entries].count("clock") == 1
    transition_entry = next(e for e in entries if e.kind == "transition")
    assert transition_entry.title == "待处理 → 已批准"
    assert transition_entry.detail == "系统自动"
    assert next(e for e in entries if e.kind == "note").who == rep
    assert [e.at for e in entries] == sorted(e.at for e in entries)


def test_timeline_partial_renders_with_note_form(make_user: Any, rf: Any) -> None:
    ticket = Ticket.objects.create(title="T-101")
    note_add(obj=ticket, text="第一条备注", by=make_user("packer"))
    request = rf.get("/")
    html = Template("{% load audit_tags %}{% timeline ticket '/notes/' %}").render(
        Context({"ticket": ticket, "request": request, "csrf_token": "x"})
    )
    assert 'data-testid="timeline"' in html
    assert "第一条备注" in html
    assert 'action="/notes/"' in html


def test_empty_note_is_refused() -> None:
    ticket = Ticket.objects.create(title="T-102")
    with pytest.raises(ApplicationError) as exc:
        note_add(obj=ticket, text="   ", by=None)
    assert "text" in exc.value.extra["fields"]
