"""Reading line-list files and writing the import template: the columns, header matching,
format and encoding detection, row iteration for CSV and XLSX.

Nothing here touches the database: `services/imports.py` stores batches and cases.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shouwang.core.errors import InvalidInput
from shouwang.surveillance.models import (
    Classification,
    IdType,
    Occupation,
    Outcome,
    Severity,
    Sex,
)


@dataclass(frozen=True)
class ImportColumn:
    """One column of the line list: the CaseReport input key it fills (`field`, as
    `validate_case_input` reads it), its headers, whether a file must have it, an example value
    and the help text of the template."""

    field: str
    header_zh: str
    header_en: str
    required: bool
    example: str
    help_zh: str
    help_en: str
    aliases: tuple[str, ...] = ()


def _choices(choices: Any) -> str:
    return "; ".join(f"{value} = {label}" for value, label in choices.choices if value)


def _codes(choices: Any) -> str:
    # The English help lists the codes only: the labels are Chinese source strings, and this list
    # is built once at import time, before any request's language is known.
    return ", ".join(value for value in choices.values if value)


IMPORT_COLUMNS: list[ImportColumn] = [
    ImportColumn("disease", "病种代码", "Disease code", True, "covid19",
                 "病种代码，见“病种”一览（如 covid19、influenza）。",
                 "Disease code, see the disease list (e.g. covid19, influenza).",
                 ("病种", "疾病", "疾病代码", "疾病名称代码", "disease", "diseasecode")),
    ImportColumn("classification", "病例分类", "Classification", True, "confirmed",
                 "可选值：" + _choices(Classification), "One of: " + _codes(Classification),
                 ("分类", "诊断分类", "classification", "caseclassification")),
    ImportColumn("name", "姓名", "Name", True, "张伟", "患者姓名。", "Patient's name.",
                 ("患者姓名", "病人姓名", "name", "patientname", "fullname")),
    ImportColumn("id_type", "证件类型", "ID type", False, "resident_id",
                 "可选值：" + _choices(IdType) + "；空白为居民身份证。",
                 "One of: " + _codes(IdType) + "; blank means resident ID.",
                 ("有效证件类型", "idtype", "documenttype")),
    ImportColumn("id_number", "证件号码", "ID number", False, "420106198503121356",
                 "身份证号等证件号码；证件类型为“无证件”时留空。请将单元格设为文本格式。",
                 "ID card or passport number; blank when the ID type is none. Format the cells "
                 "as text.",
                 ("身份证号", "身份证号码", "身份证", "有效证件号", "证件号", "idnumber", "idno",
                  "idcard", "idcardnumber", "documentnumber", "passportnumber")),
    ImportColumn("phone", "联系电话", "Phone", False, "13800138000", "手机号码。",
                 "Mobile number.",
                 ("电话", "手机", "手机号", "手机号码", "联系方式", "phone", "mobile", "telephone",
                  "phonenumber")),
    ImportColumn("sex", "性别", "Sex", False, "M",
                 "可选值：" + _choices(Sex) + "；有身份证号时可留空。",
                 "One of: " + _codes(Sex) + "; may be blank with a resident ID.",
                 ("sex", "gender")),
    ImportColumn("birth_date", "出生日期", "Birth date", False, "1985-03-12",
                 "YYYY-MM-DD；有身份证号时可留空。", "YYYY-MM-DD; may be blank with a resident ID.",
                 ("出生年月日", "生日", "birthdate", "dateofbirth", "dob")),
    ImportColumn("age_years", "年龄", "Age (years)", False, "",
                 "整岁；有出生日期时可留空。", "Whole years; may be blank with a birth date.",
                 ("年龄岁", "age", "ageyears")),
    ImportColumn("division_code", "现住址区划代码", "Residence division code", True, "420106",
                 "现住址所在县级或以下区划代码（GB/T 2260，6、9 或 12 位）。",
                 "Division code of the current residence, county level or below (6, 9 or 12 "
                 "digits).",
                 ("现住址区划", "现住址国标", "现住地区划代码", "住址区划代码", "区划代码",
                  "divisioncode", "residencedivision", "residencecode", "addresscode")),
    ImportColumn("address_detail", "详细住址", "Address detail", False, "中南路 99 号 3 栋 201 室",
                 "现住详细地址。", "Street address.",
                 ("现住详细地址", "详细地址", "住址", "现住址", "address", "addressdetail")),
    ImportColumn("occupation", "职业", "Occupation", False, "teacher",
                 "可选值：" + _choices(Occupation) + "；空白为不详。",
                 "One of: " + _codes(Occupation) + "; blank means unknown.",
                 ("人群分类", "occupation", "job")),
    ImportColumn("onset_date", "发病日期", "Onset date", False, "2026-11-20", "YYYY-MM-DD。",
                 "YYYY-MM-DD.", ("onsetdate", "onset", "dateofonset")),
    ImportColumn("diagnosed_at", "诊断时间", "Diagnosed at", True, "2026-11-22 10:30",
                 "YYYY-MM-DD 或 YYYY-MM-DD HH:MM（北京时间）。",
                 "YYYY-MM-DD or YYYY-MM-DD HH:MM (China time).",
                 ("诊断日期", "确诊时间", "确诊日期", "diagnosedat", "diagnosisdate",
                  "dateofdiagnosis", "diagnosed")),
    ImportColumn("reported_at", "报告时间", "Reported at", False, "2026-11-22 12:00",
                 "YYYY-MM-DD HH:MM；空白为导入时间。",
                 "YYYY-MM-DD HH:MM; blank means the time of the import.",
                 ("报告日期", "报告卡录入时间", "reportedat", "reportdate", "dateofreport")),
    ImportColumn("reporting_facility", "报告单位", "Reporting facility", True, "武汉市第一医院",
                 "报告单位名称。", "Name of the reporting facility.",
                 ("报告机构", "报告医院", "reportingfacility", "facility", "reportingunit")),
    ImportColumn("reporting_division_code", "报告单位区划代码", "Reporting division code", True,
                 "420106", "报告单位所在区划代码。", "Division code of the reporting facility.",
                 ("报告单位地区编码", "报告单位区划", "reportingdivisioncode",
                  "reportingdivision", "facilitydivisioncode")),
    ImportColumn("severity", "临床严重程度", "Severity", False, "mild",
                 "可选值：" + _choices(Severity) + "；可留空。",
                 "One of: " + _codes(Severity) + "; may be blank.",
                 ("严重程度", "临床分型", "severity")),
    ImportColumn("outcome", "转归", "Outcome", False, "",
                 "可选值：" + _choices(Outcome) + "；未转归留空。",
                 "One of: " + _codes(Outcome) + "; blank while none.",
                 ("outcome",)),
    ImportColumn("outcome_date", "转归日期", "Outcome date", False, "",
                 "YYYY-MM-DD；填写转归时必填。", "YYYY-MM-DD; required with an outcome.",
                 ("治愈日期", "死亡日期", "outcomedate", "dateofoutcome")),
    ImportColumn("imported", "是否输入病例", "Imported", False, "否",
                 "是 / 否（空白为否）。", "yes / no (blank means no).",
                 ("输入病例", "境外输入", "imported", "isimported")),
    ImportColumn("origin_division_code", "输入来源区划代码", "Origin division code", False, "",
                 "国内输入病例的来源区划代码。", "Division code a domestic importation came from.",
                 ("输入来源区划", "来源区划代码", "origindivisioncode", "origindivision")),
    ImportColumn("origin_country", "输入来源国家", "Origin country", False, "",
                 "境外输入病例的来源国家（ISO 3166-1 三位字母，如 USA）。",
                 "Country of an importation from abroad (ISO 3166-1 alpha-3, e.g. USA).",
                 ("来源国家", "origincountry", "country")),
]
COLUMNS_BY_FIELD: dict[str, ImportColumn] = {c.field: c for c in IMPORT_COLUMNS}
REQUIRED_FIELDS: tuple[str, ...] = tuple(c.field for c in IMPORT_COLUMNS if c.required)

# --- header matching ----------------------------------------------------------------------------

_PUNCT = re.compile(r"[\s_\-—–·.,，。:：;；/\\|*＊()（）\[\]【】<>《》\"'“”‘’?？!！#]+")


def normalize_header(text: str) -> str:
    """A header reduced for matching: full-width → half-width, lower case, no spaces or
    punctuation, no required marker (`*`)."""
    return _PUNCT.sub("", unicodedata.normalize("NFKC", str(text or ""))).lower()


def _header_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for column in IMPORT_COLUMNS:
        for name in (column.field, column.header_zh, column.header_en, *column.aliases):
            index.setdefault(normalize_header(name), column.field)
    return index


HEADER_INDEX: dict[str, str] = _header_index()


def match_header(header: str) -> str | None:
    """The field a header names, or None. Accepts the template's "中文 (English)" form too."""
    key = normalize_header(header)
    if not key:
        return None
    if key in HEADER_INDEX:
        return HEADER_INDEX[key]
    # "病种代码 (Disease code)" / "病种代码 disease": try each part.
    for part in re.split(r"[()（）\[\]【】/|]", unicodedata.normalize("NFKC", header)):
        part_key = normalize_header(part)
        if part_key in HEADER_INDEX:
            return HEADER_INDEX[part_key]
    return None


def suggest_mapping(headers: list[str]) -> dict[str, str | None]:
    """header → field for every header (None = ignored); each field taken by its first header."""
    mapping: dict[str, str | None] = {}
    taken: set[str] = set()
    for header in headers:
        if header in mapping:
            continue
        found = match_header(header)
        if found is not None and found not in taken:
            mapping[header] = found
            taken.add(found)
        else:
            mapping[header] = None
    return mapping


def _is_header_row(cells: list[str]) -> bool:
    values = [c for c in cells if c.strip()]
    return bool(values) and all(match_header(c) is not None for c in values)


_EXAMPLE_ROW = tuple(c.example for c in IMPORT_COLUMNS)

# --- formats and encodings --------------------------------------------------------------------

CSV = "csv"
XLSX = "xlsx"
MAX_HEADER_SCAN = 20


def detect_format(content: bytes) -> str:
    """"csv" or "xlsx", by content; InvalidInput({"file": ...}) otherwise."""
    if not content or not content.strip():
        raise InvalidInput({"file": [_("文件为空。")]})
    if content[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            raise InvalidInput({"file": [_("文件已损坏，无法读取。")]}) from None
        if "xl/workbook.xml" in names:
            return XLSX
        raise InvalidInput({"file": [_("不支持的文件格式：请上传 CSV 或 Excel（.xlsx）文件。")]})
    if content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise InvalidInput({"file": [_("不支持旧版 Excel（.xls）文件：请在 Excel 中另存为 .xlsx "
                                       "或 CSV 后再上传。")]})
    head = content[:4096]
    if b"\x00" in head:
        # UTF-16 or binary: Excel's "Unicode text" is UTF-16, which is not CSV.
        raise InvalidInput({"file": [_("无法识别的文件：请上传 CSV（UTF-8 或 GBK 编码）或 Excel"
                                       "（.xlsx）文件。")]})
    return CSV


def detect_encoding(content: bytes) -> str:
    """utf-8-sig (BOM), utf-8 or gb18030 (GBK's superset, what Excel on Chinese Windows
    writes); InvalidInput({"file": ...}) when none decodes the file."""
    bom = content.startswith(b"\xef\xbb\xbf")
    candidates = ["utf-8-sig"] if bom else ["utf-8", "gb18030"]
    for encoding in candidates:
        try:
            content.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    raise InvalidInput({"file": [_("无法识别文件编码：请保存为 UTF-8 或 GBK 编码的 CSV 文件。")]})


# --- rows -------------------------------------------------------------------------------------


def cell_text(value: Any) -> str:
    """A spreadsheet cell as the text the validator reads."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes" if not value.second else "seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


@dataclass
class Sheet:
    """A line list opened for reading: the header, the data rows with their line numbers."""

    path: Path
    file_format: str
    encoding: str
    headers: list[str]
    header_line: int
    first_data_line: int

    def rows(self, start_line: int = 0) -> Iterator[tuple[int, list[str]]]:
        """(line, cells) of every data row after the header, skipping blank rows, rows whose
        first cell starts with "#", a repeated header row and the template's example row;
        only lines > start_line."""
        for line, cells in _raw_rows(self.path, self.file_format, self.encoding):
            if line < self.first_data_line or line <= start_line:
                continue
            if not any(cells) or cells[0].startswith("#"):
                continue
            padded = (cells + [""] * len(_EXAMPLE_ROW))[:len(_EXAMPLE_ROW)]
            if tuple(padded) == _EXAMPLE_ROW and len(cells) <= len(_EXAMPLE_ROW):
                continue
            yield line, cells


def _raw_rows(path: Path, file_format: str, encoding: str) -> Iterator[tuple[int, list[str]]]:
    if file_format == CSV:
        with path.open("r", encoding=encoding, newline="") as fh:
            reader = csv.reader(fh)
            for cells in reader:
                yield reader.line_num, [c.strip() for c in cells]
        return
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [cell_text(v) for v in values]
            while cells and not cells[-1]:
                cells.pop()
            yield line, cells
    finally:
        book.close()


def open_sheet(path: Path, file_format: str, encoding: str) -> Sheet:
    """Find the header row (the first row that is not blank nor a "#" comment) and any
    further header rows (e.g. the template's English one)."""
    headers: list[str] | None = None
    header_line = 0
    first_data = 0
    try:
        for line, cells in _raw_rows(path, file_format, encoding):
            if headers is None:
                if not any(cells) or cells[0].startswith("#"):
                    if line > MAX_HEADER_SCAN:
                        break
                    continue
                headers = _dedupe_headers(cells)
                header_line = line
                first_data = line + 1
                continue
            if _is_header_row(cells) or not any(cells) or cells[0].startswith("#"):
                first_data = line + 1
                if line - header_line > MAX_HEADER_SCAN:
                    break
                continue
            break
    except (csv.Error, UnicodeDecodeError, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise InvalidInput({"file": [_("文件无法读取：%(err)s") % {"err": str(exc)[:200]}]}) \
            from None
    if not headers or not any(headers):
        raise InvalidInput({"file": [_("文件中没有表头行。")]})
    return Sheet(path, file_format, encoding, headers, header_line, first_data)


def _dedupe_headers(cells: list[str]) -> list[str]:
    out: list[str] = []
    seen: dict[str, int] = {}
    for i, cell in enumerate(cells, start=1):
        name = cell.strip() or _("第%(n)s列") % {"n": i}
        if name in seen:
            seen[name] += 1
            name = f"{name} ({seen[name]})"
        else:
            seen[name] = 1
        out.append(name)
    return out


def row_values(headers: list[str], cells: list[str], mapping: Mapping[str, str | None]
               ) -> dict[str, str]:
    """The row's values by field key, for the mapped columns."""
    values: dict[str, str] = {}
    for i, header in enumerate(headers):
        target = mapping.get(header)
        if target:
            values[target] = cells[i] if i < len(cells) else ""
    return values


# --- the template -----------------------------------------------------------------------------

TEMPLATE_TITLE = gettext_lazy("守望 病例报告导入模板")


def _help_lines() -> list[list[str]]:
    rows = [["#" + str(TEMPLATE_TITLE) + " / Shouwang case line-list template"],
            ["#" + _("第一行为中文表头，第二行为英文表头，第三行为示例（导入时自动跳过），"
                     "请从第四行起填写；以 # 开头的行不导入。"),],
            ["#First row: Chinese headers; second row: English headers; third row: an example "
             "(skipped on import). Lines starting with # are not imported."]]
    for column in IMPORT_COLUMNS:
        mark = _("必填") if column.required else _("选填")
        rows.append([f"#{column.header_zh} / {column.header_en} ({column.field}) [{mark}]: "
                     f"{column.help_zh} {column.help_en}"])
    return rows


def _disease_rows() -> list[tuple[str, str, str]]:
    from shouwang.surveillance.models import Disease

    return list(Disease.objects.filter(active=True).values_list("code", "name", "name_en"))


def import_template(fmt: str) -> bytes:
    """The line-list template: "csv" (UTF-8 with BOM, for Excel) or "xlsx".

    Both carry a Chinese and an English header row and one example row (skipped on import).
    The CSV explains each column in "#" comment rows above the header; the XLSX on a second
    sheet, "说明 Instructions", with the allowed values and the list of disease codes.
    """
    if fmt == CSV:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        for row in _help_lines():
            writer.writerow(row)
        writer.writerow(["#" + _("病种代码") + ": " + ", ".join(
            f"{code}={name}" for code, name, _en in _disease_rows())])
        writer.writerow([c.header_zh for c in IMPORT_COLUMNS])
        writer.writerow([c.header_en for c in IMPORT_COLUMNS])
        writer.writerow(list(_EXAMPLE_ROW))
        return out.getvalue().encode("utf-8-sig")
    if fmt == XLSX:
        return _xlsx_template()
    raise InvalidInput({"format": [_("取值无效，可选：%(opts)s。") % {"opts": "csv, xlsx"}]})


def _xlsx_template() -> bytes:
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _("病例")
    bold = Font(bold=True)
    required_fill = PatternFill("solid", fgColor="FFF2CC")
    for col, column in enumerate(IMPORT_COLUMNS, start=1):
        zh = sheet.cell(row=1, column=col, value=column.header_zh)
        zh.font = bold
        zh.comment = Comment(f"{column.help_zh}\n{column.help_en}", "Shouwang")
        if column.required:
            zh.fill = required_fill
        sheet.cell(row=2, column=col, value=column.header_en).font = Font(italic=True)
        example = sheet.cell(row=3, column=col, value=column.example)
        example.font = Font(color="808080", italic=True)
        example.number_format = "@"
        sheet.column_dimensions[example.column_letter].width = max(12, len(column.header_en) + 4)
    sheet.freeze_panes = "A4"
    info = book.create_sheet(_("说明 Instructions"))
    info.append([str(TEMPLATE_TITLE)])
    info.append([_("第一行为中文表头，第二行为英文表头，第三行（灰色）为示例，导入时自动跳过。"
                   "黄色为必填列。证件号码列请设为文本格式。")])
    info.append(["Row 1: Chinese headers; row 2: English headers; row 3 (grey): an example, "
                 "skipped on import. Yellow columns are required. Format the ID-number column "
                 "as text."])
    info.append([])
    info.append([_("字段"), _("中文表头"), "English header", _("必填"), _("示例"), _("说明"),
                 "Help"])
    for column in IMPORT_COLUMNS:
        info.append([column.field, column.header_zh, column.header_en,
                     _("是") if column.required else _("否"), column.example, column.help_zh,
                     column.help_en])
    info.append([])
    info.append([_("病种代码"), _("病种名称"), "Disease"])
    for code, name, name_en in _disease_rows():
        info.append([code, name, name_en])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
