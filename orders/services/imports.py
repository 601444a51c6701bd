"""Platform export import (订单导入, issue 20 §2): the seller centre's own files, all or nothing.

The files are read by ``platform_exports.read_export`` for the platform of the channel's kind
(Tmall/Taobao order report + item report as two CSVs in any order, xlsx or one zip; JD;
Pinduoduo; Douyin shop). ``import_plan`` then looks at the database set-based and stores
nothing: every SKU code of the file is resolved at once (the channel's mappings, our codes),
and the orders already in are looked up in chunks. A data error fails the whole file, naming
file, row, order number and column: whatever the reader refuses, and a code that is neither
one of ours nor mapped for the channel (the portal's preview lets the operator map it in
place, then import).

Importing (``import_run`` for an upload kept by the portal, ``orders_import`` for
``manage.py import_orders``) runs the plan and the intake of each new order in one
transaction, with the plan's SKU resolver: each order's rules are checked once, by the
intake itself (refused, or parked where the channel parks). Any refusal stores nothing.

An order already in is skipped when the file says the same, and reported as changed when it
does not: a changed content is not applied here; a platform state moved to closed or refunding
does what the platform's ``order_closed`` / ``refund_requested`` event does (issue 20 §4,
``platform_events.order_platform_state_moved``: held before release, the warehouse asked to
stop the parcel after). An order in any other state than paid and awaiting shipment is skipped
with its reason.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ecomops.errors import ApplicationError, require_permission
from ecomops.gcpause import collector_paused

from ..models import Channel, ChannelSkuMapping, Order, OrderImport, OrderSource
from .accept import orders_intake
from .channels import channel_mapping_add
from .intake import (
    IntakeError,
    SkuResolver,
    canonical_payload,
    differing_fields,
    payload_hash,
)
from .platform_events import order_platform_state_moved
from .platform_exports import (
    CLOSED,
    MAX_FILE_BYTES,
    REFUNDING,
    ExportFileError,
    read_export,
)

PERMISSION = "orders.key_in_order"

# The reader of a channel's exports, by the channel's kind.
PLATFORM_OF_KIND = {
    "tmall": "taobao",
    "taobao": "taobao",
    "jd": "jd",
    "pinduoduo": "pinduoduo",
    "douyin": "douyin",
}
# Where each platform's export writes our SKU code (named in an unknown code's error).
SKU_COLUMN = {
    "taobao": "商家编码",
    "jd": "商家SKUID",
    "pinduoduo": "商家编码-SKU维度",
    "douyin": "商家编码",
}
# Orders already in are looked up this many order numbers at a time (SQLite's variable cap).
_LOOKUP_CHUNK = 5000
_FORMAT = "ecomops-import-files/1"
# Orders handed to the intake at a time: its reads and inserts are per chunk.
_INTAKE_CHUNK = 2000

# What becomes of an order of the file.
NEW = "new"  # in the plan: will be created
CREATED = "created"
PARKED = "parked"  # created into the exception queue (异常订单)
EXISTING = "existing"  # already in with the same content: skipped
CHANGED = "changed"  # already in, the file says something else: reported, not applied
SKIPPED = "skipped"  # not paid and awaiting shipment on the platform: skipped with its reason


class ImportFileError(ApplicationError):
    """The upload cannot be taken: no file, a file too large, a channel without exports."""


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


@dataclass
class PlannedOrder:
    """One order of the file and what becomes of it."""

    external_id: str
    status: str
    platform_state: str
    file_name: str
    rows: list[int]
    payload: dict[str, Any] | None = None  # NEW only
    reason: str = ""  # SKIPPED: why; CHANGED: the platform state's reason, if it moved
    differences: list[str] = field(default_factory=list)  # CHANGED: the fields that differ
    warnings: list[str] = field(default_factory=list)
    order_id: int | None = None  # the order in our system (already in, or created)
    order_number: str = ""
    messages: list[str] = field(default_factory=list)  # PARKED: the reasons
    moved_to: str = ""  # CHANGED: CLOSED or REFUNDING when the platform state moved so

    @property
    def line_count(self) -> int:
        return len(self.payload["lines"]) if self.payload else 0


@dataclass
class UnknownCode:
    """A SKU code of the file that is neither one of ours nor mapped for the channel."""

    code: str
    external_ids: list[str]
    file_name: str
    row: int
    column: str
    channel_code: str

    @property
    def message(self) -> str:
        problem = _(
            "unknown SKU code %(code)s: neither one of our SKU codes nor mapped for channel "
            "%(channel)s."
        ) % {"code": self.code, "channel": self.channel_code}
        return _("%(file)s, row %(row)s, order %(order)s, column %(column)s: %(problem)s") % {
            "file": self.file_name,
            "row": self.row,
            "order": self.external_ids[0],
            "column": self.column,
            "problem": problem,
        }


@dataclass
class ImportPlan:
    """What importing the files would do; ``orders`` in file order, skipped ones last."""

    platform: str
    channel: Channel
    orders: list[PlannedOrder]
    unknown_codes: list[UnknownCode]
    resolver: SkuResolver
    row_count: int = 0

    def of(self, *statuses: str) -> list[PlannedOrder]:
        return [order for order in self.orders if order.status in statuses]

    def count(self, status: str) -> int:
        return sum(1 for order in self.orders if order.status == status)

    @property
    def new(self) -> list[PlannedOrder]:
        return self.of(NEW)

    @property
    def created(self) -> list[PlannedOrder]:
        return self.of(CREATED, PARKED)

    @property
    def existing(self) -> list[PlannedOrder]:
        return self.of(EXISTING)

    @property
    def changed(self) -> list[PlannedOrder]:
        return self.of(CHANGED)

    @property
    def skipped(self) -> list[PlannedOrder]:
        return self.of(SKIPPED)

    @property
    def has_errors(self) -> bool:
        return bool(self.unknown_codes)

    def raise_errors(self) -> None:
        """Refuse the whole file when a code is unknown, naming every such code."""
        if not self.unknown_codes:
            return
        first = self.unknown_codes[0]
        message = "\n".join(code.message for code in self.unknown_codes)
        raise ExportFileError(
            message,
            {
                "file": first.file_name,
                "row": first.row,
                "column": first.column,
                "external_id": first.external_ids[0],
                "codes": [code.code for code in self.unknown_codes],
            },
        )


@dataclass
class ImportOutcome:
    order_import: OrderImport | None
    plan: ImportPlan | None  # None: the upload had been imported already


# --- Planning ----------------------------------------------------------------------------


def channel_platform(channel: Channel) -> str:
    """The platform whose exports the channel imports; refused for a channel of our own."""
    platform = PLATFORM_OF_KIND.get(channel.kind)
    if platform is None:
        raise ImportFileError(
            _(
                "Channel %(channel)s is a %(kind)s: only marketplace channels (Tmall, Taobao, "
                "JD, Pinduoduo, Douyin) import the seller centre's exports."
            )
            % {"channel": channel.code, "kind": channel.get_kind_display()}
        )
    return platform


def _chunks(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _orders_in(channel: Channel, external_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(external_ids, _LOOKUP_CHUNK):
        for row in Order.objects.filter(channel=channel, external_id__in=chunk).values(
            "id", "external_id", "number", "payload_hash"
        ):
            found[row["external_id"]] = row
    return found


def _payloads_of(order_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    payloads: dict[int, dict[str, Any]] = {}
    for start in range(0, len(order_ids), _LOOKUP_CHUNK):
        chunk = order_ids[start : start + _LOOKUP_CHUNK]
        payloads.update(Order.objects.filter(pk__in=chunk).values_list("pk", "payload"))
    return payloads


def import_plan(*, channel: Channel, files: list[tuple[str, bytes]]) -> ImportPlan:
    """What importing ``files`` into ``channel`` would do; ``ExportFileError`` for a file that
    cannot be read. Unknown codes are listed in the plan (``raise_errors`` refuses them)."""
    platform = channel_platform(channel)
    parsed = read_export(platform, files)
    resolver = SkuResolver(channel)
    column = SKU_COLUMN[platform]

    # Every code of the file at once: the channel's mapping, then our own codes.
    first_seen: dict[str, UnknownCode] = {}
    for exported in parsed.orders:
        line_file = exported.line_file_name or exported.file_name
        for index, line in enumerate(exported.payload["lines"]):
            code = line.get("sku") or ""
            if not code:
                continue
            seen = first_seen.get(code)
            if seen is None:
                rows = exported.line_rows or exported.rows
                first_seen[code] = UnknownCode(
                    code=code,
                    external_ids=[exported.payload["external_id"]],
                    file_name=line_file,
                    row=rows[index] if index < len(rows) else rows[0],
                    column=column,
                    channel_code=channel.code,
                )
            elif seen.external_ids[-1] != exported.payload["external_id"]:
                seen.external_ids.append(exported.payload["external_id"])
    unknown: list[UnknownCode] = []
    if first_seen:
        _orderable, internal, known = resolver.resolve(list(first_seen), timezone.now())
        unknown = [seen for code, seen in first_seen.items() if internal[code] not in known]

    in_already = _orders_in(channel, list(parsed.states))
    planned: list[PlannedOrder] = []
    differing: list[PlannedOrder] = []
    for exported in parsed.orders:
        external_id = exported.payload["external_id"]
        item = PlannedOrder(
            external_id=external_id,
            status=NEW,
            platform_state=exported.platform_state,
            file_name=exported.file_name,
            rows=exported.rows,
            payload=exported.payload,
            warnings=exported.warnings,
        )
        accepted = in_already.get(external_id)
        if accepted is not None:
            item.order_id, item.order_number = accepted["id"], accepted["number"]
            if payload_hash(canonical_payload(exported.payload)) == accepted["payload_hash"]:
                item.status = EXISTING
            else:
                item.status = CHANGED
                differing.append(item)
        planned.append(item)
    for skipped in parsed.skipped:
        item = PlannedOrder(
            external_id=skipped.external_id,
            status=SKIPPED,
            platform_state=skipped.platform_state,
            file_name=skipped.file_name,
            rows=skipped.rows,
            reason=skipped.reason,
        )
        accepted = in_already.get(skipped.external_id)
        if accepted is not None:
            item.order_id, item.order_number = accepted["id"], accepted["number"]
            if skipped.state in (CLOSED, REFUNDING):
                # The platform closed or is refunding an order we have: a person must know.
                item.status = CHANGED
                item.moved_to = skipped.state
        planned.append(item)
    if differing:
        payloads = _payloads_of([item.order_id for item in differing if item.order_id])
        for item in differing:
            if item.order_id is None or item.payload is None:
                continue
            item.differences = differing_fields(
                payloads.get(item.order_id) or {}, canonical_payload(item.payload)
            )
    row_count = sum(len(order.rows) for order in parsed.orders) + sum(
        len(order.rows) for order in parsed.skipped
    )
    return ImportPlan(
        platform=platform,
        channel=channel,
        orders=planned,
        unknown_codes=unknown,
        resolver=resolver,
        row_count=row_count,
    )


# --- Importing ---------------------------------------------------------------------------


def _refusal(item: PlannedOrder, exc: IntakeError) -> ExportFileError:
    fields = exc.extra.get("fields", {}) if isinstance(exc.extra, dict) else {}
    problems = "; ".join(
        f"{path}: {' '.join(str(m) for m in messages)}" for path, messages in fields.items()
    )
    message = _("%(file)s, row %(row)s, order %(order)s: not accepted: %(problems)s") % {
        "file": item.file_name,
        "row": item.rows[0] if item.rows else "-",
        "order": item.external_id,
        "problems": problems or exc.message,
    }
    return ExportFileError(
        message,
        {
            "file": item.file_name,
            "row": item.rows[0] if item.rows else None,
            "column": "",
            "external_id": item.external_id,
            "fields": fields,
        },
    )


def _execute(plan: ImportPlan, *, by: Any) -> None:
    """Create the plan's new orders through the intake, a chunk at a time (inside the
    caller's transaction); a refused order raises, so the caller's transaction stores
    nothing."""
    plan.raise_errors()
    new = [item for item in plan.new if item.payload is not None]
    for start in range(0, len(new), _INTAKE_CHUNK):
        chunk = new[start : start + _INTAKE_CHUNK]
        outcomes = orders_intake(
            channel=plan.channel,
            payloads=[item.payload for item in chunk if item.payload is not None],
            source=OrderSource.IMPORT,
            by=by,
            resolver=plan.resolver,
        )
        for item, outcome in zip(chunk, outcomes, strict=True):
            if isinstance(outcome.error, IntakeError):
                raise _refusal(item, outcome.error)
            if outcome.order is None:
                continue
            item.order_id, item.order_number = outcome.order.pk, outcome.order.number
            if outcome.status == "parked":
                item.status = PARKED
                item.messages = [r.message for r in outcome.reasons]
            elif outcome.created:
                item.status = CREATED
            else:  # another import of the same order committed meanwhile
                item.status = EXISTING
    for item in plan.changed:
        if item.moved_to:
            # Issue 20 §4: as the platform's order_closed / refund_requested event would.
            moved = order_platform_state_moved(
                channel=plan.channel,
                external_id=item.external_id,
                closed=item.moved_to == CLOSED,
                # A refund is named by its after-sale state (退款中), the order's own state
                # still says awaiting shipment.
                platform_state=(
                    item.reason
                    if item.moved_to == REFUNDING and item.reason
                    else item.platform_state
                ),
                source=item.file_name,
            )
            item.messages = [moved.event.message]


def _sha256(files: list[tuple[str, bytes]]) -> str:
    """One checksum for the upload, whatever order its files were given in."""
    digests = sorted(hashlib.sha256(data).hexdigest() for _name, data in files)
    if len(digests) == 1:
        return digests[0]
    return hashlib.sha256("".join(digests).encode()).hexdigest()


def _pack(files: list[tuple[str, bytes]]) -> str:
    """The uploaded files' raw bytes, kept as text (the record's content is a text field)."""
    return json.dumps(
        {
            "format": _FORMAT,
            "files": [
                {"name": name, "data": base64.b64encode(data).decode("ascii")}
                for name, data in files
            ],
        }
    )


def stored_files(order_import: OrderImport) -> list[tuple[str, bytes]]:
    """The files of an upload as they were uploaded (an import of before issue 20 kept the
    decoded text of its one CSV)."""
    content = order_import.content
    if content.startswith("{"):
        try:
            packed = json.loads(content)
        except ValueError:
            packed = None
        if isinstance(packed, dict) and packed.get("format") == _FORMAT:
            return [(f["name"], base64.b64decode(f["data"])) for f in packed["files"]]
    return [(order_import.file_name, content.encode("utf-8-sig"))]


def _record(
    *, channel: Channel, files: list[tuple[str, bytes]], plan: ImportPlan, by: Any
) -> OrderImport:
    return OrderImport.objects.create(
        channel=channel,
        file_name=", ".join(name for name, _data in files)[:200],
        file_sha256=_sha256(files),
        content=_pack(files),
        row_count=plan.row_count,
        order_count=len(plan.orders),
        error_count=len(plan.unknown_codes),
        uploaded_by=by,
    )


def _mark_imported(order_import: OrderImport, plan: ImportPlan) -> None:
    order_import.state = OrderImport.State.IMPORTED
    order_import.created_count = len(plan.created)
    order_import.skipped_count = len(plan.orders) - len(plan.created)
    order_import.error_count = 0
    order_import.imported_at = timezone.now()
    order_import.save(
        update_fields=["state", "created_count", "skipped_count", "error_count", "imported_at"]
    )


def read_uploads(uploads: Sequence[tuple[str, _Readable]]) -> list[tuple[str, bytes]]:
    """The uploaded files' bytes, each at most 50 MB."""
    files: list[tuple[str, bytes]] = []
    for name, upload in uploads:
        data = upload.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise ImportFileError(
                _("%(file)s is larger than 50 MB: export fewer days at a time.") % {"file": name}
            )
        files.append((name, data))
    if not files:
        raise ImportFileError(_("Choose the export files to upload."))
    return files


def import_upload(
    *, channel: Channel, uploads: Sequence[tuple[str, _Readable]], by: Any
) -> OrderImport:
    """Keep an upload for its preview. A file that is no readable export is refused and
    nothing is kept; unknown codes are kept, for the operator to map them in place."""
    require_permission(by, PERMISSION, _("You are not allowed to import orders."))
    files = read_uploads(uploads)
    with collector_paused():
        plan = import_plan(channel=channel, files=files)
    if not plan.orders:
        raise ImportFileError(_("The export has a header but no orders."))
    return _record(channel=channel, files=files, plan=plan, by=by)


def import_preview(*, order_import: OrderImport) -> ImportPlan:
    """The stored upload planned again, as the database stands now (a code mapped since
    the upload is no longer unknown; an order imported since is already in)."""
    return import_plan(channel=order_import.channel, files=stored_files(order_import))


def import_map_code(*, import_id: int, code: str, sku_code: str, by: Any) -> ChannelSkuMapping:
    """Map an unknown code of an upload to one of our SKUs for the upload's channel (the
    channel's own mapping service decides who may)."""
    order_import = OrderImport.objects.select_related("channel").get(pk=import_id)
    return channel_mapping_add(
        channel_id=order_import.channel_id, outer_id=code, sku_code=sku_code, by=by
    )


def import_run(*, import_id: int, by: Any) -> ImportOutcome:
    """Create every new order of a stored upload, or none when anything is refused."""
    require_permission(by, PERMISSION, _("You are not allowed to import orders."))
    with transaction.atomic():
        order_import = OrderImport.objects.select_for_update().get(pk=import_id)
        if order_import.state == OrderImport.State.IMPORTED:
            return ImportOutcome(order_import=order_import, plan=None)
        with collector_paused():
            plan = import_preview(order_import=order_import)
            _execute(plan, by=by)
        _mark_imported(order_import, plan)
    return ImportOutcome(order_import=order_import, plan=plan)


def orders_import(
    *, channel: Channel, files: list[tuple[str, bytes]], by: Any = None, dry_run: bool = False
) -> ImportOutcome:
    """``manage.py import_orders``: plan and import ``files`` in one transaction (``by=None``
    is the system, as for a signed push). With ``dry_run`` nothing is written and the plan's
    unknown codes are listed, not raised. A person's import is kept as an ``OrderImport``."""
    require_permission(by, PERMISSION, _("You are not allowed to import orders."))
    if dry_run:
        return ImportOutcome(order_import=None, plan=import_plan(channel=channel, files=files))
    with transaction.atomic(), collector_paused():
        plan = import_plan(channel=channel, files=files)
        _execute(plan, by=by)
        order_import = None
        if by is not None:
            order_import = _record(channel=channel, files=files, plan=plan, by=by)
            _mark_imported(order_import, plan)
    return ImportOutcome(order_import=order_import, plan=plan)
