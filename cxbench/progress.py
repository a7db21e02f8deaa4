"""What a build tells the person who started it, as structured events, and two ways to show them.

The build (cxbench/build.py) and the dbt runner emit events through a ``Reporter`` and decide
nothing about how they look. ``cxbench build`` picks a renderer: a live Rich display on a
terminal (a line per step with a spinner or a bar, the dbt nodes running now, elapsed times),
plain lines when stderr is not a terminal (CI logs, ``2> file``), where a step's progress is a
line at most every ``PLAIN_EVERY`` seconds so a log stays short.

dbt's own progress reaches us as its structured log events (``--log-format json``, one JSON
object a line); ``dbt_event`` turns the node start and finish events into ``NodeStarted`` and
``NodeFinished`` and keeps dbt's warnings and errors as notes. It takes the dict form of an
event, which is also what dbt's in-process callbacks give after ``msg_to_dict``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

PLAIN_EVERY = 2.0  # seconds between two plain progress lines of one step
CURRENT_WIDTH = 36  # characters of "what runs now" beside a step, so its bar keeps its place


@dataclass(frozen=True)
class StepStarted:
    step: str  # land, audit_raw, dbt_build, audit_marts, publish, attack, …
    label: str = ""


@dataclass(frozen=True)
class StepProgress:
    step: str
    done: int
    total: int | None
    unit: str = ""
    current: str | None = None  # what is being worked on now (a suite, a file)


@dataclass(frozen=True)
class StepFinished:
    step: str
    seconds: float
    ok: bool = True


@dataclass(frozen=True)
class NodeStarted:
    """A dbt node (model, seed, test, unit test) began; ``total`` is the nodes in this run."""

    name: str
    resource_type: str
    index: int | None = None
    total: int | None = None


@dataclass(frozen=True)
class NodeFinished:
    name: str
    resource_type: str
    status: str  # success, error, pass, fail, warn, skipped, …
    seconds: float | None = None
    index: int | None = None
    total: int | None = None


@dataclass(frozen=True)
class Note:
    """A sentence for the person: a refresh reason, an audit verdict, a dbt warning."""

    text: str
    level: str = "info"  # info | warn | error


Event = StepStarted | StepProgress | StepFinished | NodeStarted | NodeFinished | Note
Reporter = Callable[[Event], None]

FAILED_STATUSES = frozenset({"error", "fail", "runtime error"})
STEP_LABELS = {
    "prepare": "loading cxbench (DuckDB, dbt, Great Expectations)",
    "land": "landing new deliveries",
    "audit_raw": "auditing the landed batch (Great Expectations)",
    "dbt_build": "dbt build: seeds, models, tests",
    "audit_marts": "auditing the marts (Great Expectations)",
    "publish": "publishing the snapshot",
    "attack": "attack suite on the exported marts (publish gate)",
}


def ignore(_: Event) -> None:
    """The reporter of a build nobody watches (tests, the background builder's child)."""


def label_of(event: StepStarted) -> str:
    return event.label or STEP_LABELS.get(event.step, event.step)


# dbt's structured log events ---------------------------------------------------------------

# dbt prints these at its default (info) level; NodeStart/NodeFinished are debug-only.
_START = "LogStartLine"
_SKIP = "LogSkipMessage"


def _is_result(name: object) -> bool:
    """LogModelResult, LogTestResult, LogSeedResult, LogSnapshotResult, … (one per kind)."""
    return isinstance(name, str) and name.startswith("Log") and name.endswith("Result")


def _node_name(node: dict[str, Any]) -> str:
    """``schema.table`` for what dbt materialises (as dbt prints it), else the node's name."""
    relation = node.get("node_relation") or {}
    if node.get("resource_type") in ("model", "seed", "snapshot") and relation.get("schema"):
        return f"{relation['schema']}.{relation.get('alias') or node.get('node_name')}"
    return str(node.get("node_name") or node.get("unique_id", "?"))


def dbt_event(line: dict[str, Any]) -> Event | None:
    """The event that one dbt JSON log line stands for, or None for the rest of dbt's chatter.

    A node's start is dbt's ``START … [RUN]`` line, its end the ``OK/PASS/FAIL/ERROR`` line
    (or ``SKIP``); both carry the node, its index and the run's node count. dbt's warnings and
    errors become notes.
    """
    info = line.get("info") or {}
    name = info.get("name")
    data = line.get("data") or {}
    node = data.get("node_info") or {}
    total = data.get("total") or data.get("num_models")
    index = data.get("index")
    if name == _START and node:
        return NodeStarted(
            name=_node_name(node),
            resource_type=node.get("resource_type", ""),
            index=index,
            total=total,
        )
    if (_is_result(name) or name == _SKIP) and node:
        status = "skipped" if name == _SKIP else data.get("status") or node.get("node_status")
        return NodeFinished(
            name=_node_name(node),
            resource_type=node.get("resource_type", ""),
            status=str(status or "?").lower(),
            seconds=data.get("execution_time"),
            index=index,
            total=total,
        )
    level = info.get("level")
    if level in ("warn", "error") and info.get("msg"):
        return Note(str(info["msg"]).strip(), level=level)
    return None


# Renderers ---------------------------------------------------------------------------------


def _position(event: NodeStarted | NodeFinished) -> str:
    return f"{event.index or '?'}/{event.total or '?'}"


class PlainRenderer:
    """One line per step start and end, per dbt node start and finish (numbered as dbt does),
    per note; progress at most every ``PLAIN_EVERY`` seconds per step (and its last count)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self._last: dict[str, float] = {}

    def _line(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def __call__(self, event: Event) -> None:
        if isinstance(event, StepStarted):
            self._line(f"[{event.step}] {label_of(event)} …")
        elif isinstance(event, StepFinished):
            self._line(
                f"[{event.step}] {'done' if event.ok else 'FAILED'} in {event.seconds:.1f} s"
            )
        elif isinstance(event, StepProgress):
            now = time.monotonic()
            last = event.done == event.total
            if last or now - self._last.get(event.step, 0.0) >= PLAIN_EVERY:
                self._last[event.step] = now
                of = f"/{event.total}" if event.total is not None else ""
                current = f" ({event.current})" if event.current else ""
                self._line(f"  {event.done}{of} {event.unit}{current}".rstrip())
        elif isinstance(event, NodeStarted):
            self._line(f"  dbt {_position(event)} start {event.resource_type} {event.name}")
        elif isinstance(event, NodeFinished):
            took = f" in {event.seconds:.1f} s" if event.seconds is not None else ""
            mark = "FAILED " if event.status in FAILED_STATUSES else ""
            self._line(
                f"  dbt {_position(event)} {mark}{event.status} "
                f"{event.resource_type} {event.name}{took}"
            )
        elif isinstance(event, Note):
            prefix = {"warn": "warning: ", "error": "error: "}.get(event.level, "")
            self._line(prefix + event.text)

    def close(self) -> None:
        """Nothing is left on screen to tidy."""


class RichRenderer:
    """A live display on the terminal: each step a line with a spinner, a bar once its size
    is known, done/total and the time it took; the dbt step names the nodes running now.
    Notes and failed dbt nodes are printed above the display and stay in the scrollback."""

    def __init__(self, console: Any = None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self.console = console or Console(stderr=True)
        self.progress = Progress(
            SpinnerColumn(finished_text="[green]✓[/]"),
            TextColumn("{task.description}"),
            BarColumn(bar_width=24),
            TextColumn("{task.fields[count]}"),
            TextColumn("{task.fields[unit]}", style="dim"),
            TimeElapsedColumn(),
            console=self.console,
            refresh_per_second=8,
            transient=False,
        )
        self.tasks: dict[str, Any] = {}
        self.labels: dict[str, str] = {}
        self.running: dict[str, None] = {}  # the dbt nodes running now, in start order
        self.dbt_done = 0
        self.dbt_step: str | None = None
        self.progress.start()

    def _task(self, step: str) -> Any:
        if step not in self.tasks:
            self.__call__(StepStarted(step))
        return self.tasks[step]

    def __call__(self, event: Event) -> None:
        from rich.markup import escape

        progress = self.progress
        if isinstance(event, StepStarted):
            self.labels[event.step] = escape(label_of(event))
            self.tasks[event.step] = progress.add_task(
                self.labels[event.step], total=None, unit="", count=""
            )
            if event.step == "dbt_build":
                self.dbt_step, self.dbt_done = event.step, 0
                self.running.clear()
        elif isinstance(event, StepProgress):
            task = self._task(event.step)
            current = f" [dim]· {escape(_clip(event.current))}[/]" if event.current else ""
            progress.update(
                task,
                total=event.total,
                completed=event.done,
                unit=event.unit,
                count=f"{event.done}/{event.total}" if event.total is not None else f"{event.done}",
                description=self.labels[event.step] + current,
            )
        elif isinstance(event, StepFinished):
            task = self._task(event.step)
            total = progress.tasks[task].total
            if not event.ok:
                self.labels[event.step] = f"[red]✗ {self.labels[event.step]}[/]"
            progress.update(
                task,
                total=total if total is not None else 1,
                completed=total if total is not None else 1,
                description=self.labels[event.step],
            )
            progress.stop_task(task)
            if event.step == self.dbt_step:
                self.dbt_step = None
        elif isinstance(event, NodeStarted | NodeFinished):
            self._node(event)
        elif isinstance(event, Note):
            style = {"warn": "yellow", "error": "red"}.get(event.level)
            text = escape(event.text)
            progress.console.print(f"[{style}]{text}[/]" if style else text, highlight=False)

    def _node(self, event: NodeStarted | NodeFinished) -> None:
        from rich.markup import escape

        step = self.dbt_step or "dbt_build"
        task = self._task(step)
        label = f"{event.resource_type} {event.name}".strip()
        if isinstance(event, NodeStarted):
            self.running[label] = None
        else:
            self.running.pop(label, None)
            self.dbt_done += 1
            if event.status in FAILED_STATUSES:
                self.progress.console.print(
                    f"[red]✗ dbt {escape(event.status)}: {escape(label)}[/]", highlight=False
                )
        now = ", ".join(list(self.running)[:2])
        current = f" [dim]· {escape(_clip(now))}[/]" if now else ""
        self.progress.update(
            task,
            total=event.total,
            completed=self.dbt_done,
            unit="nodes",
            count=f"{self.dbt_done}/{event.total}" if event.total else f"{self.dbt_done}",
            description=self.labels.get(step, step) + current,
        )

    def close(self) -> None:
        self.progress.stop()


def _clip(text: str, width: int = CURRENT_WIDTH) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def renderer_for(stream: TextIO | None = None) -> PlainRenderer | RichRenderer:
    """Rich on a terminal, plain lines otherwise (a pipe, a file, CI, ``TERM=dumb``)."""
    import os

    stream = stream or sys.stderr
    if stream.isatty() and os.environ.get("TERM", "") != "dumb":
        return RichRenderer()
    return PlainRenderer(stream)
