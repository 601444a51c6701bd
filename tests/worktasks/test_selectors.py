"""What each department sees: tasks received and sent, who may see and act, overdue counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from ecomops.worktasks import selectors
from ecomops.worktasks.models import TaskState
from tests.worktasks.factories import WorkTaskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return {
        "to_ecommerce": WorkTaskFactory(),
        "to_designers": WorkTaskFactory(to_role="designer"),
        "from_ecommerce": WorkTaskFactory(from_department="ecommerce", to_department="finance"),
        "finance_to_service": WorkTaskFactory(from_department="finance", to_department="service"),
        "done": WorkTaskFactory(state=TaskState.COMPLETED),
        "late": WorkTaskFactory(due_at=timezone.now() - timedelta(hours=1)),
    }


def numbers(queryset):
    return {t.number for t in queryset}


def test_received_and_sent_per_department(world, shop, keeper, clerk, service):
    w = world
    assert numbers(selectors.tasks_received(shop)) == numbers(
        [w["to_ecommerce"], w["to_designers"], w["late"]]
    )
    assert numbers(selectors.tasks_received(shop, open_only=False)) == numbers(
        [w["to_ecommerce"], w["to_designers"], w["late"], w["done"]]
    )
    assert numbers(selectors.tasks_received(shop, state="completed")) == {w["done"].number}
    assert numbers(selectors.tasks_sent(shop)) == {w["from_ecommerce"].number}
    assert numbers(selectors.tasks_sent(keeper)) == numbers(
        [w["to_ecommerce"], w["to_designers"], w["late"]]
    )
    assert numbers(selectors.tasks_received(keeper)) == set()
    assert numbers(selectors.tasks_received(clerk)) == {w["from_ecommerce"].number}
    assert numbers(selectors.tasks_sent(clerk)) == {w["finance_to_service"].number}
    assert numbers(selectors.tasks_received(service)) == {w["finance_to_service"].number}
    # Due first: the late one leads.
    assert next(iter(selectors.tasks_received(shop))).number == w["late"].number


def test_one_department_of_a_user_with_several(world, make_user):
    both = make_user("shop_manager", "finance_clerk")
    assert len(selectors.tasks_received(both)) == 4
    assert len(selectors.tasks_received(both, department="finance")) == 1
    # A department the user is not in shows nothing.
    assert len(selectors.tasks_received(both, department="warehouse")) == 0


def test_managers_see_every_department(world, manager):
    assert len(selectors.tasks_received(manager, open_only=False)) == 6
    assert len(selectors.tasks_sent(manager, open_only=False)) == 6


def test_people_without_roles_see_nothing(world, make_user):
    assert not selectors.tasks_received(make_user()).exists()
    assert not selectors.tasks_sent(AnonymousUser()).exists()


def test_overdue_and_open_counts(world, shop, keeper):
    assert selectors.received_open_count(shop) == 3
    assert selectors.overdue_count(shop) == 1
    assert selectors.overdue_count(keeper) == 0


def test_who_may_see_act_and_cancel(world, shop, designer, keeper, picker, clerk, manager):
    task = world["to_designers"]
    table = {
        # user: (see, act, cancel)
        shop: (True, False, False),
        designer: (True, True, False),
        keeper: (True, False, True),
        picker: (True, False, True),
        clerk: (False, False, False),
        manager: (True, True, True),
    }
    for user, expected in table.items():
        got = (
            selectors.user_can_see(user, task),
            selectors.user_can_act(user, task),
            selectors.user_can_cancel(user, task),
        )
        assert got == expected, user.username
    assert not selectors.user_can_see(AnonymousUser(), task)
