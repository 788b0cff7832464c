"""The endemic HFMD background: season, variation, weekday effect, delays, injected aberrations."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pytest

from shouwang.epi.endemic import (
    NURSERY_CHILD,
    SCATTERED_CHILD,
    STUDENT,
    Aberration,
    EndemicParams,
    seasonal_profile,
    simulate_endemic,
)

START = date(2023, 1, 2)  # a Monday: weekday = day % 7
DAYS = 3 * 364
PARAMS = EndemicParams(start=START, days=DAYS)


def _month(p: EndemicParams, day: np.ndarray) -> np.ndarray:
    return np.array([(p.start + timedelta(days=int(d))).month for d in day])


def test_same_seed_same_cases_other_seed_other_cases() -> None:
    pop = [5e5, 9e5, 7e5]
    a, b, c = (simulate_endemic(pop, PARAMS, seed=s) for s in (4, 4, 5))
    assert np.array_equal(a.cases.report_hours, b.cases.report_hours)
    assert np.array_equal(a.occupation, b.occupation)
    assert len(a.cases) != len(c.cases) or not np.array_equal(a.cases.region, c.cases.region)


def test_the_season_peaks_in_late_spring_with_a_smaller_autumn_peak_low_in_winter() -> None:
    out = simulate_endemic(np.full(40, 8e5), PARAMS, seed=1)
    onset = out.cases.onset_day
    months = _month(PARAMS, onset)
    per_month = np.bincount(months, minlength=13)[1:] / 3  # three years
    winter, spring = per_month[[0, 1]].mean(), per_month[[4, 5]].mean()  # Jan–Feb, May–Jun
    autumn, august = per_month[9], per_month[7]  # October, August
    assert spring > 5 * winter
    assert winter < autumn < spring
    assert autumn > august  # a second peak, not a tail of the first
    assert int(np.argmax(per_month)) + 1 in (5, 6)
    # The profile the counts follow has mean 1 over the year.
    assert seasonal_profile(np.arange(1, 366.0), PARAMS).mean() == pytest.approx(1.0)


def test_years_differ_and_the_year_effect_can_be_switched_off() -> None:
    pop = np.full(30, 8e5)

    def spread(p: EndemicParams) -> float:
        totals = simulate_endemic(pop, p, seed=2).background.reshape(30, 3, 364).sum(axis=(0, 2))
        return float(totals.max() / totals.min())

    assert spread(PARAMS) > 1.15
    assert spread(replace(PARAMS, year_sd=0, region_year_sd=0)) < 1.05


def test_counts_are_over_dispersed_around_the_expected_mean() -> None:
    pop = np.full(20, 3e6)
    for dispersion, low, high in ((4.0, 1.8, 3.5), (1e6, 0.9, 1.1)):
        p = replace(PARAMS, dispersion=dispersion, days=364)
        out = simulate_endemic(pop, p, seed=3)
        mu, y = out.expected, out.background
        ratio = float(((y - mu) ** 2 / mu).mean())  # 1 + mean(mu)/k for NegBin(mu, k)
        expected_ratio = 1 + float(mu.mean()) / dispersion
        assert low < ratio < high, (dispersion, ratio, expected_ratio)


def test_population_and_target_set_the_scale() -> None:
    out = simulate_endemic([2e5, 2e6], replace(PARAMS, target_cases=5000), seed=6)
    assert out.ascertainment < 1
    assert out.expected.sum() == pytest.approx(5000)
    assert abs(int(out.background.sum()) - 5000) < 250
    per_region = out.background.sum(axis=1)
    assert 5 < per_region[1] / per_region[0] < 20  # ten times the people


def test_fewer_diagnoses_at_weekends_more_on_mondays_onsets_flat() -> None:
    out = simulate_endemic(np.full(30, 8e5), PARAMS, seed=7)
    onset = np.bincount(out.cases.onset_day % 7, minlength=7)
    diagnosis = np.bincount(np.floor(out.cases.diagnosis_hours / 24).astype(int) % 7,
                            minlength=7)
    assert onset.max() / onset.min() < 1.08
    midweek = diagnosis[1:5].mean()
    assert diagnosis[5] < 0.9 * midweek and diagnosis[6] < 0.8 * midweek
    assert diagnosis[0] > 1.25 * midweek
    flat = simulate_endemic(np.full(30, 8e5), replace(PARAMS, weekend_deferral=(0.0, 0.0)),
                            seed=7)
    diagnosis = np.bincount(np.floor(flat.cases.diagnosis_hours / 24).astype(int) % 7,
                            minlength=7)
    assert diagnosis.max() / diagnosis.min() < 1.08


def test_delays_lie_in_their_ranges_and_nothing_is_reported_after_the_last_day() -> None:
    out = simulate_endemic(np.full(20, 8e5), PARAMS, seed=8)
    c = out.cases
    to_diagnosis = c.diagnosis_hours / 24 - c.onset_day
    assert to_diagnosis.min() > 0
    assert to_diagnosis.max() <= 1 + PARAMS.diagnosis_max_days + 3
    assert 0.8 < float(np.median(to_diagnosis)) < 2.5
    to_report = c.report_hours - c.diagnosis_hours
    assert to_report.min() > 0 and to_report.max() <= PARAMS.late_report_max_hours
    assert 0.93 < float((to_report <= 24).mean()) < 0.99
    assert c.report_hours.max() < DAYS * 24
    assert (np.diff(c.report_hours) >= 0).all()  # a register, in report order
    assert (c.infection_day < c.onset_day + 1).all()
    assert not c.imported.any()
    died = c.death_day >= 0
    assert (c.severity[died] == "critical").all()
    assert (c.death_day[died] >= c.onset_day[died]).all()


def test_ages_occupations_classification_and_severity() -> None:
    out = simulate_endemic(np.full(20, 8e5), PARAMS, seed=9)
    c, occupation = out.cases, out.occupation
    assert 0.85 < float((c.age < 5).mean()) < 0.93
    assert int(np.bincount(c.age).argmax()) in (1, 2)
    assert set(occupation[c.age < 3]) <= {SCATTERED_CHILD, NURSERY_CHILD}
    assert float((occupation[(c.age >= 3) & (c.age < 6)] == NURSERY_CHILD).mean()) > 0.6
    assert set(occupation[(c.age >= 7) & (c.age < 18)]) == {STUDENT}
    assert set(occupation[c.age >= 18]) <= {""}
    confirmed = float((c.classification == "confirmed").mean())
    assert 0.03 < confirmed < 0.08 and set(c.classification) == {"clinical", "confirmed"}
    severe = np.isin(c.severity, ["severe", "critical"])
    assert 0.005 < float(severe.mean()) < 0.02
    assert float((c.classification[severe] == "confirmed").mean()) > 0.8
    assert 0.55 < float((c.sex == "M").mean()) < 0.65


def test_an_injected_kindergarten_cluster_is_where_and_when_it_was_put() -> None:
    cluster = Aberration(region=2, start_day=800, days=12, cases=30)
    p = replace(PARAMS, target_cases=3000, aberrations=(cluster,))
    out = simulate_endemic(np.full(5, 8e5), p, seed=10)
    c, mine = out.cases, out.aberration == 0
    assert int(mine.sum()) == 30
    assert (c.region[mine] == 2).all()
    assert (c.onset_day[mine] >= 800).all() and (c.onset_day[mine] < 812).all()
    assert (c.age[mine] >= 3).all() and (c.age[mine] <= 6).all()
    assert (out.occupation[mine] == NURSERY_CHILD).all()
    # The cluster stands out of its county's background: two weeks' onsets against the
    # expected background of those days.
    window = (c.region == 2) & (c.onset_day >= 800) & (c.onset_day < 814)
    expected = out.expected[2, 800:814].sum()
    assert int(window.sum()) > expected + 20
    # Without the aberration the same seed gives the same background (it is drawn first).
    plain = simulate_endemic(np.full(5, 8e5), replace(p, aberrations=()), seed=10)
    assert np.array_equal(plain.background, out.background)


def test_an_aberration_near_the_end_is_cut_by_the_horizon_like_the_rest() -> None:
    late = Aberration(region=0, start_day=DAYS - 3, days=3, cases=40)
    out = simulate_endemic([8e5], replace(PARAMS, aberrations=(late,)), seed=11)
    kept = int((out.aberration == 0).sum())
    assert 0 < kept < 40


def test_bad_options_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match="dispersion"):
        replace(PARAMS, dispersion=0)
    with pytest.raises(ValueError, match="weekend_deferral"):
        replace(PARAMS, weekend_deferral=(0.2, 1.5))
    with pytest.raises(ValueError, match="aberrations"):
        replace(PARAMS, aberrations=(Aberration(region=0, start_day=DAYS - 2, days=5,
                                                cases=3),))
    with pytest.raises(ValueError, match="occupation"):
        Aberration(region=0, start_day=0, days=5, cases=3, occupation="pilot")
    with pytest.raises(ValueError, match="aberration region"):
        simulate_endemic([8e5], replace(PARAMS, aberrations=(Aberration(1, 0, 5, 3),)))
    with pytest.raises(ValueError, match="population"):
        simulate_endemic([8e5, 0.0], PARAMS)
