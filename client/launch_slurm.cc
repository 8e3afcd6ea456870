// `sweep launch slurm` (see launch_slurm.h): validation, the batch script, sbatch and
// scancel.
#include "client/launch_slurm.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/subprocess.h"
#include "common/build_info.h"

namespace sweep::client {
namespace {

bool HasControl(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](unsigned char c) { return std::iscntrl(c); });
}

bool HasSpace(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); });
}

// A value that becomes one word of an #SBATCH line: no spaces, no line breaks.
absl::Status CheckWord(const char* flag, const std::string& value) {
  if (HasSpace(value) || HasControl(value)) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": \"", absl::CEscape(value), "\" contains whitespace"));
  }
  return absl::OkStatus();
}

absl::Status CheckSbatchArg(const std::string& arg) {
  if (arg.empty() || arg[0] != '-' || HasControl(arg)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--sbatch-arg: \"", absl::CEscape(arg),
                     "\" is not one sbatch option (write it as --flag=value, one per "
                     "--sbatch-arg)"));
  }
  if (absl::StartsWith(arg, "--array") || absl::StartsWith(arg, "-a")) {
    return absl::InvalidArgumentError(
        absl::StrCat("--sbatch-arg: \"", arg, "\": the array is set by --workers"));
  }
  return absl::OkStatus();
}

// Quotes `s` for a POSIX shell: single quotes, with each ' written as '\''.
std::string ShellQuote(const std::string& s) {
  const bool plain = !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) || std::string_view("_-./:=@%+,").find(c) != std::string_view::npos;
  });
  if (plain) return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string ToolMessage(const ProgramOutput& run) {
  std::string text(absl::StripAsciiWhitespace(run.err));
  if (text.empty()) text = std::string(absl::StripAsciiWhitespace(run.out));
  return text.empty() ? "" : absl::StrCat(": ", text);
}

// Runs a SLURM client tool; FAILED_PRECONDITION when it is missing or fails.
absl::StatusOr<ProgramOutput> RunSlurmTool(const std::vector<std::string>& argv,
                                           const std::string& input) {
  absl::StatusOr<ProgramOutput> run = RunProgram(argv, input);
  if (absl::IsNotFound(run.status())) {
    return absl::FailedPreconditionError(
        absl::StrCat(argv[0],
                     " not found on PATH: sweep launch slurm runs SLURM's own tools; run it on a "
                     "machine of the cluster (a login node) or install the SLURM client (Debian: "
                     "slurm-client)"));
  }
  if (!run.ok()) return run.status();
  if (run->exit_status != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(argv[0], " failed (exit status ", run->exit_status, ")", ToolMessage(*run)));
  }
  return run;
}

}  // namespace

absl::Status SlurmLaunchOptions::Validate() const {
  if (workers < 1 || workers > kMaxSlurmWorkers) {
    return absl::InvalidArgumentError(
        absl::StrCat("--workers: ", workers, " (must be 1..", kMaxSlurmWorkers, ")"));
  }
  if (cpus_per_worker < 1 || cpus_per_worker > 1024) {
    return absl::InvalidArgumentError(
        absl::StrCat("--cpus-per-worker: ", cpus_per_worker, " (must be 1..1024)"));
  }
  if (!(exit_when_idle_s >= 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--exit-when-idle: ", exit_when_idle_s, " (must be >= 0 seconds)"));
  }
  const size_t colon = coordinator.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == coordinator.size() ||
      HasSpace(coordinator) || HasControl(coordinator)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--coordinator-for-workers: \"", absl::CEscape(coordinator), "\" is not HOST:PORT"));
  }
  for (const auto& [flag, value] : {std::pair<const char*, const std::string&>{"--time", time},
                                    {"--partition", partition},
                                    {"--account", account},
                                    {"--job-name", job_name},
                                    {"--output", output}}) {
    if (absl::Status s = CheckWord(flag, value); !s.ok()) return s;
  }
  for (const std::string& arg : sbatch_args) {
    if (absl::Status s = CheckSbatchArg(arg); !s.ok()) return s;
  }
  for (const auto& [flag, value] :
       {std::pair<const char*, const std::string&>{"--worker-binary", worker_binary},
        {"--worker-token-file", worker_token_file},
        {"--tls-ca", tls_ca}}) {
    if (HasControl(value)) {
      return absl::InvalidArgumentError(absl::StrCat(flag, ": contains a control character"));
    }
  }
  if (worker_binary.empty()) return absl::InvalidArgumentError("--worker-binary: empty");
  return absl::OkStatus();
}

std::string SlurmBatchScript(const SlurmLaunchOptions& o) {
  std::string s = absl::StrCat(
      "#!/bin/bash\n"
      "# sweep workers as one SLURM job array, written by `sweep launch slurm` (build ",
      BuildVersion(),
      ").\n"
      "# Each array task runs one sweep-worker with ",
      o.cpus_per_worker, " slot", o.cpus_per_worker == 1 ? "" : "s",
      " (one per CPU); it leases jobs from the coordinator\n"
      "# and exits by itself after ",
      o.exit_when_idle_s,
      " s without a job, so the allocation ends with the sweep.\n"
      "# Edit freely and submit with `sbatch FILE`; end the workers with `scancel JOBID`.\n");
  auto sbatch = [&s](const std::string& line) { absl::StrAppend(&s, "#SBATCH ", line, "\n"); };
  sbatch(absl::StrCat("--job-name=", o.job_name));
  sbatch(absl::StrCat("--array=0-", o.workers - 1));
  sbatch("--ntasks=1");
  sbatch(absl::StrCat("--cpus-per-task=", o.cpus_per_worker));
  if (!o.time.empty()) sbatch(absl::StrCat("--time=", o.time));
  if (!o.partition.empty()) sbatch(absl::StrCat("--partition=", o.partition));
  if (!o.account.empty()) sbatch(absl::StrCat("--account=", o.account));
  sbatch(absl::StrCat("--output=", o.output));
  for (const std::string& arg : o.sbatch_args) sbatch(arg);
  absl::StrAppend(&s,
                  "\n# The coordinator (sweepd --listen) as the compute nodes reach it.\n"
                  "COORDINATOR=",
                  ShellQuote(o.coordinator), "\n\n",
                  "# exec: scancel's SIGTERM reaches the worker, which hands its jobs back.\n",
                  "exec ", ShellQuote(o.worker_binary), " \\\n",
                  "  --coordinator \"$COORDINATOR\" \\\n", "  --slots ", o.cpus_per_worker, " \\\n",
                  "  --exit-when-idle ", o.exit_when_idle_s);
  if (!o.worker_token_file.empty()) {
    absl::StrAppend(&s, " \\\n  --token-file ", ShellQuote(o.worker_token_file));
  }
  if (!o.tls_ca.empty()) absl::StrAppend(&s, " \\\n  --tls-ca ", ShellQuote(o.tls_ca));
  return s + "\n";
}

absl::StatusOr<std::string> ParseSbatchJobId(const std::string& output) {
  std::string id(absl::StripAsciiWhitespace(output));
  id = id.substr(0, id.find_first_of(";\n"));
  if (id.empty() ||
      !std::all_of(id.begin(), id.end(), [](unsigned char c) { return std::isdigit(c); })) {
    return absl::InternalError(
        absl::StrCat("sbatch printed no job id: \"", absl::CEscape(output), "\""));
  }
  return id;
}

absl::Status LaunchSlurm(const SlurmLaunchOptions& options, bool dry_run, std::ostream& out,
                         std::ostream& err) {
  if (absl::Status s = options.Validate(); !s.ok()) return s;
  const std::string script = SlurmBatchScript(options);
  if (dry_run) {
    out << script;
    return absl::OkStatus();
  }
  absl::StatusOr<ProgramOutput> run = RunSlurmTool({options.sbatch, "--parsable"}, script);
  if (!run.ok()) return run.status();
  absl::StatusOr<std::string> job = ParseSbatchJobId(run->out);
  if (!job.ok()) return job.status();
  out << *job << "\n";
  err << "submitted SLURM job array " << *job << ": " << options.workers << " worker"
      << (options.workers == 1 ? "" : "s") << " x " << options.cpus_per_worker << " slot"
      << (options.cpus_per_worker == 1 ? "" : "s") << ", dialing " << options.coordinator
      << "\n`sweep workers` lists them as they start; `sweep launch cancel " << *job
      << "` ends them\n";
  return absl::OkStatus();
}

absl::Status CancelSlurmJob(const std::string& job_id, bool kill, const std::string& scancel,
                            std::ostream& err) {
  const size_t underscore = job_id.find('_');
  auto digits = [](std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
  };
  if (!digits(std::string_view(job_id).substr(0, underscore)) ||
      (underscore != std::string::npos && !digits(job_id.substr(underscore + 1)))) {
    return absl::InvalidArgumentError(absl::StrCat("JOBID: \"", absl::CEscape(job_id),
                                                   "\" is not a SLURM job id (1234 or 1234_2)"));
  }
  if (kill) {
    // SIGKILL to each task's batch process, which is the worker (the script execs it).
    // `--batch`: with `--full`, slurmstepd turns KILL into its usual SIGTERM-then-KILL
    // cancel, and the workers would hand their jobs back. The plain scancel below then
    // ends the array, pending tasks included. A signal step that finds nothing running
    // fails harmlessly, so only a missing scancel counts here.
    absl::StatusOr<ProgramOutput> run =
        RunSlurmTool({scancel, "--batch", "--signal=KILL", job_id}, "");
    if (!run.ok() && absl::StrContains(run.status().message(), "not found on PATH")) {
      return run.status();
    }
  }
  absl::StatusOr<ProgramOutput> run = RunSlurmTool({scancel, job_id}, "");
  if (!run.ok()) return run.status();
  err << "cancelled SLURM job " << job_id
      << (kill ? " (killed: its jobs are requeued when their leases expire)"
               : " (its workers hand their jobs back)")
      << "\n";
  return absl::OkStatus();
}

std::string DefaultWorkerBinary() {
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const std::filesystem::path sibling = self.parent_path() / "sweep-worker";
    if (std::filesystem::exists(sibling, ec)) return sibling.string();
  }
  return "sweep-worker";
}

}  // namespace sweep::client
