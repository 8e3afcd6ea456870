// Hostile and wrong requests against a real server (docs/limits.md): each is refused
// with a code and a message naming the field and the limit, changes nothing it should
// not, and no message carries SQL or raw control bytes.
#include <string>
#include <vector>

#include "common/limits.h"
#include "gmock/gmock.h"
#include "tests/server/service_fixture.h"

namespace sweep::server {
namespace {

using ::sweep::testing::IsOk;
using ::sweep::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

TEST_F(ServiceTest, RegisterWorkerRefusesAHugeIdAndSlotsOutOfRange) {
  EXPECT_THAT(Register(std::string(4'000'000, 'w')),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("worker_id: 4000000 bytes (the limit is 256)")));
  EXPECT_THAT(Register("w1", -5), StatusIs(absl::StatusCode::kInvalidArgument,
                                           HasSubstr("slots: -5 (must be 1..1024)")));
  EXPECT_THAT(Register("w1", 1025),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("slots")));
  EXPECT_THAT(Register("w\x1b[2J"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("w\\x1B[2J"), Not(HasSubstr("\x1b")))));
  v1::ListWorkersResponse workers;
  ASSERT_THAT(Call(&v1::SweepService::Stub::ListWorkers, v1::ListWorkersRequest(), &workers),
              IsOk());
  EXPECT_EQ(workers.workers_size(), 0);
}

TEST_F(ServiceTest, HeartbeatRefusesNegativeProgressAndStepPastTotal) {
  ASSERT_THAT(Submit("r1", OneJob("hb")), IsOk());
  const v1::Lease lease = MustLease("w1");
  EXPECT_THAT(Heartbeat(lease, "w1", -1, 10),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("progress")));
  EXPECT_THAT(Heartbeat(lease, "w1", 11, 10),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("step 11 > total 10")));
  EXPECT_THAT(Heartbeat(lease, "w1", 5, 10), IsOk());
}

TEST_F(ServiceTest, ReportWithAHugeCurveFarBeyondNIsRefused) {
  ASSERT_THAT(Submit("r1", OneJob("curve")), IsOk());
  const v1::Lease lease = MustLease("w1");
  std::vector<int> ns;
  for (int n = 0; n < 100'000; ++n) ns.push_back(1'000'000 + n);
  EXPECT_THAT(Report(lease, OkReport("w1", ns)),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("result.curve: 100000 points (the limit is 65537)")));
  EXPECT_THAT(Report(lease, OkReport("w1", {0, 8, 9})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("result.curve: n 9 outside 0..N = 0..8")));
  EXPECT_THAT(Report(lease, OkReport("w1", {0, 4, 8})), IsOk());
}

TEST_F(ServiceTest, DuplicateNIsInvalidArgumentWithoutSqlAndKeepsTheLease) {
  ASSERT_THAT(Submit("r1", OneJob("dup")), IsOk());
  const v1::Lease lease = MustLease("w1");
  const absl::Status refused = Report(lease, OkReport("w1", {0, 4, 4, 8}));
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kInvalidArgument,
                                HasSubstr("result.curve: n 4 appears more than once")));
  for (const char* sql : {"INSERT", "SELECT", "eval_curves", "constraint", "UNIQUE"}) {
    EXPECT_THAT(std::string(refused.message()), Not(HasSubstr(sql)));
  }
  // The lease is as it was: the same worker still holds it and may report correctly.
  v1::ListJobsRequest list;
  list.set_sweep_id(lease.sweep_id());
  v1::ListJobsResponse jobs;
  ASSERT_THAT(Call(&v1::SweepService::Stub::ListJobs, list, &jobs), IsOk());
  ASSERT_EQ(jobs.jobs_size(), 1);
  EXPECT_EQ(jobs.jobs(0).state(), "running");
  EXPECT_EQ(jobs.jobs(0).worker_id(), "w1");
  EXPECT_THAT(Heartbeat(lease, "w1", 1, 2), IsOk());
  EXPECT_THAT(Report(lease, OkReport("w1", {0, 4, 8})), IsOk());
}

TEST_F(ServiceTest, LongErrorMessagesAreStoredTruncated) {
  ASSERT_THAT(Submit("r1", OneJob("err")), IsOk());
  const v1::Lease lease = MustLease("w1");
  v1::JobReport report;
  report.set_ok(false);
  report.set_worker_id("w1");
  report.set_error(std::string(3'000'000, 'e'));
  ASSERT_THAT(Report(lease, report), IsOk());
  v1::ListJobsRequest list;
  list.set_sweep_id(lease.sweep_id());
  v1::ListJobsResponse jobs;
  ASSERT_THAT(Call(&v1::SweepService::Stub::ListJobs, list, &jobs), IsOk());
  ASSERT_EQ(jobs.jobs_size(), 1);
  EXPECT_EQ(jobs.jobs(0).state(), "failed");
  EXPECT_LE(jobs.jobs(0).error().size(), limits::kMaxErrorBytes);
  EXPECT_THAT(jobs.jobs(0).error(), HasSubstr("[truncated from 3000000 bytes]"));
}

TEST_F(ServiceTest, JsonWithTrailingGarbageAndSecondYamlDocumentAreRefused) {
  EXPECT_THAT(Submit("r1", R"({"name": "j", "base": {"model": "krr", "d": 4, "N": 8}} garbage)"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("t.yaml:1:57: content after the first document")));
  EXPECT_THAT(Submit("r2", OneJob("a") + "---\n" + OneJob("b")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("t.yaml:3:1: content after the first document")));
  v1::ListSweepsResponse sweeps;
  ASSERT_THAT(Call(&v1::SweepService::Stub::ListSweeps, v1::ListSweepsRequest(), &sweeps), IsOk());
  EXPECT_EQ(sweeps.sweeps_size(), 0);
}

TEST_F(ServiceTest, SubmitRefusesAHugeSourceNameAndRequestId) {
  v1::SubmitSweepRequest req;
  req.set_request_id("r1");
  req.set_spec_text(OneJob("n"));
  req.set_source_name(std::string(2'000'000, 'f'));
  v1::SubmitSweepResponse resp;
  EXPECT_THAT(Call(&v1::SweepService::Stub::SubmitSweep, req, &resp),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("source_name: 2000000 bytes (the limit is 1024)")));
  EXPECT_THAT(Submit(std::string(200, 'r'), OneJob("n")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("request_id: 200 bytes (the limit is 128)")));
}

TEST_F(ServiceTest, RetriedSubmitWithAnotherFileIsRefusedNamingTheRequestId) {
  auto first = Submit("req-1", OneJob("first"));
  ASSERT_THAT(first, IsOk());
  auto replay = Submit("req-1", OneJob("first"));
  ASSERT_THAT(replay, IsOk());
  EXPECT_TRUE(replay->existing());
  EXPECT_EQ(replay->sweep_id(), first->sweep_id());
  EXPECT_THAT(Submit("req-1", OneJob("second")),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("request_id \"req-1\"")));
}

TEST_F(ServiceTest, ErrorMessagesEscapeControlAndBidiCharacters) {
  const std::string text =
      "name: x\nbase: {model: krr, d: 4, N: 8, \"s\x1b]0;pwned\x07\xe2\x80\xae\": 1}\n";
  const auto refused = Submit("r1", text);
  ASSERT_THAT(refused, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown key")));
  const std::string message(refused.status().message());
  EXPECT_THAT(message, HasSubstr("s\\x1B]0;pwned\\x07\\u{202E}"));
  for (char c : message) EXPECT_FALSE(static_cast<unsigned char>(c) < 0x20) << message;
}

}  // namespace
}  // namespace sweep::server

namespace sweep::server {
namespace {

TEST_F(ServiceTest, ControlSweepRefusesAnUnknownActionByNameAndAnUnknownSweep) {
  ASSERT_THAT(Submit("r1", OneJob("ctl")), IsOk());
  v1::ControlSweepRequest req;
  req.set_sweep_id(1);
  req.set_action("explode\x1b");
  v1::ControlSweepResponse resp;
  EXPECT_THAT(
      Call(&v1::SweepService::Stub::ControlSweep, req, &resp),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("action: unknown"), HasSubstr("(pause|resume|stop)"))));
  req.set_action("pause");
  req.set_sweep_id(77);
  EXPECT_THAT(Call(&v1::SweepService::Stub::ControlSweep, req, &resp),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("sweep 77")));
  req.set_sweep_id(1);
  EXPECT_THAT(Call(&v1::SweepService::Stub::ControlSweep, req, &resp), IsOk());
  v1::GetSweepRequest get;
  get.set_sweep_id(1);
  v1::GetSweepResponse sweep;
  ASSERT_THAT(Call(&v1::SweepService::Stub::GetSweep, get, &sweep), IsOk());
  EXPECT_TRUE(sweep.sweep().paused());
}

}  // namespace
}  // namespace sweep::server

namespace sweep::server {
namespace {

TEST(ServerOptionsTest, PollerCountsMustFitTheThreadLimit) {
  ServerOptions o;
  o.coordinator.db_path = "x.db";
  o.auth.insecure_no_auth = true;
  ASSERT_THAT(o.Validate(), ::sweep::testing::IsOk());
  o.min_pollers = 0;
  EXPECT_THAT(o.Validate(), ::sweep::testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                                       ::testing::HasSubstr("min_pollers")));
  o.min_pollers = 8;
  o.max_pollers = 4;  // fewer than the minimum
  EXPECT_THAT(o.Validate(), ::sweep::testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                                       ::testing::HasSubstr("max_pollers")));
  o.max_pollers = o.max_threads + 1;  // more than the threads gRPC may start
  EXPECT_THAT(o.Validate(), ::sweep::testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                                       ::testing::HasSubstr("max_threads")));
}

}  // namespace
}  // namespace sweep::server
