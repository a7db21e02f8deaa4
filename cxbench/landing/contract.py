"""The landing contract (DESIGN §2) as the format readers share it: the columns, the
file-level quarantine, and how a reader describes the rows it found (``Scan``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from cxbench.vocabulary import file_reasons

REQUIRED_COLUMNS = ("client_id", "response_id", "responded_at", "touchpoint", "question", "answer")
OPTIONAL_COLUMNS = ("channel", "unit")
LANDING_COLUMNS = (*REQUIRED_COLUMNS[:4], "channel", "unit", "question", "answer")
REJECTS_SCHEMA = "source_line bigint, raw_line varchar, error_type varchar, error_message varchar"


class FileQuarantined(Exception):
    """A delivery that cannot be read as a whole; ``reason_code`` goes to the load log."""

    def __init__(self, reason_code: str, detail: str) -> None:
        if reason_code not in file_reasons():
            raise ValueError(f"{reason_code} is not a file code of seeds/quarantine_reasons.csv")
        super().__init__(detail)
        self.reason_code = reason_code
        self.detail = detail


@dataclass(frozen=True)
class Scan:
    """How to read one file: its rows (source_row + contract columns) and its rejected lines."""

    rows_sql: str
    params: list[object]
    rejects_sql: str | None = None


def match_columns(names: list[str]) -> dict[str, int]:
    """Map landing-contract columns to positions in the file's header, case-insensitively."""
    positions: dict[str, int] = {}
    for index, name in enumerate(names):
        key = name.strip().lower()
        if key in LANDING_COLUMNS:
            if key in positions:
                raise FileQuarantined("duplicate_columns", f"the column {key} appears twice")
            positions[key] = index
    require_columns(positions)
    return positions


def require_columns(found: Iterable[str]) -> None:
    missing = [c for c in REQUIRED_COLUMNS if c not in set(found)]
    if missing:
        raise FileQuarantined("missing_columns", "missing required columns: " + ", ".join(missing))


def projection(positions: dict[str, int], source_name: Callable[[int], str]) -> str:
    """Select list in contract order; a column the file lacks is NULL."""
    parts = []
    for column in LANDING_COLUMNS:
        if column in positions:
            parts.append(f"cast({source_name(positions[column])} as varchar) as {column}")
        else:
            parts.append(f"cast(null as varchar) as {column}")
    return ", ".join(parts)
