"""The report of `make bench`: the machine, the results table, the goals, the profiles.

Renders what bench/build_bench.py measured (with bench/sampler.py) as the Markdown section of
`docs/BENCHMARKS.md` between its two markers, and the one-line goal verdicts.
"""

from __future__ import annotations

import contextlib
import os
import platform
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cxbench.settings import Settings

PROJECT_DIR = Path(__file__).resolve().parent.parent
DOC = PROJECT_DIR / "docs" / "BENCHMARKS.md"
DOC_START = "<!-- bench:results:start (written by bench/build_bench.py; edits here are lost) -->"
DOC_END = "<!-- bench:results:end -->"
# Issue #17's goals (full build near the floor, a small delivery in seconds, 2 GB at 10M).
GOALS: dict[str, dict[int, float]] = {
    "full_vs_floor": {1_000_000: 5.0, 10_000_000: 3.0},
    "incremental_vs_full": {1_000_000: 0.10, 10_000_000: 0.10},
    "peak_rss_bytes": {10_000_000: 2 * 1024**3},
}


@dataclass
class SizeResult:
    answers: int
    base_rows: int
    delivery_rows: int = 0
    full: dict[str, Any] = field(default_factory=dict)
    incremental: dict[str, Any] = field(default_factory=dict)
    floor: dict[str, Any] = field(default_factory=dict)
    floor_after_delivery: dict[str, Any] = field(default_factory=dict)
    check_full: dict[str, Any] = field(default_factory=dict)
    check_incremental: dict[str, Any] = field(default_factory=dict)
    profile_full: dict[str, Any] = field(default_factory=dict)
    profile_incremental: dict[str, Any] = field(default_factory=dict)

    def ratio(self, a: str, b: str, measure: str = "seconds") -> float | None:
        x, y = getattr(self, a).get(measure), getattr(self, b).get(measure)
        return round(x / y, 3) if x and y else None


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = 0
    with contextlib.suppress(OSError), open("/proc/meminfo") as handle:
        for line in handle:
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) * 1024
    versions: dict[str, str] = {"python": platform.python_version()}
    from importlib import metadata

    for package in ("duckdb", "dbt-core", "dbt-duckdb", "great-expectations", "sqlalchemy"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[package] = metadata.version(package)
    commit = _git("rev-parse", "--short", "HEAD")
    dirty = _git("status", "--porcelain", "--untracked-files=no")
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_bytes": memory,
        "os": f"{platform.system()} {platform.release()}",
        "versions": versions,
        "commit": commit + ("+dirty" if dirty else ""),
        "duckdb_memory_limit": os.environ.get("CXB_DUCKDB_MEMORY_LIMIT")
        or f"{Settings.model_fields['duckdb_memory_limit'].default} (default)",
    }


def _git(*args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=PROJECT_DIR, capture_output=True, text=True, check=False
    )
    return done.stdout.strip()


def _gb(value: float | None) -> str:
    return f"{value / 1024**3:.2f}" if value else "–"


def _s(value: float | None) -> str:
    return f"{value:.1f}" if value is not None else "–"


def _x(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "–"


def goal_lines(results: list[SizeResult]) -> list[str]:
    lines = []
    for r in results:
        goal = GOALS["full_vs_floor"].get(r.answers)
        ratio = r.ratio("full", "floor")
        if goal and ratio:
            verdict = "met" if ratio <= goal else "missed"
            lines.append(f"full build ≤ {goal:g}× floor at {r.answers:,}: {ratio:.2f}× — {verdict}")
        goal = GOALS["incremental_vs_full"].get(r.answers)
        ratio = r.ratio("incremental", "full")
        if goal and ratio:
            verdict = "met" if ratio <= goal else "missed"
            lines.append(
                f"incremental ≤ {goal:.0%} of full at {r.answers:,}: {ratio:.0%} — {verdict}"
            )
        goal = GOALS["peak_rss_bytes"].get(r.answers)
        peak = max(r.full.get("peak_tree_rss", 0), r.incremental.get("peak_tree_rss", 0))
        if goal and peak:
            verdict = "met" if peak <= goal else "missed"
            lines.append(
                f"peak memory ≤ {_gb(goal)} GB at {r.answers:,}: {_gb(peak)} GB — {verdict}"
            )
    return lines


def render(
    results: list[SizeResult],
    info: dict[str, Any],
    gx_import: float | None,
    unit_tests: dict[str, Any] | None = None,
) -> str:
    out = [
        f"Run {info['finished_at']} on commit `{info['commit']}`: {info['cpu']}, "
        f"{info['cores']} cores, {_gb(info['memory_bytes'])} GB RAM, {info['os']}; "
        + ", ".join(f"{k} {v}" for k, v in info["versions"].items())
        + f"; DuckDB memory limit {info['duckdb_memory_limit']}.",
        "",
        "Wall seconds, with CPU seconds (user + system of the whole process tree) in brackets; "
        "*busy* is the share of the machine's CPU that other processes used meanwhile "
        "(a shared machine makes wall times noisy; CPU times much less so).",
        "",
        "| answers (+ delivery) | full build | incremental | floor | build / floor | "
        "incremental / full | peak RSS full / incr. / floor GB | busy | cells = floor |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|:--|",
    ]
    for r in results:
        checks = " / ".join(
            ("yes" if c.get("match") else f"**no** ({_check_text(c)})")
            for c in (r.check_full, r.check_incremental)
        )
        busy = "/".join(
            f"{m.get('other_cpu_share'):.0%}" if m.get("other_cpu_share") is not None else "–"
            for m in (r.full, r.incremental, r.floor)
        )
        out.append(
            f"| {r.base_rows:,} (+{r.delivery_rows:,}) | {_wc(r.full)} | {_wc(r.incremental)} | "
            f"{_wc(r.floor)} | {_x(r.ratio('full', 'floor'))} "
            f"({_x(r.ratio('full', 'floor', 'cpu_seconds'))}) | "
            f"{_x(r.ratio('incremental', 'full'))} "
            f"({_x(r.ratio('incremental', 'full', 'cpu_seconds'))}) | "
            f"{_gb(r.full.get('peak_tree_rss'))} / {_gb(r.incremental.get('peak_tree_rss'))} / "
            f"{_gb(r.floor.get('peak_tree_rss'))} | {busy} | {checks} |"
        )
    out += ["", "Goals:", ""] + [f"- {line}" for line in goal_lines(results)]
    out += ["", f"Importing Great Expectations alone: {_s(gx_import)} s."]
    if unit_tests:
        out += [
            "",
            f"dbt's {unit_tests.get('unit_tests')} unit tests ran once before the sizes, in a "
            "small demo build with `--unit-tests always` "
            f"({_s(unit_tests.get('unit_test_node_seconds'))} node-seconds; that build "
            f"{_wc(unit_tests)} s): a build runs them on a full refresh only until they pass "
            "under the project's fingerprint, so none of the full builds above runs them.",
        ]
    out += [""]
    for r in results:
        out += [f"#### {r.base_rows:,} answers: where the time goes", ""]
        out += [
            "| step | full s (CPU s) | incremental s (CPU s) | peak RSS full GB | "
            "peak RSS incr. GB |",
            "|:--|---:|---:|---:|---:|",
        ]
        steps_full = r.profile_full.get("steps", {})
        steps_incr = r.profile_incremental.get("steps", {})
        cpu_full = r.full.get("cpu_by_step", {})
        cpu_incr = r.incremental.get("cpu_by_step", {})
        peaks_full = r.full.get("peak_rss_by_step", {})
        peaks_incr = r.incremental.get("peak_rss_by_step", {})
        for step in dict.fromkeys([*steps_full, *steps_incr]):
            out.append(
                f"| {step} | {_s(steps_full.get(step))} ({_s(cpu_full.get(step))}) | "
                f"{_s(steps_incr.get(step))} ({_s(cpu_incr.get(step))}) | "
                f"{_gb(peaks_full.get(step))} | {_gb(peaks_incr.get(step))} |"
            )
        if "start" in cpu_full:
            out.append(
                f"| (start-up before the first step) | – ({_s(cpu_full.get('start'))}) | "
                f"– ({_s(cpu_incr.get('start'))}) | {_gb(peaks_full.get('start'))} | "
                f"{_gb(peaks_incr.get('start'))} |"
            )
        out += [
            "",
            "A step's CPU and peak memory are sampled from its start line to the next step's. "
            "The mart audit runs beside the publish step's export and the attack gate, so "
            "audit_marts, publish and attack split one stretch between them: read their sum.",
        ]
        for label, profile in (("full", r.profile_full), ("incremental", r.profile_incremental)):
            dbt = profile.get("dbt")
            if not dbt:
                continue
            kinds = ", ".join(
                f"{k} {v['count']} × = {v['seconds']:.1f} s" for k, v in dbt["by_type"].items()
            )
            out += [
                "",
                f"dbt ({label}): {_s(dbt['run_seconds'])} s of node execution + "
                f"{_s(dbt['overhead_seconds'])} s start-up, parsing and shut-down; "
                f"{kinds}. Slowest nodes:",
                "",
            ]
            out += [
                f"- {n['node'].split('.', 2)[-1][:90]} ({n['node'].split('.', 1)[0]}): "
                f"{n['seconds']:.1f} s"
                for n in dbt["top_nodes"][:6]
            ]
        out += model_lines(r)
        out.append("")
    return "\n".join(out)


def model_lines(r: SizeResult, top: int = 15) -> list[str]:
    """The models that cost most in either build, full against incremental (dbt's own timing
    of each model, without its tests): where an incremental build still spends its time."""
    full = r.profile_full.get("dbt", {}).get("models", {})
    incremental = r.profile_incremental.get("dbt", {}).get("models", {})
    if not (full or incremental):
        return []
    names = sorted(
        set(full) | set(incremental),
        key=lambda n: max(full.get(n, 0.0), incremental.get(n, 0.0)),
        reverse=True,
    )
    lines = [
        "",
        f"Models, dbt's own seconds (the {top} costliest of either build; "
        f"all {len(full)} models: full {sum(full.values()):.1f} s, "
        f"incremental {sum(incremental.values()):.1f} s):",
        "",
        "| model | full s | incremental s |",
        "|:--|---:|---:|",
    ]
    lines += [
        f"| {name} | {_s(full.get(name))} | {_s(incremental.get(name))} |" for name in names[:top]
    ]
    return lines


def _wc(measured: dict[str, Any]) -> str:
    return f"{_s(measured.get('seconds'))} ({_s(measured.get('cpu_seconds'))})"


def _check_text(check: dict[str, Any]) -> str:
    if "detail" in check:
        return str(check["detail"])
    return (
        f"{check.get('differing')} differ, {check.get('only_in_build')} only in build, "
        f"{check.get('only_in_floor')} only in floor"
    )


def write_doc(section: str) -> None:
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n\n"
    block = f"{DOC_START}\n{section.rstrip()}\n{DOC_END}"
    if DOC_START in text and DOC_END in text:
        head, rest = text.split(DOC_START, 1)
        text = head + block + rest.split(DOC_END, 1)[1]
    else:
        text = text.rstrip() + "\n\n## Latest results\n\n" + block + "\n"
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text, encoding="utf-8")
