"""What disclosure control (DESIGN §5.1) costs users, measured on a build's warehouse.

For the cells that pass the per-cell rule (§5), the share that stays published after
complementary suppression, by grain, metric and family role (the families' parents — '*'
industry, '*' touchpoint, years, quarters — and children — industries, touchpoints, quarters,
months), the cells withheld for each family, and the answers those cells held. The answers of
a cell are recounted from ``int_client_metric_periods`` (the published mart withholds them).

    python bench/privacy_report.py warehouse/cxbench.duckdb [--json]
    python bench/privacy_report.py NEW.duckdb --previous OLD.duckdb

With ``--previous``, the known limit of §5.1 across snapshots: the cells published in both
builds whose published n_responses or value changed, and how many of those changed by one
client's answers only (the difference of the two snapshots is then that client's answers).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import duckdb

from cxbench.relations import INTERMEDIATE, MARTS

CELLS_SQL = f"""
with contributions as (
    select industry_code, touchpoint_code, period, metric_code, n
    from {INTERMEDIATE}.int_client_metric_periods
    where n >= ?
    union all
    select '*', touchpoint_code, period, metric_code, n
    from {INTERMEDIATE}.int_client_metric_periods
    where n >= ?
),
answers as (
    select industry_code, touchpoint_code, period, metric_code, sum(n) as answers
    from contributions
    group by all
)
select
    cells.industry_code,
    cells.touchpoint_code,
    cells.period_grain,
    cells.metric_code,
    cells.suppressed_reason,
    cells.suppression_family,
    coalesce(answers.answers, 0) as answers
from {MARTS}.fct_benchmark_cells as cells
left join answers
    on cells.industry_code = answers.industry_code
    and cells.touchpoint_code = answers.touchpoint_code
    and cells.period = answers.period
    and cells.metric_code = answers.metric_code
where cells.suppressed_reason is null or cells.suppressed_reason = 'complementary'
"""  # noqa: S608 - schema names from cxbench.relations


def measure(database: Path, min_client_responses: int = 30) -> dict[str, Any]:
    con = duckdb.connect(str(database), read_only=True)
    try:
        con.execute(
            "create temp table eligible as " + CELLS_SQL,
            [min_client_responses, min_client_responses],
        )

        def share(group_by: str) -> list[dict[str, Any]]:
            rows = con.execute(
                f"select {group_by} as grp, count(*), "  # noqa: S608 - constant expressions
                "count(*) filter (where suppressed_reason is null), "
                "sum(answers) filter (where suppressed_reason = 'complementary') "
                "from eligible group by all order by 1"
            ).fetchall()
            return [
                {
                    "group": g,
                    "eligible": e,
                    "published": p,
                    "share": round(p / e, 4) if e else None,
                    "answers_withheld": int(a or 0),
                }
                for g, e, p, a in rows
            ]

        role = "case when industry_code = '*' then 'parent:industry *' else 'child:industry' end"
        result = {
            "overall": share("'all'")[0],
            "by_grain": share("period_grain"),
            "by_metric": share("metric_code"),
            "by_industry_role": share(role),
            "by_touchpoint_role": share(
                "case when touchpoint_code = '*' then 'parent:touchpoint *' "
                "else 'child:touchpoint' end"
            ),
            "withheld_for_family": [
                {"family": f, "cells": c, "answers": int(a)}
                for f, c, a in con.execute(
                    "select suppression_family, count(*), sum(answers) from eligible "
                    "where suppressed_reason = 'complementary' group by 1 order by 1"
                ).fetchall()
            ],
        }
        total = con.execute(
            "select sum(answers) filter (where industry_code = '*' and touchpoint_code = '*'), "
            "sum(answers) filter (where suppressed_reason = 'complementary') from eligible"
        ).fetchone()
        result["answers_withheld_total_cell_answers"] = int((total or (0, 0))[1] or 0)
        return result
    finally:
        con.close()


CONTRIBUTIONS_SQL = f"""
select industry_code, touchpoint_code, period, metric_code, client_id, n, sum_x
from {{db}}.{INTERMEDIATE}.int_client_metric_periods where n >= {{mcr}}
union all
select '*', touchpoint_code, period, metric_code, client_id, n, sum_x
from {{db}}.{INTERMEDIATE}.int_client_metric_periods where n >= {{mcr}}
"""  # noqa: S608 - schema names from cxbench.relations


def compare(new: Path, old: Path, min_client_responses: int = 30) -> dict[str, Any]:
    """Published cells that change between two builds, and by how many clients' answers."""
    con = duckdb.connect()
    try:
        con.execute("attach ? as new (read_only)", [str(new)])
        con.execute("attach ? as old (read_only)", [str(old)])
        keys = "industry_code, touchpoint_code, period, metric_code"
        for db in ("new", "old"):
            sql = CONTRIBUTIONS_SQL.format(db=db, mcr=int(min_client_responses))
            con.execute(f"create temp table {db}_contrib as {sql}")
        row = con.execute(
            f"""
            with both_published as (
                select {keys}, n.n_responses as n_new, o.n_responses as n_old,
                    n.value as v_new, o.value as v_old
                from new.{MARTS}.fct_benchmark_cells as n
                inner join old.{MARTS}.fct_benchmark_cells as o using ({keys})
                where n.suppressed_reason is null and o.suppressed_reason is null
            ),
            changed as (
                select * from both_published
                where n_new <> n_old or abs(v_new - v_old) > 1e-9
            ),
            client_changes as (
                select {keys}, client_id
                from new_contrib full join old_contrib using ({keys}, client_id)
                where new_contrib.n is distinct from old_contrib.n
                    or abs(coalesce(new_contrib.sum_x, 0) - coalesce(old_contrib.sum_x, 0)) > 1e-9
            ),
            per_cell as (
                select changed.{keys.replace(", ", ", changed.")},
                    count(distinct client_changes.client_id) as clients_changed
                from changed
                left join client_changes using ({keys})
                group by all
            )
            select
                (select count(*) from both_published),
                (select count(*) from changed),
                count(*) filter (where clients_changed = 1),
                count(*) filter (where clients_changed between 2 and 4)
            from per_cell
            """  # noqa: S608 - constants only
        ).fetchone()
    finally:
        con.close()
    both, changed, one, few = (int(v or 0) for v in (row or (0, 0, 0, 0)))
    return {
        "published_in_both": both,
        "changed": changed,
        "changed_by_one_client": one,
        "changed_by_2_to_4_clients": few,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", type=Path)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--previous", type=Path, help="the previous build's warehouse")
    args = parser.parse_args()
    if args.previous:
        print(json.dumps(compare(args.database, args.previous), indent=2))
        return
    result = measure(args.database)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    o = result["overall"]
    print(
        f"published after §5.1: {o['published']:,} of {o['eligible']:,} cells that pass the "
        f"per-cell rule ({o['share']:.1%}); withheld cells held {o['answers_withheld']:,} answers"
    )
    for key in ("by_grain", "by_metric", "by_industry_role", "by_touchpoint_role"):
        print(key.replace("_", " ") + ":")
        for row in result[key]:
            print(
                f"  {row['group']:<22} {row['published']:>6,} / {row['eligible']:<6,} "
                f"{row['share']:.1%}  answers withheld {row['answers_withheld']:,}"
            )
    print("withheld for family:")
    for row in result["withheld_for_family"]:
        print(f"  {row['family']:<22} {row['cells']:>6,} cells  {row['answers']:,} answers")


if __name__ == "__main__":
    main()
