// Status, result, report, lease and worker conversions (see convert.h).
#include "proto/convert.h"

#include <string>

#include "common/display_text.h"

namespace sweep::wire {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // absl::StatusCode values equal grpc::StatusCode values by design. Messages quote
  // input (names, ids, worker errors): escaped once more here, where every reply leaves
  // the server, so that none can drive a client's terminal. Payloads (storage detail
  // with SQL, common/limits.h) stay on the server.
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      EscapeForDisplay(std::string(status.message())));
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

v1::JobResult ToProto(const JobResult& r) {
  v1::JobResult p;
  p.set_mse(r.mse);
  p.set_nmse(r.nmse);
  if (r.n_at_eps) p.set_n_at_eps(*r.n_at_eps);
  p.set_ey2(r.ey2);
  p.set_ie(r.ie);
  p.set_ge(r.ge);
  for (const EvalPoint& e : r.curve) {
    v1::EvalPoint* q = p.add_curve();
    q->set_n(e.n);
    q->set_mse(e.mse);
    q->set_se(e.se);
    q->set_nmse(e.nmse);
  }
  for (const LossPoint& l : r.loss_curve) {
    v1::LossPoint* q = p.add_loss_curve();
    q->set_step(l.step);
    q->set_loss(l.loss);
  }
  p.set_train_seconds(r.train_seconds);
  p.set_eval_seconds(r.eval_seconds);
  p.set_divergence(r.divergence);
  return p;
}

JobResult FromProto(const v1::JobResult& p) {
  JobResult r;
  r.mse = p.mse();
  r.nmse = p.nmse();
  if (p.has_n_at_eps()) r.n_at_eps = p.n_at_eps();
  r.ey2 = p.ey2();
  r.ie = p.ie();
  r.ge = p.ge();
  for (const v1::EvalPoint& e : p.curve()) {
    r.curve.push_back(EvalPoint{e.n(), e.mse(), e.se(), e.nmse()});
  }
  for (const v1::LossPoint& l : p.loss_curve()) {
    r.loss_curve.push_back(LossPoint{l.step(), l.loss()});
  }
  r.train_seconds = p.train_seconds();
  r.eval_seconds = p.eval_seconds();
  r.divergence = p.divergence();
  return r;
}

v1::JobReport ToProto(const JobReport& r) {
  v1::JobReport p;
  p.set_ok(r.ok);
  p.set_error(r.error);
  *p.mutable_result() = ToProto(r.result);
  p.set_worker_id(r.worker_id);
  p.set_build_version(r.build_version);
  p.set_wall_seconds(r.wall_seconds);
  p.set_checkpoint_use(CheckpointUseName(r.checkpoint_use));
  p.set_checkpoint_sha256(r.checkpoint_sha256);
  p.set_provenance(r.provenance);
  return p;
}

JobReport FromProto(const v1::JobReport& p) {
  JobReport r;
  r.ok = p.ok();
  r.error = p.error();
  r.result = FromProto(p.result());
  r.worker_id = p.worker_id();
  r.build_version = p.build_version();
  r.wall_seconds = p.wall_seconds();
  // An unknown name (a newer worker) is stored as "none" rather than refusing the result.
  r.checkpoint_use = ParseCheckpointUse(p.checkpoint_use()).value_or(CheckpointUse::kNone);
  r.checkpoint_sha256 = p.checkpoint_sha256();
  r.provenance = p.provenance();
  return r;
}

v1::Lease ToProto(const sweep::Lease& l) {
  v1::Lease p;
  p.set_job_id(l.job_id);
  p.set_sweep_id(l.sweep_id);
  p.set_attempt(l.attempt);
  p.set_config_json(l.config_json);
  p.set_expires_at_ms(ToUnixMillis(l.expires_at));
  p.set_training_hash(l.training_hash);
  p.set_checkpoint_available(l.checkpoint_available);
  return p;
}

sweep::Lease FromProto(const v1::Lease& p) {
  return sweep::Lease{p.job_id(),
                      p.sweep_id(),
                      p.attempt(),
                      p.config_json(),
                      FromUnixMillis(p.expires_at_ms()),
                      p.training_hash(),
                      p.checkpoint_available()};
}

LeaseFit FitFromProto(const v1::LeaseJobRequest& p) {
  return LeaseFit{p.free_cores(), p.total_cores(),
                  std::vector<std::string>(p.exec_names().begin(), p.exec_names().end())};
}

namespace {

void SetSlurm(const SlurmTask& t, v1::SlurmTask* p) {
  p->set_job_id(t.job_id);
  p->set_array_job_id(t.array_job_id);
  p->set_array_task_id(t.array_task_id);
}

SlurmTask SlurmFromProto(const v1::SlurmTask& p) {
  return SlurmTask{p.job_id(), p.array_job_id(), p.array_task_id()};
}

}  // namespace

v1::WorkerRecord ToProto(const WorkerRecord& w) {
  v1::WorkerRecord p;
  p.set_worker_id(w.worker_id);
  p.set_host(w.host);
  p.set_slots(w.slots);
  p.set_build_version(w.build_version);
  p.set_registered_at_ms(ToUnixMillis(w.registered_at));
  p.set_last_seen_at_ms(ToUnixMillis(w.last_seen_at));
  p.set_running(w.running);
  p.set_completed(w.completed);
  if (!w.slurm.empty()) SetSlurm(w.slurm, p.mutable_slurm());
  for (const std::string& name : w.exec_names) p.add_exec_names(name);
  return p;
}

WorkerRecord FromProto(const v1::WorkerRecord& p) {
  return WorkerRecord{p.worker_id(),
                      p.host(),
                      p.slots(),
                      p.build_version(),
                      FromUnixMillis(p.registered_at_ms()),
                      FromUnixMillis(p.last_seen_at_ms()),
                      p.running(),
                      p.completed(),
                      SlurmFromProto(p.slurm()),
                      std::vector<std::string>(p.exec_names().begin(), p.exec_names().end())};
}

v1::SubmitSweepResponse ToProto(const SubmitOutcome& o) {
  v1::SubmitSweepResponse p;
  p.set_sweep_id(o.sweep_id);
  p.set_jobs_total(o.jobs_total);
  p.set_jobs_cached(o.jobs_cached);
  p.set_existing(o.existing);
  return p;
}

SubmitOutcome FromProto(const v1::SubmitSweepResponse& p) {
  return SubmitOutcome{p.sweep_id(), p.jobs_total(), p.jobs_cached(), p.existing()};
}

v1::Checkpoint ToProto(const CheckpointRecord& c) {
  v1::Checkpoint p;
  p.set_training_hash(c.training_hash);
  p.set_model(c.model);
  p.set_config_json(c.config_json);
  p.set_format(c.format);
  p.set_data(c.bytes);
  p.set_size_bytes(c.size_bytes);
  p.set_sha256(c.sha256);
  if (c.job_id) p.set_job_id(*c.job_id);
  p.set_created_at_ms(ToUnixMillis(c.created_at));
  return p;
}

CheckpointRecord FromProto(const v1::Checkpoint& p) {
  CheckpointRecord c;
  c.training_hash = p.training_hash();
  c.model = p.model();
  c.config_json = p.config_json();
  c.format = p.format();
  c.bytes = p.data();
  c.size_bytes = p.size_bytes();
  c.sha256 = p.sha256();
  if (p.has_job_id()) c.job_id = p.job_id();
  c.created_at = FromUnixMillis(p.created_at_ms());
  return c;
}

v1::RegisterWorkerRequest ToProto(const WorkerHello& h) {
  v1::RegisterWorkerRequest p;
  p.set_worker_id(h.worker_id);
  p.set_host(h.host);
  p.set_slots(h.slots);
  p.set_build_version(h.build_version);
  if (!h.slurm.empty()) SetSlurm(h.slurm, p.mutable_slurm());
  for (const std::string& name : h.exec_names) p.add_exec_names(name);
  return p;
}

WorkerHello FromProto(const v1::RegisterWorkerRequest& p) {
  return WorkerHello{p.worker_id(), p.host(), p.slots(), p.build_version(),
                     SlurmFromProto(p.slurm()),
                     std::vector<std::string>(p.exec_names().begin(), p.exec_names().end())};
}

}  // namespace sweep::wire
