// The `sweep` subcommands (see commands.h).
#include "client/commands.h"

#include <random>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "client/progress.h"
#include "common/spec/sweep_spec.h"
#include "common/status.h"

namespace sweep::client {

absl::StatusOr<ResultsQuery> MakeQuery(int64_t sweep_id, const QueryArgs& args) {
  ResultsQuery q;
  q.sweep_id = sweep_id;
  for (const std::string& w : args.where) {
    const size_t eq = w.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::InvalidArgumentError(absl::StrCat("--where: \"", w, "\" is not key=value"));
    }
    q.where[w.substr(0, eq)] = w.substr(eq + 1);
  }
  for (absl::string_view k : absl::StrSplit(args.group_by, ',', absl::SkipWhitespace())) {
    q.group_by.emplace_back(absl::StripAsciiWhitespace(k));
  }
  return q;
}

std::string NewRequestId() {
  std::random_device rd;
  std::mt19937_64 rng((uint64_t{rd()} << 32) ^ rd());
  const uint64_t hi = (rng() & ~uint64_t{0xf000}) | 0x4000;                  // version 4
  const uint64_t lo = (rng() & ~(uint64_t{3} << 62)) | (uint64_t{2} << 62);  // variant 10
  return absl::StrFormat("%08x-%04x-%04x-%04x-%012x", hi >> 32, (hi >> 16) & 0xffff, hi & 0xffff,
                         lo >> 48, lo & 0xffffffffffffULL);
}

absl::StatusOr<SweepSummary> WaitForSweep(Backend& backend, int64_t sweep_id, std::ostream& err,
                                          std::chrono::milliseconds poll) {
  std::string last;
  while (true) {
    SWEEP_ASSIGN_OR_RETURN(SweepSummary s, backend.GetSweep(sweep_id));
    std::string line = FormatProgress(s, std::chrono::system_clock::now());
    // Only changes are printed, so that a log file does not fill with identical lines.
    if (line.substr(0, line.find(" rate=")) != last.substr(0, last.find(" rate="))) {
      err << line << "\n" << std::flush;
      last = line;
    }
    if (SweepDone(s)) return s;
    std::this_thread::sleep_for(poll);
  }
}

absl::Status AllSucceeded(const SweepSummary& s) {
  if (s.failed == 0 && s.cancelled == 0) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat("sweep ", s.sweep_id, ": ", s.failed,
                                                    " failed, ", s.cancelled, " cancelled jobs"));
}

absl::StatusOr<SubmitReply> SubmitFile(RpcBackend& rpc, const std::string& file, bool use_cache,
                                       bool fail_fast) {
  // Parsed here only to refuse a bad file before any RPC; the server parses what it gets.
  SWEEP_ASSIGN_OR_RETURN(const spec::SweepSpec spec, spec::LoadSweepFile(file));
  return rpc.Submit(NewRequestId(), spec.text, spec.source_name, use_cache, fail_fast);
}

absl::Status CmdSubmit(RpcBackend& rpc, const std::string& file, bool wait, bool use_cache,
                       bool fail_fast, std::ostream& out, std::ostream& err) {
  SWEEP_ASSIGN_OR_RETURN(SubmitReply reply, SubmitFile(rpc, file, use_cache, fail_fast));
  out << absl::StrFormat("sweep %d \"%s\": %d jobs (%d cached)%s\n", reply.outcome.sweep_id,
                         reply.name, reply.outcome.jobs_total, reply.outcome.jobs_cached,
                         reply.outcome.existing ? " (already submitted)" : "");
  if (!wait) return absl::OkStatus();
  SWEEP_ASSIGN_OR_RETURN(SweepSummary s, WaitForSweep(rpc, reply.outcome.sweep_id, err,
                                                      std::chrono::milliseconds(500)));
  return AllSucceeded(s);
}

absl::Status CmdStatus(Backend& backend, const std::string& sweep, bool wait, std::ostream& out,
                       std::ostream& err) {
  const auto now = std::chrono::system_clock::now();
  if (sweep.empty()) {
    SWEEP_ASSIGN_OR_RETURN(auto sweeps, backend.ListSweeps());
    for (const auto& s : sweeps) out << FormatProgress(s, now) << "\n";
    return absl::OkStatus();
  }
  SWEEP_ASSIGN_OR_RETURN(int64_t id, ResolveSweep(backend, sweep));
  if (wait) {
    SWEEP_ASSIGN_OR_RETURN(SweepSummary s,
                           WaitForSweep(backend, id, err, std::chrono::milliseconds(500)));
    out << FormatProgress(s, std::chrono::system_clock::now()) << "\n";
    return AllSucceeded(s);  // as `submit --wait`: scripts can test the exit code
  }
  SWEEP_ASSIGN_OR_RETURN(SweepSummary s, backend.GetSweep(id));
  SWEEP_ASSIGN_OR_RETURN(std::vector<JobRecord> running, backend.ListJobs(id, JobState::kRunning));
  out << FormatProgress(s, now, 24, StepEtaSeconds(s, running, now)) << "\n";
  for (const JobRecord& j : running) out << FormatRunningJob(j, now) << "\n";
  if (s.adaptive_seeds) {
    SWEEP_ASSIGN_OR_RETURN(AdaptiveCellList cells, backend.AdaptiveCells(id));
    out << FormatAdaptiveCells(*s.adaptive_seeds, cells);
  }
  return absl::OkStatus();
}

absl::Status CmdJobs(Backend& backend, const std::string& sweep, const std::string& state,
                     Format format, std::ostream& out) {
  std::optional<JobState> filter;
  if (!state.empty()) {
    filter = ParseJobState(state);
    if (!filter) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--state: unknown \"", state, "\" (queued|running|succeeded|failed|cancelled)"));
    }
  }
  SWEEP_ASSIGN_OR_RETURN(int64_t id, ResolveSweep(backend, sweep));
  SWEEP_ASSIGN_OR_RETURN(auto jobs, backend.ListJobs(id, filter));
  out << FormatJobs(jobs, format);
  return absl::OkStatus();
}

absl::Status CmdResults(Backend& backend, const QueryArgs& args, std::ostream& out) {
  SWEEP_ASSIGN_OR_RETURN(int64_t id, ResolveSweep(backend, args.sweep));
  SWEEP_ASSIGN_OR_RETURN(ResultsQuery q, MakeQuery(id, args));
  SWEEP_ASSIGN_OR_RETURN(auto groups, backend.Results(q));
  out << FormatResults(groups, args.format);
  if (args.format == Format::kTable) {
    // Cells that ended short of the adaptive-seeds target are named under the table (CSV
    // and JSON stay machine-readable; `sweep status` lists every cell).
    SWEEP_ASSIGN_OR_RETURN(SweepSummary s, backend.GetSweep(id));
    if (s.adaptive_seeds) {
      SWEEP_ASSIGN_OR_RETURN(AdaptiveCellList cells, backend.AdaptiveCells(id));
      out << FormatCellsAtMax(*s.adaptive_seeds, cells);
    }
  }
  return absl::OkStatus();
}

absl::Status CmdFits(Backend& backend, const QueryArgs& args, FitRange range, double eps,
                     std::ostream& out) {
  SWEEP_ASSIGN_OR_RETURN(int64_t id, ResolveSweep(backend, args.sweep));
  SWEEP_ASSIGN_OR_RETURN(ResultsQuery q, MakeQuery(id, args));
  SWEEP_ASSIGN_OR_RETURN(auto groups, backend.Curves(q));
  std::vector<CurveFit> fits;
  for (const CurveGroup& g : groups) fits.push_back(FitCurve(g, range, eps));
  out << FormatFits(fits, args.format);
  return absl::OkStatus();
}

absl::Status CmdCurves(Backend& backend, const QueryArgs& args, std::ostream& out) {
  SWEEP_ASSIGN_OR_RETURN(int64_t id, ResolveSweep(backend, args.sweep));
  SWEEP_ASSIGN_OR_RETURN(ResultsQuery q, MakeQuery(id, args));
  SWEEP_ASSIGN_OR_RETURN(auto groups, backend.Curves(q));
  out << FormatCurves(groups, args.format);
  return absl::OkStatus();
}

absl::Status CmdCancel(RpcBackend& rpc, const std::string& sweep, std::ostream& out) {
  SWEEP_ASSIGN_OR_RETURN(int64_t id, ResolveSweep(rpc, sweep));
  SWEEP_RETURN_IF_ERROR(rpc.Cancel(id));
  out << "sweep " << id << ": cancel requested\n";
  return absl::OkStatus();
}

absl::Status CmdExtend(RpcBackend& rpc, const std::string& sweep, const std::string& file,
                       bool use_cache, std::ostream& out) {
  SWEEP_ASSIGN_OR_RETURN(int64_t id, ResolveSweep(rpc, sweep));
  SWEEP_ASSIGN_OR_RETURN(const spec::SweepSpec spec, spec::LoadSweepFile(file));
  SWEEP_ASSIGN_OR_RETURN(ExtendOutcome added, rpc.Extend(id, spec.text, spec.source_name, use_cache));
  out << "sweep " << id << ": " << added.added << " cell" << (added.added == 1 ? "" : "s")
      << " added (" << added.cached << " cached)\n";
  return absl::OkStatus();
}

absl::Status CmdControl(RpcBackend& rpc, const std::string& sweep, const std::string& action,
                        std::ostream& out) {
  SWEEP_ASSIGN_OR_RETURN(int64_t id, ResolveSweep(rpc, sweep));
  SWEEP_ASSIGN_OR_RETURN(int64_t cancelled, rpc.Control(id, action));
  if (action == "pause") {
    out << "sweep " << id << ": paused (running jobs go on; no new ones until `sweep resume`)\n";
  } else if (action == "resume") {
    out << "sweep " << id << ": resumed\n";
  } else {
    out << "sweep " << id << ": stopping: " << cancelled << " queued job"
        << (cancelled == 1 ? "" : "s") << " cancelled, running ones finish\n";
  }
  return absl::OkStatus();
}

absl::Status CmdRetry(RpcBackend& rpc, const std::string& sweep, const std::string& kinds,
                      std::ostream& out) {
  SWEEP_ASSIGN_OR_RETURN(int64_t id, ResolveSweep(rpc, sweep));
  std::vector<std::string> list;
  for (absl::string_view k : absl::StrSplit(kinds, ',', absl::SkipEmpty())) {
    list.emplace_back(absl::StripAsciiWhitespace(k));
  }
  SWEEP_ASSIGN_OR_RETURN(int64_t requeued, rpc.Retry(id, list));
  out << "sweep " << id << ": " << requeued << " failed job" << (requeued == 1 ? "" : "s")
      << " requeued\n";
  return absl::OkStatus();
}

absl::Status CmdWorkers(Backend& backend, std::ostream& out) {
  SWEEP_ASSIGN_OR_RETURN(auto workers, backend.ListWorkers());
  out << FormatWorkers(workers, std::chrono::system_clock::now());
  return absl::OkStatus();
}

}  // namespace sweep::client
