"""``manage.py simulate_day --orders N [--seed S] [--json PATH] [--fresh]`` (issue 24 §7).

Drives one working day on a fresh database through the real services (see
``finance.day_simulation``), prints a table per stage and the share of each SLA met, and
writes the same as JSON. Needs ``time_machine`` (the dev extra) for the day's clock.
"""

from __future__ import annotations

import json
import logging
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from ecomops.errors import ApplicationError
from finance.day_simulation import DaySimulation
from orders.models import Order


class Command(BaseCommand):
    help = (
        "Simulate one working day of N orders end to end on a fresh database (issue 24): "
        "signed pages of orders, payments, exception queue, identification, confirmation, "
        "delivery notes, the 12:00 and 15:00 cuts, picking, packing, hand-over, carrier "
        "pick-ups, invoices and the nightly reconciliation. Refuses to run unless the orders "
        "table is empty; --fresh drops every table and migrates first. Needs time_machine "
        "(pip install -e '.[dev]') for the day's clock."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--orders", type=int, required=True, help="Orders in the day.")
        parser.add_argument("--seed", type=int, default=1, help="Seed of the day's orders.")
        parser.add_argument(
            "--day",
            type=date.fromisoformat,
            default=None,
            help="The working day simulated (YYYY-MM-DD); default: the next after today.",
        )
        parser.add_argument(
            "--json",
            dest="json_path",
            default=None,
            help="Where to write the figures (default: var/simulate_day-<N>.json).",
        )
        parser.add_argument(
            "--packers",
            type=int,
            default=0,
            help="Pack stations working side by side, each with its own database connection, "
            "in a process of its own on PostgreSQL "
            "(default: 4 on PostgreSQL; 1 on SQLite, whose writers queue).",
        )
        parser.add_argument(
            "--fresh",
            action="store_true",
            help="Drop every table of this database and migrate again before the day. "
            "Everything in the database is lost.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        count = options["orders"]
        if count < 1:
            raise CommandError("--orders must be at least 1.")
        try:
            import time_machine  # noqa: F401
        except ImportError as exc:
            raise CommandError(
                "simulate_day moves the clock through the day with time_machine, a dev "
                "dependency: pip install -e '.[dev]'."
            ) from exc
        if options["fresh"]:
            self.stdout.write("--fresh: dropping every table and migrating again")
            _drop_all_tables()
            call_command("migrate", verbosity=0)
        elif Order.objects.exists():
            raise CommandError(
                "The orders table is not empty: simulate_day runs a day on a fresh database. "
                "Point DATABASE_URL at an empty database, or pass --fresh to drop every table "
                "of this one and migrate again (everything in it is lost)."
            )
        # Beat's tasks run in this process: one log line per task run would drown the table.
        logging.getLogger("celery.app.trace").setLevel(logging.WARNING)
        simulation = DaySimulation(
            orders=count,
            seed=options["seed"],
            day=options["day"],
            log=lambda message: self.stdout.write(message),
            packers=options["packers"] or (4 if connection.vendor == "postgresql" else 1),
        )
        try:
            report = simulation.run()
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(report.table())
        path = Path(options["json_path"] or Path(settings.VAR_DIR) / f"simulate_day-{count}.json")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report.as_dict(), ensure_ascii=False, indent=2, default=str))
        self.stdout.write(self.style.SUCCESS(f"figures written to {path}"))


def _drop_all_tables() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP SCHEMA public CASCADE")
            cursor.execute("CREATE SCHEMA public")
            return
        tables = connection.introspection.table_names(cursor)
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA foreign_keys = OFF")
        for table in tables:
            cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(table)}")
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA foreign_keys = ON")
