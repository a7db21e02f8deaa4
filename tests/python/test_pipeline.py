"""The whole flow on a small demo: land → audit → dbt build → audit → publish."""

from __future__ import annotations

import json

import duckdb
import pyarrow.parquet as pq

from cxbench.build import BuildRecord
from cxbench.publish import current_build_id, served_marts
from cxbench.relations import dbt_manifest_path
from cxbench.settings import Settings
from cxbench.status import render_status


def test_build_publishes_a_complete_snapshot(built: tuple[Settings, BuildRecord]) -> None:
    settings, record = built
    assert record.status == "published"
    assert current_build_id(settings.published) == record.build_id
    folder = settings.published / record.build_id
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["build_id"] == record.build_id
    marts = served_marts(dbt_manifest_path(settings.warehouse))
    # The API exposure's marts, every one of them and nothing else.
    assert sorted(p.stem for p in folder.glob("*.parquet")) == sorted(marts)
    assert "fct_benchmark_cells" in marts and "fct_answers" not in marts
    for mart in marts:
        assert pq.read_metadata(folder / f"{mart}.parquet").num_rows == manifest["row_counts"][mart]
    gates = {a["gate"]: a["success"] for a in manifest["audits"]}
    assert gates == {"raw": True, "marts": True}


def test_every_landed_row_is_accounted_for(built: tuple[Settings, BuildRecord]) -> None:
    settings, record = built
    rec = record.reconciliation
    assert rec["rows_landed"] > 100_000
    assert rec["rows_landed"] == (
        rec["rows_accepted"] + rec["rows_quarantined"] + rec["rows_superseded"]
    )
    con = duckdb.connect()
    landed = con.execute(
        "select count(*) from read_parquet(?)", [str(settings.landed / "answers" / "*.parquet")]
    ).fetchone()
    assert landed is not None and landed[0] == rec["rows_landed"]


def test_benchmarks_cover_every_grain_and_roll_up(built: tuple[Settings, BuildRecord]) -> None:
    settings, record = built
    cells = pq.read_table(settings.published / record.build_id / "fct_benchmark_cells.parquet")
    rows = cells.to_pylist()
    assert {r["period_grain"] for r in rows} == {"month", "quarter", "year"}
    assert {"nps", "csat", "ces"} <= {r["metric_code"] for r in rows}
    published = [r for r in rows if r["is_published"]]
    assert published, "the demo must publish some cells"
    assert any(r["industry_code"] == "*" and r["touchpoint_code"] == "*" for r in published)
    assert any(r["industry_code"] != "*" and r["touchpoint_code"] != "*" for r in published)
    for r in published:
        assert r["n_clients"] >= 5 and r["max_client_share"] <= 0.25
        shown = [r[q] for q in ("p10", "p25", "median", "p75", "p90") if r[q] is not None]
        assert shown == sorted(shown) and r["median"] is not None
        # DESIGN §5.1: p10 and p90 only from 10 contributors.
        assert (r["p10"] is None and r["p90"] is None) or r["n_clients"] >= 10
    for r in rows:
        if not r["is_published"]:
            assert r["value"] is None and r["median"] is None and r["n_responses"] is None
            assert r["suppressed_reason"] in {"too_few_clients", "dominant_client", "complementary"}


def test_status_reports_the_live_build(built: tuple[Settings, BuildRecord]) -> None:
    settings, record = built
    text = render_status(settings)
    assert f"Live snapshot: {record.build_id}" in text
    assert "landed =" in text
