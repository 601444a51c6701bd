"""The admin lists beat's tasks by name: the default schedules get Chinese names and
descriptions (the task paths, crontabs and enabled flags stay)."""

from django.db import migrations

from ecomops.beat import rename_operation


class Migration(migrations.Migration):
    dependencies = [
        ("warehouse", "0004_state_machines"),
    ]

    operations = [
        rename_operation(
            {
                'Release the cutoff batch (12:00 and 15:00)': (
                    '放行截单批次（12:00 和 15:00）',
                    '把刚截单的批次放行为带拣货单的波次；公司日历的非工作日不做任何事。重复运行无副作用。',
                ),
            }
        ),
    ]
