import csv
from datetime import timedelta
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import path
from django.utils import timezone
from ninja import NinjaAPI

from shouwang.accounts.roles import Role
from shouwang.accounts.tokens import api_token_create
from shouwang.api.auth import SessionAuth, TokenAuth
from shouwang.api.errors import install_error_handlers
from shouwang.config.celery import app as celery_app
from shouwang.core import jobs
from shouwang.core.audit import audit_log
from shouwang.core.errors import InvalidInput
from shouwang.core.jobs_api import router as jobs_router
from shouwang.core.models import AuditAction, AuditEvent, Job, JobStatus

# Until /api/v1 mounts the jobs router, these tests serve it from an API of their own with the
# same authentication and error handlers; the paths are the same.
_api = NinjaAPI(auth=[TokenAuth(), SessionAuth()], urls_namespace="jobs-test")
install_error_handlers(_api)
_api.add_router("/jobs", jobs_router)
urlpatterns = [path("api/v1/", _api.urls)]
use_test_urls = pytest.mark.urls(__name__)


@pytest.fixture
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


@pytest.fixture
def auditor(make_user):
    return make_user(Role.AUDITOR, "420100", username="auditor-wuhan")


@pytest.fixture
def sample_events(db, divisions):
    for code in ["420111", "420106", "420111001", "430102", "420606"]:
        audit_log(actor=None, action=AuditAction.UPDATE, object_type="sample.thing",
                  object_id=f"obj-{code}", division_code=code, summary=f"thing in {code}")


def _bearer(user):
    _, raw = api_token_create(actor=user, user=user, name="jobs-test")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def _read_csv(path):
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _enqueue(user, key="k1", **params):
    with mock.patch("shouwang.core.tasks.run_job.delay") as delay:
        job = jobs.job_enqueue(actor=user, kind=jobs.AUDIT_EXPORT, key=key, params=params)
    return job, delay


# --- Enqueueing ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_same_key_gives_the_same_job_and_sends_it_once(auditor, django_capture_on_commit_callbacks):
    with mock.patch("shouwang.core.tasks.run_job.delay") as delay:
        with django_capture_on_commit_callbacks(execute=True):
            first = jobs.job_enqueue(actor=auditor, kind=jobs.AUDIT_EXPORT, key="x",
                                     params={"object_type": "sample.thing"})
        with django_capture_on_commit_callbacks(execute=True):
            again = jobs.job_enqueue(actor=auditor, kind=jobs.AUDIT_EXPORT, key="x",
                                     params={"object_type": "sample.thing"})
    assert again.pk == first.pk
    assert Job.objects.filter(kind=jobs.AUDIT_EXPORT, key="x").count() == 1
    delay.assert_called_once_with(first.pk)
    assert first.division_code == "420100"
    assert first.status == JobStatus.QUEUED


@pytest.mark.django_db
def test_same_key_with_other_params_is_refused(auditor):
    _enqueue(auditor, key="x", action="update")
    with pytest.raises(InvalidInput) as err:
        _enqueue(auditor, key="x", action="create")
    assert "key" in err.value.fields
    assert Job.objects.count() == 1


@pytest.mark.django_db
def test_keys_belong_to_their_owner(auditor, make_user):
    other = make_user(Role.AUDITOR, "430100", username="auditor-changsha")
    mine, _ = _enqueue(auditor, key="same")
    theirs, _ = _enqueue(other, key="same")
    assert mine.pk != theirs.pk
    assert theirs.owner == other


@pytest.mark.django_db
def test_only_auditors_may_export_the_audit_log(make_user):
    officer = make_user(Role.COUNTY_OFFICER, "420111")
    with pytest.raises(PermissionDenied):
        _enqueue(officer)
    assert not Job.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "2026-13-01"}, "since"),
        ({"since": "2026-03-02", "until": "2026-03-01"}, "until"),
        ({"division_code": "999999"}, "division_code"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_parameters_are_refused_field_by_field(auditor, params, field):
    with pytest.raises(InvalidInput) as err:
        _enqueue(auditor, **params)
    assert field in err.value.fields
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_unknown_kind_and_missing_key_are_field_errors(auditor):
    with pytest.raises(InvalidInput) as err:
        jobs.job_enqueue(actor=auditor, kind="no_such_kind", key="", params={})
    assert set(err.value.fields) == {"kind", "key"}


# --- Running ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_audit_export_writes_the_jurisdiction_only(auditor, sample_events, var_dir):
    job, _ = _enqueue(auditor, object_type="sample.thing")
    assert jobs.job_run(job_id=job.pk) == JobStatus.SUCCEEDED
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert job.result["rows"] == 3
    assert (job.progress_done, job.progress_total) == (3, 3)
    assert job.attempts == 1
    path = var_dir / "exports" / job.result["file"]
    rows = _read_csv(path)
    assert sorted(r["division_code"] for r in rows) == ["420106", "420111", "420111001"]
    assert list(rows[0]) == jobs.AUDIT_EXPORT_COLUMNS
    assert jobs.job_file(job) == path.resolve()
    # No half-written attempt is left behind.
    assert [p.name for p in (var_dir / "exports").iterdir()] == [path.name]

    export = AuditEvent.objects.get(action=AuditAction.EXPORT, object_id=str(job.pk))
    assert export.actor_username == "auditor-wuhan"
    assert export.object_type == "core.job"
    assert export.division_code == "420100"
    assert export.changes["rows"] == 3


@pytest.mark.django_db
def test_filters_narrow_the_export(auditor, sample_events, var_dir):
    job, _ = _enqueue(auditor, object_type="sample.thing", division_code="420111")
    jobs.job_run(job_id=job.pk)
    job.refresh_from_db()
    rows = _read_csv(var_dir / "exports" / job.result["file"])
    assert sorted(r["object_id"] for r in rows) == ["obj-420111", "obj-420111001"]


@pytest.mark.django_db
def test_spreadsheet_formulas_are_defused(auditor, var_dir):
    audit_log(actor=None, action=AuditAction.UPDATE, object_type="sample.evil",
              object_id="1", division_code="420111", summary="=HYPERLINK(\"http://x\")")
    job, _ = _enqueue(auditor, object_type="sample.evil")
    jobs.job_run(job_id=job.pk)
    job.refresh_from_db()
    (row,) = _read_csv(var_dir / "exports" / job.result["file"])
    assert row["summary"] == "'=HYPERLINK(\"http://x\")"


@pytest.mark.django_db
def test_running_a_finished_job_again_changes_nothing(auditor, sample_events, var_dir):
    job, _ = _enqueue(auditor, object_type="sample.thing")
    jobs.job_run(job_id=job.pk)
    path = var_dir / "exports" / Job.objects.get(pk=job.pk).result["file"]
    before = path.read_bytes()
    exports_before = AuditEvent.objects.filter(action=AuditAction.EXPORT).count()
    audit_log(actor=None, action=AuditAction.UPDATE, object_type="sample.thing",
              object_id="late", division_code="420111")

    assert jobs.job_run(job_id=job.pk) == JobStatus.SUCCEEDED
    assert path.read_bytes() == before
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT).count() == exports_before
    assert Job.objects.get(pk=job.pk).attempts == 1


@pytest.mark.django_db
def test_a_claimed_job_is_not_run_by_a_second_worker(auditor, var_dir):
    job, _ = _enqueue(auditor)
    claimed = jobs._claim(job.pk)
    assert claimed is not None
    assert jobs._claim(job.pk) is None
    with mock.patch.object(jobs, "_run_audit_export") as runner:
        assert jobs.job_run(job_id=job.pk) == JobStatus.RUNNING
    runner.assert_not_called()
    assert Job.objects.get(pk=job.pk).attempts == 1


@pytest.mark.django_db
def test_an_abandoned_claim_is_taken_over_and_the_old_worker_is_fenced(
    auditor, sample_events, var_dir
):
    job, _ = _enqueue(auditor, object_type="sample.thing")
    _, old_token = jobs._claim(job.pk)
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - jobs.LEASE * 2)

    assert jobs.job_run(job_id=job.pk) == JobStatus.SUCCEEDED
    job.refresh_from_db()
    assert job.attempts == 2
    # The worker that lost its claim can neither report progress nor finish the job.
    with pytest.raises(jobs.JobCancelled):
        jobs.job_progress(job_id=job.pk, claim_token=old_token, done=1)
    jobs._finish_failed(job, old_token, "late failure")
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert job.error == ""


@pytest.mark.django_db
def test_a_crashing_runner_fails_the_job_with_its_error(auditor, var_dir):
    job, _ = _enqueue(auditor)
    spec = jobs.job_kind(jobs.AUDIT_EXPORT)
    broken = jobs.JobKind(name=spec.name, capability=spec.capability, validate=spec.validate,
                          runner=mock.Mock(side_effect=ValueError("disk on fire")))
    with mock.patch.dict(jobs._KINDS, {jobs.AUDIT_EXPORT: broken}):
        assert jobs.job_run(job_id=job.pk) == JobStatus.FAILED
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "disk on fire" in job.error
    assert job.finished_at is not None
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


@pytest.mark.django_db
def test_a_transient_database_error_gives_the_claim_back(auditor, var_dir):
    from django.db import OperationalError

    job, _ = _enqueue(auditor)
    with (
        mock.patch.object(jobs, "_run_audit_export", side_effect=OperationalError("locked")),
        mock.patch.dict(jobs._KINDS, {jobs.AUDIT_EXPORT: jobs.JobKind(
            name=jobs.AUDIT_EXPORT, capability="audit.read",
            validate=jobs._validate_audit_export,
            runner=lambda job, ctx: jobs._run_audit_export(job, ctx),
        )}),
        pytest.raises(OperationalError),
    ):
        jobs.job_run(job_id=job.pk)
    assert Job.objects.get(pk=job.pk).status == JobStatus.QUEUED
    assert jobs.job_run(job_id=job.pk) == JobStatus.SUCCEEDED


@pytest.mark.django_db
def test_an_owner_who_lost_the_capability_gets_a_failed_job(auditor, var_dir):
    job, _ = _enqueue(auditor)
    type(auditor).objects.filter(pk=auditor.pk).update(is_active=False)
    assert jobs.job_run(job_id=job.pk) == JobStatus.FAILED
    assert "owner" in Job.objects.get(pk=job.pk).error


@pytest.mark.django_db
def test_stale_jobs_are_sent_again(auditor):
    job, _ = _enqueue(auditor)
    _enqueue(auditor, key="fresh")
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(hours=1))
    with mock.patch("shouwang.core.tasks.run_job.delay") as delay:
        assert jobs.job_requeue_stale() == [job.pk]
    delay.assert_called_once_with(job.pk)


@pytest.mark.django_db
def test_the_celery_task_runs_the_job_on_commit(
    auditor, sample_events, var_dir, django_capture_on_commit_callbacks
):
    celery_app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            job = jobs.job_enqueue(actor=auditor, kind=jobs.AUDIT_EXPORT, key="eager",
                                   params={"object_type": "sample.thing"})
    finally:
        celery_app.conf.task_always_eager = False
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert job.result["rows"] == 3


@pytest.mark.django_db
def test_the_registry_finds_the_audit_export_and_refuses_a_twin():
    spec = jobs.job_kinds()[jobs.AUDIT_EXPORT]
    assert spec.capability == "audit.read"
    with pytest.raises(ValueError, match="twice"):
        jobs.register_job_kind(jobs.JobKind(name=jobs.AUDIT_EXPORT, capability="x",
                                            runner=spec.runner, validate=spec.validate))


# --- API ----------------------------------------------------------------------------------------


@use_test_urls
@pytest.mark.django_db
def test_api_enqueue_watch_and_download(auditor, sample_events, var_dir):
    client = Client()
    headers = _bearer(auditor)
    with mock.patch("shouwang.core.tasks.run_job.delay"):
        response = client.post(
            "/api/v1/jobs", {"kind": "audit_export", "key": "api-1",
                             "params": {"object_type": "sample.thing"}},
            content_type="application/json", **headers,
        )
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "queued"
    assert body["download_url"] is None
    job_id = body["id"]

    assert client.get(f"/api/v1/jobs/{job_id}/download", **headers).status_code == 409
    jobs.job_run(job_id=job_id)

    detail = client.get(f"/api/v1/jobs/{job_id}", **headers).json()
    assert detail["status"] == "succeeded"
    assert (detail["progress_done"], detail["progress_total"]) == (3, 3)
    assert detail["download_url"] == f"/api/v1/jobs/{job_id}/download"

    download = client.get(detail["download_url"], **headers)
    assert download.status_code == 200
    assert download["Content-Type"].startswith("text/csv")
    text = b"".join(download.streaming_content).decode("utf-8-sig")
    assert text.splitlines()[0].startswith("id,occurred_at,actor_username")
    assert len(text.splitlines()) == 4
    assert AuditEvent.objects.filter(
        action=AuditAction.EXPORT, object_id=str(job_id), summary__contains="downloaded"
    ).exists()


@use_test_urls
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "division"),
    [(Role.AUDITOR, "430100"), (Role.AUDITOR, "420000"), (Role.NATIONAL_OFFICER, "000000")],
)
def test_api_another_users_job_is_not_found(auditor, make_user, var_dir, role, division):
    job, _ = _enqueue(auditor)
    jobs.job_run(job_id=job.pk)
    other = make_user(role, division)
    headers = _bearer(other)
    for url in (f"/api/v1/jobs/{job.pk}", f"/api/v1/jobs/{job.pk}/download"):
        response = Client().get(url, **headers)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert Client().get(f"/api/v1/jobs/{job.pk}", **_bearer(auditor)).status_code == 200


@use_test_urls
@pytest.mark.django_db
def test_api_refuses_bad_input_and_roles(auditor, make_user):
    headers = _bearer(auditor)
    response = Client().post(
        "/api/v1/jobs", {"kind": "audit_export", "key": "k", "params": {"since": "yesterday"}},
        content_type="application/json", HTTP_ACCEPT_LANGUAGE="zh-hans", **headers,
    )
    assert response.status_code == 422
    assert set(response.json()["fields"]) == {"since"}

    officer = make_user(Role.COUNTY_OFFICER, "420111")
    response = Client().post(
        "/api/v1/jobs", {"kind": "audit_export", "key": "k", "params": {}},
        content_type="application/json", **_bearer(officer),
    )
    assert response.status_code == 403
    assert Client().get("/api/v1/jobs/1").status_code == 401
