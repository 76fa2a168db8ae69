#!/usr/bin/env Rscript
# Reference values for lib.stats.cohens_kappa (T15, response.md section 4), from R
# psych::cohen.kappa: unweighted kappa, its variance (Fleiss, Cohen and Everitt 1969) and
# the 95% CI psych prints.
#
# Run from the repository root:  Rscript tests/reference/kappa_reference.R
# Writes tests/reference/kappa_reference.json, so the Python tests never need R.
# Needs: r-base-core, r-cran-psych, r-cran-jsonlite (Debian).

suppressPackageStartupMessages({
  library(psych)
  library(jsonlite)
})

cases <- list(
  list(
    name = "two by two, worked by hand in the test",
    categories = c("Y", "N"),
    table = matrix(c(20, 5, 10, 15), nrow = 2, byrow = TRUE)
  ),
  list(
    name = "responder status, unbalanced",
    categories = c("Y", "N"),
    table = matrix(c(31, 4, 7, 18), nrow = 2, byrow = TRUE)
  ),
  list(
    name = "eight IMWG categories, mostly on the diagonal, an empty row and column",
    categories = c("SCR", "CR", "VGPR", "PR", "MR", "SD", "PD", "NE"),
    table = matrix(c(
      6, 2, 0, 0, 0, 0, 0, 0,
      1, 9, 2, 0, 0, 0, 0, 0,
      0, 1, 11, 2, 0, 0, 0, 0,
      0, 0, 2, 10, 1, 0, 0, 0,
      0, 0, 0, 1, 3, 1, 0, 0,
      0, 0, 0, 0, 1, 4, 0, 1,
      0, 0, 0, 0, 0, 0, 0, 0,
      0, 0, 0, 0, 0, 1, 0, 2
    ), nrow = 8, byrow = TRUE)
  )
)

out <- lapply(cases, function(case) {
  k <- cohen.kappa(case$table)
  list(
    name = case$name,
    categories = case$categories,
    table = lapply(seq_len(nrow(case$table)), function(i) as.integer(case$table[i, ])),
    kappa = k$kappa,
    se = sqrt(k$var.kappa),
    lower = k$confid["unweighted kappa", "lower"],
    upper = k$confid["unweighted kappa", "upper"]
  )
})
writeLines(
  toJSON(out, auto_unbox = TRUE, digits = 12, pretty = TRUE),
  "tests/reference/kappa_reference.json"
)
