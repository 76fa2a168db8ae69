"""quality.html lists the subjects whose investigator and computed responses differ
(response.md section 4: "listed (USUBJID, both categories) for medical review in the quality
report"), and says so when there are none or when the list was not built."""

from __future__ import annotations

import duckdb
import pandas as pd

from dagster_project.lib.ingest.ingestion import ensure_raw_schema
from dagster_project.lib.validation.quality_page import render_quality_page
from dagster_project.lib.validation.results import cut_deletions

HEADING = "Investigator and computed response differ (for medical review)"


def _page(discordant: pd.DataFrame | None) -> str:
    page = render_quality_page(None, None, None, None, "2026-12-07", discordant=discordant)
    return page.split(HEADING, 1)[1].split("<h2>", 1)[0]


def test_each_discordant_subject_is_listed_with_both_categories():
    listed = pd.DataFrame(
        {
            "SITEID": ["DE01", "IT02"],
            "USUBJID": ["ISA-DEX-MM-DE01-003", "ISA-DEX-MM-IT02-005"],
            "CBOR": ["CR", "VGPR"],
            "ALGCBOR": ["VGPR", "CR"],
        }
    )
    section = _page(listed)
    for column in ("USUBJID", "CBOR", "ALGCBOR"):
        assert f"<th>{column}</th>" in section
    assert "<td>ISA-DEX-MM-DE01-003</td><td>CR</td><td>VGPR</td>" in section
    assert "<td>ISA-DEX-MM-IT02-005</td><td>VGPR</td><td>CR</td>" in section


def test_none_discordant_and_not_built_are_told_apart():
    empty = pd.DataFrame(columns=["SITEID", "USUBJID", "CBOR", "ALGCBOR"])
    assert "None: every subject's responses agree." in _page(empty)
    assert "Not built in this run." in _page(None)


def _deletions_section(deletions: pd.DataFrame, limit: int | None = None) -> str:
    page = render_quality_page(
        None, None, None, None, "2026-12-07", deletions=deletions, deletions_limit=limit
    )
    return page.split("Records deleted at the sites", 1)[1]


def test_records_deleted_at_the_sites_are_listed():
    """site_extracts.md: a record that disappears in a newer transfer "must be visible as such"
    (raw.deletions), on the page the data manager reads."""
    deleted = pd.DataFrame(
        {
            "SITEID": ["ES01", "ES01"],
            "FORM": ["ae", "dm"],
            "RECORD_KEY": ["ES01-009|3", "ES01-009"],
            "PREV_TRANSFER_ID": ["ES01_20260305T0730"] * 2,
            "TRANSFER_ID": ["ES01_20260629T0700"] * 2,
        }
    )
    section = _deletions_section(deleted)
    assert "<td>ES01</td><td>dm</td><td>ES01-009</td>" in section
    assert "<td>ES01</td><td>ae</td><td>ES01-009|3</td>" in section
    assert "the first" not in section
    assert "the first 2" in _deletions_section(deleted, limit=2)
    assert "None." in _deletions_section(deleted.iloc[:0])


def test_a_warehouse_without_ingestion_says_deletions_are_not_recorded():
    """A warehouse of ADaM tables only (the integration tests', a UI run of some assets) has
    no raw.deletions: the page says so rather than "None." (or failing, as it did)."""
    page = render_quality_page(None, None, None, None, "2026-12-07")
    assert "Not recorded: nothing was ingested" in page.split("Records deleted at the sites")[1]


def test_the_cut_shows_the_deletions_of_the_transfers_it_may_use():
    """adam.md: as_of reproduces an earlier analysis. A deletion found by a transfer extracted
    after as_of (IT01's October one) was listed although the cut still analyses the record
    (found by testing as_of); a REFUSED transfer finds none it may use. Without as_of, every
    LOADED transfer's; without raw.deletions, None."""
    con = duckdb.connect()
    assert cut_deletions(con, None) is None
    ensure_raw_schema(con)
    con.execute(
        """insert into raw.transfers (TRANSFER_ID, DELIVERY, SITEID, EXTRACT_DATETIME, STATUS,
                                      REGISTERED_AT)
        select t, t, left(t, 4), strptime(right(t, 13), '%Y%m%dT%H%M'), s, now()
        from (values ('IT01_20260627T0700', 'LOADED'), ('IT01_20261031T0800', 'LOADED'),
                     ('FR02_20260301T0800', 'LOADED'), ('FR02_20260601T0800', 'REFUSED')) v(t, s)"""
    )
    con.execute(
        """insert into raw.deletions values
        ('IT01', 'ae', 'IT01-001|10', 'IT01_20260627T0700', 'IT01_20261031T0800'),
        ('FR02', 'dm', 'FR02-002', 'FR02_20260101T0800', 'FR02_20260301T0800'),
        ('FR02', 'dm', 'FR02-003', 'FR02_20260301T0800', 'FR02_20260601T0800')"""
    )

    def keys(as_of):
        return cut_deletions(con, as_of)["RECORD_KEY"].tolist()

    assert keys(None) == ["FR02-002", "IT01-001|10"]
    assert keys("2026-07-01T00:00:00") == ["FR02-002"]
    assert keys("2026-01-01T00:00:00") == []
