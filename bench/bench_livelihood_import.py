"""Bulk import of a household register: 5,000 households / 18,000 members (3–4 members each,
a third of the households lifted out of poverty, a quarter of the members migrant workers) by a
county cadre, all or nothing (target: well under 30 s on SQLite, issue 7 item 1 / decision 1280).

Measured: reading the CSV (GB18030, as Excel on Chinese Windows saves it), the dry run (every
check, nothing written), the import, and the same file again (every household unchanged).
Each run starts from an empty register of the bench village.

    SHOUWANG_VAR_DIR=/tmp/bench-lh-import .venv/bin/python -m bench.bench_livelihood_import
    SHOUWANG_PG_DIR=/tmp/pg-x SHOUWANG_PG_PORT=… scripts/pg.sh run -- \
        .venv/bin/python -m bench.bench_livelihood_import
"""

from __future__ import annotations

import csv
import io
import os
import time
from datetime import date, timedelta
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shouwang.config.settings")
os.environ.setdefault("SHOUWANG_VAR_DIR", "/tmp/shouwang-bench-lh-import")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from bench.common import write_result  # noqa: E402

HOUSEHOLDS = int(os.environ.get("BENCH_HOUSEHOLDS", "5000"))
COUNTY = "420111"
TOWNSHIP = "420111902"
VILLAGE = "420111902001"
CHAIN = [("000000", "中华人民共和国", "nation", None), ("420000", "湖北省", "province", "000000"),
         ("420100", "武汉市", "prefecture", "420000"), (COUNTY, "洪山区", "county", "420100"),
         (TOWNSHIP, "导入压测乡", "township", COUNTY), (VILLAGE, "导入压测村", "village", TOWNSHIP)]
HEADER = ["户编号", "所在区划代码", "户类型", "脱贫年度", "详细地址", "饮水安全有保障", "姓名",
          "身份证号", "联系电话", "与户主关系", "健康状况", "在校情况", "务工就业", "务工地"]


def divisions() -> None:
    from shouwang.geo.models import Division

    for code, name, level, parent in CHAIN:
        if not Division.objects.filter(code=code).exists():
            Division(code=code, name=name, level=level, parent_id=parent).save()


def cadre() -> Any:
    from shouwang.accounts.models import User

    user, _ = User.objects.get_or_create(
        username="bench-lh-import", defaults={"role": "livelihood_cadre", "division_id": COUNTY})
    return user


def register_csv() -> tuple[bytes, int]:
    from shouwang.core.validators import resident_id_check_char

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    members = 0
    for h in range(HOUSEHOLDS):
        size = 4 if h % 5 < 3 else 3  # 3.6 on average: 18,000 members for 5,000 households
        lifted = h % 3 == 0
        for k in range(size):
            serial = members
            born = date(1950, 1, 1) + timedelta(days=(serial * 7) % 25_000)
            body = f"420111{born:%Y%m%d}{(serial // 3_600) % 1000:03d}"
            rel = ("户主", "配偶", "子女", "父母")[k]
            migrant = k == 1 and h % 2 == 0
            writer.writerow([
                f"BI{VILLAGE}{h:05d}", VILLAGE if k == 0 else "",
                ("脱贫户" if lifted else "一般农户") if k == 0 else "",
                "2019" if lifted and k == 0 else "", f"{h % 12 + 1} 组 {h} 号" if k == 0 else "",
                ("否" if h % 40 == 0 else "是") if k == 0 else "",
                f"村民{serial}", body + resident_id_check_char(body),
                f"139{serial:08d}" if k < 2 else "", rel,
                "长期慢性病" if serial % 9 == 0 else "健康",
                "初中在读" if k == 2 and h % 4 == 0 else "非在校",
                "外出务工" if migrant else ("学生" if k == 2 and h % 4 == 0 else "务农"),
                "广东省深圳市" if migrant else ""])
            members += 1
    return out.getvalue().encode("gb18030"), members


def clear() -> None:
    from shouwang.livelihood.models import Household, Member

    with transaction.atomic():
        Member.objects.filter(household__division_code=VILLAGE).delete()
        Household.objects.filter(division_code=VILLAGE).delete()


def main() -> None:
    from shouwang.livelihood.models import Household, Member
    from shouwang.livelihood.services.household_import import households_import
    from shouwang.livelihood.services.household_import_io import read_register

    call_command("migrate", verbosity=0)
    divisions()
    user = cadre()
    clear()
    content, members = register_csv()
    t0 = time.perf_counter()
    register = read_register(content)
    read_s = time.perf_counter() - t0
    assert len(register.rows) == members
    t0 = time.perf_counter()
    dry = households_import(actor=user, rows=register.rows, dry_run=True)
    dry_s = time.perf_counter() - t0
    assert dry.created == HOUSEHOLDS
    assert not Household.objects.filter(division_code=VILLAGE).exists()
    t0 = time.perf_counter()
    done = households_import(actor=user, rows=register.rows, source="bench.csv")
    import_s = time.perf_counter() - t0
    assert (done.created, done.members) == (HOUSEHOLDS, members)
    assert Member.objects.filter(household__division_code=VILLAGE).count() == members
    t0 = time.perf_counter()
    again = households_import(actor=user, rows=register.rows)
    again_s = time.perf_counter() - t0
    assert (again.created, again.unchanged) == (0, HOUSEHOLDS)
    figures = {
        "database": connection.vendor,
        "households": HOUSEHOLDS,
        "members": members,
        "file_mb": round(len(content) / 1e6, 2),
        "read_csv_seconds": round(read_s, 2),
        "dry_run_seconds": round(dry_s, 2),
        "import_seconds": round(import_s, 2),
        "file_to_stored_seconds": round(read_s + import_s, 2),
        "same_file_again_seconds": round(again_s, 2),
        "members_per_second": round(members / import_s),
    }
    write_result(f"livelihood_import_{connection.vendor}", figures,
                 targets={"file_to_stored_seconds": "< 30"})


if __name__ == "__main__":
    main()
