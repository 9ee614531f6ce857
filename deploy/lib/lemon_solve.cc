// lemon_solve: solves a DIMACS min-cost-flow file with LEMON (Debian's liblemon-dev), the peer
// `deploy/bench compare` measures `reliefctl solve` against. Built by deploy/lib/bench-compare.sh:
//   g++ -O2 -std=c++17 -o lemon_solve deploy/lib/lemon_solve.cc -llemon
//
//   lemon_solve FILE [ns|cs|both]
//
// Prints one line per algorithm, in the form reliefctl solve prints:
//   solver=lemon-ns status=optimal cost=N nodes=N arcs=N solve_ms=X parse_ms=Y with_setup_ms=Z
// solve_ms is the algorithm's run() alone (LEMON's NetworkSimplex, or CostScaling with its
// default augment method), parse_ms reading the file into a SmartDigraph, with_setup_ms run()
// together with constructing the algorithm and handing it the maps (where LEMON allocates its
// arrays and, for NetworkSimplex, stores the arcs in its mixed order: work that reliefctl solve's
// solve_ms includes). Supplies are equalities,
// as in reliefctl solve: LEMON 1.3's supply types are GEQ and LEQ, which are the equality only
// when the supplies sum to zero, so an instance whose supplies do not is reported infeasible.
// CostScaling reports an arc of negative cost and unlimited capacity as unbounded (documented).
#include <lemon/cost_scaling.h>
#include <lemon/dimacs.h>
#include <lemon/network_simplex.h>
#include <lemon/smart_graph.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>

using namespace lemon;
typedef long long Value;
typedef SmartDigraph Digraph;

static double millisecondsSince(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

template <typename Algorithm, typename Status>
static void report(const char *name, Algorithm &algorithm, Status status, const Digraph &graph,
                   double solveMs, double parseMs, double withSetupMs) {
    const char *text = status == Algorithm::OPTIMAL ? "optimal"
                       : status == Algorithm::INFEASIBLE ? "infeasible" : "unbounded";
    if (status == Algorithm::OPTIMAL) {
        std::printf("solver=%s status=%s cost=%lld nodes=%d arcs=%d solve_ms=%.1f parse_ms=%.1f with_setup_ms=%.1f\n", name, text,
                    algorithm.template totalCost<Value>(), countNodes(graph), countArcs(graph), solveMs, parseMs, withSetupMs);
    } else {
        std::printf("solver=%s status=%s nodes=%d arcs=%d solve_ms=%.1f parse_ms=%.1f with_setup_ms=%.1f\n", name, text,
                    countNodes(graph), countArcs(graph), solveMs, parseMs, withSetupMs);
    }
    std::fflush(stdout);
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3) {
        std::fprintf(stderr, "usage: lemon_solve FILE [ns|cs|both]\n");
        return 2;
    }
    const char *which = argc == 3 ? argv[2] : "both";
    std::ifstream input(argv[1]);
    if (!input) {
        std::fprintf(stderr, "lemon_solve: cannot open %s\n", argv[1]);
        return 2;
    }
    Digraph graph;
    Digraph::ArcMap<Value> lower(graph), capacity(graph), cost(graph);
    Digraph::NodeMap<Value> supply(graph);
    auto parseStart = std::chrono::steady_clock::now();
    // reliefctl writes an unlimited capacity as 9223372036854775807, LEMON's infinity for Value.
    readDimacsMin(input, graph, lower, capacity, cost, supply, std::numeric_limits<Value>::max());
    double parseMs = millisecondsSince(parseStart);

    Value total = 0;
    for (Digraph::NodeIt node(graph); node != INVALID; ++node) total += supply[node];
    if (total != 0) {
        std::printf("solver=lemon status=infeasible nodes=%d arcs=%d solve_ms=0.0 parse_ms=%.1f\n",
                    countNodes(graph), countArcs(graph), parseMs);
        return 0;
    }
    if (std::strcmp(which, "ns") == 0 || std::strcmp(which, "both") == 0) {
        auto setup = std::chrono::steady_clock::now();
        NetworkSimplex<Digraph, Value, Value> simplex(graph);
        simplex.lowerMap(lower).upperMap(capacity).costMap(cost).supplyMap(supply);
        auto start = std::chrono::steady_clock::now();
        auto status = simplex.run();
        report("lemon-ns", simplex, status, graph, millisecondsSince(start), parseMs, millisecondsSince(setup));
    }
    if (std::strcmp(which, "cs") == 0 || std::strcmp(which, "both") == 0) {
        auto setup = std::chrono::steady_clock::now();
        CostScaling<Digraph, Value, Value> scaling(graph);
        scaling.lowerMap(lower).upperMap(capacity).costMap(cost).supplyMap(supply);
        auto start = std::chrono::steady_clock::now();
        auto status = scaling.run();
        report("lemon-cs", scaling, status, graph, millisecondsSince(start), parseMs, millisecondsSince(setup));
    }
    return 0;
}
