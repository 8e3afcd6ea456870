// A real SweepServer (gRPC on 127.0.0.1:0, a file DB in a per-test temporary folder) and a
// raw stub, for tests of what the service answers to hand-written, hostile requests.
// Every call carries a deadline (rpc::SetDeadline).
#pragma once

#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <type_traits>

#include "gtest/gtest.h"
#include "proto/convert.h"
#include "rpc/channel.h"
#include "rpc/deadline.h"
#include "server/server_runner.h"
#include "sweep/v1/sweep.grpc.pb.h"
#include "tests/testing/status_matchers.h"

namespace sweep::server {

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("service_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    ServerOptions o;
    o.listen = "127.0.0.1:0";
    o.auth = ServerAuth::WithRandomTokens();
    auth_ = o.auth;
    o.coordinator.db_path = (dir_ / "sweep.db").string();
    o.coordinator.max_lease_wait = std::chrono::milliseconds(200);
    auto s = SweepServer::Start(o, SystemClock::Get());
    ASSERT_THAT(s, sweep::testing::IsOk());
    server_ = *std::move(s);
    stub_ = v1::SweepService::NewStub(rpc::MakeChannel(server_->address()));
  }
  void TearDown() override {
    stub_.reset();
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Worker RPCs carry the worker token and the caller's session (docs/design.md section
  // 6.5); the rest the client token.
  template <typename Req>
  static constexpr bool kWorkerRequest =
      std::is_same_v<Req, v1::RegisterWorkerRequest> || std::is_same_v<Req, v1::LeaseJobRequest> ||
      std::is_same_v<Req, v1::HeartbeatRequest> || std::is_same_v<Req, v1::ReportResultRequest> ||
      std::is_same_v<Req, v1::ReleaseJobRequest> || std::is_same_v<Req, v1::PutCheckpointRequest> ||
      std::is_same_v<Req, v1::GetCheckpointRequest>;
  template <typename Req>
  static std::string WorkerOf(const Req& req) {
    if constexpr (requires { req.worker_id(); }) {
      return req.worker_id();
    } else if constexpr (requires { req.report().worker_id(); }) {
      return req.report().worker_id();
    } else {
      return "";
    }
  }

  rpc::ChannelAuth ClientAuth() const {
    rpc::ChannelAuth a;
    a.token = auth_.client_token;
    return a;
  }

  // Calls `method` with a kQuery deadline and the credentials of its role; the answer as
  // an absl::Status. A RegisterWorker answer's session is kept for that worker's calls.
  template <typename Req, typename Resp, typename Method>
  absl::Status Call(Method method, const Req& req, Resp* resp) {
    grpc::ClientContext ctx;
    rpc::SetDeadline(ctx, rpc::RpcKind::kQuery);
    ctx.AddMetadata("authorization", "Bearer " + (kWorkerRequest<Req> ? auth_.worker_token
                                                                       : auth_.client_token));
    if constexpr (kWorkerRequest<Req>) {
      auto it = sessions_.find(WorkerOf(req));
      if (it != sessions_.end()) ctx.AddMetadata("x-sweep-session", it->second);
    }
    absl::Status s = wire::FromGrpcStatus(((*stub_).*method)(&ctx, req, resp));
    if constexpr (std::is_same_v<Req, v1::RegisterWorkerRequest>) {
      if (s.ok()) sessions_[req.worker_id()] = resp->session_secret();
    }
    return s;
  }

  absl::StatusOr<v1::SubmitSweepResponse> Submit(const std::string& request_id,
                                                 const std::string& text) {
    v1::SubmitSweepRequest req;
    req.set_request_id(request_id);
    req.set_spec_text(text);
    req.set_source_name("t.yaml");
    v1::SubmitSweepResponse resp;
    absl::Status s = Call(&v1::SweepService::Stub::SubmitSweep, req, &resp);
    if (!s.ok()) return s;
    return resp;
  }

  absl::Status Register(const std::string& worker_id, int slots = 1) {
    v1::RegisterWorkerRequest req;
    req.set_worker_id(worker_id);
    req.set_host("h");
    req.set_slots(slots);
    v1::RegisterWorkerResponse resp;
    return Call(&v1::SweepService::Stub::RegisterWorker, req, &resp);
  }

  // Registers `worker_id` and leases one job (the test fails without one).
  v1::Lease MustLease(const std::string& worker_id) {
    EXPECT_THAT(Register(worker_id), sweep::testing::IsOk());
    v1::LeaseJobRequest req;
    req.set_worker_id(worker_id);
    req.set_wait_ms(100);
    v1::LeaseJobResponse resp;
    EXPECT_THAT(Call(&v1::SweepService::Stub::LeaseJob, req, &resp), sweep::testing::IsOk());
    EXPECT_TRUE(resp.has_lease());
    return resp.lease();
  }

  absl::Status Heartbeat(const v1::Lease& lease, const std::string& worker_id, int64_t step,
                         int64_t total) {
    v1::HeartbeatRequest req;
    req.set_job_id(lease.job_id());
    req.set_attempt(lease.attempt());
    req.set_worker_id(worker_id);
    req.set_progress_step(step);
    req.set_progress_total(total);
    v1::HeartbeatResponse resp;
    return Call(&v1::SweepService::Stub::Heartbeat, req, &resp);
  }

  absl::Status Report(const v1::Lease& lease, const v1::JobReport& report) {
    v1::ReportResultRequest req;
    req.set_job_id(lease.job_id());
    req.set_attempt(lease.attempt());
    *req.mutable_report() = report;
    v1::ReportResultResponse resp;
    return Call(&v1::SweepService::Stub::ReportResult, req, &resp);
  }

  // An ok report from `worker_id` with curve points at each of `ns`.
  static v1::JobReport OkReport(const std::string& worker_id, const std::vector<int>& ns) {
    v1::JobReport r;
    r.set_ok(true);
    r.set_worker_id(worker_id);
    r.set_build_version("test");
    r.mutable_result()->set_mse(0.5);
    r.mutable_result()->set_nmse(0.25);
    for (int n : ns) {
      v1::EvalPoint* p = r.mutable_result()->add_curve();
      p->set_n(n);
      p->set_mse(0.5);
      p->set_nmse(0.25);
    }
    return r;
  }

  // A valid one-job sweep file (krr, N = 8).
  static std::string OneJob(const std::string& name) {
    return "name: " + name + "\nbase: {model: krr, d: 4, N: 8, eval_tasks: 10}\n";
  }

  std::filesystem::path dir_;
  ServerAuth auth_;
  std::map<std::string, std::string> sessions_;  // worker id -> session secret
  std::unique_ptr<SweepServer> server_;
  std::unique_ptr<v1::SweepService::Stub> stub_;
};

}  // namespace sweep::server
