"""``cxbench status``: what is live, how the last build went, and what was quarantined.

Reads only the build records, the lock file, the snapshot manifests and the pointer history,
never the DuckDB file, so it answers while a build is writing.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from cxbench.build import LAST_BUILD
from cxbench.lock import process_alive, read_holder
from cxbench.publish import current_snapshot, list_snapshots, read_history, read_snapshot
from cxbench.settings import Settings
from cxbench.webhook import pending_deliveries

# Per-file lines shown by default; `cxbench status --files` shows every file.
MAX_FILES_SHOWN = 20


def load_last_build(settings: Settings) -> dict[str, Any] | None:
    path = settings.warehouse / LAST_BUILD
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def status_data(settings: Settings) -> dict[str, Any]:
    """What ``render_status`` reports, as data for ``cxbench status --json``: the live snapshot,
    the retained ones, and the last build's whole record with its state as of now."""
    snapshot = current_snapshot(settings.published)
    live: dict[str, Any] | None = None
    if snapshot is not None:
        moves = read_history(settings.published)
        move = moves[-1] if moves else {}
        rolled_back = move.get("action") == "rollback" and move.get("build_id") == snapshot.build_id
        live = {
            "build_id": snapshot.build_id,
            "published_at": snapshot.manifest.get("published_at"),
            "row_counts": snapshot.manifest.get("row_counts", {}),
            "rolled_back_from": move.get("previous") if rolled_back else None,
        }
    last = load_last_build(settings)
    if last is not None:
        last = {**last, "state": _build_state(settings, last)}
    return {
        "live": live,
        "retained": list(reversed(list_snapshots(settings.published))),
        "keep_snapshots": settings.keep_snapshots,
        "stale_client_days": settings.stale_client_days,
        "last_build": last,
    }


def render_status(settings: Settings, *, all_files: bool = False) -> str:
    """The status report; per-file reconciliation lists every file only with ``all_files``."""
    lines: list[str] = []
    snapshot = current_snapshot(settings.published)
    if snapshot is None:
        lines.append("Live snapshot: none (nothing published yet)")
    else:
        m = snapshot.manifest
        lines.append(f"Live snapshot: {snapshot.build_id} (published {m.get('published_at')})")
        moves = read_history(settings.published)
        move = moves[-1] if moves else {}
        if move.get("action") == "rollback" and move.get("build_id") == snapshot.build_id:
            lines.append(f"  rolled back from {move.get('previous')} at {move.get('at')}")
        counts = ", ".join(f"{k} {v:,}" for k, v in m.get("row_counts", {}).items())
        lines.append(f"  rows: {counts}")
    lines.extend(_retained(settings, snapshot.build_id if snapshot else None))

    last = load_last_build(settings)
    if last is None:
        lines.append("Last build: none")
        lines.extend(_webhook_lines(settings))
        return "\n".join(lines)
    lines.append(
        f"Last build: {last['build_id']} — {_build_state(settings, last)}"
        + (f" at gate {last['failed_gate']}" if last.get("failed_gate") else "")
    )
    if last.get("message"):
        lines.append(f"  {last['message']}")
    if last["status"] != "published" and snapshot is not None:
        lines.append(f"  the previous snapshot {snapshot.build_id} is still live")
    steps = ", ".join(f"{k} {v:.1f}s" for k, v in last.get("steps", {}).items())
    if steps:
        lines.append(f"  steps: {steps}")
    for audit in last.get("audits", []):
        state = "passed" if audit.get("success") else "FAILED"
        lines.append(
            f"  gate {audit.get('gate')}: {audit.get('suite')} on {audit.get('table')} {state}"
        )
        for outcome in audit.get("outcomes", []):
            if not outcome.get("success"):
                lines.append(f"    ✗ {outcome.get('expectation')}: {outcome.get('detail')}")
    attack = last.get("attack") or {}
    if attack:
        if attack.get("ok"):
            lines.append(
                f"  gate attack: no leak in {attack.get('cells_published', 0):,} published cells"
            )
        else:
            families = ", ".join(
                f"{family} ({sum(reasons.values()):,})"
                for family, reasons in attack.get("counts", {}).items()
            )
            lines.append(f"  gate attack FAILED: leaks in the families {families}")
    for failed in last.get("dbt", {}).get("failed", []):
        lines.append(f"  dbt {failed['status']}: {failed['node']} — {failed.get('message')}")
    if last.get("dbt", {}).get("full_refresh"):
        lines.append(f"  dbt: full refresh ({last['dbt']['full_refresh']})")
    elif last.get("dbt", {}).get("counts"):
        lines.append("  dbt: incremental (only new deliveries processed)")
    landing = last.get("landing", {})
    if landing:
        quarantined = len(landing.get("quarantined_files", []))
        lines.append(
            f"  landing: {landing.get('new_files', 0)} new files, "
            f"{landing.get('unchanged_files', 0)} unchanged"
            + (f", {quarantined} quarantined as a whole" if quarantined else "")
        )
    rec = last.get("reconciliation", {})
    if rec:
        lines.extend(_reconciliation_lines(rec, all_files=all_files))
        lines.extend(_freshness_lines(rec, settings.stale_client_days))
    lines.extend(_webhook_lines(settings))
    return "\n".join(lines)


def _webhook_lines(settings: Settings) -> list[str]:
    """Alert webhook deliveries still waiting: a receiver that has been down is visible."""
    waiting = pending_deliveries(settings)
    if not waiting:
        return []
    oldest = waiting[0]
    alerts = sum(len(d["payload"]["alerts"]) for d in waiting)
    return [
        f"Alert webhook: {len(waiting):,} deliveries ({alerts:,} alerts) waiting in the outbox "
        f"since {oldest['created_at']}; last error: {oldest.get('last_error') or 'none yet'}"
    ]


def _freshness_lines(rec: dict[str, Any], stale_days: int) -> list[str]:
    """The newest answer, and each client's days since its last delivery (a client that
    silently stopped sending is named once it passes ``CXB_STALE_CLIENT_DAYS``)."""
    lines = []
    if rec.get("newest_answer_at"):
        lines.append(f"Newest answer: {rec['newest_answer_at']}")
    clients = rec.get("client_deliveries")
    if not clients:
        return lines
    now = datetime.now(UTC)
    stale = []
    for client in clients:
        at = client.get("last_delivery_at")
        days = (now - datetime.fromisoformat(at).replace(tzinfo=UTC)).days if at else None
        if days is None or days > stale_days:
            stale.append(f"{client['client_id']} ({'never' if days is None else f'{days} d'})")
    lines.append(
        f"Client deliveries: {len(clients) - len(stale)} of {len(clients)} clients delivered "
        f"within {stale_days} days (CXB_STALE_CLIENT_DAYS)"
    )
    if stale:
        lines.append(f"  WARNING: no delivery for over {stale_days} days: " + ", ".join(stale))
    return lines


def _reconciliation_lines(rec: dict[str, Any], *, all_files: bool) -> list[str]:
    """Totals always; per file only what needs a look, unless every file is asked for."""
    files: list[dict[str, Any]] = rec.get("files", [])
    lines = [
        f"Rows: {rec['rows_landed']:,} landed = {rec['rows_accepted']:,} accepted + "
        f"{rec['rows_quarantined']:,} quarantined + {rec['rows_superseded']:,} superseded "
        f"in {len(files):,} files"
    ]
    reasons = rec.get("quarantine_reasons", {})
    if reasons:
        lines.append("Quarantine by reason: " + ", ".join(f"{k} {v:,}" for k, v in reasons.items()))
    file_reasons = Counter(f["file_reason_code"] for f in files if f.get("file_reason_code"))
    if file_reasons:
        whole = [f for f in files if f.get("file_reason_code")]
        uncounted = sum(1 for f in whole if f.get("rows_in_quarantined_file") is None)
        held = sum(f.get("rows_in_quarantined_file") or 0 for f in whole)
        lines.append(
            "Files quarantined as a whole: "
            + ", ".join(f"{k} {v:,}" for k, v in file_reasons.most_common())
        )
    if file_reasons and any("rows_in_quarantined_file" in f for f in files):
        lines.append(
            f"  they held {held:,} rows"
            + (f" ({uncounted:,} files could not be counted)" if uncounted else "")
        )
        lines.append(
            f"Rows sent: {rec['rows_landed'] + held:,} = {rec['rows_landed']:,} landed + "
            f"{held:,} in files quarantined as a whole"
        )
    shown = files if all_files else [f for f in files if _needs_a_look(f)]
    if not shown:
        lines.append("Every file's rows were accepted (`cxbench status --files` lists them).")
        return lines
    heading = "Files" if all_files else "Files with quarantined or superseded rows"
    lines.append(
        f"{heading} ({len(shown):,} of {len(files):,}), "
        "landed = accepted + quarantined + superseded:"
    )
    limit = len(shown) if all_files else MAX_FILES_SHOWN
    for f in shown[:limit]:
        flag = ""
        if f.get("file_reason_code"):
            held = f.get("rows_in_quarantined_file")
            count = f" (held {held:,} rows)" if held is not None else ""
            if "rows_in_quarantined_file" in f and held is None:
                count = " (rows not countable)"
            flag = f" [file quarantined: {f['file_reason_code']}]{count}"
        lines.append(
            f"  {f['source_file']}: {f['rows_landed']:,} = {f['rows_accepted']:,} + "
            f"{f['rows_quarantined']:,} + {f['rows_superseded']:,}{flag}"
        )
    if len(shown) > limit:
        lines.append(
            f"  … and {len(shown) - limit:,} more (`cxbench status --files` lists every file)"
        )
    return lines


def _needs_a_look(file: dict[str, Any]) -> bool:
    return bool(file.get("file_reason_code") or file["rows_quarantined"] or file["rows_superseded"])


def _retained(settings: Settings, live: str | None) -> list[str]:
    snapshots = list_snapshots(settings.published)
    if not snapshots:
        return []
    lines = [
        f"Retained snapshots (newest first; CXB_KEEP_SNAPSHOTS={settings.keep_snapshots}, "
        "`cxbench rollback [--to BUILD_ID]` switches back):"
    ]
    for build_id in reversed(snapshots):
        try:
            published_at = read_snapshot(settings.published, build_id).manifest.get("published_at")
        except (OSError, ValueError):
            published_at = "?"
        mark = "  <- live" if build_id == live else ""
        lines.append(f"  {build_id}  built {published_at}{mark}")
    return lines


def _build_state(settings: Settings, last: dict[str, Any]) -> str:
    """``running`` only while the build process lives; a killed build shows as interrupted."""
    if last["status"] != "running":
        return str(last["status"])
    holder = read_holder(settings.warehouse / "build.lock")
    if holder.get("build_id") == last["build_id"] and process_alive(holder.get("pid")):
        return f"running (pid {holder['pid']})"
    return "interrupted (its process is gone; the next build cleans up after it)"
