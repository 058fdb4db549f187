#!/usr/bin/env python3
"""What ran on the cores while responses stalled.

Usage: bench/gap-cpu.py WRK_OUTPUT TIMEHIST [MIN_MS]

WRK_OUTPUT holds the "gap N ms at T" lines of bench/gaps.lua; TIMEHIST is the text of
`perf sched timehist -i perf.data` for a `perf sched record -k CLOCK_MONOTONIC -a` taken at the same
time. For the gaps of at least MIN_MS (default 8) milliseconds, prints the CPU milliseconds each
thread (name and process id) ran inside them, most first.
"""
import collections
import re
import sys


def gaps(path, min_ms):
    for line in open(path):
        m = re.match(r"gap ([\d.]+) ms at ([\d.]+)", line)
        if m and float(m.group(1)) >= min_ms:
            end = float(m.group(2)) / 1000
            yield end - float(m.group(1)) / 1000, end


def slices(path):
    """(start, end, thread) of every run slice: timehist gives its end, cpu, task, wait, delay, run time."""
    for line in open(path):
        fields = line.split()
        if len(fields) < 6:
            continue
        try:
            end, run_ms = float(fields[0]), float(fields[-1])
        except ValueError:
            continue  # the header lines
        task = " ".join(fields[2:-3])
        task = re.sub(r"\[(\d+)/(\d+)\]$", r" (pid \2)", task)  # thread[tid/pid]
        task = re.sub(r"\[\d+\]$", "", task)                    # kernel thread[pid]
        yield end - run_ms / 1000, end, task


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__.strip())
    min_ms = float(sys.argv[3]) if len(sys.argv) == 4 else 8
    windows = sorted(gaps(sys.argv[1], min_ms))
    if not windows:
        sys.exit(f"no gap of {min_ms} ms or more in {sys.argv[1]}")
    ran = collections.Counter()
    for start, end, task in slices(sys.argv[2]):
        for gap_start, gap_end in windows:
            overlap = min(end, gap_end) - max(start, gap_start)
            if overlap > 0:
                ran[task] += overlap * 1000
    total = sum(e - s for s, e in windows) * 1000
    print(f"{len(windows)} gaps of {min_ms:g} ms or more, {total:.0f} ms in all; CPU ms inside them:")
    for task, ms in ran.most_common(15):
        print(f"{ms:9.1f}  {task}")


if __name__ == "__main__":
    main()
