"""The shop opening demo: one Tmall shop open, one in the platform's review; run twice, it
adds nothing."""

from __future__ import annotations

import pytest
from django.utils import timezone

from ecomops.demo import seed_users
from ecomops.sla.selectors import clocks_for
from orders.demo_shops import seed_shops, working_days_back
from orders.models import OpeningState, ReviewDecision, ShopDocument, ShopOpening
from orders.selectors import documents_expiring, shop_review_progress
from tests.orders.factories import ensure_opening_processes
from tests.timeutil import at

pytestmark = [pytest.mark.django_db, pytest.mark.clock(at(2026, 11, 23, 7))]


def test_demo_has_an_open_shop_and_one_in_review_and_runs_twice() -> None:
    ensure_opening_processes()
    seed_users(lambda message: None)
    seed_shops(lambda message: None)
    counts = (
        ShopOpening.objects.count(),
        ShopDocument.objects.count(),
        ReviewDecision.objects.count(),
    )
    seed_shops(lambda message: None)
    assert counts == (
        ShopOpening.objects.count(),
        ShopDocument.objects.count(),
        ReviewDecision.objects.count(),
    )

    home = ShopOpening.objects.get(channel__code="tmall-home")
    assert home.state == OpeningState.OPEN
    assert home.channel.active
    assert home.owner.username == "shop_manager"
    assert home.submissions == 2
    rejection = ReviewDecision.objects.get(opening=home, passed=False)
    assert (rejection.step_name, rejection.reason) == ("初审", "商标注册证与申请品牌不一致")
    assert home.documents.filter(superseded_at__isnull=False).count() == 1
    assert not home.step_records.filter(done_at__isnull=True).exists()
    assert home.created_at < home.submitted_at < home.approved_at < home.opened_at
    assert all(clock.met for clock in clocks_for(home))

    outdoor = ShopOpening.objects.get(channel__code="tmall-outdoor")
    assert outdoor.state == OpeningState.IN_REVIEW
    assert not outdoor.channel.active
    submitted_on = timezone.localtime(outdoor.submitted_at).date()
    assert submitted_on == working_days_back(at(2026, 11, 23).date(), 8)
    progress = shop_review_progress(outdoor)
    assert progress is not None
    assert (progress.elapsed_days, progress.remaining_days) == (8, 12)
    clock = clocks_for(outdoor).get()
    assert clock.started_at == outdoor.submitted_at
    assert clock.stopped_at is None
    assert list(
        outdoor.step_records.filter(phase="review", done_at__isnull=False).values_list(
            "code", flat=True
        )
    ) == ["alipay_verification", "first_review"]
    assert documents_expiring(30).filter(opening=outdoor).exists()
