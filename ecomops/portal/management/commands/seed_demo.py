"""``manage.py seed_demo``: idempotent demo data for every app, with the demo logins."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import translation

from ecomops import demo


class Command(BaseCommand):
    help = "Create (or bring up to date) the demo users and every app's demo data."

    def handle(self, *args: Any, **options: Any) -> None:
        def log(message: str) -> None:
            self.stdout.write(f"  {message}")

        with translation.override("zh-hans"):
            accounts = demo.seed_users(log)
            for seeder in demo.seeders():
                self.stdout.write(f"seeding {seeder.name}")
                seeder.run(log)

        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready. Demo logins (password for all: {demo.DEMO_PASSWORD}):"
            )
        )
        for username, label in accounts:
            self.stdout.write(f"  {username:<26} {label}")
