"""Landing on its own (no dbt): every shape of DESIGN §2 lands verbatim, a broken line is a
reject with its line number, a broken file is quarantined with its reason, and the others in
the same run still land."""

from __future__ import annotations

import io
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cxbench import landing
from cxbench.landing import LandingReport, LoadRecord
from cxbench.vocabulary import file_reasons

HEADER = "client_id,response_id,responded_at,touchpoint,question,answer\n"
ROW = "c001,r1,2025-07-01,web,K1,7\n"


def land_files(root: Path, files: dict[str, bytes]) -> LandingReport:
    for name, content in files.items():
        path = root / "landing" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return landing.land(root / "landing", root / "landed")


def landed_rows(root: Path, record: LoadRecord) -> list[dict[str, object]]:
    path = root / "landed" / "answers" / f"{record.load_id:08d}.parquet"
    return pq.read_table(path).to_pylist() if path.exists() else []


def rejected_lines(root: Path, record: LoadRecord) -> list[dict[str, object]]:
    path = root / "landed" / "rejects" / f"{record.load_id:08d}.parquet"
    return pq.read_table(path).to_pylist() if path.exists() else []


def by_file(report: LandingReport) -> dict[str, LoadRecord]:
    return {r.source_file: r for r in report.new_files}


def parquet_bytes(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


# --- shapes that must land -------------------------------------------------------------------


def test_csv_shapes_land_verbatim(tmp_path: Path) -> None:
    comment = 'we said "hi"; then, later\nleft'
    quoted = '"' + comment.replace('"', '""') + '"'
    semicolon = (
        "\ufeffCLIENT_ID;Response_Id;RESPONDED_AT;TouchPoint;Channel;Question;Answer;Survey\r\n"
        "c002;r1;2025-07-01T10:00:00+02:00;Myymälä;SMS;Q3_CES;5,5;v2\r\n"
        f"c002;r1;2025-07-01T10:00:00+02:00;Myymälä;SMS;Q4_COMMENT;{quoted};v2\r\n"
    )
    report = land_files(
        tmp_path,
        {
            "semicolon.csv": semicolon.encode(),
            "blank_lines.csv": (HEADER + ROW + "\n" + ROW.replace("r1", "r2") + "\n\n").encode(),
            "no_final_newline.csv": (HEADER + ROW.rstrip("\n")).encode(),
        },
    )
    files = by_file(report)
    assert {f: (r.status, r.rows_landed, r.rows_rejected) for f, r in files.items()} == {
        "semicolon.csv": ("loaded", 2, 0),
        "blank_lines.csv": ("loaded", 2, 0),
        "no_final_newline.csv": ("loaded", 1, 0),
    }
    rows = landed_rows(tmp_path, files["semicolon.csv"])
    assert [(r["source_row"], r["question"], r["answer"], r["channel"]) for r in rows] == [
        (1, "Q3_CES", "5,5", "SMS"),
        (2, "Q4_COMMENT", comment, "SMS"),
    ]
    assert rows[0]["client_id"] == "c002" and rows[0]["touchpoint"] == "Myymälä"
    assert "survey" not in rows[0] and rows[0]["unit"] is None


def test_parquet_with_typed_columns_and_any_header_case(tmp_path: Path) -> None:
    table = pa.table(
        {
            "Client_Id": ["c004", "c004"],
            "RESPONSE_ID": ["r1", "r1"],
            "responded_at": pa.array([1751364000000000, 1751364000000000], pa.timestamp("us")),
            "Touchpoint": ["Tarjous", "Tarjous"],
            "question": ["suositus", "vaivannako"],
            "ANSWER": pa.array([10, 2], pa.int64()),
            "extra": [1.5, 2.5],
        }
    )
    report = land_files(tmp_path, {"typed.parquet": parquet_bytes(table)})
    record = report.new_files[0]
    assert (record.status, record.rows_landed) == ("loaded", 2)
    rows = landed_rows(tmp_path, record)
    assert [(r["source_row"], r["answer"], r["responded_at"]) for r in rows] == [
        (1, "10", "2025-07-01 10:00:00"),
        (2, "2", "2025-07-01 10:00:00"),
    ]


def test_jsonl_keys_in_any_case_and_bad_lines_are_rejected_with_their_line(
    tmp_path: Path,
) -> None:
    good = '{"client_id": "c003", "response_id": "r%d", "responded_at": "2025-07-01", '
    good += '"touchpoint": "web", "question": "Satisfaction", "answer": %d}\n'
    upper = '{"CLIENT_ID": "c003", "Response_ID": "r9", "RESPONDED_AT": "2025-07-01", '
    upper += '"TOUCHPOINT": "web", "QUESTION": "Satisfaction", "ANSWER": "4"}\n'
    lines = [
        good % (1, 5),
        "\n",
        "{not json\n",
        good % (2, 4),
        "[1, 2]\n",
        '{"client_id": "c003", "Client_ID": "c004", "answer": 1}\n',
        upper,
    ]
    report = land_files(tmp_path, {"mixed.jsonl": "".join(lines).encode()})
    record = report.new_files[0]
    assert (record.status, record.rows_landed, record.rows_rejected) == ("loaded", 3, 3)
    rows = landed_rows(tmp_path, record)
    assert [(r["source_row"], r["response_id"], r["answer"]) for r in rows] == [
        (1, "r1", "5"),
        (2, "r2", "4"),
        (3, "r9", "4"),
    ]
    rejects = rejected_lines(tmp_path, record)
    assert [(r["source_line"], r["error_type"]) for r in rejects] == [
        (3, "MALFORMED JSON"),
        (5, "NOT A JSON OBJECT"),
        (6, "DUPLICATE KEY"),
    ]
    assert rejects[0]["raw_line"] == "{not json"


def test_a_clean_jsonl_file_numbers_rows_like_a_broken_one(tmp_path: Path) -> None:
    row = '{"client_id": "c003", "response_id": "r%d", "responded_at": "2025-07-01", '
    row += '"touchpoint": "web", "question": "Satisfaction", "answer": 5}\n'
    report = land_files(tmp_path, {"clean.jsonl": (row % 1 + "\n" + row % 2).encode()})
    rows = landed_rows(tmp_path, report.new_files[0])
    assert [(r["source_row"], r["response_id"]) for r in rows] == [(1, "r1"), (2, "r2")]


def test_a_malformed_csv_line_is_a_reject_and_the_rest_lands(tmp_path: Path) -> None:
    content = HEADER + ROW + "c001,r2,2025-07-01,web\n" + "c001,r3,x,web,K1,7,extra\n"
    content += ROW.replace("r1", "r4")
    report = land_files(tmp_path, {"rows.csv": content.encode()})
    record = report.new_files[0]
    assert (record.status, record.rows_landed, record.rows_rejected) == ("loaded", 2, 2)
    rejects = rejected_lines(tmp_path, record)
    assert [(r["source_line"], r["raw_line"]) for r in rejects] == [
        (3, "c001,r2,2025-07-01,web"),
        (4, "c001,r3,x,web,K1,7,extra"),
    ]


def test_file_names_with_glob_characters_are_read_literally(tmp_path: Path) -> None:
    report = land_files(
        tmp_path,
        {
            "g[1].csv": (HEADER + ROW).encode(),
            "g1.csv": (HEADER + ROW.replace("r1", "other") * 2).encode(),
            "h*.csv": (HEADER + ROW.replace("r1", "star")).encode(),
            "o'brien; drop table x.csv": (HEADER + ROW.replace("r1", "quote")).encode(),
        },
    )
    files = by_file(report)
    assert {name: r.rows_landed for name, r in files.items()} == {
        "g1.csv": 2,
        "g[1].csv": 1,
        "h*.csv": 1,
        "o'brien; drop table x.csv": 1,
    }
    assert landed_rows(tmp_path, files["g[1].csv"])[0]["response_id"] == "r1"
    assert landed_rows(tmp_path, files["h*.csv"])[0]["response_id"] == "star"


def test_sql_looking_strings_land_verbatim(tmp_path: Path) -> None:
    evil = "'); drop table load_log; --"
    header = 'client_id,response_id,responded_at,touchpoint,question,answer,"x""); drop --"\n'
    content = header + f'"{evil}","{evil}",2025-07-01,web,K1,"{evil}",1\n'
    report = land_files(tmp_path, {"evil.csv": content.encode()})
    row = landed_rows(tmp_path, report.new_files[0])[0]
    assert row["client_id"] == row["response_id"] == row["answer"] == evil
    assert len(landing.read_load_log(tmp_path / "landed")) == 1


# --- whole files in quarantine ---------------------------------------------------------------


JSONL_ROW = (
    '{"client_id": "c001", "response_id": "r1", "responded_at": "2025-07-01", '
    '"touchpoint": "web", "question": "K1", "answer": 7}\n'
)


def no_rows_parquet() -> bytes:
    return parquet_bytes(pa.table({c: pa.array([], pa.string()) for c in landing.REQUIRED_COLUMNS}))


def truncated_parquet() -> bytes:
    data = parquet_bytes(pa.table({c: ["x"] * 50 for c in landing.REQUIRED_COLUMNS}))
    return data[: len(data) // 2]


BROKEN_FILES = {
    "empty.csv": (b"", "empty_file"),
    "blank.jsonl": (b"\xef\xbb\xbf \n\r\n", "empty_file"),
    "header_only.csv": (HEADER.encode(), "header_only"),
    "no_rows.parquet": (no_rows_parquet(), "header_only"),
    "missing.csv": (HEADER.replace(",answer", "").encode() + b"c001,r1,x,y,z\n", "missing_columns"),
    "missing.jsonl": (b'{"client_id": "c001", "answer": 1}\n', "missing_columns"),
    "duplicate.csv": (
        HEADER.replace("\n", ",Client_ID\n").encode() + ROW.replace("\n", ",c002\n").encode(),
        "duplicate_columns",
    ),
    "latin1_header.csv": (HEADER.replace("answer", "answér").encode("latin-1"), "not_utf8"),
    "latin1_body.csv": ((HEADER + ROW.replace(",7", ",café")).encode("latin-1"), "not_utf8"),
    "latin1.jsonl": ('{"client_id": "café"}\n'.encode("latin-1"), "not_utf8"),
    "cut.csv": ((HEADER + ROW + "c001,r2,2025-0").encode(), "truncated"),
    "open_quote.csv": (
        (HEADER + ROW + 'c001,r2,2025-07-01,web,K1,"it was\n').encode(),
        "truncated",
    ),
    "cut.jsonl": ((JSONL_ROW + '{"client_id": "c0').encode(), "truncated"),
    "cut.parquet": (truncated_parquet(), "truncated"),
    "text.parquet": ((HEADER + ROW).encode() * 200, "unreadable"),
    "csv_in_disguise.jsonl": ((HEADER + ROW).encode(), "unreadable"),
    "wrong_delimiter.csv": ((HEADER + ROW.replace(",", "|")).encode(), "unreadable"),
}


@pytest.mark.parametrize(
    ("name", "content", "reason"), [(name, *case) for name, case in BROKEN_FILES.items()]
)
def test_a_broken_file_is_quarantined_and_the_others_still_land(
    tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    report = land_files(tmp_path, {name: content, "good.csv": (HEADER + ROW).encode()})
    files = by_file(report)
    broken = files[name]
    assert (broken.status, broken.reason_code) == ("quarantined", reason), broken.reason_detail
    assert broken.reason_detail and "\n" not in broken.reason_detail
    assert (broken.rows_landed, broken.rows_rejected) == (0, 0)
    assert landed_rows(tmp_path, broken) == [] and rejected_lines(tmp_path, broken) == []
    assert (files["good.csv"].status, files["good.csv"].rows_landed) == ("loaded", 1)
    assert reason in file_reasons()
    logged = {r.source_file: r.reason_code for r in landing.read_load_log(tmp_path / "landed")}
    assert logged == {name: reason, "good.csv": None}


# The rows each broken file held, as landing counts them for the reconciliation: non-blank
# lines less a CSV header, a Parquet footer's row count, None without a footer.
ROWS_HELD = {
    "empty.csv": 0,
    "blank.jsonl": 0,
    "header_only.csv": 0,
    "no_rows.parquet": 0,
    "missing.csv": 1,
    "missing.jsonl": 1,
    "duplicate.csv": 1,
    "latin1_header.csv": 0,
    "latin1_body.csv": 1,
    "latin1.jsonl": 1,
    "cut.csv": 2,
    "open_quote.csv": 2,
    "cut.jsonl": 2,
    "cut.parquet": None,
    "text.parquet": None,
    "csv_in_disguise.jsonl": 2,
    "wrong_delimiter.csv": 1,
}


@pytest.mark.parametrize("name", sorted(BROKEN_FILES))
def test_a_file_quarantined_whole_says_how_many_rows_it_held(tmp_path: Path, name: str) -> None:
    report = land_files(tmp_path, {name: BROKEN_FILES[name][0]})
    assert by_file(report)[name].rows_in_file == ROWS_HELD[name]
    logged = landing.read_load_log(tmp_path / "landed")
    assert [r.rows_in_file for r in logged] == [ROWS_HELD[name]]


def test_a_load_log_from_before_rows_in_file_is_migrated(tmp_path: Path) -> None:
    land_files(tmp_path, {"good.csv": (HEADER + ROW).encode()})
    log = tmp_path / "landed" / landing.LOAD_LOG
    con = duckdb.connect()
    try:
        con.execute(
            "copy (select * exclude (rows_in_file) from read_parquet(?)) to ? (format parquet)",
            [str(log), str(log) + ".old"],
        )
    finally:
        con.close()
    Path(str(log) + ".old").replace(log)
    assert not landing._log_is_current(tmp_path / "landed")
    report = land_files(tmp_path, {"empty.csv": b""})
    assert landing._log_is_current(tmp_path / "landed")
    assert [r.rows_in_file for r in report.previous + report.new_files] == [None, 0]


def test_an_unopenable_file_is_quarantined_not_fatal(tmp_path: Path) -> None:
    size, digest, problem = landing._describe(tmp_path / "vanished.csv")
    assert (size, digest) == (0, "")
    assert problem is not None and problem.reason_code == "unreadable"


# --- re-deliveries ---------------------------------------------------------------------------


def test_only_new_or_changed_files_land_again(tmp_path: Path) -> None:
    first = land_files(tmp_path, {"a.csv": (HEADER + ROW).encode(), "b.csv": b""})
    assert [r.load_id for r in first.new_files] == [1, 2]

    same = landing.land(tmp_path / "landing", tmp_path / "landed")
    assert (same.new_files, same.unchanged_files) == ((), 2)

    changed = land_files(tmp_path, {"a.csv": (HEADER + ROW + ROW.replace("r1", "r2")).encode()})
    assert [(r.load_id, r.source_file, r.rows_landed) for r in changed.new_files] == [
        (3, "a.csv", 2)
    ]
    # Put back as first delivered: a new delivery again, so it is the latest and wins.
    reverted = land_files(tmp_path, {"a.csv": (HEADER + ROW).encode()})
    assert [(r.load_id, r.rows_landed) for r in reverted.new_files] == [(4, 1)]
    log = landing.read_load_log(tmp_path / "landed")
    assert [(r.load_id, r.source_file) for r in log] == [
        (1, "a.csv"),
        (2, "b.csv"),
        (3, "a.csv"),
        (4, "a.csv"),
    ]


def test_landed_files_match_the_dbt_source_schema(tmp_path: Path) -> None:
    good = '{"client_id": "c003", "response_id": "r1", "responded_at": "2025-07-01", '
    good += '"touchpoint": "web", "question": "Satisfaction", "answer": 5}\n'
    report = land_files(
        tmp_path, {"a.csv": (HEADER + ROW).encode(), "b.jsonl": b"{oops}\n" + good.encode()}
    )
    assert [(r.rows_landed, r.rows_rejected) for r in report.new_files] == [(1, 0), (1, 1)]
    con = duckdb.connect()
    try:
        for sub in (landing.ANSWERS_DIR, landing.REJECTS_DIR):
            glob = str(tmp_path / "landed" / sub / "*.parquet")
            schemas = con.execute(
                "select distinct file_name, list(name order by name) over (partition by file_name) "
                "from parquet_schema(?) where name not in ('duckdb_schema', 'schema')",
                [glob],
            ).fetchall()
            assert len({tuple(cols) for _, cols in schemas}) == 1, schemas
    finally:
        con.close()


# --- files landing side by side ----------------------------------------------------------------


def logged(record: LoadRecord) -> dict[str, object]:
    """What the load log keeps of a delivery, but the time it landed."""
    return {k: v for k, v in record.__dict__.items() if k != "loaded_at"}


def test_parallel_landing_numbers_and_lands_files_as_one_after_the_other_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Threads finish in any order (a large file first, so the small ones after it finish
    before it); load ids still follow discovery order, the report lists the files in that
    order, and what lands is what one thread lands, good and quarantined files mixed."""
    big = HEADER + "".join(f"c001,r{i},2025-07-01,web,K1,{i % 11}\n" for i in range(60_000))
    files: dict[str, bytes] = {"a/0_big.csv": big.encode()}
    broken = sorted(BROKEN_FILES.items())
    expected_reasons: dict[str, str | None] = {"a/0_big.csv": None}
    for i in range(24):
        name, (content, reason) = broken[i % len(broken)]
        files[f"b/{i:02d}_{name}"] = content
        expected_reasons[f"b/{i:02d}_{name}"] = reason
        files[f"c/{i:02d}_good.jsonl"] = JSONL_ROW.replace("r1", f"r{i}").encode() * (i + 1)
        expected_reasons[f"c/{i:02d}_good.jsonl"] = None
    for name, content in files.items():
        path = tmp_path / "landing" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)

    def land_with(workers: int) -> tuple[list[dict[str, object]], list[list[dict[str, object]]]]:
        monkeypatch.setattr(landing, "LANDING_WORKERS", workers)
        out = tmp_path / f"landed_{workers}"
        calls: list[tuple[int, int]] = []
        report = landing.land(tmp_path / "landing", out, progress=lambda *c: calls.append(c))
        assert calls == [(i, len(files)) for i in range(1, len(files) + 1)]
        assert [r.source_file for r in report.new_files] == sorted(files)
        assert [r.load_id for r in report.new_files] == list(range(1, len(files) + 1))
        assert {r.source_file: r.reason_code for r in report.new_files} == expected_reasons
        records = [logged(r) for r in report.new_files]
        assert [logged(r) for r in landing.read_load_log(out)] == records
        written = [
            pq.read_table(path).to_pylist() if path.exists() else []
            for r in report.new_files
            for sub in (landing.ANSWERS_DIR, landing.REJECTS_DIR)
            for path in [out / sub / f"{r.load_id:08d}.parquet"]
        ]
        return records, written

    one, four = land_with(1), land_with(4)
    assert four == one
    big_rows = one[1][0]
    assert [r["source_row"] for r in big_rows] == list(range(1, 60_001))
    assert {(r["load_id"], r["source_file"]) for r in big_rows} == {(1, "a/0_big.csv")}
