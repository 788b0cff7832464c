import pytest

from shouwang.surveillance.models import Disease, DiseaseClass
from shouwang.surveillance.services.diseases import (
    DATA_FILE,
    SyncResult,
    diseases_sync,
    read_disease_file,
)


@pytest.mark.django_db
def test_the_legal_list_is_loaded_by_the_migration():
    assert Disease.objects.filter(disease_class=DiseaseClass.A).count() == 2
    assert Disease.objects.count() == len(read_disease_file())
    assert Disease.objects.get(code="covid19").name == "新型冠状病毒感染"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "hours"),
    [("plague", 2), ("cholera", 2), ("sars", 2), ("anthrax_pulmonary", 2), ("polio", 2),
     ("covid19", 24), ("measles", 24), ("hfmd", 24)],
)
def test_reporting_deadlines_follow_the_rules(code, hours):
    assert Disease.objects.get(code=code).report_deadline_hours == hours


def test_class_a_and_managed_as_class_a_report_within_two_hours():
    for row in read_disease_file():
        if row["disease_class"] == "A" or row["managed_as_class_a"]:
            assert row["report_deadline_hours"] == 2, row["code"]


@pytest.mark.django_db
def test_sync_is_idempotent_and_deactivates_what_the_file_dropped(tmp_path):
    assert diseases_sync() == SyncResult(created=0, updated=0, deactivated=0)
    lines = DATA_FILE.read_text(encoding="utf-8").splitlines()
    dropped = lines[-1].split(",")[0]
    trimmed = tmp_path / "diseases.csv"
    trimmed.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    assert diseases_sync(path=trimmed).deactivated == 1
    assert not Disease.objects.get(code=dropped).active
    assert diseases_sync().updated == 1
    assert Disease.objects.get(code=dropped).active


def test_every_code_fits_the_column():
    limit = Disease._meta.get_field("code").max_length
    assert all(len(row["code"]) <= limit for row in read_disease_file())
