#!/usr/bin/env Rscript
# Reference values for lib.stats.cox_time_dependent and lib.stats.counting_process (T06 (b),
# endpoints.md Methods: "hazard ratio with a time-dependent covariate"), computed with R.
#
# Run from the repository root:  Rscript tests/reference/td_cox_reference.R
# Writes tests/reference/td_cox_reference.json, the inputs tests/reference/data/td_*.csv and
# the counting-process rows tmerge built from them, tests/reference/data/td_*_tmerge.csv, so
# the Python tests never need R.
# Needs: r-base-core, r-cran-survival, r-cran-jsonlite (Debian).
#
# Every case is one row per subject: `time` (end of follow-up from the time origin), `status`
# (1 = event), `switch` (the time the covariate turns from 0 to 1, NA = never). tmerge builds
# the (tstart, tstop] rows: x = 1 from the start when switch <= 0, a split at switch when
# 0 < switch < time, x = 0 throughout when switch >= time (the switch on the day of the event
# or censoring comes too late to count). The model is
# coxph(Surv(tstart, tstop, event) ~ x, ties = "efron"), HR exp(coef), Wald CI
# exp(coef -+ qnorm(0.975) se), Wald p 2 * pnorm(-|coef / se|).

suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})

out_dir <- "tests/reference"
data_dir <- file.path(out_dir, "data")
dir.create(data_dir, showWarnings = FALSE, recursive = TRUE)
z975 <- qnorm(0.975)

# ---- Stanford heart transplant (survival's jasa), as in the survival package's
# "timedep" vignette: time from acceptance, transplant as the time-dependent covariate; a
# death on the day of entry gets 0.5 days, a transplant on the day of death is moved 0.5
# days earlier (the vignette's own fudges, kept so the data are the vignette's).
jasa_d <- with(jasa, data.frame(
  id = seq_len(nrow(jasa)),
  time = pmax(0.5, as.numeric(fu.date - accept.dt)),
  status = fustat,
  switch = ifelse(is.na(tx.date), NA,
                  ifelse(tx.date == fu.date, as.numeric(tx.date - accept.dt) - 0.5,
                         as.numeric(tx.date - accept.dt)))
))

# ---- MRD-shaped synthetic data: 80 transplanted subjects, days from ASCT. Sustained MRD
# negativity (the second of two negatives >= 365 days apart) is drawn for about 55%, from
# day 380 on; the hazard of progression or death is lower (x 0.45) once it is reached. PFS
# is read at 28-day visits (many tied event times: Efron matters), OS to the day. Some
# subjects are fixed by hand for the edge cases of the counting-process form.
set.seed(20261125)
n <- 80
switch_day <- ifelse(runif(n) < 0.55, round(runif(n, 380, 1100)), NA)
censor_day <- round(runif(n, 500, 1800))
piecewise <- function(sw, base) {
  # event time under hazard `base` before sw and 0.45 * base after it
  e1 <- rexp(1, base)
  if (is.na(sw) || e1 <= sw) return(e1)
  sw + rexp(1, 0.45 * base)
}
pfs_latent <- sapply(switch_day, piecewise, base = 1 / 1300)
pfs_latent <- 28 * ceiling(pfs_latent / 28)
pfs_time <- pmin(pfs_latent, censor_day)
pfs_status <- as.integer(pfs_latent <= censor_day)
os_extra <- round(rexp(n, 1 / 400))
os_latent <- ifelse(pfs_status == 1 & runif(n) < 0.7, pfs_time + os_extra, Inf)
os_time <- pmin(os_latent, censor_day)
os_status <- as.integer(os_latent <= censor_day)
# edge cases, by subject
switch_day[1] <- -20                       # sustained before ASCT: x = 1 from day 0
switch_day[2] <- 0                         # reached on the ASCT day: x = 1 from day 0
switch_day[3] <- pfs_time[3]               # reached on the PFS day: x = 0 for PFS
pfs_status[3] <- 1L
switch_day[4] <- pfs_time[4] + 30          # reached after PFS ended: x = 0 for PFS
switch_day[5] <- 560; pfs_time[5] <- 560 + 28; pfs_status[5] <- 1L  # event just after it
os_time[5] <- max(os_time[5], pfs_time[5]); os_time[3] <- max(os_time[3], pfs_time[3])
mrd_d <- data.frame(id = seq_len(n), switch = switch_day,
                    pfs_time = pfs_time, pfs_status = pfs_status,
                    os_time = os_time, os_status = os_status)
stopifnot(all(mrd_d$os_time >= mrd_d$pfs_time), all(mrd_d$pfs_time > 0))
write.csv(mrd_d, file.path(data_dir, "td_mrd.csv"), row.names = FALSE, na = "")
write.csv(jasa_d, file.path(data_dir, "td_jasa.csv"), row.names = FALSE, na = "")

td_case <- function(name, d, time, status, csv) {
  base <- data.frame(id = d$id, time = d[[time]], status = d[[status]])
  cp <- tmerge(base, base, id = id, event = event(time, status))
  cp <- tmerge(cp, data.frame(id = d$id, switch = d$switch), id = id, x = tdc(switch))
  fit <- coxph(Surv(tstart, tstop, event) ~ x, data = cp, ties = "efron")
  b <- unname(coef(fit)); se <- unname(sqrt(diag(vcov(fit))))
  z <- b / se
  rows_csv <- paste0("td_", name, "_tmerge.csv")
  write.csv(cp[, c("id", "tstart", "tstop", "event", "x")], file.path(data_dir, rows_csv),
            row.names = FALSE)
  list(
    name = name,
    data = list(csv = csv, id = "id", time = time, status = status, switch = "switch"),
    tmerge_csv = rows_csv,
    n_subjects = length(unique(cp$id)), n_rows = nrow(cp),
    events = sum(cp$event), events_x1 = sum(cp$event[cp$x == 1]),
    events_x0 = sum(cp$event[cp$x == 0]),
    subjects_x1 = length(unique(cp$id[cp$x == 1])),
    subjects_x0 = length(unique(cp$id[cp$x == 0])),
    coef = b, se = se, hr = exp(b), lower = exp(b - z975 * se), upper = exp(b + z975 * se),
    wald_z = z, wald_p = 2 * pnorm(-abs(z)),
    wald_p_summary = unname(summary(fit)$coefficients[1, "Pr(>|z|)"]),
    loglik = fit$loglik, iter = fit$iter
  )
}

cases <- list(
  td_case("jasa_transplant", jasa_d, "time", "status", "td_jasa.csv"),
  td_case("mrd_pfs", mrd_d, "pfs_time", "pfs_status", "td_mrd.csv"),
  td_case("mrd_os", mrd_d, "os_time", "os_status", "td_mrd.csv")
)

ref <- list(
  meta = list(
    generated_by = "tests/reference/td_cox_reference.R",
    r_version = R.version.string,
    survival_version = as.character(packageVersion("survival")),
    jsonlite_version = as.character(packageVersion("jsonlite")),
    z975 = z975
  ),
  cases = cases
)
writeLines(toJSON(ref, auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE),
           file.path(out_dir, "td_cox_reference.json"))
cat("wrote", file.path(out_dir, "td_cox_reference.json"), "\n")
