from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ecomops.calendar import calendar_cache_clear
from ecomops.workcalendar.selectors import calendar_warnings
from ecomops.workcalendar.services import calendar_sync, package_years


class Command(BaseCommand):
    help = "Load the official holiday calendar from the installed chinesecalendar package."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("years", nargs="*", type=int, help="Years to sync (default: all).")

    def handle(self, *args: Any, **options: Any) -> None:
        years = options["years"] or None
        available = package_years()
        for year in years or []:
            if year not in available:
                self.stderr.write(f"{year}: not in chinesecalendar {available[0]}–{available[-1]}")
        changed = calendar_sync(years=years)
        calendar_cache_clear()
        for year, count in changed.items():
            self.stdout.write(f"{year}: {count} days changed")
        for warning in calendar_warnings():
            self.stderr.write(self.style.WARNING(warning))
