"""Every form of the project has its bounds (issue 23 §5), and a few forms show how they hold.

``test_every_form_field_is_bounded`` walks every ``Form`` class the project defines (each
app's modules imported, forms, views and admins alike) and checks each declared field: a
number has a largest value (and a decimal its digits), a text its ``max_length``, a date or
a time one of the kernel's windows (``ecomops.bounds``), a file its size. A new form with an
unbounded field fails it, naming the field.

The behaviour tests post hostile values (10³⁰, NaN, year 8297, a NUL, a range of 10¹²
waybill numbers) through the pages: the page comes back with the error on that field (200,
or 400 where the view answers an invalid form so), what was typed is kept, and nothing is
saved.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django import forms
from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator
from django.test import Client
from django.urls import reverse

from ecomops import bounds
from tests.timeutil import at

PROJECT_PACKAGES = ("ecomops", *settings.BUSINESS_APPS)
# Modules that hold no forms and must not be imported twice (settings) or at all (scripts).
SKIPPED = (".migrations", ".management", ".settings", ".wsgi", ".asgi")

# Uploads whose size the service measures before reading (the setting that bounds it), so
# the form's field needs no limit of its own.
SIZED_BY_SERVICE: dict[str, str] = {
    "listings.forms.ImageUploadForm.image": "LISTING_IMAGE_LIMITS",
    "orders.forms.ImportForm.exports": "orders.services.platform_exports MAX_FILE_BYTES",
    "orders.forms.ShopDocumentForm.file": "SHOP_DOCUMENT_MAX_BYTES",
    "returns.forms.PhotoForm.photos": "RETURNS_PHOTO_LIMITS",
    "distribution.forms.DocumentForm.file": "DISTRIBUTION_DOCUMENT_MAX_BYTES",
    "ecomops.worktasks.forms.DispatchForm.attachments": "WORKTASKS_ATTACHMENT_MAX_BYTES",
    "ecomops.worktasks.forms.ReportForm.attachments": "WORKTASKS_ATTACHMENT_MAX_BYTES",
}

WINDOWS = {
    bounds.validate_moment,
    bounds.validate_planned_moment,
    bounds.validate_day,
    bounds.validate_planned_day,
}


def _project_modules() -> Iterator[Any]:
    for package_name in PROJECT_PACKAGES:
        package = importlib.import_module(package_name)
        yield package
        for info in pkgutil.walk_packages(package.__path__, f"{package_name}."):
            if not any(part in info.name for part in SKIPPED):
                yield importlib.import_module(info.name)


def project_forms() -> list[Any]:
    """Every form class the project defines (``Any``: ``base_fields`` is set by the metaclass)."""
    found: dict[str, Any] = {}
    for module in _project_modules():
        for obj in vars(module).values():
            if (
                inspect.isclass(obj)
                and issubclass(obj, forms.BaseForm)
                and obj.__module__ == module.__name__
            ):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return [found[name] for name in sorted(found)]


FORMS = project_forms()


def _has_max(field: forms.Field) -> bool:
    return getattr(field, "max_value", None) is not None or any(
        isinstance(v, MaxValueValidator) for v in field.validators
    )


def unbounded(field: forms.Field, name: str) -> str | None:
    """What ``field`` lacks, or None."""
    if isinstance(field, forms.DecimalField):
        if not _has_max(field) or field.max_digits is None:
            return "a decimal needs max_value and max_digits"
    elif isinstance(field, forms.IntegerField | forms.FloatField):
        if not _has_max(field):
            return "a number needs max_value"
    elif isinstance(field, forms.CharField):
        if field.max_length is None and not any(
            isinstance(v, MaxLengthValidator) for v in field.validators
        ):
            return "a text needs max_length"
    elif isinstance(field, forms.DateField | forms.DateTimeField):
        if not WINDOWS & set(field.validators):
            return "a date or time needs a window of ecomops.bounds (form_date, form_moment…)"
    elif (
        isinstance(field, forms.FileField)
        and not isinstance(field, bounds.BoundedFileField)
        and name not in SIZED_BY_SERVICE
    ):
        return "a file needs a size limit (ecomops.bounds.BoundedFileField)"
    return None


def test_the_walk_finds_the_forms_of_every_app() -> None:
    apps = {form.__module__.split(".")[0] for form in FORMS}
    assert apps == set(PROJECT_PACKAGES)
    assert len(FORMS) > 100


def test_every_service_sized_upload_still_exists() -> None:
    """The list above names real fields (a renamed one would silently leave the list)."""
    fields = {
        f"{form.__module__}.{form.__qualname__}.{name}"
        for form in FORMS
        for name in form.base_fields
    }
    assert set(SIZED_BY_SERVICE) <= fields


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f"{f.__module__}.{f.__qualname__}")
def test_every_form_field_is_bounded(form: Any) -> None:
    prefix = f"{form.__module__}.{form.__qualname__}"
    problems = {
        name: problem
        for name, field in form.base_fields.items()
        if (problem := unbounded(field, f"{prefix}.{name}")) is not None
    }
    assert problems == {}, f"{prefix}: unbounded fields {problems}"


# --- Hostile input through the pages ------------------------------------------------------------

NOW = at(2026, 11, 23, 10)


def local_input(moment: Any) -> str:
    from django.utils import timezone

    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def client() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def _carrier() -> Any:
    from tests.warehouse.factories import CarrierFactory

    return CarrierFactory()


def _form_error(response: Any, field: str, form_name: str = "form") -> Any:
    """The page shown again with the form (200; 400 where the view answers an invalid form
    so), the error on ``field``."""
    assert response.status_code in (200, 400), response.status_code
    form = response.context[form_name]
    assert field in form.errors, form.errors
    return form


@pytest.mark.django_db
@pytest.mark.clock(NOW)
@pytest.mark.usefixtures("english", "clock")
@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param({"offline_monthly_sales": str(10**30)}, "offline_monthly_sales", id="1e30"),
        pytest.param(
            {"offline_monthly_sales": "2147483647"}, "offline_monthly_sales", id="int-max"
        ),
        pytest.param({"base_subsidy_price": "NaN"}, "base_subsidy_price", id="price-NaN"),
        pytest.param({"online_guide_price": "Infinity"}, "online_guide_price", id="price-inf"),
        pytest.param({"offline_market_price": "1e30"}, "offline_market_price", id="price-10^30"),
        pytest.param({"product_name": "玻尿酸\x00面霜"}, "product_name", id="name-NUL"),
        pytest.param({"description": "长" * 2001}, "description", id="description-too-long"),
    ],
)
def test_a_listing_application_refuses_hostile_input_and_keeps_what_was_typed(
    client: Client, make_user: Any, change: dict[str, str], field: str
) -> None:
    """A ModelForm: its bounds come from ``bounded_formfield`` on the model's fields."""
    from listings.models import ListingApplication
    from tests.listings.factories import application_data

    client.force_login(make_user("bu_applicant"))
    typed = {k: (v.pk if hasattr(v, "pk") else v) for k, v in application_data().items()}
    typed.update(change)
    form = _form_error(client.post(reverse("listings:application_new"), typed), field)
    assert form.data["fit_reason"] == typed["fit_reason"]
    assert form.data[field] == typed[field]
    assert not ListingApplication.objects.exists()


@pytest.mark.django_db
@pytest.mark.clock(NOW)
@pytest.mark.usefixtures("english", "clock")
@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param({"live_until": "8297-01-01T10:00"}, "live_until", id="year-8297"),
        pytest.param({"live_from": "0001-01-01T10:00"}, "live_from", id="year-1"),
        pytest.param({"name": "双\x0011"}, "name", id="name-NUL"),
        pytest.param({"goal": "x" * 4001}, "goal", id="goal-too-long"),
    ],
)
def test_a_campaign_refuses_hostile_input_and_keeps_what_was_typed(
    client: Client, make_user: Any, change: dict[str, str], field: str
) -> None:
    from marketing.models import Campaign

    promoter = make_user("promotion")
    client.force_login(promoter)
    typed = {
        "name": "Double 11",
        "goal": "Clear the winter stock",
        "live_from": local_input(NOW + timedelta(days=10)),
        "live_until": local_input(NOW + timedelta(days=13)),
        "owner": promoter.pk,
        **change,
    }
    form = _form_error(client.post(reverse("marketing:campaign_new"), typed), field)
    assert form.data["goal"] == typed["goal"]
    assert form.data[field] == typed[field]
    assert not Campaign.objects.exists()


@pytest.mark.django_db
@pytest.mark.clock(NOW)
@pytest.mark.usefixtures("english", "clock")
@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param({"group_price": "NaN"}, "group_price", id="price-NaN"),
        pytest.param({"group_price": str(10**30)}, "group_price", id="price-10^30"),
        pytest.param({"min_quantity": str(2**31)}, "min_quantity", id="quantity-2^31"),
        pytest.param({"estimated_quantity": str(10**30)}, "estimated_quantity", id="est-10^30"),
    ],
)
def test_a_deal_line_refuses_hostile_input(
    client: Client, make_user: Any, change: dict[str, str], field: str
) -> None:
    """The page is answered with the error on the field (the deal page, 200)."""
    from distribution.forms import DealLineForm

    typed = {"sku": "", "group_price": "99.00", "min_quantity": "1", "estimated_quantity": "10"}
    typed.update(change)
    form = DealLineForm(typed)
    assert not form.is_valid()
    assert field in form.errors
    assert form.data[field] == typed[field]


@pytest.mark.django_db
@pytest.mark.clock(NOW)
@pytest.mark.usefixtures("english", "clock")
@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        pytest.param({"last": str(10**30)}, "last", "", id="last-10^30"),
        pytest.param(
            {"first": "1", "last": str(10**12)}, "last", "At most 10,000,000", id="range-10^12"
        ),
        pytest.param({"first": "NaN"}, "first", "", id="first-NaN"),
        pytest.param({"number_prefix": "A\x00"}, "number_prefix", "", id="prefix-NUL"),
    ],
)
def test_a_waybill_range_refuses_hostile_input_and_keeps_what_was_typed(
    client: Client, make_user: Any, change: dict[str, str], field: str, words: str
) -> None:
    """A range of 10¹² numbers is refused by its two ends, nothing counts or lists them."""
    from tests.warehouse.factories import make_waybill_account
    from warehouse.models import WaybillRange

    account = make_waybill_account(_carrier(), first=1, last=0)
    ranges = WaybillRange.objects.count()
    client.force_login(make_user("warehouse_admin"))
    typed = {"number_prefix": "75", "first": "310000001000", "last": "310000001999", **change}
    response = client.post(reverse("warehouse:waybill_range_load", args=[account.pk]), typed)
    form = _form_error(response, field, "range_form")
    assert words in " ".join(form.errors[field])
    assert form.data[field] == typed[field]
    assert WaybillRange.objects.count() == ranges


@pytest.mark.django_db
@pytest.mark.clock(NOW)
@pytest.mark.usefixtures("english", "clock")
def test_a_waybill_file_over_the_limit_is_refused_on_its_field(
    client: Client, make_user: Any
) -> None:
    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.warehouse.factories import make_waybill_account
    from warehouse.models import WaybillNumber

    account = make_waybill_account(_carrier(), first=1, last=0)
    client.force_login(make_user("warehouse_admin"))
    line = b"750000000001\n"
    big = line * (settings.WAYBILL_LIST_MAX_BYTES // len(line) + 1)
    url = reverse("warehouse:waybill_numbers_load", args=[account.pk])
    response = client.post(url, {"numbers": "", "file": SimpleUploadedFile("n.csv", big)})
    form = _form_error(response, "file", "numbers_form")
    assert "at most" in " ".join(form.errors["file"])
    assert not WaybillNumber.objects.exists()
    response = client.post(url, {"numbers": "", "file": SimpleUploadedFile("n.csv", line)})
    assert response.status_code == 302
    assert WaybillNumber.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.clock(NOW)
@pytest.mark.usefixtures("english", "clock")
def test_a_long_list_of_waybill_numbers_is_refused_whole(make_user: Any) -> None:
    from ecomops.errors import ApplicationError
    from tests.warehouse.factories import make_waybill_account
    from warehouse.models import WaybillNumber
    from warehouse.services import waybills

    account = make_waybill_account(_carrier(), first=1, last=0)
    numbers = [f"75{n:010d}" for n in range(waybills.MAX_LIST + 1)]
    with pytest.raises(ApplicationError) as refused:
        waybills.waybill_numbers_load(
            account_id=account.pk, numbers=numbers, by=make_user("warehouse_admin")
        )
    assert "numbers" in refused.value.extra["fields"]
    assert not WaybillNumber.objects.exists()


@pytest.mark.django_db
@pytest.mark.clock(NOW)
@pytest.mark.usefixtures("english", "clock")
@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param({"issued_on": "8297-01-01"}, "issued_on", id="year-8297"),
        pytest.param({"total_amount": "NaN"}, "total_amount", id="amount-NaN"),
        pytest.param({"total_amount": str(10**30)}, "total_amount", id="amount-10^30"),
        pytest.param({"number": "2633200000000000\x00123"}, "number", id="number-NUL"),
    ],
)
def test_a_digital_invoice_entry_refuses_hostile_input(change: dict[str, str], field: str) -> None:
    from finance.digital_forms import DigitalEntryForm

    typed = {"number": "26332000000000001234", "issued_on": "2026-11-23", "total_amount": "99.00"}
    typed.update(change)
    form = DigitalEntryForm(typed)
    assert not form.is_valid()
    assert field in form.errors
    assert form.data[field] == typed[field]


@pytest.mark.clock(NOW)
@pytest.mark.usefixtures("clock")
def test_the_windows_follow_the_clock() -> None:
    """A day planned 20 years ahead passes, the day after is refused; a day that happened
    may be at most tomorrow."""
    from django.core.exceptions import ValidationError

    today = NOW.date()  # the clock stands at NOW
    bounds.validate_planned_day(today + timedelta(days=20 * 365))
    with pytest.raises(ValidationError):
        bounds.validate_planned_day(today.replace(year=today.year + 21))
    bounds.validate_day(today)
    with pytest.raises(ValidationError):
        bounds.validate_day(today + timedelta(days=3))
    with pytest.raises(ValidationError):
        bounds.validate_day(today.replace(year=today.year - 6))
