"""Every user-facing string has a Chinese translation, the compiled catalogues match, and the
Chinese says what the English means.

Django merges catalogues LOCALE_PATHS first, then INSTALLED_APPS in order, then its own, and
the first that translates a message wins. One message (context and English) must therefore
read the same in every catalogue of ours, and the same as Django's own translation: otherwise
whichever catalogue comes first decides, and the admin's "Change" link reads 调整数量.
"""

from __future__ import annotations

import functools
import io
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import django
import openpyxl
import polib
import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.admin.sites import site as admin_site
from django.db.models import Model
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from django_fsm_log.admin import StateLogInline as UpstreamStateLogInline

from ecomops.admin_inlines import StateLogInline
from finance import services as finance_services
from finance.models import Refund
from orders.models import Order, OrderState
from tests.finance.factories import invoice_for, pay, priced_order, sku_with_tax
from tests.returns.factories import delivered_order, open_return
from tests.warehouse.factories import MONDAY_MORNING, make_warehouse

Key = tuple[str | None, str]

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = sorted(
    p
    for p in ROOT.glob("**/locale/zh_Hans/LC_MESSAGES/django.po")
    if ".venv" not in p.parts and "var" not in p.parts
)
DJANGO_DIR = Path(django.__file__).resolve().parent
DJANGO_CATALOGUES = sorted(
    [
        DJANGO_DIR / "conf/locale/zh_Hans/LC_MESSAGES/django.mo",
        *DJANGO_DIR.glob("contrib/*/locale/zh_Hans/LC_MESSAGES/django.mo"),
    ]
)


def name(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


@functools.cache
def messages(path: Path) -> dict[Key, str]:
    """(context, English) → Chinese of one catalogue: translated entries only, plurals by
    their one form (Chinese has one)."""
    catalogue = polib.mofile(str(path)) if path.suffix == ".mo" else polib.pofile(str(path))
    found: dict[Key, str] = {}
    for entry in catalogue:
        if entry.obsolete or "fuzzy" in entry.flags or not entry.msgid:
            continue
        text = entry.msgstr or next(iter(entry.msgstr_plural.values()), "")
        if text:
            found[(entry.msgctxt, entry.msgid)] = text
    return found


def third_party_catalogues() -> list[Path]:
    """The zh_Hans catalogues of installed apps that are neither Django's nor ours."""
    found = []
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        installed = {"site-packages", "dist-packages"} & set(path.parts)
        if not installed or path.is_relative_to(DJANGO_DIR):
            continue
        mo = path / "locale/zh_Hans/LC_MESSAGES/django.mo"
        if mo.exists():
            found.append(mo)
    return found


def differences(ours: dict[Path, dict[Key, str]], theirs: dict[Path, dict[Key, str]]) -> list[str]:
    found = []
    for our_path, our_messages in ours.items():
        for their_path, their_messages in theirs.items():
            if their_path == our_path:
                continue
            for key in our_messages.keys() & their_messages.keys():
                if our_messages[key] != their_messages[key]:
                    found.append(
                        f"{key!r}: {name(our_path)} says {our_messages[key]!r}, "
                        f"{name(their_path)} says {their_messages[key]!r}"
                    )
    return sorted(set(found))


# --- The catalogues ---------------------------------------------------------------------------


def test_there_are_catalogues() -> None:
    assert CATALOGUES, "no zh_Hans catalogue found: run `make messages`"


@pytest.mark.parametrize("po_path", CATALOGUES, ids=name)
def test_catalogue_is_complete_and_compiled(po_path: Path) -> None:
    po = polib.pofile(str(po_path))
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert not untranslated, f"untranslated in {po_path}: {untranslated[:20]}"
    assert not fuzzy, f"fuzzy in {po_path}: {fuzzy[:20]}"

    mo_path = po_path.with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path} missing: run `make messages`"
    compiled = {
        (e.msgctxt, e.msgid): (e.msgstr, tuple(e.msgstr_plural.items()))
        for e in polib.mofile(str(mo_path))
    }
    for entry in po.translated_entries():
        key = (entry.msgctxt, entry.msgid)
        assert key in compiled, f"{entry.msgid!r} is not compiled in {mo_path}: run `make messages`"
        assert compiled[key][0] == entry.msgstr, f"{entry.msgid!r} is stale in {mo_path}"


def test_no_two_catalogues_translate_a_message_differently() -> None:
    """One English word with two meanings gets a context per meaning (pgettext), and each
    (context, English) reads the same in every app."""
    ours = {path: messages(path) for path in CATALOGUES}
    assert differences(ours, ours) == []


def test_no_catalogue_retranslates_a_django_message() -> None:
    """Our catalogues come before Django's: a different translation of one of Django's
    messages would change the admin and the forms (our own meaning takes a context)."""
    ours = {path: messages(path) for path in CATALOGUES}
    django_messages = {path: messages(path) for path in DJANGO_CATALOGUES}
    assert django_messages, "Django's zh_Hans catalogues not found"
    assert differences(ours, django_messages) == []


def test_no_catalogue_contradicts_an_installed_apps_message() -> None:
    """Third-party apps come before ours in INSTALLED_APPS: a message they translate
    ("Name" is 任务名 in django-celery-beat) would win on our pages. Where Django translates
    the message too, Django's words are the rule (the test above)."""
    django_keys: set[Key] = set()
    for path in DJANGO_CATALOGUES:
        django_keys |= messages(path).keys()
    ours = {
        path: {k: v for k, v in messages(path).items() if k not in django_keys}
        for path in CATALOGUES
    }
    third_party = {path: messages(path) for path in third_party_catalogues()}
    assert third_party, "no third-party catalogue found (django-celery-beat has one)"
    assert differences(ours, third_party) == []


def test_app_catalogues_are_found_by_app_loading() -> None:
    """LOCALE_PATHS holds the kernel's and the shared templates' catalogue only; each
    business app's catalogue sits in the app, where Django's app loading finds it."""
    assert [Path(p) for p in settings.LOCALE_PATHS] == [ROOT / "locale"]
    app_dirs = {Path(config.path).resolve() for config in apps.get_app_configs()}
    for po_path in CATALOGUES:
        owner = po_path.parents[3]
        assert owner == ROOT or owner in app_dirs, f"{name(po_path)} belongs to no app"


def test_every_message_reads_as_its_catalogue_says() -> None:
    """At run time, whatever the order of the catalogues, each message of ours reads as our
    catalogue says (those a third-party app translates too read as that app says)."""
    others: set[Key] = set()
    for path in third_party_catalogues():
        others |= messages(path).keys()
    wrong = []
    with translation.override("zh-hans"):
        for po_path in CATALOGUES:
            for entry in polib.pofile(str(po_path)).translated_entries():
                key = (entry.msgctxt, entry.msgid)
                if key in others:
                    continue
                if entry.msgid_plural:
                    expected = entry.msgstr_plural[0]
                    got = (
                        translation.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, 1)
                        if entry.msgctxt
                        else translation.ngettext(entry.msgid, entry.msgid_plural, 1)
                    )
                else:
                    expected = entry.msgstr
                    got = (
                        translation.pgettext(entry.msgctxt, entry.msgid)
                        if entry.msgctxt
                        else translation.gettext(entry.msgid)
                    )
                if got != expected:
                    wrong.append(f"{key!r} in {name(po_path)}: {got!r}, not {expected!r}")
    assert wrong == []


# --- Nothing of ours is left in English --------------------------------------------------------

OUR_APPS = [*settings.BUSINESS_APPS, "ecomops."]


def our_models() -> list[type[Model]]:
    return [
        model
        for model in apps.get_models()
        if model._meta.app_config.name.startswith(tuple(OUR_APPS))
        # simple_history's copies: their columns are django-simple-history's own
        and not model.__name__.startswith("Historical")
    ]


@pytest.mark.parametrize("model", our_models(), ids=lambda m: m._meta.label)
def test_every_field_and_choice_has_words_to_translate(model: type[Model]) -> None:
    """A field without a (lazy) verbose_name shows its Python name in the admin, in English
    whatever the language ("state before hold")."""
    untranslated = []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        if not isinstance(field.verbose_name, Promise):
            untranslated.append(field.name)
        for _value, label in field.flatchoices or ():
            if not isinstance(label, Promise):
                untranslated.append(f"{field.name}: {label}")
    assert untranslated == []


def test_the_state_before_a_hold_is_named_and_shown_as_a_state() -> None:
    field = Order._meta.get_field("state_before_hold")
    with translation.override("zh-hans"):
        assert str(field.verbose_name) == "挂起前状态"
        order = Order(state=OrderState.ON_HOLD, state_before_hold=OrderState.IDENTIFIED)
        assert order.get_state_before_hold_display() == str(OrderState.IDENTIFIED.label)
        assert order.get_state_before_hold_display() != "identified"


def test_the_admin_state_log_is_ours_everywhere() -> None:
    """Every admin showing django-fsm-log rows uses the kernel's inline (labels, words)."""
    upstream = [
        f"{model._meta.label}: {type(model_admin).__name__}"
        for model, model_admin in admin_site._registry.items()
        for inline in model_admin.inlines
        if issubclass(inline, UpstreamStateLogInline)
    ]
    assert upstream == []
    assert any(
        issubclass(inline, StateLogInline)
        for model_admin in admin_site._registry.values()
        for inline in model_admin.inlines
    )


# --- The screens that said the wrong thing -----------------------------------------------------


@pytest.fixture
def chinese() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="zh-hans")


@pytest.fixture
def sku(db: None) -> Any:
    make_warehouse()
    return sku_with_tax("SKU-13", "0.13")


@pytest.fixture
def clerk(make_user: Any) -> Any:
    return make_user("finance_clerk", username="clerk", email="clerk@example.com")


@pytest.fixture
def manager(make_user: Any) -> Any:
    return make_user("manager", username="boss")


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


@pytest.mark.django_db
def test_the_admin_change_and_add_links_read_djangos_words(chinese, manager):
    chinese.force_login(manager)
    for url in (reverse("admin:index"), reverse("admin:app_list", args=["warehouse"])):
        html = page(chinese, url)
        assert ">修改</a>" in html
        assert ">增加</a>" in html
        assert "调整数量" not in html
        assert "加入" not in html


@pytest.mark.clock(MONDAY_MORNING)
@pytest.mark.django_db
def test_an_issued_invoice_request_reads_issued(chinese, clerk, sku):
    invoice = invoice_for(priced_order([(sku, 1, "100.00")]), clerk)
    chinese.force_login(clerk)
    html = page(chinese, reverse("finance:request_detail", args=[invoice.request_id]))
    assert ">已开具</span>" in html
    assert "开单时间" not in html
    html = page(chinese, invoice.get_absolute_url())
    assert "开具时间" in html
    assert "开单时间" not in html


@pytest.mark.clock(MONDAY_MORNING)
@pytest.mark.django_db
def test_a_returns_opened_time_is_when_it_was_created(chinese, make_user, sku):
    service = make_user("aftersales_service", username="service")
    request = open_return(delivered_order([(sku, 1, "50.00")]), service)
    chinese.force_login(service)
    html = page(chinese, request.get_absolute_url())
    assert "<dt>创建时间</dt>" in html
    assert "开店时间" not in html


@pytest.mark.clock(MONDAY_MORNING)
@pytest.mark.django_db
def test_the_finance_match_button_reads_match_payments(chinese, clerk):
    payment = finance_services.bank_payment_record(
        reference="ICBC-10",
        amount=Decimal("10.00"),
        paid_at=MONDAY_MORNING,
        payer_name="x",
        by=clerk,
    )
    chinese.force_login(clerk)
    html = page(chinese, reverse("finance:payment_detail", args=[payment.pk]))
    assert 'type="submit">核销</button>' in html
    assert "匹配度" not in html


@pytest.mark.clock(MONDAY_MORNING)
@pytest.mark.django_db
def test_a_paid_refund_reads_paid(chinese, clerk, manager, sku):
    order = priced_order([(sku, 1, "50.00")])
    pay(order)
    refund = finance_services.refund_request(
        order_id=order.pk, amount=Decimal("50.00"), reason="退货", by=manager
    )
    finance_services.refund_approve(refund_id=refund.pk, by=manager)
    finance_services.refund_pay(refund_id=refund.pk, reference="ALIREFUND-1", by=clerk)
    chinese.force_login(clerk)
    html = page(chinese, reverse("finance:refund_detail", args=[refund.pk]))
    assert ">已付款</span>" in html

    # The admin's state log: Chinese columns, the step's and the states' words, who.
    chinese.force_login(manager)
    html = page(chinese, reverse("admin:finance_refund_change", args=[refund.pk]))
    for words in ("状态变更记录", "原状态", "新状态", "操作人", "审批通过", "已审批", "已付款"):
        assert words in html, words
    assert "Target state" not in html
    assert Refund.objects.get(pk=refund.pk).state == "paid"


@pytest.mark.clock(MONDAY_MORNING)
@pytest.mark.django_db
def test_the_product_data_package_sheet_is_in_chinese(sku):
    from listings.exports import product_data_package

    with translation.override("zh-hans"):
        archive = zipfile.ZipFile(io.BytesIO(product_data_package([sku.pk])))
    sheets = [n for n in archive.namelist() if n.endswith(".xlsx")]
    assert len(sheets) == 1
    assert sheets[0].startswith("商品信息表-"), sheets[0]
    workbook = openpyxl.load_workbook(io.BytesIO(archive.read(sheets[0])))
    assert workbook.sheetnames == ["商品信息"]
    header = next(workbook.worksheets[0].iter_rows(values_only=True))
    assert header[0] == "SKU 编码"
    assert not [h for h in header if str(h).isascii()], header
