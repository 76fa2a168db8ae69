"""A fingerprint of each variable's values as a transport file holds them: how the export
proves that every file reads back as written while reading it once, in the conformance check
(whose reader knows nothing of our writer), instead of parsing every value a second time
(100,000 subjects: ~100 s of CPU; README, Performance).

The same means what ``xpt.read_back_mismatches`` compares: text without its trailing blanks,
a missing text value the same as '' (transport v5 has no other); numbers exactly, every
missing value (NaN, the special missing values .A-.Z) the same, -0.0 the same as 0.0.

A variable's digest is SHA-256 (hashlib) over its rows in order: a number's 8 bytes, a text
value's 64-bit hash (``pandas.util.hash_array``, computed once per distinct value). A digest
that differs says which variable differs, not where: the export then compares that file
value by value (``read_back_mismatches``) to name the first row.

    written = column_digests(frame, numeric)   # {variable: hex digest}
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import numpy as np
import pandas as pd

_BLANK_HASH = pd.util.hash_array(np.array([""], dtype=object))[0]


def number_bytes(values) -> np.ndarray:
    """The numbers as compared: float64, -0.0 as 0.0, every missing value one NaN."""
    canonical = np.asarray(values, dtype="float64") + 0.0  # -0.0 + 0.0 is 0.0
    canonical[np.isnan(canonical)] = np.nan
    return canonical


def text_hashes(values) -> np.ndarray:
    """Per row, the 64-bit hash of the text without trailing blanks ('' when missing); a
    Categorical is hashed once per category."""
    if isinstance(getattr(values, "dtype", None), pd.CategoricalDtype):
        codes, distinct = np.asarray(values.codes), values.categories
    else:
        codes, distinct = pd.factorize(np.asarray(values, dtype=object))
    stripped = np.array(["" if v is None else str(v).rstrip() for v in distinct], dtype=object)
    hashes = pd.util.hash_array(stripped) if len(stripped) else np.empty(0, dtype="uint64")
    return np.where(codes >= 0, hashes[np.maximum(codes, 0)] if len(hashes) else 0, _BLANK_HASH)


def column_digest(values, numeric: bool) -> str:
    """The digest of one variable's values, in row order."""
    canonical = number_bytes(values) if numeric else text_hashes(values)
    return hashlib.sha256(np.ascontiguousarray(canonical).view(np.uint8)).hexdigest()


def column_digests(frame: pd.DataFrame, numeric: Mapping[str, bool]) -> dict[str, str]:
    """The digest of each variable of ``numeric`` (name -> Num or not) present in ``frame``."""
    return {
        name: column_digest(frame[name].array if not is_number else frame[name], is_number)
        for name, is_number in numeric.items()
        if name in frame.columns
    }
