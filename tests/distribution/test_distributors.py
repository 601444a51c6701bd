"""The distributor programme: its versions, applications and their screening against
``DISTRIBUTION_SCREENING`` (specialist within the criteria, manager with a note beyond)."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from pypdf import PdfReader

from distribution import pdf
from distribution.models import PartnerState, ProgrammeVersion, Screening, ScreeningDecision
from distribution.selectors.partners import brochure_criteria, current_programme
from distribution.services import distributors
from ecomops.errors import ConflictError, PermissionDeniedError
from tests.distribution.factories import applicant, make_partner

pytestmark = pytest.mark.django_db

PROGRAMME = {
    "title": "天猫分销商招募计划",
    "introduction": "欢迎优质店铺加入。",
    "benefits": "正品货源\n一件代发\n",
    "rules": "不得低价销售\n不得售假",
    "discount_percent": "25",
    "contact": "联系渠道部 0571-88001234",
}


# --- The programme ------------------------------------------------------------------------------


def test_each_save_of_the_programme_is_a_new_version(specialist):
    first = distributors.programme_save(data=PROGRAMME, by=specialist)
    second = distributors.programme_save(
        data={**PROGRAMME, "discount_percent": "30"}, by=specialist
    )
    assert (first.version, second.version) == (1, 2)
    assert current_programme() == second
    first.refresh_from_db()
    assert first.discount_percent == Decimal("25")
    assert second.benefit_lines() == ["正品货源", "一件代发"]
    assert second.rule_lines() == ["不得低价销售", "不得售假"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": " "}, "title"),
        ({"rules": ""}, "rules"),
        ({"discount_percent": "120"}, "discount_percent"),
        ({"discount_percent": "abc"}, "discount_percent"),
    ],
)
def test_an_incomplete_programme_is_refused(specialist, change, field):
    with pytest.raises(distributors.DistributorError) as refused:
        distributors.programme_save(data={**PROGRAMME, **change}, by=specialist)
    assert field in refused.value.extra["fields"]
    assert not ProgrammeVersion.objects.exists()


def test_the_brochure_prints_the_programme_and_the_criteria(specialist, settings):
    settings.DISTRIBUTION_SCREENING = {
        "min_shop_rating": Decimal("4.70"),
        "min_monthly_sales": 60000,
        "min_years_open": Decimal("2"),
    }
    version = distributors.programme_save(data=PROGRAMME, by=specialist)
    content = pdf.brochure(version, criteria=brochure_criteria())
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    assert "天猫分销商招募计划" in text
    assert "一件代发" in text
    assert "不得售假" in text
    assert "4.70" in text
    assert "60000" in text


# --- Applications and screening ----------------------------------------------------------------


def test_a_shop_meeting_every_criterion_is_accepted_by_the_specialist(specialist):
    partner = applicant(specialist, rating="4.60", sales=50000, years="1")
    assert partner.state == PartnerState.APPLIED
    assert partner.applied_at is not None
    screening = distributors.distributor_screen(
        partner_id=partner.pk, decision="accepted", by=specialist
    )
    partner.refresh_from_db()
    assert partner.state == PartnerState.ACTIVE
    assert partner.activated_at is not None
    assert partner.channel is not None
    assert partner.channel.kind == "distributor"
    assert partner.channel.active
    assert screening.decision == ScreeningDecision.ACCEPTED
    assert screening.criteria_met
    assert screening.decided_by == specialist
    assert {c["key"]: c["met"] for c in screening.criteria} == {
        "shop_rating": True,
        "monthly_sales": True,
        "years_open": True,
    }


def test_a_shop_missing_a_criterion_needs_a_manager_and_a_note(specialist, manager, english):
    partner = applicant(specialist, rating="4.50", sales=90000, years="3")
    with pytest.raises(PermissionDeniedError) as refused:
        distributors.distributor_screen(
            partner_id=partner.pk, decision="accepted", note="老客户", by=specialist
        )
    assert refused.value.status_code == 403
    assert "Shop rating" in refused.value.message
    assert "Monthly sales" not in refused.value.message
    partner.refresh_from_db()
    assert partner.state == PartnerState.APPLIED

    with pytest.raises(distributors.DistributorError) as refused_note:
        distributors.distributor_screen(partner_id=partner.pk, decision="accepted", by=manager)
    assert "note" in refused_note.value.extra["fields"]

    screening = distributors.distributor_screen(
        partner_id=partner.pk, decision="accepted", note="销量大，评分接近", by=manager
    )
    partner.refresh_from_db()
    assert partner.state == PartnerState.ACTIVE
    assert not screening.criteria_met
    assert screening.note == "销量大，评分接近"
    rating = next(c for c in screening.criteria if c["key"] == "shop_rating")
    assert rating == {
        "key": "shop_rating",
        "label": "Shop rating",
        "minimum": "4.60",
        "value": "4.50",
        "met": False,
    }


def test_declining_needs_a_note_and_the_shop_may_apply_again(specialist):
    partner = applicant(specialist, rating="3.90", sales=1000, years="0.5")
    with pytest.raises(distributors.DistributorError) as refused:
        distributors.distributor_screen(partner_id=partner.pk, decision="declined", by=specialist)
    assert "note" in refused.value.extra["fields"]
    screening = distributors.distributor_screen(
        partner_id=partner.pk, decision="declined", note="评分和销量不足", by=specialist
    )
    partner.refresh_from_db()
    assert partner.state == PartnerState.DECLINED
    assert partner.channel is None
    assert screening.decision == ScreeningDecision.DECLINED
    assert not screening.criteria_met
    assert not partner.is_open

    partner = distributors.distributor_apply(
        partner_id=partner.pk,
        shop_rating=Decimal("4.90"),
        monthly_sales=120000,
        years_open=Decimal("1.5"),
        by=specialist,
    )
    assert partner.state == PartnerState.APPLIED
    distributors.distributor_screen(partner_id=partner.pk, decision="accepted", by=specialist)
    partner.refresh_from_db()
    assert partner.state == PartnerState.ACTIVE
    history = list(Screening.objects.filter(partner=partner).order_by("pk"))
    assert [s.decision for s in history] == ["declined", "accepted"]
    assert [s.criteria_met for s in history] == [False, True]


def test_the_settings_move_the_line(specialist, settings):
    settings.DISTRIBUTION_SCREENING = {
        "min_shop_rating": Decimal("4.90"),
        "min_monthly_sales": 50000,
        "min_years_open": Decimal("1"),
    }
    partner = applicant(specialist, rating="4.80")
    with pytest.raises(PermissionDeniedError):
        distributors.distributor_screen(partner_id=partner.pk, decision="accepted", by=specialist)
    settings.DISTRIBUTION_SCREENING = {
        "min_shop_rating": Decimal("4.50"),
        "min_monthly_sales": 50000,
        "min_years_open": Decimal("1"),
    }
    screening = distributors.distributor_screen(
        partner_id=partner.pk, decision="accepted", by=specialist
    )
    assert screening.criteria_met
    rating = next(c for c in screening.criteria if c["key"] == "shop_rating")
    assert rating["minimum"] == "4.50"


@pytest.mark.parametrize(
    ("figures", "field"),
    [
        ({"shop_rating": Decimal("5.5")}, "shop_rating"),
        ({"monthly_sales": -1}, "monthly_sales"),
        ({"years_open": Decimal("-1")}, "years_open"),
    ],
)
def test_an_application_with_bad_figures_is_refused(specialist, figures, field):
    partner = make_partner(specialist, kind="distributor", platform="tmall_distribution")
    values: dict[str, Any] = {
        "shop_rating": Decimal("4.8"),
        "monthly_sales": 60000,
        "years_open": Decimal("2"),
    }
    values.update(figures)
    with pytest.raises(distributors.DistributorError) as refused:
        distributors.distributor_apply(partner_id=partner.pk, by=specialist, **values)
    assert field in refused.value.extra["fields"]


def test_only_distributors_apply_and_only_applications_are_screened(specialist, sku):
    agent = make_partner(specialist)
    with pytest.raises(ConflictError):
        distributors.distributor_apply(
            partner_id=agent.pk,
            shop_rating=Decimal("4.8"),
            monthly_sales=60000,
            years_open=Decimal("2"),
            by=specialist,
        )
    prospect = make_partner(specialist, kind="distributor", platform="tmall_distribution")
    with pytest.raises(ConflictError):
        distributors.distributor_screen(
            partner_id=prospect.pk, decision="declined", note="未申请", by=specialist
        )
    with pytest.raises(distributors.DistributorError):
        distributors.distributor_screen(partner_id=prospect.pk, decision="maybe", by=specialist)
