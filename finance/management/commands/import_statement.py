"""``manage.py import_statement --account CODE FILE``: an Alipay 账务明细, WeChat Pay 交易账单 or
bank statement into the payment account CODE: each line once, classified, matched.

A bank account's first import needs its column mapping: saved in the portal, given here as
``--map date=交易日期 --map income=贷方发生额 …``, or, when the file's headings are the usual
ones, taken from the proposal (printed) and saved on the account.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from ecomops.errors import ApplicationError
from finance import services
from finance.models import PaymentAccount
from finance.statement_formats import BANK_FIELDS, mapping_problems

# Short names on the command line for the mapping's fields.
_ALIASES = {"date": "occurred_at", "order": "order_number", "ref": "reference"}


class Command(BaseCommand):
    help = (
        "Import a statement (Alipay 账务明细 CSV, WeChat Pay 交易账单, bank CSV/xlsx) into a "
        "payment account: each line kept once, classified and matched to its order."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--account", required=True, help="The payment account's code.")
        parser.add_argument("file", help="The statement file as downloaded.")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="FIELD=COLUMN",
            help=f"Bank column mapping; fields: {', '.join(BANK_FIELDS)} (date, order, ref).",
        )
        parser.add_argument(
            "--as", dest="username", default="", help="Import as this user (default: system)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        account = PaymentAccount.objects.filter(code=options["account"]).first()
        if account is None:
            raise CommandError(
                _("There is no payment account %(code)s.") % {"code": options["account"]}
            )
        by = None
        if options["username"]:
            by = get_user_model().objects.filter(username=options["username"]).first()
            if by is None:
                raise CommandError(
                    _("There is no user %(username)s.") % {"username": options["username"]}
                )
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("There is no file %(file)s.") % {"file": options["file"]})
        mapping: dict[str, str] = {}
        for item in options["map"]:
            field, _sep, column = item.partition("=")
            field = _ALIASES.get(field.strip(), field.strip())
            if field not in BANK_FIELDS or not column.strip():
                raise CommandError(_("--map takes FIELD=COLUMN, not %(item)s.") % {"item": item})
            mapping[field] = column.strip()
        content = path.read_bytes()
        try:
            try:
                outcome = services.statement_import(
                    account=account,
                    file_name=path.name,
                    content=content,
                    by=by,
                    mapping=mapping or None,
                )
            except services.MappingRequired as exc:
                guess = exc.extra.get("guess", {})
                if mapping_problems(guess):
                    raise CommandError(
                        _(
                            "%(message)s The file's columns: %(columns)s. Give them with "
                            "--map, e.g. --map date=交易日期 --map income=贷方发生额 "
                            "--map expense=借方发生额."
                        )
                        % {"message": exc.message, "columns": ", ".join(exc.extra["columns"])}
                    ) from exc
                self.stdout.write(
                    _("Column mapping taken from the file's headings and saved: %(mapping)s")
                    % {"mapping": ", ".join(f"{k}={v}" for k, v in guess.items())}
                )
                outcome = services.statement_import(
                    account=account, file_name=path.name, content=content, by=by, mapping=guess
                )
        except ApplicationError as exc:
            raise CommandError(
                _("Nothing of the statement was imported: %(error)s") % {"error": exc.message}
            ) from exc
        self.stdout.write(
            _(
                "%(lines)d lines: %(created)d new, %(existing)d already in, %(matched)d matched "
                "to orders."
            )
            % {
                "lines": outcome.lines,
                "created": outcome.created,
                "existing": outcome.existing,
                "matched": outcome.matched,
            }
        )
