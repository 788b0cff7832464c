"""Lab results and the "report due" tasks they raise.

A laboratory (role LABORATORY, capability surveillance.lab_write) or an officer
(surveillance.write) submits a result. The result is linked to the person's active case of the
same disease when one exists; a POSITIVE result for somebody without a case opens a ReportTask for
the county where the person lives, due `disease.report_deadline_hours` after the test. When the
county reports the case, `report_tasks_resolve_for_case` closes the task and links the results.

Who may submit what, and who sees it afterwards: docs/decisions/0650-lab-results-and-tasks.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from shouwang.core.audit import audit_log
from shouwang.core.errors import InvalidInput
from shouwang.core.fields import lookup_hash
from shouwang.core.models import AuditAction
from shouwang.core.scoping import in_jurisdiction
from shouwang.geo.models import Division, Level
from shouwang.surveillance.models import (
    CaseReport,
    CaseStatus,
    Disease,
    LabResult,
    ReportTask,
    SampleType,
    TaskStatus,
    TestMethod,
    TestResult,
)
from shouwang.surveillance.validation import (
    CLOCK_SKEW,
    COUNTY_CODE_LENGTH,
    parse_aware,
    person_fields,
)

if TYPE_CHECKING:
    from shouwang.accounts.models import User

CT_MIN, CT_MAX = 0.0, 50.0
PERSON_LEVELS = frozenset({Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE})
LAB_WRITE = "surveillance.lab_write"
OFFICER_WRITE = "surveillance.write"

Errors = dict[str, list[str | Promise]]


def _add(errors: Errors, field: str, message: str | Promise) -> None:
    errors.setdefault(field, []).append(message)


def _text(data: Mapping[str, Any], field: str) -> str:
    value = data.get(field)
    return "" if value is None else str(value).strip()


def _choice(data: Mapping[str, Any], field: str, choices: Any, errors: Errors,
            *, default: str | None = None) -> str:
    value = _text(data, field) or (default or "")
    if not value:
        _add(errors, field, _("此项为必填项。"))
    elif value not in choices.values:
        _add(errors, field, _("取值无效，可选：%(opts)s。") % {"opts": ", ".join(choices.values)})
    return value


def _division(code: str, field: str, errors: Errors,
              levels: frozenset[str] | None = None) -> Division | None:
    if not code:
        _add(errors, field, _("此项为必填项。"))
        return None
    division = Division.objects.filter(code=code).first()
    if division is None:
        _add(errors, field, _("未知的区划代码：%(code)s。") % {"code": code})
        return None
    if levels is not None and division.level not in levels:
        _add(errors, field, _("现住址区划应为县级或以下区划。"))
        return None
    return division


def _can_submit(actor: User) -> bool:
    return actor.has_capability(LAB_WRITE) or actor.has_capability(OFFICER_WRITE)


def _clean(actor: User, data: Mapping[str, Any]) -> dict[str, Any]:
    """Validate every field at once; raise InvalidInput naming each bad one."""
    errors: Errors = {}
    disease_code = _text(data, "disease")
    disease = Disease.objects.filter(code=disease_code, active=True).first()
    if not disease_code:
        _add(errors, "disease", _("此项为必填项。"))
    elif disease is None:
        _add(errors, "disease", _("未知或已停用的病种：%(code)s。") % {"code": disease_code})

    sample_id = _text(data, "sample_id")
    if not sample_id:
        _add(errors, "sample_id", _("此项为必填项。"))
    elif len(sample_id) > LabResult._meta.get_field("sample_id").max_length:  # type: ignore[operator]
        _add(errors, "sample_id", _("不能超过 %(n)s 个字符。") % {"n": 64})
    sample_type = _choice(data, "sample_type", SampleType, errors)
    method = _choice(data, "method", TestMethod, errors)
    result = _choice(data, "result", TestResult, errors)

    ct_value: float | None = None
    raw_ct = data.get("ct_value")
    if raw_ct not in (None, ""):
        try:
            ct_value = float(raw_ct)
        except (TypeError, ValueError):
            _add(errors, "ct_value", _("请输入数字。"))
        else:
            if method != TestMethod.PCR:
                _add(errors, "ct_value", _("只有核酸检测（PCR）才有 Ct 值。"))
            elif not CT_MIN <= ct_value <= CT_MAX:
                _add(errors, "ct_value", _("Ct 值应在 0 至 50 之间。"))

    now = timezone.now()
    times: dict[str, datetime | None] = {}
    for field in ("sampled_at", "tested_at"):
        value = parse_aware(data.get(field))
        times[field] = value
        if data.get(field) in (None, ""):
            _add(errors, field, _("此项为必填项。"))
        elif value is None:
            _add(errors, field, _("请输入有效的日期时间。"))
        elif value > now + CLOCK_SKEW:
            _add(errors, field, _("时间不能晚于当前时间。"))
    sampled_at, tested_at = times["sampled_at"], times["tested_at"]
    if sampled_at and tested_at and tested_at < sampled_at:
        _add(errors, "tested_at", _("检测时间不能早于采样时间。"))

    laboratory = _text(data, "laboratory")
    if not laboratory:
        _add(errors, "laboratory", _("此项为必填项。"))
    elif len(laboratory) > LabResult._meta.get_field("laboratory").max_length:  # type: ignore[operator]
        _add(errors, "laboratory", _("不能超过 %(n)s 个字符。") % {"n": 128})
    lab_code = _text(data, "laboratory_division_code")
    lab_division = _division(lab_code, "laboratory_division_code", errors)
    person_code = _text(data, "division_code")
    person_division = _division(person_code, "division_code", errors, PERSON_LEVELS)
    # The person is validated exactly as on a case report (the shared rules of validation.py).
    name, id_type, id_number, phone, sex, birth_date = person_fields(
        data, errors, timezone.localdate())

    # The submitter must see what it submitted (visibility is the person's division OR the
    # lab's); a laboratory account speaks for its own laboratory only.
    if lab_division is not None and person_division is not None:
        lab_inside = in_jurisdiction(actor, lab_code)
        if actor.has_capability(LAB_WRITE) and not actor.has_capability(OFFICER_WRITE):
            if not lab_inside:
                _add(errors, "laboratory_division_code",
                     _("检测机构区划不在您的管辖范围内。"))
        elif not (lab_inside or in_jurisdiction(actor, person_code)):
            _add(errors, "division_code", _("现住址区划和检测机构区划都不在您的管辖范围内。"))

    if errors:
        raise InvalidInput(errors)
    assert disease is not None and sampled_at is not None and tested_at is not None
    return {
        "disease": disease, "sample_id": sample_id, "sample_type": sample_type,
        "sampled_at": sampled_at, "tested_at": tested_at, "method": method, "result": result,
        "ct_value": ct_value, "laboratory": laboratory, "laboratory_division_code": lab_code,
        "division_code": person_code, "name": name, "id_type": id_type,
        "id_number": id_number, "phone": phone, "sex": sex, "birth_date": birth_date,
    }


def _case_for(disease: Disease, id_hash: str | None, when: datetime) -> CaseReport | None:
    """The person's active case of this disease within the disease's dedup window, if any."""
    if not id_hash:
        return None
    window = timedelta(days=disease.dedup_window_days)
    return (
        CaseReport.objects.filter(
            disease=disease, id_number_hash=id_hash, status=CaseStatus.ACTIVE,
            diagnosed_at__gte=when - window, diagnosed_at__lte=when + window,
        )
        .order_by("-diagnosed_at", "-id")
        .first()
    )


def _existing(actor: User, source_key: str) -> tuple[LabResult, bool]:
    from shouwang.surveillance.selectors.labs import lab_results_visible

    found = lab_results_visible(LabResult.objects.filter(source_key=source_key), actor).first()
    if found is None:
        # The key belongs to a result the caller cannot see: say the key is taken, not by whom.
        raise InvalidInput({"source_key": [_("该来源键已被其他记录使用。")]})
    # The stored record (personal fields included) goes back to the caller: that is a read.
    audit_log(actor=actor, action=AuditAction.READ, obj=found,
              summary="lab result returned for a repeated source key")
    return found, False


def lab_result_submit(
    *, actor: User, data: Mapping[str, Any], source_key: str | None = None
) -> tuple[LabResult, bool]:
    """Store one lab result; `(result, created)`. The same source key returns the stored result.

    Raises PermissionDenied without surveillance.lab_write or surveillance.write, InvalidInput
    for bad fields.
    """
    if not _can_submit(actor):
        raise PermissionDenied(LAB_WRITE)
    key = (source_key or _text(data, "source_key")) or None
    if key is not None:
        if len(key) > LabResult._meta.get_field("source_key").max_length:  # type: ignore[operator]
            raise InvalidInput({"source_key": [_("不能超过 %(n)s 个字符。") % {"n": 96}]})
        if LabResult.objects.filter(source_key=key).exists():
            return _existing(actor, key)
    clean = _clean(actor, data)
    try:
        with transaction.atomic():
            result = LabResult(source_key=key, created_by=actor, **clean)
            id_hash = lookup_hash(result.id_number, "id_number") if result.id_number else None
            result.case = _case_for(result.disease, id_hash, result.tested_at)
            result.save()
            audit_log(actor=actor, action=AuditAction.CREATE, obj=result,
                      summary=f"lab result {result.method} {result.result}",
                      changes={"disease": result.disease_id, "method": result.method,
                               "result": result.result, "case": result.case_id,
                               "laboratory_division_code": result.laboratory_division_code,
                               "name": result.name, "id_number": result.id_number})
            if result.result == TestResult.POSITIVE and result.case is None:
                _open_task(actor, result)
    except IntegrityError:
        # Two submissions of the same key raced; the first one won and is the answer.
        if key is not None and LabResult.objects.filter(source_key=key).exists():
            return _existing(actor, key)
        raise
    return result, True


def _open_task(actor: User, result: LabResult) -> ReportTask:
    due = result.tested_at + timedelta(hours=result.disease.report_deadline_hours)
    task = ReportTask.objects.create(
        lab_result=result, disease=result.disease,
        division_code=result.division_code[:COUNTY_CODE_LENGTH], due_at=due,
    )
    audit_log(actor=actor, action=AuditAction.CREATE, obj=task,
              summary=f"report due {task.disease_id} by {due:%Y-%m-%d %H:%M}",
              changes={"lab_result": result.pk, "due_at": due.isoformat()})
    return task


def report_tasks_resolve_for_case(case: CaseReport, *, actor: User | None = None) -> int:
    """Close the open tasks of the case's person and disease, and link their lab results.

    Called after a case is submitted (or corrected to carry an ID number). Matches on the keyed
    hash of the ID number within the disease's dedup window, as the linking at submission does.
    Returns how many tasks were closed.
    """
    if not case.id_number_hash or case.status != CaseStatus.ACTIVE:
        return 0
    who = actor if actor is not None else case.created_by
    window = timedelta(days=case.disease.dedup_window_days)
    now = timezone.now()
    with transaction.atomic():
        results = LabResult.objects.select_for_update().filter(
            disease_id=case.disease_id, id_number_hash=case.id_number_hash, case__isnull=True,
            tested_at__gte=case.diagnosed_at - window, tested_at__lte=case.diagnosed_at + window,
        )
        result_ids = list(results.values_list("pk", flat=True))
        if result_ids:
            LabResult.objects.filter(pk__in=result_ids).update(case=case)
            audit_log(actor=who, action=AuditAction.UPDATE, obj=case,
                      summary=f"{len(result_ids)} lab result(s) linked to case",
                      changes={"lab_results": result_ids})
        tasks = list(ReportTask.objects.select_for_update().filter(
            status=TaskStatus.OPEN, disease_id=case.disease_id,
            lab_result__id_number_hash=case.id_number_hash,
        ))
        for task in tasks:
            task.status = TaskStatus.DONE
            task.case = case
            task.resolved_at = now
            task.save(update_fields=["status", "case", "resolved_at"])
            audit_log(actor=who, action=AuditAction.UPDATE, obj=task,
                      summary="report due: case reported",
                      changes={"status": [TaskStatus.OPEN, TaskStatus.DONE], "case": case.pk})
    return len(tasks)


def report_task_cancel(*, actor: User, task: ReportTask, reason: str) -> ReportTask:
    """Close an open task without a case (a false positive, a person reported elsewhere)."""
    if not actor.has_capability(OFFICER_WRITE):
        raise PermissionDenied(OFFICER_WRITE)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput({"reason": [_("请填写取消原因。")]})
    if len(reason) > ReportTask._meta.get_field("note").max_length:  # type: ignore[operator]
        raise InvalidInput({"reason": [_("不能超过 %(n)s 个字符。") % {"n": 255}]})
    with transaction.atomic():
        locked = ReportTask.objects.select_for_update().get(pk=task.pk)
        if locked.status != TaskStatus.OPEN:
            raise InvalidInput({"status": [_("该任务已处理，不能取消。")]},
                               code="conflict")
        locked.status = TaskStatus.CANCELLED
        locked.note = reason
        locked.resolved_at = timezone.now()
        locked.save(update_fields=["status", "note", "resolved_at"])
        audit_log(actor=actor, action=AuditAction.UPDATE, obj=locked,
                  summary="report due: cancelled",
                  changes={"status": [TaskStatus.OPEN, TaskStatus.CANCELLED], "note": reason})
    return locked
