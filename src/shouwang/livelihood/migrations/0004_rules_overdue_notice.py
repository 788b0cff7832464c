# The time the cadres were told that a signal passed its time limit undecided (decision 1270).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('livelihood', '0003_default_rules'),
    ]

    operations = [
        migrations.AddField(
            model_name='signal',
            name='overdue_notified_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='超时提醒时间'),
        ),
    ]
