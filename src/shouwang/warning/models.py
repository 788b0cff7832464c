"""Early warning: what the nightly job computed, the alerts it raised, and their workflow.

A `WarningRun` is one night's computation for one disease and day (re-running the day replaces
it). Its per-division results are `SeriesResult` rows (one per division × method: the dates and
values of a chart, as JSON arrays) and its space-time clusters `ScanCluster` rows. Alerts outlive
runs: an `Alert` is unique per disease × division × method × day, so re-running a night updates
the alert it raised instead of raising a second one. Every alert change is an `AlertHistory` row;
`Notification` is what a user is told in the app (email/SMS go through the same interface).
Decision: docs/decisions/0960-early-warning-platform.md.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shouwang.surveillance.models import DateBasis, Disease


class RunStatus(models.TextChoices):
    RUNNING = "running", _("计算中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class Method(models.TextChoices):
    """What a series or an alert comes from."""

    RT = "rt", _("实时再生数 Rt")
    NOWCAST = "nowcast", _("即时预测（报告延迟校正）")
    FORECAST = "forecast", _("趋势预测")
    EARS_C1 = "ears_c1", _("EARS C1")
    EARS_C2 = "ears_c2", _("EARS C2")
    EARS_C3 = "ears_c3", _("EARS C3")
    FARRINGTON = "farrington", _("Farrington 灵活法")
    CUSUM = "cusum", _("CUSUM 累积和")
    SCAN = "scan", _("时空扫描")


class WarningRun(models.Model):
    """One night's computation for one disease, with the data up to and including `day`."""

    day = models.DateField(_("计算日期"))
    disease = models.ForeignKey(Disease, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("病种"))
    basis = models.CharField(_("日期口径"), max_length=12, choices=DateBasis.choices)
    status = models.CharField(_("状态"), max_length=12, choices=RunStatus.choices,
                              default=RunStatus.RUNNING)
    started_at = models.DateTimeField(_("开始时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    # Seconds per step, series and alert counts, the parameters used: for the log and the page.
    figures = models.JSONField(_("运行统计"), default=dict, blank=True)
    failure = models.TextField(_("失败原因"), blank=True)

    class Meta:
        verbose_name = _("预警计算")
        verbose_name_plural = _("预警计算")
        ordering = ["-day", "disease_id"]
        constraints = [models.UniqueConstraint(fields=["day", "disease"],
                                               name="warning_run_day_disease")]

    def __str__(self) -> str:
        return f"{self.day} {self.disease_id} {self.status}"


class SeriesResult(models.Model):
    """One division's series from one run and one method.

    `data` holds parallel arrays: {"t": [ISO dates], "<column>": [numbers or null], …}. Columns
    by method — rt: mean, sd, lower, upper (95 % credible interval), median; nowcast: observed,
    nowcast, median, lower, upper (95 %); forecast: median, lower, upper (95 %), lower_50,
    upper_50; ears_*, farrington, cusum: observed, expected, upperbound, alarm (0/1).
    `latest` / `latest_lower` / `latest_upper` repeat the last value of the main column (Rt's
    mean, the nowcast's median …) so maps and lists sort and colour without reading `data`.
    """

    run = models.ForeignKey(WarningRun, on_delete=models.CASCADE, related_name="series",
                            verbose_name=_("预警计算"))
    method = models.CharField(_("方法"), max_length=16, choices=Method.choices)
    division_code = models.CharField(_("区划"), max_length=12)
    level = models.CharField(_("级别"), max_length=12)
    data = models.JSONField(_("序列"))
    latest = models.FloatField(_("最新值"), null=True, blank=True)
    latest_lower = models.FloatField(_("最新值下限"), null=True, blank=True)
    latest_upper = models.FloatField(_("最新值上限"), null=True, blank=True)

    class Meta:
        verbose_name = _("预警序列")
        verbose_name_plural = _("预警序列")
        constraints = [models.UniqueConstraint(fields=["run", "method", "division_code"],
                                               name="warning_series_unique")]
        indexes = [models.Index(fields=["division_code", "method", "run"],
                                name="warning_series_division")]

    def __str__(self) -> str:
        return f"{self.method} {self.division_code} (run {self.run_id})"


class ScanCluster(models.Model):
    """A space-time cluster the prospective scan found (the most likely one has rank 1)."""

    run = models.ForeignKey(WarningRun, on_delete=models.CASCADE, related_name="clusters",
                            verbose_name=_("预警计算"))
    rank = models.PositiveSmallIntegerField(_("序号"))
    # The location the scan's circle is drawn around (geometry: the map's circle).
    centre_code = models.CharField(_("中心区划"), max_length=12)
    # The member with the most cases in the cluster's days (the first of equals, nearest the
    # centre): where the alert is raised, and whose officers (and those above) see the cluster.
    # The centre is often a neighbour without a case; an alert there had nothing to verify.
    focus_code = models.CharField(_("病例最多的区划"), max_length=12)
    division_codes = models.JSONField(_("包含区划"))
    # Cases of each member over the cluster's days, in the order of division_codes.
    member_counts = models.JSONField(_("各区划病例数"), default=list)
    radius_km = models.FloatField(_("半径（公里）"))
    start = models.DateField(_("开始日期"))
    end = models.DateField(_("结束日期"))
    observed = models.PositiveIntegerField(_("观察数"))
    expected = models.FloatField(_("期望数"))
    llr = models.FloatField(_("对数似然比"))
    p_value = models.FloatField(_("P 值"))

    class Meta:
        verbose_name = _("时空聚集")
        verbose_name_plural = _("时空聚集")
        ordering = ["run", "rank"]
        constraints = [models.UniqueConstraint(fields=["run", "rank"],
                                               name="warning_cluster_rank")]
        indexes = [models.Index(fields=["focus_code", "run"], name="warning_cluster_focus")]

    def __str__(self) -> str:
        return f"#{self.rank} {self.centre_code} {self.start}–{self.end} p={self.p_value:.3g}"


class AlertStatus(models.TextChoices):
    NEW = "new", _("新预警")
    VERIFYING = "verifying", _("核实中")
    CONFIRMED = "confirmed", _("已确认")
    DISMISSED = "dismissed", _("已排除")


class Alert(models.Model):
    """A signal for one disease in one division on one day, by one method, and what people
    did about it. new → verifying → confirmed (linked to a cluster or an event) or dismissed
    (with a reason)."""

    disease = models.ForeignKey(Disease, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("病种"))
    division_code = models.CharField(_("区划"), max_length=12)
    level = models.CharField(_("级别"), max_length=12)
    method = models.CharField(_("方法"), max_length=16, choices=Method.choices)
    day = models.DateField(_("信号日期"))
    run = models.ForeignKey(WarningRun, null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="alerts", verbose_name=_("预警计算"))
    status = models.CharField(_("状态"), max_length=12, choices=AlertStatus.choices,
                              default=AlertStatus.NEW)
    # The numbers behind it, and the method's own words for them: "reason" is rendered in the
    # reader's language from `details` (warning.reasons), never stored as one language's text.
    observed = models.FloatField(_("观察值"))
    expected = models.FloatField(_("期望值"), null=True, blank=True)
    threshold = models.FloatField(_("阈值"), null=True, blank=True)
    details = models.JSONField(_("详情"), default=dict, blank=True)
    cluster = models.ForeignKey(ScanCluster, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="alerts", verbose_name=_("时空聚集"))
    linked_event = models.CharField(_("关联事件"), max_length=255, blank=True)
    dismissed_reason = models.CharField(_("排除原因"), max_length=255, blank=True)
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("核实人"))
    verify_due_at = models.DateTimeField(_("核实时限"))
    escalated_at = models.DateTimeField(_("升级时间"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("升级次数"), default=0)
    # Optimistic concurrency, as for case reports: a change names the version it read.
    version = models.PositiveIntegerField(_("版本"), default=1)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("预警")
        verbose_name_plural = _("预警")
        ordering = ["-day", "-id"]
        constraints = [models.UniqueConstraint(
            fields=["disease", "division_code", "method", "day"], name="warning_alert_unique")]
        indexes = [models.Index(fields=["division_code", "status", "day"],
                                name="warning_alert_inbox"),
                   models.Index(fields=["status", "verify_due_at"], name="warning_alert_due")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.disease_id} {self.division_code} {self.method} {self.day}"


class AlertHistory(models.Model):
    """Every change of an alert: raised, assigned, status changes, escalations, notes."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="history",
                              verbose_name=_("预警"))
    version = models.PositiveIntegerField(_("版本"))
    kind = models.CharField(_("类型"), max_length=16)  # raise|update|assign|status|escalate|note
    from_status = models.CharField(_("原状态"), max_length=12, blank=True)
    to_status = models.CharField(_("新状态"), max_length=12, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("操作人"))
    note = models.TextField(_("说明"), blank=True)
    changes = models.JSONField(_("变更"), default=dict, blank=True)
    changed_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("预警记录")
        verbose_name_plural = _("预警记录")
        ordering = ["alert", "version"]
        constraints = [models.UniqueConstraint(fields=["alert", "version"],
                                               name="warning_alert_history_version")]

    def __str__(self) -> str:
        return f"alert {self.alert_id} v{self.version} {self.kind}"


class Notification(models.Model):
    """A message to one user in the app; `channels` says where else it went (email, sms)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notifications", verbose_name=_("接收人"))
    alert = models.ForeignKey(Alert, null=True, blank=True, on_delete=models.CASCADE,
                              related_name="notifications", verbose_name=_("预警"))
    kind = models.CharField(_("类型"), max_length=16)  # new_alert|assigned|escalated|status
    # The alert's version the message is about (0 for "new alert", told once per alert): with
    # the unique constraint below, the database itself keeps a message from going out twice.
    alert_version = models.PositiveIntegerField(_("预警版本"), null=True, blank=True)
    subject = models.CharField(_("标题"), max_length=255)
    body = models.TextField(_("内容"), blank=True)
    channels = models.JSONField(_("发送渠道"), default=list, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at", "created_at"],
                                name="warning_notification_inbox")]
        constraints = [models.UniqueConstraint(
            fields=["user", "alert", "kind", "alert_version"], name="warning_notification_once")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.subject}"
