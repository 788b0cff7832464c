"""Lab results: validation, idempotency, linking to cases, report-due tasks, visibility, API."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from shouwang.accounts.roles import Role
from shouwang.core.audit import MASK
from shouwang.core.errors import InvalidInput
from shouwang.core.models import AuditAction, AuditEvent
from shouwang.surveillance.models import LabResult, ReportTask, TaskStatus
from shouwang.surveillance.selectors import labs as sel
from shouwang.surveillance.services.labs import (
    lab_result_submit,
    report_task_cancel,
    report_tasks_resolve_for_case,
)
from tests.accounts.helpers import bearer
from tests.surveillance.test_timeliness import make_case, resident_id

ID = resident_id("420106", "19900101", "123")  # a man (3 is odd) born 1 January 1990


def lab_data(**over: Any) -> dict[str, Any]:
    tested = timezone.now() - timedelta(hours=2)
    data: dict[str, Any] = {
        "disease": "covid19", "sample_id": "S-0001", "sample_type": "throat_swab",
        "sampled_at": tested - timedelta(hours=6), "tested_at": tested, "method": "pcr",
        "result": "positive", "ct_value": 24.5, "laboratory": "武昌区疾控中心实验室",
        "laboratory_division_code": "420106", "division_code": "420106",
        "name": "李四", "id_type": "resident_id", "id_number": ID.lower(),
        "phone": "+86 138-0013-8000",
    }
    data.update(over)
    return data


@pytest.fixture
def lab(divisions: None, make_user: Any) -> Any:
    return make_user(Role.LABORATORY, "420106", username="lab-wuchang")


@pytest.fixture
def officer(divisions: None, make_user: Any) -> Any:
    return make_user(Role.COUNTY_OFFICER, "420106", username="officer-wuchang")


# --- submitting -------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_valid_result_is_stored_normalised_and_audited(lab):
    result, created = lab_result_submit(actor=lab, data=lab_data(id_number=f" {ID.lower()} "))
    assert created
    result.refresh_from_db()
    assert result.id_number == ID.upper()
    assert result.phone == "13800138000"
    assert (result.sex, result.birth_date.isoformat()) == ("M", "1990-01-01")
    assert result.created_by == lab
    event = AuditEvent.objects.get(action=AuditAction.CREATE,
                                   object_type="surveillance.labresult")
    assert event.changes["name"] == MASK and event.changes["id_number"] == MASK
    assert "李四" not in str(event.changes) and ID not in str(event.changes)


@pytest.mark.django_db
def test_the_same_source_key_stores_one_result(lab):
    first, created = lab_result_submit(actor=lab, data=lab_data(), source_key="lims-42")
    again, created_again = lab_result_submit(actor=lab, data=lab_data(sample_id="other"),
                                             source_key="lims-42")
    assert created and not created_again
    assert again.pk == first.pk
    assert LabResult.objects.count() == 1
    assert ReportTask.objects.count() == 1
    replay = AuditEvent.objects.get(action=AuditAction.READ)
    assert (replay.actor, replay.object_id) == (lab, str(first.pk))


@pytest.mark.django_db
def test_a_source_key_taken_outside_the_jurisdiction_is_refused_without_leaking(lab, make_user):
    far_lab = make_user(Role.LABORATORY, "430102", username="lab-furong")
    lab_result_submit(actor=far_lab, data=lab_data(laboratory_division_code="430102",
                                                   division_code="430102"), source_key="k1")
    with pytest.raises(InvalidInput) as exc:
        lab_result_submit(actor=lab, data=lab_data(), source_key="k1")
    assert "source_key" in exc.value.fields
    assert LabResult.objects.count() == 1


def _future() -> datetime:
    return timezone.now() + timedelta(hours=3)


BAD_INPUT = [
    ("future sampling", {"sampled_at": _future(), "tested_at": _future()}, "sampled_at"),
    ("future test", {"tested_at": _future()}, "tested_at"),
    ("tested before sampled",
     {"sampled_at": timezone.now() - timedelta(hours=1),
      "tested_at": timezone.now() - timedelta(hours=5)}, "tested_at"),
    ("not a datetime", {"tested_at": "yesterday"}, "tested_at"),
    ("unknown division", {"division_code": "429999"}, "division_code"),
    ("division above county", {"division_code": "420100"}, "division_code"),
    ("unknown lab division", {"laboratory_division_code": "999999"},
     "laboratory_division_code"),
    ("Ct on an antigen test", {"method": "antigen", "ct_value": 30}, "ct_value"),
    ("Ct out of range", {"ct_value": 55}, "ct_value"),
    ("Ct not a number", {"ct_value": "high"}, "ct_value"),
    ("wrong ID check digit", {"id_number": ID[:-1] + ("1" if ID[-1] != "1" else "2")},
     "id_number"),
    ("ID with type none", {"id_type": "none"}, "id_number"),
    ("sex contradicts ID", {"sex": "F"}, "sex"),
    ("birth date contradicts ID", {"birth_date": "1991-01-01"}, "birth_date"),
    ("bad passport", {"id_type": "passport", "id_number": "E12#456"}, "id_number"),
    ("bad phone", {"phone": "12345"}, "phone"),
    ("unknown disease", {"disease": "flu_x"}, "disease"),
    ("missing sample id", {"sample_id": "  "}, "sample_id"),
    ("unknown sample type", {"sample_type": "saliva"}, "sample_type"),
    ("unknown method", {"method": "smell"}, "method"),
    ("unknown result", {"result": "maybe"}, "result"),
    ("missing name", {"name": ""}, "name"),
    ("missing laboratory", {"laboratory": ""}, "laboratory"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("case", "over", "field"), BAD_INPUT, ids=[b[0] for b in BAD_INPUT])
def test_bad_input_is_a_field_error_and_writes_nothing(lab, case, over, field):
    with pytest.raises(InvalidInput) as exc:
        lab_result_submit(actor=lab, data=lab_data(**over))
    assert field in exc.value.fields, exc.value.fields
    assert all(str(m) for m in exc.value.fields[field])
    assert not LabResult.objects.exists()
    assert not ReportTask.objects.exists()


@pytest.mark.django_db
def test_several_bad_fields_are_reported_together(lab):
    with pytest.raises(InvalidInput) as exc:
        lab_result_submit(actor=lab, data=lab_data(method="antigen", ct_value=20,
                                                   division_code="429999", name=""))
    assert {"ct_value", "division_code", "name"} <= set(exc.value.fields)


@pytest.mark.django_db
def test_a_small_clock_skew_is_accepted(lab):
    result, _ = lab_result_submit(actor=lab, data=lab_data(
        tested_at=timezone.now() + timedelta(minutes=2)))
    assert result.pk


@pytest.mark.django_db
def test_who_may_submit(lab, make_user):
    grid = make_user(Role.GRID_WORKER, "420106")
    with pytest.raises(PermissionDenied):
        lab_result_submit(actor=grid, data=lab_data())
    # A laboratory speaks for its own laboratory only …
    with pytest.raises(InvalidInput) as exc:
        lab_result_submit(actor=lab, data=lab_data(laboratory_division_code="420111"))
    assert "laboratory_division_code" in exc.value.fields
    # … but tests people living anywhere.
    result, _ = lab_result_submit(actor=lab, data=lab_data(division_code="430102"))
    assert result.division_code == "430102"
    # An officer submits for people or laboratories of the own county.
    hongshan = make_user(Role.COUNTY_OFFICER, "420111")
    with pytest.raises(InvalidInput) as exc:
        lab_result_submit(actor=hongshan, data=lab_data())
    assert "division_code" in exc.value.fields
    assert lab_result_submit(actor=hongshan, data=lab_data(division_code="420111001"))[1]


# --- linking and report-due tasks -------------------------------------------------------------

@pytest.mark.django_db
def test_a_positive_without_case_opens_a_task_for_the_persons_county(lab):
    data = lab_data(division_code="420111001")
    result, _ = lab_result_submit(actor=lab, data=data)
    task = ReportTask.objects.get(lab_result=result)
    assert task.division_code == "420111"
    assert task.status == TaskStatus.OPEN
    assert task.due_at == data["tested_at"] + timedelta(hours=24)
    plague, _ = lab_result_submit(actor=lab, data=lab_data(disease="plague", sample_id="P-1",
                                                           method="culture", ct_value=None))
    assert plague.report_task.due_at == plague.tested_at + timedelta(hours=2)
    assert AuditEvent.objects.filter(object_type="surveillance.reporttask").count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("outcome", ["negative", "inconclusive"])
def test_a_non_positive_result_opens_no_task(lab, outcome):
    lab_result_submit(actor=lab, data=lab_data(result=outcome, ct_value=None))
    assert not ReportTask.objects.exists()


@pytest.mark.django_db
def test_a_result_for_someone_with_a_case_is_linked_and_opens_no_task(lab, officer):
    case = make_case(actor=officer, diagnosed_at=timezone.now() - timedelta(days=3), id_number=ID)
    old = make_case(actor=officer, diagnosed_at=timezone.now() - timedelta(days=200),
                    id_number=ID)
    result, _ = lab_result_submit(actor=lab, data=lab_data())
    assert result.case == case != old
    assert not ReportTask.objects.exists()
    other_disease, _ = lab_result_submit(actor=lab, data=lab_data(disease="measles",
                                                                  sample_id="M-1"))
    assert other_disease.case is None
    assert ReportTask.objects.filter(lab_result=other_disease).exists()


@pytest.mark.django_db
def test_positive_then_case_reported_resolves_the_task(lab, officer):
    result, _ = lab_result_submit(actor=lab, data=lab_data())
    second, _ = lab_result_submit(actor=lab, data=lab_data(sample_id="S-0002"))
    stranger, _ = lab_result_submit(actor=lab, data=lab_data(
        sample_id="S-9", id_number=resident_id("420106", "19850505", "222")))
    assert ReportTask.objects.filter(status=TaskStatus.OPEN).count() == 3
    case = make_case(actor=officer, diagnosed_at=timezone.now() - timedelta(hours=1),
                     id_number=ID)
    assert report_tasks_resolve_for_case(case, actor=officer) == 2
    for r in (result, second):
        r.refresh_from_db()
        assert r.case == case
        assert r.report_task.status == TaskStatus.DONE
        assert r.report_task.case == case and r.report_task.resolved_at is not None
    stranger.refresh_from_db()
    assert stranger.case is None and stranger.report_task.status == TaskStatus.OPEN
    assert report_tasks_resolve_for_case(case, actor=officer) == 0  # idempotent
    assert AuditEvent.objects.filter(object_type="surveillance.reporttask",
                                     action=AuditAction.UPDATE).count() == 2


@pytest.mark.django_db
def test_a_case_without_id_number_resolves_nothing(lab, officer):
    lab_result_submit(actor=lab, data=lab_data())
    case = make_case(actor=officer, diagnosed_at=timezone.now())
    assert report_tasks_resolve_for_case(case) == 0
    assert ReportTask.objects.get().status == TaskStatus.OPEN


@pytest.mark.django_db
def test_cancelling_a_task_needs_a_reason_and_an_officer(lab, officer):
    result, _ = lab_result_submit(actor=lab, data=lab_data())
    task = result.report_task
    with pytest.raises(PermissionDenied):
        report_task_cancel(actor=lab, task=task, reason="假阳性")
    with pytest.raises(InvalidInput) as exc:
        report_task_cancel(actor=officer, task=task, reason="  ")
    assert "reason" in exc.value.fields
    done = report_task_cancel(actor=officer, task=task, reason="复核为假阳性")
    assert (done.status, done.note) == (TaskStatus.CANCELLED, "复核为假阳性")
    with pytest.raises(InvalidInput) as exc:
        report_task_cancel(actor=officer, task=task, reason="again")
    assert exc.value.code == "conflict"


# --- who sees what ----------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_result_is_seen_where_the_person_lives_and_where_the_lab_is(lab, make_user):
    result, _ = lab_result_submit(actor=lab, data=lab_data(division_code="430102"))
    furong = make_user(Role.COUNTY_OFFICER, "430102")
    hongshan = make_user(Role.COUNTY_OFFICER, "420111")
    hubei = make_user(Role.PROVINCIAL_OFFICER, "420000")
    assert list(sel.lab_result_list(user=lab)) == [result]
    assert list(sel.lab_result_list(user=furong)) == [result]
    assert list(sel.lab_result_list(user=hubei)) == [result]
    assert not sel.lab_result_list(user=hongshan).exists()
    # The task belongs to the county that must act, not to the laboratory.
    assert [t.pk for t in sel.open_report_tasks(user=furong)] == [result.report_task.pk]
    assert not sel.open_report_tasks(user=lab).exists()


@pytest.mark.django_db
def test_list_filters(lab, officer):
    case = make_case(actor=officer, diagnosed_at=timezone.now(), id_number=ID)
    linked, _ = lab_result_submit(actor=lab, data=lab_data())
    other, _ = lab_result_submit(actor=lab, data=lab_data(
        sample_id="A-1", method="antigen", ct_value=None, result="negative",
        id_number=resident_id("420106", "19850505", "222"),
        tested_at=timezone.now() - timedelta(days=3),
        sampled_at=timezone.now() - timedelta(days=3, hours=1)))
    assert linked.case == case

    def ids(**f: Any) -> list[int]:
        return [r.pk for r in sel.lab_result_list(user=officer,
                                                  filters=sel.LabResultFilters(**f))]

    assert ids() == [linked.pk, other.pk]
    assert ids(method="antigen") == [other.pk]
    assert ids(result="positive") == [linked.pk]
    assert ids(linked=True) == [linked.pk]
    assert ids(linked=False) == [other.pk]
    assert ids(disease="measles") == []
    today = timezone.localdate()
    assert ids(since=today - timedelta(days=1)) == [linked.pk]
    assert ids(until=today - timedelta(days=2)) == [other.pk]


@pytest.mark.django_db
def test_open_tasks_carry_an_overdue_flag(lab, officer):
    old = lab_data(sample_id="OLD", tested_at=timezone.now() - timedelta(days=2),
                   sampled_at=timezone.now() - timedelta(days=2, hours=1))
    overdue_result, _ = lab_result_submit(actor=lab, data=old)
    fresh, _ = lab_result_submit(actor=lab, data=lab_data(
        id_number=resident_id("420106", "19850505", "222")))
    tasks = list(sel.open_report_tasks(user=officer))
    assert [(t.lab_result_id, t.overdue) for t in tasks] == [
        (overdue_result.pk, True), (fresh.pk, False)]
    assert [t.lab_result_id for t in sel.open_report_tasks(user=officer, overdue_only=True)] == [
        overdue_result.pk]


# --- API --------------------------------------------------------------------------------------

def _json(over: dict[str, Any] | None = None) -> dict[str, Any]:
    data = lab_data(**(over or {}))
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in data.items()}


@pytest.mark.django_db
def test_api_submit_is_idempotent_on_the_header(client, lab):
    auth = bearer(lab)
    url = "/api/v1/surveillance/labs"
    r = client.post(url, _json(), content_type="application/json",
                    HTTP_IDEMPOTENCY_KEY="lims-7", **auth)
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["id_number"] == ID and body["report_task_id"] is not None
    r = client.post(url, _json(), content_type="application/json",
                    HTTP_IDEMPOTENCY_KEY="lims-7", **auth)
    assert r.status_code == 200 and r.json()["id"] == body["id"]
    r = client.post(url, {**_json(), "source_key": "lims-8"}, content_type="application/json",
                    **auth)
    assert r.status_code == 201
    assert LabResult.objects.get(pk=r.json()["id"]).source_key == "lims-8"


@pytest.mark.django_db
def test_api_bad_input_is_422_with_fields(client, lab, make_user):
    auth = bearer(lab)
    url = "/api/v1/surveillance/labs"
    r = client.post(url, _json({"method": "antigen", "ct_value": 31}),
                    content_type="application/json", **auth)
    assert r.status_code == 422
    assert r.json()["code"] == "invalid_input" and "ct_value" in r.json()["fields"]
    r = client.post(url, {k: v for k, v in _json().items() if k != "sampled_at"},
                    content_type="application/json", **auth)
    assert r.status_code == 422 and "sampled_at" in r.json()["fields"]
    grid = bearer(make_user(Role.GRID_WORKER, "420106"))
    assert client.post(url, _json(), content_type="application/json", **grid).status_code == 403
    assert not LabResult.objects.exists()


@pytest.mark.django_db
def test_api_list_detail_and_the_audited_read(client, lab, make_user):
    result, _ = lab_result_submit(actor=lab, data=lab_data())
    city = make_user(Role.CITY_OFFICER, "420100")
    auth = bearer(city)
    r = client.get("/api/v1/surveillance/labs", {"linked": "false", "result": "positive"},
                   **auth)
    assert r.status_code == 200 and r.json()["count"] == 1
    assert "name" not in r.json()["items"][0] and "id_number" not in r.json()["items"][0]
    assert not AuditEvent.objects.filter(action=AuditAction.READ).exists()
    r = client.get(f"/api/v1/surveillance/labs/{result.pk}", **auth)
    assert r.status_code == 200 and r.json()["name"] == "李四"
    read = AuditEvent.objects.get(action=AuditAction.READ)
    assert (read.actor, read.object_id, read.division_code) == (city, str(result.pk), "420106")
    sibling = bearer(make_user(Role.COUNTY_OFFICER, "420111"))
    assert client.get(f"/api/v1/surveillance/labs/{result.pk}", **sibling).status_code == 404
    assert client.get("/api/v1/surveillance/labs", **sibling).json()["count"] == 0


@pytest.mark.django_db
def test_api_tasks_and_cancel(client, lab, officer):
    result, _ = lab_result_submit(actor=lab, data=lab_data())
    auth = bearer(officer)
    r = client.get("/api/v1/surveillance/labs/tasks", **auth)
    assert r.status_code == 200
    [item] = r.json()["items"]
    assert (item["lab_result_id"], item["overdue"], item["status"]) == (result.pk, False, "open")
    assert item["sample_id"] == "S-0001"
    url = f"/api/v1/surveillance/labs/tasks/{item['id']}/cancel"
    r = client.post(url, {"reason": ""}, content_type="application/json", **auth)
    assert r.status_code == 422 and "reason" in r.json()["fields"]
    assert client.post(url, {"reason": "x"}, content_type="application/json",
                       **bearer(lab)).status_code == 403
    r = client.post(url, {"reason": "复核为假阳性"}, content_type="application/json", **auth)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert client.get("/api/v1/surveillance/labs/tasks", **auth).json()["count"] == 0


@pytest.mark.django_db
def test_api_errors_speak_english_when_asked(client, lab):
    r = client.post("/api/v1/surveillance/labs",
                    _json({"method": "antigen", "ct_value": 31, "division_code": "420100"}),
                    content_type="application/json", HTTP_ACCEPT_LANGUAGE="en", **bearer(lab))
    assert r.status_code == 422
    fields = r.json()["fields"]
    assert fields["ct_value"] == ["Only a nucleic acid test (PCR) has a Ct value."]
    assert fields["division_code"] == [
        "The residence division must be a county-level division or below."]


@pytest.mark.django_db
def test_lists_do_not_query_per_row(client, lab, officer, django_assert_max_num_queries):
    for i in range(5):
        lab_result_submit(actor=lab, data=lab_data(
            sample_id=f"N-{i}", id_number=resident_id("420106", "19850505", f"{i:03d}")))
    auth = bearer(officer)
    # Token check and its last-used stamp, the count, the page (+1 spare): never one per row.
    with django_assert_max_num_queries(5):
        r = client.get("/api/v1/surveillance/labs/tasks", **auth)
    assert r.json()["count"] == 5
    with django_assert_max_num_queries(5):
        r = client.get("/api/v1/surveillance/labs", **auth)
    assert r.json()["count"] == 5
