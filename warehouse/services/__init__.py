"""Writes of the warehouse: views, the API, admin, tasks and receivers call these."""

from .allocation import (
    AllocationError,
    AllocationResult,
    allocate_order,
    allocation_issue,
    allocation_split,
    announce_notes,
    default_warehouse,
    note_allocate_waiting,
)
from .batches import (
    BATCH_CLOCK,
    BatchError,
    batch_check_done,
    batch_due_at,
    batch_release,
    build_waves,
    due_batch,
    release_due_batch,
)
from .cancellation import notes_cancel_for_order, order_cancellation_decide
from .packing import (
    PackError,
    ScanResult,
    carrier_next_waybill,
    pack_close,
    pack_find,
    pack_lines,
    pack_scan,
)
from .picking import PickError, pick_confirm, short_note_split, wave_sort
from .shipping import (
    EventResult,
    ShippingError,
    carrier_event_record,
    manifest_open,
    manifest_sign,
)
from .stock import (
    InsufficientStockError,
    StockError,
    stock_adjust,
    stock_move,
    stock_receive,
)

__all__ = [
    "BATCH_CLOCK",
    "AllocationError",
    "AllocationResult",
    "BatchError",
    "EventResult",
    "InsufficientStockError",
    "PackError",
    "PickError",
    "ScanResult",
    "ShippingError",
    "StockError",
    "allocate_order",
    "allocation_issue",
    "allocation_split",
    "announce_notes",
    "batch_check_done",
    "batch_due_at",
    "batch_release",
    "build_waves",
    "carrier_event_record",
    "carrier_next_waybill",
    "default_warehouse",
    "due_batch",
    "manifest_open",
    "manifest_sign",
    "note_allocate_waiting",
    "notes_cancel_for_order",
    "order_cancellation_decide",
    "pack_close",
    "pack_find",
    "pack_lines",
    "pack_scan",
    "pick_confirm",
    "release_due_batch",
    "short_note_split",
    "stock_adjust",
    "stock_move",
    "stock_receive",
    "wave_sort",
]
