"""Epidemiological investigation and source tracing (issue 5; decision 1010).

- `Investigation`: one per case report (流调), with its exposure window (the disease's
  `exposure_window_days` before onset) and what is known of its source.
- `Setting`: a small place that links people (a household, workplace, school class, vehicle,
  gathering, ward); `Exposure`: a case or contact at a setting or division on some days.
- `Contact`: a close or secondary contact of an index case, followed up by the county where the
  person lives; `HandOver`: the two-sided transfer of a contact to that county (accepted or
  refused with a reason, never lost); `FollowUp`: one day's visit.
- `Cluster` / `ClusterMember`: two or more cases linked to one setting within 14 days
  (聚集性疫情), detected from exposures by shouwang.epi.setting_clusters.
- `TransmissionLink`: infector → infectee, confirmed by an investigator or proposed by the
  system (shouwang.epi.infector, with its score and reasons).

Every record carries the division code it is scoped by (core.scoping); personal fields are
encrypted like the case reports' (surveillance.models.PersonFields).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shouwang.core.fields import EncryptedTextField
from shouwang.surveillance.models import CaseReport, Disease, PersonFields, person_indexes


class SourceStatus(models.TextChoices):
    PENDING = "pending", _("调查中")
    KNOWN_CONTACT = "known_contact", _("已知传染源（本地关联）")
    CLUSTER = "cluster", _("聚集性疫情关联")
    IMPORTED = "imported", _("境外/外地输入")
    UNKNOWN = "unknown", _("来源不明")


class Investigation(models.Model):
    """The epidemiological investigation (流行病学调查) of one case report."""

    case = models.OneToOneField(CaseReport, on_delete=models.PROTECT,
                                related_name="investigation", verbose_name=_("病例"))
    # The case's division at the time of the investigation: what the record is scoped by.
    division_code = models.CharField(_("区划"), max_length=12)
    exposure_window_start = models.DateField(_("暴露追溯期起"))
    exposure_window_end = models.DateField(_("暴露追溯期止"))
    source_status = models.CharField(_("感染来源"), max_length=16, choices=SourceStatus.choices,
                                     default=SourceStatus.PENDING)
    # True when the person was already a contact under follow-up when found to be a case:
    # the share of such cases among new cases is a key control indicator.
    found_under_follow_up = models.BooleanField(_("发现时已在随访管理中"), default=False)
    # Free text about people and places: encrypted like every personal field.
    summary = EncryptedTextField(_("调查小结"), blank=True)
    investigator = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("调查人"))
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("流行病学调查")
        verbose_name_plural = _("流行病学调查")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["division_code", "created_at"]),
                   models.Index(fields=["source_status", "division_code"])]

    def __str__(self) -> str:
        return f"investigation of #{self.case_id}"


class SettingKind(models.TextChoices):
    HOUSEHOLD = "household", _("家庭")
    WORKPLACE = "workplace", _("工作单位")
    SCHOOL = "school", _("学校/托幼机构")
    TRANSPORT = "transport", _("交通工具")
    GATHERING = "gathering", _("聚会/聚餐")
    HEALTHCARE = "healthcare", _("医疗机构")
    CARE_HOME = "care_home", _("养老/福利机构")
    ENTERTAINMENT = "entertainment", _("娱乐/公共场所")
    OTHER = "other", _("其他")


class Setting(models.Model):
    """A small setting that links people. `label` is what officers call it (a household is
    labelled by its index case, never by an address: the address is encrypted)."""

    kind = models.CharField(_("场所类型"), max_length=16, choices=SettingKind.choices)
    label = models.CharField(_("场所名称"), max_length=128)
    address_detail = EncryptedTextField(_("详细地址"), blank=True)
    division_code = models.CharField(_("所在区划"), max_length=12)
    # Importers and clients send a key: the same setting sent twice is stored once.
    source_key = models.CharField(_("来源键"), max_length=96, null=True,  # noqa: DJ001
                                  blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("登记人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("场所")
        verbose_name_plural = _("场所")
        ordering = ["division_code", "kind", "label"]
        constraints = [models.UniqueConstraint(fields=["source_key"],
                                               name="tracing_setting_source_key_unique")]
        indexes = [models.Index(fields=["division_code", "kind"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.label}"


class Exposure(models.Model):
    """A case (through its investigation) or a contact at a setting or in a division on some
    days. Exposures of cases at one setting are what cluster detection reads; exposures in the
    exposure window outside the case's own division are where a case may have come from."""

    investigation = models.ForeignKey(Investigation, null=True, blank=True,
                                      on_delete=models.CASCADE, related_name="exposures",
                                      verbose_name=_("病例调查"))
    contact = models.ForeignKey("Contact", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="exposures", verbose_name=_("接触者"))
    setting = models.ForeignKey(Setting, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="exposures", verbose_name=_("场所"))
    kind = models.CharField(_("暴露类型"), max_length=16, choices=SettingKind.choices)
    # Where it happened (county or below; a setting's own division when there is a setting).
    place_division_code = models.CharField(_("暴露地区划"), max_length=12)
    # The division of the person's record: what the row is scoped by.
    division_code = models.CharField(_("区划"), max_length=12)
    started_on = models.DateField(_("开始日期"))
    ended_on = models.DateField(_("结束日期"))
    description = EncryptedTextField(_("活动描述"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("登记人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("暴露史")
        verbose_name_plural = _("暴露史")
        ordering = ["started_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(investigation__isnull=False, contact__isnull=True)
                           | Q(investigation__isnull=True, contact__isnull=False)),
                name="tracing_exposure_one_person"),
            models.CheckConstraint(condition=Q(ended_on__gte=models.F("started_on")),
                                   name="tracing_exposure_dates_ordered"),
        ]
        indexes = [models.Index(fields=["setting", "started_on"]),
                   models.Index(fields=["division_code", "started_on"]),
                   models.Index(fields=["place_division_code", "started_on"])]

    def __str__(self) -> str:
        return f"exposure {self.kind} {self.started_on}–{self.ended_on}"


class ContactKind(models.TextChoices):
    CLOSE = "close", _("密切接触者")
    SECONDARY = "secondary", _("密接的密接（次密接）")


class ContactStatus(models.TextChoices):
    UNDER_FOLLOW_UP = "under_follow_up", _("医学观察中")
    TESTED = "tested", _("已检测待结果")
    BECAME_CASE = "became_case", _("已转为病例")
    RELEASED = "released", _("已解除")
    LOST = "lost", _("失访")


class QuarantinePlace(models.TextChoices):
    HOME = "home", _("居家隔离")
    CENTRALISED = "centralised", _("集中隔离")
    HOSPITAL = "hospital", _("医院隔离")
    NONE = "none", _("未隔离（健康监测）")


class Contact(PersonFields):
    """A close or secondary contact of an index case.

    `division_code` is the county (or below) responsible for the follow-up: the county of
    residence once a hand-over is accepted, the finding county until then. A person is under
    follow-up in one county at a time (the services refuse a second, in another county)."""

    index_case = models.ForeignKey(CaseReport, on_delete=models.PROTECT,
                                   related_name="contacts", verbose_name=_("指示病例"))
    kind = models.CharField(_("接触者类别"), max_length=12, choices=ContactKind.choices,
                            default=ContactKind.CLOSE)
    # A secondary contact was exposed to this close contact, not to the case.
    via_contact = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="secondary_contacts",
                                    verbose_name=_("经由密接"))
    setting = models.ForeignKey(Setting, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="contacts", verbose_name=_("接触场所"))
    age_years = models.PositiveSmallIntegerField(_("年龄（岁）"), null=True, blank=True)
    residence_division_code = models.CharField(_("现住址区划"), max_length=12)
    division_code = models.CharField(_("负责区划"), max_length=12)
    found_by_division_code = models.CharField(_("发现区划"), max_length=12)
    identified_on = models.DateField(_("判定日期"))
    last_exposure_on = models.DateField(_("末次暴露日期"))
    status = models.CharField(_("状态"), max_length=16, choices=ContactStatus.choices,
                              default=ContactStatus.UNDER_FOLLOW_UP)
    quarantine_place = models.CharField(_("隔离方式"), max_length=12,
                                        choices=QuarantinePlace.choices,
                                        default=QuarantinePlace.HOME)
    quarantine_site = models.CharField(_("隔离点"), max_length=128, blank=True)
    # last_exposure_on + the disease's quarantine period (QuarantinePolicy), kept by services.
    release_on = models.DateField(_("解除日期"))
    released_at = models.DateTimeField(_("解除时间"), null=True, blank=True)
    became_case = models.ForeignKey(CaseReport, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="as_contact",
                                    verbose_name=_("转为的病例"))
    source_key = models.CharField(_("来源键"), max_length=96, null=True,  # noqa: DJ001
                                  blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("登记人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("接触者")
        verbose_name_plural = _("接触者")
        ordering = ["-identified_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["source_key"],
                                    name="tracing_contact_source_key_unique"),
            models.CheckConstraint(condition=Q(release_on__gte=models.F("last_exposure_on")),
                                   name="tracing_contact_release_after_exposure"),
        ]
        indexes = [
            *person_indexes("trc_contact"),
            models.Index(fields=["division_code", "status", "release_on"]),
            models.Index(fields=["index_case", "kind"]),
        ]

    def __str__(self) -> str:
        return f"contact #{self.pk} of #{self.index_case_id} ({self.status})"


class HandOverStatus(models.TextChoices):
    PENDING = "pending", _("待接收")
    ACCEPTED = "accepted", _("已接收")
    REFUSED = "refused", _("已拒收（退回）")
    CANCELLED = "cancelled", _("已撤回")


class HandOver(models.Model):
    """The transfer of a contact's follow-up from one county to another (协查). The contact stays
    with the sender until the receiver accepts; a refusal returns it to the sender with the
    reason. At most one hand-over of a contact is pending at a time."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="hand_overs",
                                verbose_name=_("接触者"))
    from_division_code = models.CharField(_("移交方区划"), max_length=12)
    to_division_code = models.CharField(_("接收方区划"), max_length=12)
    status = models.CharField(_("状态"), max_length=12, choices=HandOverStatus.choices,
                              default=HandOverStatus.PENDING)
    note = models.CharField(_("移交说明"), max_length=255, blank=True)
    refusal_reason = models.CharField(_("拒收原因"), max_length=255, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("移交人"))
    requested_at = models.DateTimeField(_("移交时间"), auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("处理人"))
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    # The sender read a refusal and keeps following the contact itself: the hand-over leaves
    # its "returned" list (it stays in both sides' history).
    kept_at = models.DateTimeField(_("退回后保留时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("接触者移交")
        verbose_name_plural = _("接触者移交")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["contact"], condition=Q(status="pending"),
                                    name="tracing_handover_one_pending"),
            models.CheckConstraint(condition=~Q(from_division_code=models.F("to_division_code")),
                                   name="tracing_handover_two_sides"),
        ]
        indexes = [models.Index(fields=["to_division_code", "status"]),
                   models.Index(fields=["from_division_code", "status"])]

    def __str__(self) -> str:
        return f"hand-over of #{self.contact_id} {self.from_division_code}→{self.to_division_code}"


class TestOutcome(models.TextChoices):
    NOT_TESTED = "", _("未检测")
    PENDING = "pending", _("待结果")
    NEGATIVE = "negative", _("阴性")
    POSITIVE = "positive", _("阳性")


class FollowUp(models.Model):
    """One day's follow-up visit of a contact (symptoms, temperature, test)."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="follow_ups",
                                verbose_name=_("接触者"))
    day = models.DateField(_("随访日期"))
    # The contact's division when visited: what the row is scoped by.
    division_code = models.CharField(_("区划"), max_length=12)
    symptoms = models.JSONField(_("症状"), default=list, blank=True)
    temperature_c = models.DecimalField(_("体温（℃）"), max_digits=3, decimal_places=1,
                                        null=True, blank=True)
    test_outcome = models.CharField(_("检测结果"), max_length=12, choices=TestOutcome.choices,
                                    blank=True, default=TestOutcome.NOT_TESTED)
    note = models.CharField(_("备注"), max_length=255, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("随访人"))
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("随访记录")
        verbose_name_plural = _("随访记录")
        ordering = ["contact", "day"]
        constraints = [models.UniqueConstraint(fields=["contact", "day"],
                                               name="tracing_followup_one_per_day")]
        indexes = [models.Index(fields=["division_code", "day"])]

    def __str__(self) -> str:
        return f"follow-up of #{self.contact_id} on {self.day}"


class QuarantinePolicy(models.Model):
    """A disease's medical-observation period for contacts. Without a row, the disease's
    exposure window (its longest incubation period) is the period."""

    disease = models.OneToOneField(Disease, on_delete=models.PROTECT, primary_key=True,
                                   related_name="quarantine_policy", verbose_name=_("病种"))
    quarantine_days = models.PositiveSmallIntegerField(_("医学观察期（天）"))
    # A contact under follow-up without a visit for this many days is overdue.
    follow_up_every_days = models.PositiveSmallIntegerField(_("随访间隔（天）"), default=1)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("医学观察期")
        verbose_name_plural = _("医学观察期")

    def __str__(self) -> str:
        return f"{self.disease_id}: {self.quarantine_days} d"


class ClusterStatus(models.TextChoices):
    OPEN = "open", _("进行中")
    CLOSED = "closed", _("已结束")


class Cluster(models.Model):
    """Two or more cases (confirmed or asymptomatic) within 14 days linked to one setting
    (聚集性疫情). Detected again every time (idempotent on `key`); closed when no new case has
    joined for two maximum incubation periods."""

    key = models.CharField(_("识别键"), max_length=96, unique=True)
    disease = models.ForeignKey(Disease, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("病种"))
    setting = models.ForeignKey(Setting, on_delete=models.PROTECT, related_name="clusters",
                                verbose_name=_("场所"))
    division_code = models.CharField(_("区划"), max_length=12)
    first_onset = models.DateField(_("首例发病"))
    last_onset = models.DateField(_("末例发病"))
    case_count = models.PositiveIntegerField(_("病例数"))
    generations = models.PositiveSmallIntegerField(_("代数"), default=1)
    status = models.CharField(_("状态"), max_length=8, choices=ClusterStatus.choices,
                              default=ClusterStatus.OPEN)
    detected_at = models.DateTimeField(_("发现时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("聚集性疫情")
        verbose_name_plural = _("聚集性疫情")
        ordering = ["-last_onset", "-id"]
        indexes = [models.Index(fields=["division_code", "last_onset"]),
                   models.Index(fields=["disease", "status"])]

    def __str__(self) -> str:
        return f"cluster {self.key} ({self.case_count})"


class ClusterMember(models.Model):
    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="members")
    case = models.ForeignKey(CaseReport, on_delete=models.PROTECT, related_name="+")
    # 1 = the earliest case(s) of the cluster; from the confirmed links when there are any.
    generation = models.PositiveSmallIntegerField(_("代"), default=1)
    onset_date = models.DateField(_("发病日期"))

    class Meta:
        verbose_name = _("聚集性疫情病例")
        verbose_name_plural = _("聚集性疫情病例")
        ordering = ["cluster", "onset_date", "case"]
        constraints = [models.UniqueConstraint(fields=["cluster", "case"],
                                               name="tracing_cluster_member_unique")]

    def __str__(self) -> str:
        return f"#{self.case_id} in cluster {self.cluster_id} (generation {self.generation})"


class LinkStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("已确认")
    PROPOSED = "proposed", _("系统推荐")
    REJECTED = "rejected", _("已排除")


class TransmissionLink(models.Model):
    """Infector → infectee. A case has at most one confirmed infector; proposals carry the
    ranking's probability and reasons (shouwang.epi.infector) until an investigator confirms
    or rejects them. Confirmed links never form a cycle (checked by the services)."""

    infector = models.ForeignKey(CaseReport, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("传染者"))
    infectee = models.ForeignKey(CaseReport, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("被传染者"))
    # Both ends' divisions: a link is visible when either end is in the jurisdiction (the other
    # end is then shown pseudonymised, tracing/pseudonyms.py).
    infector_division_code = models.CharField(_("传染者区划"), max_length=12)
    infectee_division_code = models.CharField(_("被传染者区划"), max_length=12)
    status = models.CharField(_("状态"), max_length=12, choices=LinkStatus.choices)
    score = models.FloatField(_("推荐概率"), null=True, blank=True)
    rank = models.PositiveSmallIntegerField(_("推荐排名"), null=True, blank=True)
    reasons = models.JSONField(_("依据"), default=list, blank=True)
    setting = models.ForeignKey(Setting, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+", verbose_name=_("传播场所"))
    exposure_date = models.DateField(_("暴露日期"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("确认人"))
    decided_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    reason = models.CharField(_("说明"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("传播关系")
        verbose_name_plural = _("传播关系")
        ordering = ["infectee", "rank", "id"]
        constraints = [
            models.UniqueConstraint(fields=["infector", "infectee"],
                                    name="tracing_link_pair_unique"),
            models.UniqueConstraint(fields=["infectee"], condition=Q(status="confirmed"),
                                    name="tracing_link_one_confirmed_infector"),
            models.CheckConstraint(condition=~Q(infector=models.F("infectee")),
                                   name="tracing_link_not_self"),
        ]
        indexes = [models.Index(fields=["infectee_division_code", "status"]),
                   models.Index(fields=["infector_division_code", "status"]),
                   models.Index(fields=["infector", "status"])]

    def __str__(self) -> str:
        return f"#{self.infector_id} → #{self.infectee_id} ({self.status})"
