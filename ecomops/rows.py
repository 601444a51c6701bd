"""Model objects from hand-written SQL, for the few reads run once per scan or per parcel.

The pack station reads the same few rows thousands of times a day. Building those reads
through the ORM (cloning querysets, resolving subqueries, compiling the joins) cost several
times what the database spent answering them, so the hottest ones are written once as SQL
from the models' own table and column names (cached per process) and read back into model
objects here, as ``select_related`` would: each model's columns in field order, passed
through the same database converters the ORM applies, related objects put in the field's
cache so reading them is no query.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import connections, models

M = TypeVar("M", bound=models.Model)


def columns(model: type[models.Model], alias: str, *, using: str = "default") -> str:
    """``alias``'s columns of ``model`` in field order, for a SELECT list."""
    return _columns(model, alias, using)


@functools.cache
def _columns(model: type[models.Model], alias: str, using: str) -> str:
    quote = connections[using].ops.quote_name
    return ", ".join(f"{alias}.{quote(field.column)}" for field in model._meta.concrete_fields)


def width(model: type[models.Model]) -> int:
    """How many columns ``columns`` selects for ``model``."""
    return len(model._meta.concrete_fields)


def instance(model: type[M], row: Sequence[Any], start: int, *, using: str = "default") -> M:
    """The ``model`` object whose columns (as ``columns`` lists them) start at ``start``."""
    connection = connections[using]
    names = _attnames(model)
    values = list(row[start : start + len(names)])
    for index, column, chain in _converters(model, using):
        value = values[index]
        for converter in chain:
            value = converter(value, column, connection)
        values[index] = value
    return model.from_db(using, names, values)


@functools.cache
def _attnames(model: type[models.Model]) -> list[str]:
    return [field.attname for field in model._meta.concrete_fields]


@functools.cache
def _converters(model: type[models.Model], using: str) -> list[tuple[int, Any, list[Any]]]:
    """The ORM's database converters of each of ``model``'s columns (JSON decoded, money as
    ``Decimal``, SQLite's datetimes and booleans, …), as the compiler applies them."""
    connection = connections[using]
    found = []
    for index, field in enumerate(model._meta.concrete_fields):
        column = field.get_col(model._meta.db_table)
        chain = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if chain:
            found.append((index, column, chain))
    return found


def relate(obj: models.Model, name: str, related: models.Model | None) -> None:
    """Put ``related`` in ``obj``'s cache of the foreign key ``name`` (no query to read it)."""
    field = obj._meta.get_field(name)
    field.set_cached_value(obj, related)  # type: ignore[union-attr]
