"""Gap-free document numbers: ``next_number("LA")`` → ``LA202611230001``."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, connection, transaction

from ecomops.calendar import company_today

from .models import Sequence


def next_in_series(key: str, count: int = 1) -> int:
    """The next number of ``key`` (the last of ``count`` taken at once); safe under
    concurrency: one ``UPDATE … RETURNING`` takes the numbers and locks the series' row until
    the caller's transaction ends, so callers take their numbers as late as they can."""
    if count < 1:
        raise ValueError("count must be at least 1")
    last = _take(key, count)
    if last is not None:
        return last
    try:
        with transaction.atomic():
            Sequence.objects.create(key=key, last=count)
            return count
    except IntegrityError:  # a concurrent first number of the series won
        last = _take(key, count)
        if last is None:
            raise
        return last


def _take(key: str, count: int) -> int | None:
    table = connection.ops.quote_name(Sequence._meta.db_table)
    with connection.cursor() as cursor:
        # PostgreSQL and SQLite (3.35+) both return the updated row.
        cursor.execute(
            f"UPDATE {table} SET last = last + %s WHERE key = %s RETURNING last",  # noqa: S608
            [count, key],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else None


def next_number(prefix: str, *, day: date | None = None, width: int = 4) -> str:
    """``prefix`` + the day (YYYYMMDD, company time) + a daily counter of ``width`` digits."""
    day = day or company_today()
    stamp = day.strftime("%Y%m%d")
    return f"{prefix}{stamp}{next_in_series(f'{prefix}{stamp}'):0{width}d}"


def next_numbers(prefix: str, count: int, *, day: date | None = None, width: int = 4) -> list[str]:
    """``count`` consecutive numbers of the ``prefix`` series in one step (bulk imports)."""
    if count == 0:
        return []
    day = day or company_today()
    stamp = day.strftime("%Y%m%d")
    last = next_in_series(f"{prefix}{stamp}", count)
    return [f"{prefix}{stamp}{n:0{width}d}" for n in range(last - count + 1, last + 1)]
