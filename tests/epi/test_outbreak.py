"""The synthetic outbreak: determinism, the renewal theory it must obey, observation, guards."""

from __future__ import annotations

import time

import numpy as np
import pytest
from numpy.typing import NDArray

from shouwang.epi.delays import (
    discretised_gamma,
    euler_lotka_growth_rate,
    gamma_shape_scale,
    lognormal_mu_sigma,
)
from shouwang.epi.outbreak import OutbreakParams, gravity_links, simulate_outbreak


def _grid(n: int, seed: int = 7) -> tuple[NDArray[np.float64], NDArray[np.float64],
                                          NDArray[np.float64]]:
    rng = np.random.default_rng(seed)
    pop = rng.lognormal(np.log(4e5), 0.6, n)
    lat = rng.uniform(29.0, 32.0, n)
    lon = rng.uniform(110.0, 116.0, n)
    return pop, lat, lon


def test_same_seed_gives_identical_outbreak() -> None:
    pop, lat, lon = _grid(40)
    params = OutbreakParams(days=90)
    a = simulate_outbreak(pop, lat, lon, params, seed=11)
    b = simulate_outbreak(pop, lat, lon, params, seed=11)
    c = simulate_outbreak(pop, lat, lon, params, seed=12)
    assert np.array_equal(a.infections, b.infections)
    for name in ("region", "infection_day", "onset_day", "report_hours", "classification", "age",
                 "sex", "origin_region"):
        assert np.array_equal(getattr(a.cases, name), getattr(b.cases, name)), name
    assert not np.array_equal(a.infections, c.infections)


def test_snapshot_of_a_seeded_outbreak() -> None:
    # Recorded from this implementation; a change here means the demo data changed too.
    pop, lat, lon = _grid(40)
    o = simulate_outbreak(pop, lat, lon, OutbreakParams(days=90), seed=11)
    summary = (int(o.infections.sum()), len(o.cases), int((o.infections.sum(axis=1) > 0).sum()),
               int(o.cases.imported.sum()), int((o.cases.death_day >= 0).sum()))
    assert summary == SNAPSHOT


SNAPSHOT = (143539, 86697, 22, 313, 787)


def test_early_growth_matches_euler_lotka() -> None:
    r_value = 1.8
    params = OutbreakParams(days=60, r0=r_value, r0_region_sd=0.0, intervention_day=None,
                            initial_seeds=200, seed_days=1, travel_rate=0.0,
                            dispersion_k=0.5)
    expected = euler_lotka_growth_rate(r_value, discretised_gamma(params.gi_mean, params.gi_sd))
    slopes = []
    for seed in range(8):
        o = simulate_outbreak([1e9], [30.5], [114.3], params, seed=seed)
        days = np.arange(25, 55)
        slopes.append(np.polyfit(days, np.log(o.infections[0, days]), 1)[0])
    assert float(np.mean(slopes)) == pytest.approx(expected, rel=0.05)


def test_euler_lotka_signs() -> None:
    w = discretised_gamma(5.2, 2.8)
    assert euler_lotka_growth_rate(1.0, w) == pytest.approx(0.0, abs=1e-9)
    assert euler_lotka_growth_rate(0.7, w) < 0 < euler_lotka_growth_rate(2.5, w)


def test_generation_interval_moments() -> None:
    w = discretised_gamma(5.2, 2.8, max_days=40)
    s = np.arange(1, w.size + 1)
    assert w.sum() == pytest.approx(1.0)
    assert float((w * s).sum()) == pytest.approx(5.2, abs=0.15)
    assert float(np.sqrt((w * (s - (w * s).sum()) ** 2).sum())) == pytest.approx(2.8, abs=0.2)


def test_delay_helpers_round_trip() -> None:
    rng = np.random.default_rng(0)
    mu, sigma = lognormal_mu_sigma(5.6, 2.8)
    x = rng.lognormal(mu, sigma, 200_000)
    assert x.mean() == pytest.approx(5.6, rel=0.01)
    assert x.std() == pytest.approx(2.8, rel=0.02)
    shape, scale = gamma_shape_scale(3.0, 2.0)
    assert shape * scale == pytest.approx(3.0)
    assert np.sqrt(shape) * scale == pytest.approx(2.0)


def test_observation_recovers_its_parameters() -> None:
    params = OutbreakParams(days=160, asymptomatic_share=0.3, screening_detection=1.0,
                            ascertainment=1.0, diagnosis_delay_early=3.0,
                            diagnosis_delay_late=3.0, incubation_mean=5.6, incubation_sd=2.8,
                            truncate_at_horizon=False, late_report_share=0.03)
    pop, lat, lon = _grid(20)
    c = simulate_outbreak(pop, lat, lon, params, seed=5).cases
    assert len(c) > 5_000
    asym = c.classification == "asymptomatic"
    assert asym.mean() == pytest.approx(0.3, abs=0.02)
    assert np.all(c.onset_day[asym] == -1)
    assert np.all(c.severity[asym] == "")
    sym = ~asym
    assert np.all(c.onset_day[sym] >= c.infection_day[sym])
    incubation = c.onset_day[sym] - c.infection_day[sym]
    # Whole days: floor(infection + U + X) − infection has mean E[X] (U uniform on [0, 1)).
    assert incubation.mean() == pytest.approx(5.6, abs=0.2)
    diag_delay = c.diagnosis_hours[sym] / 24 - c.onset_day[sym] - 0.5
    assert diag_delay.mean() == pytest.approx(3.0, abs=0.15)
    report_delay = c.report_hours - c.diagnosis_hours
    assert np.all(report_delay > 0)
    assert (report_delay > 24).mean() == pytest.approx(0.03, abs=0.01)
    assert np.all(c.diagnosis_hours[sym] >= c.onset_day[sym] * 24)
    classes = {k: float((c.classification[sym] == k).mean()) for k in
               ("confirmed", "clinical", "suspected")}
    assert classes["confirmed"] == pytest.approx(0.86, abs=0.02)
    assert classes["suspected"] == pytest.approx(0.06, abs=0.01)
    deaths = c.death_day >= 0
    assert 0 < deaths.mean() < 0.05
    assert np.all(c.death_day[deaths] >= c.onset_day[deaths])
    old, young = c.age >= 70, c.age < 40
    severe = np.isin(c.severity, ["severe", "critical"])
    assert severe[sym & old].mean() > 3 * severe[sym & young].mean()


def test_response_maturity_shortens_diagnosis_delay() -> None:
    params = OutbreakParams(days=150, diagnosis_delay_early=6.0, diagnosis_delay_late=2.0,
                            intervention_day=40, response_maturity_days=20,
                            truncate_at_horizon=False)
    pop, lat, lon = _grid(10)
    c = simulate_outbreak(pop, lat, lon, params, seed=2).cases
    sym = c.onset_day >= 0
    delay = c.diagnosis_hours / 24 - c.onset_day - 0.5
    early = sym & (c.onset_day < 35)
    late = sym & (c.onset_day > 70)
    assert delay[early].mean() == pytest.approx(6.0, abs=0.5)
    assert delay[late].mean() == pytest.approx(2.0, abs=0.3)


def test_cases_never_exceed_infections() -> None:
    pop, lat, lon = _grid(30)
    o = simulate_outbreak(pop, lat, lon, OutbreakParams(days=120), seed=3)
    c = o.cases
    counted = np.zeros_like(o.infections)
    np.add.at(counted, (c.region, c.infection_day), 1)
    assert np.all(counted <= o.infections)
    imported = np.zeros_like(o.infections)
    np.add.at(imported, (c.region[c.imported], c.infection_day[c.imported]), 1)
    assert np.all(imported <= o.imported_infections)
    # Right truncation: nothing reported after the last day.
    assert np.all(c.report_hours < 120 * 24)
    assert np.all(np.diff(c.report_hours) >= 0)
    # Susceptible depletion: no region infects more people than it has.
    assert np.all(o.infections.sum(axis=1) <= pop)


def test_seeds_are_external_imports_into_the_origin() -> None:
    pop, lat, lon = _grid(30)
    params = OutbreakParams(days=80, origin=4, ascertainment=1.0, screening_detection=1.0,
                            truncate_at_horizon=False)
    o = simulate_outbreak(pop, lat, lon, params, seed=9)
    c = o.cases
    assert np.all(c.region[c.external] == 4)
    assert np.all(c.origin_region[c.external] == -1)
    domestic = c.imported & ~c.external
    assert domestic.any()
    assert np.all(c.origin_region[domestic] >= 0)
    assert np.all(c.origin_region[domestic] != c.region[domestic])
    assert np.all(c.origin_region[~c.imported] == -1)
    # Each domestic import came along one of its source's travel links.
    for src, dst in zip(c.origin_region[domestic], c.region[domestic], strict=True):
        assert dst in o.mobility_targets[src]


def test_importations_reach_connected_regions_first() -> None:
    # Two clusters of towns 1,000 km apart: the origin's cluster is reached first.
    near_lat = np.array([30.0, 30.1, 30.2, 30.0, 30.1, 30.2])
    near_lon = np.array([114.0, 114.0, 114.0, 114.2, 114.2, 114.2])
    lat = np.concatenate([near_lat, near_lat])
    lon = np.concatenate([near_lon, near_lon + 10.0])
    pop = np.full(12, 5e5)
    params = OutbreakParams(days=120, origin=0, travel_rate=0.01, mobility_neighbours=11,
                            intervention_day=None, r0=2.0)
    near, far = [], []
    for seed in range(6):
        o = simulate_outbreak(pop, lat, lon, params, seed=seed)
        infected = o.infections > 0
        first = np.where(infected.any(axis=1), infected.argmax(axis=1), params.days)
        near.append(first[1:6].mean())
        far.append(first[6:].mean())
    assert np.mean(near) + 10 < np.mean(far)


def test_gravity_links_prefer_big_and_close() -> None:
    pop = np.array([1e6, 1e6, 1e4, 1e6])
    lat = np.array([30.0, 30.1, 30.05, 35.0])
    lon = np.array([114.0, 114.0, 114.0, 114.0])
    targets, shares = gravity_links(pop, lat, lon, neighbours=3, distance_power=2.0,
                                    offset_km=10.0)
    assert targets[0, 0] == 1  # big and 11 km away beats small and 5.5 km away
    assert np.allclose(shares.sum(axis=1), 1.0)
    assert np.all(np.diff(shares, axis=1) <= 0)
    assert 0 not in targets[0]


def test_three_thousand_regions_simulate_in_seconds() -> None:
    pop, lat, lon = _grid(3000)
    start = time.perf_counter()
    o = simulate_outbreak(pop, lat, lon, OutbreakParams(days=200), seed=1)
    elapsed = time.perf_counter() - start
    assert o.infections.shape == (3000, 200)
    assert elapsed < 15.0  # a few seconds on one core; generous for shared CI machines


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"r0": -0.1}, "r0"),
    ({"dispersion_k": 0.0}, "dispersion_k"),
    ({"dispersion_k": -1.0}, "dispersion_k"),
    ({"gi_mean": 0.0}, "gi_mean"),
    ({"gi_sd": -1.0}, "gi_sd"),
    ({"asymptomatic_share": 1.5}, "asymptomatic_share"),
    ({"ascertainment": -0.1}, "ascertainment"),
    ({"intervention_reduction": 2.0}, "intervention_reduction"),
    ({"classification_mix": (0.5, 0.5, 0.5)}, "classification_mix"),
    ({"days": 0}, "days"),
    ({"report_median_hours": 30.0}, "report_median_hours"),
])
def test_bad_params_name_the_parameter(kwargs: dict[str, object], name: str) -> None:
    with pytest.raises(ValueError, match=name):
        OutbreakParams(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(("args", "name"), [
    (([1e5, 1e5], [30.0], [114.0, 114.1]), "latitude"),
    (([1e5, 1e5], [30.0, 30.1], [114.0]), "longitude"),
    (([1e5, -1.0], [30.0, 30.1], [114.0, 114.1]), "population"),
    (([], [], []), "population"),
    (([1e5], [95.0], [114.0]), "latitude"),
])
def test_bad_arrays_name_the_argument(
    args: tuple[list[float], list[float], list[float]], name: str,
) -> None:
    with pytest.raises(ValueError, match=name):
        simulate_outbreak(args[0], args[1], args[2])


def test_origin_outside_the_regions_is_refused() -> None:
    with pytest.raises(ValueError, match="origin"):
        simulate_outbreak([1e5], [30.0], [114.0], OutbreakParams(origin=3))


def test_generation_interval_guards() -> None:
    with pytest.raises(ValueError, match="mean"):
        discretised_gamma(0.0, 1.0)
    with pytest.raises(ValueError, match="sd"):
        discretised_gamma(5.0, 0.0)
    with pytest.raises(ValueError, match="reproduction_number"):
        euler_lotka_growth_rate(-1.0, discretised_gamma(5.0, 2.0))
