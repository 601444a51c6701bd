"""A policy saved or deleted (the admin, a data migration) is read again by this process's
next clock; other processes re-read theirs within ``POLICY_CACHE_SECONDS``."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import SlaPolicy
from .services import sla_policies_forget


@receiver(post_save, sender=SlaPolicy, dispatch_uid="sla_policy_saved")
@receiver(post_delete, sender=SlaPolicy, dispatch_uid="sla_policy_deleted")
def forget_policies(sender: Any, **kwargs: Any) -> None:
    sla_policies_forget()
