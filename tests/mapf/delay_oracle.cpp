// Independent re-statement of the start kit 3.1.0 delay-drawing semantics, used only as a
// test oracle for the libstdc++ random algorithms. Usage: oracle seed min max model(b|p) p dur(u|g) meanr stdr n ticks
#include <random>
#include <vector>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
int main(int argc, char** argv) {
  unsigned seed = strtoul(argv[1], 0, 10);
  int lo = atoi(argv[2]), hi = atoi(argv[3]);
  bool bern = argv[4][0] == 'b';
  double p = atof(argv[5]);
  bool unif = argv[6][0] == 'u';
  double mr = atof(argv[7]), sr = atof(argv[8]);
  int n = atoi(argv[9]), ticks = atoi(argv[10]);
  std::mt19937 g(seed);
  std::vector<int> rem(n, 0);
  auto dur = [&]() -> int {
    if (lo == hi) return lo;
    if (unif) { std::uniform_int_distribution<int> d(lo, hi); return d(g); }
    double span = hi - lo, mean = lo + span * mr, sd = span * sr;
    if (sd <= 0) return std::clamp((int)std::lround(mean), lo, hi);
    std::normal_distribution<double> d(mean, sd);
    return std::clamp((int)std::lround(d(g)), lo, hi);
  };
  for (int t = 0; t < ticks; t++) {
    for (int a = 0; a < n; a++) if (rem[a] > 0) rem[a]--;
    std::vector<int> av; for (int a = 0; a < n; a++) if (rem[a] == 0) av.push_back(a);
    std::vector<int> sel;
    if (!av.empty()) {
      if (bern) { std::bernoulli_distribution b(p); for (int a : av) if (b(g)) sel.push_back(a); }
      else {
        std::poisson_distribution<int> pd((double)n * p);
        int k = std::min(pd(g), (int)av.size());
        if (k > 0) { sel = av; std::shuffle(sel.begin(), sel.end(), g); sel.resize(k); }
      }
    }
    for (int a : sel) { int d = dur(); rem[a] = d; printf("%d %d %d %d\n", t, a, t, t + d); }
  }
}
