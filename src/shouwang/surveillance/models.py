"""The surveillance network: case reports (传染病报告卡), their history, lab results, report-due
tasks, duplicate candidates, import batches and the daily-count table.

Personal fields are encrypted at rest (shouwang.core.fields); exact lookups go through their
keyed hashes. Counts read the current state of each report (revoked and merged reports excluded);
every change is kept in CaseReportHistory.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shouwang.core.fields import EncryptedTextField, LookupHashField


class DiseaseClass(models.TextChoices):
    A = "A", _("甲类")
    B = "B", _("乙类")
    C = "C", _("丙类")
    OTHER = "other", _("其他法定管理及重点监测")


class Disease(models.Model):
    """A notifiable disease. The list is data (surveillance/data/diseases.csv), synced by
    `diseases_sync`; diseases are never deleted, only deactivated."""

    code = models.CharField(_("病种代码"), max_length=32, primary_key=True)
    name = models.CharField(_("病种名称"), max_length=64)
    name_en = models.CharField(_("英文名称"), max_length=128)
    disease_class = models.CharField(_("类别"), max_length=8, choices=DiseaseClass.choices)
    managed_as_class_a = models.BooleanField(_("按甲类管理"), default=False)
    report_deadline_hours = models.PositiveIntegerField(_("报告时限（小时）"))
    exposure_window_days = models.PositiveIntegerField(_("暴露追溯期（天）"), default=14)
    dedup_window_days = models.PositiveIntegerField(_("查重窗口（天）"), default=90)
    active = models.BooleanField(_("启用"), default=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("病种")
        verbose_name_plural = _("病种")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class Classification(models.TextChoices):
    SUSPECTED = "suspected", _("疑似病例")
    CLINICAL = "clinical", _("临床诊断病例")
    CONFIRMED = "confirmed", _("确诊病例")
    ASYMPTOMATIC = "asymptomatic", _("无症状感染者")


class IdType(models.TextChoices):
    RESIDENT_ID = "resident_id", _("居民身份证")
    PASSPORT = "passport", _("护照")
    OTHER = "other", _("其他证件")
    NONE = "none", _("无证件")


class Sex(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")
    UNKNOWN = "U", _("不详")


class Occupation(models.TextChoices):
    """The occupation list of the national report card."""

    NURSERY_CHILD = "nursery_child", _("幼托儿童")
    SCATTERED_CHILD = "scattered_child", _("散居儿童")
    STUDENT = "student", _("学生（大中小学）")
    TEACHER = "teacher", _("教师")
    CHILDCARE = "childcare", _("保育员及保姆")
    CATERING = "catering", _("餐饮食品业")
    PUBLIC_SERVICE = "public_service", _("公共场所服务员")
    COMMERCE = "commerce", _("商业服务")
    HEALTHCARE = "healthcare", _("医务人员")
    WORKER = "worker", _("工人")
    MIGRANT_WORKER = "migrant_worker", _("民工")
    FARMER = "farmer", _("农民")
    HERDER = "herder", _("牧民")
    FISHER = "fisher", _("渔（船）民")
    DRIVER_SEAFARER = "driver_seafarer", _("海员及长途驾驶员")
    CADRE = "cadre", _("干部职员")
    RETIRED = "retired", _("离退人员")
    UNEMPLOYED = "unemployed", _("家务及待业")
    OTHER = "other", _("其他")
    UNKNOWN = "unknown", _("不详")


class Severity(models.TextChoices):
    MILD = "mild", _("轻型")
    MODERATE = "moderate", _("普通型")
    SEVERE = "severe", _("重型")
    CRITICAL = "critical", _("危重型")


class Outcome(models.TextChoices):
    NONE = "", _("未转归")
    RECOVERED = "recovered", _("治愈")
    DIED = "died", _("死亡")


class CaseStatus(models.TextChoices):
    ACTIVE = "active", _("有效")
    REVOKED = "revoked", _("已删除（订正）")
    MERGED = "merged", _("已合并为重复")


class PersonFields(models.Model):
    """The person on a report or a lab result: encrypted, with keyed hashes for lookups.

    The hashes are indexed by each model's Meta (`person_indexes`), not with db_index: on
    PostgreSQL db_index on a CharField adds a second, LIKE-pattern index that no hash lookup
    uses and every insert pays for (decision 0800, "Indexes").
    """

    name = EncryptedTextField(_("姓名"), lookup_field="name_hash")
    name_hash = LookupHashField(db_index=False)
    id_type = models.CharField(_("证件类型"), max_length=16, choices=IdType.choices,
                               default=IdType.RESIDENT_ID)
    id_number = EncryptedTextField(_("证件号码"), blank=True, lookup_field="id_number_hash",
                                   lookup_kind="id_number")
    id_number_hash = LookupHashField(db_index=False)
    phone = EncryptedTextField(_("联系电话"), blank=True, lookup_field="phone_hash",
                               lookup_kind="phone")
    phone_hash = LookupHashField(db_index=False)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)

    class Meta:
        abstract = True


def person_indexes(prefix: str) -> list[models.Index]:
    return [models.Index(fields=[name], name=f"{prefix}_{name}")
            for name in ("name_hash", "id_number_hash", "phone_hash")]


class CaseReport(PersonFields):
    # The same report sent twice is stored once: clients and importers send a key (unique by
    # a Meta constraint, which on PostgreSQL adds no LIKE index beside the unique one). NULL,
    # not "", for "no key": many reports have none, and NULLs never collide.
    source_key = models.CharField(_("来源键"), max_length=96, null=True,  # noqa: DJ001
                                  blank=True)
    # Indexes are few on purpose (decision 0800): every one is paid on every insert.
    disease = models.ForeignKey(Disease, on_delete=models.PROTECT, related_name="cases",
                                verbose_name=_("病种"), db_index=False)
    classification = models.CharField(_("病例分类"), max_length=16,
                                      choices=Classification.choices)
    age_years = models.PositiveSmallIntegerField(_("年龄（岁）"), null=True, blank=True)
    # Where the person lives now: the most specific division code known (county or below).
    division_code = models.CharField(_("现住址区划"), max_length=12)
    address_detail = EncryptedTextField(_("详细住址"), blank=True)
    occupation = models.CharField(_("职业"), max_length=24, choices=Occupation.choices,
                                  default=Occupation.UNKNOWN)
    onset_date = models.DateField(_("发病日期"), null=True, blank=True)
    diagnosed_at = models.DateTimeField(_("诊断时间"))
    reported_at = models.DateTimeField(_("报告时间"))
    reporting_facility = models.CharField(_("报告单位"), max_length=128)
    reporting_division_code = models.CharField(_("报告单位区划"), max_length=12)
    severity = models.CharField(_("临床严重程度"), max_length=12, choices=Severity.choices,
                                blank=True)
    outcome = models.CharField(_("转归"), max_length=12, choices=Outcome.choices, blank=True,
                               default=Outcome.NONE)
    outcome_date = models.DateField(_("转归日期"), null=True, blank=True)
    imported = models.BooleanField(_("输入病例"), default=False)
    origin_division_code = models.CharField(_("输入来源区划"), max_length=12, blank=True)
    origin_country = models.CharField(_("输入来源国家"), max_length=3, blank=True)
    # Deadlines: reporting (diagnosis + the disease's hours) and county verification.
    report_deadline_at = models.DateTimeField(_("报告时限"))
    verification_due_at = models.DateTimeField(_("审核时限"))
    verified_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("审核人"), db_index=False)
    status = models.CharField(_("状态"), max_length=12, choices=CaseStatus.choices,
                              default=CaseStatus.ACTIVE)
    revoked_reason = models.CharField(_("删除原因"), max_length=255, blank=True)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="merged_reports", verbose_name=_("合并至"))
    # Optimistic concurrency: every write must name the version it read.
    version = models.PositiveIntegerField(_("版本"), default=1)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("填报人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("病例报告")
        verbose_name_plural = _("病例报告")
        ordering = ["-reported_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["source_key"],
                                               name="surv_case_source_key_unique")]
        indexes = [
            *person_indexes("surv_case"),
            # The import's candidate check: namesakes without an ID number (a few percent).
            models.Index(fields=["name_hash"], name="surv_case_name_no_id",
                         condition=models.Q(id_number_hash__isnull=True)),
            models.Index(fields=["division_code", "reported_at"]),
            models.Index(fields=["division_code", "onset_date"]),
            models.Index(fields=["status", "verification_due_at"]),
            models.Index(fields=["reporting_division_code", "reported_at"]),
            # The line list above county level: newest first, read backwards along this index,
            # with the division range and the status tested on the index entries themselves
            # (decision 0710); a range of division codes cannot serve the order.
            models.Index(fields=["reported_at", "id", "division_code", "status"],
                         name="surv_case_list_order"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.disease_id} {self.classification}"


class HistoryKind(models.TextChoices):
    CREATE = "create", _("新报告")
    CORRECT = "correct", _("订正")
    RECLASSIFY = "reclassify", _("订正分类")
    OUTCOME = "outcome", _("转归")
    VERIFY = "verify", _("审核")
    REVOKE = "revoke", _("删除")
    RESTORE = "restore", _("恢复")
    MERGE = "merge", _("合并重复")
    UNMERGE = "unmerge", _("撤销合并")


class CaseReportHistory(models.Model):
    """One change of a report: who, when, what kind, why, and the fields that changed (personal
    values masked). Written by the services in the same transaction as the change."""

    case = models.ForeignKey(CaseReport, on_delete=models.CASCADE, related_name="history")
    version = models.PositiveIntegerField(_("版本"))
    kind = models.CharField(_("变更类型"), max_length=16, choices=HistoryKind.choices)
    changed_at = models.DateTimeField(_("时间"), auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT,
                              related_name="+", verbose_name=_("操作人"))
    reason = models.CharField(_("原因"), max_length=255, blank=True)
    changes = models.JSONField(_("变更内容"), default=dict, blank=True)
    classification = models.CharField(_("当时分类"), max_length=16,
                                      choices=Classification.choices)

    class Meta:
        verbose_name = _("病例报告变更")
        verbose_name_plural = _("病例报告变更")
        ordering = ["case", "version"]
        constraints = [
            models.UniqueConstraint(fields=["case", "version"],
                                    name="surveillance_history_unique_version"),
        ]

    def __str__(self) -> str:
        return f"#{self.case_id} v{self.version} {self.kind}"


class SampleType(models.TextChoices):
    THROAT = "throat_swab", _("咽拭子")
    NASAL = "nasal_swab", _("鼻拭子")
    NASOPHARYNGEAL = "nasopharyngeal_swab", _("鼻咽拭子")
    SPUTUM = "sputum", _("痰液")
    BLOOD = "blood", _("血液/血清")
    STOOL = "stool", _("粪便")
    OTHER = "other", _("其他")


class TestMethod(models.TextChoices):
    PCR = "pcr", _("核酸检测（PCR）")
    ANTIGEN = "antigen", _("抗原检测")
    ANTIBODY_IGM = "antibody_igm", _("IgM 抗体")
    ANTIBODY_IGG = "antibody_igg", _("IgG 抗体")
    CULTURE = "culture", _("病原培养")
    OTHER = "other", _("其他")


class TestResult(models.TextChoices):
    POSITIVE = "positive", _("阳性")
    NEGATIVE = "negative", _("阴性")
    INCONCLUSIVE = "inconclusive", _("不确定")


class LabResult(PersonFields):
    source_key = models.CharField(_("来源键"), max_length=96, unique=True, null=True, blank=True)
    disease = models.ForeignKey(Disease, on_delete=models.PROTECT, related_name="lab_results",
                                verbose_name=_("病种"))
    sample_id = models.CharField(_("样本编号"), max_length=64)
    sample_type = models.CharField(_("样本类型"), max_length=24, choices=SampleType.choices)
    sampled_at = models.DateTimeField(_("采样时间"))
    tested_at = models.DateTimeField(_("检测时间"))
    method = models.CharField(_("检测方法"), max_length=16, choices=TestMethod.choices)
    result = models.CharField(_("检测结果"), max_length=16, choices=TestResult.choices)
    ct_value = models.FloatField(_("Ct 值"), null=True, blank=True)
    laboratory = models.CharField(_("检测机构"), max_length=128)
    laboratory_division_code = models.CharField(_("检测机构区划"), max_length=12)
    # Where the person lives: the county that must act on a positive result.
    division_code = models.CharField(_("现住址区划"), max_length=12, db_index=True)
    case = models.ForeignKey(CaseReport, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="lab_results", verbose_name=_("关联病例"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("录入人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("实验室检测结果")
        verbose_name_plural = _("实验室检测结果")
        ordering = ["-tested_at", "-id"]
        indexes = [
            models.Index(fields=["division_code", "tested_at"]),
            # A lab sees what it entered: the OR in the visibility filter needs both sides.
            models.Index(fields=["laboratory_division_code", "tested_at"]),
            models.Index(fields=["disease", "id_number_hash"]),
            *person_indexes("surv_lab"),
        ]

    def __str__(self) -> str:
        return f"{self.sample_id} {self.method} {self.result}"


class TaskStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    DONE = "done", _("已报告")
    CANCELLED = "cancelled", _("已取消")


class ReportTask(models.Model):
    """"Report due": a positive result for someone without a case, for the county to act on."""

    lab_result = models.OneToOneField(LabResult, on_delete=models.CASCADE,
                                      related_name="report_task")
    disease = models.ForeignKey(Disease, on_delete=models.PROTECT, related_name="+")
    division_code = models.CharField(_("负责区划"), max_length=12, db_index=True)
    due_at = models.DateTimeField(_("报告时限"), db_index=True)
    status = models.CharField(_("状态"), max_length=12, choices=TaskStatus.choices,
                              default=TaskStatus.OPEN, db_index=True)
    case = models.ForeignKey(CaseReport, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+", verbose_name=_("报告的病例"))
    note = models.CharField(_("备注"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("待报告任务")
        verbose_name_plural = _("待报告任务")
        ordering = ["due_at", "id"]

    def __str__(self) -> str:
        return f"report due {self.division_code} {self.due_at:%Y-%m-%d %H:%M}"


class CandidateStatus(models.TextChoices):
    OPEN = "open", _("待核实")
    MERGED = "merged", _("已合并")
    DISMISSED = "dismissed", _("非重复")


class DuplicateCandidate(models.Model):
    """Two reports that may be the same person and disease (no ID number to be sure): proposed
    to an officer, never merged silently."""

    case = models.ForeignKey(CaseReport, on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey(CaseReport, on_delete=models.CASCADE, related_name="+")
    division_code = models.CharField(_("区划"), max_length=12, db_index=True)
    score = models.FloatField(_("相似度"))
    reasons = models.JSONField(_("依据"), default=list, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=CandidateStatus.choices,
                              default=CandidateStatus.OPEN, db_index=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("疑似重复")
        verbose_name_plural = _("疑似重复")
        constraints = [
            models.UniqueConstraint(fields=["case", "other"], name="surveillance_candidate_pair"),
        ]

    def __str__(self) -> str:
        return f"#{self.case_id} ~ #{self.other_id} ({self.status})"


class ImportKind(models.TextChoices):
    CASES = "cases", _("病例报告")
    LAB_RESULTS = "lab_results", _("实验室检测结果")


class ImportStatus(models.TextChoices):
    PREVIEWED = "previewed", _("已预览")
    RUNNING = "running", _("导入中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class ImportBatch(models.Model):
    """One uploaded line-list file. Rows carry a source key derived from the file and row
    content, so importing the same file (or the same rows) twice adds nothing."""

    kind = models.CharField(_("类型"), max_length=16, choices=ImportKind.choices)
    file_name = models.CharField(_("文件名"), max_length=255)
    file_sha256 = models.CharField(_("文件摘要"), max_length=64, db_index=True)
    stored_path = models.CharField(_("存储路径"), max_length=512)
    encoding = models.CharField(_("编码"), max_length=16, blank=True)
    mapping = models.JSONField(_("列映射"), default=dict, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="+", verbose_name=_("导入人"))
    division_code = models.CharField(_("区划"), max_length=12, db_index=True)
    job = models.ForeignKey("core.Job", null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="+")
    status = models.CharField(_("状态"), max_length=12, choices=ImportStatus.choices,
                              default=ImportStatus.PREVIEWED)
    total_rows = models.PositiveIntegerField(_("总行数"), default=0)
    imported_rows = models.PositiveIntegerField(_("已导入"), default=0)
    duplicate_rows = models.PositiveIntegerField(_("重复"), default=0)
    error_rows = models.PositiveIntegerField(_("错误行"), default=0)
    errors_path = models.CharField(_("错误文件"), max_length=512, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    # What the import needs to resume after a crash: the format, the last line whose chunk
    # committed (with the counters and the chunk's daily-count deltas, in one transaction), rows
    # found already imported (same source key), rows that were errors only for their content.
    file_format = models.CharField(_("文件格式"), max_length=8, blank=True)
    dry_run = models.BooleanField(_("试运行"), default=False)
    resume_line = models.PositiveIntegerField(_("已提交至行"), default=0)
    existing_rows = models.PositiveIntegerField(_("此前已导入"), default=0)
    candidate_rows = models.PositiveIntegerField(_("疑似重复"), default=0)
    failure = models.TextField(_("失败原因"), blank=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("导入批次")
        verbose_name_plural = _("导入批次")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name} ({self.status})"


class DateBasis(models.TextChoices):
    ONSET = "onset", _("按发病日期")
    DIAGNOSIS = "diagnosis", _("按诊断日期")
    REPORT = "report", _("按报告日期")


class DailyCount(models.Model):
    """Cases per county × day × disease × classification × date basis, kept current by the
    services (a refresh of the affected counties and days after every write or import), so that
    counts at any level are a sum over counties and never a scan of every report."""

    county_code = models.CharField(_("县级区划"), max_length=6)
    day = models.DateField(_("日期"))
    basis = models.CharField(_("日期口径"), max_length=12, choices=DateBasis.choices)
    disease = models.ForeignKey(Disease, on_delete=models.PROTECT, related_name="+")
    classification = models.CharField(_("病例分类"), max_length=16,
                                      choices=Classification.choices)
    count = models.PositiveIntegerField(_("病例数"))

    class Meta:
        verbose_name = _("每日病例数")
        verbose_name_plural = _("每日病例数")
        constraints = [
            models.UniqueConstraint(
                fields=["county_code", "day", "basis", "disease", "classification"],
                name="surveillance_dailycount_unique",
            ),
        ]
        # Covering: the count matrix of one disease is read from the index alone (decision 0710).
        indexes = [models.Index(
            fields=["basis", "disease", "day", "county_code", "classification", "count"],
            name="surv_dailycount_matrix")]

    def __str__(self) -> str:
        return f"{self.county_code} {self.day} {self.disease_id} {self.classification}={self.count}"
