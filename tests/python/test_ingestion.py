"""Messy deliveries through the real pipeline (land → audit → dbt → audit → publish).

Three builds in one warehouse, shared by every test here (none of them changes it):

1. delivery A — a corpus with every landing shape, every row-level reason code and every
   file-level reason, built from scratch;
2. delivery B — re-deliveries that supersede answers accepted by build 1, a truncated file
   delivered again whole, an untouched file, duplicates across two new files — built
   incrementally;
3. ``--full-refresh`` of the same warehouse, which must give the very same marts as build 2.

Each file's accepted / quarantined / superseded counts are asserted exactly.
"""

from __future__ import annotations

import io
import json
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cxbench.build import BuildRecord
from cxbench.relations import DBT_TARGET, INTERMEDIATE, MARTS
from cxbench.settings import Settings
from cxbench.status import render_status
from tests.python.helpers import build_here, make_settings, marts_differences

CSV_HEADER = "client_id,response_id,responded_at,touchpoint,channel,unit,question,answer\n"
EVIL_ID = "'); drop table x; --"
EVIL_UNIT = "Robert'); DROP TABLE fct_answers;--"
EVIL_COMMENT = "'; select * from clients; --"
EVIL_CLIENT = "x'); drop table clients; --"
SEMICOLON_COMMENT = 'semi;colon, comma "quoted"\nand a new line'
# 200 KB of text with commas, quotes and line breaks, ending in a non-space (values are trimmed).
BIG_COMMENT = ('Pitkä palaute, jossa on pilkkuja, "lainauksia" ja\nrivinvaihtoja. ' * 3300)[
    :199_999
] + "."
SQL_FILE = "a/o'brien; drop table x [1].csv"


def csv_line(*values: str) -> str:
    """One RFC 4180 record: fields with a comma, quote or line break are quoted."""
    quoted = (
        '"' + v.replace('"', '""') + '"' if any(c in v for c in ',"\n') else v for v in values
    )
    return ",".join(quoted) + "\n"


def c001(response: str, question: str, answer: str, *, at: str = "2025-05-04 12:00:00") -> str:
    return csv_line("c001", response, at, "Store visit", "email", "", question, answer)


def jsonl(**fields: Any) -> str:
    base = {
        "client_id": "c003",
        "response_id": "j",
        "responded_at": "2025-06-01T09:00:00+03:00",
        "touchpoint": "Online banking",
        "question": "LikelihoodToRecommend",
        "answer": 8,
    }
    base.update(fields)
    return json.dumps({k: v for k, v in base.items() if v is not ...}) + "\n"


def parquet_bytes(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def delivery_a() -> dict[str, bytes]:
    bulk = CSV_HEADER + "".join(
        c001(f"r{i:03d}", q, a)
        for i in range(1, 41)
        for q, a in (("K1", str(i % 11)), ("K2", str(1 + i % 7)), ("K_avoin", f"ok {i}"))
    )
    semicolon_comment = '"' + SEMICOLON_COMMENT.replace('"', '""') + '"'
    shapes = (
        "\ufeffCLIENT_ID;Response_ID;Responded_At;TOUCHPOINT;Channel;Unit;Question;Answer;Survey\r\n"
        "c002;s1;2025-04-02T08:00:00+03:00;Myymälä;SMS;Itäkeskus;Q1_NPS;9;v2\r\n"
        "c002;s1;2025-04-02T08:00:00+03:00;Myymälä;SMS;Itäkeskus;Q3_CES;5,5;v2\r\n"
        f"c002;s1;2025-04-02T08:00:00+03:00;Myymälä;SMS;Itäkeskus;Q4_COMMENT;{semicolon_comment};v2\r\n"
        "c002;s1;2025-04-02T08:00:00+03:00;Myymälä;SMS;Itäkeskus;Q2_CSAT;4,5;v2\r\n"
        "c002;s2;2025-04-03;CHECKOUT;web;;q1_nps;10;v2\r\n"
    )
    timestamps = CSV_HEADER + "".join(
        csv_line("c001", f"t{i}", at, "Customer care", "", "", "K1", "7")
        for i, at in enumerate(
            [
                "2025-03-01T10:00:00+02:00",
                "2025-03-01T10:00:00Z",
                "2025-03-01 10:00:00",
                # A date alone, in a year build 2 does not touch: the year, quarter and month
                # after ones it does, whose change vs 2025 the client marts must recompute.
                "2026-01-15",
                "2025-03-01T10:00:00.250-05:00",
                "01/03/2025",
                "epoch",
                "",
                "2999-01-01T00:00:00Z",
            ],
            start=1,
        )
    )
    reasons = "".join(
        [
            jsonl(response_id="j1", client_id="c999"),
            jsonl(response_id="j2", client_id=...),
            jsonl(response_id=...),
            jsonl(response_id="j4", question=None),
            jsonl(response_id="j5", question="NoSuchQuestion"),
            jsonl(response_id="j6", touchpoint=""),
            jsonl(response_id="j7", touchpoint="Moon base"),
            jsonl(response_id="j8", answer=None),
            jsonl(response_id="j9", answer="seven"),
            jsonl(response_id="j10", answer="NaN"),
            jsonl(response_id="j11", answer="7,5"),
            jsonl(response_id="j12", answer=11),
            jsonl(response_id="j13", answer=7.5),
            '{"client_id": "c003", "response_id": "j14", broken\n',
            "[1, 2]\n",
            jsonl(response_id="j16", touchpoint="web", answer=8),
            jsonl(response_id="j17", touchpoint="ONLINE BANKING", question="likelihoodtorecommend"),
            '{"Client_ID": "c003", "RESPONSE_ID": "j18", "Responded_At": "2025-06-01", '
            '"TouchPoint": "Online banking", "QUESTION": "LikelihoodToRecommend", "Answer": 10}\n',
            jsonl(response_id="j19", question="FreeText", answer="Kiitos, hyvää palvelua"),
        ]
    )
    sql_strings = CSV_HEADER + "".join(
        csv_line("c001", response, "2025-05-05", "Customer care", "phone", unit, question, answer)
        for response, unit, question, answer in [
            (EVIL_ID, EVIL_UNIT, "K1", "6"),
            (EVIL_ID, EVIL_UNIT, "K_avoin", EVIL_COMMENT),
            ("big", "", "K_avoin", BIG_COMMENT),
        ]
    )
    sql_strings += csv_line(EVIL_CLIENT, "e1", "2025-05-05", "web", "", "", "K1", "5")
    dupes = CSV_HEADER + "".join(
        c001(response, question, answer)
        for response, question, answer in [
            ("d1", "K1", "3"),
            ("d1", "K1", "9"),
            ("d2", "K1", "5"),
            ("d2", "K1", "bad"),
            ("d3", "k1", "4"),
            ("d3", "K1", "6"),
        ]
    )
    malformed = (
        CSV_HEADER
        + c001("m1", "K1", "8")
        + "c001,m2,2025-05-04,Store visit\n"
        + "c001,m3,2025-05-04,Store visit,email,,K1,7,surplus\n"
        + c001("m4", "K1", "7")
    )
    typed = pa.table(
        {
            "CLIENT_ID": ["c004"] * 3,
            "RESPONSE_ID": ["p1"] * 3,
            "RESPONDED_AT": pa.array([datetime(2025, 2, 3, 4, 5, 6)] * 3, pa.timestamp("us")),
            "TOUCHPOINT": ["Tarjous"] * 3,
            "QUESTION": ["suositus", "tyytyvaisyys", "vaivannako"],
            "ANSWER": pa.array([10, 6, 2], pa.int64()),
            "SURVEY_NAME": ["v2"] * 3,
        }
    )
    whole = parquet_bytes(typed)
    return {
        "a/bulk.csv": bulk.encode(),
        "a/shapes_semicolon.csv": shapes.encode(),
        "a/timestamps.csv": timestamps.encode(),
        "a/reasons.jsonl": reasons.encode(),
        SQL_FILE: sql_strings.encode(),
        "a/dupes.csv": dupes.encode(),
        "a/malformed.csv": malformed.encode(),
        "a/typed.parquet": whole,
        "a/empty.csv": b"",
        "a/header_only.csv": CSV_HEADER.encode(),
        "a/missing_columns.csv": b"client_id,response_id,question,answer\nc001,r1,K1,5\n",
        "a/duplicate_columns.csv": (CSV_HEADER.replace("\n", ",Client_ID\n") + "c001\n").encode(),
        "a/latin1.csv": (CSV_HEADER + c001("l1", "K_avoin", "Hyvä")).encode("latin-1"),
        "a/late.csv": (CSV_HEADER + c001("l1", "K1", "5") + "c001,l2,2025-05").encode(),
        "a/cut.jsonl": (jsonl(response_id="k1") + '{"client_id": "c0').encode(),
        "a/cut.parquet": whole[: len(whole) // 2],
        "a/garbage.parquet": b"PAR2 not a parquet file at all" * 10,
    }


def delivery_b() -> dict[str, bytes]:
    # r001 and r003 are re-sent with a date in another quarter (their May rows are superseded:
    # May, July and both quarters change); r950 is a late answer in a month and year nothing
    # else of this build touches. The incremental aggregates must equal a full refresh.
    redelivery = CSV_HEADER + "".join(
        c001(response, question, answer, at=at)
        for response, question, answer, at in [
            ("r001", "K1", "10", "2025-07-20"),
            ("r002", "K1", "x", "2025-05-20"),
            ("d1", "K1", "1", "2025-05-20"),
            ("r900", "K1", "8", "2025-05-20"),
            ("r003", "k1", "0", "2025-07-20"),
            ("r950", "K1", "3", "2024-12-15"),
        ]
    )
    return {
        "b/redelivery.csv": redelivery.encode(),
        "a/late.csv": (CSV_HEADER + c001("l1", "K1", "5") + c001("l2", "K1", "6")).encode(),
        "b/x1.jsonl": (
            jsonl(response_id="xr1", answer=5)
            + jsonl(response_id="xr2", question="Satisfaction", answer=4)
        ).encode(),
        "b/x2.jsonl": (
            jsonl(response_id="xr1", answer=6) + jsonl(response_id="j16", answer=3)
        ).encode(),
    }


# Per file, in load order: (landed, accepted, quarantined, superseded, file reason).
AFTER_A: dict[str, list[tuple[int, int, int, int, str | None]]] = {
    "a/bulk.csv": [(120, 120, 0, 0, None)],
    "a/shapes_semicolon.csv": [(5, 4, 1, 0, None)],
    "a/timestamps.csv": [(9, 5, 4, 0, None)],
    "a/reasons.jsonl": [(19, 4, 15, 0, None)],
    SQL_FILE: [(4, 3, 1, 0, None)],
    "a/dupes.csv": [(6, 3, 1, 2, None)],
    "a/malformed.csv": [(4, 2, 2, 0, None)],
    "a/typed.parquet": [(3, 3, 0, 0, None)],
    "a/empty.csv": [(0, 0, 0, 0, "empty_file")],
    "a/header_only.csv": [(0, 0, 0, 0, "header_only")],
    "a/missing_columns.csv": [(0, 0, 0, 0, "missing_columns")],
    "a/duplicate_columns.csv": [(0, 0, 0, 0, "duplicate_columns")],
    "a/latin1.csv": [(0, 0, 0, 0, "not_utf8")],
    "a/late.csv": [(0, 0, 0, 0, "truncated")],
    "a/cut.jsonl": [(0, 0, 0, 0, "truncated")],
    "a/cut.parquet": [(0, 0, 0, 0, "truncated")],
    "a/garbage.parquet": [(0, 0, 0, 0, "unreadable")],
}
AFTER_B = {
    **AFTER_A,
    "a/bulk.csv": [(120, 118, 0, 2, None)],  # r001 and r003 K1 superseded by b/redelivery
    "a/dupes.csv": [(6, 2, 1, 3, None)],  # d1 K1 superseded again
    "a/reasons.jsonl": [(19, 3, 15, 1, None)],  # j16 superseded by b/x2
    "a/late.csv": [(0, 0, 0, 0, "truncated"), (2, 2, 0, 0, None)],
    "b/redelivery.csv": [(6, 5, 1, 0, None)],
    "b/x1.jsonl": [(2, 1, 0, 1, None)],
    "b/x2.jsonl": [(2, 2, 0, 0, None)],
}
ROW_REASONS_A = {
    "unknown_client": 2,
    "missing_client_id": 1,
    "missing_response_id": 1,
    "missing_question": 1,
    "unknown_question": 1,
    "missing_touchpoint": 1,
    "unknown_touchpoint": 1,
    "missing_timestamp": 1,
    "timestamp_unparseable": 2,
    "timestamp_in_future": 1,
    "answer_missing": 1,
    "not_a_number": 4,
    "outside_scale": 1,
    "not_a_scale_point": 2,
    "malformed_row": 4,
}
# Compared beside every mart (marts_differences reads the marts from the warehouse, so a new
# mart is compared too): the classification and the intermediate tables the marts read.
COMPARED_ALSO = tuple(
    (INTERMEDIATE, name)
    for name in (
        "int_answers_classified",
        "int_responses_summarised",
        "int_response_index_scores",
        "int_metric_observations",
        "int_client_driver_months",
        # The incremental aggregates (client × touched months), compared before the marts
        # that read them could hide a difference.
        "int_client_metric_periods",
        "int_unit_metric_periods",
        "int_client_metric_days",
        "int_comments_grouped",
        "int_comment_themes_matched",
        "int_client_comment_theme_periods",
    )
)
# What the incremental aggregates recompute: by design all months on a full refresh.
TOUCHED = "int_delivery_touched_months"
# The intermediate tables the tests read row by row, beside every mart.
READ_ALSO = ((INTERMEDIATE, "int_answers_classified"), (INTERMEDIATE, TOUCHED))
# The disclosure decision of every benchmark mart must agree between the two paths.
DISCLOSURE_MARTS = (
    "fct_benchmark_cells",
    "fct_driver_benchmark_cells",
    "fct_theme_benchmark_cells",
)


@dataclass(frozen=True)
class Built:
    """What one build left: its record and the tables it built, read back from DuckDB."""

    record: BuildRecord
    tables: dict[str, list[dict[str, Any]]]
    status: str
    status_all_files: str
    # What dbt ran: node counts by resource type, each incremental model's recorded batch
    # watermark, and the SQL dbt ran for the column_values test of fct_quarantined_rows (an
    # incremental model with a load_id; its unique rule among them).
    node_types: dict[str, int]
    batch_watermarks: dict[str, int | None]
    quarantine_unique_test_sql: str
    # ... and for that of int_client_metric_periods (an incremental aggregate; its
    # unique_combination rule among them).
    periods_unique_test_sql: str
    # A copy of the DuckDB file as this build left it (the next build changes the original).
    database: Path
    # When dbt's manifest was written (an incremental build writes none).
    manifest_written: int

    def per_file(self) -> dict[str, list[tuple[int, int, int, int, str | None]]]:
        counts: dict[str, list[tuple[int, int, int, int, str | None]]] = {}
        for row in sorted(self.tables["fct_file_reconciliation"], key=lambda r: r["load_id"]):
            counts.setdefault(row["source_file"], []).append(
                (
                    row["rows_landed"],
                    row["rows_accepted"],
                    row["rows_quarantined"],
                    row["rows_superseded"],
                    row["file_reason_code"],
                )
            )
        return counts

    def answer(self, client: str, response: str, question: str) -> dict[str, Any]:
        [row] = [
            r
            for r in self.tables["fct_answers"]
            if (r["client_id"], r["response_id"], r["question"].lower())
            == (client, response, question.lower())
        ]
        return row


def deliver(settings: Settings, files: dict[str, bytes]) -> None:
    for name, content in files.items():
        path = settings.landing / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def build(settings: Settings, name: str, *, full_refresh: bool = False) -> Built:
    record = build_here(settings, full_refresh=full_refresh)
    database = settings.home / f"after_{name}.duckdb"  # closed and checkpointed by the build
    shutil.copyfile(settings.database, database)
    con = duckdb.connect(str(settings.database), read_only=True)
    try:
        marts = con.execute(
            "select table_name from information_schema.tables where table_schema = ?",
            [MARTS],
        ).fetchall()
        tables = {}
        for schema, table in [*((MARTS, mart) for (mart,) in marts), *READ_ALSO]:
            result = con.execute(f"select * from {schema}.{table}")  # noqa: S608 - constants
            names = [d[0] for d in result.description]
            tables[table] = [dict(zip(names, row, strict=True)) for row in result.fetchall()]
        watermarks = dict(
            con.execute(
                "select model_name, after_load_id from main.build_batch_watermarks"
            ).fetchall()
        )
    finally:
        con.close()
    target = settings.warehouse / DBT_TARGET
    results = json.loads((target / "run_results.json").read_text())["results"]
    node_types = Counter(r["unique_id"].split(".")[0] for r in results)
    [unique_test] = (target / "run").rglob("column_values_fct_quarantined_rows.sql")
    [periods_test] = (target / "run").rglob("column_values_int_client_metric_periods.sql")
    return Built(
        record,
        tables,
        render_status(settings),
        render_status(settings, all_files=True),
        dict(node_types),
        watermarks,
        unique_test.read_text(),
        periods_test.read_text(),
        database,
        (target / "manifest.json").stat().st_mtime_ns,
    )


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Built]]:
    settings = make_settings(tmp_path_factory.mktemp("ingestion"))
    deliver(settings, delivery_a())
    first = build(settings, "a")
    deliver(settings, delivery_b())
    second = build(settings, "b")
    refreshed = build(settings, "full", full_refresh=True)
    yield {"a": first, "b": second, "full": refreshed}


# --- build 1: the corpus ---------------------------------------------------------------------


def test_every_file_reconciles_with_exact_counts(builds: dict[str, Built]) -> None:
    first = builds["a"]
    assert first.record.status == "published"
    assert first.per_file() == AFTER_A
    rec = first.record.reconciliation
    assert (rec["rows_landed"], rec["rows_accepted"], rec["rows_quarantined"]) == (170, 144, 24)
    assert rec["rows_superseded"] == 2


def test_every_row_reason_is_counted(builds: dict[str, Built]) -> None:
    reasons: dict[str, int] = {}
    for row in builds["a"].tables["fct_quarantined_rows"]:
        reasons[row["reason_code"]] = reasons.get(row["reason_code"], 0) + 1
    assert reasons == ROW_REASONS_A
    assert builds["a"].record.reconciliation["quarantine_reasons"] == ROW_REASONS_A


def test_quarantined_rows_keep_what_the_client_sent(builds: dict[str, Built]) -> None:
    quarantined = builds["a"].tables["fct_quarantined_rows"]
    by_reason = {(r["source_file"], r["response_id"]): r for r in quarantined}
    evil = by_reason[(SQL_FILE, "e1")]
    assert (evil["client_id"], evil["reason_code"]) == (EVIL_CLIENT, "unknown_client")
    assert by_reason[("a/timestamps.csv", "t6")]["responded_at_raw"] == "01/03/2025"
    assert by_reason[("a/reasons.jsonl", "j11")]["answer_raw"] == "7,5"
    lines = sorted(
        (r["source_file"], r["source_line"], r["raw_line"])
        for r in quarantined
        if r["reason_code"] == "malformed_row"
    )
    assert lines == [
        ("a/malformed.csv", 3, "c001,m2,2025-05-04,Store visit"),
        ("a/malformed.csv", 4, "c001,m3,2025-05-04,Store visit,email,,K1,7,surplus"),
        ("a/reasons.jsonl", 14, '{"client_id": "c003", "response_id": "j14", broken'),
        ("a/reasons.jsonl", 15, "[1, 2]"),
    ]


def test_client_strings_are_stored_verbatim(builds: dict[str, Built]) -> None:
    first = builds["a"]
    nps = first.answer("c001", EVIL_ID, "K1")
    assert (nps["unit"], nps["score"], nps["source_file"]) == (EVIL_UNIT, 6, SQL_FILE)
    assert first.answer("c001", EVIL_ID, "K_avoin")["comment_text"] == EVIL_COMMENT
    assert first.answer("c001", "big", "K_avoin")["comment_text"] == BIG_COMMENT
    assert first.answer("c002", "s1", "Q4_COMMENT")["comment_text"] == SEMICOLON_COMMENT
    assert len(first.tables["fct_answers"]) == 144  # and no table was dropped along the way


def test_shapes_and_timestamps_are_harmonised(builds: dict[str, Built]) -> None:
    first = builds["a"]
    assert first.answer("c002", "s1", "Q3_CES")["score"] == 5.5  # decimal comma
    assert first.answer("c002", "s2", "Q1_NPS")["touchpoint_code"] == "sales"  # CHECKOUT
    assert first.answer("c003", "j16", "LikelihoodToRecommend")["touchpoint_code"] == "web"
    assert first.answer("c003", "j18", "LikelihoodToRecommend")["score"] == 10  # keys in caps
    assert first.answer("c004", "p1", "vaivannako")["norm"] == 75  # reversed 1–5 effort scale
    utc = {
        r["response_id"]: r["responded_at"]
        for r in first.tables["fct_answers"]
        if r["response_id"].startswith("t")
    }
    assert utc == {
        "t1": datetime(2025, 3, 1, 8, 0),
        "t2": datetime(2025, 3, 1, 10, 0),
        "t3": datetime(2025, 3, 1, 10, 0),
        "t4": datetime(2026, 1, 15, 0, 0),
        "t5": datetime(2025, 3, 1, 15, 0, 0, 250000),
    }


def test_duplicates_inside_a_file_keep_the_later_valid_row(builds: dict[str, Built]) -> None:
    first = builds["a"]
    assert first.answer("c001", "d1", "K1")["score"] == 9
    assert first.answer("c001", "d2", "K1")["score"] == 5  # the later row is not a number
    assert first.answer("c001", "d3", "K1")["score"] == 6  # question codes ignore case


def test_status_lists_only_files_that_need_a_look(builds: dict[str, Built]) -> None:
    status, full = builds["a"].status, builds["a"].status_all_files
    assert "170 landed = 144 accepted + 24 quarantined + 2 superseded in 17 files" in status
    assert "truncated 3" in status and "empty_file 1" in status
    assert "  a/dupes.csv: 6 = 3 + 1 + 2" in status
    assert "a/bulk.csv" not in status and "a/typed.parquet" not in status
    assert "  a/bulk.csv: 120 = 120 + 0 + 0" in full
    assert "  a/late.csv: 0 = 0 + 0 + 0 [file quarantined: truncated]" in full


# Rows held by each file quarantined whole (non-blank lines less a CSV header; a Parquet file
# whose footer cannot be read is not countable).
ROWS_HELD_A = {
    "a/empty.csv": 0,
    "a/header_only.csv": 0,
    "a/missing_columns.csv": 1,
    "a/duplicate_columns.csv": 1,
    "a/latin1.csv": 1,
    "a/late.csv": 2,
    "a/cut.jsonl": 2,
    "a/cut.parquet": None,
    "a/garbage.parquet": None,
}


def test_files_quarantined_whole_say_how_many_rows_they_held(builds: dict[str, Built]) -> None:
    first = builds["a"]
    held = {
        r["source_file"]: r["rows_in_quarantined_file"]
        for r in first.tables["fct_file_reconciliation"]
        if r["file_reason_code"] is not None
    }
    assert held == ROWS_HELD_A
    loaded = [r for r in first.tables["fct_file_reconciliation"] if r["file_reason_code"] is None]
    assert all(r["rows_in_quarantined_file"] is None for r in loaded)
    assert "  they held 7 rows (2 files could not be counted)" in first.status
    assert "Rows sent: 177 = 170 landed + 7 in files quarantined as a whole" in first.status
    assert "a/late.csv: 0 = 0 + 0 + 0 [file quarantined: truncated] (held 2 rows)" in (
        first.status_all_files
    )
    assert (
        "a/garbage.parquet: 0 = 0 + 0 + 0 [file quarantined: unreadable] (rows not countable)"
        in (first.status_all_files)
    )


def test_status_gives_the_newest_answer_and_each_clients_last_delivery(
    builds: dict[str, Built],
) -> None:
    """The deliveries were landed just now: every client that sent a file delivered within
    the threshold; registered clients that never sent one are named."""
    status = builds["b"].status
    newest = max(r["responded_at"] for r in builds["b"].tables["fct_answers"])
    assert f"Newest answer: {newest.isoformat()}" in status
    line = next(x for x in status.splitlines() if x.startswith("Client deliveries:"))
    assert line.endswith("delivered within 35 days (CXB_STALE_CLIENT_DAYS)")
    delivered = {r["client_id"] for r in builds["b"].tables["fct_answers"]}
    assert int(line.split()[2]) >= len(delivered)
    warning = next(x for x in status.splitlines() if "WARNING: no delivery" in x)
    assert "c001" not in warning and "(never)" in warning


# --- build 2: incremental -------------------------------------------------------------------


def test_the_incremental_build_tests_its_batch_and_the_full_builds_everything(
    builds: dict[str, Built],
) -> None:
    """Unit tests, seeds and what is built from seeds alone run on full refresh only (their
    tables and verdicts depend on the project alone); data tests on an incremental model read
    the new batch on an incremental build, all rows else. Unit tests run at most once per
    project fingerprint in this checkout (test_unit_test_record): build 1 runs them unless
    another test's build already did, build 3 refreshes under the same fingerprint and leaves
    them out, and each record says which."""
    first, second, refreshed = builds["a"], builds["b"], builds["full"]
    skipped = "unit tests: passed under this fingerprint at "
    if ran := first.node_types.get("unit_test", 0):
        assert first.record.dbt["unit_tests"].startswith(f"unit tests: {ran} passed at ")
    else:
        assert first.record.dbt["unit_tests"].startswith(skipped)
    assert "unit_test" not in refreshed.node_types
    assert refreshed.record.dbt["unit_tests"].startswith(skipped)
    assert refreshed.node_types["seed"] == first.node_types["seed"] > 0
    assert "unit_test" not in second.node_types and "seed" not in second.node_types
    assert 0 < second.node_types["test"] < first.node_types["test"]
    assert second.node_types["model"] < first.node_types["model"]
    # The watermarks are the newest deliveries the first build processed.
    assert second.batch_watermarks["int_answers_classified"] == max(
        r["load_id"] for r in first.tables["int_answers_classified"]
    )
    assert second.batch_watermarks["fct_quarantined_rows"] == max(
        r["load_id"] for r in first.tables["fct_quarantined_rows"]
    )
    assert first.batch_watermarks == refreshed.batch_watermarks == {}
    # ... read when the test runs and written into its SQL as a literal, which DuckDB pushes
    # into the table scan; the uniqueness rules read the same rows.
    assert "group by quarantined_row_id" in second.quarantine_unique_test_sql
    assert "group by client_id, touchpoint_code, period, metric_code" in (
        second.periods_unique_test_sql
    )
    quarantined = second.batch_watermarks["fct_quarantined_rows"]
    assert f"load_id > {quarantined})" in second.quarantine_unique_test_sql
    # An incremental aggregate's tests read the client × periods the build recomputed.
    assert TOUCHED in second.periods_unique_test_sql
    for full in (first, refreshed):
        assert "build_batch_watermarks" not in full.quarantine_unique_test_sql
        assert "where true" in full.quarantine_unique_test_sql
        assert TOUCHED not in full.periods_unique_test_sql


def test_the_second_build_is_incremental(builds: dict[str, Built]) -> None:
    assert builds["a"].record.dbt["full_refresh"] == "first build of this warehouse"
    assert builds["b"].record.dbt["full_refresh"] is None
    assert builds["b"].record.landing["new_files"] == 4
    assert builds["b"].record.landing["unchanged_files"] == 16
    assert "dbt: incremental" in builds["b"].status
    # It wrote no dbt manifest (the full refresh's stays: the same project) and its own
    # run_results.json (its node counts above come from it).
    assert builds["b"].manifest_written == builds["a"].manifest_written
    assert builds["full"].manifest_written > builds["a"].manifest_written
    assert builds["b"].node_types != builds["a"].node_types


def test_a_later_delivery_supersedes_answers_of_an_earlier_build(
    builds: dict[str, Built],
) -> None:
    second = builds["b"]
    assert second.per_file() == AFTER_B
    assert second.answer("c001", "r001", "K1")["score"] == 10
    assert second.answer("c001", "r001", "K1")["source_file"] == "b/redelivery.csv"
    assert second.answer("c001", "r002", "K1")["source_file"] == "a/bulk.csv"  # bad re-delivery
    assert second.answer("c001", "d1", "K1")["score"] == 1
    assert second.answer("c003", "xr1", "LikelihoodToRecommend")["source_file"] == "b/x2.jsonl"
    assert second.answer("c003", "j16", "LikelihoodToRecommend")["score"] == 3
    assert second.answer("c001", "l2", "K1")["score"] == 6  # the truncated file, whole
    rec = second.record.reconciliation
    assert (
        rec["rows_landed"]
        == rec["rows_accepted"] + rec["rows_quarantined"] + (rec["rows_superseded"])
    )
    assert (rec["rows_landed"], rec["rows_accepted"], rec["rows_superseded"]) == (182, 150, 7)
    answers = second.tables["fct_answers"]
    keys = [(r["client_id"], r["response_id"], r["question"].lower()) for r in answers]
    assert len(keys) == len(set(keys)) == 150


def test_full_refresh_gives_the_same_marts_as_the_incremental_path(
    builds: dict[str, Built],
) -> None:
    incremental, refreshed = builds["b"], builds["full"]
    assert refreshed.record.dbt["full_refresh"] == "requested"
    assert refreshed.record.landing["new_files"] == 0
    differences = marts_differences(incremental.database, refreshed.database, also=COMPARED_ALSO)
    assert set(DISCLOSURE_MARTS) <= set(differences)
    assert {table: n for table, n in differences.items() if n} == {}
    decisions = [
        row["suppressed_reason"] for table in DISCLOSURE_MARTS for row in refreshed.tables[table]
    ]
    assert decisions, "the comparison must cover benchmark cells and their disclosure decision"


def test_the_incremental_aggregates_recompute_only_the_touched_months(
    builds: dict[str, Built],
) -> None:
    """The second build touched the months of its deliveries' responses, including the month a
    re-sent answer left (May) and a late answer's old month and year; the full refresh touches
    every month. (The full-refresh comparison above proves the recomputation exact.)"""
    months = {(r["client_id"], r["month_start"].isoformat()) for r in builds["b"].tables[TOUCHED]}
    every_month = {
        (r["client_id"], r["month_start"].isoformat()) for r in builds["full"].tables[TOUCHED]
    }
    assert {("c001", "2025-05-01"), ("c001", "2025-07-01"), ("c001", "2024-12-01")} <= months
    assert ("c002", "2025-04-01") not in months
    assert months < every_month
