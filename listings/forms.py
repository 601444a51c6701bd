from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from ecomops.bounds import (
    LONG_TEXT_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    bounded_formfield,
    form_count,
    form_money,
    form_search,
)

from .models import Brand, Category, ListingApplication, SkuImage

# A parcel's weight and sides: a tonne, ten metres.
WEIGHT_MAX_GRAMS = 1_000_000
SIDE_MAX_MM = 10_000


class ApplicationForm(forms.ModelForm[ListingApplication]):
    class Meta:
        model = ListingApplication
        formfield_callback = bounded_formfield
        fields = [
            "brand",
            "category",
            "product_name",
            "specification",
            "description",
            "fit_reason",
            "offline_market_price",
            "online_guide_price",
            "base_subsidy_price",
            "offline_monthly_sales",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "fit_reason": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["brand"].queryset = Brand.objects.filter(active=True)  # type: ignore[attr-defined]
        self.fields["category"].queryset = Category.objects.select_related("parent")  # type: ignore[attr-defined]


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for rejecting"),
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The applicant sees this and revises the application."),
    )


class BaseInfoForm(forms.Form):
    """基础信息表: the facts the warehouse, the shop and the invoices need."""

    code = forms.CharField(label=_("SKU code"), max_length=40)
    barcode = forms.CharField(label=_("barcode (EAN-13)"), max_length=13, min_length=13)
    name = forms.CharField(label=_("SKU name"), max_length=200)
    specification = forms.CharField(label=_("specification"), max_length=200, required=False)
    unit = forms.CharField(label=_("unit"), max_length=20, initial="件")
    weight_grams = forms.IntegerField(
        label=_("weight (g)"), min_value=1, max_value=WEIGHT_MAX_GRAMS
    )
    length_mm = forms.IntegerField(
        label=_("length (mm)"), min_value=0, max_value=SIDE_MAX_MM, required=False
    )
    width_mm = forms.IntegerField(
        label=_("width (mm)"), min_value=0, max_value=SIDE_MAX_MM, required=False
    )
    height_mm = forms.IntegerField(
        label=_("height (mm)"), min_value=0, max_value=SIDE_MAX_MM, required=False
    )
    tax_rate = forms.DecimalField(
        label=_("VAT rate"),
        max_digits=4,
        decimal_places=2,
        min_value=Decimal("0.00"),
        max_value=Decimal("1.00"),
        initial=Decimal("0.13"),
        help_text=_("0.13 for 13%."),
    )
    tax_category = forms.CharField(
        label=_("tax category"),
        max_length=40,
        help_text=_(
            "The short name of the goods' tax classification, e.g. 日用杂品 or 化妆品: "
            "invoices print it before the name (*日用杂品*枕头)."
        ),
    )
    tax_code = forms.CharField(
        label=_("tax classification code"),
        max_length=19,
        required=False,
        help_text=_(
            "商品和服务税收分类编码, 19 digits. Invoices for the SKU wait until it is set."
        ),
    )
    origin = forms.CharField(label=_("place of origin"), max_length=100, required=False)
    shelf_life = forms.CharField(label=_("shelf life"), max_length=50, required=False)
    material = forms.CharField(label=_("ingredients / material"), max_length=500, required=False)
    storage = forms.CharField(label=_("storage"), max_length=200, required=False)


class ImageUploadForm(forms.Form):
    image = forms.FileField(label=_("picture"))
    kind = forms.ChoiceField(label=_("kind"), choices=SkuImage.Kind.choices)
    caption = forms.CharField(label=_("caption"), max_length=200, required=False)


class DesignForm(forms.Form):
    headline = forms.CharField(label=_("headline"), max_length=100)
    selling_points = forms.CharField(
        label=_("selling points, one per line"),
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )
    body = forms.CharField(
        label=_("detail page text"),
        max_length=LONG_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
    )


class PricingForm(forms.Form):
    price = form_money(label=_("online price (CNY)"), min_value=Decimal("0.01"))
    monthly_sales_target = form_count(label=_("monthly sales target (units)"), min_value=1)
    promotion_plan = forms.CharField(
        label=_("promotion plan"),
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    reason = forms.CharField(label=_("why this price"), max_length=300, required=False)
    below_subsidy_reason = forms.CharField(
        label=_("reason for pricing below the base subsidy price"),
        max_length=300,
        required=False,
        help_text=_("Only needed when the price is below the online base subsidy price."),
    )


class PriceChangeForm(forms.Form):
    price = form_money(label=_("new online price (CNY)"), min_value=Decimal("0.01"))
    reason = forms.CharField(label=_("reason"), max_length=300)
    below_subsidy_reason = forms.CharField(
        label=_("reason for pricing below the base subsidy price"), max_length=300, required=False
    )


class DelistForm(forms.Form):
    reason = forms.CharField(label=_("reason for delisting"), max_length=300)


class CatalogSearchForm(forms.Form):
    q = form_search(label=_("code, barcode, name or brand"))
    brand = forms.ModelChoiceField(label=_("brand"), queryset=Brand.objects.all(), required=False)
    category = forms.ModelChoiceField(
        label=_("category"), queryset=Category.objects.all(), required=False
    )
    state = forms.ChoiceField(label=_("state"), required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        from .models import SkuState

        self.fields["state"].choices = [("", _("any state")), *SkuState.choices]  # type: ignore[attr-defined]
