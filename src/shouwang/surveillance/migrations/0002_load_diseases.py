"""Load the notifiable-disease list from surveillance/data/diseases.csv."""

from django.db import migrations


def load(apps, schema_editor):
    from shouwang.surveillance.services.diseases import diseases_sync

    diseases_sync(apps.get_model("surveillance", "Disease"))


class Migration(migrations.Migration):
    dependencies = [("surveillance", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
