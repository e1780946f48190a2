"""Memory of gunicorn's workers over time, read from /proc (Linux only; no dependency).

A `MemorySampler` thread samples every worker of one gunicorn master every few seconds for as long as
the server runs: RSS from /proc/<pid>/status, USS (the pages only this process holds: Private_Clean +
Private_Dirty of /proc/<pid>/smaps_rollup) and the thread count. `load.py` marks the window of each
scenario on the sampler's clock; `summarise` turns a window into start, end, max and growth per worker.

A window is `[start, end, measured_from]`: the scenario's clients signed in between start and
measured_from. A sample is `[t, rss_kib, uss_kib, threads]`, t in seconds since the sampler started; uss_kib is None
where smaps_rollup cannot be read (kernels before 4.14, or another user's process).
"""

from __future__ import annotations

import os
import statistics
import threading
import time

KIB_PER_MIB = 1024
EDGE = 5  # samples whose median is a window's start or end


def children(pid: int) -> list[int]:
    """The live child processes of `pid` (gunicorn's workers), from /proc/<pid>/task/*/children when the
    kernel offers it, else by scanning every /proc/<n>/stat for that parent."""
    found: set[int] = set()
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found.update(int(n) for n in handle.read().split())
        return sorted(found)
    except OSError:
        pass
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                stat = handle.read()
        except OSError:
            continue
        # the command name (field 2) is in parentheses and may hold spaces: the parent id follows the state
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.add(int(entry))
    return sorted(found)


def read_process(pid: int) -> tuple[int, int | None, int] | None:
    """(RSS KiB, USS KiB or None, threads) of a live process, or None if it has gone."""
    rss = threads = None
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith("Threads:"):
                    threads = int(line.split()[1])
    except OSError:
        return None
    if rss is None:  # a zombie has no VmRSS line
        return None
    uss = None
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            uss = sum(int(line.split()[1]) for line in handle if line.startswith(("Private_Clean:", "Private_Dirty:")))
    except OSError:
        pass
    return rss, uss, threads or 0


class MemorySampler(threading.Thread):
    """Samples every child of `master` every `interval` seconds until `stop()`; a worker that gunicorn
    replaces (timeout, crash) shows up as a new series, so a restart is visible rather than hidden."""

    def __init__(self, master: int, interval: float = 2.0):
        super().__init__(name="memory-sampler", daemon=True)
        self.master, self.interval = master, interval
        self.started_at = time.monotonic()
        self.started_wall = time.time()
        self.series: dict[int, list[list]] = {}
        self.windows: dict[str, list[float]] = {}
        self._halt = threading.Event()
        self._lock = threading.Lock()

    def now(self) -> float:
        return round(time.monotonic() - self.started_at, 2)

    def sample(self) -> None:
        t = self.now()
        for pid in children(self.master):
            figures = read_process(pid)
            if figures is not None:
                with self._lock:
                    self.series.setdefault(pid, []).append([t, *figures])

    def run(self) -> None:
        while not self._halt.is_set():
            self.sample()
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=self.interval + 5)

    def mark(self, label: str, start: float, end: float, ready_wall: float | None = None) -> None:
        """Record that scenario `label` ran from `start` to `end` (sampler clock) and, when `ready_wall`
        (wall clock) is known, that its measured part began then: [start, end, measured from]."""
        ready = start if ready_wall is None else min(max(ready_wall - self.started_wall, start), end)
        self.windows[label] = [round(start, 2), round(end, 2), round(ready, 2)]

    def as_json(self) -> dict:
        with self._lock:
            series = [{"pid": pid, "samples": list(rows)} for pid, rows in sorted(self.series.items())]
        return {"interval_s": self.interval, "series": series, "windows": dict(self.windows)}


def _figures(rows: list[list], column: int) -> dict | None:
    """Start and end are medians of up to EDGE samples at either end (a fifth of the samples at most),
    so a transient that one sample happens to catch (a sign-in's scrypt holds 32 MiB for a moment)
    does not pass for growth; the maximum is the largest single sample."""
    values = [row[column] for row in rows if row[column] is not None]
    if not values:
        return None
    edge = min(EDGE, max(1, len(values) // 5))
    start, end = statistics.median(values[:edge]), statistics.median(values[-edge:])
    return {
        "start_mib": round(start / KIB_PER_MIB, 1),
        "end_mib": round(end / KIB_PER_MIB, 1),
        "max_mib": round(max(values) / KIB_PER_MIB, 1),
        "growth_mib": round((end - start) / KIB_PER_MIB, 1),
        "growth_pct": round(100 * (end - start) / start, 1) if start else None,
    }


def summarise(memory: dict, start: float, end: float, warmup: float) -> list[dict]:
    """Per worker over the window [start, end] of `memory` (as from `MemorySampler.as_json`): RSS and USS
    at the first samples after `warmup` seconds (the start of the growth), at the end, the maximum after
    warm-up, and the growth from start to end in MiB and % (see `_figures`). `first_rss_mib` is the
    window's very first sample (before warm-up). Workers with no sample after warm-up are left out."""
    workers = []
    for series in memory["series"]:
        window = [row for row in series["samples"] if start <= row[0] <= end]
        measured = [row for row in window if row[0] >= start + warmup]
        if not measured:
            continue
        workers.append(
            {
                "pid": series["pid"],
                "samples": len(measured),
                "from_s": round(measured[0][0] - start, 1),
                "to_s": round(measured[-1][0] - start, 1),
                "first_rss_mib": round(window[0][1] / KIB_PER_MIB, 1),
                "threads_max": max(row[3] for row in window),
                "rss": _figures(measured, 1),
                "uss": _figures(measured, 2),
            }
        )
    return workers


def is_flat(workers: list[dict], threshold_pct: float) -> bool | None:
    """True when every worker's RSS grew by less than `threshold_pct` % over the summarised window (None
    without figures)."""
    growths = [w["rss"]["growth_pct"] for w in workers if w["rss"] and w["rss"]["growth_pct"] is not None]
    return all(g < threshold_pct for g in growths) if growths else None
