"""Reads whose SQL the ORM builds once per process, for the hottest paths (issue 24 §1).

A signed push runs a handful of fixed-shape reads (the channel, the orders it could
duplicate, its SKUs and prices, the customers it could be). Building their SQL from
querysets (filters, subqueries, joins) cost the worker more CPU than PostgreSQL spent
running them. ``CompiledRead`` keeps the ORM as the one place each read is written: the
queryset is built once with marker values in place of the caller's, compiled, and the
markers' places in the parameters remembered; each call puts the real values in those
places and runs the kept SQL, converting the columns as the ORM would.

The queryset a builder returns must depend on nothing but its arguments (no clock, no
setting read at build time), and must be a ``values_list`` (the caller makes objects with
``Model.from_db`` when it needs them). A sequence argument is a set of values for an
SQL ``IN`` list, which has one placeholder per value.
Each list is padded to a power-of-two length with copies of its last value,
so a read is compiled once per length.
A marker the ORM changed on its way to the SQL (an ``icontains`` wrapping it in ``%``, a
lower-casing lookup) is refused at build time.

``field__any=values`` (``AnyOf``) passes a set as one parameter instead of an ``IN`` list:
PostgreSQL plans ``= ANY($1)`` for any size as a handful of rows, where a long ``IN`` list
on tables without statistics looked bigger than the whole channel's index.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet, ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.signals import connection_created
from django.db.models import Field, Lookup, QuerySet

Value = str | int | datetime
Argument = Value | Sequence[Value]

_MARKER_EPOCH = datetime(1901, 1, 1, tzinfo=UTC)


def _prepare_plain(value: Any) -> Any:
    return value


def _prepare_json_text(value: Any) -> Any:  # SQLite: a JSON key compared to json.dumps(value)
    return json.dumps(value)


@dataclass(frozen=True)
class _Slot:
    """Where one argument's value goes among the parameters, and how it is prepared."""

    position: int
    name: str
    index: int | None  # the element of a sequence argument; None for a single value
    prepare: Callable[[Any], Any]


@dataclass
class _Compiled:
    sql: str
    params: list[Any]
    slots: list[_Slot]
    # The ORM's converters of the columns that have any: (position, (converters, column)).
    converters: list[tuple[int, tuple[list[Any], Any]]]
    order: list[int] | None  # the columns' order as the values_list asked for them


@Field.register_lookup
class AnyOf(Lookup):
    """``field__any=values``: a text field (or expression) equals one of the values, the
    list sent as one parameter of text: ``= ANY(%s)`` on PostgreSQL, ``IN (SELECT value
    FROM json_each(%s))`` on SQLite. One statement for every size of the list."""

    lookup_name = "any"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, _texts(self.rhs)]
        # the left side is the ORM's compiled column or expression, never a caller's text
        sql = f"{lhs} IN (SELECT value FROM json_each(%s))"  # noqa: S608
        return sql, [*lhs_params, _json_texts(self.rhs)]


def _texts(values: Any) -> list[str]:
    """``AnyOf``'s parameter on PostgreSQL: the values as a list of text."""
    return [str(value) for value in values]


def _json_texts(values: Any) -> str:
    """``AnyOf``'s parameter on SQLite: the values as a JSON array of text."""
    return json.dumps(_texts(values))


class CompiledRead:
    """A fixed-shape read compiled once per process, database and shape (see the module)."""

    def __init__(self, build: Callable[..., QuerySet[Any]], *, using: str = DEFAULT_DB_ALIAS):
        self._build = build
        self._using = using
        self._kept: dict[tuple[Any, ...], _Compiled | None] = {}
        self._lock = threading.Lock()

    def rows(self, **arguments: Argument) -> list[tuple[Any, ...]]:
        """The rows of the read with these arguments, as ``values_list`` gives them."""
        arguments = {
            name: value if isinstance(value, Value) else _padded(value)
            for name, value in arguments.items()
        }
        shape = tuple(
            (name, None if isinstance(value, Value) else len(value))
            for name, value in sorted(arguments.items())
        )
        key = (connections[self._using].vendor, shape)
        if key not in self._kept:
            with self._lock:
                if key not in self._kept:
                    self._kept[key] = self._compile(shape)
        kept = self._kept[key]
        if kept is None:  # a shape that selects nothing (an empty IN)
            return []
        return self._run(kept, arguments)

    @property
    def using(self) -> str:
        return self._using

    def forget(self) -> None:
        """Compile again on the next call (a test changing the schema or the settings)."""
        with self._lock:
            self._kept.clear()

    def _compile(self, shape: tuple[tuple[str, int | None], ...]) -> _Compiled | None:
        connection = connections[self._using]
        markers: dict[str, Any] = {}
        counter = iter(range(1, 1_000_000))

        def marker_for(name: str, index: int | None, kind: type) -> Any:
            n = next(counter)
            if kind is int:
                return -(10**15 + n)
            if kind is datetime:
                return _MARKER_EPOCH + timedelta(microseconds=n)
            return f"\x1e{name}.{'' if index is None else index}.{n}\x1e"

        kinds = getattr(self._build, "argument_kinds", {})
        places: dict[Any, tuple[str, int | None]] = {}
        for name, length in shape:
            kind = kinds.get(name, str)
            if length is None:
                markers[name] = marker_for(name, None, kind)
                places[_key(markers[name])] = (name, None)
            else:
                markers[name] = [marker_for(name, i, kind) for i in range(length)]
                for i, m in enumerate(markers[name]):
                    places[_key(m)] = (name, i)
        queryset = self._build(**markers)
        query = queryset.query
        compiler = query.get_compiler(using=self._using)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            return None
        slots: list[_Slot] = []
        adapted = {
            connection.ops.adapt_datetimefield_value(m): m
            for m in _flatten(markers.values())
            if isinstance(m, datetime)
        }
        for position, param in enumerate(params):
            slot = _slot_of(position, param, places, adapted, connection)
            if slot is not None:
                slots.append(slot)
        # A marker may be missing: the ORM drops a branch that cannot match (an empty IN).
        # One it changed (wrapped in %, lower-cased) would be run as a constant.
        placed = {s.position for s in slots}
        changed = [
            p
            for position, p in enumerate(params)
            if position not in placed and "\x1e" in str(getattr(p, "obj", p)).lower()
        ]
        if changed:
            raise ImproperlyConfigured(
                f"{self._build.__qualname__}: the ORM changed {changed!r} on its way to the "
                "SQL; compile this read another way"
            )
        fields = [s[0] for s in compiler.select[: compiler.col_count]]
        converters = compiler.get_converters(fields)
        names = [*query.extra_select, *query.values_select, *query.annotation_select]
        wanted = list(getattr(queryset, "_fields", ()) or ())
        order = None
        if wanted:
            wanted += [f for f in query.annotation_select if f not in wanted]
            if wanted != names:
                order = [names.index(f) for f in wanted]
        if connection.vendor == "postgresql":
            sql, params, slots = _constants_inlined(sql, list(params), slots)
        return _Compiled(sql, list(params), slots, list(converters.items()), order)

    def _run(self, kept: _Compiled, arguments: dict[str, Argument]) -> list[tuple[Any, ...]]:
        params = list(kept.params)
        for slot in kept.slots:
            value = arguments[slot.name]
            if slot.index is not None:
                value = value[slot.index]  # type: ignore[index]
            params[slot.position] = slot.prepare(value)
        connection = connections[self._using]
        with connection.cursor() as cursor:
            execute(cursor, kept.sql, params)
            rows: list[Any] = cursor.fetchall()
        if kept.converters:
            rows = _converted(rows, kept.converters, connection)
        if kept.order is not None:
            order = kept.order
            return [tuple(row[i] for i in order) for row in rows]
        return [tuple(row) for row in rows]


def _converted(
    rows: list[Any], converters: list[tuple[int, tuple[list[Any], Any]]], connection: Any
) -> list[list[Any]]:
    """``rows`` through the ORM's converters, as ``SQLCompiler.apply_converters`` does (it
    reads nothing of the compiler but its connection, so no compiler is copied a run)."""
    converted = []
    for row in map(list, rows):
        for position, (chain, column) in converters:
            value = row[position]
            for converter in chain:
                value = converter(value, column, connection)
            row[position] = value
        converted.append(row)
    return converted


# Runs of one statement on one connection before it is prepared there: a statement run
# once or twice (a page's odd-sized IN list, a test) is not worth a PREPARE of its own.
PREPARE_AFTER = 2

_names: dict[str, str] = {}  # statement text -> the name it is prepared under
_names_lock = threading.Lock()


@dataclass(frozen=True)
class _Statement:
    name: str
    numbered: str  # the text with PostgreSQL's numbered parameters ($1, $2 and on)
    order: tuple[str, ...] | None  # for named parameters: the name behind each number


def execute(cursor: Any, sql: str, params: Sequence[Any] | dict[str, Any]) -> None:
    """``cursor.execute(sql, params)``, prepared on PostgreSQL once the statement has run
    ``PREPARE_AFTER`` times on the cursor's connection: from then on PostgreSQL parses and
    plans it once per connection instead of once per call (a fixed-shape statement of the
    hottest paths: the push's reads, the pack station's). ``sql`` takes ``%s`` with a list
    or ``%(name)s`` with a dict, as Django's cursors do. A statement PostgreSQL cannot
    prepare (a parameter whose type it cannot tell) goes on as plain SQL.
    ``DB_PREPARED_STATEMENTS = False`` turns it off (a pooler in transaction mode)."""
    connection = cursor.db
    if connection.vendor != "postgresql" or not settings.DB_PREPARED_STATEMENTS:
        cursor.execute(sql, params)
        return
    statement = _statement(sql)
    known: dict[str, int | bool] = connection.__dict__.setdefault("_ecomops_prepared", {})
    state = known.get(statement.name, 0)
    if state is not True:
        if state is False or state < PREPARE_AFTER:
            if state is not False:
                known[statement.name] = state + 1
            cursor.execute(sql, params)
            return
        if not _prepare(connection, cursor, statement):
            known[statement.name] = False
            cursor.execute(sql, params)
            return
        known[statement.name] = True
    if statement.order is not None:
        named = params if isinstance(params, dict) else {}
        values: Sequence[Any] = [named[name] for name in statement.order]
    else:
        values = list(params)
    if values:
        cursor.execute(f"EXECUTE {statement.name}({', '.join(['%s'] * len(values))})", values)
    else:
        cursor.execute(f"EXECUTE {statement.name}")


def _prepare(connection: Any, cursor: Any, statement: _Statement) -> bool:
    """PREPARE ``statement`` on the connection; False if PostgreSQL refuses it. Run on the
    driver's own cursor, inside a savepoint of its own when a transaction is open, so that
    a refusal leaves the caller's transaction as it was; and kept out of Django's query log,
    where it would count as one of the caller's statements."""
    raw = cursor.cursor
    in_transaction = not connection.get_autocommit()
    try:
        if in_transaction:
            raw.execute("SAVEPOINT ecomops_prepare")
        raw.execute(f"PREPARE {statement.name} AS {statement.numbered}")
    except connection.Database.Error:  # the driver's own error: its cursor is not wrapped
        if in_transaction:
            raw.execute("ROLLBACK TO SAVEPOINT ecomops_prepare")
            raw.execute("RELEASE SAVEPOINT ecomops_prepare")
        return False
    if in_transaction:
        raw.execute("RELEASE SAVEPOINT ecomops_prepare")
    return True


def _statement(sql: str) -> _Statement:
    name = _names.get(sql)
    if name is None:
        with _names_lock:
            name = _names.setdefault(sql, f"ecomops_{len(_names) + 1}")
    return _numbered(sql, name)


@functools.lru_cache(maxsize=1024)
def _numbered(sql: str, name: str) -> _Statement:
    """The statement with PostgreSQL's numbered placeholders in place of Django's.

    Every ``%s`` and ``%(name)s`` becomes ``$1``, ``$2`` and so on, in order of appearance.
    A name used twice is one parameter, and ``%%`` becomes a single ``%``."""
    order: list[str] = []
    count = itertools.count(1)
    named = False

    def place(match: re.Match[str]) -> str:
        nonlocal named
        if match.group() == "%%":
            return "%"
        if match.group(1) is None:
            return f"${next(count)}"
        named = True
        if match.group(1) not in order:
            order.append(match.group(1))
        return f"${order.index(match.group(1)) + 1}"

    numbered = re.sub(r"%%|%\((\w+)\)s|%s", place, sql)
    return _Statement(name, numbered, tuple(order) if named else None)


def _forget_prepared(sender: Any, connection: Any, **kwargs: Any) -> None:
    """A new connection has no prepared statements."""
    connection.__dict__.pop("_ecomops_prepared", None)


connection_created.connect(_forget_prepared)


def compiled_read(**kinds: type) -> Callable[[Callable[..., QuerySet[Any]]], CompiledRead]:
    """Decorate a queryset builder as a ``CompiledRead``; ``kinds`` names the arguments
    that are not text (``int`` or ``datetime``)."""

    def decorate(build: Callable[..., QuerySet[Any]]) -> CompiledRead:
        build.argument_kinds = kinds  # type: ignore[attr-defined]
        return CompiledRead(build)

    return decorate


def _padded(values: Sequence[Value]) -> Sequence[Value]:
    """``values`` with its last repeated up to the next power of two (an IN's set unchanged)."""
    size = len(values)
    if size <= 1:
        return values
    target = 1 << (size - 1).bit_length()
    return [*values, *[values[-1]] * (target - size)]


def _key(marker: Any) -> tuple[type, Any]:
    return (type(marker), marker)


def _flatten(values: Any) -> list[Any]:
    flat: list[Any] = []
    for value in values:
        flat.extend(value if isinstance(value, list) else [value])
    return flat


_PLACEHOLDER = re.compile(r"%[s%]")


def _constants_inlined(
    sql: str, params: list[Any], slots: list[_Slot]
) -> tuple[str, list[Any], list[_Slot]]:
    """The read's own text constants (a JSON key, a state it leaves out) written into the
    SQL as literals; the caller's values stay parameters.

    A prepared statement is planned once for all its values (PostgreSQL's generic plan),
    and a parameter there is unknown to the planner: ``payload -> $2`` cannot use the
    index on ``payload -> 'buyer_account'``, so a duplicate check read every order of the
    channel. The constants come from the builder's code, never from a caller."""
    placed = {slot.position for slot in slots}
    inlined = {
        position
        for position, param in enumerate(params)
        if position not in placed and isinstance(param, str) and "\x00" not in param
    }
    if not inlined:
        return sql, params, slots
    numbers = iter(range(len(params)))

    def place(match: re.Match[str]) -> str:
        if match.group() == "%%":
            return "%%"
        position = next(numbers)
        if position not in inlined:
            return "%s"
        text = str.__str__(params[position])  # a TextChoices member as its value
        literal = "'" + text.replace("'", "''") + "'"
        return literal.replace("%", "%%")

    inlined_sql = _PLACEHOLDER.sub(place, sql)
    kept = [position for position in range(len(params)) if position not in inlined]
    moved = {old: new for new, old in enumerate(kept)}
    return (
        inlined_sql,
        [params[position] for position in kept],
        [_Slot(moved[slot.position], slot.name, slot.index, slot.prepare) for slot in slots],
    )


def _slot_of(
    position: int,
    param: Any,
    places: dict[Any, tuple[str, int | None]],
    adapted: dict[Any, datetime],
    connection: Any,
) -> _Slot | None:
    """The slot of a marker found as ``param``, or None for a parameter of the query's own."""
    if isinstance(param, str | int | datetime) and _key(param) in places:
        name, index = places[_key(param)]
        return _Slot(position, name, index, _prepare_plain)
    if isinstance(param, str) and param in adapted:  # SQLite keeps datetimes as text
        name, index = places[_key(adapted[param])]
        return _Slot(position, name, index, connection.ops.adapt_datetimefield_value)
    if isinstance(param, list) and (whole := _whole_sequence(param, places)):  # AnyOf
        return _Slot(position, whole, None, _texts)
    inner = getattr(param, "obj", getattr(param, "adapted", None))  # PostgreSQL's Jsonb
    if isinstance(inner, str) and _key(inner) in places:
        name, index = places[_key(inner)]
        wrapper = type(param)
        return _Slot(position, name, index, wrapper)
    if isinstance(param, str):
        try:
            decoded = json.loads(param)
        except ValueError:
            return None
        if isinstance(decoded, str) and _key(decoded) in places:  # SQLite's JSON key lookups
            name, index = places[_key(decoded)]
            return _Slot(position, name, index, _prepare_json_text)
        if isinstance(decoded, list) and (whole := _whole_sequence(decoded, places)):
            return _Slot(position, whole, None, _json_texts)  # AnyOf on SQLite
    return None


def _whole_sequence(values: list[Any], places: dict[Any, tuple[str, int | None]]) -> str:
    """The argument whose markers ``values`` are, all of them in order; else ''."""
    found = [places.get(_key(value)) for value in values]
    if not found or None in found:
        return ""
    names = {place[0] for place in found if place is not None}
    indexes = [place[1] for place in found if place is not None]
    return names.pop() if len(names) == 1 and indexes == list(range(len(values))) else ""
