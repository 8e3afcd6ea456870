// bench_fleet's measuring instruments (bench/bench_fleet.cc): the coordinator under test
// as a child process, its /proc figures and `--stats-interval` counters, and this
// machine's single-thread SQLite commit rate, the yardstick every figure is printed
// against.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sweep::bench {

// Prints `what` and exits 2.
[[noreturn]] void Die(const std::string& what);

// One-row INSERT transactions on a fresh file at `path` with sweepd's pragmas (WAL,
// synchronous=FULL) for about a second; the file is removed afterwards.
double SqliteCommitRate(const std::string& path);

struct SweepdFlags {
  std::string sweepd;  // the binary
  int flush_ms = 1000;
  int lease_ttl_ms = 30000;
};

struct Child {
  pid_t pid = -1;
  std::string address;   // from sweepd's "listening on HOST:PORT" line
  std::string log_path;  // its stderr (logs, `stats:` lines)
};

// Starts sweepd on 127.0.0.1:0 with `db`, the two tokens in its environment and stats
// every second; returns once it listens.
Child StartSweepd(const SweepdFlags& flags, const std::string& db,
                  const std::string& client_token, const std::string& worker_token);

// /proc/PID: CPU seconds (user + system); a `status` field (VmRSS, VmHWM) in MB.
double ProcCpuSeconds(pid_t pid);
double ProcStatusMb(pid_t pid, const std::string& key);

// The last `stats:` line of sweepd's log as name -> value, and one value (0 if absent).
std::vector<std::pair<std::string, int64_t>> LastStats(const std::string& log_path);
int64_t Stat(const std::vector<std::pair<std::string, int64_t>>& stats, const std::string& k);

}  // namespace sweep::bench
