"""The attack suite of DESIGN §5.1: what an outsider can compute from what a build publishes.

Written independently of the dbt SQL on purpose: it reads the benchmark cells exactly as the
publish step exports them (only the statistics a user sees: a cell counts as published when
any of its statistics is there, whatever ``is_published`` or ``suppressed_reason`` say) and each
client's answer counts from the warehouse (``int_client_metric_periods``: n per client × cell,
nothing else), and replays two attacks:

- **Differencing.** Every family of §5.1 — the all-industries cell and its industry cells; the
  all-touchpoints cell and its touchpoint cells; a year and its quarters; a quarter and its
  months — at every grain and metric. Parent minus its published children is a set of answers
  anyone can compute (n_responses and n_responses × value subtract exactly). Per client, the
  remainder is its contribution to the parent minus its contributions to the published
  children (a client contributes to a cell only with ``min_client_responses`` answers there). A
  non-empty remainder must pass the rule a cell passes: at least ``min_clients`` clients, none
  holding more than ``max_client_share`` of its answers.
- **Solving.** The published p10, p25, median, p75, p90 (linear interpolation) and mean of the
  client values are linear equations in the sorted contributor values. A value the equations
  fix without any single statistic stating it (with five contributors, p10 and p90 fix the
  lowest and the highest client) is a leak; for fewer than 10 contributors, or quantiles that
  tie (a quantile at an end of the scale ties with that end), the order of the values and the
  metric's range are added as constraints and each value is minimised and maximised. A fixed
  value that equals a published statistic or an end of the scale (ties: every contributor at
  0) is reported apart as a finding: the cell's own statistics say it.

The same attacks run on every benchmark mart of the cell shape (``BENCHMARKS``): the metric
cells, the driver-importance cells (n = paired responses, values are importances in [-1, 1])
and the comment-theme cells (n = comments, values are shares in %; the cell key holds the NPS
group, and ``all`` with its detractor, passive and promoter cells is one more family,
``nps_group``). Their contributions are read as the build wrote them (each client × cell it
contributes to, '*' included) and their measure key is written ``driver:<code>`` or
``theme:<code>|<group>`` where a leak names a cell.

It also checks what it can reproduce: a published cell whose contributors it cannot recount
(n_clients, n_responses) or that breaks the per-cell rule or the p10/p90 rule is reported, since
the attacks would otherwise reason about numbers the build did not really publish.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog

from cxbench.relations import INTERMEDIATE, MARTS, connect_read_only

CELL_KEYS = ["industry_code", "touchpoint_code", "period_grain", "period", "metric_code"]
STATISTICS = ["n_responses", "value", "mean", "p10", "p25", "median", "p75", "p90", "moe"]
QUANTILES = (("p10", 0.10), ("p25", 0.25), ("median", 0.50), ("p75", 0.75), ("p90", 0.90))
FAMILIES = ("industry", "touchpoint", "year_quarters", "quarter_months")
# The NPS-group family of the theme cells: 'all' minus its published groups.
SPLIT_FAMILY = "nps_group"
# Values closer than this are the same number (float noise of sums and interpolation).
SOLVED = 1e-7
# The order-and-range solver runs for cells with fewer contributors than this, and for any cell
# whose published quantiles tie (equal quantiles pin the values between them); otherwise the
# equations alone decide (the equality rank test).
SOLVER_MAX_CLIENTS = 10


@dataclass(frozen=True)
class Rules:
    """The publication thresholds (dbt vars) the attacks judge remainders by."""

    min_client_responses: int = 30
    min_clients: int = 5
    max_client_share: float = 0.25
    min_clients_p10_p90: int = 10

    @classmethod
    def from_vars(cls, variables: dict[str, Any]) -> Rules:
        return cls(
            min_client_responses=int(variables.get("min_client_responses", 30)),
            min_clients=int(variables.get("min_clients", 5)),
            max_client_share=float(variables.get("max_client_share", 0.25)),
            min_clients_p10_p90=int(variables.get("min_clients_p10_p90", 10)),
        )


@dataclass(frozen=True)
class Leak:
    family: str  # industry | touchpoint | year_quarters | quarter_months | order_statistics | …
    parent: str  # the attacked cell: industry/touchpoint/period/metric
    cells: tuple[str, ...]  # for differencing: the withheld children the remainder holds
    n_clients: int  # clients in the remainder (differencing) or contributors (solving)
    reason: str
    detail: str


@dataclass
class AttackReport:
    leaks: list[Leak] = field(default_factory=list)
    families_checked: dict[str, int] = field(default_factory=dict)
    cells_published: int = 0
    cells_solved: int = 0  # cells run through the equation solver
    findings: list[Leak] = field(default_factory=list)  # not leaks: ties, ends of the scale
    benchmarks: dict[str, dict[str, Any]] = field(default_factory=dict)  # per mart: counts

    def merge(self, name: str, other: AttackReport) -> None:
        """Add ``other`` (the attacks on one benchmark mart) to this report."""
        self.leaks.extend(other.leaks)
        self.findings.extend(other.findings)
        self.cells_published += other.cells_published
        self.cells_solved += other.cells_solved
        for family, checked in other.families_checked.items():
            self.families_checked[family] = self.families_checked.get(family, 0) + checked
        self.benchmarks[name] = {
            "cells_published": other.cells_published,
            "families_checked": other.families_checked,
            "leaks_total": len(other.leaks),
            "counts": other.counts(),
            "findings_total": len(other.findings),
        }

    @property
    def ok(self) -> bool:
        return not self.leaks

    def counts(self) -> dict[str, dict[str, int]]:
        """Leaks by family and reason."""
        out: dict[str, Counter[str]] = {}
        for leak in self.leaks:
            out.setdefault(leak.family, Counter())[leak.reason] += 1
        return {family: dict(c) for family, c in sorted(out.items())}

    def leaking_families(self) -> list[str]:
        return sorted({leak.family for leak in self.leaks})

    def sentence(self) -> str:
        """One sentence for the build's error and ``cxbench status``."""
        if self.ok:
            return (
                f"The attack suite found no leak in {self.cells_published:,} published cells "
                f"({sum(self.families_checked.values()):,} families differenced)."
            )
        per_family = ", ".join(
            f"{family} {sum(reasons.values()):,}" for family, reasons in self.counts().items()
        )
        first = self.leaks[0]
        return (
            f"The attack suite found {len(self.leaks):,} leaks in what this build would publish "
            f"({per_family}), e.g. {first.family} at {first.parent}: {first.detail}"
        )

    def to_dict(self, max_leaks: int = 50) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "cells_published": self.cells_published,
            "cells_solved": self.cells_solved,
            "families_checked": self.families_checked,
            "counts": self.counts(),
            "leaking_families": self.leaking_families(),
            "leaks": [asdict(leak) for leak in self.leaks[:max_leaks]],
            "leaks_total": len(self.leaks),
            "findings_total": len(self.findings),
            "findings": [asdict(finding) for finding in self.findings[:max_leaks]],
            "benchmarks": self.benchmarks,
        }


@dataclass(frozen=True)
class Benchmark:
    """A benchmark mart of the cell shape and how its cells and contributions map onto the
    metric cells' columns (``metric_code`` = the measure key, ``n_responses``, ``mean``)."""

    name: str
    mart: str
    measure: tuple[str, ...]
    renames: dict[str, str]  # mart column -> the attack's column
    contributions_sql: str  # client_id, cell keys of the mart, n, sum_x, value ('*' included)
    value_range: tuple[float, float] | None = None  # None: per metric, from dim_metrics
    split: str | None = None  # a measure column whose value 'all' is the sum of the others


BENCHMARKS = (
    Benchmark("metric", "fct_benchmark_cells", ("metric_code",), {}, ""),
    Benchmark(
        "driver",
        "fct_driver_benchmark_cells",
        ("driver_code",),
        {"n_pairs": "n_responses", "mean_importance": "mean"},
        "select client_id, industry_code, touchpoint_code, period_grain, period, driver_code, "  # noqa: S608
        f"n, n * value as sum_x, value from {INTERMEDIATE}.int_driver_contributions",
        (-1.0, 1.0),
    ),
    Benchmark(
        "theme",
        "fct_theme_benchmark_cells",
        ("theme_code", "nps_group"),
        {"n_comments": "n_responses"},
        "select client_id, industry_code, touchpoint_code, period_grain, period, theme_code, "  # noqa: S608
        "nps_group, n_comments as n, 100.0 * n_theme_comments as sum_x, theme_share as value "
        f"from {INTERMEDIATE}.int_theme_benchmark_contributions",
        (0.0, 100.0),
        "nps_group",
    ),
)

# Loading what a build publishes -------------------------------------------------------------
#
# The attacks run as DuckDB queries over views on one connection (the build's warehouse, read
# only): ``attack_cells`` (a benchmark's cells as published, with the metric cells' column
# names, every statistic of STATISTICS and ``_row``, their order as written, which the leaks
# are listed in) and ``attack_contributions`` (client × cell it contributes to, '*' included).
# Differencing is then a few set-wise queries instead of string keys built row by row in
# pandas (6.9 s of the 1M build's gate, most of it there and in the solver's calls).

CELLS_VIEW = "attack_cells"
CONTRIBUTIONS_VIEW = "attack_contributions"


def read_cells(snapshot_dir: Path) -> pd.DataFrame:
    """The benchmark cells exactly as exported to the snapshot (Parquet)."""
    path = snapshot_dir / "fct_benchmark_cells.parquet"
    con = duckdb.connect()
    try:
        return con.execute("select * from read_parquet(?)", [str(path)]).df()
    finally:
        con.close()


def read_metric_ranges(snapshot_dir: Path) -> dict[str, tuple[float, float]]:
    con = duckdb.connect()
    try:
        rows = con.execute(
            "select metric_code, value_min, value_max from read_parquet(?)",
            [str(snapshot_dir / "dim_metrics.parquet")],
        ).fetchall()
    finally:
        con.close()
    return {code: (float(lo), float(hi)) for code, lo, hi in rows}


CLIENT_COUNTS_SQL = (
    "select client_id, industry_code, touchpoint_code, period_grain, period, metric_code, n, "  # noqa: S608 - constants only
    f"sum_x from {INTERMEDIATE}.int_client_metric_periods"
)


def read_client_counts(database: Path) -> pd.DataFrame:
    """Each client's answers per cell (touchpoint '*' included) from the build's warehouse."""
    con = connect_read_only(database)
    try:
        return con.execute(CLIENT_COUNTS_SQL).df()
    finally:
        con.close()


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    return [d[0] for d in con.execute(f"select * from {relation} limit 0").description]  # noqa: S608


def _measure_sql(benchmark: Benchmark | None, columns: list[str]) -> tuple[str, str, str]:
    """SQL for ``metric_code``, ``measure_base`` and ``split`` of a relation of ``benchmark``'s
    shape: the measure key (prefixed with the benchmark), its parts without the split, and the
    split value. ``None``: the metric cells' shape, or frames already in the attack's names."""
    if benchmark is None or benchmark.name == "metric":
        if "measure_base" in columns:
            return "metric_code", "measure_base", "cast(split as varchar)"
        return "metric_code", "metric_code", "cast(null as varchar)"
    base = [m for m in benchmark.measure if m != benchmark.split]
    key = " || '|' || ".join(f"cast({_quoted(c)} as varchar)" for c in base)
    measure_base = f"'{benchmark.name}:' || {key}"
    if benchmark.split:
        split = f"cast({_quoted(benchmark.split)} as varchar)"
        return f"{measure_base} || '|' || {split}", measure_base, split
    return measure_base, measure_base, "cast(null as varchar)"


def _create_cells_view(
    con: duckdb.DuckDBPyConnection, source: str, benchmark: Benchmark | None
) -> None:
    """``attack_cells`` over ``source`` (which has ``_row``): the cell keys, the statistics under
    the metric cells' names (null where the mart has no such column) and ``exposed``."""
    columns = _columns(con, source)
    renames = benchmark.renames if benchmark else {}
    named = {renames.get(c, c): c for c in columns}
    metric_code, measure_base, split = _measure_sql(benchmark, columns)
    keys = [f"{_quoted(k)}" for k in CELL_KEYS if k != "metric_code"]
    stats = [
        f"{_quoted(named[s])} as {s}" if s in named else f"cast(null as double) as {s}"
        for s in [*STATISTICS, "n_clients"]
    ]
    # A statistic is there when it is neither null nor NaN (pandas' notna of a frame given).
    shown = " or ".join(
        f"({_quoted(named[s])} is not null and not isnan(cast({_quoted(named[s])} as double)))"
        for s in STATISTICS
        if s in named
    )
    con.execute(
        f"create or replace temp table {CELLS_VIEW} as "  # noqa: S608 - names checked above
        f"select _row, {', '.join(keys)}, {metric_code} as metric_code, "
        f"{measure_base} as measure_base, {split} as split, {', '.join(stats)}, "
        f"coalesce({shown or 'false'}, false) as exposed from {source}"
    )


def _create_contributions_view(
    con: duckdb.DuckDBPyConnection, source: str, benchmark: Benchmark | None, rules: Rules
) -> None:
    """``attack_contributions``: from a benchmark's contributions (its ``contributions_sql``), or,
    for the metric cells (``benchmark`` None), from the clients' answer counts: a client
    contributes with ``min_client_responses`` answers, to its industry's cell and to '*'."""
    if benchmark is not None:
        metric_code, measure_base, split = _measure_sql(benchmark, _columns(con, source))
        body = (
            "select industry_code, touchpoint_code, period_grain, period, "  # noqa: S608
            f"{metric_code} as metric_code, {measure_base} as measure_base, {split} as split, "
            f"client_id, n, sum_x, value from {source}"
        )
    else:
        own = (
            "select {industry} as industry_code, touchpoint_code, period_grain, period, "  # noqa: S608
            "metric_code, metric_code as measure_base, cast(null as varchar) as split, "
            f"client_id, n, sum_x, sum_x / n as value from {source} "
            f"where n >= {int(rules.min_client_responses)}"
        )
        everyone = own.format(industry="'*'")
        body = f"{own.format(industry='industry_code')} union all {everyone}"
    con.execute(f"create or replace temp table {CONTRIBUTIONS_VIEW} as {body}")


# The attacks ------------------------------------------------------------------------------


def attack(
    cells: pd.DataFrame,
    client_counts: pd.DataFrame | None,
    rules: Rules,
    metric_ranges: dict[str, tuple[float, float]] | None = None,
    contributions: pd.DataFrame | None = None,
    families: tuple[str, ...] = FAMILIES,
) -> AttackReport:
    """Every attack on ``cells`` (as published, the metric cells' column names) given the
    clients' answer counts (metric cells: raw counts, contributors found here) or their
    ``contributions`` (other marts, in the attack's column names)."""
    con = duckdb.connect()
    try:
        con.register("given_cells", cells.assign(_row=np.arange(len(cells))))
        _create_cells_view(con, "given_cells", None)
        if contributions is None:
            assert client_counts is not None, "client_counts or contributions"
            con.register("given_counts", client_counts)
            _create_contributions_view(con, "given_counts", None, rules)
        else:
            con.register("given_contributions", contributions)
            con.execute(
                f"create or replace temp view {CONTRIBUTIONS_VIEW} as "  # noqa: S608
                "select * from given_contributions"
            )
        return _attack(con, rules, metric_ranges or {}, None, families)
    finally:
        con.close()


def _attack(
    con: duckdb.DuckDBPyConnection,
    rules: Rules,
    metric_ranges: dict[str, tuple[float, float]],
    value_range: tuple[float, float] | None,
    families: tuple[str, ...],
) -> AttackReport:
    """Every attack on the cells and contributions of ``con``'s views."""
    published = con.execute(f"select count(*) from {CELLS_VIEW} where exposed").fetchone()  # noqa: S608
    report = AttackReport(cells_published=int(published[0]) if published else 0)
    _create_members(con)
    for family in families:
        leaks, checked = _difference(con, family, rules)
        report.families_checked[family] = checked
        report.leaks.extend(leaks)
    solved, findings, checked_cells = _solve_order_statistics(con, metric_ranges, value_range)
    report.cells_solved = checked_cells
    report.leaks.extend(solved)
    report.findings.extend(findings)
    report.leaks.extend(_check_cells(con, rules))
    return report


CELL_LABEL = "industry_code || '/' || touchpoint_code || '/' || period || '/' || metric_code"
CELL_KEYS_SQL = ", ".join(CELL_KEYS)


def _check_cells(con: duckdb.DuckDBPyConnection, rules: Rules) -> list[Leak]:
    """Published cells the attack cannot recount, or that break the per-cell or p10/p90 rule."""
    shown = con.execute(
        f"with recount as (select {CELL_KEYS_SQL}, count(*) as true_clients, "  # noqa: S608
        "cast(sum(n) as bigint) as true_n, sum(sum_x) as true_sum, max(n) as top "
        f"from {CONTRIBUTIONS_VIEW} group by all) "
        "select cells.industry_code, cells.touchpoint_code, cells.period, cells.metric_code, "
        "n_responses, n_clients, value, p10, p90, coalesce(true_clients, 0) as true_clients, "
        f"true_n, true_sum, top from {CELLS_VIEW} as cells "
        f"left join recount using ({CELL_KEYS_SQL}) where exposed order by _row"
    ).df()
    leaks = []
    for row in shown.itertuples(index=False):
        where = f"{row.industry_code}/{row.touchpoint_code}/{row.period}/{row.metric_code}"
        if row.true_clients < rules.min_clients or row.top / row.true_n > rules.max_client_share:
            leaks.append(
                Leak(
                    "cell_rule",
                    where,
                    (),
                    row.true_clients,
                    "fails_cell_rule",
                    f"published with {row.true_clients} contributors, the largest holding "
                    f"{(row.top or 0) / (row.true_n or 1):.0%} of the answers",
                )
            )
            continue
        n_ok = pd.isna(row.n_responses) or int(row.n_responses) == int(row.true_n)
        clients_ok = pd.isna(row.n_clients) or int(row.n_clients) == row.true_clients
        value_ok = pd.isna(row.value) or abs(row.value - row.true_sum / row.true_n) <= 1e-6 * max(
            1.0, abs(row.value)
        )
        if not (n_ok and clients_ok and value_ok):
            leaks.append(
                Leak(
                    "consistency",
                    where,
                    (),
                    row.true_clients,
                    "does_not_reconcile",
                    f"published n_clients {row.n_clients}, n_responses {row.n_responses}, value "
                    f"{row.value}; the warehouse holds {row.true_clients} contributors with "
                    f"{row.true_n} answers",
                )
            )
        if row.true_clients < rules.min_clients_p10_p90 and (
            pd.notna(row.p10) or pd.notna(row.p90)
        ):
            leaks.append(
                Leak(
                    "percentile_rule",
                    where,
                    (),
                    row.true_clients,
                    "p10_p90_below_threshold",
                    f"p10/p90 published with {row.true_clients} contributors "
                    f"(fewer than {rules.min_clients_p10_p90})",
                )
            )
    return leaks


# Per family: which cells belong (SQL condition), the parts of the family's key (joined with
# '/' it names the family, and families are listed in that name's order), and which cell is
# the parent (the others are its children).
QUARTER_OF_MONTH = (
    "substr(period, 1, 4) || '-Q' || "
    "cast((cast(substr(period, 6, 2) as integer) - 1) // 3 + 1 as varchar)"
)
FAMILY_SQL: dict[str, tuple[str, tuple[str, ...], str]] = {
    "industry": ("true", ("touchpoint_code", "period", "metric_code"), "industry_code = '*'"),
    "touchpoint": ("true", ("industry_code", "period", "metric_code"), "touchpoint_code = '*'"),
    "year_quarters": (
        "period_grain in ('year', 'quarter')",
        ("industry_code", "touchpoint_code", "substr(period, 1, 4)", "metric_code"),
        "period_grain = 'year'",
    ),
    "quarter_months": (
        "period_grain in ('quarter', 'month')",
        (
            "industry_code",
            "touchpoint_code",
            f"case when period_grain = 'month' then {QUARTER_OF_MONTH} else period end",
            "metric_code",
        ),
        "period_grain = 'quarter'",
    ),
    SPLIT_FAMILY: (  # 'all' and its groups (theme cells)
        "split is not null",
        ("industry_code", "touchpoint_code", "period", "measure_base"),
        "split = 'all'",
    ),
}
MEMBERS_TABLE = "attack_members"


def _create_members(con: duckdb.DuckDBPyConnection) -> None:
    """Each contribution with whether its cell is published: one join for every family."""
    con.execute(
        f"create or replace temp table {MEMBERS_TABLE} as "  # noqa: S608 - constants only
        f"select contributions.*, coalesce(cells.exposed, false) as exposed "
        f"from {CONTRIBUTIONS_VIEW} as contributions "
        f"left join {CELLS_VIEW} as cells using ({CELL_KEYS_SQL})"
    )


def _difference(
    con: duckdb.DuckDBPyConnection, family: str, rules: Rules
) -> tuple[list[Leak], int]:
    """Parent minus published children for every family with a published parent."""
    where, parts, parent = FAMILY_SQL[family]
    keys = [f"k{i}" for i in range(len(parts))]
    key_list = ", ".join(keys)
    # The family of each row, its key parts as columns k0, k1, … (rows with a part missing
    # belong to no family).
    family_rows = (
        f"select *, {', '.join(f'{p} as {k}' for p, k in zip(parts, keys, strict=True))}, "  # noqa: S608 - constants only
        f"coalesce({parent}, false) as is_parent from {{table}} where {where}"
    )
    complete = " and ".join(f"{k} is not null" for k in keys)
    parents = f"attack_parents_{family}"
    con.execute(
        f"create or replace temp table {parents} as "  # noqa: S608 - constants only
        f"select {key_list}, first({CELL_LABEL} order by _row) as parent, count(*) as cells "
        f"from ({family_rows.format(table=CELLS_VIEW)}) "
        f"where is_parent and exposed and {complete} group by all"
    )
    # Parent +n; each published child -n; withheld children do not take anything away. Only
    # families with a published parent matter.
    per_client = f"attack_per_client_{family}"
    con.execute(
        f"create or replace temp table {per_client} as "  # noqa: S608 - constants only
        f"select {key_list}, client_id, sum(case when is_parent then n when exposed then -n "
        f"else 0 end) as signed from ({family_rows.format(table=MEMBERS_TABLE)}) "
        f"semi join {parents} using ({key_list}) group by all"
    )
    family_key = " || '/' || ".join(keys)
    leaking = con.execute(
        f"with summary as (select {key_list}, sum(signed) as total, count(*) as clients, "  # noqa: S608
        f"max(signed) as top from {per_client} where signed > 0 group by all), "
        "flagged as (select * from summary where clients < ? or top / total > ?), "
        f"withheld as (select {key_list}, list({CELL_LABEL} order by _row) as cells "
        f"from ({family_rows.format(table=CELLS_VIEW)}) "
        f"semi join flagged using ({key_list}) where not is_parent and not exposed "
        "group by all) "
        "select parent, coalesce(withheld.cells, []), cast(total as bigint), clients, "
        f"cast(top as bigint) from flagged join {parents} using ({key_list}) "
        f"left join withheld using ({key_list}) order by {family_key}",
        [rules.min_clients, rules.max_client_share],
    ).fetchall()
    negative = con.execute(
        f"select parent, client_id from {per_client} join {parents} using ({key_list}) "  # noqa: S608
        f"where signed < 0 order by {family_key}, client_id"
    ).fetchall()
    checked = con.execute(f"select coalesce(sum(cells), 0) from {parents}").fetchone()  # noqa: S608
    con.execute(f"drop table {per_client}")
    con.execute(f"drop table {parents}")
    leaks = []
    for parent_cell, withheld, total, clients, top in leaking:
        share = top / total
        if clients == 1:
            reason = "one_client"
        elif clients < rules.min_clients:
            reason = "too_few_clients"
        else:
            reason = "dominant_client"
        leaks.append(
            Leak(
                family,
                str(parent_cell),
                tuple(withheld),
                int(clients),
                reason,
                f"parent minus its published children leaves {int(total):,} answers of "
                f"{int(clients)} client(s), the largest holding {share:.0%}",
            )
        )
    for parent_cell, client_id in negative:
        leaks.append(
            Leak(
                family,
                str(parent_cell),
                (),
                0,
                "does_not_reconcile",
                f"client {client_id} has more answers in the published children than in the parent",
            )
        )
    return leaks, int(checked[0]) if checked else 0


def _equations(
    n: int, published: dict[str, float], mean: float | None
) -> tuple[np.ndarray, np.ndarray, set[int]]:
    """Rows of A x = b over the sorted values x_0..x_{n-1}; also the indices a single
    statistic states outright (a quantile at a whole position)."""
    rows, rhs, direct = [], [], set()
    for name, p in QUANTILES:
        if name not in published:
            continue
        pos = (n - 1) * p
        k = int(np.floor(pos + 1e-12))
        frac = pos - k
        row = np.zeros(n)
        if frac < 1e-12 or k + 1 >= n:
            row[k] = 1.0
            direct.add(k)
        else:
            row[k], row[k + 1] = 1.0 - frac, frac
        rows.append(row)
        rhs.append(published[name])
    if mean is not None:
        rows.append(np.full(n, 1.0 / n))
        rhs.append(mean)
    return np.array(rows), np.array(rhs), direct


def fixed_by_equations(a: np.ndarray) -> np.ndarray:
    """Which unknowns the equations pin down: those orthogonal to A's null space."""
    n = a.shape[1]
    if a.size == 0:
        return np.zeros(n, dtype=bool)
    _, s, vt = np.linalg.svd(a)
    rank = int((s > 1e-10).sum())
    null = vt[rank:]
    if null.shape[0] == 0:
        return np.ones(n, dtype=bool)
    return np.abs(null).max(axis=0) < 1e-9


def _bounds_of(
    i: int, a: np.ndarray, b: np.ndarray, bounds: tuple[float | None, float | None]
) -> tuple[float, float]:
    """min and max of x_i given A x = b, x sorted and inside ``bounds`` (None: unbounded)."""
    n = a.shape[1]
    order = np.zeros((n - 1, n))
    for j in range(n - 1):
        order[j, j], order[j, j + 1] = 1.0, -1.0  # x_j - x_{j+1} <= 0
    c = np.zeros(n)
    c[i] = 1.0
    lo = linprog(c, A_ub=order, b_ub=np.zeros(n - 1), A_eq=a, b_eq=b, bounds=[bounds] * n)
    hi = linprog(-c, A_ub=order, b_ub=np.zeros(n - 1), A_eq=a, b_eq=b, bounds=[bounds] * n)
    if lo.status != 0 or hi.status != 0:
        return -np.inf, np.inf  # unbounded or infeasible within tolerance: nothing follows
    return float(lo.fun), float(-hi.fun)


Margin = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[Any]]


def _margin_lp(a: np.ndarray, b: np.ndarray, bounds: tuple[float, float]) -> Margin:
    """The LP of ``_strictly_feasible`` over x_0..x_{n-1} and a margin t (maximised, at most 1):
    c, A_ub, b_ub, A_eq, b_eq and the variables' bounds."""
    n = a.shape[1]
    lo, hi = bounds
    rows, rhs = [], []
    for j in range(n - 1):  # x_j - x_{j+1} + t <= 0
        row = np.zeros(n + 1)
        row[j], row[j + 1], row[n] = 1.0, -1.0, 1.0
        rows.append(row)
        rhs.append(0.0)
    for i in range(n):
        if np.isfinite(lo):  # lo + t <= x_i
            row = np.zeros(n + 1)
            row[i], row[n] = -1.0, 1.0
            rows.append(row)
            rhs.append(-lo)
        if np.isfinite(hi):  # x_i + t <= hi
            row = np.zeros(n + 1)
            row[i], row[n] = 1.0, 1.0
            rows.append(row)
            rhs.append(hi)
    c = np.zeros(n + 1)
    c[n] = -1.0  # maximise t
    a_eq = np.hstack([a, np.zeros((a.shape[0], 1))])
    return c, np.array(rows), np.array(rhs), a_eq, b, [(None, None)] * n + [(None, 1.0)]


def _strictly_feasible(a: np.ndarray, b: np.ndarray, bounds: tuple[float, float]) -> bool:
    """Whether some solution of A x = b has every value strictly inside the scale and strictly
    above the one before: then no inequality is implicitly tight, and only the equations can
    fix a value — one small LP instead of two per unknown."""
    c, a_ub, b_ub, a_eq, b_eq, var_bounds = _margin_lp(a, b, bounds)
    result = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=var_bounds)
    return bool(result.status == 0 and -result.fun > SOLVED)


# Cells whose margin LPs are solved as one (block-diagonal) LP; a margin it finds above
# WITNESS is a witness for that cell (its own LP could only find more); any other cell, or
# every cell of a batch the joint LP does not solve, gets its own LP as before.
LP_BATCH = 400
WITNESS = 1e-5


def _strictly_feasible_all(
    problems: list[tuple[np.ndarray, np.ndarray, tuple[float, float]]],
) -> list[bool]:
    """``_strictly_feasible`` of every problem, with one LP per batch where it can tell.

    The joint LP maximises the sum of the margins of independent blocks, so its optimum holds
    each block's own maximum: the same verdicts, from one solver call instead of hundreds
    (862 calls took 3.4 s of the 1M gate, most of it scipy's set-up of each call).
    """
    verdicts: list[bool] = []
    for start in range(0, len(problems), LP_BATCH):
        batch = problems[start : start + LP_BATCH]
        lps = [_margin_lp(a, b, bounds) for a, b, bounds in batch]
        margins = _joint_margins(lps)
        for (a, b, bounds), margin in zip(batch, margins, strict=True):
            verdicts.append(margin > WITNESS or _strictly_feasible(a, b, bounds))
    return verdicts


def _joint_margins(lps: list[Margin]) -> list[float]:
    """Each block's margin in the optimum of the joint LP (-inf for all if it has none)."""
    if not lps:
        return []
    result = linprog(
        np.concatenate([lp[0] for lp in lps]),
        A_ub=sparse.block_diag([lp[1] for lp in lps], format="csr"),
        b_ub=np.concatenate([lp[2] for lp in lps]),
        A_eq=sparse.block_diag([lp[3] for lp in lps], format="csr"),
        b_eq=np.concatenate([lp[4] for lp in lps]),
        bounds=[bound for lp in lps for bound in lp[5]],
    )
    if result.status != 0:
        return [-np.inf] * len(lps)
    ends = np.cumsum([len(lp[0]) for lp in lps])
    return [float(result.x[end - 1]) for end in ends]


def _solve_order_statistics(
    con: duckdb.DuckDBPyConnection,
    ranges: dict[str, tuple[float, float]],
    value_range: tuple[float, float] | None = None,
) -> tuple[list[Leak], list[Leak], int]:
    """Contributor values the published quantiles and mean fix, cell by cell.

    Returns the leaks, the findings and the cells checked. A fixed value is a leak when it is
    a number no statistic states. A value equal to a published statistic (several contributors
    sharing the median, so p25 = median = p75 pins the values between them) or to an end of
    the scale (every contributor with a comment share of 0, which the cell's own value tells)
    is a finding, not a leak: only withholding the cell itself would hide it (README, Privacy:
    known limits). ``value_range``: every measure's scale (else ``ranges`` per metric).
    """
    quantile_cols = [name for name, _ in QUANTILES]
    shown_sql = " or ".join(
        f"({c} is not null and not isnan({c}))" for c in [*quantile_cols, "mean"]
    )
    shown = con.execute(
        f"with true_clients as (select {CELL_KEYS_SQL}, count(*) as true_clients "  # noqa: S608
        f"from {CONTRIBUTIONS_VIEW} group by all) "
        "select cells.industry_code, cells.touchpoint_code, cells.period, cells.metric_code, "
        f"{', '.join(quantile_cols)}, mean, coalesce(true_clients, 0) as true_clients "
        f"from {CELLS_VIEW} as cells left join true_clients using ({CELL_KEYS_SQL}) "
        f"where exposed and ({shown_sql}) and coalesce(true_clients, 0) >= 2 order by _row"
    ).df()
    fixed_for: dict[tuple[int, tuple[str, ...], bool], np.ndarray] = {}
    cells, problems = [], []
    for row in shown.to_dict("records"):
        n = int(row["true_clients"])
        published = {q: float(row[q]) for q in quantile_cols if pd.notna(row[q])}
        mean = float(row["mean"]) if pd.notna(row["mean"]) else None
        a, b, direct = _equations(n, published, mean)
        default = value_range or (-np.inf, np.inf)
        lo, hi = value_range or ranges.get(str(row["metric_code"]), default)
        # The equations' matrix depends only on n and which statistics are there.
        pattern = (n, tuple(published), mean is not None)
        if pattern not in fixed_for:
            fixed_for[pattern] = fixed_by_equations(a)
        fixed = fixed_for[pattern]
        values: dict[int, float] = {}
        if any(fixed[i] and i not in direct for i in range(n)):
            solution = np.linalg.lstsq(a, b, rcond=None)[0]
            values = {i: float(solution[i]) for i in range(n) if fixed[i] and i not in direct}
        quantiles = sorted(published.values())
        # A quantile at an end of the scale ties with it: it pins the values beyond it.
        tied = any(abs(x - y) < SOLVED for x, y in itertools.pairwise([lo, *quantiles, hi]))
        needs_lp = n < SOLVER_MAX_CLIENTS or tied
        if needs_lp:
            problems.append((a, b, (lo, hi)))
        cells.append((row, n, published, mean, a, b, direct, (lo, hi), values, needs_lp))
    feasible = iter(_strictly_feasible_all(problems))
    leaks, findings = [], []
    for row, n, published, mean, a, b, direct, bounds, values, needs_lp in cells:
        if needs_lp and not next(feasible):
            for i in range(n):
                if i in direct or i in values:
                    continue
                low, high = _bounds_of(i, a, b, bounds)
                if high - low < SOLVED:
                    values[i] = low
        if not values:
            continue
        stated = np.array([*published.values(), *([mean] if mean is not None else []), *bounds])
        new = [i for i, v in values.items() if np.abs(stated - v).min() > SOLVED]
        where = "/".join(
            str(row[k]) for k in ("industry_code", "touchpoint_code", "period", "metric_code")
        )
        if new:
            whole = len(values) + len(direct) == n
            leaks.append(
                Leak(
                    "order_statistics",
                    where,
                    (),
                    n,
                    "all_values_solved" if whole else "values_solved",
                    f"the published quantiles and mean fix {len(values) + len(direct)} of the "
                    f"{n} contributors' values, {len(new)} of them numbers no statistic states",
                )
            )
        else:
            findings.append(
                Leak(
                    "order_statistics",
                    where,
                    (),
                    n,
                    "shared_or_scale_end_value",
                    f"{len(values)} contributors' values follow from the statistics, each equal "
                    "to a published statistic or an end of the scale (ties)",
                )
            )
    return leaks, findings, len(cells)


# Entry points -------------------------------------------------------------------------------


def _attack_one(
    con: duckdb.DuckDBPyConnection,
    benchmark: Benchmark,
    cells_source: str,
    rules: Rules,
    metric_ranges: dict[str, tuple[float, float]] | None,
) -> AttackReport:
    """The attacks on one benchmark mart's cells (``cells_source`` with ``_row``) on ``con``,
    a connection to the build's warehouse."""
    if benchmark.name == "metric":
        _create_cells_view(con, cells_source, None)
        _create_contributions_view(con, f"({CLIENT_COUNTS_SQL})", None, rules)
        return _attack(con, rules, metric_ranges or {}, None, FAMILIES)
    _create_cells_view(con, cells_source, benchmark)
    _create_contributions_view(con, f"({benchmark.contributions_sql})", benchmark, rules)
    assert benchmark.value_range is not None
    families = FAMILIES + ((SPLIT_FAMILY,) if benchmark.split else ())
    return _attack(con, rules, {}, benchmark.value_range, families)


def attack_benchmark(
    benchmark: Benchmark,
    cells: pd.DataFrame,
    database: Path,
    rules: Rules,
    metric_ranges: dict[str, tuple[float, float]] | None = None,
) -> AttackReport:
    """The attacks on one benchmark mart's cells (as published, the mart's own columns)."""
    con = connect_read_only(database)
    try:
        con.register("given_cells", cells.assign(_row=np.arange(len(cells))))
        return _attack_one(con, benchmark, "given_cells", rules, metric_ranges)
    finally:
        con.close()


def attack_snapshot(snapshot_dir: Path, database: Path, rules: Rules) -> AttackReport:
    """The attacks on a snapshot folder (written, not yet live) and its build's warehouse: the
    cells are read by DuckDB straight from the exported Parquet, in the order written."""
    ranges = read_metric_ranges(snapshot_dir)
    sources = []
    for benchmark in BENCHMARKS:
        path = snapshot_dir / f"{benchmark.mart}.parquet"
        if path.is_file():
            # The path is the build's own snapshot folder, not user input.
            quoted = "'" + str(path).replace("'", "''") + "'"
            source = (
                "(select * exclude (file_row_number), file_row_number as _row "  # noqa: S608
                f"from read_parquet({quoted}, file_row_number = true))"
            )
            sources.append((benchmark, source))
    con = connect_read_only(database)
    try:
        return _attack_each(con, sources, rules, ranges)
    finally:
        con.close()


def _attack_each(
    con: duckdb.DuckDBPyConnection,
    sources: list[tuple[Benchmark, str]],
    rules: Rules,
    metric_ranges: dict[str, tuple[float, float]],
) -> AttackReport:
    """``_attack_one`` on each benchmark's cells (``sources``: benchmark, cells) at once, on
    one cursor of ``con`` (the warehouse) each, with their own temp views; the reports merged
    in the order of ``sources``. Most of an attack is DuckDB's, which runs outside the GIL
    (docs/BENCHMARKS.md, eighth round)."""

    def attack_on_cursor(benchmark: Benchmark, cells: str) -> AttackReport:
        cursor = con.cursor()
        try:
            return _attack_one(cursor, benchmark, cells, rules, metric_ranges)
        finally:
            cursor.close()

    with ThreadPoolExecutor(len(sources) or 1, thread_name_prefix="attack") as pool:
        reports = list(pool.map(attack_on_cursor, *zip(*sources, strict=True)))
    report = AttackReport()
    for (benchmark, _cells), one in zip(sources, reports, strict=True):
        report.merge(benchmark.name, one)
    return report


def attack_warehouse(database: Path, rules: Rules) -> AttackReport:
    """The attacks on the marts of a build's DuckDB file (what the publish step would export)."""
    sources = [
        (benchmark, f"(select *, row_number() over () as _row from {MARTS}.{benchmark.mart})")  # noqa: S608
        for benchmark in BENCHMARKS
    ]
    con = connect_read_only(database)
    try:
        ranges = {
            code: (float(lo), float(hi))
            for code, lo, hi in con.execute(
                f"select metric_code, value_min, value_max from {MARTS}.dim_metrics"  # noqa: S608
            ).fetchall()
        }
        return _attack_each(con, sources, rules, ranges)
    finally:
        con.close()


def main(argv: Iterable[str] | None = None) -> int:
    """``python -m cxbench.attacks WAREHOUSE_DB``: the report as JSON; exit 1 on any leak."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", type=Path)
    parser.add_argument("--vars", type=json.loads, default="{}", help="dbt vars as JSON")
    parser.add_argument("--leaks", type=int, default=20, help="leaks to list")
    args = parser.parse_args(list(argv) if argv is not None else None)
    report = attack_warehouse(args.database, Rules.from_vars(args.vars))
    print(json.dumps(report.to_dict(max_leaks=args.leaks), indent=2, default=str))
    print(report.sentence(), file=sys.stderr)
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
