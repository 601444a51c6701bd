"""Sellers' own order exports read into intake payloads (issue 20 §2), without the database.

``read_export("taobao", [(name, raw bytes), ...])`` reads what a seller downloads from the
platform's seller centre and answers a ``ParsedExport``: the paid orders awaiting shipment
as payloads for ``order_intake``, every other order skipped with its reason, and the state of
every order of the file. A data error (a line whose order is missing, a quantity that is no
positive whole number, money that is no number, a file that is no export) raises
``ExportFileError`` naming file, order number and column: nothing of the file is returned.

The column layouts, encodings and quirks, with their sources, are in
docs/reference/platform-order-exports.md. SKU codes are passed as written: the import
service resolves them against the catalogue and the channel's mappings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import ExitStack

from django.utils.translation import gettext as _

from ecomops.gcpause import collector_paused

from . import douyin, jd, pinduoduo, taobao
from .common import (
    AWAITING_SHIPMENT,
    CLOSED,
    COMPLETED,
    MAX_FILE_BYTES,
    MAX_ROWS,
    MAX_ZIP_MEMBERS,
    OTHER,
    REFUNDING,
    SHIPPED,
    STATES,
    UNPAID,
    ExportedOrder,
    ExportFileError,
    ParsedExport,
    SkippedOrder,
    Table,
    file_error,
    open_tables,
    pick_phone,
    split_address,
)

_Reader = Callable[[str, list[Table]], ParsedExport]

# platform -> (the header that marks its export, its reader)
_READERS: dict[str, tuple[Sequence[str], _Reader]] = {
    "taobao": (taobao.KEY_HEADERS, taobao.read),
    "tmall": (taobao.KEY_HEADERS, taobao.read),
    "jd": (jd.KEY_HEADERS, jd.read),
    "pinduoduo": (pinduoduo.KEY_HEADERS, pinduoduo.read),
    "douyin": (douyin.KEY_HEADERS, douyin.read),
}
PLATFORMS = tuple(_READERS)


def read_export(platform: str, files: list[tuple[str, bytes]]) -> ParsedExport:
    """The orders of a platform's export files (``(file name, raw bytes)`` each): CSV in
    GB18030 or UTF-8, xlsx, or a zip holding them; Taobao/Tmall as the order report and the
    item report in any order."""
    if platform not in _READERS:
        raise ExportFileError(
            _("There is no reader for the exports of %(platform)s; known: %(known)s.")
            % {"platform": platform or "-", "known": ", ".join(PLATFORMS)},
            {"file": "", "row": None, "column": "", "external_id": ""},
        )
    if not files:
        file_error("", _("No file was given."))
    key_headers, reader = _READERS[platform]
    with collector_paused(), ExitStack() as stack:
        tables = open_tables(files, key_headers, stack)
        return reader(platform, tables)


__all__ = [
    "AWAITING_SHIPMENT",
    "CLOSED",
    "COMPLETED",
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "MAX_ZIP_MEMBERS",
    "OTHER",
    "PLATFORMS",
    "REFUNDING",
    "SHIPPED",
    "STATES",
    "UNPAID",
    "ExportFileError",
    "ExportedOrder",
    "ParsedExport",
    "SkippedOrder",
    "pick_phone",
    "read_export",
    "split_address",
]
