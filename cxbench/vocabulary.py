"""The project's vocabularies, read from the dbt seeds that define them.

A code list kept in Python drifts from the one dbt tests against: the seed is the one source
(`seeds/quarantine_reasons.csv`, `seeds/metrics.csv`), dbt checks every stored code against it
with `relationships`, and Python asks this module instead of listing codes again.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from cxbench.settings import PROJECT_DIR

SEEDS_DIR = PROJECT_DIR / "seeds"


@dataclass(frozen=True)
class QuarantineReason:
    code: str
    scope: str  # "file" (the whole delivery) or "row"
    checked_by: str  # "landing" or "dbt"
    description: str


def _read_seed(name: str, seeds_dir: Path = SEEDS_DIR) -> list[dict[str, str]]:
    with (seeds_dir / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@cache
def quarantine_reasons() -> dict[str, QuarantineReason]:
    """Every quarantine reason by code, in the seed's order."""
    return {
        row["reason_code"]: QuarantineReason(
            row["reason_code"], row["reason_scope"], row["checked_by"], row["description"]
        )
        for row in _read_seed("quarantine_reasons")
    }


def file_reasons() -> dict[str, str]:
    """The reasons a delivery is quarantined as a whole, with their descriptions."""
    return {code: r.description for code, r in quarantine_reasons().items() if r.scope == "file"}


@cache
def metric_codes() -> tuple[str, ...]:
    """The metric catalogue's codes (seeds/metrics.csv), in the seed's order."""
    return tuple(row["metric_code"] for row in _read_seed("metrics"))
