"""``cxbench docs``: dbt's documentation site (models, columns, tests, lineage, the API exposure)
for the warehouse the live build came from, as one static HTML file that works offline.

dbt writes ``static_index.html`` (``dbt docs generate --static``): the site's scripts, styles,
manifest and catalogue in one file, nothing fetched from elsewhere. The one thing in it that
would reach out is dbt's page-view tracker, which the page only starts when the manifest says
``send_anonymous_usage_stats: true``; cxbench always runs dbt with it off, and this module
refuses a page that says otherwise. ``cxbench serve`` shows the file to admins at
``/admin/dbt-docs/`` under a Content-Security-Policy that allows this origin only.

dbt needs the DuckDB file for the catalogue, so the docs take the build lock: they never run
while a build writes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cxbench.dbt_runner import run_dbt
from cxbench.errors import CxbenchError
from cxbench.files import write_atomically
from cxbench.lock import build_lock
from cxbench.progress import Reporter, ignore
from cxbench.publish import current_build_id
from cxbench.settings import Settings

DOCS_DIR = "docs"  # under the warehouse
DBT_SITE = "dbt/index.html"
DBT_SITE_INFO = "dbt/about.json"
TRACKING_ON = re.compile(r'"send_anonymous_usage_stats"\s*:\s*true')
# An attribute that loads something from another origin (`src="https://…"`, `href="//…"`).
REMOTE_LOAD = re.compile(
    r"""<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*["']?(?:https?:)?//"""
)


@dataclass(frozen=True)
class DocsSite:
    path: Path
    build_id: str
    generated_at: str


def site_path(settings: Settings) -> Path:
    return settings.warehouse / DOCS_DIR / DBT_SITE


def offline_problems(html: str) -> list[str]:
    """What in the page would load from the internet (empty when it works offline)."""
    problems = []
    if TRACKING_ON.search(html):
        problems.append("dbt's page-view tracker is on (send_anonymous_usage_stats: true)")
    problems.extend(f"it loads {m.group(0)!r}" for m in REMOTE_LOAD.finditer(html))
    return problems


def build_docs(settings: Settings, report: Reporter = ignore) -> DocsSite:
    """Generate the site for the warehouse behind the live snapshot; return where it is."""
    live = current_build_id(settings.published)
    if live is None or not settings.database.exists():
        raise CxbenchError("Nothing is published yet; run `cxbench build` first.")
    with build_lock(settings.warehouse / "build.lock", f"docs-{live}", action="docs") as lock:
        result = run_dbt(
            settings, ["docs", "generate", "--static"], keep_fds=(lock.fd,), report=report
        )
        static = settings.warehouse / "dbt_target" / "static_index.html"
        if not result.success or not static.exists():
            raise CxbenchError(
                f"dbt docs generate failed (exit {result.return_code}); see its messages above."
            )
        html = static.read_text(encoding="utf-8")
    problems = offline_problems(html)
    if problems:
        raise CxbenchError(f"The docs site would not work offline: {'; '.join(problems)}.")
    path = site_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, html)
    generated_at = datetime.now(UTC).isoformat(timespec="seconds")
    info = {"build_id": live, "generated_at": generated_at}
    write_atomically(path.parent / Path(DBT_SITE_INFO).name, json.dumps(info, indent=2))
    return DocsSite(path=path, build_id=live, generated_at=generated_at)
