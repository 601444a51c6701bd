"""``ecomops.compiled``: a read compiled once answers what its queryset answers."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ecomops import compiled
from ecomops.compiled import PREPARE_AFTER, CompiledRead, compiled_read
from orders.models import Channel, Customer, Order
from tests.orders.factories import listed_sku, make_channel, make_customer, order_data, push

pytestmark = pytest.mark.django_db


def _customers(*, phone: list[str], name: str) -> QuerySet[Customer, Any]:
    query = Q(name=name)
    if phone:
        query |= Q(phone__in=phone)
    return Customer.objects.filter(query).order_by("pk").values_list("pk", "name", "phone")


def test_a_compiled_read_answers_what_its_queryset_answers_for_any_values() -> None:
    read = CompiledRead(_customers)
    a = make_customer(name="张三", phone="13800000001")
    b = make_customer(name="李四", phone="13800000002")
    c = make_customer(name="王五", phone="13800000003")
    cases: list[dict[str, Any]] = [
        {"phone": ["13800000001"], "name": "王五"},
        {"phone": ["13800000002", "13800000003"], "name": "nobody"},
        {"phone": [], "name": "李四"},
        {"phone": ["13800000001", "13800000002", "13800000003"], "name": "张三"},
    ]
    for arguments in cases:
        assert read.rows(**arguments) == list(_customers(**arguments)), arguments
    assert {row[0] for row in read.rows(phone=["13800000001"], name="王五")} == {a.pk, c.pk}
    assert b.pk in {row[0] for row in read.rows(phone=[], name="李四")}


def test_sets_are_padded_so_a_read_compiles_once_per_power_of_two() -> None:
    read = CompiledRead(_customers)
    make_customer(name="张三", phone="13800000001")
    for size in range(1, 17):
        phones = [f"1380000{n:04d}" for n in range(1, size + 1)]
        assert read.rows(phone=phones, name="x") == list(_customers(phone=phones, name="x"))
    assert len(read._kept) == 5


def test_each_call_is_one_query_and_builds_nothing() -> None:
    built: list[str] = []

    def build(*, name: str) -> QuerySet[Channel, Any]:
        built.append(name)
        return Channel.objects.filter(code=name).values_list("pk")

    read = CompiledRead(build)
    channel = make_channel(code="tmall-x")
    for _run in range(PREPARE_AFTER + 1):  # prepared by now on PostgreSQL
        assert read.rows(name="tmall-x") == [(channel.pk,)]
    with CaptureQueriesContext(connection) as queries:
        assert read.rows(name="nope") == []
        assert read.rows(name="tmall-x") == [(channel.pk,)]
    assert len(queries) == 2
    assert len(built) == 1


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's"
)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_postgresql_plans_a_read_once_per_connection_from_its_third_run() -> None:
    # a shape no other test reads: what a connection prepared is kept with the connection
    read = CompiledRead(
        lambda *, name: Channel.objects.filter(code=name).values_list("pk", "secret")
    )
    channel = make_channel(code="tmall-p")
    with CaptureQueriesContext(connection) as queries:
        answers = [read.rows(name=name) for name in ("tmall-p", "nope", "tmall-p", "nope")]
    found = [(channel.pk, channel.secret)]
    assert answers == [found, [], found, []]
    # run twice as plain SQL, then prepared (the PREPARE is not one of the read's queries)
    assert [q["sql"].split()[0] for q in queries] == ["SELECT", "SELECT", "EXECUTE", "EXECUTE"]
    name = queries[-1]["sql"].split()[1].split("(")[0]
    assert "$1" in _prepared_on_this_connection()[name]
    # a new connection has no prepared statements: the read starts over there
    connection.close()
    with CaptureQueriesContext(connection) as queries:
        assert read.rows(name="tmall-p") == found
    assert queries[-1]["sql"].startswith("SELECT")


@postgresql_only
def test_a_read_postgresql_cannot_prepare_runs_as_plain_sql_in_the_same_transaction(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    read = CompiledRead(lambda *, name: Channel.objects.filter(code=name).values_list("pk", "name"))
    channel = make_channel(code="tmall-q")
    monkeypatch.setattr(
        compiled,
        "_numbered",
        lambda sql, name: compiled._Statement(name, "SELECT FROM nowhere WHERE $1", None),
    )
    with transaction.atomic():
        for _run in range(PREPARE_AFTER + 2):
            assert read.rows(name="tmall-q") == [(channel.pk, channel.name)]
        assert Channel.objects.filter(code="tmall-q").exists()  # the transaction goes on


@postgresql_only
def test_hand_written_sql_with_named_parameters_is_prepared_too() -> None:
    channel = make_channel(code="tmall-n")
    sql = (
        f"SELECT {connection.ops.quote_name('id')} FROM {Channel._meta.db_table} "  # noqa: S608
        "WHERE code = %(code)s OR (code = %(other)s AND code <> %(code)s) AND '%%' = '%%'"
    )
    with CaptureQueriesContext(connection) as queries, connection.cursor() as cursor:
        answers = []
        for _run in range(PREPARE_AFTER + 2):
            compiled.execute(cursor, sql, {"code": "tmall-n", "other": "x"})
            answers.append(cursor.fetchall())
    assert answers == [[(channel.pk,)]] * (PREPARE_AFTER + 2)
    assert len(queries) == PREPARE_AFTER + 2
    assert queries[-1]["sql"].startswith("EXECUTE")
    name = queries[-1]["sql"].split()[1].split("(")[0]
    prepared = _prepared_on_this_connection()[name]
    assert "code = $1 OR (code = $2 AND code <> $1) AND '%' = '%'" in prepared


def _prepared_on_this_connection() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, statement FROM pg_prepared_statements")
        return dict(cursor.fetchall())


@compiled_read(channel_id=int, since=datetime)
def _orders_of(*, channel_id: int, accounts: list[str], since: datetime) -> QuerySet[Order, Any]:
    return (
        Order.objects.filter(
            channel_id=channel_id, payload__buyer_account__in=accounts, placed_at__gte=since
        )
        .order_by("pk")
        .values_list("external_id", "payload", "placed_at")
    )


def test_integers_datetimes_and_json_keys_take_their_values(client: Client) -> None:
    channel = make_channel(code="tmall-json", secret="s")
    listed_sku("SKU-1", "99.00")
    placed = timezone.now() - timedelta(hours=2)
    for n, account in enumerate(["tb_alice", "tb_bob"]):
        data = order_data(external_id=f"J-{n}", buyer_account=account)
        data["placed_at"] = data["paid_at"] = placed.isoformat()
        data["customer"]["phone"] = f"1390000000{n}"
        assert push(client, channel, data).status_code == 201
    arguments: dict[str, Any] = {"channel_id": channel.pk, "accounts": ["tb_bob"], "since": placed}
    rows = _orders_of.rows(**arguments)
    assert rows == list(_orders_of._build(**arguments))
    assert [row[0] for row in rows] == ["J-1"]
    assert rows[0][1]["buyer_account"] == "tb_bob"  # the JSON column converted as the ORM does
    assert _orders_of.rows(**{**arguments, "since": placed + timedelta(minutes=1)}) == []
    assert _orders_of.rows(**{**arguments, "channel_id": channel.pk + 1000}) == []


def test_a_lookup_that_changes_the_value_is_refused() -> None:
    read = CompiledRead(lambda *, name: Channel.objects.filter(name__icontains=name).values_list())
    with pytest.raises(ImproperlyConfigured, match="changed"):
        read.rows(name="天猫")


@postgresql_only
@pytest.mark.django_db(transaction=True)  # committed rows: the planner sizes the table by them
def test_the_reads_own_constants_are_written_into_its_sql(client: Client) -> None:
    # Prepared, a read is planned once for all its values: a JSON key or a state left as
    # a parameter there would keep the planner from the indexes made for them.
    from orders.selectors import _orders_seen

    channel = make_channel(code="tmall-lit", secret="s")
    listed_sku("SKU-1", "99.00")
    data = order_data(external_id="L-1", buyer_account="tb_carol")
    assert push(client, channel, data).status_code == 201
    order = Order.objects.get(channel=channel, external_id="L-1")
    # a channel's day of orders, on tables the planner has no statistics for
    _copies(order, 60_000)
    single: dict[str, Any] = {
        "channel_id": channel.pk,
        "phones": ["13800138000"],
        "accounts": ["tb_carol"],
        "external_ids": ["L-2"],
        "earliest": order.placed_at - timedelta(days=1),
        "latest": order.placed_at + timedelta(days=1),
    }
    page = {  # a page of 300 pushes
        **single,
        "phones": ["13800138000", *[f"137{n:08d}" for n in range(299)]],
        "accounts": ["tb_carol", *[f"tb_{n}" for n in range(299)]],
        "external_ids": [f"P-{n}" for n in range(300)],
    }
    _orders_seen.forget()  # only this test's two shapes kept
    for arguments in (single, page):
        assert [row[2] for row in _orders_seen.rows(**arguments)] == ["L-1"]
    assert len(_orders_seen._kept) == 2
    for kept in _orders_seen._kept.values():
        assert kept is not None
        assert "->> 'buyer_account')" in kept.sql
        assert "\"state\" = 'cancelled'" in kept.sql
        # the caller's values are still parameters, each set as one (= ANY)
        assert kept.sql.count("%s") == len(kept.params) == len(kept.slots) == 6
    # one plan for every page, through the two-column indexes, never the channel's own
    generic = _generic_plan(next(iter(_orders_seen._kept.values())), page)
    assert "orders_order_buyer" in generic
    assert "orders_order_phone_channel" in generic
    assert "orders_order_channel_id" not in generic


def _copies(order: Order, count: int) -> None:
    """``count`` copies of ``order``, each with its own number, id, phone and buyer
    account, in one statement."""
    quote = connection.ops.quote_name
    own = {"number": "'SO-L-' || n", "external_id": "'L-' || (n + 10)"}
    own["receiver_phone"] = "'139' || lpad(n::text, 8, '0')"
    own["payload"] = "jsonb_set(payload, '{buyer_account}', to_jsonb('tb_copy_' || n))"
    columns = [f.column for f in Order._meta.concrete_fields if not f.primary_key]
    chosen = ", ".join(own.get(column, quote(column)) for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(Order._meta.db_table)} ({', '.join(map(quote, columns))}) "  # noqa: S608
            f"SELECT {chosen} FROM {quote(Order._meta.db_table)}, generate_series(1, %s) n "
            "WHERE id = %s",
            [count, order.pk],
        )


def _generic_plan(kept: Any, arguments: dict[str, Any]) -> str:
    """The plan PostgreSQL makes once for all values, on tables without statistics."""
    params = list(kept.params)
    for slot in kept.slots:
        value = arguments[slot.name]
        params[slot.position] = slot.prepare(value[slot.index] if slot.index is not None else value)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute(f"PREPARE generic_probe AS {compiled._numbered(kept.sql, 'x').numbered}")
        cursor.execute(
            "EXPLAIN EXECUTE generic_probe (" + ", ".join(["%s"] * len(params)) + ")", params
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("DEALLOCATE generic_probe")
    return plan
