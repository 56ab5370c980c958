#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""No call circle between the source files of libbootrace.

Reads the symbols of each object in the static library (nm): file A calls
file B when A uses a symbol B defines. A circle (A calls B calls ... A)
means two files each need the other: one of them holds a helper that
belongs in a file of its own. Prints TAP; exits 1 on a circle.

Usage: test-call-cycles.py LIBBOOTRACE.a
"""
import subprocess
import sys


def call_graph(archive):
    out = subprocess.run(['nm', '-A', archive], capture_output=True, text=True, check=True).stdout
    defined, used = {}, {}
    for line in out.splitlines():
        where, _, rest = line.rpartition(':')
        member = where.rsplit(':', 1)[-1].replace('.c.o', '.c')
        parts = rest.split()
        if len(parts) == 3 and parts[1] in 'TDBRC':
            defined[parts[2]] = member
        elif len(parts) == 2 and parts[0] == 'U':
            used.setdefault(member, set()).add(parts[1])
        used.setdefault(member, set())
    return {m: {defined[s] for s in syms if s in defined and defined[s] != m}
            for m, syms in used.items()}


def circles(graph):
    """Strongly connected components of more than one file (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def main():
    graph = call_graph(sys.argv[1])
    found = circles(graph)
    print('ok 1 - the library has %d source files' % len(graph) if len(graph) > 5
          else 'not ok 1 - too few source files found in %s' % sys.argv[1])
    if found:
        print('not ok 2 - no call circle between the files of lib/')
        for c in found:
            for a in c:
                print('#   %s calls %s' % (a, ', '.join(sorted(graph[a] & set(c)))))
    else:
        print('ok 2 - no call circle between the files of lib/')
    print('1..2')
    return 1 if found or len(graph) <= 5 else 0


if __name__ == '__main__':
    sys.exit(main())
