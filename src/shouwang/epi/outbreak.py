"""A synthetic outbreak: a stochastic renewal process in every region at once, seeded by
importations along travel links, observed through realistic delays, into a line list of cases.

Used for demo data and for testing the analytics against a known truth (the daily infection
matrix and R_t are returned alongside the cases).

Model
-----
Infections in region r on day t (t = 0 … T−1)::

    Λ[r,t] = Σ_{s=1}^{S} w_s I[r,t−s]                      (infectious pressure)
    L[r,t] ~ NegBin(mean = R_t[r] S[r,t] Λ[r,t], dispersion = k Λ[r,t])   (local infections)
    M[r,t] ~ Poisson(τ Σ_j Λ[j,t] G[j,r])                   (importations from other regions)
    I[r,t] = L[r,t] + M[r,t] + seeds[r,t]

S[r,t] = 1 − Σ_{u<t} I[r,u] / P_r is the susceptible share (P_r the population), so that no
region infects more people than it has. The dispersion of the local draw is k times the number
of effective infectors, since the sum of n independent NegBin(R, k) offspring counts is
NegBin(nR, nk) (Lloyd-Smith et al. 2005); a single infector gives the superspreading of
individual-level k, a thousand give nearly Poisson noise.
G is a gravity mobility matrix, G[j,r] ∝ P_j P_r / (d_jr + d₀)^γ over the `mobility_neighbours`
strongest links of j, rows summing to one, and τ the daily share of infectious pressure that
travels. An importation is counted as an infection of the destination (an imported case) and does
not reduce the source, since travellers are a small share of it.

References
----------
Fraser C (2007). Estimating individual and household reproduction numbers in an emerging
epidemic. PLoS ONE 2(8):e758. doi:10.1371/journal.pone.0000758
Cori A, Ferguson NM, Fraser C, Cauchemez S (2013). Am J Epidemiol 178(9):1505-1512.
doi:10.1093/aje/kwt133
Lloyd-Smith JO, Schreiber SJ, Kopp PE, Getz WM (2005). Superspreading and the effect of
individual variation on disease emergence. Nature 438:355-359. doi:10.1038/nature04153
Viboud C, Bjørnstad ON, Smith DL, et al. (2006). Synchrony, waves, and spatial hierarchies in
the spread of influenza. Science 312:447-451. doi:10.1126/science.1125237 (gravity model)
Li Q, Guan X, Wu P, et al. (2020). Early transmission dynamics in Wuhan, China, of novel
coronavirus-infected pneumonia. N Engl J Med 382:1199-1207. doi:10.1056/NEJMoa2001316
(incubation mean 5.2 d; serial interval 7.5 ± 3.4 d)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from shouwang.epi.delays import discretised_gamma, gamma_shape_scale, lognormal_mu_sigma

EARTH_RADIUS_KM = 6371.0
_T = TypeVar("_T", bound=np.generic)

# Classification and severity codes match shouwang.surveillance.models (kept as plain strings so
# that this module stays free of Django).
CLASSIFICATIONS = ("confirmed", "clinical", "suspected", "asymptomatic")
SEVERITIES = ("mild", "moderate", "severe", "critical")

# Age of infected people: bands and weights close to China's 2020 census pyramid, with fewer
# children (they were infected and detected less in 2020).
_AGE_BANDS = np.array([0, 10, 20, 30, 40, 50, 60, 70, 80, 90])
_AGE_WEIGHTS = np.array([0.04, 0.05, 0.13, 0.17, 0.17, 0.18, 0.14, 0.08, 0.035, 0.005])


@dataclass(frozen=True)
class OutbreakParams:
    """Every option of the simulation, validated on creation.

    Transmission: `r0` (mean R before control, ≥ 0), `r0_region_sd` (log-scale sd of the
    regional variation of R), `dispersion_k` (> 0), the generation interval (gamma, mean and sd
    in days), control that starts on `intervention_day` (± `intervention_jitter_days` by region)
    and brings R down by `intervention_reduction` (a share, ± `reduction_region_sd`) over
    `intervention_ramp_days`.
    Seeding: `initial_seeds` infections imported from outside into region `origin` over the
    first `seed_days` days; `travel_rate` of infectious pressure travels daily along the
    `mobility_neighbours` strongest gravity links (`gravity_distance_power`, `gravity_offset_km`).
    Observation: `asymptomatic_share`, of which `screening_detection` are found; symptomatic
    infections ascertained with `ascertainment`; incubation lognormal; onset-to-diagnosis gamma
    whose mean falls from `diagnosis_delay_early` to `diagnosis_delay_late` days between the
    intervention and `response_maturity_days` after it; diagnosis-to-report in hours, late
    (past `report_deadline_hours`) for `late_report_share`; a classification mix for
    symptomatic cases; severity and death by age. Cases reported after the last day are dropped
    when `truncate_at_horizon` (the line list a system would hold on that day).
    """

    days: int = 200
    r0: float = 2.5
    r0_region_sd: float = 0.15
    dispersion_k: float = 0.5
    gi_mean: float = 5.2
    gi_sd: float = 2.8
    gi_max_days: int = 21
    intervention_day: int | None = 45
    intervention_jitter_days: int = 7
    intervention_ramp_days: int = 10
    intervention_reduction: float = 0.75
    reduction_region_sd: float = 0.08
    origin: int = 0
    initial_seeds: int = 5
    seed_days: int = 3
    travel_rate: float = 0.004
    mobility_neighbours: int = 20
    gravity_distance_power: float = 2.0
    gravity_offset_km: float = 10.0
    asymptomatic_share: float = 0.3
    screening_detection: float = 0.4
    ascertainment: float = 0.7
    incubation_mean: float = 5.6
    incubation_sd: float = 2.8
    diagnosis_delay_early: float = 5.0
    diagnosis_delay_late: float = 2.0
    diagnosis_delay_sd_ratio: float = 0.7
    response_maturity_days: int = 21
    screening_delay_mean: float = 6.0
    report_median_hours: float = 4.0
    report_deadline_hours: float = 24.0
    late_report_share: float = 0.03
    classification_mix: tuple[float, float, float] = (0.86, 0.08, 0.06)
    male_share: float = 0.51
    truncate_at_horizon: bool = True

    def __post_init__(self) -> None:
        def need(ok: bool, name: str, rule: str) -> None:
            if not ok:
                raise ValueError(f"{name} must be {rule}, got {getattr(self, name)!r}")

        need(self.days >= 1, "days", "≥ 1")
        need(self.r0 >= 0, "r0", "≥ 0")
        need(self.r0_region_sd >= 0, "r0_region_sd", "≥ 0")
        need(self.dispersion_k > 0, "dispersion_k", "> 0")
        need(self.gi_mean > 0, "gi_mean", "> 0")
        need(self.gi_sd > 0, "gi_sd", "> 0")
        need(self.gi_max_days >= 1, "gi_max_days", "≥ 1")
        need(self.intervention_day is None or self.intervention_day >= 0,
             "intervention_day", "≥ 0 or None")
        need(self.intervention_jitter_days >= 0, "intervention_jitter_days", "≥ 0")
        need(self.intervention_ramp_days >= 1, "intervention_ramp_days", "≥ 1")
        need(0 <= self.intervention_reduction <= 1, "intervention_reduction", "in [0, 1]")
        need(self.reduction_region_sd >= 0, "reduction_region_sd", "≥ 0")
        need(self.origin >= 0, "origin", "≥ 0")
        need(self.initial_seeds >= 1, "initial_seeds", "≥ 1")
        need(self.seed_days >= 1, "seed_days", "≥ 1")
        need(self.travel_rate >= 0, "travel_rate", "≥ 0")
        need(self.mobility_neighbours >= 1, "mobility_neighbours", "≥ 1")
        need(self.gravity_distance_power >= 0, "gravity_distance_power", "≥ 0")
        need(self.gravity_offset_km > 0, "gravity_offset_km", "> 0")
        for name in ("asymptomatic_share", "screening_detection", "ascertainment",
                     "late_report_share", "male_share"):
            need(0 <= getattr(self, name) <= 1, name, "in [0, 1]")
        for name in ("incubation_mean", "incubation_sd", "diagnosis_delay_early",
                     "diagnosis_delay_late", "diagnosis_delay_sd_ratio", "screening_delay_mean",
                     "report_median_hours", "report_deadline_hours"):
            need(getattr(self, name) > 0, name, "> 0")
        need(self.response_maturity_days >= 1, "response_maturity_days", "≥ 1")
        need(self.report_median_hours < self.report_deadline_hours, "report_median_hours",
             "below report_deadline_hours")
        mix = self.classification_mix
        need(len(mix) == 3 and all(p >= 0 for p in mix) and abs(sum(mix) - 1) < 1e-9,
             "classification_mix", "three non-negative shares summing to 1")


@dataclass(frozen=True)
class Cases:
    """The simulated line list, one entry per case in every array (struct of arrays).

    Days are offsets from day 0 of the simulation; hours are offsets from day 0 at 00:00.
    `onset_day` is −1 for asymptomatic cases (they have no onset). `origin_region` is the
    index of the region an imported case came from, or −1 for local cases and for cases imported
    from outside the simulated regions (`external`). `death_day` is −1 unless the case died
    within the horizon.
    """

    region: NDArray[np.int64]
    infection_day: NDArray[np.int64]
    onset_day: NDArray[np.int64]
    diagnosis_hours: NDArray[np.float64]
    report_hours: NDArray[np.float64]
    classification: NDArray[np.str_]
    severity: NDArray[np.str_]  # "" for asymptomatic cases
    age: NDArray[np.int64]
    sex: NDArray[np.str_]  # "M" or "F"
    imported: NDArray[np.bool_]
    external: NDArray[np.bool_]
    origin_region: NDArray[np.int64]
    death_day: NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.region.size)


@dataclass(frozen=True)
class Outbreak:
    """Truth and observation: infections[r, t], R_t[r, t], the mobility matrix and the cases."""

    infections: NDArray[np.int64]
    imported_infections: NDArray[np.int64]
    reproduction_number: NDArray[np.float64]
    generation_interval: NDArray[np.float64]
    mobility_targets: NDArray[np.int64]  # [region, k]: the k-th strongest destination
    mobility_shares: NDArray[np.float64]  # [region, k]: its share of the region's travel
    cases: Cases


def haversine_km(lat: NDArray[np.float64], lon: NDArray[np.float64],
                 lat2: NDArray[np.float64], lon2: NDArray[np.float64]) -> NDArray[np.float64]:
    """Great-circle distance in km between points given in degrees (broadcasting)."""
    p1, p2 = np.radians(lat), np.radians(lat2)
    dphi, dlmb = p2 - p1, np.radians(lon2) - np.radians(lon)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1))))


def gravity_links(
    population: NDArray[np.float64], lat: NDArray[np.float64], lon: NDArray[np.float64], *,
    neighbours: int, distance_power: float, offset_km: float,
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """The strongest travel links of every region under a gravity model.

    Flow j → r ∝ P_j P_r / (d_jr + d₀)^γ (r ≠ j). For each j the `neighbours` largest flows are
    kept and normalised to shares summing to one (a region with no other region gets none).

    Returns
    -------
    targets : (n, K) int array of destination indices, strongest first
    shares : (n, K) float array of shares (0 where a region has fewer than K others)
    """
    n = population.size
    k = min(neighbours, max(n - 1, 0))
    targets = np.zeros((n, max(k, 1)), dtype=np.int64)
    shares = np.zeros((n, max(k, 1)), dtype=np.float64)
    if k == 0:
        return targets, shares
    # Row blocks keep memory at block × n even for 3,000 regions.
    block = 512
    for start in range(0, n, block):
        stop = min(start + block, n)
        d = haversine_km(lat[start:stop, None], lon[start:stop, None], lat[None, :], lon[None, :])
        flow = (population[start:stop, None] * population[None, :]
                / (d + offset_km) ** distance_power)
        flow[np.arange(stop - start), np.arange(start, stop)] = -np.inf
        top = np.argpartition(-flow, k - 1, axis=1)[:, :k]
        top_flow = np.take_along_axis(flow, top, axis=1)
        order = np.argsort(-top_flow, axis=1)
        top = np.take_along_axis(top, order, axis=1)
        top_flow = np.take_along_axis(top_flow, order, axis=1)
        targets[start:stop] = top
        shares[start:stop] = top_flow / top_flow.sum(axis=1, keepdims=True)
    return targets, shares


def reproduction_numbers(params: OutbreakParams, n_regions: int,
                         rng: np.random.Generator) -> NDArray[np.float64]:
    """R_t[r, t]: each region's R0 (lognormal around `r0`, mean preserved), falling linearly over
    the ramp from its own intervention day to R0 × (1 − its reduction)."""
    p = params
    sd = p.r0_region_sd
    r0 = (p.r0 * np.exp(rng.normal(-sd * sd / 2, sd, n_regions)) if sd > 0
          else np.full(n_regions, p.r0))
    rt = np.repeat(r0[:, None], p.days, axis=1)
    if p.intervention_day is None:
        return rt
    start = p.intervention_day + rng.integers(-p.intervention_jitter_days,
                                              p.intervention_jitter_days + 1, n_regions)
    reduction = np.clip(rng.normal(p.intervention_reduction, p.reduction_region_sd, n_regions),
                        0.0, 1.0) if p.reduction_region_sd > 0 else np.full(
                            n_regions, p.intervention_reduction)
    t = np.arange(p.days)[None, :]
    progress = np.clip((t - start[:, None]) / p.intervention_ramp_days, 0.0, 1.0)
    return np.asarray(rt * (1.0 - reduction[:, None] * progress))


def _negbin(rng: np.random.Generator, mean: NDArray[np.float64],
            size: NDArray[np.float64]) -> NDArray[np.int64]:
    """NegBin(mean, size) as a gamma–Poisson mixture; zero where the mean or the size is zero."""
    out = np.zeros(mean.shape, dtype=np.int64)
    live = (mean > 0) & (size > 0)
    if np.any(live):
        out[live] = rng.poisson(rng.gamma(size[live], mean[live] / size[live]))
    return out


def simulate_outbreak(
    population: NDArray[np.float64] | list[float],
    latitude: NDArray[np.float64] | list[float],
    longitude: NDArray[np.float64] | list[float],
    params: OutbreakParams | None = None,
    *,
    seed: int = 0,
) -> Outbreak:
    """Simulate infections in every region and the cases a surveillance system would see.

    Parameters
    ----------
    population, latitude, longitude : array_like, shape (n,)
        Each region's population (> 0) and centroid in degrees.
    params : OutbreakParams
        The options (defaults: a COVID-19-like outbreak with control from day 45).
    seed : int
        Seed of the numpy Generator: the same inputs and seed give the same outbreak.

    Returns
    -------
    Outbreak
        infections[r, t] (including importations), imported_infections[r, t], R_t[r, t], the
        generation interval w_1 … w_S, the mobility links and the line list.
    """
    p = params or OutbreakParams()
    pop = np.asarray(population, dtype=np.float64)
    lat = np.asarray(latitude, dtype=np.float64)
    lon = np.asarray(longitude, dtype=np.float64)
    if pop.ndim != 1 or pop.size == 0:
        raise ValueError("population must be a non-empty 1-d array")
    if lat.shape != pop.shape:
        raise ValueError(f"latitude must have shape {pop.shape}, got {lat.shape}")
    if lon.shape != pop.shape:
        raise ValueError(f"longitude must have shape {pop.shape}, got {lon.shape}")
    if not np.all(np.isfinite(pop)) or np.any(pop <= 0):
        raise ValueError("population must be finite and > 0 in every region")
    if not (np.all(np.isfinite(lat)) and np.all(np.abs(lat) <= 90)):
        raise ValueError("latitude must be finite degrees within ±90")
    if not (np.all(np.isfinite(lon)) and np.all(np.abs(lon) <= 180)):
        raise ValueError("longitude must be finite degrees within ±180")
    if p.origin >= pop.size:
        raise ValueError(f"origin must be a region index below {pop.size}, got {p.origin}")

    rng = np.random.default_rng(seed)
    n, days = pop.size, p.days
    w = discretised_gamma(p.gi_mean, p.gi_sd, max_days=p.gi_max_days)
    w_rev = w[::-1].copy()
    span = w.size
    targets, shares = gravity_links(pop, lat, lon, neighbours=p.mobility_neighbours,
                                    distance_power=p.gravity_distance_power,
                                    offset_km=p.gravity_offset_km)
    rt = reproduction_numbers(p, n, rng)

    # Leading zero columns let every day read a full window of `span` past days.
    padded = np.zeros((n, span + days), dtype=np.int64)
    imported = np.zeros((n, days), dtype=np.int64)
    seeds = np.zeros((n, days), dtype=np.int64)
    cumulative = np.zeros(n, dtype=np.float64)
    seed_counts = rng.multinomial(p.initial_seeds, np.full(min(p.seed_days, days),
                                                           1.0 / min(p.seed_days, days)))
    seeds[p.origin, : seed_counts.size] = seed_counts
    # Importations between regions, kept as (day, source, destination, count) for their origins.
    moves: list[tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64],
                      NDArray[np.int64]]] = []
    for t in range(days):
        pressure = padded[:, t : t + span].astype(np.float64) @ w_rev
        susceptible = np.clip(1.0 - cumulative / pop, 0.0, 1.0)
        local = _negbin(rng, rt[:, t] * susceptible * pressure, p.dispersion_k * pressure)
        travel_mean = p.travel_rate * pressure[:, None] * shares
        arriving = np.zeros(n, dtype=np.int64)
        if p.travel_rate > 0 and np.any(travel_mean > 0):
            src, slot = np.nonzero(travel_mean > 0)
            counts = rng.poisson(travel_mean[src, slot])
            hit = counts > 0
            if np.any(hit):
                dst = targets[src[hit], slot[hit]]
                arriving = np.bincount(dst, weights=counts[hit], minlength=n).astype(np.int64)
                moves.append((np.full(int(hit.sum()), t, dtype=np.int64), src[hit], dst,
                              counts[hit]))
        imported[:, t] = arriving
        padded[:, span + t] = local + arriving + seeds[:, t]
        cumulative += padded[:, span + t]
    infections = padded[:, span:]

    cases = _observe(p, rng, infections, imported, seeds, moves)
    return Outbreak(infections=infections, imported_infections=imported + seeds,
                    reproduction_number=rt, generation_interval=w, mobility_targets=targets,
                    mobility_shares=shares, cases=cases)


def _expand_cells(counts: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(region, day) of every unit counted in a regions × days matrix."""
    r, t = np.nonzero(counts)
    reps = counts[r, t]
    return np.repeat(r, reps).astype(np.int64), np.repeat(t, reps).astype(np.int64)


def _observe(
    p: OutbreakParams, rng: np.random.Generator, infections: NDArray[np.int64],
    imported: NDArray[np.int64], seeds: NDArray[np.int64],
    moves: list[tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64],
                      NDArray[np.int64]]],
) -> Cases:
    """Turn infections into reported cases: who is found, when, and what the report says."""
    local = infections - imported - seeds
    # Thinning by cell keeps the work proportional to cases, not infections.
    groups: list[tuple[str, bool, NDArray[np.int64], NDArray[np.int64]]] = []
    for source, matrix in (("local", local), ("domestic", imported), ("external", seeds)):
        asym = rng.binomial(matrix, p.asymptomatic_share)
        sym = matrix - asym
        found_sym = rng.binomial(sym, p.ascertainment)
        found_asym = rng.binomial(asym, p.screening_detection)
        for has_symptoms, found in ((True, found_sym), (False, found_asym)):
            cell_region, cell_day = _expand_cells(found)
            groups.append((source, has_symptoms, cell_region, cell_day))

    region = np.concatenate([g[2] for g in groups])
    inf_day = np.concatenate([g[3] for g in groups])
    symptomatic = np.concatenate([np.full(g[2].size, g[1]) for g in groups])
    kind = np.concatenate([np.full(g[2].size, g[0]) for g in groups])
    n = region.size

    origin = np.full(n, -1, dtype=np.int64)
    domestic = kind == "domestic"
    if np.any(domestic) and moves:
        origin[domestic] = _draw_origins(rng, region[domestic], inf_day[domestic], moves)

    infection_time = inf_day + rng.random(n)
    mu, sigma = lognormal_mu_sigma(p.incubation_mean, p.incubation_sd)
    onset_time = infection_time + rng.lognormal(mu, sigma, n)
    onset_day = np.floor(onset_time).astype(np.int64)

    # The response matures: the mean onset-to-diagnosis delay falls after the intervention.
    t0 = p.intervention_day if p.intervention_day is not None else p.days
    progress = np.clip((onset_time - t0) / p.response_maturity_days, 0.0, 1.0)
    early, late_mean = p.diagnosis_delay_early, p.diagnosis_delay_late
    delay_mean = early + (late_mean - early) * progress
    shape, _ = gamma_shape_scale(1.0, p.diagnosis_delay_sd_ratio)
    diagnosis_delay = rng.gamma(shape, delay_mean / shape)
    screening = rng.exponential(p.screening_delay_mean, n)
    diagnosis_time = np.where(symptomatic, onset_time + diagnosis_delay, infection_time + screening)

    # Most reports within the deadline (lognormal around the median, capped below it); a few late.
    hours = np.minimum(rng.lognormal(np.log(p.report_median_hours), 0.8, n),
                       p.report_deadline_hours * rng.uniform(0.9, 0.999, n))
    late = rng.random(n) < p.late_report_share
    hours = np.where(late, p.report_deadline_hours + rng.exponential(p.report_deadline_hours, n),
                     hours)
    diagnosis_hours = diagnosis_time * 24.0
    report_hours = diagnosis_hours + hours

    age = np.minimum(rng.choice(_AGE_BANDS, n, p=_AGE_WEIGHTS / _AGE_WEIGHTS.sum())
                     + rng.integers(0, 10, n), 99).astype(np.int64)
    sex = np.where(rng.random(n) < p.male_share, "M", "F")

    classification = np.where(
        symptomatic,
        np.asarray(CLASSIFICATIONS[:3])[rng.choice(3, n, p=np.asarray(p.classification_mix))],
        "asymptomatic",
    )
    severity, death_time = _severity_and_death(rng, age, onset_time)
    severity = np.where(symptomatic, severity, "")
    death_day = np.where(symptomatic & np.isfinite(death_time),
                         np.floor(np.nan_to_num(death_time, nan=-1.0, posinf=-1.0)), -1)

    onset_day = np.where(symptomatic, onset_day, -1)
    keep = np.ones(n, dtype=bool)
    if p.truncate_at_horizon:
        keep = report_hours < p.days * 24.0
        death_day = np.where(death_day < p.days, death_day, -1)

    # A stable order (by report time) makes the line list read like a register.
    order = np.argsort(report_hours[keep], kind="stable")

    def pick(a: NDArray[_T]) -> NDArray[_T]:
        return a[keep][order]

    return Cases(
        region=pick(region), infection_day=pick(inf_day), onset_day=pick(onset_day),
        diagnosis_hours=pick(diagnosis_hours), report_hours=pick(report_hours),
        classification=pick(classification), severity=pick(severity), age=pick(age),
        sex=pick(sex), imported=pick(kind != "local"), external=pick(kind == "external"),
        origin_region=pick(origin), death_day=pick(death_day.astype(np.int64)),
    )


def _draw_origins(
    rng: np.random.Generator, region: NDArray[np.int64], day: NDArray[np.int64],
    moves: list[tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64],
                      NDArray[np.int64]]],
) -> NDArray[np.int64]:
    """Source region of each imported case, drawn from the importations into its cell.

    Cases are a thinned subset of the importations, so each case takes the source of a
    uniformly chosen importation into the same (destination, day).
    """
    days = np.concatenate([m[0] for m in moves])
    src = np.concatenate([m[1] for m in moves])
    dst = np.concatenate([m[2] for m in moves])
    cnt = np.concatenate([m[3] for m in moves])
    # One row per travelling infection, sorted by cell so that each cell is a contiguous run.
    days, src, dst = (np.repeat(a, cnt) for a in (days, src, dst))
    n_regions = int(max(dst.max(), region.max())) + 1
    cell = days * n_regions + dst
    order = np.argsort(cell, kind="stable")
    cell, src = cell[order], src[order]
    want = day * n_regions + region
    first = np.searchsorted(cell, want, side="left")
    size = np.searchsorted(cell, want, side="right") - first
    pick = first + np.floor(rng.random(want.size) * size).astype(np.int64)
    return np.asarray(src[pick], dtype=np.int64)


def _severity_and_death(rng: np.random.Generator, age: NDArray[np.int64],
                        onset_time: NDArray[np.float64]) -> tuple[NDArray[np.str_],
                                                                   NDArray[np.float64]]:
    """Severity from age (severe and critical rising steeply after 50) and a death time.

    The severe + critical share runs from about 3 % under 30 to about 40 % over 80, near the
    Chinese CDC's 72,314-case report (Wu Z, McGoogan JM 2020, JAMA 323:1239-1242,
    doi:10.1001/jama.2020.2648); death is confined to severe (3 %) and critical (40 %) cases,
    about 2 % of symptomatic cases overall, 14 days (gamma, sd 7) after onset on average.
    """
    n = age.size
    p_severe = np.clip(0.02 + 0.38 / (1 + np.exp(-(age - 68) / 7.0)), 0, 0.6)
    p_critical = p_severe * 0.3
    p_moderate = 0.6 * (1 - p_severe)
    u = rng.random(n)
    severity = np.select(
        [u < p_critical, u < p_severe, u < p_severe + p_moderate],
        ["critical", "severe", "moderate"], "mild",
    )
    p_death = np.select([severity == "critical", severity == "severe"], [0.4, 0.03], 0.0)
    dies = rng.random(n) < p_death
    shape, scale = gamma_shape_scale(14.0, 7.0)
    death_time = np.where(dies, onset_time + rng.gamma(shape, scale, n), np.inf)
    return severity.astype(np.str_), death_time
