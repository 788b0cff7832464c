# Reserved for the bulk-import work (ImportBatch and the rows it writes); later migrations
# depend on it, so its operations are filled in place rather than in a new file.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("surveillance", "0003_lab_result_lab_index")]

    operations: list[migrations.operations.base.Operation] = []
