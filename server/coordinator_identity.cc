// Coordinator: worker identity (docs/design.md section 6.5). A shared worker token is a
// role; a worker's identity is the session secret issued here at registration. Every
// later worker call names its session, and the service derives the worker id from it.
#include "absl/strings/str_cat.h"
#include "common/input_checks.h"
#include "common/secret.h"
#include "common/status.h"
#include "server/coordinator.h"
#include "server/coordinator_impl.h"
#include "spdlog/spdlog.h"

namespace sweep::server {

absl::StatusOr<std::string> Coordinator::RegisterSession(const WorkerHello& hello,
                                                         const std::string& presented_secret) {
  SWEEP_RETURN_IF_ERROR(CheckWorkerHello(hello));  // as RegisterWorker; the service checks too
  const WorkerRecord w = WorkerRecord::FromHello(hello);
  const std::string secret = RandomHex(32);
  const std::string presented_hash = presented_secret.empty() ? "" : SecretHash(presented_secret);
  bool issued = false;
  std::unique_lock lock(impl_->mu);
  SWEEP_RETURN_IF_ERROR(impl_->Write(lock, [&]() -> absl::Status {
    SWEEP_ASSIGN_OR_RETURN(issued, impl_->store->RegisterSession(
                                       w, presented_hash, SecretHash(secret), impl_->clock.Now()));
    return absl::OkStatus();
  }));
  lock.unlock();
  if (!issued) {
    spdlog::info("worker {} registered again ({} slots, session kept)", w.worker_id, w.slots);
    return std::string();
  }
  {
    std::lock_guard session_lock(impl_->session_mu);
    std::erase_if(impl_->sessions, [&](const auto& e) { return e.second == w.worker_id; });
    impl_->sessions[SecretHash(secret)] = w.worker_id;
  }
  spdlog::info("worker {} joined ({} slots, build {}, new session)", w.worker_id, w.slots,
               w.build_version);
  return secret;
}

absl::StatusOr<std::string> Coordinator::WorkerForSession(const std::string& secret) {
  const std::string hash = SecretHash(secret);
  {
    std::lock_guard session_lock(impl_->session_mu);
    if (auto it = impl_->sessions.find(hash); it != impl_->sessions.end()) return it->second;
  }
  // A miss: a session issued before a restart, or none. The writer's connection sees
  // every commit; the read is one indexed lookup.
  std::optional<std::string> worker;
  std::unique_lock lock(impl_->mu);
  SWEEP_RETURN_IF_ERROR(impl_->Write(lock, [&]() -> absl::Status {
    SWEEP_ASSIGN_OR_RETURN(worker, impl_->store->WorkerForSession(hash));
    return absl::OkStatus();
  }));
  lock.unlock();
  if (!worker) {
    return absl::UnauthenticatedError(
        "worker session: unknown (the worker must register again with RegisterWorker)");
  }
  std::lock_guard session_lock(impl_->session_mu);
  impl_->sessions[hash] = *worker;
  return *worker;
}

absl::Status Coordinator::CheckCheckpointLease(const std::string& worker_id,
                                               const std::string& training_hash) {
  bool holds = false;
  std::unique_lock lock(impl_->mu);
  SWEEP_RETURN_IF_ERROR(impl_->Write(lock, [&]() -> absl::Status {
    SWEEP_ASSIGN_OR_RETURN(holds, impl_->store->HoldsTrainingLease(worker_id, training_hash));
    return absl::OkStatus();
  }));
  if (!holds) {
    return absl::PermissionDeniedError(
        absl::StrCat("checkpoint ", training_hash, ": worker \"", worker_id,
                     "\" holds no running lease on a job with this training hash"));
  }
  return absl::OkStatus();
}

}  // namespace sweep::server
