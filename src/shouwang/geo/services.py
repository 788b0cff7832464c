"""Writes of divisions: the GB/T 2260 tree from the data package, townships and villages from CSV.

Both loads are idempotent upserts inside one transaction, audited by one summary row each (a
load touches thousands of divisions; one audit row per division would bury the log). A division
that the source no longer lists is kept, never deleted: records may still point to it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.core.audit import audit_log
from shouwang.core.errors import InvalidInput
from shouwang.core.models import AuditAction
from shouwang.core.validators import clear_region_cache
from shouwang.geo.models import NATION_CODE, Division, Level
from shouwang.geo.names import romanise
from shouwang.geo.source import SourceDivision, centroids, source_divisions, source_version

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from shouwang.accounts.models import User

Progress = Callable[[int, int], None]  # (done, total)

NATION_NAME = "中华人民共和国"
NATION_NAME_EN = "China"
_FIELDS = ("name", "name_en", "level", "parent_id", "prefix", "latitude", "longitude", "kind")
_BATCH = 500


@dataclass(frozen=True)
class LoadResult:
    created: int
    updated: int
    unchanged: int
    by_level: dict[str, int] = field(default_factory=dict)
    source: str = ""

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass(frozen=True)
class _Row:
    code: str
    name: str
    name_en: str
    level: str
    parent_id: str | None
    latitude: float | None
    longitude: float | None
    kind: str

    @property
    def prefix(self) -> str:
        return Division.prefix_for(self.code, self.level)


def _values(d: Division) -> tuple[object, ...]:
    return tuple(getattr(d, f) for f in _FIELDS)


def _row_values(r: _Row) -> tuple[object, ...]:
    return tuple(getattr(r, f) for f in _FIELDS)


def _upsert(rows: list[_Row], progress: Progress | None) -> tuple[int, int, int]:
    """Create the missing divisions and update the changed ones, in a few bulk statements."""
    levels = {r.level for r in rows}
    existing = {d.code: d for d in Division.objects.filter(level__in=levels).iterator(2000)}
    now = timezone.now()
    to_create: list[Division] = []
    to_update: list[Division] = []
    unchanged = 0
    for r in rows:
        current = existing.get(r.code)
        if current is None:
            to_create.append(Division(code=r.code, name=r.name, name_en=r.name_en, level=r.level,
                                      parent_id=r.parent_id, prefix=r.prefix, latitude=r.latitude,
                                      longitude=r.longitude, kind=r.kind, updated_at=now))
        elif _values(current) != _row_values(r):
            for f in _FIELDS:
                setattr(current, f, getattr(r, f))
            current.updated_at = now
            to_update.append(current)
        else:
            unchanged += 1
    total = len(rows)
    done = unchanged
    if progress:
        progress(done, total)
    # Parents come before children in `rows`; on PostgreSQL the foreign keys are deferred
    # anyway, on SQLite they are checked at commit.
    for i in range(0, len(to_create), _BATCH):
        batch = to_create[i : i + _BATCH]
        Division.objects.bulk_create(batch, batch_size=_BATCH)
        done += len(batch)
        if progress:
            progress(done, total)
    for i in range(0, len(to_update), _BATCH):
        batch = to_update[i : i + _BATCH]
        Division.objects.bulk_update(batch, [*_FIELDS, "updated_at"], batch_size=_BATCH)
        done += len(batch)
        if progress:
            progress(done, total)
    return len(to_create), len(to_update), unchanged


def _source_rows(divisions: Iterable[SourceDivision]) -> list[_Row]:
    points = centroids()
    rows = [_Row(NATION_CODE, NATION_NAME, NATION_NAME_EN, Level.NATION, None, 35.86, 104.2,
                 "国家")]
    for d in divisions:
        lon_lat = points.get(d.code)
        rows.append(_Row(
            code=d.code, name=d.name, name_en=romanise(d.name), level=d.level,
            parent_id=d.parent_code,
            latitude=lon_lat[1] if lon_lat else None,
            longitude=lon_lat[0] if lon_lat else None,
            kind=d.kind,
        ))
    return rows


def divisions_load(
    *, actor: User | AnonymousUser | None, progress: Progress | None = None,
) -> LoadResult:
    """Upsert the nation and every province-, prefecture- and county-level division.

    Reads the installed data package (no network). Running it twice changes nothing the second
    time; it still writes its one audit row, so the log shows every load that ran.
    """
    rows = _source_rows(source_divisions())
    by_level: dict[str, int] = {}
    for r in rows:
        by_level[r.level] = by_level.get(r.level, 0) + 1
    with transaction.atomic():
        created, updated, unchanged = _upsert(rows, progress)
        result = LoadResult(created, updated, unchanged, by_level, source_version())
        audit_log(
            actor=actor,
            action=AuditAction.CREATE if created else AuditAction.UPDATE,
            object_type="geo.division",
            object_id="gb2260",
            division_code=NATION_CODE,
            summary=_("导入行政区划：新增 %(c)d，更新 %(u)d，未变 %(n)d（%(src)s）")
            % {"c": created, "u": updated, "n": unchanged, "src": result.source},
            changes={"source": result.source, "created": created, "updated": updated,
                     "unchanged": unchanged, "by_level": by_level},
        )
        # The resident-ID validator caches the current region codes of this process.
        transaction.on_commit(clear_region_cache)
    return result


# --- Townships and villages from CSV --------------------------------------------------------

# Accepted header names for each column, English or Chinese.
CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("code", "区划代码", "代码", "统计用区划代码"),
    "name": ("name", "名称", "区划名称"),
    "parent_code": ("parent_code", "上级代码", "上级区划代码", "父级代码"),
}
_LEVEL_BY_LENGTH = {9: Level.TOWNSHIP, 12: Level.VILLAGE}
_PARENT_LEVEL = {Level.TOWNSHIP: Level.COUNTY, Level.VILLAGE: Level.TOWNSHIP}


def _csv_header(header: list[str]) -> dict[str, int]:
    cleaned = [h.strip().lstrip("\ufeff").lower() for h in header]
    found: dict[str, int] = {}
    for column, names in CSV_COLUMNS.items():
        for i, h in enumerate(cleaned):
            if h in names:
                found[column] = i
                break
    missing = [c for c in CSV_COLUMNS if c not in found]
    if missing:
        raise InvalidInput(
            {"file": [_("缺少列：%(cols)s（可用英文或中文列名：code/区划代码，name/名称，"
                        "parent_code/上级代码）。") % {"cols": ", ".join(missing)}]},
            message=_("CSV 文件的表头不正确。"),
        )
    return found


def _normalise_code(raw: str) -> str:
    code = raw.strip()
    # Statistical codes are often published padded to 12 digits: 420111001000 is township 420111001.
    if len(code) == 12 and code.isdigit() and code.endswith("000") and code[9:] == "000":
        return code[:9]
    return code


def _parent_of(code: str) -> str:
    if len(code) == 12:
        return code[:9]
    return code[:6]


def townships_load(
    *, actor: User | AnonymousUser | None, data: str | bytes, filename: str = "",
) -> LoadResult:
    """Load township (9-digit) and village (12-digit) divisions from CSV text.

    Columns: ``code,name,parent_code`` (or 区划代码,名称,上级代码). Every row is checked first;
    any bad row rejects the whole file with an error per row and field, and nothing is written.
    ``parent_code`` may be empty: it is then the code's own prefix (county for a township,
    township for a village). A parent may be another row of the same file.
    """
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidInput({"file": [_("文件为空。")]}, message=_("CSV 文件为空。")) from None
    cols = _csv_header(header)
    parsed: list[tuple[int, str, str, str]] = []
    errors: dict[str, list[str]] = {}

    def err(line: int, column: str, message: str) -> None:
        # The field is named by its line in the file (the header is line 1) and its column.
        errors.setdefault(f"rows.{line}.{column}", []).append(message)

    for line, record in enumerate(reader, start=2):
        if not any(cell.strip() for cell in record):
            continue
        cells = {c: (record[i].strip() if i < len(record) else "") for c, i in cols.items()}
        code, name = _normalise_code(cells["code"]), cells["name"]
        parent = _normalise_code(cells["parent_code"])
        if not code.isdigit() or len(code) not in _LEVEL_BY_LENGTH:
            err(line, "code",
                _("区划代码应为 9 位（乡级）或 12 位（村级）数字：%(v)s") % {"v": code})
        if not name:
            err(line, "name", _("名称不能为空。"))
        elif len(name) > Division._meta.get_field("name").max_length:  # type: ignore[operator]
            err(line, "name", _("名称过长。"))
        if parent and code.isdigit() and parent != _parent_of(code):
            err(line, "parent_code", _("上级代码 %(p)s 与区划代码 %(c)s 的前缀不符。")
                % {"p": parent, "c": code})
        parsed.append((line, code, name, parent or (_parent_of(code) if code.isdigit() else "")))

    seen: dict[str, int] = {}
    for line, code, _name, _parent in parsed:
        if code in seen:
            err(line, "code",
                _("区划代码 %(c)s 与第 %(l)d 行重复。") % {"c": code, "l": seen[code]})
        else:
            seen[code] = line
    outside = {p for _l, _c, _n, p in parsed if p and p not in seen}
    known = dict(Division.objects.filter(code__in=outside).values_list("code", "level"))
    for line, code, _name, parent in parsed:
        if not parent or code not in seen or len(code) not in _LEVEL_BY_LENGTH:
            continue
        wanted = _PARENT_LEVEL[_LEVEL_BY_LENGTH[len(code)]]
        parent_level = (_LEVEL_BY_LENGTH.get(len(parent)) if parent in seen else known.get(parent))
        if parent_level is None:
            err(line, "parent_code", _("上级区划 %(p)s 不存在。") % {"p": parent})
        elif parent_level != wanted:
            err(line, "parent_code", _("上级区划 %(p)s 不是%(level)s区划。")
                % {"p": parent, "level": Level(wanted).label})
    if not parsed and not errors:
        errors["file"] = [_("文件中没有数据行。")]
    if errors:
        raise InvalidInput(errors, message=_("CSV 文件有 %(n)d 处错误，未导入任何数据。")
                           % {"n": sum(len(v) for v in errors.values())})

    # Parents before children: townships (9 digits) before villages (12).
    rows = [
        _Row(code=code, name=name, name_en=romanise(name), level=_LEVEL_BY_LENGTH[len(code)],
             parent_id=parent, latitude=None, longitude=None, kind=_kind(name))
        for _line, code, name, parent in sorted(parsed, key=lambda p: (len(p[1]), p[1]))
    ]
    by_level: dict[str, int] = {}
    for r in rows:
        by_level[r.level] = by_level.get(r.level, 0) + 1
    with transaction.atomic():
        created, updated, unchanged = _upsert(rows, None)
        result = LoadResult(created, updated, unchanged, by_level, filename or "csv")
        audit_log(
            actor=actor,
            action=AuditAction.CREATE if created else AuditAction.UPDATE,
            object_type="geo.division",
            object_id="townships",
            division_code=NATION_CODE,
            summary=_("导入乡级/村级区划：新增 %(c)d，更新 %(u)d，未变 %(n)d（%(src)s）")
            % {"c": created, "u": updated, "n": unchanged, "src": result.source},
            changes={"source": result.source, "created": created, "updated": updated,
                     "unchanged": unchanged, "by_level": by_level},
        )
        # The resident-ID validator caches the current region codes of this process.
        transaction.on_commit(clear_region_cache)
    return result


def _kind(name: str) -> str:
    for suffix in ("街道", "镇", "乡", "村民委员会", "居民委员会", "社区", "村"):
        if name.endswith(suffix):
            return suffix
    return ""
