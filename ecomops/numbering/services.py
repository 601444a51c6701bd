"""Gap-free document numbers: ``next_number("LA")`` → ``LA202611230001``."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .models import Sequence


def next_in_series(key: str, count: int = 1) -> int:
    """The next number of ``key`` (the last of ``count`` taken at once); safe under
    concurrency (a row lock per series, held until the caller's transaction ends)."""
    if count < 1:
        raise ValueError("count must be at least 1")
    with transaction.atomic():
        updated = Sequence.objects.filter(key=key).update(last=F("last") + count)
        if not updated:
            try:
                with transaction.atomic():
                    Sequence.objects.create(key=key, last=count)
                    return count
            except IntegrityError:
                Sequence.objects.filter(key=key).update(last=F("last") + count)
        return Sequence.objects.get(key=key).last


def next_number(prefix: str, *, day: date | None = None, width: int = 4) -> str:
    """``prefix`` + the day (YYYYMMDD, company time) + a daily counter of ``width`` digits."""
    day = day or timezone.localdate()
    stamp = day.strftime("%Y%m%d")
    return f"{prefix}{stamp}{next_in_series(f'{prefix}{stamp}'):0{width}d}"


def next_numbers(prefix: str, count: int, *, day: date | None = None, width: int = 4) -> list[str]:
    """``count`` consecutive numbers of the ``prefix`` series in one step (bulk imports)."""
    if count == 0:
        return []
    day = day or timezone.localdate()
    stamp = day.strftime("%Y%m%d")
    last = next_in_series(f"{prefix}{stamp}", count)
    return [f"{prefix}{stamp}{n:0{width}d}" for n in range(last - count + 1, last + 1)]
