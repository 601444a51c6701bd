"""The admin lists beat's tasks by name: the default schedules get Chinese names and
descriptions (the task paths, crontabs and enabled flags stay)."""

from django.db import migrations

from ecomops.beat import rename_operation


class Migration(migrations.Migration):
    dependencies = [
        ("marketing", "0003_drop_unused_reminder"),
    ]

    operations = [
        rename_operation(
            {
                'Campaigns: end windows, take ready campaigns live (every 5 minutes)': (
                    '营销活动：结束到期活动、上线就绪活动（每 5 分钟）',
                    '窗口已结束的在线活动转入复盘并带上结果；窗口开启且各部门任务均已完成或豁免的协同活动自动上线，仍有任务阻塞时提醒负责人和经理一次。重复运行无副作用。',
                ),
            }
        ),
    ]
