# Reference values for shouwang.epi.rt and shouwang.epi.serial_interval from EpiEstim.
#
# Run once from the repository root (needs R with EpiEstim 2.2-4, Debian r-cran-epiestim):
#     TZ=UTC Rscript tests/epi/reference/rt/make_fixtures.R
# It writes, beside this script:
#   cases.csv             one row per case: data set, method, SI, prior, windows, cv warning
#   <case>_incidence.csv  the incidence given to estimate_R (columns t, I or t, local, imported)
#   <case>_si.csv         the si_distr estimate_R used (res$si_distr), days 0, 1, ...
#   <case>_R.csv          res$R, every column at full precision (%.17g), NA as NA
#   discr_si.csv          discr_si(k, mu, sigma) for a few (mu, sigma) and k = 0..60
# The tests read these files and never run R.

suppressPackageStartupMessages(library(EpiEstim))
out_dir <- "tests/epi/reference/rt"
stopifnot(packageVersion("EpiEstim") == "2.2.4")

fmt <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))

write_table <- function(df, path) {
  cols <- lapply(df, function(col) if (is.numeric(col)) fmt(col) else as.character(col))
  lines <- do.call(paste, c(cols, sep = ","))
  writeLines(c(paste(names(df), collapse = ","), lines), file.path(out_dir, path))
}

data("Flu2009"); data("Measles1861"); data("SARS2003"); data("mers_2014_15")
data("Flu1918"); data("Smallpox1972")

cases <- list()
add_case <- function(name, data_set, incid, method, config, note = "") {
  warned <- FALSE
  res <- withCallingHandlers(
    suppressMessages(estimate_R(incid, method = method, config = make_config(config))),
    warning = function(w) {
      if (grepl("too early in the epidemic", conditionMessage(w))) warned <<- TRUE
      invokeRestart("muffleWarning")
    })
  if (is.data.frame(incid) && all(c("local", "imported") %in% names(incid))) {
    inc <- data.frame(t = seq_len(nrow(incid)), local = incid$local, imported = incid$imported)
  } else {
    counts <- if (is.data.frame(incid)) incid$I else incid
    inc <- data.frame(t = seq_along(counts), I = counts)
  }
  write_table(inc, paste0(name, "_incidence.csv"))
  write_table(data.frame(day = seq_along(res$si_distr) - 1, p = as.numeric(res$si_distr)),
              paste0(name, "_si.csv"))
  write_table(res$R, paste0(name, "_R.csv"))
  cfg <- make_config(config)
  default_windows <- is.null(config$t_start)
  cases[[length(cases) + 1]] <<- data.frame(
    case = name, data_set = data_set, method = method,
    mean_si = if (is.null(config$mean_si)) NA else config$mean_si,
    std_si = if (is.null(config$std_si)) NA else config$std_si,
    mean_prior = cfg$mean_prior, std_prior = cfg$std_prior, cv_posterior = cfg$cv_posterior,
    windows = if (default_windows) "default" else
      paste0(min(config$t_start), ":", max(config$t_start), "+", config$t_end[1] - config$t_start[1]),
    si_mean = res$SI.Moments$Mean, si_std = res$SI.Moments$Std,
    cv_warning = warned, note = note)
}

T_flu <- nrow(Flu2009$incidence)
add_case("flu2009_nonparametric", "Flu2009", Flu2009$incidence, "non_parametric_si",
         list(si_distr = Flu2009$si_distr), "?estimate_R example 1")
add_case("flu2009_parametric", "Flu2009", Flu2009$incidence, "parametric_si",
         list(mean_si = 2.6, std_si = 1.5), "?estimate_R parametric example")
add_case("flu2009_biweekly", "Flu2009", Flu2009$incidence, "non_parametric_si",
         list(si_distr = Flu2009$si_distr, t_start = seq(2, T_flu - 13),
              t_end = seq(2, T_flu - 13) + 13), "?estimate_R example 2 (14-day windows)")
add_case("flu2009_prior", "Flu2009", Flu2009$incidence, "parametric_si",
         list(mean_si = 2.6, std_si = 1.5, mean_prior = 2, std_prior = 1, cv_posterior = 0.1),
         "non-default prior and cv_posterior")
add_case("measles1861_nonparametric", "Measles1861", Measles1861$incidence, "non_parametric_si",
         list(si_distr = Measles1861$si_distr), "early windows NA (t_end <= mean SI)")
add_case("measles1861_custom", "Measles1861", Measles1861$incidence, "non_parametric_si",
         list(si_distr = Measles1861$si_distr, t_start = seq(17, 42), t_end = seq(23, 48)),
         "windows of the EpiEstim 1.x example")
add_case("sars2003_parametric", "SARS2003", SARS2003$incidence, "parametric_si",
         list(mean_si = 8.4, std_si = 3.8), "SI of Cori et al. 2013 for SARS")
add_case("sars2003_nonparametric", "SARS2003", SARS2003$incidence, "non_parametric_si",
         list(si_distr = SARS2003$si_distr))
add_case("flu1918_parametric", "Flu1918", Flu1918$incidence, "parametric_si",
         list(mean_si = 2.6, std_si = 1.5))
add_case("smallpox1972_nonparametric", "Smallpox1972", Smallpox1972$incidence,
         "non_parametric_si", list(si_distr = Smallpox1972$si_distr))
mers <- data.frame(local = mers_2014_15$incidence$local,
                   imported = mers_2014_15$incidence$imported)
add_case("mers_local_imported", "mers_2014_15", mers, "parametric_si",
         list(mean_si = mers_2014_15$si$mean_si, std_si = mers_2014_15$si$std_si),
         "local and imported cases")
add_case("mers_local_imported_weekly", "mers_2014_15", mers, "parametric_si",
         list(mean_si = mers_2014_15$si$mean_si, std_si = mers_2014_15$si$std_si,
              t_start = seq(2, nrow(mers) - 6, by = 7), t_end = seq(2, nrow(mers) - 6, by = 7) + 6),
         "non-overlapping weekly windows")
zero_start <- c(rep(0, 14), 1, 2, 4, 3, 7, 9, 12, 10, 15, 18, 14, 11, 9, 6, 4, 2)
add_case("zero_start_parametric", "own", zero_start, "parametric_si",
         list(mean_si = 2.6, std_si = 1.5), "14 days without a case then an outbreak")
add_case("all_zero_parametric", "own", rep(0, 20), "parametric_si",
         list(mean_si = 2.6, std_si = 1.5), "no case at all so the posterior is the prior")

write_table(do.call(rbind, cases), "cases.csv")

grid <- expand.grid(k = 0:60, i = 1:6)
params <- data.frame(mu = c(2.6, 8.4, 6.8, 1.5, 15, 3), sigma = c(1.5, 3.8, 4.1, 0.3, 10, 0.5))
discr <- do.call(rbind, lapply(seq_len(nrow(params)), function(i) {
  data.frame(mu = params$mu[i], sigma = params$sigma[i], k = 0:60,
             p = discr_si(0:60, params$mu[i], params$sigma[i]))
}))
write_table(discr, "discr_si.csv")
cat("wrote", length(cases), "cases\n")
