// The curve-first queue order (server/queue_order.h): the pure ordering, and what a
// coordinator leases after k completions.
#include "server/queue_order.h"

#include <map>
#include <set>

#include "tests/server/coordinator_fixture.h"
#include "tests/storage/test_util.h"

namespace sweep::server {
namespace {

using ::sweep::testing::IsOk;

// A krr job of curve (d, link) and the given seed.
JobConfig Cell(int d, const std::string& link, uint64_t seed) {
  auto c = ResolveJobConfig(
      nlohmann::json{{"model", "krr"}, {"d", d}, {"N", 16}, {"link", link}, {"seed", seed}});
  EXPECT_TRUE(c.ok()) << c.status();
  return *c;
}

// Cost by d alone: the d = 32 jobs are the long ones.
double CostByD(const JobConfig& c) { return c.d; }

TEST(QueueOrderTest, SeedRankFirstThenLongestFirstThenFileOrder) {
  // File order: seed-major inside each curve, as a grid with seeds innermost gives.
  std::vector<JobConfig> jobs;
  for (int d : {8, 32})
    for (const char* link : {"h2", "h3"})
      for (uint64_t seed : {0, 1, 2}) jobs.push_back(Cell(d, link, seed));
  const std::vector<int64_t> pos = CurveFirstOrder(jobs, CostByD);
  std::vector<std::tuple<int, std::string, uint64_t>> order(jobs.size());
  for (size_t i = 0; i < jobs.size(); ++i) {
    order[pos[i]] = {jobs[i].d, jobs[i].link, jobs[i].seed};
  }
  const std::vector<std::tuple<int, std::string, uint64_t>> want = {
      {32, "h2", 0}, {32, "h3", 0}, {8, "h2", 0}, {8, "h3", 0},  // every curve's seed 0,
      {32, "h2", 1}, {32, "h3", 1}, {8, "h2", 1}, {8, "h3", 1},  // long ones first
      {32, "h2", 2}, {32, "h3", 2}, {8, "h2", 2}, {8, "h3", 2}};
  EXPECT_EQ(order, want);
}

TEST(QueueOrderTest, SeedRankIsThePositionInTheFileAmongTheCurvesJobs) {
  // Seeds 7 then 3 of one curve, 5 of another: ranks 0, 1 and 0 (the file's seed order
  // is kept). Without a cost the file order breaks ties.
  std::vector<JobConfig> jobs = {Cell(8, "h2", 7), Cell(8, "h2", 3), Cell(8, "h3", 5)};
  EXPECT_EQ(CurveFirstOrder(jobs, nullptr), (std::vector<int64_t>{0, 2, 1}));
}

TEST(QueueOrderTest, ThreadsDoNotMakeACurve) {
  // threads changes no metric: jobs that differ only in it and the seed are one curve.
  std::vector<JobConfig> jobs = {Cell(8, "h2", 0), Cell(8, "h2", 1), Cell(8, "h3", 0)};
  jobs[1].threads = 2;
  EXPECT_EQ(CurveFirstOrder(jobs, nullptr), (std::vector<int64_t>{0, 2, 1}));
}

TEST(QueueOrderTest, EmptySweep) { EXPECT_TRUE(CurveFirstOrder({}, CostByD).empty()); }

class CoordinatorQueueOrderTest : public CoordinatorTest {
 protected:
  void SetUp() override {}  // Open with a cost model in each test
  void OpenWithCost() {
    CoordinatorOptions options;
    options.db_path = path_;
    options.lease_ttl = kTtl;
    options.reap_interval = std::chrono::hours(1);
    options.job_cost = CostByD;
    auto coord = Coordinator::Open(options, clock_);
    ASSERT_TRUE(coord.ok()) << coord.status();
    coord_ = std::move(*coord);
  }
  int64_t SubmitJobs(const std::string& request_id, const std::vector<JobConfig>& jobs) {
    NewSweep s = ::sweep::testing::Meta(request_id, /*use_cache=*/false, 3);
    s.jobs = jobs;
    auto out = coord_->Submit(s);
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? out->sweep_id : -1;
  }
};

TEST_F(CoordinatorQueueOrderTest, AfterEachRoundEveryCurveHasTheSameNumberOfSeeds) {
  OpenWithCost();
  std::vector<JobConfig> jobs;  // 4 curves x 3 seeds, seeds innermost in the file
  for (int d : {8, 32})
    for (const char* link : {"h2", "h3"})
      for (uint64_t seed : {0, 1, 2}) jobs.push_back(Cell(d, link, seed));
  const int64_t sweep_id = SubmitJobs("r1", jobs);
  std::map<std::pair<int, std::string>, int> seeds_done;
  for (int k = 1; k <= 12; ++k) {
    sweep::Lease lease = MustLease("w1");
    clock_.Advance(std::chrono::seconds(1));
    ASSERT_THAT(coord_->Report(lease.job_id, 1, ::sweep::testing::OkReport("w1", 1.0, 0.5)),
                IsOk());
    const JobConfig& done = jobs[lease.job_id - 1];  // job ids follow the file order
    ++seeds_done[{done.d, done.link}];
    // After k completions: the first k of the order (4 curves per seed round, d 32 first).
    const int round = (k - 1) / 4, in_round = (k - 1) % 4;
    EXPECT_EQ(done.seed, uint64_t(round)) << "completion " << k;
    EXPECT_EQ(done.d, in_round < 2 ? 32 : 8) << "completion " << k;
    if (k % 4 == 0) {  // a round is complete: every curve has k / 4 seeds
      for (const auto& [curve, n] : seeds_done) EXPECT_EQ(n, k / 4) << curve.first;
      EXPECT_EQ(seeds_done.size(), 4u);
    }
  }
  EXPECT_TRUE(NothingToLease("w1"));
  EXPECT_EQ(Count("SELECT count(*) FROM jobs WHERE sweep_id = " + std::to_string(sweep_id) +
                  " AND state = 'succeeded'"),
            12);
}

TEST_F(CoordinatorQueueOrderTest, AnEarlierSweepLeavesTheQueueBeforeALaterOne) {
  OpenWithCost();
  // Sweep 1: cheap d 8 jobs, seeds 0..1; sweep 2: expensive d 32 seed 0. Sweep 2's seed-0
  // job must not overtake sweep 1's seed-1 job: sweeps run in submission order.
  SubmitJobs("a", {Cell(8, "h2", 0), Cell(8, "h2", 1)});
  SubmitJobs("b", {Cell(32, "h2", 0)});
  std::vector<int64_t> leased;
  for (int i = 0; i < 3; ++i) leased.push_back(MustLease("w1").job_id);
  EXPECT_EQ(leased, (std::vector<int64_t>{1, 2, 3}));
}

}  // namespace
}  // namespace sweep::server
