"""Gap-free document numbers: ``next_number("LA")`` → ``LA202611230001``."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .models import Sequence


def next_in_series(key: str) -> int:
    """The next number of ``key``; safe under concurrency (a row lock per series)."""
    with transaction.atomic():
        updated = Sequence.objects.filter(key=key).update(last=F("last") + 1)
        if not updated:
            try:
                with transaction.atomic():
                    Sequence.objects.create(key=key, last=1)
                    return 1
            except IntegrityError:
                Sequence.objects.filter(key=key).update(last=F("last") + 1)
        return Sequence.objects.get(key=key).last


def next_number(prefix: str, *, day: date | None = None, width: int = 4) -> str:
    """``prefix`` + the day (YYYYMMDD, company time) + a daily counter of ``width`` digits."""
    day = day or timezone.localdate()
    stamp = day.strftime("%Y%m%d")
    return f"{prefix}{stamp}{next_in_series(f'{prefix}{stamp}'):0{width}d}"
