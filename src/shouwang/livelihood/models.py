"""Relapse-into-poverty monitoring (防返贫动态监测和帮扶): the data model.

- `Household` / `Member`: the registry down to the village, members' personal data encrypted
  (a person is an active member of one household only: a database constraint on the keyed hash
  of the ID number), poverty history, and the five tracked guarantees (两不愁三保障 and safe
  drinking water).
- `IncomeRecord`: household net income by component (wages, operating, property, transfers) for
  a year or one month of it; `Shock`: an event that cuts income or forces spending (medical
  spending, disaster loss, job loss, migrant work interrupted by the epidemic) with its date and
  amount.
- `MonitoringThreshold`: the yearly monitoring line per province (e.g. 1.5 × the poverty line);
  `MonitoringRuleSet`: versioned parameters of shouwang.epi.livelihood_rules.
- `Signal`: a lead from one of three sources (the household's own report, a cadre's visit,
  another department's data — this platform's surveillance included) with the time limit for a
  decision; `MonitoringFlag`: a household identified for monitoring, with the rule set, the
  target group, the triggers, the numbers and the reason, until its risk is marked eliminated
  with the evidence.
- `AssistanceMeasure` and `FollowUpVisit`: the help given, by whom, when and how much, and the
  visits that follow a household until the risk is gone.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from shouwang.core.fields import EncryptedTextField
from shouwang.surveillance.models import PersonFields, person_indexes


class PovertyStatus(models.TextChoices):
    NEVER_POOR = "never_poor", _("一般农户")
    LIFTED_OUT = "lifted_out", _("脱贫户")


class MonitoringStatus(models.TextChoices):
    NOT_MONITORED = "not_monitored", _("未纳入监测")
    MONITORED = "monitored", _("监测对象")
    ELIMINATED = "eliminated", _("风险已消除")


# The five guarantees tracked for every household, in the bit order shouwang.epi.livelihood_rules
# uses for its guarantee masks.
GUARANTEES: tuple[tuple[str, str | Promise], ...] = (
    ("food_clothing_secure", _("不愁吃、不愁穿")),
    ("education_secure", _("义务教育有保障")),
    ("medical_secure", _("基本医疗有保障")),
    ("housing_secure", _("住房安全有保障")),
    ("water_secure", _("饮水安全有保障")),
)


class Household(models.Model):
    # The registry's household number (户编号), unique nationally.
    household_number = models.CharField(_("户编号"), max_length=32, unique=True)
    division_code = models.CharField(_("所在区划"), max_length=12)  # down to the village
    address_detail = EncryptedTextField(_("详细地址"), blank=True)
    poverty_status = models.CharField(_("户类型"), max_length=16, choices=PovertyStatus.choices,
                                      default=PovertyStatus.NEVER_POOR)
    lifted_out_year = models.PositiveSmallIntegerField(_("脱贫年度"), null=True, blank=True)
    monitoring_status = models.CharField(_("监测状态"), max_length=16,
                                         choices=MonitoringStatus.choices,
                                         default=MonitoringStatus.NOT_MONITORED)
    food_clothing_secure = models.BooleanField(_("不愁吃、不愁穿"), default=True)
    education_secure = models.BooleanField(_("义务教育有保障"), default=True)
    medical_secure = models.BooleanField(_("基本医疗有保障"), default=True)
    housing_secure = models.BooleanField(_("住房安全有保障"), default=True)
    water_secure = models.BooleanField(_("饮水安全有保障"), default=True)
    guarantees_checked_on = models.DateField(_("保障情况核实日期"), null=True, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("农户")
        verbose_name_plural = _("农户")
        ordering = ["division_code", "household_number"]
        indexes = [models.Index(fields=["division_code", "household_number"]),
                   models.Index(fields=["monitoring_status", "division_code"])]
        constraints = [models.CheckConstraint(
            condition=Q(poverty_status="never_poor", lifted_out_year__isnull=True)
            | Q(poverty_status="lifted_out", lifted_out_year__isnull=False),
            name="livelihood_household_lifted_year")]

    def __str__(self) -> str:
        return self.household_number


class Relationship(models.TextChoices):
    HEAD = "head", _("户主")
    SPOUSE = "spouse", _("配偶")
    CHILD = "child", _("子女")
    PARENT = "parent", _("父母")
    GRANDCHILD = "grandchild", _("孙子女")
    SIBLING = "sibling", _("兄弟姐妹")
    OTHER = "other", _("其他")


class Health(models.TextChoices):
    HEALTHY = "healthy", _("健康")
    CHRONIC = "chronic", _("长期慢性病")
    SERIOUS = "serious", _("患大病")


class Disability(models.TextChoices):
    NONE = "none", _("无残疾")
    GRADE_1 = "1", _("一级残疾")
    GRADE_2 = "2", _("二级残疾")
    GRADE_3 = "3", _("三级残疾")
    GRADE_4 = "4", _("四级残疾")


class Schooling(models.TextChoices):
    PRESCHOOL = "preschool", _("学龄前")
    PRIMARY = "primary", _("小学在读")
    JUNIOR = "junior", _("初中在读")
    SENIOR = "senior", _("高中在读")
    VOCATIONAL = "vocational", _("中职在读")
    HIGHER = "higher", _("大专及以上在读")
    DROPPED_OUT = "dropped_out", _("辍学")
    NOT_IN_SCHOOL = "not_in_school", _("非在校")


class Work(models.TextChoices):
    LOCAL = "local", _("本地务工")
    MIGRANT = "migrant", _("外出务工")
    FARMING = "farming", _("务农")
    SELF_EMPLOYED = "self_employed", _("个体经营")
    UNEMPLOYED = "unemployed", _("无业")
    UNABLE = "unable", _("无劳动能力")
    STUDENT = "student", _("学生")


class Member(PersonFields):
    """A person of a household. `active` false: the person left (moved, married out, died)."""

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="members",
                                  verbose_name=_("农户"))
    relationship = models.CharField(_("与户主关系"), max_length=16, choices=Relationship.choices)
    health = models.CharField(_("健康状况"), max_length=16, choices=Health.choices,
                              default=Health.HEALTHY)
    disability = models.CharField(_("残疾等级"), max_length=8, choices=Disability.choices,
                                  default=Disability.NONE)
    schooling = models.CharField(_("在校情况"), max_length=16, choices=Schooling.choices,
                                 default=Schooling.NOT_IN_SCHOOL)
    work = models.CharField(_("务工就业"), max_length=16, choices=Work.choices,
                            default=Work.FARMING)
    # Where a migrant works: a division code when known, else the place as told.
    migrant_destination_code = models.CharField(_("务工地区划"), max_length=12, blank=True)
    migrant_destination = models.CharField(_("务工地"), max_length=128, blank=True)
    active = models.BooleanField(_("在户"), default=True)
    left_on = models.DateField(_("离户日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("家庭成员")
        verbose_name_plural = _("家庭成员")
        ordering = ["household", "id"]
        indexes = person_indexes("lh_member")
        constraints = [models.UniqueConstraint(
            fields=["id_number_hash"], condition=Q(active=True) & ~Q(id_number_hash=""),
            name="livelihood_member_one_household")]

    def __str__(self) -> str:
        return f"member {self.pk} of {self.household_id}"


class IncomeComponent(models.TextChoices):
    WAGES = "wages", _("工资性收入")
    OPERATING = "operating", _("经营净收入")
    PROPERTY = "property", _("财产净收入")
    TRANSFER = "transfer", _("转移净收入")


class DataSource(models.TextChoices):
    SELF_REPORT = "self_report", _("农户自主申报")
    CADRE_VISIT = "cadre_visit", _("干部走访")
    DEPARTMENT = "department", _("部门筛查")
    SURVEILLANCE = "surveillance", _("疫情监测")


class IncomeRecord(models.Model):
    """Household net income (yuan, the whole household) of one component for a year (`month`
    empty) or one month of it. Operating and property income may be negative (a loss); wages
    and transfers may not (a database check)."""

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="incomes",
                                  verbose_name=_("农户"))
    year = models.PositiveSmallIntegerField(_("年度"))
    month = models.PositiveSmallIntegerField(_("月份"), null=True, blank=True)
    component = models.CharField(_("收入构成"), max_length=16, choices=IncomeComponent.choices)
    amount = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2)
    source = models.CharField(_("来源"), max_length=16, choices=DataSource.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("录入人"))
    recorded_at = models.DateTimeField(_("录入时间"), auto_now=True)

    class Meta:
        verbose_name = _("收入记录")
        verbose_name_plural = _("收入记录")
        ordering = ["household", "year", "month", "component"]
        constraints = [
            models.UniqueConstraint(fields=["household", "year", "month", "component"],
                                    name="livelihood_income_once"),
            models.UniqueConstraint(fields=["household", "year", "component"],
                                    condition=Q(month__isnull=True),
                                    name="livelihood_income_year_once"),
            models.CheckConstraint(condition=Q(month__isnull=True) | Q(month__gte=1, month__lte=12),
                                   name="livelihood_income_month_range"),
            models.CheckConstraint(
                condition=Q(component__in=["operating", "property"]) | Q(amount__gte=0),
                name="livelihood_income_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.year}-{self.month or '*'} {self.component}"


class ShockKind(models.TextChoices):
    MEDICAL = "medical", _("大额医疗支出")
    DISASTER = "disaster", _("灾害损失")
    JOB_LOSS = "job_loss", _("失业")
    MIGRANT_WORK_INTERRUPTED = "migrant_interrupted", _("外出务工受疫情影响中断")
    EDUCATION = "education", _("教育支出")
    OTHER = "other", _("其他意外")


class Shock(models.Model):
    """An event that cut the household's income or forced its spending."""

    # The same report sent twice is stored once (forms and department feeds send a key).
    source_key = models.CharField(_("来源键"), max_length=96, null=True,
                                  blank=True, unique=True)
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="shocks",
                                  verbose_name=_("农户"))
    member = models.ForeignKey(Member, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="shocks", verbose_name=_("成员"))
    kind = models.CharField(_("类型"), max_length=24, choices=ShockKind.choices)
    occurred_on = models.DateField(_("发生日期"))
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
    amount = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2)
    description = models.TextField(_("情况说明"), blank=True)
    source = models.CharField(_("来源"), max_length=16, choices=DataSource.choices)
    # When the platform's own surveillance found it (a member hospitalised as a severe case).
    case = models.ForeignKey("surveillance.CaseReport", null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("关联病例"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("录入人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("风险事件")
        verbose_name_plural = _("风险事件")
        ordering = ["-occurred_on", "-id"]
        indexes = [models.Index(fields=["household", "occurred_on"])]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0),
                                              name="livelihood_shock_non_negative")]

    def __str__(self) -> str:
        return f"{self.kind} {self.occurred_on} ({self.household_id})"


class MonitoringThreshold(models.Model):
    """The monitoring line of a year (yuan of per-capita net income a year), nationally or for
    one province (which wins inside it)."""

    year = models.PositiveSmallIntegerField(_("年度"))
    province_code = models.CharField(_("省份"), max_length=6, blank=True, default="")
    poverty_line = models.DecimalField(_("脱贫标准（元）"), max_digits=10, decimal_places=2)
    multiple = models.DecimalField(_("倍数"), max_digits=4, decimal_places=2, default=1.5)
    amount = models.DecimalField(_("监测标准（元）"), max_digits=10, decimal_places=2)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("监测标准")
        verbose_name_plural = _("监测标准")
        ordering = ["-year", "province_code"]
        constraints = [models.UniqueConstraint(fields=["year", "province_code"],
                                               name="livelihood_threshold_once")]

    def __str__(self) -> str:
        return f"{self.year} {self.province_code or 'CN'} {self.amount}"


class MonitoringRuleSet(models.Model):
    """Versioned parameters of shouwang.epi.livelihood_rules (never edited: a new version)."""

    code = models.SlugField(_("规则代码"), max_length=48)
    version = models.PositiveIntegerField(_("版本"))
    # The function of shouwang.epi.livelihood_rules the parameters are for.
    kind = models.CharField(_("规则类型"), max_length=48, default="relapse_monitoring")
    name = models.CharField(_("名称"), max_length=128)
    name_en = models.CharField(_("英文名称"), max_length=128, blank=True)
    params = models.JSONField(_("参数"))
    scope_prefix = models.CharField(_("适用范围"), max_length=12, blank=True, default="")
    effective_from = models.DateField(_("生效日期"))
    note = models.TextField(_("说明"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("监测规则")
        verbose_name_plural = _("监测规则")
        ordering = ["code", "-version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"],
                                               name="livelihood_ruleset_version_once")]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"


class MonitoringRun(models.Model):
    """One monitoring pass: every household (of a division, or all) evaluated by the rule set in
    force at the end of `month`, with what it found and what it could not evaluate."""

    month = models.DateField(_("监测月份"))  # the first day of the month evaluated
    division_prefix = models.CharField(_("范围"), max_length=12, blank=True, default="")
    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("发起人"))
    households = models.PositiveIntegerField(_("评估户数"), default=0)
    flagged = models.PositiveIntegerField(_("规则识别户数"), default=0)
    flags_opened = models.PositiveIntegerField(_("新纳入户数"), default=0)
    eligible = models.PositiveIntegerField(_("可消除风险户数"), default=0)
    # Why households were not evaluated: {"no_threshold": {"2026 420000": 12}, "no_members": 3}
    skipped = models.JSONField(_("未评估"), default=dict, blank=True)

    class Meta:
        verbose_name = _("监测批次")
        verbose_name_plural = _("监测批次")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"run {self.pk} {self.month:%Y-%m} {self.division_prefix or 'CN'}"


class SignalStatus(models.TextChoices):
    PENDING = "pending", _("待研判")
    IDENTIFIED = "identified", _("已纳入监测")
    NOT_IDENTIFIED = "not_identified", _("不纳入")


class Signal(models.Model):
    """A lead that a household may be at risk, from one of the three sources, to be decided
    within the time limit (`decision_due`)."""

    source_key = models.CharField(_("来源键"), max_length=96, null=True,
                                  blank=True, unique=True)
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="signals",
                                  verbose_name=_("农户"))
    division_code = models.CharField(_("所在区划"), max_length=12)  # the household's, for scoping
    source = models.CharField(_("来源"), max_length=16, choices=DataSource.choices)
    # What the source says happened (a department's record, the form's answers, the visit).
    summary = models.CharField(_("线索摘要"), max_length=255)
    details = models.JSONField(_("详情"), default=dict, blank=True)
    shock = models.ForeignKey(Shock, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="signals", verbose_name=_("风险事件"))
    received_at = models.DateTimeField(_("收到时间"))
    decision_due = models.DateTimeField(_("研判时限"))
    status = models.CharField(_("状态"), max_length=16, choices=SignalStatus.choices,
                              default=SignalStatus.PENDING)
    decided_at = models.DateTimeField(_("研判时间"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("研判人"))
    decision_reason = models.TextField(_("研判意见"), blank=True)
    # When the cadres were told that the signal passed its time limit undecided (once).
    overdue_notified_at = models.DateTimeField(_("超时提醒时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("监测线索")
        verbose_name_plural = _("监测线索")
        ordering = ["decision_due", "id"]
        indexes = [models.Index(fields=["status", "decision_due"]),
                   models.Index(fields=["division_code", "status"])]

    def __str__(self) -> str:
        return f"signal {self.pk} ({self.source})"


class TargetGroup(models.TextChoices):
    UNSTABLE_AFTER_EXIT = "unstable_after_exit", _("脱贫不稳定户")
    MARGINAL = "marginal", _("边缘易致贫户")
    SUDDEN_DIFFICULTY = "sudden_difficulty", _("突发严重困难户")


class FlagStatus(models.TextChoices):
    MONITORING = "monitoring", _("监测帮扶中")
    ELIMINATED = "eliminated", _("风险已消除")


class MonitoringFlag(models.Model):
    """A household identified for monitoring: the rule that found it, the numbers and the
    reason, until its risk is marked eliminated (with the evidence)."""

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="flags",
                                  verbose_name=_("农户"))
    division_code = models.CharField(_("所在区划"), max_length=12)
    rule_set = models.ForeignKey(MonitoringRuleSet, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("监测规则"))
    target_group = models.CharField(_("监测对象类别"), max_length=24,
                                    choices=TargetGroup.choices)
    triggers = models.JSONField(_("触发条件"))       # ["income_below", "income_drop", …]
    numbers = models.JSONField(_("判定依据数据"))     # income, threshold, drop, spending share …
    reason = models.CharField(_("纳入理由"), max_length=400)
    signal = models.ForeignKey(Signal, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="flags", verbose_name=_("线索"))
    # Found by a monitoring pass (signal empty) …
    run = models.ForeignKey(MonitoringRun, null=True, blank=True, on_delete=models.PROTECT,
                            related_name="flags", verbose_name=_("监测批次"))
    # … the month whose figures `numbers` holds (the end of the rule's window).
    evaluated_month = models.DateField(_("判定月份"), null=True, blank=True)
    identified_at = models.DateTimeField(_("纳入时间"))
    identified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="+",
                                      verbose_name=_("纳入人"))
    status = models.CharField(_("状态"), max_length=16, choices=FlagStatus.choices,
                              default=FlagStatus.MONITORING)
    eliminated_at = models.DateTimeField(_("风险消除时间"), null=True, blank=True)
    eliminated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="+",
                                      verbose_name=_("标注人"))
    elimination_evidence = models.JSONField(_("风险消除依据"), default=dict, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)

    class Meta:
        verbose_name = _("监测对象")
        verbose_name_plural = _("监测对象")
        ordering = ["-identified_at", "-id"]
        indexes = [models.Index(fields=["division_code", "status"])]
        constraints = [
            # One open monitoring per household at a time.
            models.UniqueConstraint(fields=["household"], condition=Q(status="monitoring"),
                                    name="livelihood_flag_one_open"),
            models.CheckConstraint(
                condition=Q(status="monitoring", eliminated_at__isnull=True)
                | Q(status="eliminated", eliminated_at__isnull=False),
                name="livelihood_flag_eliminated_has_time"),
        ]

    def __str__(self) -> str:
        return f"flag {self.pk} {self.target_group} ({self.household_id})"


class AssistanceCategory(models.TextChoices):
    INDUSTRY = "industry", _("产业帮扶")
    EMPLOYMENT = "employment", _("就业帮扶")
    MINIMUM_LIVING = "minimum_living", _("最低生活保障")
    SOCIAL_SECURITY = "social_security", _("其他社会保障")
    MEDICAL = "medical", _("医疗保障")
    EDUCATION = "education", _("教育帮扶")
    HOUSING = "housing", _("住房安全保障")
    MICROCREDIT = "microcredit", _("小额信贷")
    OTHER = "other", _("其他帮扶")


class AssistanceMeasure(models.Model):
    flag = models.ForeignKey(MonitoringFlag, on_delete=models.PROTECT, related_name="measures",
                             verbose_name=_("监测对象"))
    category = models.CharField(_("帮扶类别"), max_length=24, choices=AssistanceCategory.choices)
    description = models.CharField(_("帮扶内容"), max_length=255)
    responsible = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("帮扶责任人"))
    started_on = models.DateField(_("开始日期"))
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
    amount = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2, null=True,
                                 blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("录入人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("帮扶措施")
        verbose_name_plural = _("帮扶措施")
        ordering = ["started_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__isnull=True) | Q(amount__gte=0),
                                   name="livelihood_measure_non_negative"),
            models.CheckConstraint(condition=Q(ended_on__isnull=True)
                                   | Q(ended_on__gte=models.F("started_on")),
                                   name="livelihood_measure_dates"),
        ]

    def __str__(self) -> str:
        return f"{self.category} for flag {self.flag_id}"


class FollowUpVisit(models.Model):
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="visits",
                                  verbose_name=_("农户"))
    flag = models.ForeignKey(MonitoringFlag, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="visits", verbose_name=_("监测对象"))
    visited_on = models.DateField(_("走访日期"))
    visitor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                related_name="+", verbose_name=_("走访人"))
    notes = models.TextField(_("走访情况"))
    # What the visit found: the five guarantees as seen that day.
    guarantees = models.JSONField(_("保障情况"), default=dict, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")
        ordering = ["-visited_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["household", "visitor", "visited_on"],
                                               name="livelihood_visit_once_a_day")]

    def __str__(self) -> str:
        return f"visit {self.visited_on} ({self.household_id})"
