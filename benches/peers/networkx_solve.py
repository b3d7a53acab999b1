#!/usr/bin/env python3
"""NetworkX's network simplex on a DIMACS min-cost-flow file.

Usage: networkx_solve.py FILE.min REPS
Prints the optimal cost and the median time in microseconds of REPS calls of
networkx.network_simplex (building the graph is not timed), tab-separated.
A capacity below the lower bound (e.g. -1) means unlimited, as in LEMON's reader.
"""
import statistics
import sys
import time

import networkx as nx


def read_dimacs(path):
    supply, arcs = {}, []
    nodes = 0
    with open(path) as f:
        for line in f:
            t = line.split()
            if not t or t[0] == "c":
                continue
            if t[0] == "p":
                nodes = int(t[2])
            elif t[0] == "n":
                supply[int(t[1])] = int(t[2])
            elif t[0] == "a":
                u, v, low, cap, cost = map(int, t[1:6])
                arcs.append((u, v, low, None if cap < low else cap, cost))
    return nodes, supply, arcs


def build(nodes, supply, arcs):
    g = nx.MultiDiGraph()
    demand = {u: -supply.get(u, 0) for u in range(1, nodes + 1)}
    offset = 0
    for u, v, low, cap, cost in arcs:
        if low:
            demand[u] += low
            demand[v] -= low
            offset += low * cost
            cap = None if cap is None else cap - low
    for u in range(1, nodes + 1):
        g.add_node(u, demand=demand[u])
    for u, v, low, cap, cost in arcs:
        attrs = {"weight": cost}
        if cap is not None:
            attrs["capacity"] = cap - low
        g.add_edge(u, v, **attrs)
    return g, offset


def main():
    path, reps = sys.argv[1], max(1, int(sys.argv[2]))
    g, offset = build(*read_dimacs(path))
    times, cost = [], None
    for _ in range(reps):
        t0 = time.perf_counter()
        cost, _flow = nx.network_simplex(g)
        times.append((time.perf_counter() - t0) * 1e6)
    print(f"{cost + offset}\t{statistics.median(times):.3f}")


if __name__ == "__main__":
    main()
