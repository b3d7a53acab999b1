// LEMON's network simplex on a DIMACS min-cost-flow file: prints the optimal cost and the
// median time of REPS runs of run() (the solve only: reading the file and building the
// graph are not timed). Build: g++ -O2 -std=c++17 lemon_solve.cpp -o lemon_solve -lemon
// Usage: lemon_solve FILE.min REPS
#include <lemon/dimacs.h>
#include <lemon/network_simplex.h>
#include <lemon/smart_graph.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <vector>

using namespace lemon;
typedef long long Int;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s FILE.min REPS\n", argv[0]);
    return 2;
  }
  std::ifstream in(argv[1]);
  if (!in) {
    std::fprintf(stderr, "cannot open %s\n", argv[1]);
    return 2;
  }
  int reps = std::max(1, std::atoi(argv[2]));
  SmartDigraph g;
  SmartDigraph::ArcMap<Int> lower(g), cap(g), cost(g);
  SmartDigraph::NodeMap<Int> supply(g);
  readDimacsMin(in, g, lower, cap, cost, supply);
  bool has_lower = false;
  for (SmartDigraph::ArcIt a(g); a != INVALID; ++a) has_lower |= lower[a] != 0;

  NetworkSimplex<SmartDigraph, Int, Int> ns(g);
  ns.upperMap(cap).costMap(cost).supplyMap(supply);
  if (has_lower) ns.lowerMap(lower);

  std::vector<double> times;
  Int objective = 0;
  for (int r = 0; r < reps; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    auto res = ns.run(NetworkSimplex<SmartDigraph, Int, Int>::BLOCK_SEARCH);
    auto t1 = std::chrono::steady_clock::now();
    if (res != NetworkSimplex<SmartDigraph, Int, Int>::OPTIMAL) {
      std::printf("status %s\n", res == NetworkSimplex<SmartDigraph, Int, Int>::INFEASIBLE
                                     ? "infeasible" : "unbounded");
      return 1;
    }
    objective = ns.totalCost();
    times.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  std::sort(times.begin(), times.end());
  std::printf("%lld\t%.3f\n", objective, times[times.size() / 2]);
  return 0;
}
