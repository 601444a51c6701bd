"""Model objects from hand-written SQL, for the few reads run once per scan or per parcel,
and new objects written by one hand-written INSERT, for the writes of every order pushed.

The pack station reads the same few rows thousands of times a day. Building those reads
through the ORM (cloning querysets, resolving subqueries, compiling the joins) cost several
times what the database spent answering them, so the hottest ones are written once as SQL
from the models' own table and column names (cached per process) and read back into model
objects here, as ``select_related`` would: each model's columns in field order, passed
through the same database converters the ORM applies, related objects put in the field's
cache so reading them is no query.

``insert`` is ``bulk_create`` for new objects without its SQL compiler: the statement's
text is kept per model, and each object's values go through the same ``pre_save`` and
``get_db_prep_save`` Django calls. A push writes four tables; compiling those INSERTs cost
the worker about as much as the rest of the push's SQL together.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
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
    ``Decimal``, SQLite's datetimes and booleans), as the compiler applies them."""
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


def insert(objs: Sequence[models.Model], *, using: str = "default", batch_size: int = 1000) -> None:
    """Insert ``objs`` (new objects of one model, primary keys unset) as ``bulk_create``
    would: fields' ``pre_save`` run (``auto_now_add`` stamped), foreign keys taken from
    related objects saved since, the keys the database gave set on the objects, which are
    then saved objects of ``using``; one statement per ``batch_size`` objects. No signals,
    as with ``bulk_create``."""
    if not objs:
        return
    model = type(objs[0])
    connection = connections[using]
    fields, head, returning = _insert_sql(model, using)
    batch = max(min(batch_size, connection.ops.bulk_batch_size(fields, objs)), 1)
    for start in range(0, len(objs), batch):
        chunk = objs[start : start + batch]
        values, params = _values(chunk, model, using)
        with connection.cursor() as cursor:
            cursor.execute(f"{head}{values}{returning}", params)
            keys = cursor.fetchall()
        _saved(chunk, [key[0] for key in keys], using)


# At most this many rows go in one statement of ``insert_all`` (a page of 500 orders with
# its pushes, lines and clocks fits); more are inserted list by list.
TOGETHER = 5000


def insert_all(groups: Sequence[Sequence[models.Model]], *, using: str = "default") -> None:
    """``insert`` for several lists of new objects (each of one model) in one statement on
    PostgreSQL: each list is an INSERT of a data-modifying ``WITH``, and their keys come
    back together. The rows an order brings with it (its push, lines, clocks) are written
    in one round trip instead of one per table. An object may refer only to objects saved
    before the call, not to one of another list. Elsewhere (SQLite has no INSERT in a
    ``WITH``), or beyond ``TOGETHER`` rows, each list is one ``insert``, one after another:
    call it in a transaction, so that a list refused there takes the lists before it back
    with it (on PostgreSQL a refused list sends nothing)."""
    groups = [group for group in groups if group]
    connection = connections[using]
    if (
        len(groups) < 2
        or connection.vendor != "postgresql"
        or sum(len(group) for group in groups) > TOGETHER
    ):
        for group in groups:
            insert(group, using=using)
        return
    parts, reads, params = [], [], []
    for index, group in enumerate(groups):
        model = type(group[0])
        _fields, head, returning = _insert_sql(model, using)
        values, group_params = _values(group, model, using)
        params += group_params
        parts.append(f"i{index} AS ({head}{values}{returning})")
        key = connection.ops.quote_name(model._meta.pk.column)
        reads.append(f"SELECT {index}, {key} FROM i{index}")  # noqa: S608 (a model's name)
    with connection.cursor() as cursor:
        # Each WITH's rows come back in the order of its VALUES, as bulk_create's do.
        cursor.execute(f"WITH {', '.join(parts)} {' UNION ALL '.join(reads)}", params)
        keys = cursor.fetchall()
    for index, group in enumerate(groups):
        _saved(group, [key for number, key in keys if number == index], using)


def _values(
    objs: Sequence[models.Model], model: type[models.Model], using: str
) -> tuple[str, list[Any]]:
    """The VALUES rows of new ``objs`` of ``model`` and their parameters."""
    connection = connections[using]
    fields, _head, _returning = _insert_sql(model, using)
    plan = _insert_plan(model, using)
    params: list[Any] = []
    for obj in objs:
        if type(obj) is not model or obj.pk is not None:
            raise ValueError("insert takes new objects of one model")
        obj._prepare_related_fields_for_save(operation_name="bulk_create")  # type: ignore[attr-defined]
        for field, attname, stamped, passes, ready in plan:
            value = field.pre_save(obj, True) if stamped else getattr(obj, attname)
            if type(value) not in passes and not (ready is not None and ready(value)):
                value = field.get_db_prep_save(value, connection)
            params.append(value)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    return ", ".join([row] * len(objs)), params


def _saved(objs: Sequence[models.Model], keys: list[Any], using: str) -> None:
    if len(keys) != len(objs):
        raise RuntimeError(f"{len(objs)} rows inserted, {len(keys)} keys returned")
    for obj, key in zip(objs, keys, strict=True):
        obj.pk = key
        obj._state.adding = False
        obj._state.db = using


# Values the database driver takes as they are for fields of these exact classes (their
# get_db_prep_save gives them back unchanged); any other value goes through the field.
_NONE = type(None)
_PASSES: dict[type[models.Field[Any, Any]], frozenset[type]] = {
    **dict.fromkeys((models.CharField, models.TextField), frozenset({str, _NONE})),
    **dict.fromkeys(
        (
            models.IntegerField,
            models.BigIntegerField,
            models.SmallIntegerField,
            models.PositiveIntegerField,
            models.PositiveBigIntegerField,
            models.PositiveSmallIntegerField,
            models.ForeignKey,
        ),
        frozenset({int, _NONE}),
    ),
    models.BooleanField: frozenset({bool}),
    **dict.fromkeys((models.DateTimeField, models.DecimalField), frozenset({_NONE})),
}


def _aware(value: Any) -> bool:
    return type(value) is datetime and value.utcoffset() is not None


def _finite(value: Any) -> bool:
    return type(value) is Decimal and value.is_finite()


@functools.cache
def _ready_checks(using: str) -> dict[type[models.Field[Any, Any]], Callable[[Any], bool]]:
    """Per field class (as ``_prepared_as`` names it), the values ``using``'s driver takes
    as they are: an aware ``datetime``, a finite ``Decimal``, when the backend's adapter
    gives them back unchanged, as PostgreSQL's does (SQLite's writes datetimes as text, so
    there only amounts pass)."""
    ops = connections[using].ops
    moment, amount = datetime(2000, 1, 1, tzinfo=UTC), Decimal("1.00")
    checks: dict[type[models.Field[Any, Any]], Callable[[Any], bool]] = {}
    if ops.adapt_datetimefield_value(moment) is moment:
        checks[models.DateTimeField] = _aware
    if ops.adapt_decimalfield_value(amount, 10, 2) is amount:
        checks[models.DecimalField] = _finite
    return checks


@functools.cache
def _insert_plan(
    model: type[models.Model], using: str
) -> list[tuple[Any, str, bool, frozenset[type], Callable[[Any], bool] | None]]:
    """Per field an INSERT writes: the field, its attribute, whether its ``pre_save`` does
    anything (a date stamped ``auto_now``/``auto_now_add``, a file saved), the value types
    that need no preparing and the check of a value the driver takes as it is
    (``_ready_checks``). A naive datetime, a NaN or a string still goes through the field,
    which warns, refuses or converts as the ORM would."""
    plan = []
    checks = _ready_checks(using)
    for field in _insert_fields(model):
        stamped = type(field).pre_save is not models.Field.pre_save and not (
            isinstance(field, models.DateField) and not (field.auto_now or field.auto_now_add)
        )
        kind = _prepared_as(type(field))
        passes = _PASSES.get(kind, frozenset())
        plan.append((field, field.attname, stamped, passes, checks.get(kind)))
    return plan


_PREP = ("get_db_prep_save", "get_db_prep_value", "get_prep_value", "to_python")


def _prepared_as(kind: type[Any]) -> type[Any]:
    """The field class of ``_PASSES`` whose preparing of values ``kind`` keeps unchanged
    (``MoneyField`` is a ``DecimalField`` there), or ``kind`` itself."""
    for base in (models.DecimalField, models.DateTimeField):
        if issubclass(kind, base) and all(
            getattr(kind, name) is getattr(base, name) for name in _PREP
        ):
            return base
    return kind


@functools.cache
def _insert_fields(model: type[models.Model]) -> list[Any]:
    """The fields an INSERT of new ``model`` objects writes: all but the primary key."""
    meta = model._meta
    fields = [
        field
        for field in meta.concrete_fields
        if not field.primary_key and not getattr(field, "generated", False)
    ]
    if meta.pk is None or any(getattr(f, "db_returning", False) for f in fields):
        raise ValueError(f"{meta.label}: insert returns only an auto primary key")
    return fields


@functools.cache
def _insert_sql(model: type[models.Model], using: str) -> tuple[list[Any], str, str]:
    """The fields an INSERT of new ``model`` objects writes, the statement's head and its
    RETURNING of the primary key."""
    quote = connections[using].ops.quote_name
    meta = model._meta
    fields = _insert_fields(model)
    head = (
        f"INSERT INTO {quote(meta.db_table)} "  # noqa: S608 (names from the model)
        f"({', '.join(quote(field.column) for field in fields)}) VALUES "
    )
    return fields, head, f" RETURNING {quote(meta.pk.column)}"
