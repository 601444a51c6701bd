"""Receivers of finance's signals (connected in ``DistributionConfig.ready``)."""

from __future__ import annotations

from typing import Any

from finance.models import Remittance

from .services import deals


def on_remittance_received(sender: Any, remittance: Remittance, **kwargs: Any) -> None:
    deals.deal_remitted(reference=remittance.reference)
