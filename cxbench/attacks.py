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
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from scipy.optimize import linprog

from cxbench.relations import INTERMEDIATE, MARTS

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


def _normalise(frame: pd.DataFrame, benchmark: Benchmark) -> pd.DataFrame:
    """Cells or contributions of ``benchmark`` with the metric cells' column names: the measure
    key as ``metric_code`` (prefixed with the benchmark), its parts without the split as
    ``measure_base`` and the split value as ``split``."""
    out = frame.rename(columns=benchmark.renames).copy()
    if benchmark.name == "metric":
        out["measure_base"] = out["metric_code"]
        out["split"] = None
        return out
    base = [m for m in benchmark.measure if m != benchmark.split]
    key = out[base[0]].astype(str)
    for column in base[1:]:
        key = key + "|" + out[column].astype(str)
    out["measure_base"] = benchmark.name + ":" + key
    if benchmark.split:
        out["split"] = out[benchmark.split].astype(str)
        out["metric_code"] = out["measure_base"] + "|" + out["split"]
    else:
        out["split"] = None
        out["metric_code"] = out["measure_base"]
    for column in ("value", "mean", "n_responses", "n_clients"):
        if column not in out.columns:
            out[column] = np.nan
    return out


# Loading what a build publishes -------------------------------------------------------------


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


def read_client_counts(database: Path) -> pd.DataFrame:
    """Each client's answers per cell (touchpoint '*' included) from the build's warehouse."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        relation = f"{INTERMEDIATE}.int_client_metric_periods"
        columns = "client_id, industry_code, touchpoint_code, period_grain, period, metric_code"
        sql = f"select {columns}, n, sum_x from {relation}"  # noqa: S608 - constants only
        return con.execute(sql).df()
    finally:
        con.close()


# The attacks ------------------------------------------------------------------------------


def attack(
    cells: pd.DataFrame,
    client_counts: pd.DataFrame | None,
    rules: Rules,
    metric_ranges: dict[str, tuple[float, float]] | None = None,
    contributions: pd.DataFrame | None = None,
    families: tuple[str, ...] = FAMILIES,
) -> AttackReport:
    """Every attack on ``cells`` (as published) given the clients' answer counts (metric
    cells: raw counts, contributors found here) or their ``contributions`` (other marts)."""
    cells = cells.copy()
    if "measure_base" not in cells.columns:
        cells["measure_base"], cells["split"] = cells["metric_code"], None
    stats = [c for c in STATISTICS if c in cells.columns]
    cells["exposed"] = cells[stats].notna().any(axis=1)
    if contributions is None:
        assert client_counts is not None, "client_counts or contributions"
        contributions = _contributions(client_counts, rules)
    report = AttackReport(cells_published=int(cells["exposed"].sum()))
    for family in families:
        leaks, checked = _difference(family, cells, contributions, rules)
        report.families_checked[family] = checked
        report.leaks.extend(leaks)
    solved, findings, checked_cells = _solve_order_statistics(
        cells, contributions, metric_ranges or {}
    )
    report.cells_solved = checked_cells
    report.leaks.extend(solved)
    report.findings.extend(findings)
    report.leaks.extend(_check_cells(cells, contributions, rules))
    return report


def _contributions(client_counts: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """A row per client × cell it contributes to, its own industry's and industry '*'."""
    own = client_counts[client_counts["n"] >= rules.min_client_responses].copy()
    own["value"] = own["sum_x"] / own["n"]
    own["measure_base"], own["split"] = own["metric_code"], None
    everyone = own.assign(industry_code="*")
    return pd.concat([own, everyone], ignore_index=True)[
        [*CELL_KEYS, "measure_base", "split", "client_id", "n", "sum_x", "value"]
    ]


def label(frame: pd.DataFrame) -> pd.Series:
    return (
        frame["industry_code"]
        + "/"
        + frame["touchpoint_code"]
        + "/"
        + frame["period"]
        + "/"
        + frame["metric_code"]
    )


def _check_cells(cells: pd.DataFrame, contributions: pd.DataFrame, rules: Rules) -> list[Leak]:
    """Published cells the attack cannot recount, or that break the per-cell or p10/p90 rule."""
    recount = (
        contributions.groupby(CELL_KEYS)
        .agg(
            true_clients=("n", "size"),
            true_n=("n", "sum"),
            true_sum=("sum_x", "sum"),
            top=("n", "max"),
        )
        .reset_index()
    )
    shown = cells[cells["exposed"]].merge(recount, on=CELL_KEYS, how="left")
    shown["true_clients"] = shown["true_clients"].fillna(0).astype(int)
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


def quarter_of(month: pd.Series) -> pd.Series:
    """'2025-08' -> '2025-Q3'."""
    return month.str[:4] + "-Q" + ((month.str[5:7].astype(int) - 1) // 3 + 1).astype(str)


def _family_frame(family: str, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (cells or contributions) with its family key and role in ``family``."""
    if family == "industry":
        out = frame.copy()
        out["family_key"] = out["touchpoint_code"] + "/" + out["period"] + "/" + out["metric_code"]
        out["is_parent"] = out["industry_code"] == "*"
    elif family == "touchpoint":
        out = frame.copy()
        out["family_key"] = out["industry_code"] + "/" + out["period"] + "/" + out["metric_code"]
        out["is_parent"] = out["touchpoint_code"] == "*"
    elif family == "year_quarters":
        out = frame[frame["period_grain"].isin(["year", "quarter"])].copy()
        out["family_key"] = (
            out["industry_code"]
            + "/"
            + out["touchpoint_code"]
            + "/"
            + out["period"].str[:4]
            + "/"
            + out["metric_code"]
        )
        out["is_parent"] = out["period_grain"] == "year"
    elif family == SPLIT_FAMILY:  # 'all' and its groups (theme cells)
        out = frame[frame["split"].notna()].copy()
        out["family_key"] = (
            out["industry_code"]
            + "/"
            + out["touchpoint_code"]
            + "/"
            + out["period"]
            + "/"
            + out["measure_base"]
        )
        out["is_parent"] = out["split"] == "all"
    else:  # quarter_months
        out = frame[frame["period_grain"].isin(["quarter", "month"])].copy()
        quarter = out["period"].copy()
        months = out["period_grain"] == "month"
        quarter[months] = quarter_of(out.loc[months, "period"])
        out["family_key"] = (
            out["industry_code"]
            + "/"
            + out["touchpoint_code"]
            + "/"
            + quarter
            + "/"
            + out["metric_code"]
        )
        out["is_parent"] = out["period_grain"] == "quarter"
    return out


def _difference(
    family: str, cells: pd.DataFrame, contributions: pd.DataFrame, rules: Rules
) -> tuple[list[Leak], int]:
    """Parent minus published children for every family with a published parent."""
    fam_cells = _family_frame(family, cells)
    parents = fam_cells[fam_cells["is_parent"] & fam_cells["exposed"]]
    if parents.empty:
        return [], 0
    # Only families with a published parent matter: filter before the merge (theme cells: 130k).
    live = parents["family_key"]
    members = _family_frame(family, contributions)
    members = members[members["family_key"].isin(live)].merge(
        fam_cells.loc[fam_cells["family_key"].isin(live), [*CELL_KEYS, "exposed"]],
        on=CELL_KEYS,
        how="left",
    )
    members["exposed"] = members["exposed"].fillna(False).astype(bool)
    # Parent +n; each published child -n; withheld children do not take anything away.
    members["signed"] = np.where(
        members["is_parent"], members["n"], np.where(members["exposed"], -members["n"], 0)
    )
    per_client = members.groupby(["family_key", "client_id"], as_index=False)["signed"].sum()
    negative = per_client[per_client["signed"] < 0]
    remainder = per_client[per_client["signed"] > 0]
    summary = remainder.groupby("family_key").agg(
        total=("signed", "sum"), clients=("signed", "size"), top=("signed", "max")
    )
    leaking = summary[
        (summary["clients"] < rules.min_clients)
        | (summary["top"] / summary["total"] > rules.max_client_share)
    ]
    # The withheld children are named only in a leak's message: label the leaking families'
    # alone (a groupby-apply over every family cost ~20 s of the gate at 150k answers).
    withheld_cells = fam_cells[
        ~fam_cells["is_parent"]
        & ~fam_cells["exposed"]
        & fam_cells["family_key"].isin(leaking.index)
    ]
    withheld = withheld_cells.assign(cell=label(withheld_cells)).groupby("family_key")["cell"]
    withheld_by_key = {key: tuple(group) for key, group in withheld}
    parent_label = parents.assign(cell=lambda f: label(f)).set_index("family_key")["cell"]
    leaks = []
    for key, row in leaking.iterrows():
        share = row["top"] / row["total"]
        clients = int(row["clients"])
        if clients == 1:
            reason = "one_client"
        elif clients < rules.min_clients:
            reason = "too_few_clients"
        else:
            reason = "dominant_client"
        leaks.append(
            Leak(
                family,
                str(parent_label[key]),
                withheld_by_key.get(key, ()),
                clients,
                reason,
                f"parent minus its published children leaves {int(row['total']):,} answers of "
                f"{clients} client(s), the largest holding {share:.0%}",
            )
        )
    for row in negative.itertuples(index=False):
        leaks.append(
            Leak(
                family,
                str(parent_label[row.family_key]),
                (),
                0,
                "does_not_reconcile",
                f"client {row.client_id} has more answers in the published children than in "
                "the parent",
            )
        )
    return leaks, len(parents)


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


def _strictly_feasible(a: np.ndarray, b: np.ndarray, bounds: tuple[float, float]) -> bool:
    """Whether some solution of A x = b has every value strictly inside the scale and strictly
    above the one before: then no inequality is implicitly tight, and only the equations can
    fix a value — one small LP instead of two per unknown."""
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
    result = linprog(
        c,
        A_ub=np.array(rows),
        b_ub=np.array(rhs),
        A_eq=a_eq,
        b_eq=b,
        bounds=[(None, None)] * n + [(None, 1.0)],
    )
    return bool(result.status == 0 and -result.fun > SOLVED)


def _solve_order_statistics(
    cells: pd.DataFrame, contributions: pd.DataFrame, ranges: dict[str, tuple[float, float]]
) -> tuple[list[Leak], list[Leak], int]:
    """Contributor values the published quantiles and mean fix, cell by cell.

    Returns the leaks, the findings and the cells checked. A fixed value is a leak when it is
    a number no statistic states. A value equal to a published statistic (several contributors
    sharing the median, so p25 = median = p75 pins the values between them) or to an end of
    the scale (every contributor with a comment share of 0, which the cell's own value tells)
    is a finding, not a leak: only withholding the cell itself would hide it (README, Privacy:
    known limits).
    """
    true_clients = contributions.groupby(CELL_KEYS).size().rename("true_clients").reset_index()
    quantile_cols = [name for name, _ in QUANTILES if name in cells.columns]
    shown = cells[cells["exposed"] & cells[[*quantile_cols, "mean"]].notna().any(axis=1)]
    shown = shown.merge(true_clients, on=CELL_KEYS, how="left")
    leaks, findings, checked = [], [], 0
    for row in shown.to_dict("records"):
        n = int(row["true_clients"]) if pd.notna(row["true_clients"]) else 0
        if n < 2:
            continue
        checked += 1
        published = {q: float(row[q]) for q in quantile_cols if pd.notna(row[q])}
        mean = float(row["mean"]) if pd.notna(row.get("mean")) else None
        a, b, direct = _equations(n, published, mean)
        lo, hi = ranges.get(str(row["metric_code"]), (-np.inf, np.inf))
        stated = np.array([*published.values(), *([mean] if mean is not None else []), lo, hi])
        fixed = fixed_by_equations(a)
        solution = np.linalg.lstsq(a, b, rcond=None)[0]
        values = {i: float(solution[i]) for i in range(n) if fixed[i] and i not in direct}
        quantiles = sorted(published.values())
        # A quantile at an end of the scale ties with it: it pins the values beyond it.
        tied = any(abs(x - y) < SOLVED for x, y in itertools.pairwise([lo, *quantiles, hi]))
        if (n < SOLVER_MAX_CLIENTS or tied) and not _strictly_feasible(a, b, (lo, hi)):
            for i in range(n):
                if i in direct or i in values:
                    continue
                low, high = _bounds_of(i, a, b, (lo, hi))
                if high - low < SOLVED:
                    values[i] = low
        if not values:
            continue
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
    return leaks, findings, checked


# Entry points -------------------------------------------------------------------------------


def _read_contributions(con: duckdb.DuckDBPyConnection, benchmark: Benchmark) -> pd.DataFrame:
    return _normalise(con.execute(benchmark.contributions_sql).df(), benchmark)


def attack_benchmark(
    benchmark: Benchmark,
    cells: pd.DataFrame,
    database: Path,
    rules: Rules,
    metric_ranges: dict[str, tuple[float, float]] | None = None,
) -> AttackReport:
    """The attacks on one benchmark mart's cells (as published, the mart's own columns)."""
    normalised = _normalise(cells, benchmark)
    if benchmark.name == "metric":
        return attack(normalised, read_client_counts(database), rules, metric_ranges)
    con = duckdb.connect(str(database), read_only=True)
    try:
        contributions = _read_contributions(con, benchmark)
    finally:
        con.close()
    assert benchmark.value_range is not None
    ranges = dict.fromkeys(normalised["metric_code"].unique(), benchmark.value_range)
    families = FAMILIES + ((SPLIT_FAMILY,) if benchmark.split else ())
    return attack(normalised, None, rules, ranges, contributions, families)


def _attack_all(
    marts: dict[str, pd.DataFrame],
    database: Path,
    rules: Rules,
    metric_ranges: dict[str, tuple[float, float]],
) -> AttackReport:
    """The attacks on every benchmark mart in ``marts`` (name -> cells as published)."""
    report = AttackReport()
    for benchmark in BENCHMARKS:
        if benchmark.mart in marts:
            part = attack_benchmark(
                benchmark, marts[benchmark.mart], database, rules, metric_ranges
            )
            report.merge(benchmark.name, part)
    return report


def attack_snapshot(snapshot_dir: Path, database: Path, rules: Rules) -> AttackReport:
    """The attacks on a snapshot folder (written, not yet live) and its build's warehouse."""
    con = duckdb.connect()
    try:
        marts = {
            b.mart: con.execute(
                "select * from read_parquet(?)", [str(snapshot_dir / f"{b.mart}.parquet")]
            ).df()
            for b in BENCHMARKS
            if (snapshot_dir / f"{b.mart}.parquet").is_file()
        }
    finally:
        con.close()
    return _attack_all(marts, database, rules, read_metric_ranges(snapshot_dir))


def attack_warehouse(database: Path, rules: Rules) -> AttackReport:
    """The attacks on the marts of a build's DuckDB file (what the publish step would export)."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        marts = {
            b.mart: con.execute(f"select * from {MARTS}.{b.mart}").df()  # noqa: S608
            for b in BENCHMARKS
        }
        ranges = {
            code: (float(lo), float(hi))
            for code, lo, hi in con.execute(
                f"select metric_code, value_min, value_max from {MARTS}.dim_metrics"  # noqa: S608
            ).fetchall()
        }
    finally:
        con.close()
    return _attack_all(marts, database, rules, ranges)


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
