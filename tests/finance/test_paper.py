"""Finance's paper as a Chinese reader expects it: the invoice's title per kind and medium,
goods named with their tax category (*日用杂品*枕头), the issuer by name family name first,
and the reconciliation report naming channels rather than their codes."""

from __future__ import annotations

import io
from datetime import time, timedelta
from typing import Any

import pytest
from django.utils import timezone
from pypdf import PdfReader

from ecomops.calendar import local_datetime
from finance import pdf, services
from finance.models import MismatchKind
from listings.models import Sku
from tests.finance.factories import COMPANY, invoice_for, make_channel, priced_order

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def text_of(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def issuer(make_user: Any) -> Any:
    return make_user("finance_clerk", username="clerk-wang", last_name="王", first_name="芳")


@pytest.fixture
def pillow(sku: Any) -> Any:
    Sku.objects.filter(pk=sku.pk).update(name="枕头", tax_category="日用杂品")
    sku.refresh_from_db()
    return sku


@pytest.mark.parametrize(
    ("kind", "delivery", "title", "not_title"),
    [
        ("special", "email", "电子发票（增值税专用发票）", "电子发票（专用发票）"),
        ("ordinary", "email", "电子发票（普通发票）", "增值税普通发票"),
        ("special", "post", "增值税专用发票", "电子发票"),
        ("ordinary", "post", "增值税普通发票", "电子发票"),
    ],
)
def test_the_invoice_title_follows_its_kind_and_medium(
    pillow, issuer, kind, delivery, title, not_title
):
    details = COMPANY if kind == "special" else {}
    invoice = invoice_for(
        priced_order([(pillow, 1, "59.00")]), issuer, kind=kind, delivery=delivery, **details
    )
    text = text_of(pdf.invoice_pdf(invoice))
    assert title in text
    assert not_title not in text


def test_goods_carry_their_tax_category_and_the_issuer_is_named(pillow, issuer):
    invoice = invoice_for(priced_order([(pillow, 2, "59.00")]), issuer)
    assert invoice.lines.get().description == "*日用杂品*枕头"
    text = text_of(pdf.invoice_pdf(invoice))
    assert "*日用杂品*枕头" in text
    assert "**" not in text
    assert "开票人：王芳" in text
    assert "clerk-wang" not in text


def test_a_red_letter_invoice_keeps_the_goods_name(pillow, issuer):
    original = invoice_for(priced_order([(pillow, 1, "59.00")]), issuer, delivery="post")
    services.invoice_recover_paper(invoice_id=original.pk, by=issuer)
    red = services.invoice_red_letter(invoice_id=original.pk, reason="goods_returned", by=issuer)
    assert red.lines.get().description == "*日用杂品*枕头"


def test_the_reconciliation_report_names_channels(sku):
    shop = make_channel(code="tmall-flagship", name="天猫旗舰店")
    day = timezone.localdate() - timedelta(days=1)
    order = priced_order(
        [(sku, 1, "100.00")],
        channel=shop,
        accepted_at=local_datetime(day, time(10)),
        shipped_at=local_datetime(day, time(16)),
    )
    run = services.reconcile(day=day)
    assert run.mismatches.filter(kind=MismatchKind.SHIPPED_NOT_INVOICED, order=order).exists()
    text = text_of(run.pdf_file.open("rb").read())
    assert "天猫旗舰店" in text
    assert "tmall-flagship" not in text
