"""Beat says "look now" (DESIGN §6, §7): the nightly reconciliation at 02:00 and the invoice
check at 15:00. Both run every day; the reconciliation covers every day, and the check asks
the company calendar whether today is a working day."""

from django.db import migrations

from ecomops.beat import schedule_operation


class Migration(migrations.Migration):
    dependencies = [
        ("finance", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [
        schedule_operation(
            name="Nightly reconciliation (02:00)",
            task="finance.tasks.reconcile_yesterday",
            minute="0",
            hour="2",
            description="Reconciles yesterday per channel (orders, shipments, invoices, "
            "payments, refunds), lists every mismatch, stores CSV and PDF and e-mails finance. "
            "Re-running replaces the same run.",
        ),
        schedule_operation(
            name="Invoice requests due today (15:00)",
            task="finance.tasks.check_invoice_requests",
            minute="0",
            hour="15",
            description="Tells finance how many invoice requests due today are still open; "
            "re-sends electronic invoices whose e-mail did not go out.",
        ),
    ]
