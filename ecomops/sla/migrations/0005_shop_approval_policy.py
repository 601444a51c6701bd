"""The shop approval clock (开店审核) for databases created before it was a default policy."""

import importlib

from django.db import migrations

defaults = importlib.import_module("ecomops.sla.migrations.0002_default_policies")


class Migration(migrations.Migration):
    dependencies = [("sla", "0004_owner_role_hr")]
    operations = [migrations.RunPython(defaults.create_policies, migrations.RunPython.noop)]
