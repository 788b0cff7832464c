"""The audit log: append-only, one row per write, per read of a person's record, per export."""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditLogIsAppendOnly(Exception):
    """Raised by every path that would change or remove an audit row."""


class AuditAction(models.TextChoices):
    CREATE = "create", _("新建")
    UPDATE = "update", _("修改")
    DELETE = "delete", _("删除")
    READ = "read", _("查看个人信息")
    EXPORT = "export", _("导出")
    LOGIN = "login", _("登录")
    LOGIN_FAILED = "login_failed", _("登录失败")
    LOGOUT = "logout", _("退出")
    TOKEN_CREATE = "token_create", _("创建令牌")
    TOKEN_REVOKE = "token_revoke", _("吊销令牌")
    OTP_ENROL = "otp_enrol", _("绑定二次验证")


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AuditLogIsAppendOnly("the audit log cannot be updated")

    def delete(self) -> NoReturn:
        raise AuditLogIsAppendOnly("the audit log cannot be deleted")

    def bulk_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditLogIsAppendOnly("the audit log cannot be updated")


class AuditEvent(models.Model):
    occurred_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    # The actor is kept by value too: accounts are deactivated, never deleted, but the log must
    # not depend on that. db_constraint=False so that no cascade can ever reach this table.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING,
        db_constraint=False, related_name="+", verbose_name=_("操作人"),
    )
    actor_username = models.CharField(_("操作人账号"), max_length=150, blank=True)
    actor_role = models.CharField(_("操作人角色"), max_length=32, blank=True)
    actor_division_code = models.CharField(_("操作人区划"), max_length=12, blank=True)
    action = models.CharField(_("动作"), max_length=16, choices=AuditAction.choices, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=64, blank=True, db_index=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    division_code = models.CharField(_("对象区划"), max_length=12, blank=True, db_index=True)
    summary = models.CharField(_("摘要"), max_length=255, blank=True)
    changes = models.JSONField(_("变更"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    user_agent = models.CharField(_("客户端"), max_length=256, blank=True)
    request_id = models.CharField(_("请求编号"), max_length=64, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["actor_username", "occurred_at"]),
            models.Index(fields=["division_code", "occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.actor_username} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditLogIsAppendOnly("an audit row is written once and never changed")
        kwargs["force_insert"] = True  # never an UPDATE, even with an explicit primary key
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditLogIsAppendOnly("the audit log cannot be deleted")


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("运行中")
    SUCCEEDED = "succeeded", _("已完成")
    FAILED = "failed", _("失败")


class Job(models.Model):
    """A background job a user asked for (an export, a bulk import …), run by a Celery worker.

    The row, not the broker, is the truth: a job is claimed by a conditional UPDATE that carries
    a fresh claim token, so a message delivered twice (a retry, a worker that died before its
    acknowledgement) never runs the job twice, and a finished job is never run again.
    """

    kind = models.CharField(_("类型"), max_length=64)
    # Chosen by the caller; the same (owner, kind, key) always names the same job.
    key = models.CharField(_("幂等键"), max_length=128)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="jobs",
        verbose_name=_("发起人"),
    )
    division_code = models.CharField(_("区划"), max_length=12, db_index=True)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=JobStatus.choices, default=JobStatus.QUEUED,
        db_index=True,
    )
    progress_done = models.PositiveBigIntegerField(_("已处理"), default=0)
    progress_total = models.PositiveBigIntegerField(_("总数"), null=True, blank=True)
    result = models.JSONField(_("结果"), default=dict, blank=True)
    error = models.TextField(_("错误"), blank=True)
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    claim_token = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("最近心跳"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "kind", "key"], name="core_job_unique_key"),
        ]
        indexes = [models.Index(fields=["status", "heartbeat_at"])]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"
