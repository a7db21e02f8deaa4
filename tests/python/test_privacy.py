"""Disclosure control (DESIGN §5.1) through the real pipeline: the attack suite finds no leak in
what a build publishes, on the shared demo and on small purpose-built deliveries, and refuses
a build whose complementary suppression is switched off while the last good snapshot stays live.

The purpose-built deliveries (~2,700 answers, two builds in all) hold every case of the issue:

- NPS at `sales` in March 2025: a 3-client industry (insurance) inside '*', a banking client
  dominant in its industry (150 of 350 answers), and telecom and grocery (6 clients each);
  '*' minus the published industries leaves insurance and banking: 9 clients, one holding 32 %.
- CSAT at `billing`: six insurance clients with 30 answers a quarter, one with 20 in Q4: it
  contributes to 2025 but not to Q4, so 2025 minus its quarters leaves that client alone.
- NPS at `web`: 5 contributors in January, 9 in February, 10 in March, each with its own NPS
  (no two contributors tie, so the quantiles do not either).
"""

from __future__ import annotations

import csv
import json
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

from cxbench import attacks
from cxbench.build import BuildRecord
from cxbench.publish import current_build_id
from cxbench.settings import PROJECT_DIR, Settings
from tests.python.helpers import (
    build_here,
    copy_project,
    make_settings,
    run_cxbench,
    skip_unit_tests,
)

TIMEOUT = 300.0
SEEDS = PROJECT_DIR / "seeds"


# The purpose-built deliveries ------------------------------------------------------------------


def _clients_with(metric: str) -> dict[str, list[tuple[str, str, int, int]]]:
    """Per industry, (client, question, scale_min, scale_max) of the clients asking ``metric``."""
    with (SEEDS / "clients.csv").open(newline="", encoding="utf-8") as handle:
        industry = {row["client_id"]: row["industry_code"] for row in csv.DictReader(handle)}
    found: dict[str, list[tuple[str, str, int, int]]] = {}
    with (SEEDS / "question_map.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["metric_code"] != metric:
                continue
            entry = (
                row["client_id"],
                row["question"],
                int(row["scale_min"]),
                int(row["scale_max"]),
            )
            clients = found.setdefault(industry[row["client_id"]], [])
            if all(c[0] != entry[0] for c in clients):
                clients.append(entry)
    return {k: sorted(v) for k, v in found.items()}


@dataclass(frozen=True)
class Cases:
    """Who plays which part, for the assertions."""

    small_industry: list[str]  # 3 insurance clients, NPS at sales
    dominant: str  # the banking client with 150 answers
    year_not_q4: str  # the insurance client with 20 CSAT answers in Q4
    web_months: dict[str, int]  # month -> contributors at web


def write_cases(landing: Path) -> Cases:
    rng = random.Random(11)
    nps, csat = _clients_with("nps"), _clients_with("csat")
    rows: list[dict[str, Any]] = []

    def answers(
        client: tuple[str, str, int, int],
        touchpoint: str,
        day: str,
        count: int,
        scores: list[int] | None = None,
    ) -> None:
        cid, question, low, high = client
        for k in range(count):
            rows.append(
                {
                    "client_id": cid,
                    "response_id": f"{cid}-r{len(rows):05d}",
                    "responded_at": f"{day}T10:00:00Z",
                    "touchpoint": touchpoint,
                    "question": question,
                    "answer": scores[k] if scores else rng.randint(low, high),
                }
            )

    def distinct_nps(i: int, month: int) -> list[int]:
        """40 answers whose NPS differs for every client: no tied quantiles at `web`."""
        promoters, detractors = 8 + 2 * i + month, 2 + i % 3  # P − D: 6, 7, 8, 12, 13, …
        return [10] * promoters + [3] * detractors + [8] * (40 - promoters - detractors)

    insurance = nps["insurance"][:3]
    banking = nps["banking"][:6]
    for client in insurance + nps["telecom"][:6] + nps["grocery"][:6]:
        answers(client, "sales", "2025-03-15", 40)
    for i, client in enumerate(banking):
        answers(client, "sales", "2025-03-15", 150 if i == 0 else 40)

    billing = csat["insurance"][:6]
    for i, client in enumerate(billing):
        for day in ("2025-02-15", "2025-05-15", "2025-08-15", "2025-11-15"):
            answers(client, "billing", day, 20 if i == 0 and day.startswith("2025-11") else 30)

    telecom, grocery = nps["telecom"][:5], nps["grocery"][:5]
    for m, (month, clients) in enumerate(
        (("2025-01", telecom), ("2025-02", telecom + grocery[:4]), ("2025-03", telecom + grocery))
    ):
        for i, client in enumerate(clients):
            answers(client, "web", f"{month}-10", 40, distinct_nps(i, m))

    landing.mkdir(parents=True, exist_ok=True)
    with (landing / "privacy_cases.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return Cases(
        small_industry=[c[0] for c in insurance],
        dominant=banking[0][0],
        year_not_q4=billing[0][0],
        web_months={"2025-01": 5, "2025-02": 9, "2025-03": 10},
    )


def cells_of(settings: Settings, build_id: str) -> dict[tuple[str, str, str, str], dict[str, Any]]:
    rows = pq.read_table(settings.published / build_id / "fct_benchmark_cells.parquet").to_pylist()
    return {
        (r["industry_code"], r["touchpoint_code"], r["period"], r["metric_code"]): r for r in rows
    }


@dataclass
class CaseBuild:
    settings: Settings
    record: BuildRecord
    cases: Cases


@pytest.fixture(scope="module")
def case_build(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CaseBuild]:
    """The purpose-built deliveries through `cxbench build` with the project as it is."""
    settings = make_settings(tmp_path_factory.mktemp("privacy"))
    cases = write_cases(settings.landing)
    record = build_here(settings)
    yield CaseBuild(settings, record, cases)


# The shared demo --------------------------------------------------------------------------------


def test_the_demo_build_passes_the_attack_suite(built: tuple[Settings, BuildRecord]) -> None:
    settings, record = built
    assert record.attack["ok"] and record.attack["leaks_total"] == 0, record.attack
    report = attacks.attack_snapshot(
        settings.published / record.build_id,
        settings.database,
        attacks.Rules.from_vars(
            yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
        ),
    )
    assert report.ok, report.sentence()
    assert report.cells_published > 0 and all(report.families_checked.values())


def test_the_attack_suite_finds_what_the_per_cell_rule_alone_lets_through(
    built: tuple[Settings, BuildRecord],
) -> None:
    """The demo's cells as the per-cell rule alone would publish them (complementary cells
    shown again, p10 and p90 of every published cell) leak: the suite is not blind."""
    settings, record = built
    snapshot = settings.published / record.build_id
    cells = attacks.read_cells(snapshot)
    assert (cells["suppressed_reason"] == "complementary").any()
    # Put back what §5.1 withheld, from the warehouse's own recount of each cell.
    counts = attacks.read_client_counts(settings.database)
    rules = attacks.Rules()
    contributions = counts[counts["n"] >= rules.min_client_responses]
    everyone = contributions.assign(industry_code="*")
    totals = (
        pd.concat([contributions, everyone])
        .groupby(attacks.CELL_KEYS)
        .agg(n=("n", "sum"), sum_x=("sum_x", "sum"))
        .reset_index()
    )
    undone = cells.merge(totals, on=attacks.CELL_KEYS, how="left")
    back = undone["suppressed_reason"] == "complementary"
    undone.loc[back, "n_responses"] = undone.loc[back, "n"]
    undone.loc[back, "value"] = undone.loc[back, "sum_x"] / undone.loc[back, "n"]
    report = attacks.attack(
        undone.drop(columns=["n", "sum_x"]), counts, rules, attacks.read_metric_ranges(snapshot)
    )
    assert not report.ok
    assert set(report.leaking_families()) & set(attacks.FAMILIES)


@pytest.mark.parametrize("name", ["driver", "theme"])
def test_driver_and_theme_cells_pass_the_gate_and_the_suite_is_not_blind_to_them(
    built: tuple[Settings, BuildRecord], name: str
) -> None:
    """The publish gate attacks the driver and theme cells too (theme: the nps_group family as
    well) and finds nothing; with every quantile of their contributors put back (p10/p90 below
    10 contributors, tied quantiles and quantiles at an end of the scale) it finds leaks."""
    settings, record = built
    part = record.attack["benchmarks"][name]
    assert part["cells_published"] > 0 and part["leaks_total"] == 0, part
    assert all(part["families_checked"].values()), part
    benchmark = next(b for b in attacks.BENCHMARKS if b.name == name)
    if benchmark.split:
        assert part["families_checked"][attacks.SPLIT_FAMILY] > 0
    cells = pd.read_parquet(settings.published / record.build_id / f"{benchmark.mart}.parquet")
    con = duckdb.connect(str(settings.database), read_only=True)
    try:
        contributions = con.execute(benchmark.contributions_sql).df()
    finally:
        con.close()
    keys = ["industry_code", "touchpoint_code", "period", *benchmark.measure]
    quantiles = contributions.groupby(keys)["value"].quantile([0.1, 0.25, 0.75, 0.9]).unstack()
    quantiles.columns = ["p10_raw", "p25_raw", "p75_raw", "p90_raw"]
    undone = cells.merge(quantiles.reset_index(), on=keys, how="left")
    shown = undone["median"].notna()
    for column in ("p10", "p25", "p75", "p90"):
        undone.loc[shown, column] = undone.loc[shown, f"{column}_raw"]
    raw = [f"{c}_raw" for c in ("p10", "p25", "p75", "p90")]
    report = attacks.attack_benchmark(
        benchmark, undone.drop(columns=raw), settings.database, attacks.Rules()
    )
    assert {"percentile_rule", "order_statistics"} <= set(report.leaking_families()), (
        report.sentence()
    )


# The purpose-built cases ------------------------------------------------------------------------


def test_the_cases_publish_with_no_leak(case_build: CaseBuild) -> None:
    record = case_build.record
    assert record.status == "published", record.message
    assert record.attack["ok"] and record.attack["leaks_total"] == 0, record.attack
    assert all(record.attack["families_checked"][f] > 0 for f in attacks.FAMILIES)


def test_a_small_industry_and_a_dominant_client_inside_all_industries(
    case_build: CaseBuild,
) -> None:
    cells = cells_of(case_build.settings, case_build.record.build_id)
    key = ("2025-03", "nps")
    assert cells[("insurance", "sales", *key)]["suppressed_reason"] == "too_few_clients"
    assert cells[("banking", "sales", *key)]["suppressed_reason"] == "dominant_client"
    everyone = cells[("*", "sales", *key)]
    assert everyone["is_published"] and everyone["n_clients"] == 21
    # '*' minus telecom minus grocery would leave 9 clients, the dominant one holding 32 %:
    # the smaller of the two (by answers, then key) is withheld for the industry family.
    withheld = [
        ind
        for ind in ("telecom", "grocery")
        if cells[(ind, "sales", *key)]["suppressed_reason"] == "complementary"
    ]
    assert len(withheld) == 1
    assert cells[(withheld[0], "sales", *key)]["suppression_family"] == "industry"
    assert cells[(withheld[0], "sales", *key)]["n_responses"] is None


def test_a_client_in_the_year_but_not_in_one_quarter(case_build: CaseBuild) -> None:
    cells = cells_of(case_build.settings, case_build.record.build_id)
    for industry in ("insurance", "*"):
        assert cells[(industry, "billing", "2025", "csat")]["is_published"]
        for quarter in ("2025-Q1", "2025-Q2", "2025-Q3"):
            assert cells[(industry, "billing", quarter, "csat")]["is_published"]
        q4 = cells[(industry, "billing", "2025-Q4", "csat")]
        assert q4["n_clients"] == 5
        assert q4["suppressed_reason"] == "complementary"
        assert q4["suppression_family"] == "year_quarters"


def test_p10_and_p90_need_ten_contributors(case_build: CaseBuild) -> None:
    cells = cells_of(case_build.settings, case_build.record.build_id)
    for month, contributors in case_build.cases.web_months.items():
        cell = cells[("*", "web", month, "nps")]
        assert cell["n_clients"] == contributors
        assert cell["is_published"], cell
        assert cell["median"] is not None
        assert cell["p25"] is not None and cell["p75"] is not None  # no ties by construction
        tails = (cell["p10"], cell["p90"])
        if contributors < 10:
            assert tails == (None, None)
        else:
            assert None not in tails


def test_a_build_without_complementary_suppression_is_refused(
    case_build: CaseBuild, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Switched off (and p10/p90 allowed at any count), the same deliveries are refused by
    the publish gate with one sentence; the case build stays live and status names the leaks."""
    settings = case_build.settings
    live = current_build_id(settings.published)
    assert live == case_build.record.build_id
    copy = copy_project(
        tmp_path_factory.mktemp("unsafe") / "project",
        code=True,
        complementary_suppression=False,
        min_clients_p10_p90=0,
    )
    skip_unit_tests(copy)  # the gate is the point here; they run in the demo builds
    env = {
        **os.environ,
        "PYTHONPATH": str(copy),
        "CXB_HOME": str(settings.home),
        "CXB_LANDING_DIR": str(settings.landing),
        "CXB_WAREHOUSE_DIR": str(settings.warehouse),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    failed = run_cxbench(env, "build", "--full-refresh", cwd=copy, timeout=TIMEOUT)
    assert failed.returncode != 0, failed.stdout + failed.stderr
    errors = [line for line in failed.stderr.splitlines() if line.startswith("cxbench: ")]
    assert len(errors) == 1, failed.stderr
    assert errors[0].startswith("cxbench: The attack suite found ")
    assert errors[0].endswith("nothing was published.")
    assert current_build_id(settings.published) == live
    assert [p.name for p in settings.published.iterdir() if p.is_dir()] == [live]

    status = run_cxbench(env, "status", cwd=copy, timeout=TIMEOUT)
    assert status.returncode == 0, status.stderr
    assert f"the previous snapshot {live} is still live" in status.stdout
    gate_line = next(line for line in status.stdout.splitlines() if "gate attack FAILED" in line)
    for family in ("industry", "year_quarters", "order_statistics"):
        assert family in gate_line, status.stdout

    record = json.loads((settings.warehouse / "last_build.json").read_text())
    assert record["failed_gate"] == "attack"
    leaks = record["attack"]["leaks"]
    cases = case_build.cases

    def leak(family: str, parent: str) -> dict[str, Any]:
        found = [x for x in leaks if x["family"] == family and x["parent"] == parent]
        assert found, (family, parent, leaks)
        return found[0]

    assert leak("industry", "*/sales/2025-03/nps")["reason"] == "dominant_client"
    alone = leak("year_quarters", "insurance/billing/2025/csat")
    assert (alone["reason"], alone["n_clients"]) == ("one_client", 1)
    solved = leak("order_statistics", "*/web/2025-01/nps")
    assert (solved["reason"], solved["n_clients"]) == ("all_values_solved", 5)
    assert cases.dominant and cases.year_not_q4
