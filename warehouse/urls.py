from django.urls import path

from . import views

app_name = "warehouse"

urlpatterns = [
    path("", views.batch_board, name="batch_board"),
    path("allocation/", views.allocation_queue, name="allocation_queue"),
    path("allocation/<int:order_id>/split/", views.allocation_split, name="allocation_split"),
    path("notes/", views.note_list, name="note_list"),
    path("notes/<int:pk>/", views.note_detail, name="note_detail"),
    path("notes/<int:pk>/pdf/", views.note_pdf, name="note_pdf"),
    path("notes/<int:pk>/allocate/", views.note_allocate, name="note_allocate"),
    path("notes/<int:pk>/split-short/", views.short_split, name="short_split"),
    path("batches/<int:pk>/", views.batch_detail, name="batch_detail"),
    path("waves/", views.wave_list, name="wave_list"),
    path("waves/<int:pk>/", views.wave_detail, name="wave_detail"),
    path("waves/<int:pk>/sort/", views.wave_sort, name="wave_sort"),
    path("waves/<int:pk>/picklist.pdf", views.wave_picklist_pdf, name="wave_picklist_pdf"),
    path("waves/<int:pk>/documents.pdf", views.wave_documents_pdf, name="wave_documents_pdf"),
    path("waves/<int:pk>/labels.pdf", views.wave_labels_pdf, name="wave_labels_pdf"),
    path("pick/<int:pk>/", views.pick_line, name="pick_line"),
    path("pack/", views.pack_station, name="pack_station"),
    path("pack/<int:pk>/", views.pack_note, name="pack_note"),
    path("pack/<int:pk>/close/", views.pack_close, name="pack_close"),
    path("parcels/<int:pk>/", views.parcel_detail, name="parcel_detail"),
    path("parcels/<int:pk>/label.pdf", views.parcel_label_pdf, name="parcel_label_pdf"),
    path("parcels/<int:pk>/slip.pdf", views.parcel_slip_pdf, name="parcel_slip_pdf"),
    path("shipping/", views.shipping, name="shipping"),
    path("manifests/<int:pk>/", views.manifest_detail, name="manifest_detail"),
    path("manifests/<int:pk>/pdf/", views.manifest_pdf, name="manifest_pdf"),
    path("stock/", views.stock, name="stock"),
    path("stock/ledger/", views.stock_ledger, name="stock_ledger"),
    path("stock/receive/", views.stock_receive, name="stock_receive"),
    path("stock/adjust/", views.stock_adjust, name="stock_adjust"),
    path("notes/<int:pk>/carrier/", views.note_change_carrier, name="note_change_carrier"),
    path("waybills/", views.waybill_accounts, name="waybill_accounts"),
    path("waybills/<int:pk>/", views.waybill_account_detail, name="waybill_account_detail"),
    path("waybills/<int:pk>/range/", views.waybill_range_load, name="waybill_range_load"),
    path("waybills/<int:pk>/numbers/", views.waybill_numbers_load, name="waybill_numbers_load"),
]
