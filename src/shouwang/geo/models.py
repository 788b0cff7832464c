"""Administrative divisions of China (GB/T 2260 codes) and their hierarchy."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    NATION = "nation", _("国家")
    PROVINCE = "province", _("省级")
    PREFECTURE = "prefecture", _("地级")
    COUNTY = "county", _("县级")
    TOWNSHIP = "township", _("乡级")
    VILLAGE = "village", _("村级")


# How many leading digits of a code identify a division of each level: the jurisdiction prefix.
# A record whose division code starts with a user's prefix lies inside the user's jurisdiction.
PREFIX_LENGTH: dict[str, int] = {
    Level.NATION: 0,
    Level.PROVINCE: 2,
    Level.PREFECTURE: 4,
    Level.COUNTY: 6,
    Level.TOWNSHIP: 9,
    Level.VILLAGE: 12,
}

NATION_CODE = "000000"


class Division(models.Model):
    code = models.CharField(_("区划代码"), max_length=12, primary_key=True)
    name = models.CharField(_("名称"), max_length=64, db_index=True)
    name_en = models.CharField(_("英文名"), max_length=128, blank=True)
    level = models.CharField(_("级别"), max_length=12, choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children",
        verbose_name=_("上级区划"),
    )
    prefix = models.CharField(_("辖区前缀"), max_length=12, db_index=True)
    latitude = models.FloatField(_("纬度"), null=True, blank=True)
    longitude = models.FloatField(_("经度"), null=True, blank=True)
    # The kind of division as the data source names it (省, 自治州, 市辖区, 县, 旗, 街道 …).
    kind = models.CharField(_("类型"), max_length=16, blank=True)
    # When the row last changed: the address index rebuilds itself when this moves.
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code"]
        indexes = [models.Index(fields=["level", "code"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def save(self, *args: object, **kwargs: object) -> None:
        self.prefix = self.prefix_for(self.code, self.level)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @staticmethod
    def prefix_for(code: str, level: str) -> str:
        return code[: PREFIX_LENGTH[level]]
