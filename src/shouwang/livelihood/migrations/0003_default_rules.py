from django.db import migrations


def seed(apps, schema_editor):  # type: ignore[no-untyped-def]
    from shouwang.livelihood.defaults import seed as seed_defaults

    seed_defaults(apps)


class Migration(migrations.Migration):
    dependencies = [("livelihood", "0002_monitoring_runs")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
