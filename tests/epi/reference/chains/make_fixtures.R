# Reference fits of the offspring distribution for shouwang.epi.chains.negbin_fit.
#
#   cd tests/epi/reference/chains && Rscript make_fixtures.R
#
# Each sample is written as sample_<name>.csv (one count per row); fits.csv holds, per sample,
# MASS::fitdistr(x, "negative binomial") (optim, its default tolerance) and the exact maximum
# of the profile likelihood in R (mu = mean(x), k by optimize over log k, tol 1e-12) with the
# log-likelihood from dnbinom. The tests read these files and never run R.
suppressMessages(library(MASS))
fmt <- function(x) trimws(formatC(as.numeric(x), digits = 17, format = "g"))

samples <- list()
set.seed(1); samples$sse <- rnbinom(500, size = 0.3, mu = 1.5)       # super-spreading
set.seed(2); samples$moderate <- rnbinom(2000, size = 2, mu = 0.8)
set.seed(3); samples$subcritical <- rnbinom(300, size = 0.15, mu = 0.6)

rows <- list()
for (name in names(samples)) {
  x <- samples[[name]]
  write.csv(data.frame(offspring = x), sprintf("sample_%s.csv", name), row.names = FALSE,
            quote = FALSE)
  f <- suppressWarnings(fitdistr(x, "negative binomial"))
  mu <- mean(x)
  prof <- function(t) -sum(dnbinom(x, size = exp(t), mu = mu, log = TRUE))
  best <- optimize(prof, c(-12, 12), tol = 1e-12)
  k <- exp(best$minimum)
  rows[[name]] <- data.frame(
    sample = name, n = length(x), fitdistr_size = fmt(f$estimate[["size"]]),
    fitdistr_mu = fmt(f$estimate[["mu"]]), fitdistr_loglik = fmt(f$loglik),
    profile_k = fmt(k), profile_mu = fmt(mu),
    profile_loglik = fmt(sum(dnbinom(x, size = k, mu = mu, log = TRUE))),
    poisson_q99 = qpois(0.99, mu))
}
write.csv(do.call(rbind, rows), "fits.csv", row.names = FALSE, quote = FALSE)
cat(sprintf("MASS %s, R %s\n", packageVersion("MASS"), getRversion()))
