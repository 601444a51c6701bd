"""The invoice cut is data a manager changes in the admin (ecomops.cutoffs): beat no longer
asks at a fixed 15:00 but every five minutes, and the check tells finance once a day, at the
first look after the cut in force that day (a re-sent invoice e-mail goes out within five
minutes as well).

Built from ``ecomops.beat``'s operations so a test flush replays it (tests/factories.py)."""

from django.db import migrations

from ecomops.beat import rename_operation, schedule_operation

NAME = "今日到期的开票申请（开票截止后提醒）"
DESCRIPTION = (
    "每五分钟查看一次：过了后台设置的开票截止时间（默认 15:00），告诉财务今天到期仍未开具的"
    "开票申请有多少（每天一次）；重发邮件未发出的电子发票。"
)


class Migration(migrations.Migration):
    dependencies = [
        ("finance", "0007_payment_channel_reference_index"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [
        rename_operation({"今日到期的开票申请（15:00）": (NAME, DESCRIPTION)}),
        schedule_operation(
            name=NAME,
            task="finance.tasks.check_invoice_requests",
            minute="*/5",
            hour="*",
            description=DESCRIPTION,
        ),
    ]
