"""What the suites validate, without importing GX (slow to import): the datasets, the two
check kinds, the two batches and where the committed suites live."""

from pathlib import Path

SUITES_DIR = Path(__file__).resolve().parents[3] / "expectations" / "gx" / "expectations"
DATASETS = ("adsl", "adrs", "adtte", "adae", "adex", "adlb")

# conformance: ADaM structure and the spec's codes (blocking); plausibility: chronology (warn).
CONFORMANCE, PLAUSIBILITY = "conformance", "plausibility"
# rows: the dataset's rows; columns: its column catalogue (NAME, DATA_TYPE, LABEL, NAME_TYPE).
ROWS, COLUMNS = "rows", "columns"

# ADSL columns each dataset's rows carry (as ADSL_<name>), looked up by USUBJID before the
# checks run: ADSL_USUBJID is empty for a subject not in ADSL, ADSL_CUTOFFDT is the cut-off.
# A column pair costs GX far less than a large value set, or a cut-off, passed as a suite
# parameter.
ADSL_CONTEXT: dict[str, tuple[str, ...]] = {
    "adsl": (),
    "adrs": ("USUBJID", "CUTOFFDT", "ASCTDT", "EOSDT"),
    "adtte": ("USUBJID", "CUTOFFDT"),
    "adae": ("USUBJID", "CUTOFFDT"),
    "adex": ("USUBJID",),
    "adlb": ("USUBJID", "CUTOFFDT"),
}
