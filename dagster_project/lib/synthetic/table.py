"""A form's records as columns, with the extract window in which each version is visible.

Column conventions (by contract type): code / yn -> int16 index into the contract's
codes (-1 missing); text -> int16 index into `Table.cats[col]`; int / date -> int64
(`NA` missing); num -> float64 (NaN missing); partial_date -> int64 day plus
`<col>__prec` (0 full, 1 YYYY-MM, 2 YYYY). LBORRES is num with `LBORRES__txt`
(POS/NEG) taking precedence.

A version is in the transfer extracted on day X when entry < X <= to: the site
enters it on `entry` (never before the dates it holds) and a correction or deletion
entered on day `to` removes it from later extracts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dagster_project.lib.ingest.contract import RAW_FORMS

from .vec import FAR

POS_NEG = ("POS", "NEG")


def code_of(form: str, column: str, value: str) -> int:
    return RAW_FORMS[form].column(column).codes.index(value)


def codes_of(form: str, column: str, values: list[str]) -> np.ndarray:
    return np.array([code_of(form, column, v) for v in values], dtype=np.int16)


@dataclass
class Table:
    form: str
    subj: np.ndarray
    order: np.ndarray
    entry: np.ndarray
    cols: dict[str, np.ndarray]
    to: np.ndarray | None = None
    cats: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.to is None:
            self.to = np.full(self.subj.size, FAR, dtype=np.int64)

    @property
    def size(self) -> int:
        return int(self.subj.size)

    def take(self, idx: np.ndarray) -> Table:
        return Table(
            self.form,
            self.subj[idx],
            self.order[idx],
            self.entry[idx],
            {k: v[idx] for k, v in self.cols.items()},
            self.to[idx],
            self.cats,
        )

    def sorted(self) -> Table:
        """Landing order: subject, the form's key, then version."""
        return self.take(np.lexsort((self.entry, self.order, self.subj)))


def concat(tables: list[Table]) -> Table:
    first = tables[0]
    return Table(
        first.form,
        np.concatenate([t.subj for t in tables]),
        np.concatenate([t.order for t in tables]),
        np.concatenate([t.entry for t in tables]),
        {k: np.concatenate([t.cols[k] for t in tables]) for k in first.cols},
        np.concatenate([t.to for t in tables]),
        first.cats,
    )
