#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Print one table per scenario from the benchmark's raw results.

Input lines (tab-separated), one per tool and run:
  scenario  tool  run  wall_ms  maxrss_kb  output_bytes  data_bytes  exit
data_bytes is the ring-buffer pages the floor read from its copy of the
same data in that run: MiB/s for every tool is computed from it.
Tools are compared with the ones named "trace-cmd" and "floor" by their
median wall times.
"""
import statistics
import sys

MIB = 1024 * 1024


def load(path):
    scenarios = {}
    with open(path) as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            if len(fields) != 8:
                continue
            scen, tool, _run, wall, rss, out, data, code = fields
            runs = scenarios.setdefault(scen, {}).setdefault(tool, [])
            runs.append((float(wall), int(rss), int(out), int(data), int(code)))
    return scenarios


def median(values):
    return statistics.median(values) if values else float("nan")


def table(scen, tools):
    rows = []
    for tool, runs in tools.items():
        ok = [r for r in runs if r[4] == 0]
        rows.append({
            "tool": tool,
            "n": len(ok),
            "failed": len(runs) - len(ok),
            "wall": median([r[0] for r in ok]),
            "wall_min": min([r[0] for r in ok], default=float("nan")),
            "wall_max": max([r[0] for r in ok], default=float("nan")),
            "rss": median([r[1] for r in ok]) / 1024,
            "out": median([r[2] for r in ok]) / MIB,
            "data": median([r[3] for r in ok]) / MIB,
        })
    ref = {key: next((r for r in rows if key in r["tool"]), None)
           for key in ("trace-cmd", "floor")}
    print(f"\n== {scen}")
    print(f"   data: {rows[0]['data']:.1f} MiB of ring-buffer pages per copy; "
          f"median of {max(r['n'] for r in rows)} runs (min-max in brackets)")
    head = (f"   {'tool':<28} {'wall ms':>20} {'MiB/s':>7} {'peak RSS':>10}"
            f" {'output':>10} {'faster than trace-cmd':>22} {'time / floor':>13}")
    print(head)
    print("   " + "-" * (len(head) - 3))
    for r in rows:
        tc = ref["trace-cmd"]["wall"] / r["wall"] if ref["trace-cmd"] else float("nan")
        fl = r["wall"] / ref["floor"]["wall"] if ref["floor"] else float("nan")
        spread = f"{r['wall']:.0f} [{r['wall_min']:.0f}-{r['wall_max']:.0f}]"
        mibs = r["data"] / (r["wall"] / 1000) if r["wall"] > 0 else float("nan")
        note = f"  ({r['failed']} runs failed)" if r["failed"] else ""
        print(f"   {r['tool']:<28} {spread:>20} {mibs:>7.0f} {r['rss']:>6.1f} MiB"
              f" {r['out']:>6.1f} MiB {tc:>21.2f}x {fl:>12.2f}x{note}")


def main():
    if len(sys.argv) != 2:
        print("usage: bench-table.py RESULTS", file=sys.stderr)
        return 2
    scenarios = load(sys.argv[1])
    for scen, tools in scenarios.items():
        table(scen, tools)
    return 0


if __name__ == "__main__":
    sys.exit(main())
