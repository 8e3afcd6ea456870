// The exec runner (see exec_runner.h).
#include "worker/exec_runner.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/display_text.h"
#include "common/exec_keys.h"
#include "common/job_keys.h"
#include "common/status.h"
#include "worker/exec_process.h"
#include "worker/exec_protocol.h"

namespace sweep::worker {
namespace {

// A fresh private directory for one job; removed when this goes out of scope.
class WorkDir {
 public:
  static absl::StatusOr<std::unique_ptr<WorkDir>> Make(const std::string& root) {
    std::error_code ec;
    std::filesystem::path base =
        root.empty() ? std::filesystem::temp_directory_path(ec) : std::filesystem::path(root);
    if (ec) base = "/tmp";
    std::string pattern = (base / "sweep-exec-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      return absl::InternalError(
          absl::StrCat("cannot make a working directory in ", base.string()));
    }
    return std::make_unique<WorkDir>(std::move(pattern));
  }
  explicit WorkDir(std::string path) : path_(std::move(path)) {}
  ~WorkDir() {
    std::error_code ec;  // best effort: a leftover directory is no reason to fail a job
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The program's whole environment: fixed, so that a job does not depend on how the
// worker was started, and never the worker's own (it may hold the worker token).
std::vector<std::string> ExecEnvironment(const JobConfig& config, const std::string& dir) {
  const std::string threads = absl::StrCat(config.threads);
  return {"PATH=/usr/local/bin:/usr/bin:/bin",
          "HOME=" + dir,
          "TMPDIR=" + dir,
          "LANG=C.UTF-8",
          "LC_ALL=C.UTF-8",
          "PYTHONUNBUFFERED=1",
          "PYTHONDONTWRITEBYTECODE=1",
          "OMP_NUM_THREADS=" + threads,
          "OPENBLAS_NUM_THREADS=" + threads,
          "MKL_NUM_THREADS=" + threads,
          "SWEEP_THREADS=" + threads,
          "SWEEP_EXEC_NAME=" + config.exec,
          "SWEEP_CONFIG_HASH=" + ConfigHash(config),
          absl::StrCat("SWEEP_EXEC_PROTOCOL=", kExecProtocolVersion)};
}

// The stderr tail as one line of valid UTF-8 (error messages travel in proto strings).
std::string TailText(const std::string& tail) {
  std::string out;
  for (absl::string_view line : absl::StrSplit(tail, '\n', absl::SkipWhitespace())) {
    if (!out.empty()) out += " | ";
    out += EscapeForDisplay(std::string_view(line.data(), line.size()));
  }
  return out;
}

class ExecRunner final : public JobRunner {
 public:
  ExecRunner(ExecAllowlist allow, std::unique_ptr<JobRunner> builtin, ExecRunnerOptions options)
      : allow_(std::move(allow)), builtin_(std::move(builtin)), options_(std::move(options)) {}

  absl::StatusOr<JobResult> Run(const JobConfig& config, const numerics::RunHooks& hooks) override {
    if (config.model != ModelKind::kExec) return builtin_->Run(config, hooks);
    const std::string who = absl::StrCat("exec \"", config.exec, "\"");
    auto it = allow_.find(config.exec);
    if (it == allow_.end()) {
      return absl::FailedPreconditionError(absl::StrCat(
          who, ": not allowed on this worker (sweep-worker --allow-exec ", config.exec, "=PATH)"));
    }
    SWEEP_ASSIGN_OR_RETURN(std::unique_ptr<WorkDir> dir, WorkDir::Make(options_.workdir_root));
    ProcessSpec spec;
    spec.path = it->second;
    spec.stdin_text = absl::StrCat("{\"config\":", CanonicalJson(config),
                                   ",\"protocol\":", kExecProtocolVersion, "}\n");
    spec.workdir = dir->path();
    spec.env = ExecEnvironment(config, dir->path());
    spec.timeout = std::chrono::seconds(config.timeout);
    ExecOutput output(hooks.on_progress);
    const auto start = std::chrono::steady_clock::now();
    ProcessOutcome run = RunProcess(spec, hooks.stop,
                                    [&output](std::string_view line) { return output.Feed(line); });
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const std::string tail =
        run.stderr_tail.empty() ? "" : absl::StrCat("; stderr: ", TailText(run.stderr_tail));
    if (absl::IsCancelled(run.status)) return run.status;  // the worker hands back or drops it
    if (absl::IsDeadlineExceeded(run.status)) {
      return absl::DeadlineExceededError(absl::StrCat(who, ": ", run.status.message(),
                                                      " (timeout: ", config.timeout,
                                                      " s); its process group was killed", tail));
    }
    if (!run.status.ok()) {
      return absl::Status(run.status.code(), absl::StrCat(who, ": ", run.status.message(), tail));
    }
    if (run.term_signal != 0) {
      return absl::AbortedError(absl::StrCat(who, ": killed by signal ", run.term_signal, tail));
    }
    if (run.exit_code != 0) {
      return absl::AbortedError(absl::StrCat(who, ": exit code ", run.exit_code, tail));
    }
    absl::StatusOr<JobResult> result = output.Finish(config);
    if (!result.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(who, ": ", result.status().message()));
    }
    if (result->train_seconds == 0 && result->eval_seconds == 0) result->train_seconds = wall;
    return result;
  }

 private:
  const ExecAllowlist allow_;
  const std::unique_ptr<JobRunner> builtin_;
  const ExecRunnerOptions options_;
};

}  // namespace

std::vector<std::string> ExecNames(const ExecAllowlist& allow) {
  std::vector<std::string> names;
  names.reserve(allow.size());
  for (const auto& [name, path] : allow) names.push_back(name);
  return names;
}

absl::StatusOr<ExecAllowlist> ParseAllowExec(const std::vector<std::string>& entries) {
  ExecAllowlist allow;
  if (entries.size() > kMaxExecNamesPerWorker) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--allow-exec: ", entries.size(), " programs (at most ", kMaxExecNamesPerWorker, ")"));
  }
  for (const std::string& entry : entries) {
    const size_t eq = entry.find('=');
    const std::string where = absl::StrCat("--allow-exec ", EscapeForDisplay(entry));
    if (eq == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": expected NAME=PATH"));
    }
    const std::string name = entry.substr(0, eq), path = entry.substr(eq + 1);
    if (!IsExecName(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": bad NAME (1..", kMaxExecNameBytes,
                       " bytes of letters, digits, '_', '.', '-', not starting with '.' or '-')"));
    }
    if (path.empty() || path[0] != '/') {
      return absl::InvalidArgumentError(absl::StrCat(where, ": PATH must be absolute"));
    }
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
        ::access(path.c_str(), X_OK) != 0) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": PATH is not an executable file"));
    }
    if (!allow.emplace(name, path).second) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": NAME given twice"));
    }
  }
  return allow;
}

std::unique_ptr<JobRunner> MakeExecRunner(ExecAllowlist allow, std::unique_ptr<JobRunner> builtin,
                                          ExecRunnerOptions options) {
  return std::make_unique<ExecRunner>(std::move(allow), std::move(builtin), std::move(options));
}

}  // namespace sweep::worker
