# Reserved for the bulk-import work (ImportBatch and the rows it writes); later migrations
# depend on it, so its operations are filled in place rather than in a new file.
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("surveillance", "0003_lab_result_lab_index")]

    operations: list[migrations.operations.base.Operation] = [
        migrations.AddField(
            model_name="importbatch", name="file_format",
            field=models.CharField(blank=True, max_length=8, verbose_name="文件格式"),
        ),
        migrations.AddField(
            model_name="importbatch", name="dry_run",
            field=models.BooleanField(default=False, verbose_name="试运行"),
        ),
        migrations.AddField(
            model_name="importbatch", name="resume_line",
            field=models.PositiveIntegerField(default=0, verbose_name="已提交至行"),
        ),
        migrations.AddField(
            model_name="importbatch", name="existing_rows",
            field=models.PositiveIntegerField(default=0, verbose_name="此前已导入"),
        ),
        migrations.AddField(
            model_name="importbatch", name="candidate_rows",
            field=models.PositiveIntegerField(default=0, verbose_name="疑似重复"),
        ),
        migrations.AddField(
            model_name="importbatch", name="touched",
            field=models.JSONField(blank=True, default=dict, verbose_name="涉及的计数单元"),
        ),
        migrations.AddField(
            model_name="importbatch", name="failure",
            field=models.TextField(blank=True, verbose_name="失败原因"),
        ),
        migrations.AddField(
            model_name="importbatch", name="started_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="开始时间"),
        ),
    ]
