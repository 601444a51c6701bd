"""Create one group per role (DESIGN: departments and roles as Django groups)."""

from django.db import migrations

ROLE_CODES = [
    "sales_rep",
    "presales_service",
    "aftersales_service",
    "shop_manager",
    "listing_reviewer",
    "designer",
    "promotion",
    "network_sales",
    "distribution_specialist",
    "bu_applicant",
    "bu_parts_admin",
    "warehouse_admin",
    "picker",
    "packer",
    "finance_clerk",
    "manager",
]


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for code in ROLE_CODES:
        Group.objects.get_or_create(name=code)


class Migration(migrations.Migration):
    dependencies = [("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
