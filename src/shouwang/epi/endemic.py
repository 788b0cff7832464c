"""An endemic background: hand, foot and mouth disease (HFMD) reported by every region for
years, with seasonality, year-to-year variation, local fluctuation, over-dispersion, a weekend
effect on diagnosis and injected aberrations of known place, time and size.

Used for demo data (a surveillance system's bulk is seasonal endemic disease, not outbreaks) and
for scoring the aberration methods against a known truth: the expected counts, the background
onsets and, for every case, the aberration it belongs to are returned with the line list.

Model
-----
Background onsets in region r on day t (t = 0 … T−1, calendar day `start + t`)::

    μ[r,t] = a · P_r · λ / (10⁵ · 365.25) · s(doy_t) · Y[r,t] · L[r,t]
    N[r,t] ~ NegBin(mean = μ[r,t], size = k)

λ the yearly reported incidence per 100,000, a the ascertainment (a share kept: the demo's
thinning; set from `target_cases` when given), s the seasonal profile (mean 1 over a year, below),
Y a smooth year effect (a lognormal factor per year and region, national sd `year_sd` times
regional sd `region_year_sd`, placed on each year's spring peak and interpolated log-linearly in
between, so no jump on 1 January), L a local fluctuation (a weekly AR(1) on the log scale with
stationary sd `local_sd` and autocorrelation `local_ar`; mean 1) and k the dispersion of the daily
count (variance μ + μ²/k).

The seasonal profile is a floor plus two von Mises bumps on the day of the year::

    b(d; p, κ) = exp(κ (cos(2π (d − p) / 365.25) − 1))          (1 at the peak day p)
    s(d) ∝ floor + (1 − floor) · (b(d; p₁, κ₁) + h₂ · b(d; p₂, κ₂))

a main peak in late May (p₁ = 145, κ₁ = 3: half height from mid-April to early July), a smaller
autumn peak in mid-October at h₂ = 0.4 of it (p₂ = 288, κ₂ = 5) and a winter floor of 8 % of the
main peak: the pattern of central and southern (subtropical) China (Xing et al. 2014; Koh et al.
2016). Year to year, HFMD in China varies with biennial and annual cycles (Xiao et al. 2016).

Injected aberrations (`Aberration`): exactly `cases` further onsets in one region over
`days` days from `start_day`, with a rise-and-fall curve (weights ∝ (i + 1)·e^{−i/τ}, τ = days/4),
the ages of the setting (a kindergarten: 3–6) and its occupation. They are not thinned: their
size is what is reported, the truth a benchmark scores against.

Observation, for every case: onset at a uniform time of its day; onset to diagnosis gamma
(mean 1.3 d, sd 1.1, at most `diagnosis_max_days`: a median of about 1.5 days from the onset
date, as Xing et al. report); a diagnosis falling on a Saturday or Sunday
is put off to Monday morning (08:00–12:00) with probability `weekend_deferral` (20 % and 30 %:
families wait for the weekday clinic, so there are fewer diagnoses and reports at weekends and
more on Mondays; a delay can then exceed the cap by up to 3 days); diagnosis to report in
hours, lognormal around `report_median_hours` within the 24-hour deadline of a class C disease,
`late_report_share` late (up to `late_report_max_hours`). Age from the age profile of reported
cases (89 % under 5, most at 1 year, where Xing et al. find the highest incidence), sex 60 %
boys, occupation from age (scattered child under 3, mostly nursery child at 3–5, student from
7), mostly clinically diagnosed with `lab_share` (4 %) laboratory-confirmed and severe cases
nearly all (about 5 % in all; Xing et al.: 3.7 %), 1 % severe, a tenth of them critical, 30 % of
the critical dying a median of 3 days after onset (3 % of severe cases, case fatality ≈ 0.03 %,
as Xing et al.). Incubation (lognormal, mean 4 d, sd 1.5: the usual 3–7 days) only dates
`infection_day`. Cases reported after the last day are dropped (the line list held on that
day).

References
----------
Xing W, Liao Q, Viboud C, et al. (2014). Hand, foot, and mouth disease in China, 2008-12: an
epidemiological study. Lancet Infect Dis 14(4):308-318. doi:10.1016/S1473-3099(13)70342-6
(7.2 million probable cases 2008–12, 1.2 per 1,000 person-years; 3.7 % laboratory-confirmed;
highest incidence at 12–23 months; onset to diagnosis median 1.5 days; 1.1 % severe, 3.0 % of
them fatal, case fatality 0.03 %, onset to death median 3.5 days)
Koh WM, Bogich T, Siegel K, et al. (2016). The epidemiology of hand, foot and mouth disease in
Asia: a systematic review and analysis. Pediatr Infect Dis J 35(10):e285-e300.
doi:10.1097/INF.0000000000001242 (summer peak in temperate Asia, spring and autumn peaks in
subtropical Asia)
Xiao X, Liao Q, Kenward MG, et al. (2016). Comparisons between mild and severe cases of hand,
foot and mouth disease in temporal trends: a comparative time series study from mainland China.
BMC Public Health 16:1109. doi:10.1186/s12889-016-3762-x (biennial, annual and semi-annual
cycles)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from shouwang.epi.delays import gamma_shape_scale, lognormal_mu_sigma
from shouwang.epi.outbreak import Cases

_T = TypeVar("_T", bound=np.generic)

YEAR_DAYS = 365.25
# Occupation codes of the report card (shouwang.surveillance.models.Occupation, kept as plain
# strings so that this module stays free of Django); "" for adults: the caller chooses a job.
SCATTERED_CHILD, NURSERY_CHILD, STUDENT = "scattered_child", "nursery_child", "student"
OCCUPATIONS = (SCATTERED_CHILD, NURSERY_CHILD, STUDENT, "")
# Ages of reported cases: 0 … 9 one by one, then 10–14 and adults (20–39, the parents).
_AGES = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20])
_AGE_WEIGHTS = np.array([0.11, 0.26, 0.23, 0.17, 0.12, 0.055, 0.025, 0.013, 0.007, 0.004,
                         0.004, 0.002])
_AGE_SPAN = np.array([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 5, 20])


@dataclass(frozen=True)
class Aberration:
    """`cases` extra onsets in region `region` over `days` days from `start_day`, aged
    `min_age` … `max_age`, with `occupation` ("" = by age, as the background)."""

    region: int
    start_day: int
    days: int
    cases: int
    min_age: int = 3
    max_age: int = 6
    occupation: str = NURSERY_CHILD
    lab_share: float = 0.5  # a cluster investigation samples more children

    def __post_init__(self) -> None:
        for name, ok, rule in (("region", self.region >= 0, "≥ 0"),
                               ("start_day", self.start_day >= 0, "≥ 0"),
                               ("days", self.days >= 1, "≥ 1"),
                               ("cases", self.cases >= 1, "≥ 1"),
                               ("min_age", 0 <= self.min_age <= self.max_age,
                                "≥ 0 and ≤ max_age"),
                               ("occupation", self.occupation in OCCUPATIONS,
                                f"one of {OCCUPATIONS}"),
                               ("lab_share", 0 <= self.lab_share <= 1, "in [0, 1]")):
            if not ok:
                raise ValueError(f"aberration {name} must be {rule}, got "
                                 f"{getattr(self, name)!r}")


@dataclass(frozen=True)
class EndemicParams:
    """Every option of the simulation, validated on creation (see the module's docstring).

    Calendar: `start` (day 0) and `days`. Rate: `annual_rate` reported cases per 100,000 a year,
    `ascertainment` (a share), or `target_cases`, which replaces the ascertainment by the one
    that makes the expected background total this many. Season: `spring_peak_doy`,
    `spring_concentration`, `autumn_peak_doy`, `autumn_concentration`, `autumn_ratio`,
    `winter_floor`. Variation: `year_sd`, `region_year_sd`, `local_sd`, `local_ar`,
    `dispersion`. Observation: the delays, `weekend_deferral` (Saturday, Sunday), `lab_share`,
    `severe_share`, `critical_share` (of severe), `critical_fatality`, `male_share`.
    `aberrations` are added on top of the background.
    """

    start: date
    days: int
    annual_rate: float = 120.0
    ascertainment: float = 1.0
    target_cases: int | None = None
    spring_peak_doy: float = 145.0
    spring_concentration: float = 3.0
    autumn_peak_doy: float = 288.0
    autumn_concentration: float = 5.0
    autumn_ratio: float = 0.4
    winter_floor: float = 0.08
    year_sd: float = 0.25
    region_year_sd: float = 0.15
    local_sd: float = 0.2
    local_ar: float = 0.8
    dispersion: float = 4.0
    diagnosis_delay_mean: float = 1.3
    diagnosis_delay_sd: float = 1.1
    diagnosis_max_days: float = 10.0
    weekend_deferral: tuple[float, float] = (0.2, 0.3)
    report_median_hours: float = 5.0
    report_deadline_hours: float = 24.0
    late_report_share: float = 0.04
    late_report_max_hours: float = 96.0
    incubation_mean: float = 4.0
    incubation_sd: float = 1.5
    lab_share: float = 0.04
    severe_share: float = 0.01
    critical_share: float = 0.1
    critical_fatality: float = 0.3
    male_share: float = 0.6
    aberrations: tuple[Aberration, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        def need(ok: bool, name: str, rule: str) -> None:
            if not ok:
                raise ValueError(f"{name} must be {rule}, got {getattr(self, name)!r}")

        need(self.days >= 1, "days", "≥ 1")
        need(self.annual_rate >= 0, "annual_rate", "≥ 0")
        need(0 < self.ascertainment <= 1, "ascertainment", "in (0, 1]")
        need(self.target_cases is None or self.target_cases >= 0, "target_cases",
             "≥ 0 or None")
        for name in ("spring_peak_doy", "autumn_peak_doy"):
            need(1 <= getattr(self, name) <= 366, name, "a day of the year (1 … 366)")
        for name in ("spring_concentration", "autumn_concentration", "dispersion",
                     "diagnosis_delay_mean", "diagnosis_delay_sd", "diagnosis_max_days",
                     "report_median_hours", "report_deadline_hours", "incubation_mean",
                     "incubation_sd"):
            need(getattr(self, name) > 0, name, "> 0")
        for name in ("autumn_ratio", "year_sd", "region_year_sd", "local_sd"):
            need(getattr(self, name) >= 0, name, "≥ 0")
        need(0 <= self.winter_floor < 1, "winter_floor", "in [0, 1)")
        need(0 <= self.local_ar < 1, "local_ar", "in [0, 1)")
        for name in ("late_report_share", "lab_share", "severe_share", "critical_share",
                     "critical_fatality", "male_share"):
            need(0 <= getattr(self, name) <= 1, name, "in [0, 1]")
        need(len(self.weekend_deferral) == 2 and all(0 <= p <= 1 for p in self.weekend_deferral),
             "weekend_deferral", "two shares in [0, 1] (Saturday, Sunday)")
        need(self.report_median_hours < self.report_deadline_hours, "report_median_hours",
             "below report_deadline_hours")
        need(self.late_report_max_hours > self.report_deadline_hours, "late_report_max_hours",
             "above report_deadline_hours")
        for a in self.aberrations:
            need(a.start_day + a.days <= self.days, "aberrations",
                 f"within the {self.days} simulated days")


@dataclass(frozen=True)
class Endemic:
    """Truth and observation.

    `expected[r, t]` the background's mean onsets, `background[r, t]` its drawn onsets,
    `ascertainment` the share used; the line list `cases` (outbreak.Cases: never imported,
    `infection_day` = onset − incubation), with `occupation[i]` (a code of OCCUPATIONS) and
    `aberration[i]` (the index in `params.aberrations`, −1 for the background) of every case.
    """

    expected: NDArray[np.float64]
    background: NDArray[np.int64]
    ascertainment: float
    cases: Cases
    occupation: NDArray[np.str_]
    aberration: NDArray[np.int64]


def seasonal_profile(day_of_year: NDArray[np.float64], params: EndemicParams) -> NDArray[
        np.float64]:
    """s(d): the seasonal factor of each day of the year, with mean 1 over a year."""
    p = params

    def shape(d: NDArray[np.float64]) -> NDArray[np.float64]:
        def bump(peak: float, kappa: float) -> NDArray[np.float64]:
            return np.asarray(np.exp(kappa * (np.cos(2 * np.pi * (d - peak) / YEAR_DAYS) - 1)))

        return p.winter_floor + (1 - p.winter_floor) * (
            bump(p.spring_peak_doy, p.spring_concentration)
            + p.autumn_ratio * bump(p.autumn_peak_doy, p.autumn_concentration))

    mean = float(shape(np.arange(1, 366, dtype=np.float64)).mean())
    return np.asarray(shape(np.asarray(day_of_year, dtype=np.float64)) / mean)


def _calendar(p: EndemicParams) -> tuple[NDArray[np.float64], NDArray[np.int64],
                                          NDArray[np.float64]]:
    """Day of the year, weekday (Monday 0) and fractional years since 1 January of the
    start's year, for every simulated day."""
    days = [p.start + timedelta(days=t) for t in range(p.days)]
    doy = np.array([d.timetuple().tm_yday for d in days], dtype=np.float64)
    weekday = np.array([d.weekday() for d in days], dtype=np.int64)
    years = (np.array([d.year - p.start.year for d in days], dtype=np.float64)
             + (doy - 1) / YEAR_DAYS)
    return doy, weekday, years


def _year_effect(p: EndemicParams, years: NDArray[np.float64], n: int,
                 rng: np.random.Generator) -> NDArray[np.float64]:
    """Y[r, t]: a lognormal factor (mean 1) per year and region at each spring peak,
    interpolated log-linearly between the peaks (held before the first, after the last)."""
    knots = np.arange(-1, int(np.ceil(years[-1])) + 2) + (p.spring_peak_doy - 1) / YEAR_DAYS
    sd = np.hypot(p.year_sd, p.region_year_sd)
    national = rng.normal(0.0, p.year_sd, knots.size) if p.year_sd > 0 else np.zeros(knots.size)
    regional = (rng.normal(0.0, p.region_year_sd, (n, knots.size)) if p.region_year_sd > 0
                else np.zeros((n, knots.size)))
    log_knots = national[None, :] + regional - sd * sd / 2
    idx = np.clip(np.searchsorted(knots, years, side="right") - 1, 0, knots.size - 2)
    frac = (years - knots[idx]) / (knots[idx + 1] - knots[idx])
    logs = log_knots[:, idx] * (1 - frac) + log_knots[:, idx + 1] * frac
    return np.asarray(np.exp(logs))


def _local_effect(p: EndemicParams, n: int, rng: np.random.Generator) -> NDArray[np.float64]:
    """L[r, t]: exp of a weekly AR(1) per region (stationary sd `local_sd`), mean 1."""
    weeks = (p.days + 6) // 7
    if p.local_sd == 0:
        return np.ones((n, p.days))
    innovation = p.local_sd * np.sqrt(1 - p.local_ar**2)
    x = np.empty((n, weeks))
    x[:, 0] = rng.normal(0.0, p.local_sd, n)
    for w in range(1, weeks):
        x[:, w] = p.local_ar * x[:, w - 1] + rng.normal(0.0, innovation, n)
    return np.asarray(np.exp(np.repeat(x, 7, axis=1)[:, : p.days] - p.local_sd**2 / 2))


def simulate_endemic(population: NDArray[np.float64] | list[float],
                     params: EndemicParams, *, seed: int = 0) -> Endemic:
    """Simulate years of endemic HFMD in every region and the cases a surveillance system
    would hold at the end.

    Parameters
    ----------
    population : array_like, shape (n,)
        Each region's population (> 0).
    params : EndemicParams
        Calendar, rates, season, variation, observation and aberrations.
    seed : int
        Seed of the numpy Generator: the same inputs and seed give the same line list.
    """
    p = params
    pop = np.asarray(population, dtype=np.float64)
    if pop.ndim != 1 or pop.size == 0:
        raise ValueError("population must be a non-empty 1-d array")
    if not np.all(np.isfinite(pop)) or np.any(pop <= 0):
        raise ValueError("population must be finite and > 0 in every region")
    for a in p.aberrations:
        if a.region >= pop.size:
            raise ValueError(f"aberration region must be an index below {pop.size}, "
                             f"got {a.region}")
    rng = np.random.default_rng(seed)
    n = pop.size
    doy, weekday, years = _calendar(p)
    base = (pop[:, None] * p.annual_rate / (1e5 * YEAR_DAYS)) * seasonal_profile(doy, p)[None, :]
    mean = base * _year_effect(p, years, n, rng) * _local_effect(p, n, rng)
    total = float(mean.sum())
    ascertainment = p.ascertainment
    if p.target_cases is not None and total > 0:
        ascertainment = min(1.0, p.target_cases / total)
    expected = mean * ascertainment
    background = np.asarray(rng.poisson(rng.gamma(p.dispersion, expected / p.dispersion)),
                            dtype=np.int64)

    r, t = np.nonzero(background)
    reps = background[r, t]
    region = [np.repeat(r, reps)]
    onset_day = [np.repeat(t, reps)]
    source = [np.full(int(reps.sum()), -1, dtype=np.int64)]
    for i, a in enumerate(p.aberrations):
        k = np.arange(a.days, dtype=np.float64)
        weights = (k + 1) * np.exp(-k / max(a.days / 4, 0.5))
        region.append(np.full(a.cases, a.region, dtype=np.int64))
        onset_day.append(a.start_day + rng.choice(a.days, a.cases, p=weights / weights.sum()))
        source.append(np.full(a.cases, i, dtype=np.int64))
    cases, occupation, aberration = _observe(
        p, rng, np.concatenate(region).astype(np.int64),
        np.concatenate(onset_day).astype(np.int64), np.concatenate(source), weekday)
    return Endemic(expected=expected, background=background, ascertainment=ascertainment,
                   cases=cases, occupation=occupation, aberration=aberration)


def _ages(rng: np.random.Generator, n: int) -> NDArray[np.int64]:
    band = rng.choice(_AGES.size, n, p=_AGE_WEIGHTS / _AGE_WEIGHTS.sum())
    return np.asarray(_AGES[band] + np.floor(rng.random(n) * _AGE_SPAN[band]), dtype=np.int64)


def occupation_by_age(rng: np.random.Generator, age: NDArray[np.int64]) -> NDArray[np.str_]:
    """Scattered child under 3 (5 % in a nursery), at 3–5 mostly nursery child (25 %
    cared for at home), at 6 half in kindergarten and half at school, student from 7 to 17,
    "" for adults."""
    u = rng.random(age.size)
    return np.select(
        [age < 3, age < 6, age < 7, age < 18],
        [np.where(u < 0.05, NURSERY_CHILD, SCATTERED_CHILD),
         np.where(u < 0.75, NURSERY_CHILD, SCATTERED_CHILD),
         np.where(u < 0.5, NURSERY_CHILD, STUDENT),
         np.full(age.size, STUDENT)], "").astype(np.str_)


def _observe(p: EndemicParams, rng: np.random.Generator, region: NDArray[np.int64],
             onset_day: NDArray[np.int64], source: NDArray[np.int64],
             weekday: NDArray[np.int64]) -> tuple[Cases, NDArray[np.str_], NDArray[np.int64]]:
    """Ages, occupations, delays, classification and severity of every case."""
    n = region.size
    onset_time = onset_day + rng.random(n)
    shape, scale = gamma_shape_scale(p.diagnosis_delay_mean, p.diagnosis_delay_sd)
    diagnosis_time = onset_time + np.minimum(rng.gamma(shape, scale, n), p.diagnosis_max_days)
    # Weekend: some diagnoses wait for Monday morning (08:00–12:00).
    day = np.floor(diagnosis_time).astype(np.int64)
    on_day = np.clip(day, 0, p.days - 1)
    dow = (weekday[on_day] + (day - on_day)) % 7  # days past the horizon keep the cycle
    defer = np.select([dow == 5, dow == 6], [p.weekend_deferral[0], p.weekend_deferral[1]], 0.0)
    deferred = rng.random(n) < defer
    monday = day + (7 - dow) + (8 + 4 * rng.random(n)) / 24
    diagnosis_time = np.where(deferred, monday, diagnosis_time)

    hours = np.minimum(rng.lognormal(np.log(p.report_median_hours), 0.8, n),
                       p.report_deadline_hours * rng.uniform(0.9, 0.999, n))
    late = rng.random(n) < p.late_report_share
    hours = np.where(late, rng.uniform(p.report_deadline_hours, p.late_report_max_hours, n),
                     hours)
    diagnosis_hours = diagnosis_time * 24.0
    report_hours = diagnosis_hours + hours

    age = _ages(rng, n)
    occupation = occupation_by_age(rng, age)
    lab = np.full(n, p.lab_share)
    for i, a in enumerate(p.aberrations):
        mine = source == i
        age[mine] = rng.integers(a.min_age, a.max_age + 1, int(mine.sum()))
        occupation[mine] = (occupation_by_age(rng, age[mine]) if a.occupation == ""
                            else a.occupation)
        lab[mine] = a.lab_share
    # Severe disease is commoner in the youngest (EV71 in infants); critical is a share of it.
    severe_p = p.severe_share * np.select([age < 3, age < 6], [1.3, 0.8], 0.3)
    u = rng.random(n)
    severity = np.select([u < severe_p * p.critical_share, u < severe_p],
                         ["critical", "severe"], "mild").astype(np.str_)
    lab = np.where(severity == "mild", lab, 0.95)
    classification = np.where(rng.random(n) < lab, "confirmed", "clinical").astype(np.str_)
    dies = (severity == "critical") & (rng.random(n) < p.critical_fatality)
    death_time = onset_time + 1 + rng.gamma(3.0, 0.8, n)  # median ≈ 3.2 days
    death_day = np.where(dies & (death_time < p.days), np.floor(death_time), -1).astype(np.int64)
    mu, sigma = lognormal_mu_sigma(p.incubation_mean, p.incubation_sd)
    infection_day = np.floor(onset_time - rng.lognormal(mu, sigma, n)).astype(np.int64)
    sex = np.where(rng.random(n) < p.male_share, "M", "F").astype(np.str_)

    keep = report_hours < p.days * 24.0
    order = np.argsort(report_hours[keep], kind="stable")

    def pick(values: NDArray[_T]) -> NDArray[_T]:
        return values[keep][order]

    cases = Cases(
        region=pick(region), infection_day=pick(infection_day), onset_day=pick(onset_day),
        diagnosis_hours=pick(diagnosis_hours), report_hours=pick(report_hours),
        classification=pick(classification), severity=pick(severity), age=pick(age),
        sex=pick(sex), imported=np.zeros(int(keep.sum()), dtype=np.bool_),
        external=np.zeros(int(keep.sum()), dtype=np.bool_),
        origin_region=np.full(int(keep.sum()), -1, dtype=np.int64), death_day=pick(death_day),
    )
    return cases, pick(occupation), pick(source)
