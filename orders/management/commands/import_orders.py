"""``manage.py import_orders --channel CODE FILE [FILE ...]``: a seller centre's order export.

Runs as the system (like a signed push: the orders name no person as their creator) unless
``--as USERNAME`` names the person importing, whose permission is then checked and whose
import is listed with the portal's uploads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from ecomops.errors import ApplicationError
from orders import services
from orders.models import Channel
from orders.services.imports import (
    CHANGED,
    CREATED,
    EXISTING,
    NEW,
    PARKED,
    SKIPPED,
    ImportPlan,
    PlannedOrder,
)


class Command(BaseCommand):
    help = (
        "Import a platform's own order export (Taobao/Tmall order report + item report as CSV, "
        "xlsx or one zip; JD; Pinduoduo; Douyin) into a channel: paid orders awaiting shipment "
        "become orders, others are skipped with their reason; a data error stores nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--channel", required=True, help="The channel's code.")
        parser.add_argument("files", nargs="+", help="The export files (CSV, xlsx or zip).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Show what would be imported; store nothing."
        )
        parser.add_argument(
            "--as",
            dest="username",
            default="",
            help="Import as this user (default: the system).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        channel = Channel.objects.filter(code=options["channel"]).first()
        if channel is None:
            raise CommandError(_("There is no channel %(code)s.") % {"code": options["channel"]})
        by = None
        if options["username"]:
            by = get_user_model().objects.filter(username=options["username"]).first()
            if by is None:
                raise CommandError(
                    _("There is no user %(username)s.") % {"username": options["username"]}
                )
        files: list[tuple[str, bytes]] = []
        for name in options["files"]:
            path = Path(name)
            if not path.is_file():
                raise CommandError(_("There is no file %(file)s.") % {"file": name})
            files.append((path.name, path.read_bytes()))
        try:
            outcome = services.orders_import(
                channel=channel, files=files, by=by, dry_run=options["dry_run"]
            )
        except ApplicationError as exc:
            raise CommandError(
                _("Nothing was imported: %(error)s") % {"error": exc.message}
            ) from exc
        plan = outcome.plan
        if plan is None:  # only an upload imported before has none
            return
        for item in plan.orders:
            self.stdout.write(f"{item.external_id}  {self._describe(item)}")
            for warning in item.warnings:
                self.stdout.write(f"    {warning}")
        for unknown in plan.unknown_codes:
            self.stderr.write(unknown.message)
        self.stdout.write(self._summary(plan, dry_run=options["dry_run"]))
        if plan.unknown_codes:
            raise CommandError(
                _("%(count)d unknown SKU codes: map them to our SKUs for channel %(channel)s.")
                % {"count": len(plan.unknown_codes), "channel": channel.code}
            )

    def _describe(self, item: PlannedOrder) -> str:
        values = {
            "number": item.order_number,
            "lines": item.line_count,
            "state": item.platform_state,
            "reason": item.reason,
            "fields": ", ".join(item.differences),
            "reasons": "; ".join(item.messages),
        }
        if item.status == NEW:
            return _("to create (%(lines)d lines)") % values
        if item.status == CREATED:
            return _("created %(number)s") % values
        if item.status == PARKED:
            return _("parked %(number)s: %(reasons)s") % values
        if item.status == EXISTING:
            return _("skipped: already in as %(number)s, same content") % values
        if item.status == CHANGED and item.differences:
            return _("changed: already in as %(number)s, differs in %(fields)s (not applied)") % (
                values
            )
        if item.status == CHANGED and item.messages:
            return _("changed: already in as %(number)s, now %(state)s: %(reasons)s") % values
        if item.status == CHANGED:
            return (
                _("changed: already in as %(number)s, now %(state)s: %(reason)s (not applied)")
                % values
            )
        return _("skipped: %(state)s: %(reason)s") % values

    def _summary(self, plan: ImportPlan, *, dry_run: bool) -> str:
        counts = {
            "new": plan.count(NEW),
            "created": plan.count(CREATED),
            "parked": plan.count(PARKED),
            "existing": plan.count(EXISTING),
            "changed": plan.count(CHANGED),
            "skipped": plan.count(SKIPPED),
        }
        if dry_run:
            return (
                _(
                    "Dry run, nothing stored: %(new)d to create, %(existing)d already in, "
                    "%(changed)d changed, %(skipped)d skipped by state."
                )
                % counts
            )
        return (
            _(
                "%(created)d created, %(parked)d parked, %(existing)d already in, "
                "%(changed)d changed, %(skipped)d skipped by state."
            )
            % counts
        )
