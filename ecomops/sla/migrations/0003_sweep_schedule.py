"""Beat says "look now" every minute; the sweep finds the clocks that ran out (DESIGN §7)."""

from django.db import migrations

from ecomops.beat import schedule_operation


class Migration(migrations.Migration):
    dependencies = [
        ("sla", "0002_default_policies"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [
        schedule_operation(
            name="SLA sweep (every minute)",
            task="ecomops.sla.tasks.sweep_sla_clocks",
            minute="*",
            description="Marks running SLA clocks past their due time as overdue and notifies "
            "their owners, once each.",
        )
    ]
