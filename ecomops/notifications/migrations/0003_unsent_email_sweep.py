"""Beat says "look now" every five minutes: notifications whose e-mail never went out (the
message to the worker lost in a crash or a broker outage) are e-mailed (DESIGN §7).

Built from ``ecomops.beat``'s operations so a test flush replays it (tests/factories.py)."""

from django.db import migrations

from ecomops.beat import schedule_operation


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0002_email_wanted_and_unsent_index"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [
        schedule_operation(
            name="补发未发出的通知邮件（每五分钟）",
            task="ecomops.notifications.tasks.send_unsent_emails",
            minute="*/5",
            description=(
                "每五分钟查看一次：应发邮件但仍未发出的通知（如消息队列中断或进程崩溃时丢失的）"
                "补发邮件；每条只发一次，两天以上的不再补发（通知仍在门户里）。"
            ),
        )
    ]
