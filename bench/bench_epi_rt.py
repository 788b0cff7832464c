"""R_t (Cori et al. 2013) for 2,900 series × 365 days, against EpiEstim's estimate_R looped in R.

Synthetic daily counts (a negative-binomial epidemic curve per series, some series silent) are
estimated with EpiEstim's defaults (weekly sliding windows, prior mean 5 sd 5) for a parametric
serial interval (mean 2.6, sd 1.5) and for Flu2009's non-parametric one; best of 5 runs. When
Rscript and EpiEstim are present, estimate_R is looped over the first BENCH_R_SERIES series (30 by
default) in one R session, timed inside R (startup and library loading excluded), extrapolated
linearly to all series, and its output compared with ours on those series. A renewal forecast
(14 days, 1,000 paths per series) is timed as well.

Targets (issue 4): < 1 s, and ≥ 200× faster than EpiEstim looped in R.

    .venv/bin/python -m bench.bench_epi_rt
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from bench.common import best_of, write_result
from shouwang.epi.forecast import forecast
from shouwang.epi.rt import PosteriorCVWarning, estimate_r

SERIES = int(os.environ.get("BENCH_SERIES", "2900"))
DAYS = 365
R_SERIES = int(os.environ.get("BENCH_R_SERIES", "30"))
FLU2009_SI = [0, 0.233, 0.359, 0.198, 0.103, 0.053, 0.027, 0.014, 0.007, 0.003, 0.002, 0.001]

R_SCRIPT = r"""
suppressPackageStartupMessages(library(EpiEstim))
args <- commandArgs(trailingOnly = TRUE)
counts <- as.matrix(read.csv(args[1], header = FALSE))
started <- proc.time()[["elapsed"]]
out <- lapply(seq_len(ncol(counts)), function(i) {
  res <- suppressWarnings(suppressMessages(
    estimate_R(counts[, i], method = "parametric_si",
               config = make_config(list(mean_si = 2.6, std_si = 1.5)))))
  res$R[["Mean(R)"]]
})
elapsed <- proc.time()[["elapsed"]] - started
write.table(do.call(cbind, out), args[2], sep = ",", row.names = FALSE, col.names = FALSE)
cat(sprintf("%.6f\n", elapsed))
cat(as.character(packageVersion("EpiEstim")), "\n")
"""


def synthetic_counts(series: int, days: int, seed: int = 20260101) -> np.ndarray:
    """Epidemic curves of random size, peak and width, observed with negative-binomial noise;
    one series in ten stays silent (all zero)."""
    rng = np.random.default_rng(seed)
    t = np.arange(days)[None, :]
    peak = rng.uniform(60, 300, (series, 1))
    width = rng.uniform(15, 60, (series, 1))
    height = rng.lognormal(np.log(20), 1.2, (series, 1))
    mean = 0.3 + height * np.exp(-0.5 * ((t - peak) / width) ** 2)
    counts = rng.poisson(rng.gamma(2.0, mean / 2.0)).astype(np.float64)
    counts[rng.random(series) < 0.1] = 0.0
    return counts


def r_loop(counts: np.ndarray) -> dict[str, object] | None:
    """EpiEstim's estimate_R looped over the given series in one R session, or None without R."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        inp, out, script = Path(tmp) / "in.csv", Path(tmp) / "out.csv", Path(tmp) / "loop.R"
        np.savetxt(inp, counts.T, fmt="%d", delimiter=",")
        script.write_text(R_SCRIPT)
        env = {**os.environ, "TZ": "UTC"}
        done = subprocess.run([rscript, str(script), str(inp), str(out)], capture_output=True,
                              text=True, env=env, check=False, timeout=1800)
        if done.returncode != 0 or "there is no package" in done.stderr:
            print("R run failed:", done.stderr[-500:])
            return None
        lines = done.stdout.split()
        means = np.loadtxt(out, delimiter=",", ndmin=2).T
    return {"seconds": float(lines[0]), "epiestim_version": lines[1], "means": means}


def main() -> None:
    counts = synthetic_counts(SERIES, DAYS)
    warnings.simplefilter("ignore", PosteriorCVWarning)

    def parametric() -> None:
        estimate_r(counts, mean_si=2.6, std_si=1.5)

    def non_parametric() -> None:
        estimate_r(counts, si_distr=FLU2009_SI)

    parametric()  # warm-up (imports, BLAS threads)
    python_s = best_of(5, parametric)
    python_np_s = best_of(5, non_parametric)
    t0 = time.perf_counter()
    forecast(counts, mean_si=2.6, std_si=1.5, horizon=14, samples=1000, seed=1)
    forecast_s = time.perf_counter() - t0

    figures: dict[str, object] = {
        "series": SERIES,
        "days": DAYS,
        "windows_per_series": DAYS - 7,
        "counts": "synthetic negative-binomial epidemic curves, 10% of series all zero",
        "python_parametric_si_seconds": round(python_s, 4),
        "python_non_parametric_si_seconds": round(python_np_s, 4),
        "forecast_14_days_1000_paths_seconds": round(forecast_s, 2),
        "machine_note": "2 shared CPUs, other engineers' jobs running at the same time",
    }
    r = r_loop(counts[:R_SERIES])
    if r is None:
        figures["r"] = "Rscript or EpiEstim not found: R side skipped"
    else:
        ours = estimate_r(counts[:R_SERIES], mean_si=2.6, std_si=1.5).mean
        theirs = np.asarray(r["means"])
        both = np.isfinite(ours) & np.isfinite(theirs)
        rel = np.abs(ours[both] - theirs[both]) / np.abs(theirs[both])
        per_series = float(r["seconds"]) / R_SERIES  # type: ignore[arg-type]
        extrapolated = per_series * SERIES
        figures.update({
            "r_epiestim_version": r["epiestim_version"],
            "r_series_timed": R_SERIES,
            "r_loop_seconds_measured": round(float(r["seconds"]), 3),  # type: ignore[arg-type]
            "r_seconds_per_series": round(per_series, 4),
            "r_seconds_all_series_extrapolated": round(extrapolated, 1),
            "r_extrapolation": f"linear: {R_SERIES} series timed in one R session, "
                               f"× {SERIES}/{R_SERIES}",
            "speedup_vs_r_parametric": round(extrapolated / python_s, 1),
            "max_relative_difference_mean_r_vs_epiestim": float(rel.max()) if rel.size else None,
            "na_pattern_identical": bool(np.array_equal(np.isnan(ours), np.isnan(theirs))),
        })
    write_result("epi_rt", figures, targets={"python_seconds": "< 1", "speedup_vs_r": ">= 200"})


if __name__ == "__main__":
    main()
