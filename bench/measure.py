"""Measurement: run one job in a fresh child process and record its time and memory.

Every build and every query pass runs in its own child (``python -m bench.job``), so one
engine's memory never shows in another's figures. Peak memory is read two ways: the
child's own ``ru_maxrss`` plus the largest of its worker processes (an upper bound: the two
peaks need not coincide), and the sum of the RSS of the whole process tree sampled every
50 ms from here (a lower bound: a peak shorter than the interval can be missed). Both count
the pages of files a process maps, which for an engine that reads its index through mmap
(tantivy) grow to the index's size on disk while merges read it: page cache the kernel can
drop, not memory the build holds. So the sampler also sums the tree's *private* memory
(resident pages not backed by a file, /proc/PID/statm), the figure to hold to a budget.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
ROOT = Path(__file__).resolve().parent.parent


def run_job(spec: dict[str, Any], workdir: Path) -> dict[str, Any]:
    """Run ``spec`` in a child process; return its result with wall seconds and memory."""
    workdir.mkdir(parents=True, exist_ok=True)
    name = f"{spec['job']}-{spec['engine']}"
    spec_path = workdir / f"{name}.spec.json"
    out_path = workdir / f"{name}.out.json"
    spec_path.write_text(json.dumps(spec))
    out_path.unlink(missing_ok=True)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p))
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "bench.job", str(spec_path), str(out_path)],
                             cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    sampler = TreeSampler(child.pid)
    sampler.start()
    _, stderr = child.communicate()
    sampler.stop()
    wall = time.perf_counter() - started
    if child.returncode != 0 or not out_path.exists():
        tail = "\n".join(stderr.strip().splitlines()[-15:])
        raise RuntimeError(f"{name} failed (exit {child.returncode}):\n{tail}")
    result = json.loads(out_path.read_text())
    result["process_seconds"] = round(wall, 3)
    result["tree_peak_mb"] = round(sampler.peak_bytes / 2**20, 1)
    result["tree_private_peak_mb"] = round(sampler.peak_private_bytes / 2**20, 1)
    return result


class TreeSampler(threading.Thread):
    """Samples the summed RSS, and private memory, of a process and all its descendants
    (Linux /proc)."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.peak_bytes = 0
        self.peak_private_bytes = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            rss, private = tree_memory_bytes(self.pid)
            self.peak_bytes = max(self.peak_bytes, rss)
            self.peak_private_bytes = max(self.peak_private_bytes, private)
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def tree_memory_bytes(root_pid: int) -> tuple[int, int]:
    """Summed resident memory of ``root_pid`` and its descendants, all of it and the part
    not backed by files (resident minus shared pages in /proc/PID/statm); 0s off Linux."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return 0, 0
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        # The command name may hold spaces and brackets: fields follow the last ')'.
        fields = stat[stat.rfind(b")") + 2:].split()
        parents[int(entry)] = int(fields[1])
        rss[int(entry)] = int(fields[21]) * PAGE_BYTES
    total = private = 0
    frontier = [root_pid]
    while frontier:
        pid = frontier.pop()
        total += rss.get(pid, 0)
        private += _private_bytes(pid)
        frontier.extend(child for child, parent in parents.items() if parent == pid)
    return total, private


def _private_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as handle:
            resident, shared = handle.read().split()[1:3]
    except (OSError, ValueError):
        return 0
    return (int(resident) - int(shared)) * PAGE_BYTES


def own_peak_mb() -> dict[str, float]:
    """In a child: its own peak RSS, the largest peak of the workers it waited for, and the
    CPU seconds of both (on a busy machine CPU time moves less than wall time)."""
    import resource

    scale = 1024 if sys.platform != "darwin" else 1  # ru_maxrss is KiB on Linux, bytes on macOS
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    own, workers = me.ru_maxrss * scale, children.ru_maxrss * scale
    cpu = me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime
    return {"self_peak_mb": round(own / 2**20, 1), "workers_peak_mb": round(workers / 2**20, 1),
            "peak_mb": round((own + workers) / 2**20, 1), "cpu_seconds": round(cpu, 2)}


def dir_size_mb(path: Path) -> float:
    """Bytes on disk of every file under ``path`` (or the file itself), in MB."""
    if path.is_file():
        return round(path.stat().st_size / 2**20, 2)
    total = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return round(total / 2**20, 2)


def latency_summary(milliseconds: list[float]) -> dict[str, float]:
    """Median, 95th percentile (nearest rank) and max of a list of timings."""
    if not milliseconds:
        return {"n": 0, "median_ms": 0.0, "p95_ms": 0.0, "max_ms": 0.0}
    ordered = sorted(milliseconds)
    rank = max(1, -(-95 * len(ordered) // 100))  # ceil(0.95 n), nearest-rank percentile
    return {"n": len(ordered), "median_ms": round(statistics.median(ordered), 3),
            "p95_ms": round(ordered[rank - 1], 3), "max_ms": round(ordered[-1], 3)}


def machine_line() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    memory_gb = None
    try:
        memory_gb = round(os.sysconf("SC_PHYS_PAGES") * PAGE_BYTES / 2**30, 1)
    except (ValueError, OSError):
        pass
    import sqlite3

    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    return {"machine": f"{platform.system()} {platform.machine()}, {cpu}", "cores": cores,
            "memory_gb": memory_gb, "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version, "load_average": load}
