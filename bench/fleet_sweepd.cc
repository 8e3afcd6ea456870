// bench_fleet's measuring instruments (see fleet_sweepd.h).
#include "bench/fleet_sweepd.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "storage/sqlite.h"

namespace sweep::bench {

using SteadyClock = std::chrono::steady_clock;

void Die(const std::string& what) {
  std::fprintf(stderr, "bench_fleet: %s\n", what.c_str());
  std::exit(2);
}

// ---- this machine's yardstick: single-thread SQLite commits per second ----

// One-row INSERT transactions on a fresh file with sweepd's pragmas (WAL,
// synchronous=FULL) for about a second: each is one fsync of the WAL.
double SqliteCommitRate(const std::string& path) {
  auto conn = sweep::storage::Connection::Open(path, /*read_only=*/false);
  if (!conn.ok()) Die(conn.status().ToString());
  auto& c = **conn;
  if (!c.Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
              " CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER)")
           .ok()) {
    Die("commit-rate table");
  }
  const auto start = SteadyClock::now();
  int n = 0;
  while (SteadyClock::now() - start < std::chrono::seconds(1) || n < 50) {
    if (!c.Exec("BEGIN IMMEDIATE; INSERT INTO t(v) VALUES (1); COMMIT").ok()) Die("commit");
    ++n;
  }
  const double s = std::chrono::duration<double>(SteadyClock::now() - start).count();
  conn->reset();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  return n / s;
}

// ---- sweepd as a child process ----

Child StartSweepd(const SweepdFlags& a, const std::string& db, const std::string& client_token,
                  const std::string& worker_token) {
  Child child;
  child.log_path = db + ".log";
  int out[2];
  if (pipe(out) != 0) Die("pipe");
  const std::vector<std::string> argv = {a.sweepd,
                                         "--listen",
                                         "127.0.0.1:0",
                                         "--db",
                                         db,
                                         "--stats-interval",
                                         "1",
                                         "--heartbeat-flush-ms",
                                         std::to_string(a.flush_ms),
                                         "--lease-ttl-ms",
                                         std::to_string(a.lease_ttl_ms)};
  child.pid = fork();
  if (child.pid < 0) Die("fork");
  if (child.pid == 0) {
    // Only async-signal-safe calls until exec: the parent has threads.
    dup2(out[1], 1);
    const int err = open(child.log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (err >= 0) dup2(err, 2);
    close(out[0]);
    std::vector<char*> args;
    for (const std::string& s : argv) args.push_back(const_cast<char*>(s.c_str()));
    args.push_back(nullptr);
    setenv("SWEEP_CLIENT_TOKEN", client_token.c_str(), 1);
    setenv("SWEEP_WORKER_TOKEN", worker_token.c_str(), 1);
    execv(args[0], args.data());
    _exit(127);
  }
  close(out[1]);
  // "listening on HOST:PORT" is sweepd's first line on stdout (server/main.cc).
  std::string line;
  char ch;
  while (read(out[0], &ch, 1) == 1 && ch != '\n') line += ch;
  close(out[0]);
  const std::string prefix = "listening on ";
  if (line.rfind(prefix, 0) != 0) Die("sweepd did not start; see " + child.log_path);
  child.address = line.substr(prefix.size());
  return child;
}

// /proc/PID figures: CPU seconds (user + system) and resident memory (now, peak) in MB.
double ProcCpuSeconds(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const size_t close_paren = s.rfind(')');
  if (close_paren == std::string::npos) return 0;
  std::istringstream rest(s.substr(close_paren + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; rest >> field; ++i) {  // fields counted from 1, state is 3
    if (i == 14) utime = std::stod(field);
    if (i == 15) {
      stime = std::stod(field);
      break;
    }
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double ProcStatusMb(pid_t pid, const std::string& key) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind(key + ":", 0) == 0) return std::stod(line.substr(key.size() + 1)) / 1024.0;
  }
  return 0;
}

// The last `stats:` line of sweepd's log: name -> value.
std::vector<std::pair<std::string, int64_t>> LastStats(const std::string& log_path) {
  std::ifstream f(log_path);
  std::string line, last;
  while (std::getline(f, line)) {
    if (line.find("stats: ") != std::string::npos) last = line;
  }
  std::vector<std::pair<std::string, int64_t>> out;
  std::istringstream words(last.substr(std::min(last.size(), last.find("stats: ") + 7)));
  std::string w;
  while (words >> w) {
    const size_t eq = w.find('=');
    if (eq != std::string::npos) out.emplace_back(w.substr(0, eq), std::stoll(w.substr(eq + 1)));
  }
  return out;
}

int64_t Stat(const std::vector<std::pair<std::string, int64_t>>& stats, const std::string& k) {
  for (const auto& [name, v] : stats)
    if (name == k) return v;
  return 0;
}

}  // namespace sweep::bench
