"""Beat says "look now" at 12:00 and 15:00; the task asks the company calendar whether today
is a working day (an adjusted working Sunday counts, a holiday Saturday does not), so the
schedule runs every day and the calendar decides (DESIGN §3, §7)."""

from django.db import migrations

from ecomops.beat import schedule_operation


class Migration(migrations.Migration):
    dependencies = [
        ("warehouse", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [
        schedule_operation(
            name="Release the cutoff batch (12:00 and 15:00)",
            task="warehouse.tasks.release_due_batch",
            minute="0",
            hour="12,15",
            description="Releases the batch just cut into waves with pick lists; does nothing "
            "on a non-working day of the company calendar. Safe to run twice.",
        )
    ]
