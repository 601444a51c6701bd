"""Create the group of the HR specialist role (人事专员), added after 0001."""

from django.db import migrations

ROLE_CODES = ["hr"]


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for code in ROLE_CODES:
        Group.objects.get_or_create(name=code)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_roles")]
    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
