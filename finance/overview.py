"""What finance gives the manager's live overview (``ecomops.portal.overview``): the invoice
requests due today, which came in before the invoice cut (开票截止), and those already late."""

from __future__ import annotations

import math
from datetime import datetime

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from ecomops import cutoffs
from ecomops.calendar import day_closing, local_datetime
from ecomops.portal.overview import Figure, register_figures

from .models import InvoiceRequest, InvoiceRequestState


def invoice_figures(now: datetime) -> list[Figure]:
    """Requests to issue by today's close (in before the cut, or earlier and still open), and
    how many of them are past their due time, in one query."""
    today = timezone.localdate(now)
    counts = InvoiceRequest.objects.filter(
        state=InvoiceRequestState.REQUESTED, due_at__lte=day_closing(today)
    ).aggregate(n=Count("pk"), late=Count("pk", filter=Q(due_at__lt=now)))
    cut = cutoffs.invoice_cut(now)
    left = math.ceil((local_datetime(today, cut) - now).total_seconds() / 60)
    if left > 0:
        note = _("Invoice cut %(cut)s: %(minutes)d min left") % {
            "cut": time_format(cut, "H:i"),
            "minutes": left,
        }
    else:
        note = _("Invoice cut %(cut)s passed: new requests are due the next working day") % {
            "cut": time_format(cut, "H:i")
        }
    return [
        Figure(
            key="finance.invoices_due",
            label=pgettext_lazy("overview", "Invoices due today"),
            value=counts["n"],
            late=counts["late"],
            url_name="finance:home",
            note=note,
            permission="finance.issue_invoice",
        )
    ]


register_figures("finance.invoices", invoice_figures, order=30)
