"""Reading a household register file (CSV in UTF-8 with or without BOM or GB18030, or XLSX)
into the rows `households_import` takes, and writing the import template.

Format and encoding detection and the row reader are the surveillance line-list import's
(surveillance/services/import_io.py); the columns are the registry's, with Chinese and English
headers and the names the national system's exports use. Choice cells may hold the code
(`head`), the Chinese label (户主) or the English one (Head). Nothing here touches the database.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from shouwang.core.errors import InvalidInput
from shouwang.livelihood.models import (
    Disability,
    Health,
    PovertyStatus,
    Relationship,
    Schooling,
    Work,
)
from shouwang.surveillance.models import IdType
from shouwang.surveillance.services.import_io import (
    _dedupe_headers,
    _raw_rows,
    detect_encoding,
    detect_format,
    normalize_header,
)


@dataclass(frozen=True)
class Column:
    field: str
    header_zh: str
    header_en: str
    example: str
    aliases: tuple[str, ...] = ()


COLUMNS: tuple[Column, ...] = (
    Column("household_number", "户编号", "Household number", "420111001001000001",
           ("户号", "家庭编号", "农户编号", "householdno", "householdid")),
    Column("division_code", "所在区划代码", "Division code", "420111001",
           ("区划代码", "行政区划代码", "村代码", "村级区划代码", "所在区划", "villagecode")),
    Column("poverty_status", "户类型", "Household type", "脱贫户",
           ("农户类型", "脱贫户类型", "povertystatus")),
    Column("lifted_out_year", "脱贫年度", "Year lifted out", "2019",
           ("脱贫年份", "脱贫时间", "liftedoutyear", "yearliftedout")),
    Column("address_detail", "详细地址", "Address", "三组 12 号",
           ("家庭住址", "住址", "现住址", "address", "addressdetail")),
    Column("food_clothing_secure", "不愁吃、不愁穿", "Food and clothing secure", "是",
           ("吃穿不愁", "不愁吃不愁穿", "foodclothingsecure", "foodandclothing")),
    Column("education_secure", "义务教育有保障", "Compulsory education secure", "是",
           ("义务教育保障", "educationsecure", "education")),
    Column("medical_secure", "基本医疗有保障", "Basic medical care secure", "是",
           ("基本医疗保障", "medicalsecure", "medical")),
    Column("housing_secure", "住房安全有保障", "Safe housing secure", "是",
           ("住房安全保障", "housingsecure", "housing")),
    Column("water_secure", "饮水安全有保障", "Safe drinking water secure", "是",
           ("饮水安全保障", "watersecure", "water")),
    Column("guarantees_checked_on", "保障情况核实日期", "Guarantees checked on", "2026-10-15",
           ("核实日期", "guaranteescheckedon")),
    Column("name", "姓名", "Name", "张伟", ("成员姓名", "fullname")),
    Column("id_type", "证件类型", "ID type", "居民身份证", ("idtype",)),
    Column("id_number", "证件号码", "ID number", "420111197001010011",
           ("身份证号", "身份证号码", "身份证", "证件号", "idnumber", "idno", "idcard")),
    Column("phone", "联系电话", "Phone", "13800138000",
           ("电话", "手机", "手机号", "手机号码", "mobile", "telephone")),
    Column("relationship", "与户主关系", "Relationship", "户主", ("relationshiptohead",)),
    Column("health", "健康状况", "Health", "健康", ("healthstatus",)),
    Column("disability", "残疾等级", "Disability", "无残疾", ("残疾情况", "disabilitygrade")),
    Column("schooling", "在校情况", "Schooling", "非在校", ("在校生情况", "在校生状况")),
    Column("work", "务工就业", "Work", "外出务工", ("务工情况", "务工状况", "就业情况")),
    Column("migrant_destination_code", "务工地区划代码", "Migrant destination code", "440300",
           ("务工地代码", "migrantdestinationcode")),
    Column("migrant_destination", "务工地", "Migrant destination", "广东省深圳市",
           ("务工地点", "外出务工地", "migrantdestination")),
)
REQUIRED = ("household_number", "name")
CHOICES: dict[str, Any] = {"poverty_status": PovertyStatus, "id_type": IdType,
                           "relationship": Relationship, "health": Health,
                           "disability": Disability, "schooling": Schooling, "work": Work}
_INDEX: dict[str, str] = {}
for _column in COLUMNS:
    for _name in (_column.field, _column.header_zh, _column.header_en, *_column.aliases):
        _INDEX.setdefault(normalize_header(_name), _column.field)


def match_header(header: str) -> str | None:
    """The field a header names (also "中文 (English)"), or None."""
    key = normalize_header(header)
    if key in _INDEX:
        return _INDEX[key]
    for part in header.replace("（", "(").replace("）", ")").replace(")", "(").split("("):
        found = _INDEX.get(normalize_header(part))
        if found:
            return found
    return None


def _choice_maps() -> dict[str, dict[str, str]]:
    """For each choice column: code, Chinese label and English label → code."""
    maps: dict[str, dict[str, str]] = {}
    for name, choices in CHOICES.items():
        table: dict[str, str] = {}
        for value, label in choices.choices:
            table[normalize_header(value)] = value
            for language in ("zh-hans", "en"):
                with translation.override(language):
                    table.setdefault(normalize_header(str(label)), value)
        maps[name] = table
    return maps


@dataclass
class RegisterFile:
    """A register read into rows: each a dict by field with "_row" = the file line."""

    rows: list[dict[str, Any]]
    file_format: str
    encoding: str
    mapping: dict[str, str | None] = field(default_factory=dict)

    @property
    def ignored(self) -> list[str]:
        return [h for h, f in self.mapping.items() if f is None]


def read_register(content: bytes) -> RegisterFile:
    """The rows of a register file. InvalidInput({"file": …}) for an unreadable file or one
    without the household number and name columns."""
    fmt = detect_format(content)
    encoding = detect_encoding(content) if fmt == "csv" else ""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"register.{fmt}"
        path.write_bytes(content)
        try:
            return _read(path, fmt, encoding)
        except (csv.Error, UnicodeDecodeError, KeyError, OSError, ValueError) as exc:
            raise InvalidInput({"file": [_("文件无法读取：%(err)s") % {"err": str(exc)[:200]}]}
                               ) from None


def _read(path: Path, fmt: str, encoding: str) -> RegisterFile:
    lines: Iterator[tuple[int, list[str]]] = _raw_rows(path, fmt, encoding)
    headers: list[str] = []
    for _line, cells in lines:
        if any(cells) and not cells[0].startswith("#"):
            headers = _dedupe_headers(cells)
            break
    if not headers:
        raise InvalidInput({"file": [_("文件中没有表头行。")]})
    mapping: dict[str, str | None] = {}
    taken: set[str] = set()
    for header in headers:
        found = match_header(header)
        mapping[header] = found if found and found not in taken else None
        if found:
            taken.add(found)
    missing = [c.header_zh for c in COLUMNS if c.field in REQUIRED and c.field not in taken]
    if missing:
        raise InvalidInput({"file": [_("文件缺少必需的列：%(cols)s。") % {
            "cols": "、".join(missing)}]})
    maps = _choice_maps()
    positions = [(i, f) for i, f in enumerate(mapping.values()) if f]
    rows: list[dict[str, Any]] = []
    for line, cells in lines:
        if not any(cells) or cells[0].startswith("#"):
            continue
        if all(match_header(c) for c in cells if c):  # a second header row (English)
            continue
        row: dict[str, Any] = {"_row": line}
        for i, name in positions:
            value = cells[i].strip() if i < len(cells) else ""
            if value and name in maps:
                value = maps[name].get(normalize_header(value), value)
            row[name] = value
        rows.append(row)
    return RegisterFile(rows, fmt, encoding, mapping)


def register_template() -> bytes:
    """The CSV template (UTF-8 with BOM, for Excel): help as "#" rows, the Chinese and the
    English header rows, an example as a "#" row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["#" + _("守望 农户台账导入模板：每行一名家庭成员，同户成员户编号相同；"
                             "户的信息（区划、户类型、脱贫年度、地址、五项保障）填在户主行即可。"
                             "以 # 开头的行不导入。")])
    writer.writerow(["#Shouwang household register template: one row per member; members of "
                     "a household share its number; the household's fields may be given on "
                     "the head's row only. Lines starting with # are not imported."])
    for name, choices in CHOICES.items():
        column = next(c for c in COLUMNS if c.field == name)
        writer.writerow([f"#{column.header_zh} / {column.header_en}: " + "; ".join(
            f"{value} = {label}" for value, label in choices.choices)])
    writer.writerow(["#" + _("五项保障填“是”或“否”，空白为“是”。") + " Guarantees: 是/否 "
                     "(yes/no), blank = yes."])
    writer.writerow([c.header_zh for c in COLUMNS])
    writer.writerow([c.header_en for c in COLUMNS])
    writer.writerow(["#" + COLUMNS[0].example] + [c.example for c in COLUMNS[1:]])
    return out.getvalue().encode("utf-8-sig")
