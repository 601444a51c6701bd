"""Warehouse portal: allocation queue, batch board, waves, pack station, shipping, stock.

Each POST parses a form and calls one service; a refused one shows the service's message
and keeps what was typed.
"""

from __future__ import annotations

import io
import itertools
import tempfile
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ecomops.errors import ApplicationError
from ecomops.forms import add_service_errors
from orders.models import Channel

from . import pdf, selectors, services
from .extensions import parcel_inserts
from .forms import (
    AdjustForm,
    CloseParcelForm,
    ConfirmationDoneForm,
    NoteCarrierForm,
    NoteSearchForm,
    OrdersForm,
    PickForm,
    ReceiveForm,
    ReleaseForm,
    ScanForm,
    SignManifestForm,
    StockSearchForm,
    WaybillNumbersForm,
    WaybillRangeForm,
)
from .models import (
    Batch,
    Carrier,
    ConfirmationExport,
    DeliveryNote,
    Manifest,
    Parcel,
    PickLine,
    ShipmentConfirmation,
    Wave,
)
from .services import confirmations as confirmation_services


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


# --- Allocation (parts admin) ---------------------------------------------------------------


@login_required
@permission_required("warehouse.allocate_stock", raise_exception=True)
def allocation_queue(request: HttpRequest) -> HttpResponse:
    """Confirmed orders by time left; tick and issue their delivery notes in one go."""
    orders = list(selectors.allocation_queue()[:300])
    form = OrdersForm(request.POST or None, order_ids=[o.pk for o in orders])
    if request.method == "POST":
        if form.is_valid():
            result = services.allocation_issue(
                order_ids=form.cleaned_data["orders"], by=request.user
            )
            if result.issued:
                messages.success(
                    request,
                    _("%(count)d delivery notes issued: %(numbers)s")
                    % {
                        "count": len(result.issued),
                        "numbers": ", ".join(n.number for n in result.issued),
                    },
                )
            for number, shortfall in result.held.items():
                items = ", ".join(f"{row['sku']} -{row['missing']}" for row in shortfall)
                messages.warning(
                    request,
                    _("%(number)s is on stock hold, short of %(items)s.")
                    % {"number": number, "items": items},
                )
            for number, reason in result.refused.items():
                messages.error(request, f"{number}: {reason}")
            return redirect("warehouse:allocation_queue")
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, str(message))
    context = {
        "orders": orders,
        "waiting": list(selectors.waiting_notes()[:100]),
        "short": list(selectors.short_notes()[:100]),
        "form": form,
    }
    return render(request, "warehouse/allocation_queue.html", context)


def _run(request: HttpRequest, action: Any, success: str, **kwargs: Any) -> Any:
    try:
        result = action(by=request.user, **kwargs)
    except ObjectDoesNotExist as exc:
        # A note or wave the address names but that is not (or no longer) there.
        raise Http404 from exc
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return None
    messages.success(request, success)
    return result


@login_required
@permission_required("warehouse.allocate_stock", raise_exception=True)
@require_POST
def allocation_split(request: HttpRequest, order_id: int) -> HttpResponse:
    _run(
        request,
        services.allocation_split,
        _("Split: what is in stock ships now, the rest waits for stock."),
        order_id=order_id,
    )
    return redirect("warehouse:allocation_queue")


@login_required
@permission_required("warehouse.allocate_stock", raise_exception=True)
@require_POST
def note_allocate(request: HttpRequest, pk: int) -> HttpResponse:
    _run(
        request,
        services.note_allocate_waiting,
        _("Stock reserved; the note goes into the next batch."),
        note_id=pk,
    )
    return redirect("warehouse:allocation_queue")


@login_required
@permission_required("warehouse.allocate_stock", raise_exception=True)
@require_POST
def short_split(request: HttpRequest, pk: int) -> HttpResponse:
    _run(
        request,
        services.short_note_split,
        _("What was picked ships; the missing units wait on a new delivery note."),
        note_id=pk,
    )
    return redirect("warehouse:allocation_queue")


# --- Delivery notes -------------------------------------------------------------------------------


@login_required
@permission_required("warehouse.view_deliverynote", raise_exception=True)
def note_list(request: HttpRequest) -> HttpResponse:
    form = NoteSearchForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page = Paginator(
        selectors.note_list(q=filters.get("q", ""), state=filters.get("state", "")), 50
    ).get_page(request.GET.get("page"))
    return render(request, "warehouse/note_list.html", {"form": form, "page": page})


@login_required
@permission_required("warehouse.view_deliverynote", raise_exception=True)
def note_detail(
    request: HttpRequest, pk: int, carrier_form: NoteCarrierForm | None = None
) -> HttpResponse:
    try:
        note = selectors.note_detail(pk)
    except DeliveryNote.DoesNotExist:
        raise Http404 from None
    if carrier_form is None:
        carrier_form = NoteCarrierForm(initial={"carrier": note.carrier_id})
    return render(
        request,
        "warehouse/note_detail.html",
        {
            "note": note,
            "carrier_form": carrier_form,
            "carrier_changeable": note.state in services.CHANGEABLE_STATES,
            "carrier_changes": selectors.note_carrier_changes(note),
        },
    )


@login_required
@permission_required("warehouse.change_note_carrier", raise_exception=True)
@require_POST
def note_change_carrier(request: HttpRequest, pk: int) -> HttpResponse:
    """Send the note with another carrier: logged; refused once it is packed."""
    form = NoteCarrierForm(request.POST)
    if form.is_valid():
        try:
            note = services.note_change_carrier(
                note_id=pk,
                carrier_id=form.cleaned_data["carrier"].pk,
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except DeliveryNote.DoesNotExist:
            raise Http404 from None
        except ApplicationError as exc:
            messages.error(request, exc.message)
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Delivery note %(number)s now ships with %(carrier)s.")
                % {"number": note.number, "carrier": note.carrier.name},
            )
            return redirect("warehouse:note_detail", pk=pk)
    return note_detail(request, pk, carrier_form=form)


@login_required
@permission_required("warehouse.view_deliverynote", raise_exception=True)
def note_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    notes = selectors.notes_for_print([pk])
    if not notes:
        raise Http404
    return _pdf(pdf.delivery_notes_pdf(notes), f"{notes[0].number}.pdf")


# --- Batches --------------------------------------------------------------------------------------


@login_required
@permission_required("warehouse.view_batch", raise_exception=True)
def batch_board(request: HttpRequest) -> HttpResponse:
    """Upcoming batches with their orders by state, released batches, the release button."""
    form = ReleaseForm(request.POST or None, initial={"batch_date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.batch_release(
                batch_date=form.cleaned_data["batch_date"],
                slot=form.cleaned_data["slot"],
                by=request.user,
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Batch %(batch)s released: %(count)d delivery notes.")
                % {"batch": batch, "count": batch.note_count},
            )
            return redirect(batch.get_absolute_url())
    return render(
        request,
        "warehouse/batch_board.html",
        {
            "upcoming": selectors.upcoming_batches(),
            "batches": selectors.recent_batches(),
            "form": form,
            "can_release": request.user.has_perm("warehouse.release_batch"),
        },
    )


@login_required
@permission_required("warehouse.view_batch", raise_exception=True)
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(Batch, pk=pk)
    counts = selectors.batch_note_counts(batch)
    total = sum(counts.values())
    finished = sum(counts.get(s, 0) for s in ("shipped", "delivered", "cancelled"))
    return render(
        request,
        "warehouse/batch_detail.html",
        {
            "batch": batch,
            "counts": selectors.labelled_note_counts(counts),
            "total": total,
            "progress": round(100 * finished / total) if total else 100,
            "waves": selectors.batch_waves(batch),
            "late": selectors.batch_late_notes(batch)[:200],
        },
    )


# --- Waves and picking ----------------------------------------------------------------------------


@login_required
@permission_required("warehouse.view_wave", raise_exception=True)
def wave_list(request: HttpRequest) -> HttpResponse:
    return render(request, "warehouse/wave_list.html", {"waves": selectors.open_waves()[:100]})


@login_required
@permission_required("warehouse.view_wave", raise_exception=True)
def wave_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The picker's page: lines in walking order, each confirmed with what was found."""
    try:
        wave = selectors.wave_detail(pk)
    except Wave.DoesNotExist:
        raise Http404 from None
    lines = list(selectors.wave_pick_lines(wave))
    return render(
        request,
        "warehouse/wave_detail.html",
        {
            "wave": wave,
            "lines": lines,
            "next_line": next((line for line in lines if line.picked_quantity is None), None),
            "slots": selectors.wave_sort_slots(wave) if wave.state != "picking" else [],
            "form": PickForm(),
        },
    )


@login_required
@permission_required("warehouse.pick_wave", raise_exception=True)
@require_POST
def pick_line(request: HttpRequest, pk: int) -> HttpResponse:
    line = get_object_or_404(PickLine, pk=pk)
    form = PickForm(request.POST)
    if form.is_valid():
        _run(
            request,
            services.pick_confirm,
            _("Line confirmed."),
            line_id=line.pk,
            picked_quantity=form.cleaned_data["picked_quantity"],
            reason=form.cleaned_data["reason"],
        )
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, str(message))
    return redirect(f"{line.wave.get_absolute_url()}#line-{line.pk}")


@login_required
@permission_required("warehouse.pick_wave", raise_exception=True)
@require_POST
def wave_sort(request: HttpRequest, pk: int) -> HttpResponse:
    _run(request, services.wave_sort, _("Wave sorted: its parcels can be packed."), wave_id=pk)
    return redirect("warehouse:wave_detail", pk=pk)


def _wave_print(pk: int) -> tuple[Wave, list[PickLine], list[Any]]:
    wave = get_object_or_404(Wave.objects.select_related("batch", "carrier"), pk=pk)
    return wave, list(selectors.wave_pick_lines(wave)), selectors.wave_sort_slots(wave)


@login_required
@permission_required("warehouse.view_wave", raise_exception=True)
def wave_picklist_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    wave, lines, slots = _wave_print(pk)
    return _pdf(pdf.pick_list_pdf(wave, lines, slots), f"{wave.number}-picklist.pdf")


@login_required
@permission_required("warehouse.view_wave", raise_exception=True)
def wave_documents_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """Print batch: the pick list and all delivery notes of the wave in one file."""
    wave, lines, slots = _wave_print(pk)
    notes = selectors.notes_for_print(wave=wave)
    return _pdf(pdf.wave_documents_pdf(wave, lines, slots, notes), f"{wave.number}.pdf")


@login_required
@permission_required("warehouse.view_wave", raise_exception=True)
def wave_labels_pdf(request: HttpRequest, pk: int) -> HttpResponseBase:
    """All the wave's labels in one file, written to a temporary file and streamed from it.

    A wave may hold thousands of parcels: they are read and drawn a chunk at a time and
    each page goes to the file once drawn, so the worker's memory does not grow with the wave.
    """
    wave = get_object_or_404(Wave, pk=pk)
    labels = selectors.waybill_labels(wave=wave)
    first = next(labels, None)
    if first is None:
        messages.error(request, _("No parcel of this wave is packed yet."))
        return redirect(wave.get_absolute_url())
    out = tempfile.TemporaryFile()  # noqa: SIM115 (the response closes it once sent)
    try:
        pdf.write_labels_pdf(out, itertools.chain([first], labels))
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return FileResponse(out, content_type="application/pdf", filename=f"{wave.number}-labels.pdf")


# --- Pack station ---------------------------------------------------------------------------------


def _pack_context(notes: list[DeliveryNote], **extra: Any) -> dict[str, Any]:
    lines = services.pack_lines(notes)
    return {
        "notes": notes,
        "note": notes[0],
        "lines": lines,
        "complete": all(line.packed_quantity >= line.to_pack for line in lines),
        "inserts": parcel_inserts([n.order for n in notes]),
        "scan_form": ScanForm(),
        "close_form": CloseParcelForm(),
        "scans": selectors.recent_scans(notes[0]),
        **extra,
    }


@login_required
@permission_required("warehouse.pack_parcel", raise_exception=True)
def pack_station(request: HttpRequest) -> HttpResponse:
    """Scan a delivery note (or order) barcode to start a parcel."""
    form = ScanForm(request.GET or None)
    if form.is_valid():
        try:
            notes = services.pack_find(form.cleaned_data["code"])
        except ApplicationError as exc:
            return render(
                request, "warehouse/pack_station.html", {"find_form": form, "alert": exc.message}
            )
        return redirect("warehouse:pack_note", pk=notes[0].pk)
    return render(request, "warehouse/pack_station.html", {"find_form": ScanForm()})


def _pack_notes_or_none(request: HttpRequest, pk: int) -> list[DeliveryNote] | None:
    note = get_object_or_404(DeliveryNote, pk=pk)
    try:
        return services.pack_find(note.number)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return None


@login_required
@permission_required("warehouse.pack_parcel", raise_exception=True)
def pack_note(request: HttpRequest, pk: int) -> HttpResponse:
    """Scan every item; a wrong or extra one is refused with a visible alert."""
    notes = _pack_notes_or_none(request, pk)
    if notes is None:
        return redirect("warehouse:pack_station")
    extra: dict[str, Any] = {}
    if request.method == "POST":
        form = ScanForm(request.POST)
        if form.is_valid():
            result = services.pack_scan(note_id=pk, code=form.cleaned_data["code"], by=request.user)
            extra = {"scan": result}
        else:
            extra = {"scan_error": _("Scan an item barcode.")}
    return render(request, "warehouse/pack_note.html", _pack_context(notes, **extra))


@login_required
@permission_required("warehouse.pack_parcel", raise_exception=True)
@require_POST
def pack_close(request: HttpRequest, pk: int) -> HttpResponse:
    notes = _pack_notes_or_none(request, pk)
    if notes is None:
        return redirect("warehouse:pack_station")
    form = CloseParcelForm(request.POST)
    if form.is_valid():
        try:
            parcel = services.pack_close(
                note_id=pk,
                weight_grams=form.cleaned_data["weight_grams"],
                waybill_number=form.cleaned_data["waybill_number"],
                by=request.user,
            )
        except ApplicationError as exc:
            add_service_errors(form, exc)
            context = _pack_context(notes, close_error=exc.message)
            context["close_form"] = form
            return render(request, "warehouse/pack_note.html", context)
        messages.success(
            request,
            _("Parcel %(parcel)s closed, waybill %(waybill)s.")
            % {"parcel": parcel.number, "waybill": parcel.waybill_number},
        )
        return redirect("warehouse:parcel_detail", pk=parcel.pk)
    context = _pack_context(notes)
    context["close_form"] = form
    return render(request, "warehouse/pack_note.html", context)


@login_required
@permission_required("warehouse.view_parcel", raise_exception=True)
def parcel_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        parcel = selectors.parcel_detail(pk)
    except Parcel.DoesNotExist:
        raise Http404 from None
    return render(request, "warehouse/parcel_detail.html", {"parcel": parcel})


@login_required
@permission_required("warehouse.view_parcel", raise_exception=True)
def parcel_label_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    labels = list(selectors.waybill_labels(parcel_ids=[pk]))
    if not labels:
        raise Http404
    return _pdf(pdf.labels_pdf(labels), f"{labels[0].waybill_number}.pdf")


@login_required
@permission_required("warehouse.view_parcel", raise_exception=True)
def parcel_slip_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    parcels = selectors.parcels_for_labels(parcel_ids=[pk])
    if not parcels:
        raise Http404
    return _pdf(pdf.packing_slip_pdf(parcels[0]), f"{parcels[0].number}-slip.pdf")


# --- Shipping -------------------------------------------------------------------------------------


@login_required
@permission_required("warehouse.ship_parcel", raise_exception=True)
def shipping(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        carrier = get_object_or_404(Carrier, pk=request.POST.get("carrier"))
        manifest = _run(
            request,
            services.manifest_open,
            _("Manifest ready for %(carrier)s.") % {"carrier": carrier.name},
            carrier_id=carrier.pk,
        )
        if manifest is not None:
            return redirect(manifest.get_absolute_url())
        return redirect("warehouse:shipping")
    return render(
        request,
        "warehouse/shipping.html",
        {"desks": selectors.shipping_desk(), "manifests": selectors.recent_manifests()},
    )


@login_required
@permission_required("warehouse.ship_parcel", raise_exception=True)
def manifest_detail(request: HttpRequest, pk: int) -> HttpResponse:
    manifest = get_object_or_404(Manifest.objects.select_related("carrier"), pk=pk)
    form = SignManifestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.manifest_sign(
                manifest_id=manifest.pk,
                courier_name=form.cleaned_data["courier_name"],
                counted=form.cleaned_data["counted"],
                by=request.user,
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Signed: the parcels are shipped."))
            return redirect(manifest.get_absolute_url())
    return render(
        request,
        "warehouse/manifest_detail.html",
        {"manifest": manifest, "parcels": selectors.manifest_parcels(manifest), "form": form},
    )


@login_required
@permission_required("warehouse.ship_parcel", raise_exception=True)
def manifest_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    manifest = get_object_or_404(Manifest.objects.select_related("carrier"), pk=pk)
    return _pdf(
        pdf.manifest_pdf(manifest, selectors.manifest_parcels(manifest)), f"{manifest.number}.pdf"
    )


# --- Stock ----------------------------------------------------------------------------------------


@login_required
@permission_required("warehouse.view_stockbalance", raise_exception=True)
def stock(request: HttpRequest) -> HttpResponse:
    form = StockSearchForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    page = Paginator(
        selectors.stock_search(
            q=data.get("q", ""),
            location=data.get("location", ""),
            only_available=data.get("available", False),
        ),
        50,
    ).get_page(request.GET.get("page"))
    return render(request, "warehouse/stock.html", {"form": form, "page": page})


@login_required
@permission_required("warehouse.view_stockbalance", raise_exception=True)
def stock_ledger(request: HttpRequest) -> HttpResponse:
    sku_id = request.GET.get("sku")
    moves = selectors.stock_moves(sku_id=int(sku_id) if sku_id and sku_id.isdigit() else None)
    return render(request, "warehouse/stock_ledger.html", {"moves": moves})


def _stock_form_view(
    request: HttpRequest, form_class: type, action: Any, template: str, success: str, **names: str
) -> HttpResponse:
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            action(by=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            add_service_errors(form, exc)
        else:
            messages.success(request, success)
            return redirect(request.path)
    return render(request, template, {"form": form, **names})


@login_required
@permission_required("warehouse.receive_stock", raise_exception=True)
def stock_receive(request: HttpRequest) -> HttpResponse:
    return _stock_form_view(
        request,
        ReceiveForm,
        services.stock_receive,
        "warehouse/stock_form.html",
        _("Received into stock."),
        title=_("Receive stock"),
    )


@login_required
@permission_required("warehouse.adjust_stock", raise_exception=True)
def stock_adjust(request: HttpRequest) -> HttpResponse:
    return _stock_form_view(
        request,
        AdjustForm,
        services.stock_adjust,
        "warehouse/stock_form.html",
        _("Stock adjusted."),
        title=_("Adjust stock"),
    )


# --- Shipment confirmation (发货回传) ------------------------------------------------------------


@login_required
@permission_required("warehouse.view_shipmentconfirmation", raise_exception=True)
def confirmation_queue(request: HttpRequest) -> HttpResponse:
    """What the channels have not heard yet: callbacks that failed (retry, or mark done by
    hand), callbacks being retried, bulk-shipping files to download per channel, and the
    paid orders whose confirmation deadline comes nearest."""
    return render(
        request,
        "warehouse/confirmation_queue.html",
        {
            "failed": list(selectors.not_confirmed_queue()[:200]),
            "retrying": list(selectors.pending_callbacks()[:200]),
            "file_channels": selectors.file_channels(),
            "at_risk": list(selectors.confirmations_at_risk()[:100]),
        },
    )


@login_required
@permission_required("warehouse.view_shipmentconfirmation", raise_exception=True)
def confirmation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    confirmation = get_object_or_404(
        ShipmentConfirmation.objects.select_related(
            "order", "channel", "carrier", "manifest", "confirmed_by", "export"
        ),
        pk=pk,
    )
    form = ConfirmationDoneForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm("warehouse.confirm_shipment"):
            raise PermissionDenied
        if form.is_valid():
            try:
                confirmation_services.confirmation_mark_done(
                    confirmation_id=confirmation.pk,
                    reason=form.cleaned_data["reason"],
                    by=request.user,
                )
            except ApplicationError as exc:
                messages.error(request, exc.message)
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Marked confirmed by hand."))
                return redirect("warehouse:confirmation_detail", pk=confirmation.pk)
    return render(
        request,
        "warehouse/confirmation_detail.html",
        {
            "confirmation": confirmation,
            "attempts": list(confirmation.attempt_log.all()),
            "waybills": confirmation_services.confirmation_waybills(confirmation),
            "form": form,
        },
    )


@login_required
@permission_required("warehouse.confirm_shipment", raise_exception=True)
@require_POST
def confirmation_retry(request: HttpRequest, pk: int) -> HttpResponse:
    _run(
        request,
        confirmation_services.confirmation_retry,
        _("Sent again: the first attempt goes out now."),
        confirmation_id=pk,
    )
    if request.POST.get("back") == "detail":
        return redirect("warehouse:confirmation_detail", pk=pk)
    return redirect("warehouse:confirmation_queue")


@login_required
@permission_required("warehouse.confirm_shipment", raise_exception=True)
@require_POST
def confirmation_export(request: HttpRequest, channel_id: int) -> HttpResponseBase:
    """Download = confirm: the channel's bulk-shipping file of what is not confirmed yet."""
    get_object_or_404(Channel, pk=channel_id)
    try:
        export = confirmation_services.confirmations_export(channel_id=channel_id, by=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("warehouse:confirmation_queue")
    return _export_file(export)


@login_required
@permission_required("warehouse.confirm_shipment", raise_exception=True)
def confirmation_export_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    """A past bulk-shipping file again, as it was: it confirms nothing new."""
    try:
        export = selectors.export_detail(pk)
    except ConfirmationExport.DoesNotExist as exc:
        raise Http404 from exc
    return _export_file(export)


def _export_file(export: ConfirmationExport) -> FileResponse:
    return FileResponse(
        io.BytesIO(bytes(export.content)),
        as_attachment=True,
        filename=export.filename,
        content_type=export.content_type,
    )


# --- E-waybill accounts (the warehouse admin) --------------------------------------------------


@login_required
@permission_required("warehouse.manage_waybill_stock", raise_exception=True)
def waybill_accounts(request: HttpRequest) -> HttpResponse:
    """Every carrier account with the numbers it has left, those running low first."""
    return render(
        request, "warehouse/waybill_accounts.html", {"accounts": selectors.waybill_accounts()}
    )


@login_required
@permission_required("warehouse.manage_waybill_stock", raise_exception=True)
def waybill_account_detail(
    request: HttpRequest,
    pk: int,
    range_form: WaybillRangeForm | None = None,
    numbers_form: WaybillNumbersForm | None = None,
) -> HttpResponse:
    account = get_object_or_404(selectors.waybill_accounts(), pk=pk)
    return render(
        request,
        "warehouse/waybill_account_detail.html",
        {
            "account": account,
            "ranges": account.ranges.order_by("pk"),
            "range_form": range_form or WaybillRangeForm(),
            "numbers_form": numbers_form or WaybillNumbersForm(),
        },
    )


@login_required
@permission_required("warehouse.manage_waybill_stock", raise_exception=True)
@require_POST
def waybill_range_load(request: HttpRequest, pk: int) -> HttpResponse:
    form = WaybillRangeForm(request.POST)
    if form.is_valid():
        try:
            loaded = services.waybill_range_load(
                account_id=pk,
                prefix=form.cleaned_data["number_prefix"],
                first=form.cleaned_data["first"],
                last=form.cleaned_data["last"],
                by=request.user,
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Range %(range)s loaded: %(count)d numbers.")
                % {"range": str(loaded), "count": loaded.remaining},
            )
            return redirect("warehouse:waybill_account_detail", pk=pk)
    return waybill_account_detail(request, pk, range_form=form)


@login_required
@permission_required("warehouse.manage_waybill_stock", raise_exception=True)
@require_POST
def waybill_numbers_load(request: HttpRequest, pk: int) -> HttpResponse:
    form = WaybillNumbersForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            count = services.waybill_numbers_load(
                account_id=pk,
                numbers=services.parse_waybill_numbers(form.cleaned_data["text"]),
                by=request.user,
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(count)d waybill numbers loaded.") % {"count": count})
            return redirect("warehouse:waybill_account_detail", pk=pk)
    return waybill_account_detail(request, pk, numbers_form=form)
