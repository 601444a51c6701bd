"""The admin lists beat's tasks by name: the default schedules get Chinese names and
descriptions (the task paths, crontabs and enabled flags stay)."""

from django.db import migrations

from ecomops.beat import rename_operation


class Migration(migrations.Migration):
    dependencies = [
        ("worktasks", "0002_schedules"),
    ]

    operations = [
        rename_operation(
            {
                'Department tasks overdue: remind both sides (every 10 minutes)': (
                    '部门任务逾期：提醒双方（每 10 分钟）',
                    '进行中的部门任务超过截止时间时，提醒接收部门和下达部门各一次。',
                ),
            }
        ),
    ]
