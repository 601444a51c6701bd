"""The distribution desk: where recruitment stands, what is due, and partners' sales."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from ..models import PIPELINE, PartnerKind, PartnerState
from ..selectors import deals as deal_selectors
from ..selectors import partners as selectors
from .common import bar_chart, sees_everyone

VIEW = "distribution.view_partner"


@login_required
@permission_required(VIEW, raise_exception=True)
def home(request: HttpRequest) -> HttpResponse:
    everyone = sees_everyone(request.user)
    owner = None if everyone else request.user
    counts = selectors.pipeline_counts()
    labels = dict(PartnerState.choices)
    kinds = []
    for kind, label in PartnerKind.choices:
        per_state = counts.get(kind, {})
        kinds.append(
            {
                "kind": kind,
                "label": label,
                "columns": [
                    {"state": state, "label": labels[state], "count": per_state.get(state, 0)}
                    for state in PIPELINE[PartnerKind(kind)]
                ],
                "total": sum(per_state.values()),
            }
        )
    waiting = deal_selectors.deals_needing_action(owner_id=None if everyone else request.user.pk)
    context = {
        "everyone": everyone,
        "kinds": kinds,
        "steps": list(selectors.steps_due(owner=owner)[:100]),
        "expiring": list(selectors.authorizations_expiring(owner=owner)[:100]),
        "coming": list(selectors.deals_coming(owner=owner)[:50]),
        "waiting": list(waiting[:50]),
        "applications": selectors.applications_to_screen().count(),
        "now": timezone.now(),
    }
    return render(request, "distribution/home.html", context)


@login_required
@permission_required(VIEW, raise_exception=True)
def pipeline(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    if kind not in PartnerKind.values:
        kind = PartnerKind.AGENT
    mine = request.GET.get("mine") == "1"
    columns = selectors.pipeline(kind=kind, owner_id=request.user.pk if mine else None)
    context = {
        "kind": kind,
        "kinds": PartnerKind.choices,
        "mine": mine,
        "columns": columns,
        "total": sum(column["count"] for column in columns),
        "can_add": request.user.has_perm("distribution.handle_partner"),
    }
    return render(request, "distribution/pipeline.html", context)


@login_required
@permission_required(VIEW, raise_exception=True)
def sales_chart(request: HttpRequest) -> HttpResponse:
    sales = selectors.partner_sales_by_month(months=12)
    chart = bar_chart(sales["months"], sales["series"])
    context = {
        **chart,
        "months": sales["months"],
        "series": sales["series"],
        "rows": [
            {"label": s["label"], "values": s["values"], "total": sum(s["values"])}
            for s in sales["series"]
        ],
        "grand_total": sum(bar["total"] for bar in chart["bars"]),
    }
    return render(request, "distribution/sales_chart.html", context)
