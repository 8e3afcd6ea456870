// bench_job_cost: measured against estimated cost (worker/numerics/cost_model.h) for every
// distinct job shape of a sweep file. Each shape runs once, seed 0, in a forked child:
// process CPU time and the peak RSS it adds over the child's starting RSS (getrusage
// ru_maxrss), next to EstimateJobSeconds (built-in rates) and EstimateJobBytes.
//   bench_job_cost FILE.yaml [--cap K]   K caps steps and K1, and eval_tasks to 200 (one
//                                         evaluation chunk): memory does not depend on
//                                         them; the estimate is for the capped job too
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "common/job_keys.h"
#include "common/spec/sweep_spec.h"
#include "worker/numerics/cost_model.h"
#include "worker/numerics/run_job.h"

namespace {

struct Measured {
  double cpu_seconds = -1;
  double peak_bytes = -1;  // ru_maxrss minus the RSS at the start of the child
};

double ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return double(resident) * double(sysconf(_SC_PAGESIZE));
}

Measured RunInChild(const sweep::JobConfig& config) {
  int fd[2];
  if (pipe(fd) != 0) return {};
  const pid_t pid = fork();
  if (pid == 0) {
    close(fd[0]);
    const double rss0 = ResidentBytes();
    timespec t0{}, t1{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
    const bool ok = sweep::numerics::RunJob(config, {}).ok();
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    Measured m;
    m.cpu_seconds =
        ok ? double(t1.tv_sec - t0.tv_sec) + 1e-9 * double(t1.tv_nsec - t0.tv_nsec) : -1;
    m.peak_bytes = double(ru.ru_maxrss) * 1024.0 - rss0;
    (void)!write(fd[1], &m, sizeof m);
    _exit(0);
  }
  close(fd[1]);
  Measured m;
  if (read(fd[0], &m, sizeof m) != sizeof m) m = {};
  close(fd[0]);
  waitpid(pid, nullptr, 0);
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_job_cost FILE.yaml [--cap K]\n");
    return 2;
  }
  int cap = 0;
  for (int i = 2; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--cap") cap = std::atoi(argv[i + 1]);
  }
  absl::StatusOr<sweep::spec::SweepSpec> spec = sweep::spec::LoadSweepFile(argv[1]);
  if (!spec.ok()) {
    std::fprintf(stderr, "%s\n", spec.status().ToString().c_str());
    return 1;
  }
  std::vector<sweep::JobConfig> shapes;
  for (sweep::JobConfig c : spec->jobs) {
    c.seed = 0;
    if (cap > 0) {
      c.steps = std::min(c.steps, cap), c.K1 = std::min(c.K1, cap);
      c.eval_tasks = std::min(c.eval_tasks, 200);
    }
    if (std::find(shapes.begin(), shapes.end(), c) == shapes.end()) shapes.push_back(c);
  }
  const sweep::numerics::CostRates rates = sweep::numerics::DefaultRates();
  std::printf("%s: %zu jobs, %zu distinct shapes%s\n", spec->name.c_str(), spec->jobs.size(),
              shapes.size(), cap > 0 ? " (steps and K1 capped)" : "");
  std::printf("%-13s %5s %5s %5s %5s  %9s %9s %6s  %9s %9s %6s\n", "model", "d", "r", "N", "D",
              "cpu s", "est s", "ratio", "peak MB", "est MB", "ratio");
  for (const sweep::JobConfig& c : shapes) {
    const Measured m = RunInChild(c);
    const double est_s = sweep::numerics::EstimateJobSeconds(c, rates).value_or(-1);
    const double est_b = double(sweep::numerics::EstimateJobBytes(c).value_or(-1));
    std::printf("%-13s %5d %5d %5d %5d  %9.2f %9.2f %6.2f  %9.1f %9.1f %6.2f\n",
                std::string(sweep::EnumName(c.model)).c_str(), c.d, c.r, c.N, c.D, m.cpu_seconds,
                est_s, est_s / m.cpu_seconds, m.peak_bytes / 1e6, est_b / 1e6,
                est_b / m.peak_bytes);
    std::fflush(stdout);
  }
  return 0;
}
