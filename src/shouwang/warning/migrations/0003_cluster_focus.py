"""A scan cluster names the member with the most cases (where its alert goes and who sees it)
and the cases of each member. Clusters stored before have no per-member counts: their focus is
their centre, as it was."""

from django.db import migrations, models
from django.db.models import F


def focus_on_the_centre(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("warning", "ScanCluster").objects.update(focus_code=F("centre_code"))


class Migration(migrations.Migration):

    dependencies = [
        ("warning", "0002_notification_once"),
    ]

    operations = [
        migrations.AddField(
            model_name="scancluster",
            name="focus_code",
            field=models.CharField(default="", max_length=12, verbose_name="病例最多的区划"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="scancluster",
            name="member_counts",
            field=models.JSONField(default=list, verbose_name="各区划病例数"),
        ),
        migrations.RunPython(focus_on_the_centre, migrations.RunPython.noop),
        migrations.RemoveIndex(model_name="scancluster", name="warning_cluster_centre"),
        migrations.AddIndex(
            model_name="scancluster",
            index=models.Index(fields=["focus_code", "run"], name="warning_cluster_focus"),
        ),
    ]
