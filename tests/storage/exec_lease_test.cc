// The lease filter for `model: exec` jobs (docs/exec.md): a worker leases such a job only
// when its exec names list the job's program; an old worker that names none leases none.
#include <chrono>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/store.h"
#include "tests/storage/test_util.h"
#include "tests/testing/status_matchers.h"

namespace sweep::storage {
namespace {

using ::sweep::testing::IsOk;
using ::sweep::testing::Job;
using ::sweep::testing::Meta;
using ::sweep::testing::StatusIs;
using ::testing::HasSubstr;

const TimePoint kT0 = FromUnixMillis(1'700'000'000'000);
constexpr std::chrono::seconds kTtl(30);

// Canonical JSON as the registry writes it for an exec job (keys sorted).
const char kRidge[] = R"({"N":16,"d":4,"exec":"ridge","model":"exec","params":{"lam":0.1}})";
const char kOther[] = R"({"N":16,"d":4,"exec":"other","model":"exec","params":{}})";
const char kKrr[] = R"({"N":16,"d":4,"model":"krr"})";

class ExecLeaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::Open(dir_.File("sweep.db"));
    ASSERT_THAT(store, IsOk());
    store_ = std::move(*store);
  }
  // The config of the job granted to a worker with these exec names ("" for none).
  std::string Lease(std::vector<std::string> names) {
    LeaseFit fit;
    fit.exec_names = std::move(names);
    auto lease = store_->LeaseNext("w1", kT0, kTtl, fit);
    EXPECT_THAT(lease, IsOk());
    return lease.ok() && lease->has_value() ? (*lease)->config_json : "";
  }
  ::sweep::testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(ExecLeaseTest, WorkerWithoutExecNamesLeasesOnlyBuiltInJobs) {
  ASSERT_THAT(store_->SubmitPrepared(Meta("r1"), {Job(kRidge, "exec"), Job(kKrr)}, kT0), IsOk());
  EXPECT_EQ(Lease({}), kKrr);  // the exec job came first in the queue and was skipped
  EXPECT_EQ(Lease({}), "");
  EXPECT_EQ(Lease({"other"}), "");
}

TEST_F(ExecLeaseTest, WorkerThatAllowsTheProgramLeasesItsJob) {
  ASSERT_THAT(store_->SubmitPrepared(Meta("r1"), {Job(kRidge, "exec"), Job(kOther, "exec")}, kT0),
              IsOk());
  EXPECT_EQ(Lease({"other"}), kOther);
  EXPECT_EQ(Lease({"x", "ridge"}), kRidge);
}

TEST_F(ExecLeaseTest, AParameterSpellingTheModelDoesNotFoolTheFilter) {
  // A krr job cannot carry params, but an exec job's params may spell "model":"exec".
  const char kTricky[] =
      R"({"N":16,"d":4,"exec":"ridge","model":"exec","params":{"model":"exec"}})";
  ASSERT_THAT(store_->SubmitPrepared(Meta("r1"), {Job(kTricky, "exec")}, kT0), IsOk());
  EXPECT_EQ(Lease({"other"}), "");
  EXPECT_EQ(Lease({"ridge"}), kTricky);
}

TEST_F(ExecLeaseTest, BadExecNamesAreRefusedWithTheEntry) {
  LeaseFit fit;
  fit.exec_names = {"ok", "../bin/sh"};
  EXPECT_THAT(store_->LeaseNext("w1", kT0, kTtl, fit),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("exec_names[1]")));
  fit.exec_names.assign(65, "a");
  EXPECT_THAT(store_->LeaseNext("w1", kT0, kTtl, fit),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at most 64")));
}

}  // namespace
}  // namespace sweep::storage
