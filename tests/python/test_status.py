"""`cxbench status` stays readable with hundreds of files: totals always, per-file lines only
for the files that need a look (at most MAX_FILES_SHOWN), every file with --files."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cxbench.build import LAST_BUILD
from cxbench.cli import main
from cxbench.status import MAX_FILES_SHOWN, render_status
from tests.python.helpers import make_settings


def file_row(
    i: int, quarantined: int = 0, superseded: int = 0, reason: str | None = None
) -> dict[str, Any]:
    landed = 0 if reason else 100
    return {
        "source_file": f"demo/f{i:03d}.csv",
        "file_status": "quarantined" if reason else "loaded",
        "file_reason_code": reason,
        "rows_landed": landed,
        "rows_accepted": landed - quarantined - superseded,
        "rows_quarantined": quarantined,
        "rows_superseded": superseded,
    }


def write_last_build(warehouse: Path, files: list[dict[str, Any]]) -> None:
    warehouse.mkdir(parents=True)
    record = {
        "build_id": "b1",
        "status": "published",
        "steps": {},
        "dbt": {"counts": {"success": 1}, "full_refresh": None},
        "landing": {"new_files": 2, "unchanged_files": len(files) - 2, "quarantined_files": []},
        "reconciliation": {
            "files": files,
            "rows_landed": sum(f["rows_landed"] for f in files),
            "rows_accepted": sum(f["rows_accepted"] for f in files),
            "rows_quarantined": sum(f["rows_quarantined"] for f in files),
            "rows_superseded": sum(f["rows_superseded"] for f in files),
            "quarantine_reasons": {"outside_scale": 20, "malformed_row": 5},
        },
    }
    (warehouse / LAST_BUILD).write_text(json.dumps(record))


def test_status_lists_only_files_that_need_a_look(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    files = [file_row(i) for i in range(420)]
    files[3] = file_row(3, quarantined=2)
    files[7] = file_row(7, superseded=5)
    files[9] = file_row(9, reason="truncated")
    files[400:425] = [file_row(i, quarantined=1) for i in range(400, 425)]
    write_last_build(settings.warehouse, files)

    text = render_status(settings)
    lines = text.splitlines()
    totals = "Rows: 42,400 landed = 42,368 accepted + 27 quarantined + 5 superseded in 425 files"
    assert totals in lines
    assert "Quarantine by reason: outside_scale 20, malformed_row 5" in lines
    assert "Files quarantined as a whole: truncated 1" in lines
    assert "  dbt: incremental (only new deliveries processed)" in lines
    listed = [line for line in lines if line.startswith("  demo/")]
    assert len(listed) == MAX_FILES_SHOWN
    assert listed[:3] == [
        "  demo/f003.csv: 100 = 98 + 2 + 0",
        "  demo/f007.csv: 100 = 95 + 0 + 5",
        "  demo/f009.csv: 0 = 0 + 0 + 0 [file quarantined: truncated]",
    ]
    assert "  … and 8 more (`cxbench status --files` lists every file)" in lines
    assert "demo/f000.csv" not in text

    every = render_status(settings, all_files=True).splitlines()
    assert len([line for line in every if line.startswith("  demo/")]) == 425
    assert not any(line.startswith("  … and") for line in every)


def test_status_says_when_no_file_needs_a_look(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    write_last_build(settings.warehouse, [file_row(i) for i in range(5)])
    text = render_status(settings)
    assert "Every file's rows were accepted (`cxbench status --files` lists them)." in text
    assert "demo/" not in text


def test_status_files_flag_and_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings(tmp_path)
    write_last_build(settings.warehouse, [file_row(i, quarantined=1) for i in range(30)])
    monkeypatch.setenv("CXB_HOME", str(tmp_path))
    monkeypatch.setenv("CXB_WAREHOUSE_DIR", str(settings.warehouse))
    assert main(["status"]) == 0
    assert capsys.readouterr().out.count("demo/f") == MAX_FILES_SHOWN
    assert main(["status", "--files"]) == 0
    assert capsys.readouterr().out.count("demo/f") == 30
    assert main(["status", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["last_build"]["build_id"] == "b1" and data["last_build"]["state"] == "published"
    assert len(data["last_build"]["reconciliation"]["files"]) == 30


def test_status_counts_rows_of_whole_file_quarantines_and_names_silent_clients(
    tmp_path: Path,
) -> None:
    settings = make_settings(tmp_path)
    files = [file_row(1), file_row(2, reason="truncated"), file_row(3, reason="cut.parquet")]
    files[1]["rows_in_quarantined_file"] = 41
    files[2]["rows_in_quarantined_file"] = None
    write_last_build(settings.warehouse, files)
    record = json.loads((settings.warehouse / LAST_BUILD).read_text())
    now = datetime.now(UTC)
    record["reconciliation"]["newest_answer_at"] = "2026-11-30T10:00:00+00:00"
    record["reconciliation"]["client_deliveries"] = [
        {"client_id": "c001", "last_delivery_at": (now - timedelta(days=2)).isoformat(), "rows": 5},
        {
            "client_id": "c002",
            "last_delivery_at": (now - timedelta(days=60)).isoformat(),
            "rows": 9,
        },
        {"client_id": "c003", "last_delivery_at": None, "rows": 0},
    ]
    (settings.warehouse / LAST_BUILD).write_text(json.dumps(record))

    text = render_status(settings)
    assert "  they held 41 rows (1 files could not be counted)" in text
    assert "Rows sent: 141 = 100 landed + 41 in files quarantined as a whole" in text
    assert "[file quarantined: truncated] (held 41 rows)" in text
    assert "Newest answer: 2026-11-30T10:00:00+00:00" in text
    assert "1 of 3 clients delivered within 35 days" in text
    assert "WARNING: no delivery for over 35 days: c002 (60 d), c003 (never)" in text
