"""The cut times are data a manager changes in the admin (ecomops.cutoffs): beat no longer
fires at fixed hours but says "look now" every minute, and the task releases whichever
batch the data says is cut, once (a batch already released is left alone, DESIGN §7).

Built from ``ecomops.beat``'s operations so a test flush replays it (tests/factories.py)."""

from django.db import migrations

from ecomops.beat import rename_operation, schedule_operation

NAME = "放行到点的截单批次（每分钟查看）"
DESCRIPTION = (
    "每分钟查看一次：按后台设置的截单时间，放行刚到截单时间的批次（生成波次和拣货单）；"
    "公司日历的非工作日不做任何事。已放行的批次不会重复放行，重复或迟到运行无副作用。"
)


class Migration(migrations.Migration):
    dependencies = [
        ("warehouse", "0005_chinese_schedule_names"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [
        rename_operation({"放行截单批次（12:00 和 15:00）": (NAME, DESCRIPTION)}),
        schedule_operation(
            name=NAME,
            task="warehouse.tasks.release_due_batch",
            minute="*",
            hour="*",
            description=DESCRIPTION,
        ),
    ]
