"""The livelihood demo's synthetic rural population, planned without touching the database.

Four rural counties: 黄陂区 and 新洲区 (Wuhan's rural districts, inside the demo outbreak's city)
and two western counties, 雷山县 (Guizhou) and 通渭县 (Gansu), where the exit standard is 3 %.
The division table stops at counties, so each county gets synthetic townships and villages
(names made up from common place-name syllables, codes in the statistical pattern: towns
`<county>1nn`, villages `<town>2nn`) — see decision 1260.

Households have members (ages, health, disability, schooling, work; many migrants, with
destinations), a poverty history and the guarantees, and monthly household net income by
component from 2024-01 with the seasons of farming and migrant work. Shocks are planned here
too: migrant work in the demo outbreak's counties interrupted from December 2025 to March 2026
(`plan_interruptions` takes the outbreak counties and the weeks they stopped work), illness,
a summer flood in 雷山县 and a drought in 通渭县. Every draw comes from the generator it is given,
so a seed gives the same population on any machine.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
from numpy.typing import NDArray

from shouwang.core.validators import MOBILE_PREFIXES, resident_id_check_char
from shouwang.surveillance.demo import GIVEN_CHARS, SURNAMES

FIRST_MONTH = date(2024, 1, 1)
HORIZON_MONTHS = 48  # planned through 2027-12; the builder stores up to the last complete month
COMPONENTS = ("wages", "operating", "property", "transfer")  # IncomeRecord.component values
EPIDEMIC_FROM = date(2025, 12, 1)
EPIDEMIC_TO = date(2026, 3, 31)
# Farming net income through the year (shares; inputs bought in spring show as a loss).
FARM_SEASON = (0.02, 0.02, -0.04, -0.03, 0.08, 0.2, 0.05, 0.05, 0.2, 0.3, 0.1, 0.05)
# Migrant work through the year: home for the Spring Festival in February, a bonus in December.
MIGRANT_SEASON = (1.0, 0.35, 0.9, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.4)
_MOBILE = tuple(sorted(MOBILE_PREFIXES))


@dataclass(frozen=True)
class DemoCounty:
    code: str
    name: str
    slug: str               # for the demo cadre's login
    cadre: str              # the demo cadre's display name
    west: bool              # a western province: the 3 % exit standard
    towns: tuple[str, ...]  # synthetic township names
    # Where its migrants work: (division code, place, weight).
    destinations: tuple[tuple[str, str, float], ...]
    migrant_rate: float     # share of working-age members who work away
    farm_income: float      # typical yearly farm net income of a household, yuan
    migrant_wage: float     # typical monthly wage of a migrant, yuan


WUHAN_DESTINATIONS = (("420104", "武汉市硚口区", 3.0), ("420106", "武汉市武昌区", 2.0),
                      ("420111", "武汉市洪山区", 2.0), ("420103", "武汉市江汉区", 1.5),
                      ("420102", "武汉市江岸区", 1.0), ("420105", "武汉市汉阳区", 1.0))
COUNTIES: tuple[DemoCounty, ...] = (
    DemoCounty("420116", "黄陂区", "huangpi", "黄陂区防返贫干部 程立", False,
               ("姚集镇", "蔡榨镇", "长堰镇", "王家河镇"),
               (*WUHAN_DESTINATIONS, ("440306", "深圳市宝安区", 1.5),
                ("330110", "杭州市余杭区", 1.0)),
               0.45, 7000.0, 4600.0),
    DemoCounty("420117", "新洲区", "xinzhou", "新洲区防返贫干部 汪敏", False,
               ("凤凰镇", "三店镇", "旧街镇", "徐古镇"),
               (*WUHAN_DESTINATIONS, ("440106", "广州市天河区", 1.5),
                ("320583", "苏州市昆山市", 1.0)),
               0.42, 7500.0, 4400.0),
    DemoCounty("522634", "雷山县", "leishan", "雷山县防返贫干部 杨光荣", True,
               ("丹江镇", "西江镇", "永乐镇", "望丰乡"),
               (("440306", "深圳市宝安区", 3.0), ("440307", "深圳市龙岗区", 2.0),
                ("330782", "浙江义乌市", 2.0), ("520115", "贵阳市观山湖区", 1.5),
                ("420111", "武汉市洪山区", 1.0), ("420104", "武汉市硚口区", 0.8)),
               0.55, 5200.0, 4000.0),
    DemoCounty("621121", "通渭县", "tongwei", "通渭县防返贫干部 马文斌", True,
               ("平襄镇", "马营镇", "义岗川镇", "北城铺乡"),
               (("620102", "兰州市城关区", 2.5), ("650102", "乌鲁木齐市天山区", 1.5),
                ("610113", "西安市雁塔区", 1.5), ("320506", "苏州市吴中区", 1.0),
                ("420106", "武汉市武昌区", 0.8), ("420104", "武汉市硚口区", 0.6)),
               0.5, 4800.0, 3900.0),
)
VILLAGES_PER_TOWN = 5
VILLAGE_FIRST = ("李家", "王家", "张湾", "石门", "柳河", "杨树", "青山", "桃园", "白沙", "清水",
                 "长岭", "双河", "新安", "永丰", "红星", "和平", "龙泉", "凤凰", "金鸡", "马鞍",
                 "大塘", "高峰", "刘湾", "陈岗", "黄土", "松林", "枫树", "竹园", "梅子", "杏花")


def unit(text: str) -> float:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") / 2.0**64


@dataclass(frozen=True)
class Village:
    code: str
    name: str
    town_code: str
    town_name: str
    county: DemoCounty


def _village_order(town_code: str) -> Callable[[str], float]:
    def key(name: str) -> float:
        return unit(f"{town_code}:{name}")
    return key


def villages(county: DemoCounty) -> list[Village]:
    """The county's synthetic townships and villages (fixed by the county, not by the seed)."""
    out: list[Village] = []
    for t, town in enumerate(county.towns, start=1):
        town_code = f"{county.code}{100 + t:03d}"
        names = sorted(VILLAGE_FIRST, key=_village_order(town_code))
        for v in range(VILLAGES_PER_TOWN):
            out.append(Village(f"{town_code}{200 + v + 1:03d}", names[v] + "村", town_code,
                               town, county))
    return out


def division_rows() -> list[tuple[str, str, str]]:
    """(code, name, parent code) of every synthetic township and village, parents first."""
    rows: list[tuple[str, str, str]] = []
    for county in COUNTIES:
        vs = villages(county)
        towns = dict.fromkeys((v.town_code, v.town_name) for v in vs)
        rows.extend((code, name, county.code) for code, name in towns)
        rows.extend((v.code, v.name, v.town_code) for v in vs)
    return rows


@dataclass
class PlannedMember:
    name: str
    id_number: str
    phone: str
    birth: date
    relationship: str
    health: str = "healthy"
    disability: str = "none"
    schooling: str = "not_in_school"
    work: str = "farming"
    destination_code: str = ""
    destination: str = ""
    monthly_wage: float = 0.0
    case_id: int | None = None   # the demo outbreak's severe case this member is

    def age(self, on: date) -> int:
        return on.year - self.birth.year - ((on.month, on.day) < (self.birth.month,
                                                                  self.birth.day))


@dataclass
class PlannedShock:
    key: str
    kind: str
    occurred_on: date
    ended_on: date | None
    amount: float
    description: str
    member: int | None = None  # index into the household's members


@dataclass
class PlannedHousehold:
    number: str
    village: Village
    address: str
    lifted_out_year: int | None
    members: list[PlannedMember]
    farm_income: float
    low_income_allowance: float = 0.0   # 低保 per month, yuan (household)
    water_secure: bool = True
    housing_secure: bool = True
    income: NDArray[np.float64] = field(default_factory=lambda: np.zeros((0, 4)))
    shocks: list[PlannedShock] = field(default_factory=list)
    story: set[str] = field(default_factory=set)

    @property
    def county(self) -> DemoCounty:
        return self.village.county


def month_of(i: int) -> date:
    y, m = divmod(FIRST_MONTH.month - 1 + i, 12)
    return date(FIRST_MONTH.year + y, m + 1, 1)


def month_index(day: date) -> int:
    return (day.year - FIRST_MONTH.year) * 12 + day.month - FIRST_MONTH.month


# --- people ----------------------------------------------------------------------------------


def _name(rng: random.Random, surname: str | None = None) -> str:
    given = "".join(rng.choice(GIVEN_CHARS) for _ in range(1 if rng.random() < 0.3 else 2))
    return (surname or rng.choice(SURNAMES)) + given


class IdNumbers:
    """Valid resident ID numbers of a county, never the same twice."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def make(self, rng: random.Random, region: str, birth: date, male: bool) -> str:
        while True:
            seq = rng.randrange(0, 500) * 2 + (1 if male else 0)
            first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
            number = first17 + resident_id_check_char(first17)
            if number not in self.used:
                self.used.add(number)
                return number


def _birth(rng: random.Random, age: int, today: date) -> date:
    return today - timedelta(days=365 * age + rng.randrange(0, 360) + age // 4)


def _schooling(age: int, rng: random.Random) -> str:
    if age < 6:
        return "preschool"
    if age < 12:
        return "primary"
    if age < 15:
        return "junior"
    if age < 18:
        return "senior" if rng.random() < 0.6 else ("vocational" if rng.random() < 0.8
                                                   else "dropped_out")
    if age < 22 and rng.random() < 0.35:
        return "higher"
    return "not_in_school"


def _person(rng: random.Random, ids: IdNumbers, county: DemoCounty, today: date, age: int,
            male: bool, relationship: str, surname: str | None) -> PlannedMember:
    birth = _birth(rng, age, today)
    m = PlannedMember(name=_name(rng, surname), id_number=ids.make(rng, county.code, birth, male),
                      phone=rng.choice(_MOBILE) + f"{rng.randrange(10**8):08d}", birth=birth,
                      relationship=relationship)
    m.schooling = _schooling(age, rng)
    if m.schooling not in ("not_in_school", "dropped_out"):
        m.work = "student"
    elif age >= 70:
        m.work = "unable" if rng.random() < 0.6 else "farming"
    elif age >= 16:
        r = rng.random()
        if age <= 55 and r < county.migrant_rate:
            m.work = "migrant"
            code, place, _w = rng.choices(county.destinations,
                                          weights=[d[2] for d in county.destinations])[0]
            m.destination_code, m.destination = code, place
            m.monthly_wage = round(county.migrant_wage * rng.lognormvariate(0, 0.18), -1)
        elif r < county.migrant_rate + 0.15:
            m.work = "local"
            m.monthly_wage = round(county.migrant_wage * 0.6 * rng.lognormvariate(0, 0.2), -1)
        elif r < county.migrant_rate + 0.2:
            m.work = "self_employed"
        elif r < county.migrant_rate + 0.24:
            m.work = "unemployed"
        else:
            m.work = "farming"
    else:
        m.work = "student" if age >= 6 else "unable"
    if age >= 50 and rng.random() < 0.16:
        m.health = "chronic"
    elif rng.random() < 0.012:
        m.health = "serious"
    if rng.random() < 0.035:
        m.disability = rng.choice(("1", "2", "3", "4", "4", "3"))
        if m.disability in ("1", "2") and m.work not in ("student",):
            m.work, m.destination_code, m.destination, m.monthly_wage = "unable", "", "", 0.0
    if m.health == "serious" and m.work in ("migrant", "local"):
        m.work, m.destination_code, m.destination, m.monthly_wage = "unable", "", "", 0.0
    return m


def plan_members(rng: random.Random, ids: IdNumbers, county: DemoCounty, today: date
                 ) -> list[PlannedMember]:
    head_age = rng.randint(32, 78)
    male = rng.random() < 0.85
    surname = rng.choice(SURNAMES)
    members = [_person(rng, ids, county, today, head_age, male, "head", surname)]
    if rng.random() < 0.82:
        members.append(_person(rng, ids, county, today,
                               max(22, head_age + rng.randint(-5, 3)), not male, "spouse", None))
    children = rng.choices((0, 1, 2, 3), weights=(0.15, 0.4, 0.35, 0.1))[0]
    for _ in range(children):
        age = head_age - rng.randint(22, 34)
        if age >= 0:
            members.append(_person(rng, ids, county, today, age, rng.random() < 0.52, "child",
                                   surname))
    if head_age < 52 and rng.random() < 0.35:
        members.append(_person(rng, ids, county, today, head_age + rng.randint(24, 30),
                               rng.random() < 0.4, "parent", surname))
    if head_age >= 55 and rng.random() < 0.45:
        for _ in range(rng.randint(1, 2)):
            members.append(_person(rng, ids, county, today, rng.randint(3, 15),
                                   rng.random() < 0.52, "grandchild", surname))
    return members


# --- income ----------------------------------------------------------------------------------


def base_income(h: PlannedHousehold, rng: random.Random, today: date) -> NDArray[np.float64]:
    """Monthly household net income (HORIZON_MONTHS × 4) without shocks: wages of local and
    migrant workers with their seasons, farming with its harvests, land rent, and transfers
    (pensions from 60, child subsidies, the minimum living allowance)."""
    n = HORIZON_MONTHS
    out = np.zeros((n, 4))
    growth = 1.0 + 0.05 * np.arange(n) / 12.0  # incomes rise about 5 % a year
    for m in h.members:
        if m.work == "migrant":
            season = np.array([MIGRANT_SEASON[month_of(i).month - 1] for i in range(n)])
            out[:, 0] += m.monthly_wage * season * growth
        elif m.work == "local":
            season = np.array([0.5 if month_of(i).month in (1, 2) else 1.0 for i in range(n)])
            out[:, 0] += m.monthly_wage * season * growth
        elif m.work == "self_employed":
            out[:, 1] += 2400 * rng.lognormvariate(0, 0.3) * growth
    farm = np.array([FARM_SEASON[month_of(i).month - 1] for i in range(n)])
    yearly_noise = {y: rng.lognormvariate(0, 0.12) for y in range(2024, 2028)}
    out[:, 1] += h.farm_income * farm * np.array([yearly_noise[month_of(i).year]
                                                  for i in range(n)])
    if rng.random() < 0.3:  # land let to a co-operative: rent paid in January
        rent = round(rng.uniform(400, 1800), -1)
        out[:, 2] += np.array([rent if month_of(i).month == 1 else 0.0 for i in range(n)])
    for i in range(n):
        day = month_of(i)
        pensioners = sum(1 for m in h.members if m.age(today) - (today.year - day.year) >= 60)
        out[i, 3] += 180.0 * pensioners + h.low_income_allowance
        if day.month == 3:  # ecological compensation and farmland subsidies, once a year
            out[i, 3] += 600.0 if h.county.west else 400.0
    return np.round(out, 2)


def plan_household(rng: random.Random, ids: IdNumbers, village: Village, serial: int,
                   today: date) -> PlannedHousehold:
    county = village.county
    members = plan_members(rng, ids, county, today)
    lifted = None
    poor_share = 0.32 if county.west else 0.16
    if rng.random() < poor_share:
        lifted = rng.choices((2016, 2017, 2018, 2019, 2020), weights=(1, 2, 3, 3, 2))[0]
    farm = county.farm_income * rng.lognormvariate(0, 0.35) * (0.75 if lifted else 1.0)
    h = PlannedHousehold(
        number=f"{village.code}{serial:03d}", village=village,
        address=f"{village.town_name}{village.name}{rng.randint(1, 12)}组{rng.randint(1, 80)}号",
        lifted_out_year=lifted, members=members, farm_income=round(farm, -1))
    workers = sum(1 for m in members if m.work in ("migrant", "local"))
    if lifted and workers == 0 and rng.random() < 0.6:
        h.low_income_allowance = 320.0 * min(len(members), 3)
        h.story.add("allowance")
    h.water_secure = not (county.west and rng.random() < 0.012)
    h.housing_secure = rng.random() >= 0.006
    h.income = base_income(h, rng, today)
    return h


# --- shocks ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Interruption:
    """Migrant work stopped in an outbreak county from `start` to `end`."""

    start: date
    end: date


def plan_interruptions(h: PlannedHousehold, stopped: Mapping[str, Interruption],
                       rng: random.Random) -> None:
    """Members working in an outbreak county lose their wages while work there stops (the
    first and last month in part), with a shock of kind migrant_interrupted for each."""
    for idx, m in enumerate(h.members):
        stop = stopped.get(m.destination_code) if m.work == "migrant" else None
        if stop is None:
            continue
        start = stop.start + timedelta(days=rng.randint(0, 6))
        end = min(stop.end + timedelta(days=rng.randint(-8, 12)), date(2026, 4, 20))
        lost = 0.0
        for i in range(month_index(start), month_index(end) + 1):
            first, nxt = month_of(i), month_of(i + 1)
            days = (nxt - first).days
            covered = (min(end, nxt - timedelta(days=1)) - max(start, first)).days + 1
            share = max(0.0, min(1.0, covered / days)) * rng.uniform(0.85, 1.0)
            cut = min(m.monthly_wage * MIGRANT_SEASON[first.month - 1] * share, h.income[i, 0])
            h.income[i, 0] = round(h.income[i, 0] - cut, 2)
            lost += cut
        h.shocks.append(PlannedShock(
            key=f"demo-lh:{h.number}:{idx}:migrant", kind="migrant_interrupted",
            occurred_on=start, ended_on=end, amount=round(lost, 2),
            description=f"{m.destination}疫情期间停工，{start:%m月%d日}至{end:%m月%d日}无工资收入",
            member=idx))
        h.story.add("epidemic")


def plan_recovery(h: PlannedHousehold, rng: random.Random) -> None:
    """A household hit by the epidemic gets help from April 2026: a job found through the
    employment service (wages up) and a one-off temporary relief, then a monthly subsidy."""
    april = month_index(date(2026, 4, 1))
    h.income[april, 3] += round(rng.uniform(2500, 4500), -1)
    h.income[april:, 3] += round(rng.uniform(250, 450), -1)
    h.income[april:, 0] *= rng.uniform(1.12, 1.25)
    h.income = np.round(h.income, 2)
    h.story.add("recovery")


def plan_illness(h: PlannedHousehold, idx: int, day: date, amount: float, weeks: int,
                 description: str) -> None:
    """A member's serious illness: medical spending and, for a worker, the months of lost
    wages."""
    m = h.members[idx]
    end = day + timedelta(weeks=weeks)
    if m.monthly_wage:
        for i in range(month_index(day), month_index(end) + 1):
            h.income[i, 0] = round(max(0.0, h.income[i, 0] - m.monthly_wage * 0.9), 2)
    h.shocks.append(PlannedShock(key=f"demo-lh:{h.number}:{idx}:medical:{day:%Y%m}",
                                 kind="medical", occurred_on=day, ended_on=end, amount=amount,
                                 description=description, member=idx))
    h.story.add("illness")


def plan_disaster(h: PlannedHousehold, day: date, loss: float, harvest_lost: float,
                  description: str) -> None:
    """A flood or drought: the loss of the day and the harvest it cut."""
    for i in range(month_index(day), min(month_index(day) + 5, HORIZON_MONTHS)):
        if h.income[i, 1] > 0:
            h.income[i, 1] = round(h.income[i, 1] * (1 - harvest_lost), 2)
    h.shocks.append(PlannedShock(key=f"demo-lh:{h.number}:disaster:{day:%Y%m}",
                                 kind="disaster", occurred_on=day, ended_on=None,
                                 amount=round(loss, -1), description=description))
    h.story.add("disaster")


def per_capita_year(h: PlannedHousehold, last: int) -> float:
    """Per-capita net income of the twelve months ending at month index `last`."""
    return float(h.income[max(0, last - 11): last + 1].sum()) / max(1, len(h.members))


def choose(rng: random.Random, items: Sequence[PlannedHousehold], k: int
           ) -> list[PlannedHousehold]:
    return rng.sample(list(items), min(k, len(items)))


# --- the monitoring lines ----------------------------------------------------------------------

# Demo figures, not announced ones (decision 1260): the provinces set their own lines from 2023;
# these are about 1.5 × a poverty line rising with prices.
DEMO_LINES: tuple[tuple[str, int, int], ...] = (
    ("420000", 2024, 4800), ("420000", 2025, 5000), ("420000", 2026, 5200),
    ("520000", 2024, 4600), ("520000", 2025, 4800), ("520000", 2026, 5000),
    ("620000", 2024, 4500), ("620000", 2025, 4700), ("620000", 2026, 4900),
)
LINE_MULTIPLE = 1.5


def monitoring_line(province: str, year: int) -> float:
    for p, y, line in DEMO_LINES:
        if p == province and y == year:
            return line * LINE_MULTIPLE
    return DEMO_LINES[-1][2] * LINE_MULTIPLE


# --- the whole population ----------------------------------------------------------------------


@dataclass(frozen=True)
class SevereCase:
    """A severe or critical case of the demo outbreak to place in a household."""

    case_id: int
    name: str
    id_number: str
    county: str       # where it was reported
    place: str        # that county's name
    onset: date


# Poverty incidence of 2025 each county is calibrated to (share of its population below the
# poverty line), and the share of households left between the poverty and the monitoring lines:
# 黄陂区 passes the 2 % exit standard and 新洲区 fails it; 雷山县 passes the western 3 % and
# 通渭县 fails it.
TARGET_INCIDENCE = {"420116": 0.008, "420117": 0.024, "522634": 0.026, "621121": 0.036}
TARGET_MARGINAL = 0.03
PROVINCE = {"420116": "420000", "420117": "420000", "522634": "520000", "621121": "620000"}


def _year_income(h: PlannedHousehold, year: int) -> float:
    i = month_index(date(year, 1, 1))
    return float(h.income[i:i + 12].sum()) / max(1, len(h.members))


def _make_vulnerable(h: PlannedHousehold, rng: random.Random) -> None:
    """A household living mostly on one low migrant wage: its income a little above the
    monitoring line, so that months without the wage bring it below."""
    line = monitoring_line(PROVINCE[h.county.code], 2025)
    target = line * rng.uniform(1.08, 1.25)
    now = _year_income(h, 2025)
    wages = float(h.income[month_index(date(2025, 1, 1)):][:12, 0].sum()) / len(h.members)
    if wages <= 0 or now <= target:
        return
    factor = max(0.15, (target - (now - wages)) / wages)
    h.income[:, 0] = np.round(h.income[:, 0] * factor, 2)
    for m in h.members:
        if m.work in ("migrant", "local"):
            m.monthly_wage = round(m.monthly_wage * factor, -1)
    h.story.add("vulnerable")


def _calibrate(made: list[PlannedHousehold], county: DemoCounty, rng: random.Random) -> None:
    """Social assistance (最低生活保障 and other transfers) lifts the households below the
    monitoring line, except as many as the county's target incidence and marginal share
    leave: an income made of farming and pensions alone is often below both lines."""
    province = PROVINCE[county.code]
    poverty = monitoring_line(province, 2025) / LINE_MULTIPLE
    line = monitoring_line(province, 2025)
    population = sum(len(h.members) for h in made)
    hit = {"vulnerable", "illness", "disaster", "severe"}
    # The households a shock left below the poverty line count towards the target first.
    already = sum(len(h.members) for h in made
                  if h.story & hit and _year_income(h, 2025) < poverty)
    poor_left = TARGET_INCIDENCE[county.code] * population - already
    marginal_left = TARGET_MARGINAL * len(made)
    below = [h for h in made if _year_income(h, 2025) < line and not h.story & hit]
    rng.shuffle(below)
    for h in below:
        pc = _year_income(h, 2025)
        if pc < poverty and poor_left >= len(h.members):
            poor_left -= len(h.members)
            h.story.add("poor")
            continue
        if poverty <= pc and marginal_left >= 1:
            marginal_left -= 1
            h.story.add("marginal")
            continue
        target = monitoring_line(province, 2026) * rng.uniform(1.08, 1.6)
        monthly = round((target - pc) * len(h.members) / 12, -1)
        h.income[:, 3] += monthly
        h.low_income_allowance += monthly
        h.story.add("allowance")


def plan_population(rng: random.Random, *, households_per_county: int, today: date,
                    stopped: Mapping[str, Interruption],
                    severe: Sequence[SevereCase]) -> list[PlannedHousehold]:
    """Every household of the four counties with its members, incomes and shocks."""
    out: list[PlannedHousehold] = []
    for county in COUNTIES:
        ids = IdNumbers()
        vs = villages(county)
        made: list[PlannedHousehold] = []
        for i in range(households_per_county):
            village = vs[i % len(vs)]
            made.append(plan_household(rng, ids, village, i // len(vs) + 1, today))
        for h in made:
            exposed = any(m.work == "migrant" and m.destination_code in stopped
                          for m in h.members)
            if exposed and rng.random() < 0.6:
                _make_vulnerable(h, rng)
            plan_interruptions(h, stopped, rng)
            if "vulnerable" in h.story and "epidemic" in h.story and rng.random() < 0.6:
                plan_recovery(h, rng)
        _plan_illnesses(rng, made, today)
        if county.code == "522634":  # a summer flood in one township
            flooded = [h for h in made if h.village.town_code.endswith("102")]
            for h in choose(rng, flooded, max(2, len(flooded) // 4)):
                plan_disaster(h, date(2026, 6, 21), rng.uniform(6000, 28000), 0.6,
                              "6月21日强降雨引发山洪，房屋进水、稻田被冲毁")
        if county.code == "621121":  # a summer drought
            for h in choose(rng, made, max(2, len(made) // 10)):
                plan_disaster(h, date(2025, 7, 15), rng.uniform(3000, 9000), 0.55,
                              "2025年夏季持续干旱，玉米、马铃薯大幅减产")
        _calibrate(made, county, rng)
        out.extend(made)
    _place_severe_cases(rng, out, severe)
    return out


def _plan_illnesses(rng: random.Random, made: list[PlannedHousehold], today: date) -> None:
    ill = [h for h in made if any(m.health == "serious" for m in h.members)]
    for h in ill[: max(1, len(made) // 60)]:
        idx = next(i for i, m in enumerate(h.members) if m.health == "serious")
        day = today - timedelta(days=rng.randint(12, 80))  # reported in the last weeks
        plan_illness(h, idx, day, round(rng.uniform(26000, 90000), -1), rng.randint(3, 8),
                     "住院治疗，自付医疗费用高")
    workers = [h for h in made if any(m.work == "local" for m in h.members)
               and not h.story & {"illness"}]
    for h in choose(rng, workers, max(1, len(made) // 80)):
        idx = next(i for i, m in enumerate(h.members) if m.work == "local")
        day = date(2025, rng.randint(3, 11), rng.randint(1, 28))
        plan_illness(h, idx, day, round(rng.uniform(22000, 60000), -1), rng.randint(6, 16),
                     "务工受伤住院，无法劳动")


def _place_severe_cases(rng: random.Random, households: list[PlannedHousehold],
                        severe: Sequence[SevereCase]) -> None:
    """Each severe case becomes a migrant member (working where the case was reported) of a
    household of a Hubei county, hospitalised from the onset: medical spending and lost
    wages."""
    hubei = [h for h in households if h.county.code.startswith("42")
             and not h.story & {"illness", "severe"}]
    for case, h in zip(severe, choose(rng, hubei, len(severe)), strict=False):
        wage = round(h.county.migrant_wage * rng.lognormvariate(0, 0.15), -1)
        birth = date(int(case.id_number[6:10]), int(case.id_number[10:12]),
                     int(case.id_number[12:14]))
        member = PlannedMember(
            name=case.name, id_number=case.id_number,
            phone=rng.choice(_MOBILE) + f"{rng.randrange(10**8):08d}", birth=birth,
            relationship="child" if h.members[0].age(case.onset) >= 55 else "sibling",
            work="migrant", destination_code=case.county, destination=case.place,
            monthly_wage=wage, case_id=case.case_id)
        h.members.append(member)
        season = np.array([MIGRANT_SEASON[month_of(i).month - 1] for i in range(HORIZON_MONTHS)])
        h.income[:, 0] += np.round(wage * season, 2)
        plan_illness(h, len(h.members) - 1, case.onset, round(rng.uniform(38000, 120000), -1),
                     rng.randint(4, 10), f"{case.place}务工期间感染新冠，重症住院治疗")
        h.story.add("severe")
