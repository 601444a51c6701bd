"""What returns gives the manager's live overview (``ecomops.portal.overview``): the return
and exchange requests awaiting service's review, and those past the review clock."""

from __future__ import annotations

from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ecomops.portal.overview import Figure, register_figures
from ecomops.sla.models import SlaClock

from .models import REVIEW_CLOCK, REVIEW_STATES, ReturnRequest


def review_figures(now: datetime) -> list[Figure]:
    """Requests new, waiting for photos or in review, and those whose review clock ran out,
    in one query."""
    overdue = SlaClock.objects.filter(
        policy__code=REVIEW_CLOCK,
        content_type=ContentType.objects.get_for_model(ReturnRequest),
        object_id=OuterRef("pk"),
        stopped_at__isnull=True,
        due_at__lt=now,
    )
    counts = ReturnRequest.objects.filter(state__in=REVIEW_STATES).aggregate(
        n=Count("pk"), late=Count("pk", filter=Q(Exists(overdue)))
    )
    return [
        Figure(
            key="returns.review",
            label=pgettext_lazy("overview", "Returns awaiting review"),
            value=counts["n"],
            late=counts["late"],
            url_name="returns:home",
            note=_("New, waiting for photos or in review"),
            permission="returns.view_returnrequest",
        )
    ]


register_figures("returns.review", review_figures, order=40)
