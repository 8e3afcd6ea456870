// `sweep local` (see local.h).
#include "client/local.h"

#include <thread>

#include "absl/strings/str_cat.h"
#include "client/commands.h"
#include "client/rpc_backend.h"
#include "common/spec/sweep_spec.h"
#include "common/status.h"
#include "server/server_runner.h"
#include "worker/worker.h"

namespace sweep::client {

namespace {

// Submits, waits with progress on `err`, prints the results table on `out`.
absl::Status RunAndPrint(RpcBackend& rpc, const LocalArgs& args, std::ostream& out,
                         std::ostream& err) {
  SWEEP_ASSIGN_OR_RETURN(SubmitReply reply, SubmitFile(rpc, args.file, args.use_cache));
  err << "sweep " << reply.outcome.sweep_id << " \"" << reply.name
      << "\": " << reply.outcome.jobs_total << " jobs (" << reply.outcome.jobs_cached
      << " cached), db " << args.db << "\n";
  SWEEP_ASSIGN_OR_RETURN(SweepSummary summary, WaitForSweep(rpc, reply.outcome.sweep_id, err,
                                                            std::chrono::milliseconds(200)));
  QueryArgs query;
  query.sweep = std::to_string(reply.outcome.sweep_id);
  query.format = args.format;
  SWEEP_RETURN_IF_ERROR(CmdResults(rpc, query, out));
  return AllSucceeded(summary);
}

}  // namespace

absl::Status RunLocal(const LocalArgs& args, std::ostream& out, std::ostream& err) {
  // Validate first: a bad file should not even create the DB.
  SWEEP_RETURN_IF_ERROR(spec::LoadSweepFile(args.file).status());
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
  server::ServerOptions server_options;
  server_options.listen = "127.0.0.1:0";
  server_options.coordinator.db_path = args.db;
  SWEEP_ASSIGN_OR_RETURN(auto server,
                         server::SweepServer::Start(server_options, SystemClock::Get()));

  worker_options.coordinator = server->address();
  worker::Worker worker(worker_options, worker::MakeRunJobRunner());
  std::jthread worker_thread([&worker] { (void)worker.Run(); });

  RpcBackend rpc(server->address());
  absl::Status s = RunAndPrint(rpc, args, out, err);
  worker.Stop();
  worker_thread.join();
  server->Shutdown();
  return s;
}

}  // namespace sweep::client
