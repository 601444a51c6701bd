"""Beat says "look now" every two minutes: any batch a release left half done (a worker
killed mid-release, the release message lost with the broker, a worker back after the next
cut) is finished, whatever its date (DESIGN §7, issue 23 §2).

Built from ``ecomops.beat``'s operations so a test flush replays it (tests/factories.py)."""

from django.db import migrations

from ecomops.beat import schedule_operation

NAME = "续完中断的批次放行（每两分钟）"
DESCRIPTION = (
    "每两分钟查看一次：放行中途中断（进程崩溃、消息丢失）仍处于“放行中”的批次，"
    "补齐未放行的出库单、波次和拣货单，每张出库单只放行一次；已放行批次中缺波次的出库单补建波次。"
    "重复或迟到运行无副作用。"
)


class Migration(migrations.Migration):
    dependencies = [
        ("warehouse", "0006_release_every_minute"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [
        schedule_operation(
            name=NAME,
            task="warehouse.tasks.resume_batches",
            minute="*/2",
            hour="*",
            description=DESCRIPTION,
        ),
    ]
