// The simulated fleet of bench_fleet (see fleet_sim.h).
#include "bench/fleet_sim.h"

#include <algorithm>
#include <optional>
#include <thread>

#include "bench/fleet_sweepd.h"
#include "rpc/deadline.h"

namespace sweep::bench {
namespace {

using std::chrono::milliseconds;

// The metadata key of the worker's session (server/auth.h, docs/design.md section 6.5).
constexpr char kSessionKey[] = "x-sweep-session";

double Ms(SteadyClock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// One call in flight: its context, request and answer live until gRPC's callback ran
// (the callback holds the last reference).
template <typename Req, typename Resp>
struct Call {
  grpc::ClientContext ctx;
  Req req;
  Resp resp;
};

template <typename Req, typename Resp>
std::shared_ptr<Call<Req, Resp>> NewCall(const std::string& session, rpc::RpcKind kind) {
  auto c = std::make_shared<Call<Req, Resp>>();
  rpc::SetDeadline(c->ctx, kind);
  c->ctx.AddMetadata(kSessionKey, session);
  return c;
}

}  // namespace

const char* RpcName(Rpc r) {
  switch (r) {
    case Rpc::kLease:
      return "LeaseJob";
    case Rpc::kHeartbeat:
      return "Heartbeat";
    case Rpc::kReport:
      return "ReportResult";
    default:
      return "?";
  }
}

void FleetCounters::Error(const grpc::Status& s) {
  if (errors++ > 0) return;
  std::lock_guard lock(first_error_mu);
  first_error = "gRPC code " + std::to_string(s.error_code()) + ": " + s.error_message();
}

Fleet::Fleet(const FleetOptions& options, std::vector<std::shared_ptr<grpc::Channel>> channels)
    : o_(options), channels_(std::move(channels)), workers_(options.workers) {
  for (const auto& c : channels_) stubs_.push_back(v1::SweepService::NewStub(c));
}

Fleet::~Fleet() = default;

void Fleet::Register() {
  std::atomic<int> next{0}, failed{0};
  std::string first_failure;
  std::mutex failure_mu;
  std::vector<std::jthread> pool;
  for (int t = 0; t < 16; ++t) {
    pool.emplace_back([&] {
      for (int i = next++; i < o_.workers; i = next++) {
        Worker& w = workers_[i];
        w.id = "fleet-" + std::to_string(i);
        w.stub = stubs_[i % stubs_.size()].get();
        v1::RegisterWorkerRequest req;
        req.set_worker_id(w.id);
        req.set_host("bench-fleet");
        req.set_slots(o_.slots);
        req.set_build_version("bench");
        v1::RegisterWorkerResponse resp;
        grpc::ClientContext ctx;
        rpc::SetDeadline(ctx, rpc::RpcKind::kReport);
        grpc::Status s = w.stub->RegisterWorker(&ctx, req, &resp);
        w.session = resp.session_secret();
        if (!s.ok() && failed++ == 0) {
          std::lock_guard lock(failure_mu);
          first_failure = s.error_message();
        }
      }
    });
  }
  pool.clear();
  if (failed > 0) {
    Die(std::to_string(failed.load()) + " registrations failed, the first: " + first_failure);
  }
}

void Fleet::Run(SteadyClock::time_point window_start, SteadyClock::time_point end) {
  window_start_ = window_start;
  end_ = end;
  const auto now = SteadyClock::now();
  const int spread_ms = std::max(1, o_.job_ms);
  for (int i = 0; i < o_.workers; ++i) {  // first leases spread over one job length
    workers_[i].lease_pending = true;
    Push({now + milliseconds(Random() % spread_ms), i, Rpc::kLease, 0});
  }
  {
    std::vector<std::jthread> pool;
    for (int t = 0; t < o_.threads; ++t) pool.emplace_back([this, t, end] { Loop(t, end); });
  }
  // Answers still on their way touch the workers: wait for the last one.
  std::unique_lock lock(flight_mu_);
  flight_cv_.wait(lock, [&] { return in_flight_ == 0; });
}

void Fleet::Push(const Event& e) {
  {
    std::lock_guard lock(mu_);
    queue_.push(e);
  }
  cv_.notify_one();
}

uint64_t Fleet::Random() {
  std::lock_guard lock(rng_mu_);
  return rng_();
}

void Fleet::Loop(int, SteadyClock::time_point end) {
  for (;;) {
    Event e;
    {
      std::unique_lock lock(mu_);
      for (;;) {
        if (SteadyClock::now() >= end) return;
        if (!queue_.empty() && queue_.top().due <= SteadyClock::now()) break;
        cv_.wait_until(lock, queue_.empty() ? end : std::min(end, queue_.top().due));
      }
      e = queue_.top();
      queue_.pop();
    }
    const auto t0 = SteadyClock::now();
    if (Measured(t0)) {
      std::lock_guard lock(log_mu_);
      late_ms_.push_back(Ms(t0 - e.due));
    }
    Start(e);
  }
}

void Fleet::Start(const Event& e) {
  Worker& w = workers_[e.w];
  switch (e.rpc) {
    case Rpc::kLease:
      return StartLease(e, w);
    case Rpc::kHeartbeat:
      return StartHeartbeat(e, w);
    case Rpc::kReport:
      return StartReport(e, w);
    default:
      return;
  }
}

void Fleet::Begin() {
  std::lock_guard lock(flight_mu_);
  ++in_flight_;
}

void Fleet::Done(Rpc rpc, SteadyClock::time_point t0) {
  if (Measured(t0)) {
    const double ms = Ms(SteadyClock::now() - t0);
    std::lock_guard lock(log_mu_);
    latency_ms_[static_cast<int>(rpc)].push_back(ms);
  }
  // The last touch of `this` by a callback: Run may return as soon as it sees 0.
  std::lock_guard lock(flight_mu_);
  if (--in_flight_ == 0) flight_cv_.notify_all();
}

void Fleet::StartLease(const Event& e, Worker& w) {
  int free_slots;
  {
    std::lock_guard lock(w.mu);
    free_slots = o_.slots - static_cast<int>(w.jobs.size());
    if (free_slots <= 0) {
      w.lease_pending = false;
      return;
    }
  }
  auto call = NewCall<v1::LeaseJobRequest, v1::LeaseJobResponse>(w.session,
                                                                 rpc::RpcKind::kLeasePoll);
  call->req.set_worker_id(w.id);
  call->req.set_wait_ms(0);
  call->req.set_max_jobs(std::min(free_slots, o_.lease_batch));
  const auto t0 = SteadyClock::now();
  const int wi = e.w;
  Begin();
  w.stub->async()->LeaseJob(&call->ctx, &call->req, &call->resp,
                            [this, call, wi, t0](grpc::Status s) {
                              OnLeases(wi, workers_[wi], s, call->resp.has_lease() ? &call->resp.lease() : nullptr,
                                       call->resp.more(), /*lease_call=*/true);
                              Done(Rpc::kLease, t0);
                            });
}

void Fleet::OnLeases(int wi, Worker& w, const grpc::Status& s, const v1::Lease* first,
                     const google::protobuf::RepeatedPtrField<v1::Lease>& more, bool lease_call) {
  const auto now = SteadyClock::now();
  if (!s.ok()) {
    counters_.Error(s);
    ScheduleLease(wi, w, now + Backoff(w));
    return;
  }
  Succeeded(w);
  std::vector<Job> got;
  if (first != nullptr) {
    got.push_back({first->job_id(), first->attempt(), now, now + milliseconds(o_.job_ms)});
    for (const v1::Lease& l : more) {
      got.push_back({l.job_id(), l.attempt(), now, now + milliseconds(o_.job_ms)});
    }
  }
  if (lease_call && got.empty()) {
    if (Measured(now)) ++counters_.lease_misses;
    ScheduleLease(wi, w, now + milliseconds(500));
    return;
  }
  Adopt(wi, w, got, lease_call);
}

void Fleet::Adopt(int wi, Worker& w, const std::vector<Job>& got, bool lease_call) {
  const auto now = SteadyClock::now();
  if (InWindow(now)) counters_.leases += static_cast<int64_t>(got.size());
  std::lock_guard lock(w.mu);
  if (lease_call) w.lease_pending = false;
  for (const Job& j : got) {
    w.jobs.push_back(j);
    if (o_.heartbeat_ms > 0 && o_.job_ms > 0) {
      // The first heartbeat at a random point of the period, as workers started at
      // random times would send it; then every period.
      const auto beat = now + milliseconds(Random() % o_.heartbeat_ms);
      if (beat < j.ends) Push({beat, wi, Rpc::kHeartbeat, j.job_id});
    }
    Push({j.ends, wi, Rpc::kReport, j.job_id});
  }
  if (static_cast<int>(w.jobs.size()) < o_.slots && !w.lease_pending) {
    w.lease_pending = true;
    Push({now, wi, Rpc::kLease, 0});
  }
}

SteadyClock::duration Fleet::Backoff(Worker& w) {
  int n;
  {
    std::lock_guard lock(w.mu);
    n = std::min(w.failures++, 20);
  }
  const int64_t cap_ms = std::min<int64_t>(30'000, int64_t{100} << n);
  return milliseconds(static_cast<int64_t>(Random() % static_cast<uint64_t>(cap_ms + 1)));
}

void Fleet::Succeeded(Worker& w) {
  std::lock_guard lock(w.mu);
  w.failures = 0;
}

void Fleet::ScheduleLease(int wi, Worker& w, SteadyClock::time_point at) {
  std::lock_guard lock(w.mu);
  w.lease_pending = true;
  Push({at, wi, Rpc::kLease, 0});
}

void Fleet::DropJob(int wi, Worker& w, int64_t job_id) {
  std::lock_guard lock(w.mu);
  std::erase_if(w.jobs, [&](const Job& j) { return j.job_id == job_id; });
  if (!w.lease_pending) {
    w.lease_pending = true;
    Push({SteadyClock::now(), wi, Rpc::kLease, 0});
  }
}

void Fleet::StartHeartbeat(const Event& e, Worker& w) {
  std::optional<Job> job;
  {
    std::lock_guard lock(w.mu);
    for (const Job& j : w.jobs)
      if (j.job_id == e.job_id) job = j;
  }
  if (!job) return;
  const auto t0 = SteadyClock::now();
  auto call = NewCall<v1::HeartbeatRequest, v1::HeartbeatResponse>(w.session,
                                                                   rpc::RpcKind::kHeartbeat);
  call->req.set_job_id(e.job_id);
  call->req.set_attempt(job->attempt);
  call->req.set_worker_id(w.id);
  call->req.set_progress_step(std::min<int64_t>(
      o_.job_ms, std::chrono::duration_cast<milliseconds>(t0 - job->started).count()));
  call->req.set_progress_total(o_.job_ms);
  Begin();
  w.stub->async()->Heartbeat(
      &call->ctx, &call->req, &call->resp, [this, call, e, t0, ends = job->ends](grpc::Status s) {
        if (s.error_code() == grpc::StatusCode::ABORTED) {
          ++counters_.aborted;  // the lease was lost although this worker is alive
          DropJob(e.w, workers_[e.w], e.job_id);
        } else if (!s.ok()) {
          counters_.Error(s);
        } else if (InWindow(SteadyClock::now())) {
          ++counters_.heartbeats;
        }
        const auto next = e.due + milliseconds(o_.heartbeat_ms);
        if (next < ends) Push({next, e.w, Rpc::kHeartbeat, e.job_id});
        Done(Rpc::kHeartbeat, t0);
      });
}

void Fleet::StartReport(const Event& e, Worker& w) {
  std::optional<Job> job;
  int want = 0;  // jobs to ask for with the report
  {
    std::lock_guard lock(w.mu);
    for (const Job& j : w.jobs)
      if (j.job_id == e.job_id) job = j;
    // As many as slots will be free once this job ends, unless a LeaseJob is on its way.
    if (job && o_.report_lease && !w.lease_pending && !e.retry) {
      want = std::min(o_.lease_batch, o_.slots - static_cast<int>(w.jobs.size()) + 1);
    }
  }
  if (!job) return;
  auto call = NewCall<v1::ReportResultRequest, v1::ReportResultResponse>(w.session,
                                                                         rpc::RpcKind::kReport);
  call->req.set_job_id(e.job_id);
  call->req.set_attempt(job->attempt);
  v1::JobReport* report = call->req.mutable_report();
  report->set_ok(true);
  report->set_worker_id(w.id);
  report->set_build_version("bench");
  report->mutable_result()->set_mse(0.5);
  report->mutable_result()->set_nmse(0.25);
  v1::EvalPoint* point = report->mutable_result()->add_curve();
  point->set_n(16);
  point->set_mse(0.5);
  point->set_se(0.01);
  point->set_nmse(0.25);
  if (want > 0) call->req.mutable_next()->set_max_jobs(want);
  const auto t0 = SteadyClock::now();
  const int wi = e.w;
  const int64_t job_id = e.job_id;
  Begin();
  w.stub->async()->ReportResult(
      &call->ctx, &call->req, &call->resp, [this, call, wi, job_id, t0](grpc::Status s) {
        Worker& owner = workers_[wi];
        const auto now = SteadyClock::now();
        if (s.ok()) {
          Succeeded(owner);
          if (InWindow(now)) ++counters_.cycles;
        } else if (s.error_code() == grpc::StatusCode::ABORTED) {
          ++counters_.aborted;
        } else {
          // As sweep-worker does: the job is kept and its report retried after a backoff
          // (dropping it would leave its lease to expire, a lost attempt).
          counters_.Error(s);
          Push({now + Backoff(owner), wi, Rpc::kReport, job_id, /*retry=*/true});
          Done(Rpc::kReport, t0);
          return;
        }
        {
          std::lock_guard lock(owner.mu);
          std::erase_if(owner.jobs, [&](const Job& j) { return j.job_id == job_id; });
        }
        std::vector<Job> got;
        if (s.ok() && call->resp.has_lease()) {
          const auto ends = now + milliseconds(o_.job_ms);
          got.push_back({call->resp.lease().job_id(), call->resp.lease().attempt(), now, ends});
          for (const v1::Lease& l : call->resp.more()) {
            got.push_back({l.job_id(), l.attempt(), now, ends});
          }
        }
        // Also schedules a LeaseJob for slots still free (none came: the queue was
        // empty, as the two-call path's LeaseJob would have found it).
        Adopt(wi, owner, got, /*lease_call=*/false);
        Done(Rpc::kReport, t0);
      });
}

std::vector<double> Fleet::Latencies(Rpc r) const {
  std::lock_guard lock(log_mu_);
  return latency_ms_[static_cast<int>(r)];
}

std::vector<double> Fleet::Late() const {
  std::lock_guard lock(log_mu_);
  return late_ms_;
}

int64_t Fleet::calls() const {
  std::lock_guard lock(log_mu_);
  int64_t n = 0;
  for (const auto& v : latency_ms_) n += static_cast<int64_t>(v.size());
  return n;
}

}  // namespace sweep::bench
