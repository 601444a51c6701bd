"""Who issues a fully digital e-invoice (数电票): the issuer interface and its implementations.

A 数电票 gets its 20-digit number from the tax bureau's platform (电子发票服务平台), never
from us. How the number comes back differs per company, so issuing goes through an issuer
chosen by the setting ``FINANCE_INVOICE_ISSUER``:

- ``batch`` (批量开具): finance exports the open requests in the platform's batch template
  and imports the platform's result file; the number arrives later (``immediate = False``).
- ``manual``: finance issues one invoice in the portal and enters its number and file.
- ``sandbox``: a stand-in for the platform in the demo, ``simulate_day`` and tests (never in
  production): it answers at once with numbers in the platform's 20-digit structure.

An invoicing service's API (乐企 direct connection, a service provider's API) plugs in as one
more class with ``immediate = True`` whose ``issue`` calls the API: register it with
``register_issuer`` and name it in the setting; the flows (``invoices_issue_many``, the
result import, manual entry, red-letter confirmations) do not change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from ecomops.numbering.services import next_in_series

from ..models import InvoiceRequest

DIGITAL_NUMBER_LENGTH = 20


@dataclass(frozen=True)
class IssuedOnPlatform:
    """What the platform says about one issued 数电票."""

    number: str
    issued_at: datetime
    file_name: str = ""
    file_content: bytes = b""
    issuer: str = ""  # who answered: the issuer's code (batch result, manual entry, API)


class InvoiceIssuer(Protocol):
    """Issues 数电票 for invoice requests (and red-letter invoices for confirmation forms)."""

    code: ClassVar[str]
    # True when ``issue`` answers with the numbers at once (an API); False when the number
    # comes back later through the result import or manual entry.
    immediate: ClassVar[bool]

    def issue(
        self, requests: Sequence[InvoiceRequest], *, at: datetime
    ) -> Mapping[int, IssuedOnPlatform]:
        """Numbers for the requests it could issue now, by request id."""
        ...

    def issue_red(self, *, original_number: str, at: datetime) -> IssuedOnPlatform | None:
        """The red-letter 数电票 of a confirmed form, or None when it comes back later."""
        ...


class BatchIssuer:
    """批量开具 on the platform: numbers come back with the imported result file."""

    code: ClassVar[str] = "batch"
    immediate: ClassVar[bool] = False

    def issue(
        self, requests: Sequence[InvoiceRequest], *, at: datetime
    ) -> Mapping[int, IssuedOnPlatform]:
        return {}

    def issue_red(self, *, original_number: str, at: datetime) -> IssuedOnPlatform | None:
        return None


class ManualIssuer(BatchIssuer):
    """One invoice at a time in the platform's web page; finance types the number in."""

    code: ClassVar[str] = "manual"


class SandboxIssuer:
    """A stand-in for the platform (demo, simulation, tests): numbers in the platform's
    structure — 2 digits of the year, 2 of the province (``FINANCE_DIGITAL_REGION``), 1 of
    the issuing channel, then 15 of sequence — from a number series of its own."""

    code: ClassVar[str] = "sandbox"
    immediate: ClassVar[bool] = True
    CHANNEL = "1"

    def _numbers(self, count: int, at: datetime) -> list[str]:
        year = timezone.localtime(at).strftime("%y")
        prefix = f"{year}{settings.FINANCE_DIGITAL_REGION}{self.CHANNEL}"
        last = next_in_series(f"digital-invoice-{prefix}", count)
        return [f"{prefix}{n:015d}" for n in range(last - count + 1, last + 1)]

    def issue(
        self, requests: Sequence[InvoiceRequest], *, at: datetime
    ) -> Mapping[int, IssuedOnPlatform]:
        if not requests:
            return {}
        numbers = self._numbers(len(requests), at)
        return {
            request.pk: IssuedOnPlatform(number=number, issued_at=at)
            for request, number in zip(requests, numbers, strict=True)
        }

    def issue_red(self, *, original_number: str, at: datetime) -> IssuedOnPlatform | None:
        return IssuedOnPlatform(number=self._numbers(1, at)[0], issued_at=at)


ISSUERS: dict[str, type[InvoiceIssuer]] = {
    BatchIssuer.code: BatchIssuer,
    ManualIssuer.code: ManualIssuer,
    SandboxIssuer.code: SandboxIssuer,
}


def register_issuer(issuer: type[InvoiceIssuer]) -> type[InvoiceIssuer]:
    """Make an issuer (e.g. an invoicing service's API client) choosable by its code."""
    ISSUERS[issuer.code] = issuer
    return issuer


def company_issuer() -> InvoiceIssuer:
    """The issuer the company uses (``FINANCE_INVOICE_ISSUER``)."""
    code = settings.FINANCE_INVOICE_ISSUER
    try:
        return ISSUERS[code]()
    except KeyError:
        raise ImproperlyConfigured(
            f"FINANCE_INVOICE_ISSUER={code!r}: choose one of {', '.join(sorted(ISSUERS))}."
        ) from None


def is_digital_number(value: str) -> bool:
    return len(value) == DIGITAL_NUMBER_LENGTH and value.isdigit()
