"""Partners of every kind: master data, contacts, the contact log and its reminders,
suspension, reinstatement and termination with their order channel."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from distribution import tasks
from distribution.models import ContactLogEntry, Partner, PartnerState
from distribution.services import distributors, partners
from ecomops.errors import ConflictError
from ecomops.notifications.models import Notification
from orders.models import Order
from tests.distribution.factories import applicant, authorized_agent, make_partner
from tests.orders.factories import CREDIT_CODE, order_data, push

pytestmark = pytest.mark.django_db


# --- Master data --------------------------------------------------------------------------------


def test_a_partner_is_created_as_a_numbered_prospect(specialist):
    partner = make_partner(specialist, credit_code=CREDIT_CODE.lower())
    assert partner.state == PartnerState.PROSPECT
    assert partner.number.startswith("DP")
    assert partner.owner == specialist
    assert partner.created_by == specialist
    assert partner.credit_code == CREDIT_CODE
    assert partner.channel is None


def test_a_bad_credit_code_is_refused_naming_the_field(specialist):
    with pytest.raises(partners.PartnerError) as refused:
        make_partner(specialist, credit_code="91330106MA2AXXXX1A")
    assert set(refused.value.extra["fields"]) == {"credit_code"}
    assert not Partner.objects.exists()


def test_missing_shop_name_and_platform_and_unknown_kind_are_refused(specialist):
    with pytest.raises(partners.PartnerError) as refused:
        make_partner(specialist, shop_name=" ", platform="")
    assert set(refused.value.extra["fields"]) == {"shop_name", "platform"}
    with pytest.raises(partners.PartnerError) as refused:
        make_partner(specialist, kind="wholesaler")
    assert "kind" in refused.value.extra["fields"]


def test_updating_a_partner_renames_its_channel(specialist, network_sales):
    partner = applicant(specialist)
    partners_accept(partner, specialist)
    partners.partner_update(
        partner_id=partner.pk,
        data={"shop_name": "新店名", "platform": "tmall_distribution"},
        owner=network_sales,
        by=specialist,
    )
    partner.refresh_from_db()
    assert partner.owner == network_sales
    assert partner.channel is not None
    assert partner.channel.name == "新店名"


def test_the_first_contact_added_is_the_main_one(specialist):
    partner = make_partner(specialist)
    first = partners.partner_contact_add(
        partner_id=partner.pk, data={"name": "王芳", "phone": "13800138000"}, by=specialist
    )
    assert first.primary
    second = partners.partner_contact_add(
        partner_id=partner.pk, data={"name": "李雷", "primary": True}, by=specialist
    )
    first.refresh_from_db()
    assert second.primary
    assert not first.primary
    with pytest.raises(partners.PartnerError):
        partners.partner_contact_add(partner_id=partner.pk, data={"name": ""}, by=specialist)


# --- The contact log and its reminders --------------------------------------------------------


def log(partner: Partner, by: Any, **fields: Any) -> ContactLogEntry:
    values: dict[str, Any] = {
        "at": timezone.now() - timedelta(minutes=10),
        "method": "wechat",
        "summary": "介绍了代理政策",
    }
    values.update(fields)
    return partners.contact_log_add(partner_id=partner.pk, by=by, **values)


def test_a_due_next_step_without_text_is_refused(specialist):
    partner = make_partner(specialist)
    with pytest.raises(partners.PartnerError) as refused:
        log(partner, specialist, next_step=" ", next_step_due=timezone.now() + timedelta(days=1))
    assert set(refused.value.extra["fields"]) == {"next_step"}
    with pytest.raises(partners.PartnerError) as refused:
        log(partner, specialist, summary="", at=timezone.now() + timedelta(hours=1))
    assert set(refused.value.extra["fields"]) == {"summary", "at"}
    assert not ContactLogEntry.objects.exists()


def test_a_next_step_reminds_its_owner_once_when_due(specialist, network_sales):
    partner = make_partner(network_sales)
    due = timezone.now() + timedelta(hours=2)
    entry = log(partner, specialist, next_step="发送报价", next_step_due=due)
    key = f"distribution.step.{entry.pk}"

    assert partners.contact_steps_remind_due(now=due - timedelta(minutes=1)) == 0
    assert not Notification.objects.filter(key=key).exists()

    assert partners.contact_steps_remind_due(now=due) == 1
    assert partners.contact_steps_remind_due(now=due + timedelta(hours=1)) == 0
    reminder = Notification.objects.get(key=key)
    assert reminder.recipient == network_sales  # the partner's owner, not who logged it
    entry.refresh_from_db()
    assert entry.reminded_at == due


def test_a_step_done_is_not_reminded(specialist):
    partner = make_partner(specialist)
    due = timezone.now() + timedelta(hours=1)
    done = log(partner, specialist, next_step="寄样品", next_step_due=due)
    partners.contact_step_done(entry_id=done.pk, by=specialist)
    open_step = log(partner, specialist, next_step="回访", next_step_due=due)
    assert partners.contact_steps_remind_due(now=due + timedelta(minutes=1)) == 1
    keys = set(Notification.objects.values_list("key", flat=True))
    assert f"distribution.step.{open_step.pk}" in keys
    assert f"distribution.step.{done.pk}" not in keys


def test_the_reminder_task_run_twice_notifies_once(specialist):
    partner = make_partner(specialist)
    due = timezone.now() + timedelta(hours=3)
    entry = log(partner, specialist, next_step="确认首单", next_step_due=due)
    assert tasks.remind_partner_steps() == 0
    with time_machine.travel(due + timedelta(minutes=1), tick=False):
        assert tasks.remind_partner_steps.delay().get() == 1
        assert tasks.remind_partner_steps() == 0
    assert Notification.objects.filter(key=f"distribution.step.{entry.pk}").count() == 1


# --- Suspension, reinstatement, termination -------------------------------------------------


def partners_accept(partner: Partner, by: Any) -> Partner:
    distributors.distributor_screen(partner_id=partner.pk, decision="accepted", by=by)
    partner.refresh_from_db()
    return partner


def test_suspending_closes_the_channel_and_reinstating_reopens_it(specialist, sku):
    partner = partners_accept(applicant(specialist), specialist)
    assert partner.channel is not None
    channel = partner.channel
    client = Client()

    with pytest.raises(partners.PartnerError):
        partners.partner_suspend(partner_id=partner.pk, why=" ", by=specialist)
    partner = partners.partner_suspend(partner_id=partner.pk, why="价格违规", by=specialist)
    assert partner.state == PartnerState.SUSPENDED
    assert partner.end_reason == "价格违规"
    channel.refresh_from_db()
    assert not channel.active
    refused = push(client, channel, order_data(sku.code, external_id="FX-1"))
    assert refused.status_code == 409, refused.content
    assert not Order.objects.filter(channel=channel).exists()

    partner = partners.partner_reinstate(partner_id=partner.pk, by=specialist)
    assert partner.state == PartnerState.ACTIVE
    assert partner.suspended_at is None
    assert partner.end_reason == ""
    channel.refresh_from_db()
    assert channel.active
    accepted = push(client, channel, order_data(sku.code, external_id="FX-2"))
    assert accepted.status_code == 201, accepted.content
    assert Order.objects.filter(channel=channel, external_id="FX-2").exists()


def test_only_an_active_partner_is_suspended(specialist):
    partner = make_partner(specialist)
    with pytest.raises(ConflictError):
        partners.partner_suspend(partner_id=partner.pk, why="测试", by=specialist)


def test_terminating_revokes_valid_letters_closes_the_channel_and_tells_the_owner(
    specialist, clerk, sku
):
    partner, letter = authorized_agent(specialist, sku, clerk)
    channel = partner.channel
    assert channel is not None
    with pytest.raises(partners.PartnerError):
        partners.partner_terminate(partner_id=partner.pk, why="", by=specialist)
    partner = partners.partner_terminate(partner_id=partner.pk, why="售假", by=specialist)
    assert partner.state == PartnerState.TERMINATED
    assert partner.ended_at is not None
    letter.refresh_from_db()
    assert letter.revoked_at is not None
    channel.refresh_from_db()
    assert not channel.active
    assert Notification.objects.filter(
        key=f"distribution.terminated.{partner.pk}", recipient=specialist
    ).exists()
    assert not partners.is_recruiting(partner)
    with pytest.raises(ConflictError):
        partners.partner_terminate(partner_id=partner.pk, why="再次", by=specialist)


def test_a_prospect_can_be_terminated_without_a_channel(specialist):
    partner = make_partner(specialist)
    assert partners.is_recruiting(partner)
    partner = partners.partner_terminate(partner_id=partner.pk, why="不合作", by=specialist)
    assert partner.state == PartnerState.TERMINATED
    assert partner.channel is None
