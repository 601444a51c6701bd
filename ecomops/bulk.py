"""Set-based writes the ORM has no verb for (STYLE: set-based SQL for bulk moves).

``update_column`` writes one column of many rows, each its own value, a statement per
thousands of rows. ``insert_select`` is ``INSERT INTO … SELECT``: rows derived from rows
already in the database are written by the database, without a Python object per row. Measured on
PostgreSQL for 10,000 django-fsm-log rows: 0.34 s through ``bulk_create`` (building each
object, then each of its eight values, then the SQL), 0.075 s this way.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from django.db import connections, models, router
from django.db.models.expressions import RawSQL


def insert_select(
    model: type[models.Model], fields: Sequence[str], queryset: models.QuerySet[Any]
) -> int:
    """Insert into ``model`` one row per row of ``queryset``, a ``values_list`` whose
    columns give ``fields`` in order (Django 5.2 selects them in the order named).

    The SELECT is the ORM's own SQL, so its parameters are adapted as the ORM writes them
    (datetimes as SQLite stores them, for instance). Fields left out get their column's
    default in the database (NULL for the nullable ones): list every field that has a
    Python-side default. Returns the number of rows inserted.
    """
    connection = connections[queryset.db]
    quote = connection.ops.quote_name
    concrete = {name: f.column for f in model._meta.concrete_fields for name in (f.name, f.attname)}
    columns = ", ".join(quote(concrete[name]) for name in fields)
    sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(model._meta.db_table)} ({columns}) {sql}",
            params,
        )
        return max(cursor.rowcount, 0)


def update_column(model: type[models.Model], field: str, values: dict[int, Any]) -> None:
    """Set ``field`` of each row of ``model`` to its own value (``{pk: value}``).

    PostgreSQL joins the pairs as two arrays (``UNNEST``), 5,000 rows a statement; other
    databases take a ``CASE`` of the pairs, 1,000 rows a statement. ``bulk_update``'s
    ``Case(When(…))`` builds an expression object per row: for 1,000 orders' customers it
    took 0.29 s against 0.09 s for the arrays. Integer values (ids) only on PostgreSQL.
    """
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    target = model._meta.get_field(field)
    if not isinstance(target, models.Field):
        raise TypeError(f"{model.__name__}.{field} is not a column")
    pk = quote(str(model._meta.pk.column))
    column = quote(str(target.column))
    ids = sorted(values)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for start in range(0, len(ids), 5000):
                part = ids[start : start + 5000]
                cursor.execute(
                    f"UPDATE {table} SET {column} = pairs.value "  # noqa: S608
                    "FROM (SELECT UNNEST(%s::bigint[]) AS id, "
                    "UNNEST(%s::bigint[]) AS value) AS pairs "
                    f"WHERE {table}.{pk} = pairs.id",
                    [part, [values[pk_value] for pk_value in part]],
                )
        return
    attname = target.attname
    for start in range(0, len(ids), 1000):
        part = ids[start : start + 1000]
        case = f"CASE {pk} {' '.join(['WHEN %s THEN %s'] * len(part))} END"
        params = [value for pk_value in part for value in (pk_value, values[pk_value])]
        # The SQL holds quoted names and placeholders only; the values are parameters.
        raw = RawSQL(case, params)  # noqa: S611
        model._default_manager.filter(pk__in=part).update(**{attname: raw})


def insert_rows(model: type[models.Model], fields: Sequence[str], rows: Sequence[Any]) -> None:
    """Insert ``rows`` (each the values of ``fields``, attnames, in order) into ``model``
    by one ``INSERT … VALUES``, its SQL written once per model, fields and row count. For
    the few rows a service writes on every call (a parcel's state-log row): ``bulk_create``
    builds an object and an insert query per call. No defaults are filled in and no
    signals sent: give every column without a database default."""
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    targets = _fields(model, tuple(fields))
    params = [
        field.get_db_prep_save(value, connection)
        for row in rows
        for field, value in zip(targets, row, strict=True)
    ]
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(model, tuple(fields), len(rows), connection.alias), params)


def update_rows(
    model: type[models.Model], pks: Sequence[Any], values: dict[str, Any], **guard: Any
) -> int:
    """``UPDATE`` the rows ``pks`` of ``model`` that still have the ``guard`` values (attname
    equals value) to ``values`` (attnames), its SQL written once per model, fields and row
    count: ``QuerySet.update`` builds and compiles a query per call. Returns the rows
    changed."""
    if not pks:
        return 0
    connection = connections[router.db_for_write(model)]
    names = tuple(values)
    guards = tuple(guard)
    params = [
        field.get_db_prep_save(values[name], connection)
        for field, name in zip(_fields(model, names), names, strict=True)
    ]
    params += [model._meta.pk.get_db_prep_value(pk, connection) for pk in pks]
    params += [
        field.get_db_prep_value(guard[name], connection)
        for field, name in zip(_fields(model, guards), guards, strict=True)
    ]
    sql = _update_sql(model, names, len(pks), guards, connection.alias)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


@functools.cache
def _fields(model: type[models.Model], names: tuple[str, ...]) -> list[Any]:
    by_name = {f.attname: f for f in model._meta.concrete_fields}
    return [by_name[name] for name in names]


@functools.cache
def _insert_sql(model: type[models.Model], fields: tuple[str, ...], count: int, using: str) -> str:
    quote = connections[using].ops.quote_name
    columns = ", ".join(quote(field.column) for field in _fields(model, fields))
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    return (
        f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "  # noqa: S608 (model names; values are parameters)
        f"VALUES {', '.join([row] * count)}"
    )


@functools.cache
def _update_sql(
    model: type[models.Model],
    fields: tuple[str, ...],
    count: int,
    guards: tuple[str, ...],
    using: str,
) -> str:
    quote = connections[using].ops.quote_name
    sets = ", ".join(f"{quote(field.column)} = %s" for field in _fields(model, fields))
    where = [f"{quote(str(model._meta.pk.column))} IN ({', '.join(['%s'] * count)})"]
    where += [f"{quote(field.column)} = %s" for field in _fields(model, guards)]
    return f"UPDATE {quote(model._meta.db_table)} SET {sets} WHERE {' AND '.join(where)}"  # noqa: S608
