from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("marketing", "0004_chinese_schedule_names"),
    ]

    operations = [
        migrations.AddField(
            model_name="planline",
            name="below_subsidy_reason",
            field=models.CharField(
                blank=True,
                max_length=300,
                verbose_name="reason for pricing below the base subsidy price",
            ),
        ),
    ]
