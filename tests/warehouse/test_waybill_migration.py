"""The data migration: each carrier's single range becomes its default account's range."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("warehouse", "0009_confirmation_defaults")]
AFTER = [("warehouse", "0010_waybill_accounts_rules_sorting_codes")]


@pytest.mark.django_db(transaction=True)
def test_each_carriers_range_moves_into_a_default_account() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        old = executor.loader.project_state(BEFORE).apps
        carrier = old.get_model("warehouse", "Carrier")
        carrier.objects.create(
            code="ZTO",
            name="中通快递",
            waybill_prefix="7",
            waybill_next=310000000101,
            waybill_last=310000000999,
        )
        carrier.objects.create(code="EMS", name="中国邮政EMS", waybill_prefix="")

        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)

        new = executor.loader.project_state(AFTER).apps
        account = new.get_model("warehouse", "WaybillAccount")
        ranges = new.get_model("warehouse", "WaybillRange")
        assert sorted(
            account.objects.filter(is_default=True, code="default").values_list(
                "carrier__code", flat=True
            )
        ) == ["EMS", "ZTO"]
        assert list(
            ranges.objects.values_list("account__carrier__code", "prefix", "first", "last", "next")
        ) == [("ZTO", "7", 310000000101, 310000000999, 310000000101)]
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
