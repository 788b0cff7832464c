"""Indexes for the line list above county level and the count matrix (decision 0710)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("surveillance", "0004_import_rows"),
    ]

    operations = [
        # The line list newest first, read backwards, division and status tested in the index.
        migrations.AddIndex(
            model_name="casereport",
            index=models.Index(fields=["reported_at", "id", "division_code", "status"],
                               name="surv_case_list_order"),
        ),
        # Replaces (basis, disease, day), its prefix: the matrix of one disease is read from
        # the index alone.
        migrations.RemoveIndex(
            model_name="dailycount",
            name="surveillanc_basis_7383e6_idx",
        ),
        migrations.AddIndex(
            model_name="dailycount",
            index=models.Index(
                fields=["basis", "disease", "day", "county_code", "classification", "count"],
                name="surv_dailycount_matrix"),
        ),
    ]
