#!/usr/bin/env Rscript
# How R reads the submission package's transport files: haven::read_xpt on every .xpt of a
# folder, written as JSON per dataset (its label, and per variable: name, label, R class,
# character or numeric, format.sas). tests/unit/test_define_xml.py compares define.xml of the
# same package with this reading, so the Python tests never need R.
#
# The package read is the one tests/fixtures/define_package.py writes. To regenerate, from the
# repository root:
#   .venv/bin/python -m tests.fixtures.define_package /tmp/define_package
#   Rscript tests/reference/haven_read_xpt.R /tmp/define_package tests/reference/haven_read_xpt.json
# Needs: r-base-core, r-cran-haven, r-cran-jsonlite (Debian).

suppressPackageStartupMessages({
  library(haven)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 2) stop("usage: haven_read_xpt.R PACKAGE_FOLDER OUT_JSON")
folder <- args[[1]]
out <- args[[2]]

or_null <- function(x) if (is.null(x)) NULL else unbox(x)

read_one <- function(path) {
  data <- read_xpt(path)
  variables <- lapply(names(data), function(name) {
    column <- data[[name]]
    list(
      name = unbox(name),
      label = or_null(attr(column, "label")),
      class = unbox(class(column)[[1]]),
      type = unbox(if (is.character(column)) "character" else "numeric"),
      format = or_null(attr(column, "format.sas"))
    )
  })
  list(
    dataset = unbox(toupper(tools::file_path_sans_ext(basename(path)))),
    label = or_null(attr(data, "label")),
    rows = unbox(nrow(data)),
    variables = variables
  )
}

files <- sort(list.files(folder, pattern = "\\.xpt$", full.names = TRUE))
reading <- list(
  reader = unbox(paste("haven", as.character(packageVersion("haven")))),
  datasets = lapply(files, read_one)
)
writeLines(toJSON(reading, pretty = TRUE, auto_unbox = FALSE, null = "null"), out)
