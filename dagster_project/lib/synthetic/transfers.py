"""Cumulative site transfers: extract schedule, site corrections and deletions, CSV bytes.

Each form is formatted once (all versions of all records, in landing order) by
DuckDB's CSV writer; a transfer's file is then the header plus the lines of the
versions visible at its extract day (entry < day <= to), copied as byte ranges.
So 40 million rows cost one formatting pass of the final-size tables.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from dagster_project.lib.ingest.contract import DEFAULT_CONTRACT_VERSION, Form, forms_of

from .cohort import Cohort
from .table import POS_NEG, Table, concat
from .transfer_writer import transfer_id_for, write_transfer_chunks
from .vec import FAR, NA, iso_of, rng_for


@dataclass(frozen=True)
class Transfer:
    site: int
    day: int  # extract date as a day number; records entered before this day are in it
    site_id: str
    extract_datetime: str
    transfer_id: str


def schedule(seed: int, c: Cohort) -> list[Transfer]:
    """3-4 transfers per site ~4 months apart; the last on the cut-off at 08:00:00Z."""
    rng = rng_for(seed, 20)
    out = []
    for s, sid in enumerate(c.site_ids):
        k = 4 if s == 0 else 3 + int(rng.random() < 0.5)
        days = [
            c.cutoff - 120 * j - int(rng.integers(0, 11)) if j else c.cutoff
            for j in range(k - 1, -1, -1)
        ]
        for j, day in enumerate(days):
            hh, mm = (
                (8, 0) if j == k - 1 else (int(rng.choice([7, 8, 9, 14])), int(rng.choice([0, 30])))
            )
            stamp = f"{iso_of(day)}T{hh:02d}:{mm:02d}:00Z"
            out.append(Transfer(s, day, sid, stamp, transfer_id_for(sid, stamp)))
    return out


def _site_rows(t: Table, c: Cohort, s: int) -> np.ndarray:
    return np.flatnonzero(c.site[t.subj] == s)


def inject_site_changes(
    seed: int, c: Cohort, tables: dict[str, Table], transfers: list[Transfer], n_ae: np.ndarray
) -> tuple[list, list]:
    """Corrections (same key, new value) and deletions (record gone) between a site's
    last two transfers: always at the first site, and at 20% of the others.

    Correction: the earlier transfers carry a mistyped WEIGHT (dm, +10 kg) or serum
    M-protein (lb, x10); the last carries the true value. Deletion: an AE entered twice
    (a copy under the next AESPID) and deleted by the site before the last transfer.
    """
    rng = rng_for(seed, 21)
    by_site: dict[int, list[Transfer]] = {}
    for tr in transfers:
        by_site.setdefault(tr.site, []).append(tr)
    corrections, deletions = [], []
    for s, trs in by_site.items():
        if s != 0 and rng.random() >= 0.2:
            continue
        before, after = trs[-2], trs[-1]
        day = before.day

        def pick(t: Table, ok: np.ndarray, s: int = s, day: int = day) -> int | None:
            rows = _site_rows(t, c, s)
            rows = rows[ok[rows] & (t.entry[rows] < day) & (t.to[rows] == FAR)]
            return int(rows[rng.integers(rows.size)]) if rows.size else None

        dm = tables["dm"]
        r = pick(dm, np.ones(dm.size, bool))
        if r is not None:
            old = float(dm.cols["WEIGHT"][r] + 10)
            _supersede(dm, r, day, "WEIGHT", old, tables, "dm")
            corrections.append(
                {
                    "site_id": c.site_ids[s],
                    "form": "dm",
                    "key": {"SUBJID": c.subj_ids[dm.subj[r]]},
                    "column": "WEIGHT",
                    "old": old,
                    "new": float(dm.cols["WEIGHT"][r]),
                    "last_transfer_with_old": before.transfer_id,
                    "first_transfer_with_new": after.transfer_id,
                }
            )
        lb = tables["lb"]
        r = pick(lb, (lb.cols["LBTESTCD"] == 0) & (lb.cols["LBORRES"] > 0))
        if r is not None:
            old = float(np.round(lb.cols["LBORRES"][r] * 10, 2))
            _supersede(lb, r, day, "LBORRES", old, tables, "lb")
            corrections.append(
                {
                    "site_id": c.site_ids[s],
                    "form": "lb",
                    "key": {
                        "SUBJID": c.subj_ids[lb.subj[r]],
                        "LBTESTCD": "SMPROT",
                        "LBDT": iso_of(int(lb.cols["LBDT"][r])),
                    },
                    "column": "LBORRES",
                    "old": old,
                    "new": float(lb.cols["LBORRES"][r]),
                    "last_transfer_with_old": before.transfer_id,
                    "first_transfer_with_new": after.transfer_id,
                }
            )
        ae = tables["ae"]
        r = pick(ae, np.ones(ae.size, bool))
        if r is not None:
            subj = int(ae.subj[r])
            n_ae[subj] += 1
            dup = ae.take(np.array([r]))
            dup.cols["AESPID"][:] = n_ae[subj]
            dup.order[:] = n_ae[subj]
            dup.to[:] = day
            tables["ae"] = concat([ae, dup])
            deletions.append(
                {
                    "site_id": c.site_ids[s],
                    "form": "ae",
                    "key": {"SUBJID": c.subj_ids[subj], "AESPID": int(n_ae[subj])},
                    "last_transfer_with_record": before.transfer_id,
                    "first_transfer_without": after.transfer_id,
                }
            )
    return corrections, deletions


def _supersede(t: Table, r: int, day: int, col: str, old: float, tables: dict, name: str) -> None:
    """Row r's value becomes visible after `day`; before it, a version holding `old`."""
    prev = t.take(np.array([r]))
    prev.cols[col] = prev.cols[col].astype(np.float64)
    prev.cols[col][:] = old
    prev.to[:] = day
    t.entry[r] = day
    tables[name] = concat([t, prev])


def _sql_and_frame(t: Table, c: Cohort, form: Form) -> tuple[str, pd.DataFrame]:
    data: dict[str, object] = {}
    exprs = []
    for col in form.columns:
        q = f'"{col.name}"'
        if col.name == "SITEID":
            data[col.name] = pd.Categorical.from_codes(c.site[t.subj], c.site_ids)
            exprs.append(q)
        elif col.name == "SUBJID":
            data[col.name] = pd.Categorical.from_codes(t.subj, c.subj_ids)
            exprs.append(q)
        elif col.name in t.cats or col.type in ("code", "yn"):
            cats = t.cats.get(col.name) or col.codes
            data[col.name] = pd.Categorical.from_codes(t.cols[col.name].astype(np.int64), cats)
            exprs.append(q)
        elif col.type in ("int", "date", "partial_date"):
            v = t.cols[col.name]
            data[col.name] = pd.arrays.IntegerArray(np.where(v == NA, 0, v), v == NA)
            if col.type == "int":
                exprs.append(q)
            else:
                d = f"(DATE '1970-01-01' + CAST({q} AS INTEGER))"
                if col.type == "date":
                    exprs.append(f"{d} AS {q}")
                else:
                    p = f'"{col.name}__prec"'
                    data[col.name + "__prec"] = t.cols[col.name + "__prec"].astype(np.int8)
                    exprs.append(
                        f"left(CAST({d} AS VARCHAR), CASE {p} WHEN 0 THEN 10 "
                        f"WHEN 1 THEN 7 ELSE 4 END) AS {q}"
                    )
        else:  # num, and LBORRES (number or POS/NEG)
            data[col.name] = t.cols[col.name].astype(np.float64)
            num = (
                f"CASE WHEN {q} = trunc({q}) THEN CAST(CAST({q} AS BIGINT) AS VARCHAR) "
                f"ELSE CAST({q} AS VARCHAR) END"
            )
            if col.name == "LBORRES":
                data["LBORRES__txt"] = pd.Categorical.from_codes(
                    t.cols["LBORRES__txt"].astype(np.int64), POS_NEG
                )
                num = f'coalesce(CAST("LBORRES__txt" AS VARCHAR), {num})'
            exprs.append(f"{num} AS {q}")
    return "SELECT " + ", ".join(exprs) + " FROM frame", pd.DataFrame(data)


@dataclass
class Formatted:
    table: Table
    data: bytes
    starts: np.ndarray  # byte offset of each line, plus len(data)
    site_bounds: np.ndarray  # row range of each site


def format_form(
    con: duckdb.DuckDBPyConnection, t: Table, c: Cohort, tmp: Path, form: Form
) -> Formatted:
    t = t.sorted()
    sql, frame = _sql_and_frame(t, c, form)
    path = tmp / f"{t.form}.csv"
    con.register("frame", frame)
    con.execute(
        f"COPY ({sql}) TO '{path}' (FORMAT csv, HEADER false, DELIMITER ',', "
        "QUOTE '\"', NEW_LINE '\\n')"
    )
    con.unregister("frame")
    data = path.read_bytes()
    path.unlink()
    nl = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
    if nl.size != t.size:
        raise RuntimeError(f"{t.form}: {nl.size} lines written for {t.size} rows")
    starts = np.r_[0, nl + 1].astype(np.int64)
    bounds = np.searchsorted(c.site[t.subj], np.arange(len(c.site_ids) + 1))
    return Formatted(t, data, starts, bounds)


def _chunks(f: Formatted, site: int, day: int) -> tuple[list[memoryview], int]:
    lo, hi = int(f.site_bounds[site]), int(f.site_bounds[site + 1])
    t = f.table
    sel = lo + np.flatnonzero((t.entry[lo:hi] < day) & (day <= t.to[lo:hi]))
    if sel.size == 0:
        return [], 0
    brk = np.flatnonzero(np.diff(sel) != 1)
    run_a = f.starts[sel[np.r_[0, brk + 1]]]
    run_b = f.starts[sel[np.r_[brk, sel.size - 1]] + 1]
    mv = memoryview(f.data)
    return [mv[a:b] for a, b in zip(run_a.tolist(), run_b.tolist(), strict=True)], int(sel.size)


def write_all(
    out: Path,
    c: Cohort,
    tables: dict[str, Table],
    transfers: list[Transfer],
    contract_version: str = DEFAULT_CONTRACT_VERSION,
) -> dict:
    """Format every form of `contract_version` once, then write every transfer; returns rows
    per form summed over transfers."""
    forms = forms_of(contract_version)
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = true")
    formatted: dict[str, Formatted] = {}
    with tempfile.TemporaryDirectory(prefix="isadex-gen-") as tmp:
        for name, form in forms.items():
            formatted[name] = format_form(con, tables[name], c, Path(tmp), form)
    con.close()
    headers = {name: (",".join(f.column_names) + "\n").encode() for name, f in forms.items()}
    totals = dict.fromkeys(forms, 0)
    for tr in transfers:
        files = {}
        for name in sorted(forms):
            chunks, rows = _chunks(formatted[name], tr.site, tr.day)
            files[f"{name}.csv"] = ([headers[name], *chunks], rows)
            totals[name] += rows
        write_transfer_chunks(
            out, tr.site_id, tr.extract_datetime, files, tr.transfer_id, contract_version
        )
    return totals
