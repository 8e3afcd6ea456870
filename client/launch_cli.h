// The `sweep launch` command line: `launch slurm` and `launch cancel` (launch_slurm.h),
// kept apart from cli.cc so that cluster launchers grow in their own files.
#pragma once

#include <ostream>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "client/launch_slurm.h"

namespace sweep::client {

struct LaunchArgs {
  SlurmLaunchOptions slurm;             // bound to the flags of `launch slurm`
  std::string coordinator_for_workers;  // empty: the client's --coordinator
  bool dry_run = false;
  std::string job_id;  // launch cancel JOBID
  bool kill = false;   // launch cancel --kill
};

// Declares `launch` and its subcommands on `app`, bound to `args`.
void AddLaunchCommands(CLI::App& app, LaunchArgs& args);

// Runs "launch slurm" or "launch cancel" (`command` as ParsedCommand names it).
// `coordinator` is the client's --coordinator, what workers dial unless
// --coordinator-for-workers says otherwise.
absl::Status RunLaunch(const std::string& command, LaunchArgs args, const std::string& coordinator,
                       std::ostream& out, std::ostream& err);

}  // namespace sweep::client
