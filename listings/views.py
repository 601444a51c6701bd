"""Portal pages of the listing process; each POST calls one service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from ecomops.errors import ApplicationError
from ecomops.forms import add_service_errors

from . import exports, selectors, services
from .forms import (
    ApplicationForm,
    BaseInfoForm,
    CatalogSearchForm,
    DelistForm,
    DesignForm,
    ImageUploadForm,
    PriceChangeForm,
    PricingForm,
    RejectForm,
)
from .models import ApplicationState, ListingApplication, Sku, SkuState

# --- Catalog ---------------------------------------------------------------------------------


@login_required
@permission_required("listings.view_sku", raise_exception=True)
def catalog(request: HttpRequest) -> HttpResponse:
    form = CatalogSearchForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_valid():
        data = form.cleaned_data
        filters = {
            "q": data["q"],
            "brand_id": data["brand"].pk if data["brand"] else None,
            "category_id": data["category"].pk if data["category"] else None,
            "state": data["state"],
        }
    skus = selectors.catalog_search(**filters)
    page = Paginator(skus, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "listings/catalog.html",
        {
            "form": form,
            "page": page,
            "counts": {SkuState(state).label: n for state, n in selectors.listing_counts().items()},
            "query": request.GET.urlencode(),
        },
    )


def _export_skus(request: HttpRequest) -> Any:
    ids = [int(i) for i in request.GET.getlist("sku") if i.isdigit()]
    if ids:
        return selectors.catalog_for_export(ids)
    form = CatalogSearchForm(request.GET or None)
    if form.is_valid() and any(form.cleaned_data.values()):
        data = form.cleaned_data
        found = selectors.catalog_search(
            q=data["q"],
            brand_id=data["brand"].pk if data["brand"] else None,
            category_id=data["category"].pk if data["category"] else None,
            state=data["state"],
        ).values_list("pk", flat=True)
        return selectors.catalog_for_export(found)
    return selectors.catalog_for_export()


def _download(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@permission_required("listings.view_sku", raise_exception=True)
def catalog_export(request: HttpRequest, fmt: str) -> HttpResponse:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    skus = _export_skus(request)
    if fmt == "csv":
        return _download(
            exports.catalog_csv(skus), f"catalog-{stamp}.csv", "text/csv; charset=utf-8"
        )
    if fmt == "xlsx":
        return _download(
            exports.catalog_workbook(skus),
            f"catalog-{stamp}.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    raise Http404


@login_required
@permission_required("listings.view_sku", raise_exception=True)
def data_package(request: HttpRequest) -> HttpResponse:
    ids = list(_export_skus(request).values_list("pk", flat=True))
    if not ids:
        messages.error(request, _("Choose at least one SKU for the data package."))
        return redirect("listings:catalog")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return _download(
        exports.product_data_package(ids), f"product-data-{stamp}.zip", "application/zip"
    )


@login_required
@permission_required("listings.view_sku", raise_exception=True)
def sku_detail(request: HttpRequest, pk: int) -> HttpResponse:
    sku = get_object_or_404(
        selectors.with_current_price(
            Sku.objects.select_related("product__brand", "product__category")
        ),
        pk=pk,
    )
    # The application's page is for those who work applications (and its applicant).
    application = getattr(sku, "application", None)
    if application is not None and not selectors.user_can_see_application(
        request.user, application
    ):
        application = None
    return render(
        request,
        "listings/sku_detail.html",
        {
            "sku": sku,
            "images": sku.images.all(),
            "prices": selectors.sku_price_history(sku=sku),
            "application": application,
            "price_form": PriceChangeForm(),
            "delist_form": DelistForm(),
            "can_price": request.user.has_perm("listings.list_sku"),
        },
    )


def _post_form(
    request: HttpRequest, form: Any, run: Callable[[dict[str, Any]], Any], success: str
) -> bool:
    """Validate ``form``, run the service; on refusal put the reasons on the form."""
    if not form.is_valid():
        return False
    try:
        run(form.cleaned_data)
    except ApplicationError as exc:
        add_service_errors(form, exc)
        return False
    messages.success(request, success)
    return True


def _form_messages(request: HttpRequest, form: Any) -> None:
    for error in form.errors.values():
        for message in error:
            messages.error(request, message)


def _sku_price(request: HttpRequest, sku: Sku) -> None:
    form = PriceChangeForm(request.POST)
    if not _post_form(
        request,
        form,
        lambda d: services.sku_price_change(sku_id=sku.pk, by=request.user, **d),
        _("The new price is recorded."),
    ):
        _form_messages(request, form)


def _sku_delist(request: HttpRequest, sku: Sku) -> None:
    form = DelistForm(request.POST)
    if not _post_form(
        request,
        form,
        lambda d: services.sku_delist(sku_id=sku.pk, by=request.user, reason=d["reason"]),
        _("%(sku)s is delisted.") % {"sku": sku},
    ):
        _form_messages(request, form)


def _sku_list(request: HttpRequest, sku: Sku) -> None:
    try:
        services.sku_list_online(sku_id=sku.pk, by=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(sku)s is listed.") % {"sku": sku})


# The steps posted to ``sku_action``, by name.
SKU_ACTIONS: dict[str, Callable[[HttpRequest, Sku], None]] = {
    "price": _sku_price,
    "delist": _sku_delist,
    "list": _sku_list,
}


@login_required
@permission_required("listings.list_sku", raise_exception=True)
def sku_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    sku = get_object_or_404(Sku, pk=pk)
    if request.method != "POST":
        return redirect(sku)
    step = SKU_ACTIONS.get(action)
    if step is None:
        raise Http404
    step(request, sku)
    return redirect(sku)


# --- Applications ------------------------------------------------------------------------------


@login_required
@permission_required("listings.submit_listingapplication", raise_exception=True)
def my_applications(request: HttpRequest) -> HttpResponse:
    applications = list(selectors.applications_of(request.user))
    for application in applications:
        application.missing = selectors.application_missing(application)  # type: ignore[attr-defined]
    return render(request, "listings/my_applications.html", {"applications": applications})


@login_required
@permission_required("listings.submit_listingapplication", raise_exception=True)
def application_new(request: HttpRequest) -> HttpResponse:
    form = ApplicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            application = services.application_create(
                applicant=request.user, data=form.cleaned_data
            )
        except ApplicationError as exc:
            add_service_errors(form, exc)
        else:
            if "submit" in request.POST:
                services.application_submit(application_id=application.pk, by=request.user)
                messages.success(
                    request,
                    _("%(number)s is submitted for review.") % {"number": application.number},
                )
            else:
                messages.success(
                    request, _("%(number)s is saved as a draft.") % {"number": application.number}
                )
            return redirect(application)
    return render(request, "listings/application_form.html", {"form": form, "application": None})


@login_required
@permission_required("listings.submit_listingapplication", raise_exception=True)
def application_edit(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(ListingApplication, pk=pk, applicant=request.user)
    form = ApplicationForm(request.POST or None, instance=application)
    if request.method == "POST" and form.is_valid():
        try:
            services.application_update(application_id=pk, by=request.user, data=form.cleaned_data)
            if "submit" in request.POST:
                services.application_submit(application_id=pk, by=request.user)
                messages.success(
                    request,
                    _("%(number)s is submitted for review.") % {"number": application.number},
                )
            else:
                messages.success(request, _("Your changes are saved."))
        except ApplicationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("listings:application_detail", pk=pk)
    return render(
        request, "listings/application_form.html", {"form": form, "application": application}
    )


@login_required
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(
        ListingApplication.objects.select_related(
            "brand", "category", "applicant", "sku", "reviewer"
        ),
        pk=pk,
    )
    if not selectors.user_can_see_application(request.user, application):
        raise Http404
    user: Any = request.user
    context = {
        "application": application,
        "missing": selectors.application_missing(application),
        "rounds": selectors.application_rounds(application),
        "images": application.sku.images.all() if application.sku else [],
        "is_applicant": application.applicant_id == user.pk,
        "can_review": application.state == ApplicationState.SUBMITTED
        and selectors.user_can_review(user, application),
        "reject_form": RejectForm(),
        "image_form": ImageUploadForm(),
        "States": ApplicationState,
    }
    return render(request, "listings/application_detail.html", context)


# Actions without a form: (service, success message).
_SIMPLE_ACTIONS: dict[str, tuple[Callable[..., Any], str]] = {
    "submit": (services.application_submit, gettext_noop("%(number)s is submitted for review.")),
    "approve": (services.application_approve, gettext_noop("%(number)s is approved.")),
    "info_complete": (
        services.application_info_complete,
        gettext_noop("%(number)s is handed to the designer."),
    ),
    "design_finish": (
        services.application_design_finish,
        "The detail page of %(number)s is finished.",
    ),
    "publish": (
        services.application_publish,
        gettext_noop("%(number)s is listed: its SKU can be ordered now."),
    ),
    "withdraw": (services.application_withdraw, gettext_noop("%(number)s is withdrawn.")),
}


@login_required
@require_POST
def application_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    application = get_object_or_404(ListingApplication, pk=pk)
    try:
        if action == "reject":
            form = RejectForm(request.POST)
            if not form.is_valid():
                messages.error(
                    request,
                    _("Say why the application is rejected, so the applicant can revise it."),
                )
                return redirect(application)
            services.application_reject(
                application_id=pk, by=request.user, reason=form.cleaned_data["reason"]
            )
            messages.success(
                request,
                _("%(number)s is rejected; the applicant is told why.")
                % {"number": application.number},
            )
        elif action in _SIMPLE_ACTIONS:
            service, message = _SIMPLE_ACTIONS[action]
            service(application_id=pk, by=request.user)
            messages.success(request, _(message) % {"number": application.number})
        else:
            raise Http404
    except ApplicationError as exc:
        messages.error(request, exc.message)
    next_url = request.POST.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return redirect(next_url)
    return redirect(application)


@login_required
@permission_required("listings.submit_listingapplication", raise_exception=True)
def base_info(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(
        ListingApplication.objects.select_related("sku__product"), pk=pk, applicant=request.user
    )
    initial: dict[str, Any] = {
        "name": application.product_name,
        "specification": application.specification,
    }
    if application.sku:
        sku, product = application.sku, application.sku.product
        initial = {
            field: getattr(sku, field) for field in BaseInfoForm.base_fields if hasattr(sku, field)
        }
        initial.update(
            {
                field: getattr(product, field)
                for field in ("origin", "shelf_life", "material", "storage")
            }
        )
    form = BaseInfoForm(request.POST or None, initial=initial)
    if request.method == "POST" and _post_form(
        request,
        form,
        lambda d: services.application_base_info_save(application_id=pk, by=request.user, data=d),
        _("The base information sheet is saved."),
    ):
        return redirect(application)
    return render(request, "listings/base_info.html", {"application": application, "form": form})


@login_required
@require_POST
def image_upload(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(ListingApplication, pk=pk)
    form = ImageUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.application_image_add(
                application_id=pk,
                by=request.user,
                upload=form.cleaned_data["image"],
                kind=form.cleaned_data["kind"],
                caption=form.cleaned_data["caption"],
            )
            messages.success(request, _("The picture is uploaded."))
        except ApplicationError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, _("Choose a picture to upload."))
    return redirect(application)


@login_required
@permission_required("listings.design_listingapplication", raise_exception=True)
def design(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(
        ListingApplication.objects.select_related("sku", "brand"), pk=pk
    )
    form = DesignForm(
        request.POST or None,
        initial={
            "headline": application.detail_headline or application.product_name,
            "selling_points": application.detail_selling_points,
            "body": application.detail_body or application.description,
        },
    )
    if request.method == "POST" and _post_form(
        request,
        form,
        lambda d: services.application_design_save(application_id=pk, by=request.user, **d),
        _("The detail page is saved."),
    ):
        if "finish" in request.POST:
            try:
                services.application_design_finish(application_id=pk, by=request.user)
                messages.success(request, _("The detail page is finished and sent for pricing."))
                return redirect("listings:design_queue")
            except ApplicationError as exc:
                messages.error(request, exc.message)
        return redirect("listings:design", pk=pk)
    return render(request, "listings/design.html", {"application": application, "form": form})


@xframe_options_sameorigin  # shown in an iframe beside the designer's form
@login_required
def preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The detail page exactly as the shop will show it (house style)."""
    application = get_object_or_404(
        ListingApplication.objects.select_related("sku", "brand"), pk=pk
    )
    if not selectors.user_can_see_application(request.user, application):
        raise Http404
    return render(request, "listings/detail_page.html", _detail_page_context(application))


def _detail_page_context(application: ListingApplication) -> dict[str, Any]:
    sku = application.sku
    price = selectors.sku_online_price(sku=sku) if sku else None
    return {
        "application": application,
        "sku": sku,
        "price": price,
        "guide_price": application.online_guide_price,
        "points": [
            line.strip() for line in application.detail_selling_points.splitlines() if line.strip()
        ],
        "paragraphs": [p.strip() for p in application.detail_body.split("\n\n") if p.strip()],
        "main_images": sku.images.filter(kind="main") if sku else [],
        "detail_images": sku.images.filter(kind="detail") if sku else [],
    }


@login_required
@permission_required("listings.price_listingapplication", raise_exception=True)
def pricing(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(
        ListingApplication.objects.select_related("sku", "brand"), pk=pk
    )
    suggested = services.sales_target_suggest(application.offline_monthly_sales)
    form = PricingForm(
        request.POST or None,
        initial={"price": application.online_guide_price, "monthly_sales_target": suggested},
    )
    if request.method == "POST" and _post_form(
        request,
        form,
        lambda d: services.application_price(application_id=pk, by=request.user, **d),
        _("The price is set."),
    ):
        if request.POST.get("action") == "publish":
            try:
                services.application_publish(application_id=pk, by=request.user)
                messages.success(
                    request,
                    _("%(number)s is listed: its SKU can be ordered now.")
                    % {"number": application.number},
                )
            except ApplicationError as exc:
                messages.error(request, exc.message)
        return redirect("listings:pricing_queue")
    return render(
        request,
        "listings/pricing.html",
        {"application": application, "form": form, "suggested_target": suggested},
    )


# --- Queues -------------------------------------------------------------------------------------


@login_required
@permission_required("listings.review_listingapplication", raise_exception=True)
def review_queue(request: HttpRequest) -> HttpResponse:
    return render(request, "listings/review_queue.html", {"applications": selectors.review_queue()})


@login_required
@permission_required("listings.design_listingapplication", raise_exception=True)
def design_queue(request: HttpRequest) -> HttpResponse:
    return render(request, "listings/design_queue.html", {"applications": selectors.design_queue()})


@login_required
@permission_required("listings.price_listingapplication", raise_exception=True)
def pricing_queue(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "listings/pricing_queue.html",
        {"to_price": selectors.pricing_queue(), "to_publish": selectors.publish_queue()},
    )
