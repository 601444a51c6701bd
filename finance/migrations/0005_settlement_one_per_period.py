from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("finance", "0004_chinese_names"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="settlement",
            constraint=models.UniqueConstraint(
                fields=("period_start", "period_end"), name="finance_settlement_one_per_period"
            ),
        ),
    ]
