"""What beat looks at for department tasks (DESIGN §7: beat says "look now"; the database
says which tasks are overdue)."""

from django.db import migrations

from ecomops.beat import schedule_operation


class Migration(migrations.Migration):
    dependencies = [
        ("worktasks", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [
        schedule_operation(
            name="Department tasks overdue: remind both sides (every 10 minutes)",
            task="ecomops.worktasks.tasks.remind_overdue_tasks",
            minute="*/10",
            hour="*",
            description="Reminds the receiving and the sending department once when an open "
            "department task passes its due time. Safe to run twice.",
        ),
    ]
