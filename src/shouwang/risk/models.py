"""Area risk levels (分区分级): rule sets, daily levels, overrides, publications, travel rules.

- `RuleSet`: a versioned rule — a kind from shouwang.epi.risk_rules with its parameters — for
  one disease, the division levels it judges (county; township and village) and a scope (the
  nation, or a province whose health commission made its own). A change is a new version with
  its own effective date; old versions stay, so history can always say which rule made it.
- `AreaRisk`: one area's level on one day: the computed level, the level in force (an override
  may differ), the rule set version, the inputs and the reason. Published rows never change.
- `Publication`: the day's levels made public, with the time they take effect.
- `RiskOverride`: an authorised officer's decision that an area has another level than the rule
  gives, with a mandatory reason, from a moment until revoked or ended. It does not rewrite the
  published day: what is in force at a moment is the override if one is active, else the
  published level (selectors.levels).
- `TravelPolicy` / `TravelRule`: a versioned table from (origin level, destination level) to the
  measures a traveller meets (certificate check, test, quarantine).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shouwang.surveillance.models import Disease


class RiskLevel(models.TextChoices):
    LOW = "low", _("低风险")
    MEDIUM = "medium", _("中风险")
    HIGH = "high", _("高风险")


# shouwang.epi.risk_rules works with 0/1/2; the database stores the words.
LEVEL_BY_RANK = (RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH)
RANK = {RiskLevel.LOW: 0, RiskLevel.MEDIUM: 1, RiskLevel.HIGH: 2}


class RuleSet(models.Model):
    code = models.SlugField(_("规则代码"), max_length=48)
    version = models.PositiveIntegerField(_("版本"))
    name = models.CharField(_("名称"), max_length=128)
    name_en = models.CharField(_("英文名称"), max_length=160, blank=True)
    # The function in shouwang.epi.risk_rules (risk_rules.rule_kinds()).
    kind = models.CharField(_("规则类型"), max_length=48)
    # Validated by risk_rules.validate_params(kind, …) and stored with defaults filled in; plus
    # "classifications": which case classifications count (surveillance Classification values).
    params = models.JSONField(_("参数"))
    disease = models.ForeignKey(Disease, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("病种"))
    # Division levels the rule judges: ["county"], or ["township", "village"].
    levels = models.JSONField(_("适用区划级别"))
    # "" = the nation; "42" = one province's own rule, which wins inside it.
    scope_prefix = models.CharField(_("适用范围"), max_length=12, blank=True, default="")
    effective_from = models.DateField(_("生效日期"))
    note = models.TextField(_("说明"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("风险等级规则")
        verbose_name_plural = _("风险等级规则")
        ordering = ["code", "-version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"],
                                               name="risk_ruleset_version_once")]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"


class Publication(models.Model):
    """The levels of one disease on one day, made public. Its rows never change afterwards."""

    disease = models.ForeignKey(Disease, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("病种"))
    day = models.DateField(_("日期"))
    published_at = models.DateTimeField(_("发布时间"))
    # When the levels take effect: the start of `day` (Asia/Shanghai), or the publication
    # moment when that is later.
    effective_at = models.DateTimeField(_("生效时间"))
    # None: the daily job published it.
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("发布人"))
    n_high = models.PositiveIntegerField(_("高风险地区数"), default=0)
    n_medium = models.PositiveIntegerField(_("中风险地区数"), default=0)
    n_up = models.PositiveIntegerField(_("升级地区数"), default=0)
    n_down = models.PositiveIntegerField(_("降级地区数"), default=0)
    # Set when the officers of the areas that went up or down were told (once).
    notified_at = models.DateTimeField(_("通知时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("风险等级发布")
        verbose_name_plural = _("风险等级发布")
        ordering = ["-day", "disease"]
        constraints = [models.UniqueConstraint(fields=["disease", "day"],
                                               name="risk_publication_once")]

    def __str__(self) -> str:
        return f"{self.disease_id} {self.day}"


class RiskOverride(models.Model):
    """An authorised officer's level for an area, instead of the rule's, with the reason."""

    disease = models.ForeignKey(Disease, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("病种"))
    division_code = models.CharField(_("区划"), max_length=12)
    level = models.CharField(_("风险等级"), max_length=8, choices=RiskLevel.choices)
    reason = models.TextField(_("理由"))
    effective_at = models.DateTimeField(_("生效时间"))
    ends_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("调整人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("撤销人"))
    revoke_reason = models.TextField(_("撤销理由"), blank=True)

    class Meta:
        verbose_name = _("风险等级调整")
        verbose_name_plural = _("风险等级调整")
        ordering = ["-effective_at", "-id"]
        indexes = [models.Index(fields=["disease", "division_code", "effective_at"])]

    def __str__(self) -> str:
        return f"{self.division_code} → {self.level}"


class AreaRisk(models.Model):
    """One area's level on one day. `day` is the day the level is in force; its inputs count
    the cases dated up to and including the day before.

    A year of every area is ~1.5 million rows written in one go, so it has only the indexes
    a reader uses (decision 1100): no single-column ones on disease (first in the unique
    index), rule set or override (they only serve a PROTECT check on deleting one of those,
    which never happens), the one by level only over the rows above low, and the one by
    publication only over published rows (an unpublished day is found by disease and day)."""

    disease = models.ForeignKey(Disease, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("病种"), db_index=False)
    division_code = models.CharField(_("区划"), max_length=12)
    division_level = models.CharField(_("区划级别"), max_length=12)
    day = models.DateField(_("日期"))
    computed_level = models.CharField(_("规则判定等级"), max_length=8, choices=RiskLevel.choices)
    # In force: the computed level, or the override's when one was active at the day's start.
    level = models.CharField(_("风险等级"), max_length=8, choices=RiskLevel.choices)
    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("规则"), db_index=False)
    # RiskResult.explain(): new_in_window, cumulative, counted, cluster_in_window, quiet_days,
    # streak; plus "window_days" and "threshold" of the rule, so the reason reads alone.
    inputs = models.JSONField(_("判定依据数据"))
    reason_code = models.CharField(_("判定理由代码"), max_length=24)
    reason = models.CharField(_("判定理由"), max_length=400)  # in Chinese, as published
    override = models.ForeignKey(RiskOverride, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("人工调整"), db_index=False)
    previous_level = models.CharField(_("前一日等级"), max_length=8, blank=True)
    # The first day of the current run of `level` (for "medium since …").
    since = models.DateField(_("起始日期"))
    computed_at = models.DateTimeField(_("计算时间"))
    publication = models.ForeignKey(Publication, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="levels",
                                    verbose_name=_("发布"), db_index=False)

    class Meta:
        verbose_name = _("地区风险等级")
        verbose_name_plural = _("地区风险等级")
        ordering = ["-day", "division_code"]
        constraints = [models.UniqueConstraint(fields=["disease", "day", "division_code"],
                                               name="risk_arearisk_once")]
        indexes = [models.Index(fields=["disease", "day", "level"],
                                condition=~models.Q(level=RiskLevel.LOW),
                                name="risk_arearisk_raised"),
                   models.Index(fields=["division_code", "day"]),
                   models.Index(fields=["publication"],
                                condition=models.Q(publication__isnull=False),
                                name="risk_arearisk_published")]

    def __str__(self) -> str:
        return f"{self.division_code} {self.day} {self.level}"


class QuarantineKind(models.TextChoices):
    NONE = "", _("无")
    HOME = "home", _("居家隔离")
    CENTRALISED = "centralised", _("集中隔离")


class TravelPolicy(models.Model):
    """A versioned table of what applies to a trip, by the origin's and destination's level."""

    code = models.SlugField(_("政策代码"), max_length=48)
    version = models.PositiveIntegerField(_("版本"))
    name = models.CharField(_("名称"), max_length=128)
    disease = models.ForeignKey(Disease, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("病种"))
    # The destinations it governs: "" = the nation; "42" = arrivals into one province.
    scope_prefix = models.CharField(_("适用范围（目的地）"), max_length=12, blank=True,
                                    default="")
    effective_from = models.DateField(_("生效日期"))
    note = models.TextField(_("说明"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("出行管控政策")
        verbose_name_plural = _("出行管控政策")
        ordering = ["code", "-version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"],
                                               name="risk_travelpolicy_version_once")]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"


class TravelRule(models.Model):
    """One cell of a policy: a trip from an area of `origin_level` to one of
    `destination_level`. A policy has all nine cells."""

    policy = models.ForeignKey(TravelPolicy, on_delete=models.CASCADE, related_name="rules",
                               verbose_name=_("政策"))
    origin_level = models.CharField(_("出发地等级"), max_length=8, choices=RiskLevel.choices)
    destination_level = models.CharField(_("目的地等级"), max_length=8,
                                         choices=RiskLevel.choices)
    certificate_check = models.BooleanField(_("查验健康码"), default=False)
    # A negative nucleic-acid test taken within this many hours before arrival (None: none).
    test_within_hours = models.PositiveSmallIntegerField(_("出发前核酸检测时限（小时）"),
                                                         null=True, blank=True)
    test_on_arrival = models.BooleanField(_("抵达后核酸检测"), default=False)
    quarantine_kind = models.CharField(_("隔离方式"), max_length=12,
                                       choices=QuarantineKind.choices, blank=True, default="")
    quarantine_days = models.PositiveSmallIntegerField(_("隔离天数"), default=0)
    health_monitoring_days = models.PositiveSmallIntegerField(_("健康监测天数"), default=0)
    advice = models.CharField(_("提示"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("出行管控规则")
        verbose_name_plural = _("出行管控规则")
        constraints = [models.UniqueConstraint(
            fields=["policy", "origin_level", "destination_level"],
            name="risk_travelrule_cell_once")]

    def __str__(self) -> str:
        return f"{self.policy} {self.origin_level}→{self.destination_level}"
