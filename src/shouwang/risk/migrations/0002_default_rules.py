from django.db import migrations


def seed(apps, schema_editor):  # type: ignore[no-untyped-def]
    from shouwang.risk.defaults import seed as seed_defaults

    seed_defaults(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("risk", "0001_initial"),
        ("surveillance", "0002_load_diseases"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
