"""Factories shared by every app's tests: users and their roles."""

from __future__ import annotations

import functools
import importlib
from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

DEFAULT_PASSWORD = "pass-1234-word"


class UserFactory(factory.django.DjangoModelFactory):
    """A staff member; ``UserFactory(roles=["sales_rep"])`` gives the roles' groups."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="zh_CN")
    last_name = factory.Faker("last_name", locale="zh_CN")
    email = factory.LazyAttribute(lambda u: f"{u.username}@ecomops.local")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def roles(obj: Any, create: bool, extracted: list[str] | None, **kwargs: Any) -> None:
        if create and extracted:
            obj.groups.add(*Group.objects.filter(name__in=extracted))
            if "manager" in extracted:
                obj.is_staff = True
        if create:
            obj.save()


# Data migrations whose rows tests rely on, each idempotent (get_or_create): run again after
# a transactional test's flush emptied the tables they filled.
SEEDING_MIGRATIONS = [
    ("ecomops.sla.migrations.0002_default_policies", "create_policies"),
    ("ecomops.sla.migrations.0007_order_exception_policy", "create_policy"),
    ("ecomops.sla.migrations.0009_warning_defaults_and_report", "set_defaults"),
    ("returns.migrations.0002_channel_and_schedules", "create_channel"),
    ("orders.migrations.0004_opening_processes", "seed_processes"),
    ("ecomops.workcalendar.migrations.0007_seed_cut_schedule", "seed"),
    ("warehouse.migrations.0009_confirmation_defaults", "create_defaults"),
]


def reseed_after_flush() -> None:
    """The rows the data migrations created (SLA policies, the after-sales channel, the shop
    opening processes, the cut schedule, the beat schedules), for transactional tests that
    run after a flush emptied them."""
    from django.apps import apps

    for module, function in SEEDING_MIGRATIONS:
        getattr(importlib.import_module(module), function)(apps, None)
    # Created under their first names and renamed later: replayed only into an empty table.
    if not apps.get_model("django_celery_beat", "PeriodicTask").objects.exists():
        for operation in _schedule_operations():
            operation.code(apps, None)


@functools.cache
def _schedule_operations() -> list[Any]:
    """Every migration operation ``ecomops.beat`` built (the default schedules and their
    renames), in the order migrate ran them; each is safe to run twice."""
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.operations import RunPython

    loader = MigrationLoader(connection, ignore_no_migrations=True)
    plan = [key for leaf in loader.graph.leaf_nodes() for key in loader.graph.forwards_plan(leaf)]
    seen: set[tuple[str, str]] = set()
    operations = []
    for key in plan:
        if key in seen:
            continue
        seen.add(key)
        for operation in loader.graph.nodes[key].operations:
            if isinstance(operation, RunPython) and operation.code.__module__ == "ecomops.beat":
                operations.append(operation)
    return operations
