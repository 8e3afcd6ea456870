// sweep-worker: runs jobs for a coordinator. Parses flags (env SWEEP_COORDINATOR), runs
// Worker until SIGTERM/SIGINT, then drains (stop leasing, finish or hand back).
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <thread>

#include "CLI/CLI.hpp"
#include "common/logging.h"
#include "common/token_file.h"
#include "rpc/channel.h"
#include "spdlog/spdlog.h"
#include "worker/worker.h"

namespace {

int g_signal_pipe[2] = {-1, -1};

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

// The SLURM job this worker runs in, as sbatch's environment tells it (empty elsewhere).
sweep::SlurmTask SlurmFromEnvironment() {
  return sweep::SlurmTask{Env("SLURM_JOB_ID"), Env("SLURM_ARRAY_JOB_ID"),
                          Env("SLURM_ARRAY_TASK_ID")};
}

void OnSignal(int) {
  const char byte = 1;
  [[maybe_unused]] ssize_t n = write(g_signal_pipe[1], &byte, 1);  // async-signal-safe
}

}  // namespace

int main(int argc, char** argv) {
  sweep::worker::WorkerOptions options;
  if (const char* env = std::getenv("SWEEP_COORDINATOR")) options.coordinator = env;
  int64_t heartbeat_ms = 0, grace_ms = 0;
  CLI::App app{"sweep-worker: runs sweep jobs leased from sweepd"};
  app.add_option("--coordinator", options.coordinator, "HOST:PORT (env SWEEP_COORDINATOR)")
      ->capture_default_str();
  app.add_option("--slots", options.slots, "jobs run at once")->capture_default_str();
  app.add_option("--cores", options.cores,
                 "cores the slots share; a job takes its `threads` of them (0: all)")
      ->capture_default_str();
  app.add_option("--memory-mb", options.memory_mb,
                 "refuse a job whose memory estimate exceeds this (0: physical memory)")
      ->capture_default_str();
  app.add_option("--heartbeat-ms", heartbeat_ms, "heartbeat period (0: lease ttl / 3)");
  app.add_option("--drain-grace-ms", grace_ms, "on SIGTERM, time a job may still finish");
  app.add_option("--worker-id", options.worker_id, "default: host-pid-random");
  double idle_s = 0;
  app.add_option("--exit-when-idle", idle_s,
                 "exit 0 after SECONDS with no job to run (0: never); ends batch allocations")
      ->check(CLI::NonNegativeNumber);
  // docs/design.md section 6.5; README.md "Security".
  std::string token_file, tls_ca, tls_cert, tls_key;
  app.add_option("--token-file", token_file,
                 "worker token (env SWEEP_WORKER_TOKEN or SWEEP_WORKER_TOKEN_FILE; default "
                 "~/.config/sweep/worker-token if it exists)");
  app.add_option("--tls-ca", tls_ca, "TLS: CA of the coordinator's certificate (PEM)");
  app.add_option("--tls-cert", tls_cert, "mutual TLS: this worker's certificate (PEM)");
  app.add_option("--tls-key", tls_key, "mutual TLS: its private key (PEM)");
  std::vector<std::string> allow_exec;
  app.add_option("--allow-exec", allow_exec,
                 "NAME=PATH: run `model: exec` jobs named NAME with the program PATH "
                 "(repeatable; docs/exec.md). Without it no exec job is leased here");
  CLI11_PARSE(app, argc, argv);
  options.heartbeat = std::chrono::milliseconds(heartbeat_ms);
  options.drain_grace = std::chrono::milliseconds(grace_ms);
  options.exit_when_idle = std::chrono::milliseconds(static_cast<int64_t>(idle_s * 1000));
  options.slurm = SlurmFromEnvironment();
  sweep::InitLogging();
  auto allowed = sweep::worker::ParseAllowExec(allow_exec);
  if (!allowed.ok()) {
    spdlog::error("sweep-worker: {}", allowed.status().ToString());
    return 1;
  }
  options.allow_exec = *std::move(allowed);
  auto token = sweep::ResolveToken(token_file, "SWEEP_WORKER_TOKEN", "SWEEP_WORKER_TOKEN_FILE",
                                   sweep::DefaultTokenPath("worker-token"));
  absl::Status auth = token.status();
  if (token.ok()) {
    options.auth.token = *token;
    auth = sweep::rpc::LoadTlsFiles(tls_ca, tls_cert, tls_key, options.auth);
  }
  if (!auth.ok()) {
    spdlog::error("sweep-worker: {}", auth.ToString());
    return 1;
  }

  if (pipe(g_signal_pipe) != 0) return 1;
  signal(SIGTERM, OnSignal);
  signal(SIGINT, OnSignal);
  signal(SIGPIPE, SIG_IGN);
  sweep::worker::Worker worker(options, sweep::worker::MakeRunJobRunner());
  std::thread watcher([&worker] {
    char byte;
    while (read(g_signal_pipe[0], &byte, 1) < 0 && errno == EINTR) {
    }
    worker.Stop();
  });
  absl::Status s = worker.Run();
  // Wake the watcher if Run ended on its own (invalid options).
  OnSignal(0);
  watcher.join();
  if (!s.ok()) spdlog::error("sweep-worker: {}", s.ToString());
  return s.ok() ? 0 : 1;
}
