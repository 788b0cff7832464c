# Reference profile-likelihood intervals of the negative binomial k for
# shouwang.epi.chains.negbin_k_interval (decision 1030).
#
#   cd tests/epi/reference/chains && Rscript k_intervals.R
#
# For each sample_<name>.csv of make_fixtures.R: mu = mean(x) (its MLE whatever k), the profile
# maximum of log k by optimize (tol 1e-12), then the two roots of
# 2 * (loglik(k_hat) - loglik(k)) = qchisq(0.95, 1) by uniroot (tol 1e-12) on log k in [-12, 12].
fmt <- function(x) trimws(formatC(as.numeric(x), digits = 17, format = "g"))
rows <- list()
for (name in c("sse", "moderate", "subcritical")) {
  x <- read.csv(sprintf("sample_%s.csv", name))$offspring
  mu <- mean(x)
  ll <- function(t) sum(dnbinom(x, size = exp(t), mu = mu, log = TRUE))
  best <- optimize(function(t) -ll(t), c(-12, 12), tol = 1e-12)
  top <- -best$objective
  cut <- qchisq(0.95, 1) / 2
  f <- function(t) top - ll(t) - cut
  lo <- uniroot(f, c(-12, best$minimum), tol = 1e-12)$root
  hi <- uniroot(f, c(best$minimum, 12), tol = 1e-12)$root
  rows[[name]] <- data.frame(sample = name, k = fmt(exp(best$minimum)), low = fmt(exp(lo)),
                             high = fmt(exp(hi)))
}
write.csv(do.call(rbind, rows), "k_intervals.csv", row.names = FALSE, quote = FALSE)
