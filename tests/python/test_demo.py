"""The demo generator and the seeds it reads: real runs, files read back with DuckDB."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from cxbench.demo import DemoSummary, generate_demo

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
SMALL = {"clients": 16, "answers": 8000, "seed": 7}
CONTRACT = (
    "client_id",
    "response_id",
    "responded_at",
    "touchpoint",
    "channel",
    "unit",
    "question",
    "answer",
)


def read_seed(name: str) -> list[dict[str, str]]:
    raw = (SEEDS / name).read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf"), f"{name} must not start with a BOM"
    with (SEEDS / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def metric_kinds() -> dict[str, str]:
    """The catalogue's kind of every metric code (seeds/metrics.csv)."""
    return {r["metric_code"]: r["metric_kind"] for r in read_seed("metrics.csv")}


def header(name: str) -> list[str]:
    with (SEEDS / name).open(encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle))


JSONL_SQL = """
    select
        json_extract_string(j, '$.client_id') as client_id,
        json_extract_string(j, '$.response_id') as response_id,
        json_extract_string(j, '$.responded_at') as responded_at,
        json_extract_string(j, '$.touchpoint') as touchpoint,
        json_extract_string(j, '$.channel') as channel,
        json_extract_string(j, '$.unit') as unit,
        json_extract_string(j, '$.question') as question,
        json_extract_string(j, '$.answer') as answer
    from read_ndjson_objects(?) as t (j)
"""
CSV_SQL = """
    select * from read_csv(
        ?, delim = ?, quote = '"', escape = '"', header = true, all_varchar = true,
        strict_mode = true
    )
"""
PARQUET_SQL = "select * from read_parquet(?)"


def read_rows(con: duckdb.DuckDBPyConnection, path: Path) -> list[dict[str, str | None]]:
    """A delivery file as the landing contract sees it: contract columns, names in lower case."""
    if path.suffix == ".jsonl":
        result = con.execute(JSONL_SQL, [str(path)])
    elif path.suffix == ".csv":
        first = path.read_bytes().split(b"\n", 1)[0].decode("utf-8-sig")
        delimiter = ";" if first.count(";") > first.count(",") else ","
        result = con.execute(CSV_SQL, [str(path), delimiter])
    else:
        result = con.execute(PARQUET_SQL, [str(path)])
    names = [d[0].lower() for d in result.description]
    rows = [dict(zip(names, row, strict=True)) for row in result.fetchall()]
    return [{**{c: row.get(c) for c in CONTRACT}, "_file": path.name} for row in rows]


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoSummary, Path]:
    landing = tmp_path_factory.mktemp("landing")
    calls: list[tuple[int, int]] = []
    summary = generate_demo(landing, SEEDS, progress=lambda d, t: calls.append((d, t)), **SMALL)
    assert calls == [(i, summary.files) for i in range(1, summary.files + 1)]
    return summary, landing


@pytest.fixture(scope="module")
def small_rows(small_demo: tuple[DemoSummary, Path]) -> list[dict[str, str | None]]:
    _, landing = small_demo
    files = sorted(p for p in (landing / "demo").rglob("*") if p.is_file())
    con = duckdb.connect()
    try:
        return [
            row for path in files if not path.name.startswith(".") for row in read_rows(con, path)
        ]
    finally:
        con.close()


# --- seeds ----------------------------------------------------------------------------------


def test_seed_headers_match_the_contract() -> None:
    assert header("industries.csv") == ["industry_code", "industry_name"]
    assert header("touchpoints.csv") == ["touchpoint_code", "touchpoint_name"]
    assert header("clients.csv") == ["client_id", "client_name", "industry_code", "country"]
    assert header("touchpoint_map.csv") == ["client_id", "touchpoint_label", "touchpoint_code"]
    assert header("question_map.csv") == [
        "client_id",
        "question",
        "metric_code",
        "scale_min",
        "scale_max",
        "higher_is_better",
    ]
    assert header("cx_index_weights.csv") == ["index_code", "metric_code", "weight"]
    assert header("metrics.csv")[:3] == ["metric_code", "metric_name", "metric_kind"]


def test_seed_reference_codes() -> None:
    industries = {r["industry_code"] for r in read_seed("industries.csv")}
    touchpoints = {r["touchpoint_code"] for r in read_seed("touchpoints.csv")}
    assert len(industries) >= 10 and len(touchpoints) >= 9
    assert {"retail", "grocery", "banking", "telecom", "public_services"} <= industries
    assert {"sales", "customer_service", "billing", "complaints", "renewal"} <= touchpoints
    for code in industries | touchpoints:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", code), code


def test_seed_clients() -> None:
    clients = read_seed("clients.csv")
    industries = {r["industry_code"] for r in read_seed("industries.csv")}
    assert [c["client_id"] for c in clients] == [f"c{i:03d}" for i in range(1, 97)]
    per_industry = Counter(c["industry_code"] for c in clients)
    assert set(per_industry) <= industries
    assert min(per_industry.values()) >= 8
    countries = Counter(c["country"] for c in clients)
    assert set(countries) <= {"FI", "SE", "EE"} and countries["FI"] >= 80
    assert len({c["client_name"] for c in clients}) == len(clients)


def test_seed_touchpoint_map() -> None:
    clients = {c["client_id"] for c in read_seed("clients.csv")}
    touchpoints = {r["touchpoint_code"] for r in read_seed("touchpoints.csv")}
    rows = read_seed("touchpoint_map.csv")
    codes: dict[str, set[str]] = {}
    labels: Counter[tuple[str, str]] = Counter()
    for row in rows:
        assert row["client_id"] in clients
        assert row["touchpoint_code"] in touchpoints
        assert row["touchpoint_label"] == row["touchpoint_label"].strip() != ""
        codes.setdefault(row["client_id"], set()).add(row["touchpoint_code"])
        labels[(row["client_id"], row["touchpoint_label"].lower())] += 1
    assert set(codes) == clients
    assert all(3 <= len(c) <= 6 for c in codes.values())
    assert max(labels.values()) == 1, "labels must be unique per client, ignoring case"


def test_seed_question_map() -> None:
    clients = {c["client_id"] for c in read_seed("clients.csv")}
    rows = read_seed("question_map.csv")
    kinds = metric_kinds()
    seen: Counter[tuple[str, str]] = Counter()
    scale_questions: Counter[str] = Counter()
    for row in rows:
        assert row["client_id"] in clients
        seen[(row["client_id"], row["question"].lower())] += 1
        metric = row["metric_code"]
        assert kinds[metric] != "weighted_index", "an index is computed, never asked"
        if kinds[metric] == "comment_share":
            assert (row["scale_min"], row["scale_max"], row["higher_is_better"]) == ("", "", "")
            continue
        low, high = int(row["scale_min"]), int(row["scale_max"])
        assert low < high
        assert row["higher_is_better"] in {"true", "false"}
        if kinds[metric] == "nps":
            assert (low, high, row["higher_is_better"]) == (0, 10, "true")
        scale_questions[row["client_id"]] += 1
    assert max(seen.values()) == 1, "question codes must be unique per client, ignoring case"
    assert set(scale_questions) == clients
    reversed_ces = [
        r for r in rows if r["metric_code"] == "ces" and r["higher_is_better"] == "false"
    ]
    assert reversed_ces, "some clients use a reversed effort scale"


def test_seed_cx_index_is_the_four_component_b2b_index() -> None:
    weights = {
        (r["index_code"], r["metric_code"]): float(r["weight"])
        for r in read_seed("cx_index_weights.csv")
    }
    assert weights == {
        ("cx_index", "cxi_relationship"): 0.35,
        ("cx_index", "cxi_value"): 0.3,
        ("cx_index", "cxi_expertise"): 0.2,
        ("cx_index", "cxi_development"): 0.15,
    }
    askers: dict[str, set[str]] = {}
    for row in read_seed("question_map.csv"):
        askers.setdefault(row["metric_code"], set()).add(row["client_id"])
    components = [metric for _, metric in weights]
    # Every CX-index client asks all four components; some clients ask CSS.
    assert len({frozenset(askers[m]) for m in components}) == 1
    assert len(askers[components[0]]) >= 30
    assert len(askers["css"]) >= 15


# --- generated files ------------------------------------------------------------------------


def test_small_run_writes_every_format(small_demo: tuple[DemoSummary, Path]) -> None:
    summary, landing = small_demo
    files = sorted(p for p in (landing / "demo").rglob("*") if p.is_file())
    data = [p for p in files if not p.name.startswith(".")]
    assert summary.clients == SMALL["clients"]
    assert summary.files == len(data) == 4 * SMALL["clients"]
    assert {p.suffix for p in data} == {".csv", ".parquet", ".jsonl"}
    for path in data:
        assert re.fullmatch(rf"{path.parent.name}_20(25|26)_[12]\.(csv|parquet|jsonl)", path.name)
    heads = {p: p.read_bytes()[:400] for p in data if p.suffix == ".csv"}
    assert any(h.startswith(b"\xef\xbb\xbf") for h in heads.values()), "a CSV with a BOM"
    semicolon = [p for p, h in heads.items() if h.split(b"\n")[0].count(b";") >= 5]
    assert semicolon, "a CSV delimited by ;"
    assert any(re.search(rb";\d+,\d;", p.read_bytes()) for p in semicolon), "a decimal comma"
    assert any(b"Client_ID" in h or b"RESPONSE_ID" in h for h in heads.values())


def test_rows_match_the_seeds(
    small_demo: tuple[DemoSummary, Path], small_rows: list[dict[str, str | None]]
) -> None:
    summary, _ = small_demo
    clients = [c["client_id"] for c in read_seed("clients.csv")][: SMALL["clients"]]
    canonical = {r["touchpoint_code"] for r in read_seed("touchpoints.csv")}
    labels = {(r["client_id"], r["touchpoint_label"]) for r in read_seed("touchpoint_map.csv")}
    questions = {(r["client_id"], r["question"]): r for r in read_seed("question_map.csv")}
    kinds = metric_kinds()

    assert len(small_rows) == summary.answers
    assert abs(summary.answers - SMALL["answers"]) <= 0.05 * SMALL["answers"]
    assert {r["client_id"] for r in small_rows} == set(clients)
    for row in small_rows:
        client, answer = row["client_id"], row["answer"]
        assert row["response_id"] and row["responded_at"] and answer
        assert (client, row["touchpoint"]) in labels or row["touchpoint"] in canonical
        spec = questions[(client, row["question"])]
        if kinds[spec["metric_code"]] == "comment_share":
            continue
        value = float(answer.replace(",", "."))
        assert int(spec["scale_min"]) <= value <= int(spec["scale_max"]), row


def test_responses_are_consistent(small_rows: list[dict[str, str | None]]) -> None:
    shared: dict[tuple[str | None, str | None], tuple[str | None, ...]] = {}
    asked: Counter[tuple[str | None, str | None, str | None]] = Counter()
    for row in small_rows:
        key = (row["client_id"], row["response_id"])
        values = (row["responded_at"], row["touchpoint"], row["channel"], row["unit"], row["_file"])
        assert shared.setdefault(key, values) == values, key
        asked[(*key, row["question"])] += 1
    assert max(asked.values()) == 1, "one answer per question and response"


def test_timestamps_in_every_form_and_inside_the_window(
    small_rows: list[dict[str, str | None]],
) -> None:
    values = sorted({str(r["responded_at"]) for r in small_rows})
    forms = {
        "offset": r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0[23]:00",
        "utc": r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ",
        "naive": r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d",
        "date": r"\d{4}-\d\d-\d\d",
    }
    found = {name for v in values for name, rx in forms.items() if re.fullmatch(rx, v)}
    assert found == set(forms)
    con = duckdb.connect()
    try:
        low, high, failed = con.execute(
            "select min(ts), max(ts), count(*) filter (where ts is null) from ("
            "select coalesce(try_cast(v as timestamptz), "
            "try_cast(try_cast(v as timestamp) || '+00' as timestamptz)) as ts "
            "from (select unnest(?::varchar[]) as v))",
            [values],
        ).fetchone() or (None, None, None)
        assert failed == 0
        bounds = con.execute(
            "select timestamptz '2024-10-31 22:00:00+00', timestamptz '2026-10-31 22:00:00+00'"
        ).fetchone()
    finally:
        con.close()
    assert bounds and bounds[0] <= low and high < bounds[1]


def test_jsonl_answers_are_numbers_for_scales_and_strings_for_comments(
    small_demo: tuple[DemoSummary, Path],
) -> None:
    _, landing = small_demo
    metrics = {
        (r["client_id"], r["question"]): r["metric_code"] for r in read_seed("question_map.csv")
    }
    kinds = metric_kinds()
    found: Counter[tuple[bool, str]] = Counter()
    for path in (landing / "demo").rglob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            is_comment = kinds[metrics[(row["client_id"], row["question"])]] == "comment_share"
            found[(is_comment, type(row["answer"]).__name__)] += 1
    assert set(found) == {(False, "int"), (True, "str")}


def test_function_specific_metrics_are_asked_only_at_their_touchpoint(
    small_rows: list[dict[str, str | None]],
) -> None:
    """CSS (seeds/metrics.csv: touchpoint customer_service) follows service contacts only."""
    asked_at = {
        r["metric_code"]: r["touchpoint_code"]
        for r in read_seed("metrics.csv")
        if r["touchpoint_code"]
    }
    assert asked_at, "the catalogue has a function-specific metric"
    metric_of = {
        (r["client_id"], r["question"]): r["metric_code"] for r in read_seed("question_map.csv")
    }
    canonical = {
        (r["client_id"], r["touchpoint_label"]): r["touchpoint_code"]
        for r in read_seed("touchpoint_map.csv")
    }
    seen = Counter()
    for row in small_rows:
        metric = metric_of[(row["client_id"], row["question"])]
        if metric in asked_at:
            touchpoint = canonical.get((row["client_id"], row["touchpoint"]), row["touchpoint"])
            assert touchpoint == asked_at[metric], row
            seen[metric] += 1
    assert seen, "the small demo has function-specific answers"


def test_comments_need_rfc4180_quoting(small_rows: list[dict[str, str | None]]) -> None:
    comments = [
        str(r["answer"]) for r in small_rows if not re.fullmatch(r"[\d,.-]+", str(r["answer"]))
    ]
    assert any("\n" in c for c in comments)
    assert any('"' in c for c in comments)
    assert any(";" in c for c in comments) and any("," in c for c in comments)


def test_same_arguments_give_identical_files(
    small_demo: tuple[DemoSummary, Path], tmp_path: Path
) -> None:
    _, first = small_demo
    generate_demo(tmp_path, SEEDS, **SMALL)

    def snapshot(root: Path) -> dict[str, bytes]:
        demo = root / "demo"
        return {
            p.relative_to(demo).as_posix(): p.read_bytes() for p in demo.rglob("*") if p.is_file()
        }

    assert snapshot(tmp_path) == snapshot(first)
    generate_demo(tmp_path, SEEDS, **{**SMALL, "seed": 8})
    assert snapshot(tmp_path) != snapshot(first)


def test_rerun_replaces_only_the_demo_folder(tmp_path: Path) -> None:
    other = tmp_path / "client_x" / "delivery.csv"
    other.parent.mkdir()
    other.write_text("keep me\n", encoding="utf-8")
    generate_demo(tmp_path, SEEDS, clients=3, answers=600)
    generate_demo(tmp_path, SEEDS, clients=2, answers=400)
    assert sorted(p.name for p in (tmp_path / "demo").iterdir() if p.is_dir()) == ["c001", "c002"]
    assert other.read_text(encoding="utf-8") == "keep me\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["client_x", "demo"]


def test_refuses_a_demo_folder_it_did_not_write(tmp_path: Path) -> None:
    foreign = tmp_path / "demo" / "mine.csv"
    foreign.parent.mkdir()
    foreign.write_text("x\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not written by cxbench demo"):
        generate_demo(tmp_path, SEEDS, clients=1, answers=100)
    assert foreign.exists()


@pytest.mark.parametrize(
    "arguments",
    [
        {"clients": 0},
        {"clients": 97},
        {"clients": -1},
        {"answers": 0},
        {"answers": -5},
        {"seed": -1},
    ],
)
def test_bad_arguments_raise_one_sentence(tmp_path: Path, arguments: dict[str, int]) -> None:
    with pytest.raises(ValueError) as error:
        generate_demo(tmp_path, SEEDS, **arguments)
    message = str(error.value)
    assert "\n" not in message and message.endswith(".")
    assert not (tmp_path / "demo").exists()
