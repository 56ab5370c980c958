#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Compare a report of a collected trace with the kernel's own decoding.

TRUTH is the "trace" file of the instance, read in the boot that wrote it:
the kernel decoding its own buffer with its own formats and symbols.
REPORT is what a reader made of the collected file: "trace-cmd report"
(3.1.6, 3.4) or "bootrace report --last N". Both are lines of
"COMM-PID [CPU] (FLAGS) SECONDS: EVENT: FIELDS"; per CPU, the events must
come in the same (time) order with the same timestamp, pid, name and fields.

What the two renderers print differently on purpose is made equal first:
the kernel hashes %p pointers, libtraceevent prints them raw (both become
PTR); the kernel calls a trace_marker write "tracing_mark_write", the
format calls it "print"; a function in a module is "name [module]" in the
kernel's text. Task names are not compared: the file has no pid->comm
table of the previous boot.

Every field must then have the same value, but for two things the format
text does not let any reader of it render as the kernel does: a symbolic
value whose names the format leaves undefined (__print_symbolic on enum
names without TRACE_DEFINE_ENUM: libtraceevent prints the number), and
__print_flags over a masked expression, which libtraceevent evaluates
otherwise. Those are counted and named, never taken for a match of name
or time or of any numeric field.

Usage: trace-compare.py TRUTH REPORT [--last N] [--show N]
  --last N   REPORT holds only the last N events of each CPU
  --show N   print at most N differences (default 5)
Prints one summary line; exit 0 when every event is the same, 1 otherwise.
"""
import gzip
import re
import sys

LINE = re.compile(r'^\s*(?P<comm>.*)-(?P<pid>\d+)\s+\[(?P<cpu>\d+)\]\s+(?:\S+\s+)?'
                  r'(?P<ts>\d+\.\d+):\s+(?P<name>[\w]+):\s*(?P<info>.*)$')
# Raw (0x...) or hashed (16 hex digits, the hash's high half zero) pointers.
POINTER = re.compile(r'\b(?:0x[0-9a-f]{8,16}|0{8}[0-9a-f]{8})\b')
MODULE = re.compile(r' \[\w+\]')


def read(path):
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rt', errors='replace') as f:
        return f.read().splitlines()


def normal_info(name, info):
    info = POINTER.sub('PTR', info)
    info = MODULE.sub('', info)
    # trace_marker text: the kernel prints it bare, libtraceevent after
    # the caller's address or symbol ("tracing_mark_write: text").
    if name == 'print':
        info = re.sub(r'^(?:PTR|[\w.]+):\s*', '', info)
    return ' '.join(info.split())


NUMBER = re.compile(r'^-?(?:0x[0-9a-f]+|\d+)$')
SYMBOLIC = re.compile(r'^[A-Za-z_][\w|]*$')


def fields(info):
    """The KEY=VALUE words of a rendered event, in order."""
    return [tuple(w.split('=', 1)) for w in info.split() if '=' in w]


def same_but_rendering(w, g):
    """Same event, fields differing only where no reader of the format can render them."""
    if w[:3] != g[:3]:
        return None
    wf, gf = fields(w[3]), fields(g[3])
    if [k for k, _ in wf] != [k for k, _ in gf]:
        return None
    kinds = []
    for (key, wv), (_, gv) in zip(wf, gf):
        if wv == gv:
            continue
        if SYMBOLIC.match(wv) and NUMBER.match(gv):
            kinds.append('%s:%s (undefined symbolic names)' % (w[2], key))
        elif (wv == '' or SYMBOLIC.match(wv)) and SYMBOLIC.match(gv) and '|' in wv + gv:
            kinds.append('%s:%s (masked flags)' % (w[2], key))
        else:
            return None
    return kinds


def events(lines):
    per_cpu = {}
    for line in lines:
        if line.startswith('#') or 'LOST' in line:
            continue
        m = LINE.match(line)
        if not m:
            continue
        name = m['name']
        if name == 'tracing_mark_write':
            name = 'print'
        # Microseconds, as both print them by default.
        ts = round(float(m['ts']) * 1e6)
        per_cpu.setdefault(int(m['cpu']), []).append(
            (ts, int(m['pid']), name, normal_info(name, m['info'])))
    return per_cpu


def main():
    args = sys.argv[1:]
    last = show = None
    show = 5
    if '--last' in args:
        i = args.index('--last')
        last = int(args[i + 1])
        del args[i:i + 2]
    if '--show' in args:
        i = args.index('--show')
        show = int(args[i + 1])
        del args[i:i + 2]
    truth, report = events(read(args[0])), events(read(args[1]))
    # In time order, on both sides: the buffer's own order has timestamps
    # going back now and then early in boot, and bootrace report sorts
    # its last events by time.
    for per_cpu in (truth, report):
        for cpu in per_cpu:
            per_cpu[cpu].sort(key=lambda e: e[0])
    total = same = 0
    shown = 0
    rendered = {}
    for cpu in sorted(set(truth) | set(report)):
        want = truth.get(cpu, [])
        if last is not None:
            want = want[-last:]
        got = report.get(cpu, [])
        if len(want) != len(got):
            print('# CPU %d: %d events in the truth, %d in the report' % (cpu, len(want), len(got)))
        for i in range(max(len(want), len(got))):
            total += 1
            w = want[i] if i < len(want) else None
            g = got[i] if i < len(got) else None
            kinds = same_but_rendering(w, g) if w and g and w != g else None
            if w == g:
                same += 1
            elif kinds:
                same += 1
                for k in kinds:
                    rendered[k] = rendered.get(k, 0) + 1
            elif shown < show:
                shown += 1
                print('# CPU %d event %d:\n#   kernel: %s\n#   report: %s' % (cpu, i, w, g))
    names = {}
    for evs in truth.values():
        for e in evs:
            names[e[2]] = names.get(e[2], 0) + 1
    for k in sorted(rendered):
        print('# rendered otherwise by the format, not by the data: %s in %d events' % (k, rendered[k]))
    print('%d of %d events with the same time, pid, name and fields (%d CPUs, %d event names)'
          % (same, total, len(truth), len(names)))
    return 0 if total and same == total else 1


if __name__ == '__main__':
    sys.exit(main())
