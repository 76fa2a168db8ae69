"""bench/dbt_by_site.py measures dbt on one site's rows: its copy must hold that site only."""

import shutil

import duckdb

from tests.conftest import bench_module


def test_the_site_copy_builds_that_sites_subjects_only(synthetic_run, tmp_path):
    by_site = bench_module("dbt_by_site")
    _, warehouse = synthetic_run
    with duckdb.connect(str(warehouse), read_only=True) as con:
        site = by_site.newest_site(con)
        cutoff = by_site.cutoff_of(con)
        newest = con.execute(
            "select SITEID from raw.transfers where STATUS = 'LOADED' "
            "order by EXTRACT_DATETIME desc, TRANSFER_ID desc limit 1"
        ).fetchone()[0]
        (cut,) = con.execute("select max(CUTOFFDT) from adam.adsl").fetchone()
        (site_subjects,) = con.execute(
            "select count(*) from adam.adsl where SITEID = ?", [site]
        ).fetchone()
        (loaded,) = con.execute(
            "select count(*) from raw.transfers where STATUS = 'LOADED'"
        ).fetchone()
        (sites,) = con.execute("select count(distinct SITEID) from adam.adsl").fetchone()
    assert site == newest
    assert cutoff == str(cut)
    copy = tmp_path / "site" / "warehouse.duckdb"
    copy.parent.mkdir()
    shutil.copyfile(warehouse, copy)
    set_aside = by_site.set_aside_other_sites(copy, site)
    with duckdb.connect(str(copy), read_only=True) as con:
        (still_loaded,) = con.execute(
            "select count(*) from raw.transfers where STATUS = 'LOADED'"
        ).fetchone()
    # every LOADED transfer of the other sites is set aside; the site's own stay
    assert set_aside == loaded - still_loaded and sites > 1 and set_aside > 0
    run = by_site.dbt_build(copy, tmp_path / "site" / "target", cutoff)
    assert 0 < site_subjects < 60
    assert run["subjects"] == site_subjects
    assert run["dbt_elapsed_s"] > 0
    with duckdb.connect(str(copy), read_only=True) as con:
        assert con.execute("select distinct SITEID from adam.adsl").fetchall() == [(site,)]
        assert con.execute("select distinct CUTOFFDT from adam.adsl").fetchall() == [(cut,)]
