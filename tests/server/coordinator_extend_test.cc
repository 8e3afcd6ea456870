// `sweep extend` (Coordinator::Extend, Store::Extend): only the missing cells are added,
// in queue order after the sweep's own, from the cache where possible; a file that drops
// or changes a cell is refused with the keys named.
#include "tests/server/coordinator_fixture.h"

namespace sweep::server {
namespace {

using ::sweep::testing::IsOk;
using ::sweep::testing::OkReport;
using ::sweep::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

class ExtendTest : public CoordinatorTest {
 protected:
  // A parsed file whose cells are Config(seed) for the given seeds.
  static NewSweep File(const std::vector<int>& seeds, bool use_cache = true) {
    NewSweep s = ::sweep::testing::Meta("", use_cache, 3);
    s.spec_text = "seeds: " + std::to_string(seeds.size());
    for (int seed : seeds) s.jobs.push_back(Config(seed));
    return s;
  }
};

TEST_F(ExtendTest, AddsOnlyTheMissingCellsAfterTheSweepsOwnAndTwiceAddsNothing) {
  const int64_t sweep = Submit(2, "x");  // seeds 0, 1
  auto out = coord_->Extend(sweep, File({0, 1, 2, 3}));
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(out->added, 2);
  EXPECT_EQ(out->cached, 0);
  auto again = coord_->Extend(sweep, File({0, 1, 2, 3}));
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->added, 0);
  auto s = coord_->GetSweep(sweep);
  ASSERT_THAT(s, IsOk());
  EXPECT_EQ(s->total, 4);
  EXPECT_EQ(s->queued, 4);
  EXPECT_EQ(Count("SELECT jobs_total FROM sweeps WHERE sweep_id = 1"), 4);
  EXPECT_EQ(Count("SELECT count(*) FROM sweeps WHERE spec_text = 'seeds: 4'"), 1);
  // The sweep's own cells leave the queue first, then the added ones.
  std::vector<uint64_t> seeds;
  for (int i = 0; i < 4; ++i) {
    seeds.push_back(nlohmann::json::parse(MustLease("w1").config_json)["seed"].get<uint64_t>());
  }
  EXPECT_EQ(seeds, (std::vector<uint64_t>{0, 1, 2, 3}));
}

TEST_F(ExtendTest, AFileThatDropsOrChangesACellIsRefusedWithTheKeyAndNothingChanges) {
  const int64_t sweep = Submit(2, "x");
  // Seed 1 is gone from the file.
  EXPECT_THAT(coord_->Extend(sweep, File({0, 2})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("drops or changes 1 of the 2 cells of sweep 1"),
                             HasSubstr("no cell with seed 1"))));
  // Another d for every cell: the base changed.
  NewSweep changed = File({0, 1, 2});
  for (JobConfig& c : changed.jobs) c.d = 16;
  EXPECT_THAT(coord_->Extend(sweep, changed),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no cell with d 8")));
  EXPECT_THAT(coord_->Extend(77, File({0})),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("sweep 77")));
  EXPECT_EQ(Count("SELECT count(*) FROM jobs"), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM events WHERE kind = 'extended'"), 0);
}

TEST_F(ExtendTest, CellsComputedElsewhereComeFromTheCacheAndACancelledSweepRunsAgain) {
  const int64_t other = Submit(3, "other");  // computes seed 2 elsewhere
  for (int i = 0; i < 3; ++i) {
    const sweep::Lease lease = MustLease("w1");
    ASSERT_THAT(coord_->Report(lease.job_id, 1, OkReport("w1", 1.0, 0.5)), IsOk());
  }
  NewSweep first = File({0}, /*use_cache=*/false);
  first.request_id = "first";
  auto submitted = coord_->Submit(first);
  ASSERT_THAT(submitted, IsOk());
  const int64_t sweep = submitted->sweep_id;
  ASSERT_NE(sweep, other);
  ASSERT_THAT(coord_->Cancel(sweep), IsOk());
  auto out = coord_->Extend(sweep, File({0, 2, 3}));
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(out->added, 2);
  EXPECT_EQ(out->cached, 1);  // seed 2, from the other sweep
  auto s = coord_->GetSweep(sweep);
  ASSERT_THAT(s, IsOk());
  EXPECT_FALSE(s->cancel_requested);  // extending is a decision to run again
  const sweep::Lease lease = MustLease("w1");  // seed 3
  EXPECT_EQ(lease.sweep_id, sweep);
  EXPECT_THAT(coord_->Report(lease.job_id, 1, OkReport("w1", 1.0, 0.5)), IsOk());
}

}  // namespace
}  // namespace sweep::server
