# Fixtures for tests/epi/test_nowcast.py, made with R's surveillance package (1.20.3):
#   cd tests/epi/reference/nowcast && Rscript make_fixtures.R
# Data: surveillance's shipped husO104Hosp (hospitalisation and report dates of the 2011 STEC
# O104:H4 outbreak in Germany), the example of ?nowcast (now = 2011-06-10, D = 15).
# Written per case (suffix _<case>.csv):
#   triangle_<case>.csv  the reporting triangle attr(reportingTriangle(nc)) (NA after now)
#   lawless_<case>.csv   per event date t: observed N.tT, the Lawless delay CDF F(now - t)
#                        (rev(delayCDF(nc)$lawless)), the point nowcast N.tT / F, and the
#                        median and 2.5 %/97.5 % limits R reports (upperbound, pi) for method
#                        "lawless" -- all closed form, no random numbers
#   bayes_trunc_<case>.csv  delay d = 0..D: delayCDF(nc)$bayes.trunc, the posterior mean of the
#                        generalized-Dirichlet delay distribution (closed form; the sampled
#                        posterior median nowcast of bayes.trunc is Monte Carlo and not compared)
suppressPackageStartupMessages(library(surveillance))
data("husO104Hosp")
write.csv(data.frame(event_date = format(husO104Hosp$dHosp),
                     report_date = format(husO104Hosp$dReport)),
          "husO104Hosp.csv", row.names = FALSE, quote = FALSE)

cases <- list(
  example = list(now = as.Date("2011-06-10"), D = 15, m = NULL),
  window20 = list(now = as.Date("2011-06-10"), D = 15, m = 20),
  early_d10 = list(now = as.Date("2011-06-02"), D = 10, m = 14)
)
fmt <- function(x) trimws(formatC(x, digits = 17, format = "g"))
for (name in names(cases)) {
  cc <- cases[[name]]
  when <- seq(min(husO104Hosp$dHosp), cc$now, by = "1 day")
  ctl <- list(dRange = c(min(husO104Hosp$dHosp), cc$now), N.tInf.max = 1000)
  sink(tempfile())
  nc <- suppressWarnings(nowcast(now = cc$now, when = when, dEventCol = "dHosp",
                                 dReportCol = "dReport", data = husO104Hosp, D = cc$D,
                                 m = cc$m, method = "lawless", control = ctl))
  ctl.b <- modifyList(ctl, list(N.tInf.prior = structure("poisgamma", mean.lambda = 50,
                                                         var.lambda = 3000), nSamples = 10))
  set.seed(1)
  nb <- suppressWarnings(nowcast(now = cc$now, when = when, dEventCol = "dHosp",
                                 dReportCol = "dReport", data = husO104Hosp, D = cc$D,
                                 m = cc$m, method = "bayes.trunc", control = ctl.b))
  sink()
  rt <- reportingTriangle(nc)
  tri <- as.data.frame(matrix(as.integer(rt), nrow = nrow(rt)))
  names(tri) <- paste0("d", 0:cc$D)
  write.csv(cbind(event_date = rownames(rt), tri), paste0("triangle_", name, ".csv"),
            row.names = FALSE, quote = FALSE, na = "")
  NtT <- attr(rt, "N.tT")
  F <- rev(delayCDF(nc)[["lawless"]])
  idx <- which(epoch(nc) %in% when)
  out <- data.frame(event_date = format(epoch(nc)[idx]), observed = NtT,
                    delay_cdf = fmt(F), nowcast = fmt(NtT / F),
                    median = upperbound(nc)[idx, 1],
                    lower_95 = predint(nc)[idx, 1, 1], upper_95 = predint(nc)[idx, 1, 2])
  write.csv(out, paste0("lawless_", name, ".csv"), row.names = FALSE, quote = FALSE)
  write.csv(data.frame(delay = 0:cc$D, delay_cdf = fmt(delayCDF(nb)[["bayes.trunc"]])),
            paste0("bayes_trunc_", name, ".csv"), row.names = FALSE, quote = FALSE)
  cat(name, ": T =", attr(rt, "T"), " cases =", sum(NtT), "\n")
}
