// `sweep launch` flags and dispatch (see launch_cli.h).
#include "client/launch_cli.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace sweep::client {
namespace {

void AddSlurmCommand(CLI::App& launch, LaunchArgs& args) {
  SlurmLaunchOptions& o = args.slurm;
  auto* slurm = launch.add_subcommand("slurm", "submit K workers as one SLURM job array");
  slurm->add_option("--workers", o.workers, "array tasks, one worker each")->required();
  slurm->add_option("--cpus-per-worker", o.cpus_per_worker, "CPUs per task = worker slots")
      ->capture_default_str();
  slurm->add_option("--time", o.time, "time limit per task (sbatch --time)");
  slurm->add_option("--partition", o.partition, "SLURM partition (default: the cluster's)");
  slurm->add_option("--account", o.account, "SLURM account to charge");
  slurm->add_option("--sbatch-arg", o.sbatch_args,
                    "extra sbatch option, --flag=value (repeatable)");
  slurm->add_option("--coordinator-for-workers", args.coordinator_for_workers,
                    "HOST:PORT the compute nodes dial (default: --coordinator)");
  slurm
      ->add_option("--exit-when-idle", o.exit_when_idle_s,
                   "workers exit after SECONDS without a job")
      ->capture_default_str();
  slurm->add_option("--worker-binary", o.worker_binary,
                    "sweep-worker on the compute nodes (default: next to this sweep)");
  slurm->add_option("--worker-token-file", o.worker_token_file,
                    "passed to each worker as --token-file");
  slurm->add_option("--tls-ca", o.tls_ca, "passed to each worker as --tls-ca");
  slurm->add_option("--job-name", o.job_name, "SLURM job name")->capture_default_str();
  slurm->add_option("--output", o.output, "per-task log file (sbatch patterns)")
      ->capture_default_str();
  slurm->add_flag("--dry-run", args.dry_run, "print the batch script, submit nothing");
}

}  // namespace

void AddLaunchCommands(CLI::App& app, LaunchArgs& args) {
  auto* launch = app.add_subcommand("launch", "start workers through a cluster manager");
  launch->require_subcommand(1);
  AddSlurmCommand(*launch, args);
  auto* cancel = launch->add_subcommand("cancel", "end a launched SLURM job array (scancel)");
  cancel->add_option("JOBID", args.job_id, "what `sweep launch slurm` printed")->required();
  cancel->add_flag("--kill", args.kill,
                   "SIGKILL the workers (their jobs return when the leases expire)");
}

absl::Status RunLaunch(const std::string& command, LaunchArgs args, const std::string& coordinator,
                       std::ostream& out, std::ostream& err) {
  if (command == "launch cancel") {
    return CancelSlurmJob(args.job_id, args.kill, args.slurm.scancel, err);
  }
  if (command != "launch slurm") {
    return absl::InvalidArgumentError(absl::StrCat("unknown command \"", command, "\""));
  }
  SlurmLaunchOptions& o = args.slurm;
  o.coordinator = args.coordinator_for_workers.empty() ? coordinator : args.coordinator_for_workers;
  if (o.worker_binary.empty()) o.worker_binary = DefaultWorkerBinary();
  if (args.coordinator_for_workers.empty() &&
      (absl::StartsWith(o.coordinator, "127.") || absl::StartsWith(o.coordinator, "localhost:"))) {
    err << "note: workers dial " << o.coordinator
        << ", which is each compute node itself; give --coordinator-for-workers HOST:PORT "
           "unless sweepd runs on every node\n";
  }
  return LaunchSlurm(o, args.dry_run, out, err);
}

}  // namespace sweep::client
