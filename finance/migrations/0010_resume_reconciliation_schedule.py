"""Beat says "look now" every five minutes: a reconciliation left unfinished (its worker
killed mid-run) is run again and a summary e-mail that never went out is sent (DESIGN §7,
issue 23 §3).

Built from ``ecomops.beat``'s operations so a test flush replays it (tests/factories.py)."""

from django.db import migrations

from ecomops.beat import schedule_operation


class Migration(migrations.Migration):
    dependencies = [
        ("finance", "0009_reconciliation_emailed_at"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [
        schedule_operation(
            name="续完对账并补发对账邮件（每五分钟）",
            task="finance.tasks.resume_reconciliation",
            minute="*/5",
            description=(
                "每五分钟查看一次：近三天中断未完成的对账重新运行；已完成但对账摘要邮件"
                "未发出的补发给财务。重复或迟到运行无副作用。"
            ),
        )
    ]
