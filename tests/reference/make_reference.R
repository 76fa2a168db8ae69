#!/usr/bin/env Rscript
# Reference values for dagster_project/lib/stats, computed with R.
#
# Run from the repository root:  Rscript tests/reference/make_reference.R
# Writes tests/reference/r_reference.json and the analysis-ready inputs under
# tests/reference/data/*.csv, so the Python tests never need R.
# Needs: r-base-core, r-cran-survival, r-cran-cmprsk, r-cran-jsonlite (Debian).
#
# Conventions of the exported CSVs (derived here, once, so Python does not
# re-derive them): `event` is 0/1 (1 = event), `cause` is 0 = censored,
# 1 = event of interest, 2 = competing event, `group` is "Y"/"N" with "N" the
# reference level of the Cox model.

suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
  library(jsonlite)
})

out_dir <- "tests/reference"
data_dir <- file.path(out_dir, "data")
dir.create(data_dir, showWarnings = FALSE, recursive = TRUE)

z975 <- qnorm(0.975)
probs <- c(0.25, 0.5, 0.75)
arr <- function(x) I(as.numeric(x))  # keep length-1 vectors as JSON arrays

# ---- analysis-ready datasets --------------------------------------------------
lung_d <- data.frame(
  time = lung$time,
  event = as.integer(lung$status == 2),
  group = ifelse(lung$sex == 2, "Y", "N")          # Y = female
)
veteran_d <- data.frame(
  time = veteran$time,
  event = as.integer(veteran$status),
  group = ifelse(veteran$trt == 2, "Y", "N")       # Y = test treatment
)
# mgus2 overall survival (months), group Y = female
mgus2_os <- data.frame(
  time = mgus2$futime,
  event = as.integer(mgus2$death),
  group = ifelse(mgus2$sex == "F", "Y", "N")
)
# mgus2 competing risks: progression (1) versus death without progression (2),
# time in months (the layout of the survival package's compete vignette)
mgus2_cr <- data.frame(
  time = ifelse(mgus2$pstat == 0, mgus2$futime, mgus2$ptime),
  cause = ifelse(mgus2$pstat == 0, 2L * mgus2$death, 1L)
)
# pbc competing risks: death (1) versus transplant (2); status 0/1/2 in pbc is
# censored / transplant / dead
pbc_cr <- data.frame(
  time = pbc$time,
  cause = ifelse(pbc$status == 2, 1L, ifelse(pbc$status == 1, 2L, 0L))
)
datasets <- list(lung = lung_d, veteran = veteran_d, mgus2_os = mgus2_os,
                 mgus2_cr = mgus2_cr, pbc_cr = pbc_cr)
for (nm in names(datasets)) {
  write.csv(datasets[[nm]], file.path(data_dir, paste0(nm, ".csv")), row.names = FALSE)
}

# ---- small hand-made vectors ---------------------------------------------------
hand_km <- list(
  # 8 deaths, no censoring: S = 0.75 on [2, 3), 0.5 on [4, 5), 0.25 on [6, 7)
  plateau_all_events = list(time = 1:8, event = rep(1, 8)),
  # S = 0.5 from t = 2 to the last (censored) time 4: median = (2 + 4) / 2
  plateau_to_end = list(time = c(1, 2, 3, 4), event = c(1, 1, 0, 0)),
  # ties of events and censorings at the same times, landmarks on tied times
  ties = list(time = c(2, 2, 2, 3, 5, 5, 5, 7, 9, 9, 12, 12, 14, 15),
              event = c(1, 1, 0, 0, 1, 0, 1, 1, 1, 0, 1, 0, 1, 0)),
  # median not reached: S stays above 0.5
  not_reached = list(time = c(1, 2, 3, 4, 5, 6, 7, 8, 9, 10),
                     event = c(1, 0, 1, 0, 0, 0, 0, 0, 0, 0)),
  all_censored = list(time = c(3, 5, 8, 13), event = c(0, 0, 0, 0)),
  single_event = list(time = c(5), event = c(1)),
  single_censored = list(time = c(5), event = c(0)),
  # 60 subjects, monthly visits, no early censoring: S = 0.5 exactly on a plateau
  sixty = list(time = c(rep(3, 6), rep(6, 9), rep(9, 9), rep(12, 6), rep(15, 8),
                        rep(18, 7), rep(24, 15)),
               event = c(rep(1, 6), rep(1, 9), rep(1, 9), rep(1, 6), rep(1, 8),
                         rep(1, 7), rep(0, 15)))
)

km_entry <- function(name, d, landmarks, data_ref) {
  fit <- survfit(Surv(d$time, d$event) ~ 1, conf.type = "log-log")
  q <- quantile(fit, probs = probs)
  # endpoints.md Methods, rate at a landmark: R summary(..., extend = TRUE), empty past the
  # last observed time except where the curve has reached 0 (then 0 with NA bounds, as R).
  s <- summary(fit, times = landmarks, extend = TRUE)
  kept <- landmarks <= max(d$time) | s$surv == 0
  keep <- function(v) ifelse(kept, v, NA_real_)
  list(
    name = name, data = data_ref,
    n = length(d$time), events = sum(d$event),
    probs = arr(probs),
    quantile = arr(q$quantile), lower = arr(q$lower), upper = arr(q$upper),
    landmarks = list(
      times = arr(landmarks),
      surv = arr(keep(s$surv)),
      lower = arr(keep(s$lower)),
      upper = arr(keep(s$upper)),
      n_risk = arr(keep(s$n.risk))
    )
  )
}

followup_entry <- function(name, d, data_ref) {
  fit <- survfit(Surv(d$time, 1 - d$event) ~ 1, conf.type = "log-log")
  q <- quantile(fit, probs = 0.5)
  list(name = name, data = data_ref,
       median = q$quantile[[1]], lower = q$lower[[1]], upper = q$upper[[1]])
}

csv_ref <- function(file, ...) c(list(csv = file), list(...))
inline_ref <- function(v) list(time = arr(v$time), event = arr(v$event))

km <- list(
  km_entry("lung_days", lung_d, c(0, 3, 5, 100, 365.25, 500, 730.5, 1022, 1100),
           csv_ref("lung.csv", time = "time", event = "event", scale = 1)),
  km_entry("lung_months", transform(lung_d, time = time / 30.4375),
           c(6, 12, 24, 33.5, 36, 48),
           csv_ref("lung.csv", time = "time", event = "event", scale = 30.4375)),
  km_entry("veteran_days", veteran_d, c(30, 90, 180, 365, 999, 1000),
           csv_ref("veteran.csv", time = "time", event = "event", scale = 1)),
  km_entry("mgus2_os_months", mgus2_os, c(12, 60, 120, 240, 424, 430),
           csv_ref("mgus2_os.csv", time = "time", event = "event", scale = 1))
)
hand_landmarks <- list(
  plateau_all_events = c(0.5, 2, 4, 4.5, 8, 9),
  plateau_to_end = c(1, 2, 4, 5),
  ties = c(1, 2, 5, 9, 12, 15, 16),
  not_reached = c(3, 10, 11),
  all_censored = c(1, 3, 13, 14),
  single_event = c(4, 5, 6),
  single_censored = c(4, 5, 6),
  sixty = c(6, 12, 18, 24, 25)
)
for (nm in names(hand_km)) {
  v <- hand_km[[nm]]
  km[[length(km) + 1]] <- km_entry(nm, as.data.frame(v), hand_landmarks[[nm]], inline_ref(v))
}

followup <- list(
  followup_entry("lung_days", lung_d, csv_ref("lung.csv", time = "time", event = "event", scale = 1)),
  followup_entry("veteran_days", veteran_d, csv_ref("veteran.csv", time = "time", event = "event", scale = 1)),
  followup_entry("mgus2_os_months", mgus2_os, csv_ref("mgus2_os.csv", time = "time", event = "event", scale = 1)),
  followup_entry("ties", as.data.frame(hand_km$ties), inline_ref(hand_km$ties))
)

# ---- the quantile rule itself, on curves built to hit the level exactly --------
# survival:::findq is what quantile.survfit applies to the curve and to both
# confidence bands; x/y are (time, 1 - S) with the origin prepended.
findq_cases <- list(
  list(x = c(0, 1, 2, 3, 4), y = c(0, 0.25, 0.5, 0.5, 0.75)),        # plateau then drop
  list(x = c(0, 1, 2, 3, 4), y = c(0, 0.2, 0.4, 0.5, 0.5)),          # level reached at the end
  list(x = c(0, 1, 2, 3, 4, 5), y = c(0, NA, 0.3, 0.6, 0.6, NA)),    # NA bands (S = 1 / S = 0)
  list(x = c(0, 2, 4, 6), y = c(0, 0.1, 0.2, 0.3)),                  # never reached
  list(x = c(0, 1, 2, 3, 4, 5), y = c(0, 0.3, 0.55, 0.52, 0.8, 0.9)) # non-monotone band
)
tol <- sqrt(.Machine$double.eps)
findq <- lapply(findq_cases, function(cs) {
  list(x = arr(cs$x), y = arr(cs$y), probs = arr(probs),
       quantile = arr(survival:::findq(cs$x, cs$y, probs, tol)))
})

# ---- cumulative incidence (cmprsk::cuminc, Gray's variance) --------------------
hand_cr <- list(
  # ties within and across causes, censoring tied with events
  cr_ties = list(time = c(1, 2, 2, 2, 3, 3, 4, 5, 5, 6, 7, 8, 8, 9, 10, 10),
                 cause = c(1, 1, 2, 0, 1, 0, 2, 1, 1, 0, 2, 1, 0, 0, 1, 2)),
  # no competing event observed: CIF = 1 - KM
  cr_no_competing = list(time = c(1, 2, 3, 3, 4, 6, 7, 9),
                         cause = c(1, 0, 1, 1, 0, 1, 0, 0))
)
ci_loglog <- function(est, v) {
  # log(-log) interval for a cumulative incidence F with variance v:
  # F^exp(+-z * sqrt(v) / (F * log F)), the form of Pintilie (2006) / tidycmprsk
  ok <- !is.na(est) & est > 0 & est < 1 & !is.na(v)
  lo <- up <- rep(NA_real_, length(est))
  a <- z975 * sqrt(v[ok]) / (est[ok] * log(est[ok]))
  lo[ok] <- est[ok]^exp(-a)
  up[ok] <- est[ok]^exp(a)
  list(lower = lo, upper = up)
}
cuminc_entry <- function(name, d, times, data_ref) {
  fit <- cuminc(d$time, d$cause, cencode = 0)
  tp <- timepoints(fit, times)
  row <- which(rownames(tp$est) == "1 1")
  est <- if (length(row)) tp$est[row, ] else rep(NA_real_, length(times))
  v <- if (length(row)) tp$var[row, ] else rep(NA_real_, length(times))
  ci <- ci_loglog(est, v)
  rowc <- which(rownames(tp$est) == "1 2")
  list(name = name, data = data_ref, times = arr(times), max_time = max(d$time),
       est = arr(est), var = arr(v), lower = arr(ci$lower), upper = arr(ci$upper),
       est_competing = arr(if (length(rowc)) tp$est[rowc, ] else rep(NA_real_, length(times))),
       var_competing = arr(if (length(rowc)) tp$var[rowc, ] else rep(NA_real_, length(times))))
}
cr_ref <- function(file) csv_ref(file, time = "time", cause = "cause")
cuminc_cases <- list(
  cuminc_entry("mgus2_progression", mgus2_cr, c(6, 12, 24, 60, 120, 240, 400, 424, 430),
               cr_ref("mgus2_cr.csv")),
  cuminc_entry("pbc_death", pbc_cr, c(365, 730, 1461, 2922, 4191, 4795, 5000),
               cr_ref("pbc_cr.csv")),
  cuminc_entry("cr_ties", as.data.frame(hand_cr$cr_ties), c(0.5, 1, 2, 5, 8, 10, 11),
               list(time = arr(hand_cr$cr_ties$time), cause = arr(hand_cr$cr_ties$cause))),
  cuminc_entry("cr_no_competing", as.data.frame(hand_cr$cr_no_competing), c(1, 3, 6, 9, 10),
               list(time = arr(hand_cr$cr_no_competing$time),
                    cause = arr(hand_cr$cr_no_competing$cause)))
)

# ---- Cox (Efron) and log-rank -----------------------------------------------------
hand_cox <- list(time = c(1, 1, 2, 2, 3, 3, 3, 4, 5, 5, 6, 7, 8, 8, 9, 10),
                 event = c(1, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0),
                 group = c("Y", "N", "N", "Y", "N", "N", "Y", "N", "Y", "N", "N", "Y", "Y", "N", "Y", "Y"))
cox_entry <- function(name, d, data_ref) {
  g <- factor(d$group, levels = c("N", "Y"))
  fit <- coxph(Surv(d$time, d$event) ~ g, ties = "efron")
  b <- unname(coef(fit)); se <- unname(sqrt(diag(vcov(fit))))
  sd <- survdiff(Surv(d$time, d$event) ~ g)
  list(name = name, data = data_ref,
       n = arr(as.numeric(table(g))), events = arr(as.numeric(tapply(d$event, g, sum))),
       log_hr = b, se = se, hr = exp(b), lower = exp(b - z975 * se), upper = exp(b + z975 * se),
       logrank_chisq = sd$chisq, logrank_p = pchisq(sd$chisq, df = 1, lower.tail = FALSE))
}
cox_cases <- list(
  cox_entry("lung_sex", lung_d, csv_ref("lung.csv", time = "time", event = "event", group = "group")),
  cox_entry("veteran_trt", veteran_d, csv_ref("veteran.csv", time = "time", event = "event", group = "group")),
  cox_entry("mgus2_os_sex", mgus2_os, csv_ref("mgus2_os.csv", time = "time", event = "event", group = "group")),
  cox_entry("hand_ties", as.data.frame(hand_cox),
            list(time = arr(hand_cox$time), event = arr(hand_cox$event), group = I(hand_cox$group)))
)

# ---- exact binomial ---------------------------------------------------------------
binom_xn <- list(c(0, 10), c(10, 10), c(3, 60), c(30, 60), c(1, 1), c(0, 1),
                 c(17, 42), c(59, 60), c(0, 60), c(60, 60))
binom <- lapply(binom_xn, function(xn) {
  bt <- binom.test(xn[1], xn[2], conf.level = 0.95)
  list(x = xn[1], n = xn[2], estimate = unname(bt$estimate),
       lower = bt$conf.int[1], upper = bt$conf.int[2])
})

ref <- list(
  meta = list(
    generated_by = "tests/reference/make_reference.R",
    r_version = R.version.string,
    survival_version = as.character(packageVersion("survival")),
    cmprsk_version = as.character(packageVersion("cmprsk")),
    jsonlite_version = as.character(packageVersion("jsonlite")),
    quantile_tolerance = tol,
    z975 = z975
  ),
  km = km, followup = followup, findq = findq, cuminc = cuminc_cases,
  cox = cox_cases, binom = binom
)
writeLines(toJSON(ref, auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE),
           file.path(out_dir, "r_reference.json"))
cat("wrote", file.path(out_dir, "r_reference.json"), "\n")
