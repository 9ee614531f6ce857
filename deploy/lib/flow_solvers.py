#!/usr/bin/env python3
"""Solve a DIMACS min-cost-flow file with networkx and with SciPy's HiGHS, for comparison with
`reliefctl solve` on the same file (deploy/bench matching).

Usage: deploy/lib/flow_solvers.py FILE [--solvers networkx,highs] [--timeout SECONDS]

Prints one line per solver on stdout:
    solver=networkx cost=<n> seconds=<x> build_seconds=<y> status=optimal
    solver=highs cost=<n> seconds=<x> build_seconds=<y> status=optimal
seconds is the solve call alone; build_seconds is building the solver's input from the parsed
file (the graph for networkx, the sparse constraint matrix for HiGHS). Reading and parsing the file
is reported once on stderr (parse_seconds). A solver that finds the instance infeasible or
unbounded prints that status and no cost; one that fails or runs past --timeout prints status=error
or status=timeout, and the exit status is then 1.
HiGHS's line ends with iterations=<n>: its dual simplex takes a different path from run to run on
the same file (2,474 or 4,533 iterations on a province instance, 28,353 or 113,835 on a country
one, here), so compare its times together with its iterations. --highs-option passes options
through to linprog (e.g. --highs-option presolve=false).

The file format is the one reliefctl reads (Sources/ReliefMatching/DIMACS.swift): `p min N M`,
`n ID FLOW`, `a SRC DST LOW CAP COST`, 1-based ids; a capacity of 9223372036854775807 is unlimited.
networkx has no lower bounds, so they are sent up front (supplies and capacities adjusted, the cost
added back); HiGHS takes them as variable bounds. Parallel arcs are kept (networkx: MultiDiGraph).
HiGHS returns floating-point flows: they are rounded to integers (a network LP has integral optimal
vertices) and the cost is recomputed from them exactly.

networkx, SciPy and NumPy are installed with `python3 -m pip install --quiet networkx scipy` if
they cannot be imported.
"""

import argparse
import importlib.util
import multiprocessing
import subprocess
import sys
import time

UNLIMITED = 9223372036854775807


def ensure_packages():
    # Looked up, not imported: the solvers run in forked children, and a parent that had already
    # started NumPy's BLAS threads would fork them in an unknown state.
    if all(importlib.util.find_spec(name) is not None for name in ("networkx", "numpy", "scipy")):
        return
    command = [sys.executable, "-m", "pip", "install", "--quiet", "networkx", "scipy"]
    print("installing networkx and scipy: " + " ".join(command), file=sys.stderr)
    if subprocess.call(command) != 0:
        # A distribution's Python refuses pip installs into it (PEP 668) unless told otherwise.
        subprocess.check_call(command + ["--break-system-packages"])


class Instance:
    def __init__(self, nodes, supply, source, target, low, cap, cost):
        self.nodes = nodes      # node count; ids here are 0-based
        self.supply = supply    # list of int, as in the file
        self.source = source    # lists of int, one entry per arc
        self.target = target
        self.low = low
        self.cap = cap          # UNLIMITED for no upper bound
        self.cost = cost


def parse(path):
    """Reads a DIMACS min-cost-flow file; raises ValueError naming the line on bad input."""
    nodes = None
    declared = 0
    supply = []
    source, target, low, cap, cost = [], [], [], [], []
    with (sys.stdin.buffer if path == "-" else open(path, "rb")) as handle:
        for number, raw in enumerate(handle, 1):
            fields = raw.split()
            if not fields or fields[0].startswith(b"c"):
                continue
            kind = fields[0]
            try:
                if kind == b"p":
                    if len(fields) != 4 or fields[1] != b"min":
                        raise ValueError("expected 'p min NODES ARCS'")
                    nodes, declared = int(fields[2]), int(fields[3])
                    supply = [0] * nodes
                elif kind == b"n":
                    if nodes is None or len(fields) != 3:
                        raise ValueError("expected 'n ID FLOW' after the problem line")
                    supply[int(fields[1]) - 1] += int(fields[2])
                elif kind == b"a":
                    if nodes is None or len(fields) != 6:
                        raise ValueError("expected 'a SRC DST LOW CAP COST' after the problem line")
                    source.append(int(fields[1]) - 1)
                    target.append(int(fields[2]) - 1)
                    low.append(int(fields[3]))
                    cap.append(int(fields[4]))
                    cost.append(int(fields[5]))
                else:
                    raise ValueError("expected a line starting with c, p, n or a")
            except (ValueError, IndexError) as error:
                raise ValueError("%s line %d: %s" % (path, number, error)) from None
    if nodes is None:
        raise ValueError("%s: no 'p min NODES ARCS' line" % path)
    if len(source) != declared:
        raise ValueError("%s: %d arc lines, %d declared" % (path, len(source), declared))
    return Instance(nodes, supply, source, target, low, cap, cost)


def solve_networkx(instance):
    import networkx as nx

    started = time.perf_counter()
    supply = list(instance.supply)
    offset = 0
    graph = nx.MultiDiGraph()
    graph.add_nodes_from(range(instance.nodes))
    edges = []
    for u, v, lo, hi, c in zip(instance.source, instance.target, instance.low, instance.cap, instance.cost):
        if lo:
            supply[u] -= lo
            supply[v] += lo
            offset += lo * c
        attributes = {"weight": c}
        if hi != UNLIMITED:
            attributes["capacity"] = hi - lo
        edges.append((u, v, attributes))
    graph.add_edges_from(edges)
    for node in range(instance.nodes):
        graph.nodes[node]["demand"] = -supply[node]
    build = time.perf_counter() - started

    started = time.perf_counter()
    try:
        cost, _ = nx.network_simplex(graph)
        status = "optimal"
    except nx.NetworkXUnfeasible:
        cost, status = None, "infeasible"
    except nx.NetworkXUnbounded:
        cost, status = None, "unbounded"
    seconds = time.perf_counter() - started
    return status, (cost + offset if cost is not None else None), seconds, build, {}


def solve_highs(instance, options=None):
    import numpy as np
    from scipy.optimize import linprog
    from scipy.sparse import csr_array

    started = time.perf_counter()
    m = len(instance.source)
    source = np.asarray(instance.source, dtype=np.int64)
    target = np.asarray(instance.target, dtype=np.int64)
    cost = np.asarray(instance.cost, dtype=np.int64)
    upper = np.asarray(instance.cap, dtype=np.float64)
    upper[np.asarray(instance.cap, dtype=np.int64) == UNLIMITED] = np.inf
    bounds = np.column_stack((np.asarray(instance.low, dtype=np.float64), upper))
    # Row v: flow out of v minus flow into v equals v's supply.
    rows = np.concatenate((source, target))
    columns = np.concatenate((np.arange(m), np.arange(m)))
    values = np.concatenate((np.ones(m), -np.ones(m)))
    matrix = csr_array((values, (rows, columns)), shape=(instance.nodes, m))
    supply = np.asarray(instance.supply, dtype=np.float64)
    build = time.perf_counter() - started

    started = time.perf_counter()
    result = linprog(cost.astype(np.float64), A_eq=matrix, b_eq=supply, bounds=bounds, method="highs",
                     options=options or {})
    seconds = time.perf_counter() - started
    extra = {"iterations": getattr(result, "nit", "")}
    if result.status == 2:
        return "infeasible", None, seconds, build, extra
    if result.status == 3:
        return "unbounded", None, seconds, build, extra
    if result.status != 0:
        return "error: %s" % result.message, None, seconds, build, extra
    flow = np.rint(result.x).astype(np.int64)
    exact = int(sum(int(f) * int(c) for f, c in zip(flow[flow != 0], cost[flow != 0])))
    return "optimal", exact, seconds, build, extra


SOLVERS = {"networkx": solve_networkx, "highs": solve_highs}


def call(name, instance, highs_options):
    try:
        if name == "highs":
            return solve_highs(instance, highs_options)
        return SOLVERS[name](instance)
    except Exception as error:  # reported as the solver's status, not a crash of the comparison
        return "error: %s" % error, None, 0.0, 0.0, {}


def run_child(name, instance, highs_options, queue):
    queue.put(call(name, instance, highs_options))


def run(name, instance, timeout, highs_options):
    """Runs one solver: in this process without a timeout, else in a forked child that the timeout
    can stop (its memory goes with it)."""
    if timeout is None:
        return call(name, instance, highs_options)
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=run_child, args=(name, instance, highs_options, queue))
    started = time.perf_counter()
    child.start()
    try:
        return queue.get(timeout=timeout)
    except Exception:
        return "timeout", None, time.perf_counter() - started, 0.0, {}
    finally:
        if child.is_alive():
            child.terminate()
        child.join()


def main():
    parser = argparse.ArgumentParser(description="Solve a DIMACS min-cost-flow file with networkx and HiGHS.")
    parser.add_argument("file", help="DIMACS min-cost-flow file, - for stdin")
    parser.add_argument("--solvers", default="networkx,highs", help="comma-separated: networkx, highs")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds each solver may take, run in a child process (default: no limit, in this process)")
    parser.add_argument("--highs-option", action="append", default=[], metavar="KEY=VALUE",
                        help="an option for scipy's linprog(method='highs'), e.g. presolve=false; repeatable")
    arguments = parser.parse_args()
    highs_options = {}
    for option in arguments.highs_option:
        key, _, value = option.partition("=")
        for convert in (int, float):
            try:
                value = convert(value)
                break
            except ValueError:
                pass
        highs_options[key] = {"true": True, "false": False}.get(value, value) if isinstance(value, str) else value
    names = [name for name in arguments.solvers.split(",") if name]
    for name in names:
        if name not in SOLVERS:
            parser.error("unknown solver %r (known: %s)" % (name, ", ".join(SOLVERS)))

    ensure_packages()
    started = time.perf_counter()
    try:
        instance = parse(arguments.file)
    except (OSError, ValueError) as error:
        print("flow_solvers: %s" % error, file=sys.stderr)
        return 2
    print("file=%s nodes=%d arcs=%d parse_seconds=%.3f" % (arguments.file, instance.nodes, len(instance.source),
                                                           time.perf_counter() - started), file=sys.stderr)
    failed = False
    for name in names:
        status, cost, seconds, build, extra = run(name, instance, arguments.timeout, highs_options)
        fields = ["solver=%s" % name]
        if cost is not None:
            fields.append("cost=%d" % cost)
        fields += ["seconds=%.3f" % seconds, "build_seconds=%.3f" % build, "status=%s" % status.split(":")[0]]
        fields += ["%s=%s" % item for item in extra.items()]
        print(" ".join(fields), flush=True)
        if status.startswith("error") or status == "timeout":
            failed = True
            if status.startswith("error"):
                print("flow_solvers: %s %s" % (name, status), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
