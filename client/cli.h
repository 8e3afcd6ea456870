// The `sweep` command line (CLI11): subcommands and flags bound to CliArgs, and the
// dispatch from a parsed command line to commands.h / local.h. Split from main.cc so
// that tests parse argument vectors without running anything.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "client/commands.h"
#include "client/estimate.h"
#include "client/launch_cli.h"
#include "client/local.h"

namespace sweep::client {

struct CliArgs {
  std::string coordinator = "127.0.0.1:7070";  // --coordinator, env SWEEP_COORDINATOR
  // The client token and TLS files (README.md "Security"); the token is resolved only
  // for commands that call the coordinator.
  std::string token_file, tls_ca, tls_cert, tls_key;
  std::string db;         // query commands: read this results file, no coordinator
  std::string file;       // submit / local / predict (the checkpoint)
  bool wait = false;      // submit / status
  bool no_cache = false;  // submit / local
  bool fail_fast = false;  // submit / local
  std::string sweep;      // id or name
  std::string state;      // jobs --state
  std::vector<std::string> where;
  std::string group_by;
  std::string format = "table";
  int workers = 0;      // local --workers (0: one per hardware thread)
  std::vector<std::string> allow_exec;  // local --allow-exec NAME=PATH (docs/exec.md)
  int64_t job_id = 0;   // export JOB
  std::string out;      // export --out FILE
  std::string prompts;  // predict PROMPTS.json (the checkpoint file is `file`)
  // plot (the output file is `out`; see client/plot.h)
  std::string plot_x = "n", plot_y = "nmse", color, facet, band = "se", size = "900x600";
  std::string script, title, ylim;
  bool logx = false, logy = false;
  std::string kinds = "error,lost";  // retry --kind
  bool fit = false;              // results --fit (client/fit.h)
  std::string fit_range = "1:";  // results --fit-range LO:HI
  double eps = 0.5;              // results --eps (n_at_eps of the fit)
  bool calibrate = false;                       // estimate --calibrate
  std::string rates_file = "sweep-rates.json";  // estimate --rates
  LaunchArgs launch;                            // launch slurm | cancel
  int64_t verify_sample = 5;                    // verify --sample
  uint64_t verify_seed = 0;                     // verify --seed
  bool verify_show = false;                     // verify --show
  bool no_wait = false;                         // verify --no-wait
};

// Declares every subcommand on `app`, bound to `args`. `env_coordinator` (the value of
// SWEEP_COORDINATOR, may be null) becomes the --coordinator default.
void BuildCli(CLI::App& app, CliArgs& args, const char* env_coordinator);

// The name of the subcommand that was parsed ("" if none), with its own subcommand for
// commands that have them ("launch slurm").
std::string ParsedCommand(const CLI::App& app);

// Runs the parsed subcommand; returns the process exit code (0 ok, 1 error, printed on
// `err` with the command's name).
int RunCli(const CLI::App& app, const CliArgs& args, std::ostream& out, std::ostream& err);

}  // namespace sweep::client
