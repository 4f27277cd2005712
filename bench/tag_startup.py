"""Start-up of `xiezuo-ner tag`: seconds from process start until the first record is written, with one
process and with `--workers N`, then the whole run and the CPU seconds of the process and its workers.

    python bench/tag_startup.py                         # the five seeds, 1 process against --workers 2
    python bench/tag_startup.py --copies 20 --repeat 5 --workers 2 4

The command runs as a user runs it (JSON lines to standard output, flushed per record), so the first
figure holds the interpreter, the CLI, torch and the model load, and with --workers the spawned
processes' own imports and loads. Runs alternate between the configurations, so a neighbour's load
drifts over all of them alike. On a shared machine wall-clock seconds measure the neighbours too: the
`CPU to first` column is the CPU seconds of the command plus its busiest worker when the first record
came out, what the first record costs on an idle machine with a core per process.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

PROJECT = Path(__file__).resolve().parent.parent


def critical_cpu(pid: int) -> float:
    """CPU seconds so far of process `pid` plus its busiest child: the work the first record waited for."""

    def cpu(process: psutil.Process) -> float:
        try:
            times = process.cpu_times()
        except psutil.Error:
            return 0.0
        return times.user + times.system

    parent = psutil.Process(pid)
    return cpu(parent) + max((cpu(child) for child in parent.children()), default=0.0)


def run(command: list[str]) -> tuple[float, float, float, float]:
    """(seconds to the first line on standard output, CPU seconds on the way to it (see `critical_cpu`),
    seconds to exit, CPU seconds of the whole process tree)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    env = os.environ | {"PYTHONPATH": str(PROJECT)}
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    process.stdout.readline()
    first = time.perf_counter() - started
    first_cpu = critical_cpu(process.pid)
    process.stdout.read()
    if process.wait():
        raise SystemExit(f"{' '.join(command)} failed:\n{process.stderr.read().decode()}")
    total = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the workers were waited for by their parent
    return first, first_cpu, total, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=PROJECT / "models" / "xiezuo-small")
    parser.add_argument("--copies", type=int, default=1, help="copies of the five seeds, as separate files")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, nargs="+", default=[2], help="the --workers figures to compare with 1")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        for copy in range(args.copies):
            for seed in sorted((PROJECT / "seeds").glob("*.txt")):
                (Path(scratch) / f"{copy:03d}_{seed.name}").write_bytes(seed.read_bytes())
        tag = [sys.executable, "-m", "training", "tag", scratch, "--model", str(args.model), "--format", "jsonl"]
        configurations = [1, *args.workers]
        figures: dict[int, list[tuple[float, ...]]] = {workers: [] for workers in configurations}
        for _ in range(args.repeat):
            for workers in configurations:
                figures[workers].append(run([*tag, "--workers", str(workers)]))
    print(f"{5 * args.copies} articles, {args.repeat} runs each, {os.cpu_count()} cores; seconds, median (best)")
    print(f"{'':>12} {'first record':>16} {'CPU to first':>16} {'whole run':>16} {'CPU, all':>16}")
    for workers, runs in figures.items():
        columns = [[run[index] for run in runs] for index in range(4)]
        cells = " ".join(f"{statistics.median(column):>8.2f} ({min(column):5.2f})" for column in columns)
        print(f"{'1 process' if workers == 1 else f'--workers {workers}':>12} {cells}")
    for index, what in ((0, "wall-clock"), (1, "CPU (idle-machine estimate)")):
        base = statistics.median(run[index] for run in figures[1])
        for workers in args.workers:
            extra = statistics.median(run[index] for run in figures[workers]) - base
            print(f"--workers {workers}: {extra:+.2f} s to the first record against one process, {what}")


if __name__ == "__main__":
    main()
