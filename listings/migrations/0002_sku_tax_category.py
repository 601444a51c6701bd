from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("listings", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="sku",
            name="tax_category",
            field=models.CharField(
                blank=True,
                help_text=(
                    "The short name of the goods' tax classification, e.g. 日用杂品 or 化妆品: "
                    "invoices print it before the name (*日用杂品*枕头)."
                ),
                max_length=40,
                verbose_name="tax category",
            ),
        ),
    ]
