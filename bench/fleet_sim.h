// bench_fleet's simulated fleet (bench/bench_fleet.cc): W workers, each registered with
// its own session, playing lease -> heartbeats -> report cycles against a real sweepd on
// a timetable. The calls are asynchronous (gRPC's callback API): a timetable thread
// starts each call when it falls due and never waits for its answer, which gRPC's own
// threads handle. So no bench thread sits in a call, thousands of calls can be in flight
// at once, and the bench's own saturation shows only as its timetable falling behind
// (the "late" figure), not as calls queued behind a fixed number of blocking threads.
//
// Thread-safe as used: Register, then Run, then the accessors, from one thread.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <queue>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "sweep/v1/sweep.grpc.pb.h"

namespace sweep::bench {

using SteadyClock = std::chrono::steady_clock;

struct FleetOptions {
  int workers = 10'000;
  int job_ms = 10'000;       // a fake job's length; 0: report at once
  int heartbeat_ms = 10'000;  // 0: no heartbeats
  int slots = 1;              // each worker's slots
  int lease_batch = 1;        // jobs one LeaseJob may take (max_jobs)
  bool report_lease = true;   // each report asks for the next jobs (ReportResultRequest.next)
  int threads = 2;            // timetable threads that start the calls
};

enum class Rpc { kLease, kHeartbeat, kReport, kCount };
const char* RpcName(Rpc r);

struct FleetCounters {
  std::atomic<int64_t> cycles{0}, heartbeats{0}, leases{0}, lease_misses{0}, aborted{0},
      errors{0};
  // The first "other error": a count alone does not say whether the coordinator
  // refused, timed out or was overloaded.
  std::mutex first_error_mu;
  std::string first_error;
  void Error(const grpc::Status& s);
};

class Fleet {
 public:
  Fleet(const FleetOptions& options, std::vector<std::shared_ptr<grpc::Channel>> channels);
  ~Fleet();
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;

  // Registers every worker (one session each, blocking calls); exits 2 if any fails.
  void Register();
  // Plays the timetable until `end`, measuring from `window_start`; returns once every
  // call in flight has been answered.
  void Run(SteadyClock::time_point window_start, SteadyClock::time_point end);

  const FleetCounters& counters() const { return counters_; }
  // Latencies (ms) of the calls started in the window, and how late they started.
  std::vector<double> Latencies(Rpc r) const;
  std::vector<double> Late() const;
  int64_t calls() const;  // calls started in the window

 private:
  struct Job {
    int64_t job_id = 0;
    int attempt = 0;
    SteadyClock::time_point started, ends;
  };
  struct Worker {
    std::string id, session;
    v1::SweepService::Stub* stub = nullptr;
    std::mutex mu;               // its jobs: answers for one worker may run at once
    std::vector<Job> jobs;       // running
    bool lease_pending = false;  // a LeaseJob is scheduled or in flight
    int failures = 0;            // calls failed in a row, for the backoff
  };
  // One timetable entry: at `due`, `rpc` for worker `w` (and job `job_id`).
  struct Event {
    SteadyClock::time_point due;
    int w = 0;
    Rpc rpc = Rpc::kLease;
    int64_t job_id = 0;
    bool retry = false;  // a report tried before: it asks for no lease (as sweep-worker)
    bool operator>(const Event& o) const { return due > o.due; }
  };

  void Push(const Event& e);
  void Loop(int t, SteadyClock::time_point end);
  void Start(const Event& e);
  void StartLease(const Event& e, Worker& w);
  void StartHeartbeat(const Event& e, Worker& w);
  void StartReport(const Event& e, Worker& w);
  // The calls' answers, on gRPC's threads.
  void OnLeases(int wi, Worker& w, const grpc::Status& s, const v1::Lease* first,
                const google::protobuf::RepeatedPtrField<v1::Lease>& more, bool lease_call);
  // Starts the leased jobs: heartbeats and reports go into the timetable, and a LeaseJob
  // for slots still free. `lease_call`: they answer the worker's pending LeaseJob.
  void Adopt(int wi, Worker& w, const std::vector<Job>& got, bool lease_call);
  void ScheduleLease(int wi, Worker& w, SteadyClock::time_point at);
  void DropJob(int wi, Worker& w, int64_t job_id);
  // After a failed call, as sweep-worker waits (rpc/backoff.h): a uniform time in
  // [0, min(30 s, 100 ms * 2^n)] for the n-th failure in a row. `Succeeded` resets it.
  SteadyClock::duration Backoff(Worker& w);
  void Succeeded(Worker& w);
  // Counts a call in flight; Done records its latency and wakes Run at the end.
  void Begin();
  void Done(Rpc rpc, SteadyClock::time_point t0);
  bool Measured(SteadyClock::time_point t) const { return t >= window_start_; }
  bool InWindow(SteadyClock::time_point t) const { return t >= window_start_ && t < end_; }
  uint64_t Random();

  const FleetOptions o_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::vector<std::unique_ptr<v1::SweepService::Stub>> stubs_;
  std::vector<Worker> workers_;
  SteadyClock::time_point window_start_, end_;

  std::mutex mu_;  // the timetable
  std::condition_variable cv_;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> queue_;

  std::mutex flight_mu_;
  std::condition_variable flight_cv_;
  int64_t in_flight_ = 0;

  mutable std::mutex log_mu_;
  std::vector<double> latency_ms_[static_cast<int>(Rpc::kCount)];
  std::vector<double> late_ms_;

  std::mutex rng_mu_;
  std::mt19937_64 rng_{7};
  FleetCounters counters_;
};

}  // namespace sweep::bench
