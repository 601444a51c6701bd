"""The service desk: the review queues, today's callbacks and today's reply-script changes."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from ..models import ReturnState
from ..selectors import cases as case_selectors
from ..selectors import requests as selectors
from ..selectors import scripts as script_selectors


@login_required
@permission_required("returns.view_returnrequest", raise_exception=True)
def home(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    context = {
        "new": list(selectors.review_queue(ReturnState.NEW)),
        "awaiting_photos": list(selectors.review_queue(ReturnState.AWAITING_PHOTOS)),
        "in_review": list(selectors.review_queue(ReturnState.IN_REVIEW)),
        "callbacks": list(case_selectors.callbacks_due_on(today, owner=request.user)),
        "script_changes": list(script_selectors.changes_on(today)),
        "today": today,
        "now": timezone.now(),
    }
    return render(request, "returns/home.html", context)
