"""ADRS access shared by the response and MRD tables."""

from __future__ import annotations

import pandas as pd


def avalc_by_subject(
    adrs: pd.DataFrame, paramcd: str, subjects: pd.Index, missing: str
) -> pd.Series:
    """AVALC of a one-row-per-subject ADRS parameter for each subject of the population.

    adam.md gives every ITT subject a row; a subject without one gets ``missing`` (NE for
    best responses, N for MRD), which is what the ADaM itself would have derived, so a
    subject is never dropped from the denominator.
    """
    rows = adrs.loc[adrs["PARAMCD"].eq(paramcd) & adrs["USUBJID"].isin(subjects)]
    if rows["USUBJID"].duplicated().any():
        raise ValueError(f"ADRS {paramcd}: more than one row per subject")
    values = rows.set_index("USUBJID")["AVALC"].astype(object)
    return values.reindex(subjects).where(lambda s: s.notna(), missing).astype(str)
