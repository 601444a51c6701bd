"""What beat looks at for distribution (DESIGN §7: beat says "look now"; the database says
what is due)."""

from django.db import migrations

from ecomops.beat import schedule_operation


class Migration(migrations.Migration):
    dependencies = [
        ("distribution", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [
        schedule_operation(
            name="Partner follow-ups due: remind their owners (every 5 minutes)",
            task="distribution.tasks.remind_partner_steps",
            minute="*/5",
            hour="*",
            description="Reminds each partner's owner once when a next step of the contact "
            "log falls due.",
        ),
        schedule_operation(
            name="Distribution daily: expiring authorizations, deals going live (07:30)",
            task="distribution.tasks.daily_distribution",
            minute="30",
            hour="7",
            description="Reminds owners once of brand authorization letters ending within "
            "DISTRIBUTION_AUTHORIZATION_REMINDER_DAYS; takes prepared group-buying deals "
            "live on their listing date. Safe to run twice.",
        ),
    ]
