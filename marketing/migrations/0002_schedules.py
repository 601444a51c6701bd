"""What beat looks at for campaigns (DESIGN §7: beat says "look now"; the database says
what is due)."""

from django.db import migrations

from ecomops.beat import schedule_operation


class Migration(migrations.Migration):
    dependencies = [
        ("marketing", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [
        schedule_operation(
            name="Campaigns: end windows, take ready campaigns live (every 5 minutes)",
            task="marketing.tasks.campaigns_sweep",
            minute="*/5",
            hour="*",
            description="Moves live campaigns whose window ended to analysis with their "
            "results; takes coordinated campaigns live when their window opens and every "
            "department task is done or waived, and tells the owner and managers once when "
            "tasks still block it. Safe to run twice.",
        ),
    ]
