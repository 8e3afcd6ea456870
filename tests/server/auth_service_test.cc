// Authentication, roles and worker identity over the wire (issue 10; docs/design.md
// section 6.5): a real SweepServer on 127.0.0.1:0 with random tokens, called with raw
// stubs so that each test controls exactly what metadata a call carries. Each finding
// of the issue has a test here that fails without the check.
#include <gmock/gmock.h>
#include <google/protobuf/descriptor.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <future>
#include <map>

#include "common/job_keys.h"
#include "rpc/channel.h"
#include "rpc/deadline.h"
#include "server/auth_service.h"
#include "server/server_runner.h"
#include "storage/sqlite.h"
#include "sweep/v1/sweep.grpc.pb.h"
#include "tests/storage/test_util.h"
#include "tests/testing/status_matchers.h"

namespace sweep::server {
namespace {

using Md = std::multimap<std::string, std::string>;
using ::testing::HasSubstr;
using ::testing::Not;

JobConfig Config(const std::string& model, uint64_t seed) {
  nlohmann::json j = {{"model", model}, {"d", 4}, {"r", 1}, {"N", 6}, {"seed", seed}};
  absl::StatusOr<JobConfig> c = ResolveJobConfig(j);
  SWEEP_CHECK(c.ok());
  return *c;
}

// Every method of sweep.v1.SweepService, from the proto itself: a method added later
// is covered without touching this test.
std::vector<std::string> AllMethods() {
  const auto* service = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
      "sweep.v1.SweepService");
  SWEEP_CHECK(service != nullptr);
  std::vector<std::string> out;
  for (int i = 0; i < service->method_count(); ++i) out.push_back(service->method(i)->name());
  return out;
}

class AuthServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions o;
    o.listen = "127.0.0.1:0";
    o.coordinator.db_path = dir_.File("sweep.db");
    o.coordinator.max_lease_wait = std::chrono::milliseconds(0);
    o.auth = ServerAuth::WithRandomTokens();
    auth_ = o.auth;
    auto s = SweepServer::Start(o, SystemClock::Get());
    ASSERT_THAT(s, sweep::testing::IsOk());
    server_ = *std::move(s);
    channel_ = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
    stub_ = v1::SweepService::NewStub(channel_);
  }

  Md Bearer(const std::string& token, const std::string& session = "") const {
    Md md{{"authorization", "Bearer " + token}};
    if (!session.empty()) md.emplace("x-sweep-session", session);
    return md;
  }
  Md Client() const { return Bearer(auth_.client_token); }
  Md Worker(const std::string& session = "") const { return Bearer(auth_.worker_token, session); }

  // One typed call with `md` as its metadata.
  template <typename Req, typename Resp, typename Method>
  grpc::Status Call(Method method, const Req& req, Resp* resp, const Md& md) {
    grpc::ClientContext ctx;
    rpc::SetDeadline(ctx, rpc::RpcKind::kQuery);
    for (const auto& [k, v] : md) ctx.AddMetadata(k, v);
    return (stub_.get()->*method)(&ctx, req, resp);
  }
  // Any method by name with an empty request (every field at its default).
  grpc::Status CallByName(const std::string& method, const Md& md) {
    grpc::GenericStub generic(channel_);
    grpc::ClientContext ctx;
    rpc::SetDeadline(ctx, rpc::RpcKind::kQuery);
    for (const auto& [k, v] : md) ctx.AddMetadata(k, v);
    grpc::Slice empty("");
    grpc::ByteBuffer req(&empty, 1), resp;
    std::promise<grpc::Status> done;
    generic.UnaryCall(&ctx, "/sweep.v1.SweepService/" + method, grpc::StubOptions(), &req, &resp,
                      [&](grpc::Status s) { done.set_value(std::move(s)); });
    return done.get_future().get();
  }

  // Registers `worker` with the worker token; returns its session secret.
  std::string Register(const std::string& worker, int slots = 1) {
    v1::RegisterWorkerRequest req;
    req.set_worker_id(worker);
    req.set_host("h");
    req.set_slots(slots);
    v1::RegisterWorkerResponse resp;
    grpc::Status s = Call(&v1::SweepService::Stub::RegisterWorker, req, &resp, Worker());
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(resp.session_secret().size(), 64u);
    return resp.session_secret();
  }
  grpc::Status Lease(const Md& md, const std::string& worker, v1::LeaseJobResponse* resp) {
    v1::LeaseJobRequest req;
    req.set_worker_id(worker);
    return Call(&v1::SweepService::Stub::LeaseJob, req, resp, md);
  }
  int64_t Submit(std::vector<JobConfig> jobs) {
    NewSweep sweep{"req-" + std::to_string(++requests_), "t", "", std::move(jobs)};
    auto outcome = server_->coordinator().Submit(sweep);
    SWEEP_CHECK(outcome.ok());
    return outcome->sweep_id;
  }
  int64_t Count(const std::string& sql) {
    auto conn = storage::Connection::Open(dir_.File("sweep.db"), /*read_only=*/true);
    SWEEP_CHECK(conn.ok());
    auto n = (*conn)->QueryInt(sql);
    SWEEP_CHECK(n.ok());
    return *n;
  }
  // Rows of every table, to show that a refused call wrote nothing.
  std::string Rows() {
    std::string out;
    for (const char* t :
         {"sweeps", "jobs", "results", "workers", "attempts", "events", "checkpoints"}) {
      out += std::string(t) + "=" +
             std::to_string(Count(std::string("SELECT count(*) FROM ") + t)) + " ";
    }
    return out + "cancel=" +
           std::to_string(Count("SELECT COALESCE(SUM(cancel_requested), 0) FROM sweeps"));
  }

  ::sweep::testing::TempDir dir_;
  ServerAuth auth_;
  std::unique_ptr<SweepServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::SweepService::Stub> stub_;
  int requests_ = 0;
};

TEST_F(AuthServiceTest, EveryMethodHasARole) {
  for (const std::string& m : AllMethods()) EXPECT_TRUE(RoleOf(m).has_value()) << m;
}

// G1: no token, a wrong one, and "Bearer " with nothing after it: UNAUTHENTICATED on
// every method, nothing written, and the real tokens appear in no message.
TEST_F(AuthServiceTest, EveryMethodRefusesMissingOrWrongTokens) {
  Submit({Config("krr", 0)});
  const std::string before = Rows();
  const std::vector<Md> bad = {{},
                               Bearer("0123456789abcdef"),
                               {{"authorization", "Bearer "}},
                               {{"authorization", auth_.client_token}}};
  for (const std::string& m : AllMethods()) {
    for (const Md& md : bad) {
      grpc::Status s = CallByName(m, md);
      EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED)
          << m << ": " << s.error_message();
      EXPECT_THAT(s.error_message(), Not(HasSubstr(auth_.client_token)));
      EXPECT_THAT(s.error_message(), Not(HasSubstr(auth_.worker_token)));
    }
  }
  EXPECT_EQ(Rows(), before);
}

// G2: each role's token on the other role's methods: PERMISSION_DENIED, nothing written.
TEST_F(AuthServiceTest, EachRoleIsRefusedTheOtherRolesMethods) {
  Submit({Config("krr", 0)});
  const std::string before = Rows();
  for (const std::string& m : AllMethods()) {
    const Md wrong = *RoleOf(m) == Role::kClient ? Worker() : Client();
    grpc::Status s = CallByName(m, wrong);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << m << ": " << s.error_message();
  }
  EXPECT_EQ(Rows(), before);
}

// Finding: any client could cancel any sweep.
TEST_F(AuthServiceTest, OnlyTheClientTokenCancelsASweep) {
  const int64_t sweep = Submit({Config("krr", 0), Config("krr", 1)});
  v1::CancelSweepRequest req;
  req.set_sweep_id(sweep);
  v1::CancelSweepResponse resp;
  EXPECT_EQ(Call(&v1::SweepService::Stub::CancelSweep, req, &resp, Md{}).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Call(&v1::SweepService::Stub::CancelSweep, req, &resp, Worker()).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Count("SELECT count(*) FROM jobs WHERE state = 'cancelled'"), 0);
  EXPECT_TRUE(Call(&v1::SweepService::Stub::CancelSweep, req, &resp, Client()).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM jobs WHERE state = 'cancelled'"), 2);
}

// Finding: any client could register as a worker and report fabricated results.
TEST_F(AuthServiceTest, TheClientTokenCannotRegisterOrReport) {
  Submit({Config("krr", 0)});
  v1::RegisterWorkerRequest reg;
  reg.set_worker_id("fake");
  reg.set_slots(1);
  v1::RegisterWorkerResponse reg_resp;
  EXPECT_EQ(Call(&v1::SweepService::Stub::RegisterWorker, reg, &reg_resp, Client()).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::ReportResultRequest report;
  report.set_job_id(1);
  report.set_attempt(1);
  report.mutable_report()->set_ok(true);
  report.mutable_report()->set_worker_id("fake");
  v1::ReportResultResponse report_resp;
  EXPECT_EQ(
      Call(&v1::SweepService::Stub::ReportResult, report, &report_resp, Client()).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Count("SELECT count(*) FROM workers"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM results"), 0);
}

// Finding: LeaseJob from throwaway, never-registered worker ids was granted; repeated,
// it made every job fail as `lost`.
TEST_F(AuthServiceTest, LeasesGoOnlyToRegisteredWorkersUpToTheirSlots) {
  Submit({Config("krr", 0), Config("krr", 1), Config("krr", 2)});
  v1::LeaseJobResponse resp;
  // No session, a made-up one, and a real session naming another id.
  EXPECT_EQ(Lease(Worker(), "throwaway-1", &resp).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Lease(Worker(std::string(64, 'a')), "throwaway-2", &resp).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  const std::string session = Register("w1", /*slots=*/1);
  EXPECT_EQ(Lease(Worker(session), "throwaway-3", &resp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Count("SELECT count(*) FROM jobs WHERE state = 'running'"), 0);
  // The registered worker gets one lease per slot, then RESOURCE_EXHAUSTED.
  ASSERT_TRUE(Lease(Worker(session), "", &resp).ok());
  EXPECT_TRUE(resp.has_lease());
  grpc::Status second = Lease(Worker(session), "w1", &resp);
  EXPECT_EQ(second.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << second.error_message();
  EXPECT_THAT(second.error_message(), HasSubstr("its registered slots"));
  EXPECT_EQ(Count("SELECT count(*) FROM jobs WHERE state = 'running'"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM jobs WHERE lease_owner != 'w1'"), 0);
}

// A report's next-lease ask (ReportResultRequest.next) leases for the session's worker
// only, in the reply, and an ask naming another worker is refused before the report.
TEST_F(AuthServiceTest, AReportsNextLeaseGoesToTheSessionsWorkerOnly) {
  Submit({Config("krr", 0), Config("krr", 1), Config("krr", 2)});
  const std::string session = Register("w1", /*slots=*/1);
  v1::LeaseJobResponse leased;
  ASSERT_TRUE(Lease(Worker(session), "w1", &leased).ok());
  ASSERT_TRUE(leased.has_lease());
  v1::ReportResultRequest req;
  req.set_job_id(leased.lease().job_id());
  req.set_attempt(leased.lease().attempt());
  req.mutable_report()->set_ok(true);
  req.mutable_report()->mutable_result()->set_mse(0.5);
  req.mutable_next()->set_worker_id("w2");
  req.mutable_next()->set_max_jobs(1);
  v1::ReportResultResponse resp;
  const std::string before = Rows();
  grpc::Status s = Call(&v1::SweepService::Stub::ReportResult, req, &resp, Worker(session));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("next.worker_id"));
  EXPECT_EQ(Rows(), before);
  // Empty: the session's worker; the report is stored and the next job leased to w1.
  req.mutable_next()->clear_worker_id();
  s = Call(&v1::SweepService::Stub::ReportResult, req, &resp, Worker(session));
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(resp.has_lease());
  EXPECT_EQ(resp.more_size(), 0);
  EXPECT_NE(resp.lease().job_id(), leased.lease().job_id());
  EXPECT_EQ(Count("SELECT count(*) FROM results"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM jobs WHERE state = 'running' AND lease_owner = 'w1'"), 1);
}

// Finding: PutCheckpoint accepted junk under a pending job's training hash.
TEST_F(AuthServiceTest, OnlyTheLeaseHolderStoresACheckpoint) {
  JobConfig mamba = Config("mamba", 0);
  Submit({mamba});
  const std::string w1 = Register("w1"), w2 = Register("w2");
  v1::PutCheckpointRequest put;
  put.mutable_checkpoint()->set_training_hash(TrainingHash(mamba));
  put.mutable_checkpoint()->set_model("mamba");
  put.mutable_checkpoint()->set_config_json(CanonicalJson(mamba));
  put.mutable_checkpoint()->set_format("safetensors");
  put.mutable_checkpoint()->set_data("junk");
  v1::PutCheckpointResponse put_resp;
  // Pending (queued) job: nobody holds its lease.
  EXPECT_EQ(Call(&v1::SweepService::Stub::PutCheckpoint, put, &put_resp, Worker(w1)).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::LeaseJobResponse lease;
  ASSERT_TRUE(Lease(Worker(w1), "w1", &lease).ok());
  ASSERT_TRUE(lease.has_lease());
  // Leased by w1: w2 may not store it, w1 may.
  EXPECT_EQ(Call(&v1::SweepService::Stub::PutCheckpoint, put, &put_resp, Worker(w2)).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Count("SELECT count(*) FROM checkpoints"), 0);
  EXPECT_TRUE(Call(&v1::SweepService::Stub::PutCheckpoint, put, &put_resp, Worker(w1)).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM checkpoints"), 1);
}

// A second process may not take over a live worker's id (and with it its leases); the
// worker itself, presenting its session, registers again and keeps it.
TEST_F(AuthServiceTest, ALiveWorkersIdCannotBeTakenOver) {
  Submit({Config("krr", 0)});
  const std::string session = Register("w1");
  v1::LeaseJobResponse lease;
  ASSERT_TRUE(Lease(Worker(session), "w1", &lease).ok());
  ASSERT_TRUE(lease.has_lease());
  v1::RegisterWorkerRequest reg;
  reg.set_worker_id("w1");
  reg.set_slots(1);
  v1::RegisterWorkerResponse resp;
  grpc::Status thief = Call(&v1::SweepService::Stub::RegisterWorker, reg, &resp, Worker());
  EXPECT_EQ(thief.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(thief.error_message(), HasSubstr("1 running lease"));
  ASSERT_TRUE(Call(&v1::SweepService::Stub::RegisterWorker, reg, &resp, Worker(session)).ok());
  EXPECT_EQ(resp.session_secret(), "");  // kept
  v1::HeartbeatRequest beat;
  beat.set_job_id(lease.lease().job_id());
  beat.set_attempt(lease.lease().attempt());
  v1::HeartbeatResponse beat_resp;
  EXPECT_TRUE(Call(&v1::SweepService::Stub::Heartbeat, beat, &beat_resp, Worker(session)).ok());
}

TEST_F(AuthServiceTest, RegistrationRefusesBadIdsAndSlots) {
  v1::RegisterWorkerRequest reg;
  reg.set_worker_id(std::string(257, 'w'));
  reg.set_slots(1);
  v1::RegisterWorkerResponse resp;
  grpc::Status long_id = Call(&v1::SweepService::Stub::RegisterWorker, reg, &resp, Worker());
  EXPECT_EQ(long_id.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(long_id.error_message(), HasSubstr("257 bytes"));
  reg.set_worker_id("w1");
  reg.set_slots(0);
  grpc::Status slots = Call(&v1::SweepService::Stub::RegisterWorker, reg, &resp, Worker());
  EXPECT_EQ(slots.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(slots.error_message(), HasSubstr("slots: 0"));
}

// G3: the token set by rpc::MakeChannel reaches the server on a plaintext channel
// (gRPC drops call credentials from plaintext channels silently; this would then fail
// with UNAUTHENTICATED).
TEST_F(AuthServiceTest, TheChannelsTokenTravelsOnPlaintext) {
  rpc::ChannelAuth auth;
  auth.token = auth_.client_token;
  auto stub = v1::SweepService::NewStub(rpc::MakeChannel(server_->address(), auth));
  grpc::ClientContext ctx;
  rpc::SetDeadline(ctx, rpc::RpcKind::kQuery);
  v1::ListSweepsResponse resp;
  grpc::Status s = stub->ListSweeps(&ctx, v1::ListSweepsRequest(), &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
}

// The health service stays open: load balancers and scripts check it with no token.
TEST_F(AuthServiceTest, HealthNeedsNoToken) {
  grpc::GenericStub generic(channel_);
  grpc::ClientContext ctx;
  rpc::SetDeadline(ctx, rpc::RpcKind::kHeartbeat);
  grpc::Slice empty("");
  grpc::ByteBuffer req(&empty, 1), resp;
  std::promise<grpc::Status> done;
  generic.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &req, &resp,
                    [&](grpc::Status s) { done.set_value(std::move(s)); });
  EXPECT_TRUE(done.get_future().get().ok());
}

// G5 at the API: a server with no tokens does not start unless auth is turned off by
// name; the message says which flag. (sweepd itself always has tokens: it creates them.)
TEST(ServerAuthTest, NoTokensRefusedUnlessAuthIsExplicitlyOff) {
  ::sweep::testing::TempDir dir;
  ServerOptions o;
  o.listen = "0.0.0.0:0";
  o.coordinator.db_path = dir.File("sweep.db");
  auto refused = SweepServer::Start(o, SystemClock::Get());
  EXPECT_THAT(refused.status(), sweep::testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                                         HasSubstr("--insecure-no-auth")));
  o.auth.client_token = o.auth.worker_token = "same";
  EXPECT_THAT(
      SweepServer::Start(o, SystemClock::Get()).status(),
      sweep::testing::StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tokens are equal")));
  o.auth = ServerAuth();
  o.auth.insecure_no_auth = true;
  auto open = SweepServer::Start(o, SystemClock::Get());
  ASSERT_THAT(open, sweep::testing::IsOk());
  // With auth off a call needs no token, but a worker still needs its session.
  auto stub = v1::SweepService::NewStub(
      grpc::CreateChannel((*open)->address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  rpc::SetDeadline(ctx, rpc::RpcKind::kQuery);
  v1::ListSweepsResponse sweeps;
  EXPECT_TRUE(stub->ListSweeps(&ctx, v1::ListSweepsRequest(), &sweeps).ok());
  grpc::ClientContext lease_ctx;
  rpc::SetDeadline(lease_ctx, rpc::RpcKind::kQuery);
  v1::LeaseJobRequest lease;
  lease.set_worker_id("throwaway");
  v1::LeaseJobResponse lease_resp;
  EXPECT_EQ(stub->LeaseJob(&lease_ctx, lease, &lease_resp).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

}  // namespace
}  // namespace sweep::server
