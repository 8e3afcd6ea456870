// `sweep local` (see local.h).
#include "client/local.h"

#include <filesystem>
#include <system_error>
#include <thread>

#include "absl/strings/str_cat.h"
#include "client/commands.h"
#include "client/rpc_backend.h"
#include "common/display_text.h"
#include "common/spec/sweep_spec.h"
#include "common/status.h"
#include "server/server_runner.h"
#include "worker/numerics/cost_model.h"
#include "worker/worker.h"

namespace sweep::client {

namespace {

// The SQLite file and its companions (WAL, shared memory, rollback journal).
void RemoveDatabase(const std::string& db) {
  std::error_code ignored;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::filesystem::remove(db + suffix, ignored);
  }
}

// Waits for the submitted sweep with progress on `err`, prints the results table on `out`.
absl::Status WaitAndPrint(RpcBackend& rpc, const SubmitOutcome& outcome, const std::string& name,
                          const LocalArgs& args, std::ostream& out, std::ostream& err) {
  err << "sweep " << outcome.sweep_id << " \"" << EscapeForDisplay(name)
      << "\": " << outcome.jobs_total << " jobs (" << outcome.jobs_cached << " cached), db "
      << args.db << "\n";
  SWEEP_ASSIGN_OR_RETURN(SweepSummary summary,
                         WaitForSweep(rpc, outcome.sweep_id, err, std::chrono::milliseconds(200)));
  QueryArgs query;
  query.sweep = std::to_string(outcome.sweep_id);
  query.format = args.format;
  SWEEP_RETURN_IF_ERROR(CmdResults(rpc, query, out));
  return AllSucceeded(summary);
}

// The in-process workers are the only ones: an exec job none of them allows would wait
// in the queue for ever.
absl::Status CheckExecAllowed(const spec::SweepSpec& sweep, const worker::ExecAllowlist& allow) {
  for (const JobConfig& job : sweep.jobs) {
    if (job.model == ModelKind::kExec && !allow.contains(job.exec)) {
      return absl::InvalidArgumentError(
          absl::StrCat("exec: \"", EscapeForDisplay(job.exec),
                       "\" is not allowed here (sweep local --allow-exec ",
                       EscapeForDisplay(job.exec), "=PATH)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status RunLocal(const LocalArgs& args, std::ostream& out, std::ostream& err) {
  // Parse first (and only here): a bad file should not even create the DB.
  SWEEP_ASSIGN_OR_RETURN(spec::SweepSpec sweep, spec::LoadSweepFile(args.file));
  worker::WorkerOptions worker_options;
  worker_options.coordinator = "127.0.0.1:0";  // the real address is known once started
  worker_options.slots = args.workers > 0
                             ? args.workers
                             : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  // Worker::Run would refuse bad options only on its thread, leaving the sweep queued
  // and the wait below spinning for ever; refuse them here, before the DB exists.
  if (absl::Status s = worker_options.Validate(); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--workers: ", std::string(s.message())));
  }
  SWEEP_ASSIGN_OR_RETURN(worker_options.allow_exec, worker::ParseAllowExec(args.allow_exec));
  SWEEP_RETURN_IF_ERROR(CheckExecAllowed(sweep, worker_options.allow_exec));
  server::ServerOptions server_options;
  server_options.listen = "127.0.0.1:0";
  // Tokens that only this process knows: other users of the machine can reach the
  // loopback port but not call it (README.md "Security").
  server_options.auth = server::ServerAuth::WithRandomTokens();
  worker_options.auth.token = server_options.auth.worker_token;
  server_options.coordinator.db_path = args.db;
  server_options.coordinator.job_cost = numerics::ExpectedJobSeconds;
  // A database this run creates is removed again if the sweep is refused before it is
  // stored: a refused file leaves nothing behind. One that existed is never removed.
  const bool db_existed = std::filesystem::exists(args.db);
  auto server = server::SweepServer::Start(server_options, SystemClock::Get());
  if (!server.ok()) {
    if (!db_existed) RemoveDatabase(args.db);
    return server.status();
  }
  const std::string name = sweep.name;
  NewSweep submitted = server::NewSweepFromSpec(NewRequestId(), std::move(sweep), args.use_cache);
  submitted.fail_fast = args.fail_fast;
  absl::StatusOr<SubmitOutcome> outcome = (*server)->coordinator().Submit(submitted);
  if (!outcome.ok()) {
    (*server)->Shutdown();
    if (!db_existed) RemoveDatabase(args.db);
    return outcome.status();
  }

  worker_options.coordinator = (*server)->address();
  worker::Worker worker(worker_options, worker::MakeRunJobRunner());
  std::jthread worker_thread([&worker] { (void)worker.Run(); });

  rpc::ChannelAuth client_auth;
  client_auth.token = server_options.auth.client_token;
  RpcBackend rpc((*server)->address(), client_auth);
  absl::Status s = WaitAndPrint(rpc, *outcome, name, args, out, err);
  worker.Stop();
  worker_thread.join();
  (*server)->Shutdown();
  return s;
}

}  // namespace sweep::client
