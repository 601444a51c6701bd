"""Model fields about people, shared by the apps' models."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django_stubs_ext import StrOrPromise


def actor_field(verbose_name: StrOrPromise, related_name: str = "+") -> Any:
    """Who did it: optional (the system, a signed push or a customer act too), and never
    deleted from under the record that names them."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name=related_name,
        verbose_name=verbose_name,
    )
