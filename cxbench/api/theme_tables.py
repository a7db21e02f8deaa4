"""The comment-theme marts of a snapshot, shared by the theme and comment routes.

The two largest (client themes, verbatims) are Arrow tables in the snapshot; a client's rows
are cut out once per snapshot and kept with it, so a client's questions cost a list scan.
"""

from __future__ import annotations

from typing import Annotated, Any

import pyarrow as pa

from cxbench.api.deps import snapshot_choice
from cxbench.api.problems import Problem
from cxbench.api.snapshot import LoadedSnapshot, rows_of_client

THEMES = "dim_comment_themes"
Row = dict[str, Any]


def arrow_table(snapshot: LoadedSnapshot, name: str) -> pa.Table:
    table = snapshot.arrow.get(name)
    if table is None:
        raise Problem(503, "The live snapshot has no comment themes yet; run `cxbench build`.")
    return table


def theme_order(snapshot: LoadedSnapshot) -> dict[str, int]:
    """Theme code → display position (seed order); also the set of valid theme codes."""

    def build(s: LoadedSnapshot) -> dict[str, int]:
        rows = s.tables.get(THEMES)
        if rows is None:
            raise Problem(503, "The live snapshot has no comment themes yet; run `cxbench build`.")
        return {
            r["theme_code"]: r["sort_order"] for r in sorted(rows, key=lambda r: r["sort_order"])
        }

    return snapshot.memo("themes.order", build)


ThemeChoice = Annotated[
    str | None, snapshot_choice("theme", "a theme code from /v1/themes", theme_order)
]


def client_rows(snapshot: LoadedSnapshot, name: str, client_id: str) -> list[Row]:
    """The client's rows of an Arrow mart, as Python rows, cut out once per snapshot."""
    return snapshot.memo(f"{name}:{client_id}", lambda s: cut_client_rows(s, name, client_id))


def cut_client_rows(snapshot: LoadedSnapshot, name: str, client_id: str) -> list[Row]:
    """The client's rows of an Arrow mart (not memoised: for use inside another memo, whose
    lock is not re-entrant)."""
    return rows_of_client(arrow_table(snapshot, name), client_id)
