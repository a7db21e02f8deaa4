"""The sampler of `make bench`: runs one child process tree and measures it.

Wall time around the child; CPU seconds of the child and everything it waited for; the sampled
sum of the resident memory of the whole process tree (and the largest single process as the
kernel counts it); CPU and peak memory per build step, from the `[step] … …` lines the child
prints; and the share of the machine other processes used meanwhile. The benchmark plan is
`bench/build_bench.py` and the report `bench/report.py`: a review asked for the three apart,
so that measuring can change without touching what is reported, and the other way round.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Measured:
    label: str
    command: list[str]
    seconds: float = 0.0
    return_code: int | None = None
    timed_out: bool = False
    peak_tree_rss: int = 0  # bytes, sampled sum over the process tree
    peak_process_rss: int = 0  # bytes, the largest single process (kernel high-water mark)
    cpu_seconds: float = 0.0  # user + system of the child and everything it waited for
    other_cpu_share: float | None = (
        None  # busy CPU not ours / (wall × cores): noise on a shared box
    )
    samples: int = 0
    # Peak tree RSS per build step: the step of the last `[step] <what> …` line the child printed.
    peak_rss_by_step: dict[str, int] = field(default_factory=dict)
    cpu_by_step: dict[str, float] = field(default_factory=dict)  # sampled, ±interval per step
    log: str = ""

    @property
    def ok(self) -> bool:
        return self.return_code == 0 and not self.timed_out


_PAGE = os.sysconf("SC_PAGE_SIZE")
_STEP_LINE = re.compile(r"^\[(\w+)\] [^\n]*…$", re.MULTILINE)  # "[land] landing … …"
_TICK = os.sysconf("SC_CLK_TCK")
_running: set[int] = set()  # process groups this script started and has not reaped


def _proc_stats() -> Iterator[tuple[int, list[bytes]]]:
    """(pid, fields of /proc/<pid>/stat from field 3 on) for every process now running."""
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        # The command name may hold spaces or parentheses; fields resume after the last ')'.
        yield int(entry.name), stat[stat.rfind(b")") + 2 :].split()


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for pid, fields in _proc_stats():
        children.setdefault(int(fields[1]), []).append(pid)
    return children


def _busy_cpu_seconds() -> float:
    """CPU time the whole machine has been busy (all cores), from /proc/stat."""
    with open("/proc/stat") as handle:
        values = [int(v) for v in handle.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return (sum(values[:8]) - idle) / _TICK


def _tree_usage(root: int) -> tuple[int, float]:
    """Resident bytes and CPU seconds (own + reaped children) of the process tree at `root`."""
    children = _children_map()
    rss, ticks, stack = 0, 0, [root]
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, ()))
        try:
            with open(f"/proc/{pid}/statm", "rb") as handle:
                resident = int(handle.read().split()[1]) * _PAGE
            with open(f"/proc/{pid}/stat", "rb") as handle:
                stat = handle.read()
            # After the command name: state is field 3, utime..cstime are fields 14-17.
            fields = stat[stat.rfind(b")") + 2 :].split()
            ticks += sum(int(v) for v in fields[11:15])
            rss += resident
        except (OSError, IndexError, ValueError):
            continue
    return rss, ticks / _TICK


def run_measured(
    label: str,
    command: list[str],
    *,
    env: dict[str, str],
    log_file: Path,
    timeout: float,
    cwd: Path,
    interval: float = 0.15,
) -> Measured:
    """Run `command` in `cwd` in its own process group; time it, sample its tree's memory
    and CPU per build step, and kill it with its children on timeout or interruption."""
    result = Measured(label=label, command=command, log=str(log_file))
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("wb") as log:
        busy_before = _busy_cpu_seconds()
        started = time.perf_counter()
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        _running.add(process.pid)
        stop = threading.Event()

        def sample() -> None:
            step, seen, step_cpu = "start", 0, 0.0
            while not stop.is_set():
                rss, cpu = _tree_usage(process.pid)
                with contextlib.suppress(OSError):
                    with log_file.open("rb") as tail:
                        tail.seek(seen)
                        text = tail.read()
                    cut = text.rfind(b"\n") + 1  # whole lines only
                    seen += cut
                    for match in _STEP_LINE.finditer(text[:cut].decode("utf-8", "replace")):
                        if match.group(1) != step and cpu:
                            used = result.cpu_by_step.get(step, 0.0) + cpu - step_cpu
                            result.cpu_by_step[step] = round(used, 2)
                            step, step_cpu = match.group(1), cpu
                result.peak_tree_rss = max(result.peak_tree_rss, rss)
                peaks = result.peak_rss_by_step
                peaks[step] = max(peaks.get(step, 0), rss)
                result.samples += 1
                stop.wait(interval)
            if result.cpu_seconds:  # the last step ends with the process
                used = result.cpu_by_step.get(step, 0.0) + result.cpu_seconds - step_cpu
                result.cpu_by_step[step] = round(max(used, 0.0), 2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            while True:
                pid, status, usage = os.wait4(process.pid, os.WNOHANG)
                if pid:
                    result.return_code = os.waitstatus_to_exitcode(status)
                    process.returncode = result.return_code
                    result.peak_process_rss = usage.ru_maxrss * 1024
                    result.cpu_seconds = round(usage.ru_utime + usage.ru_stime, 3)
                    break
                if time.perf_counter() - started > timeout:
                    result.timed_out = True
                    _kill_group(process.pid)
                    continue
                time.sleep(0.05)
        finally:
            result.seconds = round(time.perf_counter() - started, 3)
            if result.cpu_seconds and result.seconds:
                other = _busy_cpu_seconds() - busy_before - result.cpu_seconds
                capacity = result.seconds * (os.cpu_count() or 1)
                result.other_cpu_share = round(max(other, 0.0) / capacity, 3)
            stop.set()
            sampler.join()
            if result.return_code is None:  # interrupted: leave nothing running
                _kill_group(process.pid)
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(process.pid, 0)
            _kill_group(process.pid, grace=0)  # stray grandchildren of a finished child
            _running.discard(process.pid)
    return result


def _kill_group(pgid: int, grace: float = 10.0) -> None:
    """SIGTERM the process group this script started, then SIGKILL what is left."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and _group_alive(pgid):
            time.sleep(0.2)
        os.killpg(pgid, signal.SIGKILL)


def _group_alive(pgid: int) -> bool:
    """A member of the process group that is still running (not a zombie awaiting its wait)."""
    return any(int(f[2]) == pgid and f[0] != b"Z" for _, f in _proc_stats())


def kill_running(grace: float = 2.0) -> None:
    """Kill every process group run_measured started and has not reaped (Ctrl-C, SIGTERM)."""
    for pgid in list(_running):
        _kill_group(pgid, grace=grace)
