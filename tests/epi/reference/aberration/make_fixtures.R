# Reference outputs of surveillance 1.20.3 for shouwang.epi.ears / cusum / farrington.
#
#   cd tests/epi/reference/aberration && Rscript make_fixtures.R
#
# Inputs are written as input_<name>.csv (t, one column per series); outputs as
# <method>_<case>.csv with one row per series and evaluated time step. Numbers are written with
# 17 significant digits; NA stays NA. The tests read these files and never run R.
suppressMessages(library(surveillance))
options(warn = 1)
stopifnot(packageVersion("surveillance") == "1.20.3")

fmt <- function(x) {
  if (is.logical(x)) return(ifelse(is.na(x), "NA", ifelse(x, "TRUE", "FALSE")))
  ifelse(is.na(x), "NA", trimws(formatC(as.numeric(x), digits = 17, format = "g")))
}
write_table <- function(df, file) {
  out <- as.data.frame(lapply(df, function(col) if (is.character(col)) col else fmt(col)),
                       stringsAsFactors = FALSE)
  names(out) <- names(df)
  write.csv(out, file, row.names = FALSE, quote = FALSE)
}
write_input <- function(observed, name) {
  observed <- as.matrix(observed)
  if (is.null(colnames(observed))) colnames(observed) <- paste0("s", seq_len(ncol(observed)))
  df <- data.frame(t = seq_len(nrow(observed)), observed, check.names = FALSE)
  write.csv(df, sprintf("input_%s.csv", name), row.names = FALSE, quote = FALSE)
  observed
}

## ---- inputs -------------------------------------------------------------------------------
data("salmonella.agona"); data("stsNewport"); data("ha.sts")
agona <- write_input(matrix(salmonella.agona$observed, ncol = 1,
                            dimnames = list(NULL, "agona")), "agona")
newport <- write_input(matrix(observed(stsNewport)[, 1], ncol = 1,
                              dimnames = list(NULL, "newport")), "newport")
ha <- write_input(observed(ha.sts), "ha")
# The ?earsC example: a simulated daily point-source series, seeded.
set.seed(20261129)
sim <- sim.pointSource(p = 0.99, r = 0.5, length = 208, A = 1, alpha = 1, beta = 0, phi = 0,
                       frequency = 1, state = NULL, K = 1.7)
simdaily <- write_input(matrix(sim$observed, ncol = 1, dimnames = list(NULL, "sim")), "simdaily")
# Edge cases: an all-zero series, a constant series, a series with one spike.
edge <- cbind(zero = rep(0, 60), constant = rep(5, 60),
              spike = c(rep(c(2, 3, 1, 2), 10), 2, 3, 40, 2, rep(c(1, 2, 3, 2), 4)))
edge <- write_input(edge, "edge")

## ---- EARS ---------------------------------------------------------------------------------
ears_case <- function(observed, case, control) {
  res <- earsC(sts(observed = observed), control = control)
  method <- if (is.null(control$method)) "C1" else control$method
  baseline <- if (is.null(control$baseline)) 7 else control$baseline
  lag <- if (method == "C1") 0 else 2
  rng <- if (is.null(control$range)) (baseline + c(C1 = 1, C2 = 3, C3 = 5)[[method]]):nrow(observed)
         else control$range
  rows <- list()
  for (j in seq_len(ncol(observed))) {
    expected <- sapply(rng, function(t) mean(observed[t - lag - (baseline:1), j]))
    rows[[j]] <- data.frame(series = colnames(observed)[j], t = rng,
                            observed = observed[rng, j], expected = expected,
                            upperbound = upperbound(res)[, j], alarm = alarms(res)[, j],
                            stringsAsFactors = FALSE)
  }
  write_table(do.call(rbind, rows), sprintf("ears_%s.csv", case))
}
for (m in c("C1", "C2", "C3")) {
  ears_case(newport, paste0("newport_", m), list(method = m))
  ears_case(ha, paste0("ha_", m), list(method = m))
  ears_case(simdaily, paste0("simdaily_", m), list(range = 20:208, method = m))
  ears_case(edge, paste0("edge_", m), list(method = m))
}
ears_case(simdaily, "simdaily_C3_alpha0.001", list(range = 20:208, method = "C3", alpha = 0.001))
ears_case(newport, "newport_C2_b10_sigma0.5",
          list(method = "C2", baseline = 10, minSigma = 0.5, alpha = 0.01))
ears_case(newport, "newport_C3_b5_sigma1", list(method = "C3", baseline = 5, minSigma = 1))
ears_case(newport, "newport_C1_range", list(method = "C1", range = 100:200))

## ---- CUSUM --------------------------------------------------------------------------------
cusum_case <- function(observed, case, control, start = c(1, 1), freq = 52) {
  s <- sts(observed = observed, start = start, frequency = freq)
  res <- suppressMessages(cusum(s, control = control, verbose = FALSE))
  rows <- list()
  for (j in seq_len(ncol(observed))) {
    rows[[j]] <- data.frame(series = colnames(observed)[j], t = control$range,
                            observed = observed[control$range, j],
                            upperbound = upperbound(res)[, j], alarm = alarms(res)[, j],
                            cusum = res@control$cusum, stringsAsFactors = FALSE)
  }
  write_table(do.call(rbind, rows), sprintf("cusum_%s.csv", case))
}
# algo.cusum keeps the statistic only for the last series it ran; record it per series.
cusum_case1 <- function(observed, case, control, start = c(1, 1), freq = 52) {
  rows <- list()
  for (j in seq_len(ncol(observed))) {
    dp <- list(observed = observed[, j], state = 0 * observed[, j], start = start, freq = freq)
    class(dp) <- "disProg"
    r <- algo.cusum(dp, control = control)
    rows[[j]] <- data.frame(series = colnames(observed)[j], t = control$range,
                            observed = observed[control$range, j],
                            upperbound = r$upperbound, alarm = as.logical(r$alarm),
                            cusum = r$cusum, stringsAsFactors = FALSE)
  }
  write_table(do.call(rbind, rows), sprintf("cusum_%s.csv", case))
}
for (tr in c("standard", "rossi", "anscombe", "anscombe2nd", "pearsonNegBin", "none")) {
  cusum_case1(agona, paste0("agona_", tr), list(range = 209:312, trans = tr))
}
cusum_case1(agona, "agona_glm", list(range = 209:312, m = "glm"), start = c(1990, 1))
cusum_case1(agona, "agona_glm_rossi", list(range = 209:312, m = "glm", trans = "rossi"),
            start = c(1990, 1))
cusum_case1(agona, "agona_m2_k05_h4", list(range = 209:312, m = 2, k = 0.5, h = 4))
cusum_case1(newport, "newport_standard", list(range = 105:773))
cusum_case1(ha, "ha_standard", list(range = 105:290))
cusum_case1(edge, "edge_standard", list(range = 21:60))
cusum_case1(edge, "edge_glm", list(range = 21:60, m = "glm"))
set.seed(321)
pois <- write_input(matrix(rpois(500, lambda = 5), ncol = 1, dimnames = list(NULL, "pois")),
                    "pois")
cusum_case1(pois, "pois_anscombe", list(range = 100:500, trans = "anscombe"))
# Check the per-series algo.cusum path equals the sts wrapper's upperbound and alarm.
chk <- cusum(sts(observed = agona), control = list(range = 209:312))
r1 <- read.csv("cusum_agona_standard.csv")
stopifnot(all(upperbound(chk)[, 1] == r1$upperbound), all(alarms(chk)[, 1] == r1$alarm))

## ---- Farrington flexible ------------------------------------------------------------------
farr_case <- function(observed, case, control) {
  s <- sts(observed = observed, start = c(1, 1), frequency = 52)
  res <- farringtonFlexible(s, control = control)
  ctl <- res@control
  rng <- if (is.null(control$range)) {
    b <- if (is.null(control$b)) 5 else control$b
    w <- if (is.null(control$w)) 3 else control$w
    (52 * b + w + 1):nrow(observed)
  } else control$range
  rows <- list()
  for (j in seq_len(ncol(observed))) {
    rows[[j]] <- data.frame(series = colnames(observed)[j], t = rng,
                            observed = observed[rng, j], expected = ctl$expected[, j],
                            upperbound = upperbound(res)[, j], alarm = alarms(res)[, j],
                            score = ctl$score[, j], pvalue = ctl$pvalue[, j],
                            trend = ctl$trend[, j], trendVector = ctl$trendVector[, j],
                            phi = ctl$phiVector[, j], mu0 = ctl$mu0Vector[, j],
                            stringsAsFactors = FALSE)
  }
  write_table(do.call(rbind, rows), sprintf("farrington_%s.csv", case))
}
# The two option sets of ?farringtonFlexible.
farr_case(agona, "agona_example1",
          list(range = 282:312, noPeriods = 1, b = 4, w = 3, weightsThreshold = 1,
               pastWeeksNotIncluded = 3, pThresholdTrend = 0.05, alpha = 0.1))
farr_case(agona, "agona_example2",
          list(range = 282:312, noPeriods = 10, b = 4, w = 3, weightsThreshold = 2.58,
               pastWeeksNotIncluded = 26, pThresholdTrend = 1, alpha = 0.1))
farr_case(agona, "agona_default", list())
farr_case(agona, "agona_nbPlugin",
          list(noPeriods = 10, b = 4, pastWeeksNotIncluded = 26, thresholdMethod = "nbPlugin"))
farr_case(agona, "agona_muan",
          list(noPeriods = 10, b = 4, pastWeeksNotIncluded = 26, thresholdMethod = "muan"))
farr_case(agona, "agona_sqrt_noreweight", list(powertrans = "1/2", reweight = FALSE))
farr_case(agona, "agona_none_notrend", list(powertrans = "none", trend = FALSE, b = 3, w = 2))
farr_case(newport, "newport_default", list())
farr_case(newport, "newport_noufaily",
          list(b = 3, noPeriods = 10, pastWeeksNotIncluded = 26, thresholdMethod = "nbPlugin"))
farr_case(newport, "newport_b3_limit", list(b = 3, limit54 = c(0, 4), alpha = 0.01))
farr_case(ha, "ha_default", list(limit54 = c(1, 4)))
# Dated weekly series (epochAsDate = TRUE): R finds each reference week by calendar year,
# 52 or 53 weeks back. stsNewport is dated as shipped; salmonella.agona gets Mondays from 1990.
farr_dated <- function(s, case, control) {
  res <- farringtonFlexible(s, control = control)
  ctl <- res@control
  rng <- if (is.null(control$range)) {
    b <- if (is.null(control$b)) 5 else control$b
    w <- if (is.null(control$w)) 3 else control$w
    (52 * b + w + 1):nrow(s)
  } else control$range
  write_table(data.frame(series = colnames(s)[1], t = rng, date = as.character(epoch(s)[rng]),
                         observed = observed(s)[rng, 1], expected = ctl$expected[, 1],
                         upperbound = upperbound(res)[, 1], alarm = alarms(res)[, 1],
                         score = ctl$score[, 1], pvalue = ctl$pvalue[, 1],
                         trend = ctl$trend[, 1], trendVector = ctl$trendVector[, 1],
                         phi = ctl$phiVector[, 1], mu0 = ctl$mu0Vector[, 1],
                         stringsAsFactors = FALSE),
              sprintf("farrington_%s.csv", case))
}
write.csv(data.frame(date = as.character(epoch(stsNewport)), newport = observed(stsNewport)[, 1]),
          "input_newportdated.csv", row.names = FALSE, quote = FALSE)
agona_dates <- as.Date("1990-01-01") + 7 * (seq_len(nrow(agona)) - 1)
write.csv(data.frame(date = as.character(agona_dates), agona = agona[, 1]),
          "input_agonadated.csv", row.names = FALSE, quote = FALSE)
newport_dated <- stsNewport; colnames(newport_dated@observed) <- "newport"
agona_dated <- sts(observed = agona, epoch = as.numeric(agona_dates), epochAsDate = TRUE,
                   frequency = 52)
farr_dated(newport_dated, "newportdated_default", list())
farr_dated(newport_dated, "newportdated_noufaily",
           list(noPeriods = 10, pastWeeksNotIncluded = 26, thresholdMethod = "nbPlugin"))
farr_dated(agona_dated, "agonadated_example1",
           list(range = 282:312, noPeriods = 1, b = 4, w = 3, weightsThreshold = 1,
                pastWeeksNotIncluded = 3, pThresholdTrend = 0.05, alpha = 0.1))
writeLines(capture.output(sessionInfo()), "sessionInfo.txt")
