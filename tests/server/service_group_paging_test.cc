// Paging of GetResults, GetCurves and ListSweeps (docs/limits.md, "Paging") against a real
// server: pages are in group order and join into the whole listing, a bad page token is
// INVALID_ARGUMENT naming the field, and `sweep results` / `sweep curves` / `sweep status`
// return a listing larger than one page whole.
#include <sys/stat.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "common/limits.h"
#include "gmock/gmock.h"
#include "server/group_paging.h"
#include "tests/client/run_cli.h"
#include "tests/server/service_fixture.h"

namespace sweep::server {
namespace {

using ::sweep::testing::IsOk;
using ::sweep::testing::StatusIs;
using ::testing::HasSubstr;

class GroupPagingTest : public ServiceTest {
 protected:
  // Submits a krr sweep of `seeds` jobs and reports the first `succeed` of them (all by
  // default) succeeded, curve at n 1, 2, 4, 8.
  int64_t SucceededSweep(int seeds, int succeed = -1) {
    auto submitted = Submit("r",
                            "name: many\nbase: {model: krr, d: 4, N: 8, eval_tasks: 10}\n"
                            "seeds: " +
                                std::to_string(seeds) + "\n");
    EXPECT_THAT(submitted, IsOk());
    EXPECT_THAT(Register("w"), IsOk());
    SucceedNext(succeed < 0 ? seeds : succeed);
    return submitted.ok() ? submitted->sweep_id() : 0;
  }

  // Leases the next `jobs` queued jobs (in job order) and reports each succeeded.
  void SucceedNext(int jobs) {
    for (int i = 0; i < jobs; ++i) {  // bounded: one lease per job
      v1::LeaseJobRequest req;
      req.set_worker_id("w");
      req.set_wait_ms(100);
      v1::LeaseJobResponse resp;
      EXPECT_THAT(Call(&v1::SweepService::Stub::LeaseJob, req, &resp), IsOk());
      if (!resp.has_lease()) break;
      EXPECT_THAT(Report(resp.lease(), OkReport("w", {1, 2, 4, 8})), IsOk());
    }
  }

  // The CLI's flags for this server: its address and a client token file (mode 0600).
  std::vector<std::string> Remote() {
    const std::string token = (dir_ / "client-token").string();
    std::ofstream(token) << auth_.client_token;
    chmod(token.c_str(), 0600);
    return {"--coordinator", server_->address(), "--token-file", token};
  }

  static size_t Lines(const std::string& text) {
    return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
  }
};

TEST_F(GroupPagingTest, ResultPagesFollowTheGroupOrderAndJoinIntoTheWhole) {
  const int64_t sweep = SucceededSweep(5);
  v1::GetResultsRequest req;
  req.mutable_query()->set_sweep_id(sweep);
  req.mutable_query()->add_group_by("seed");
  v1::GetResultsResponse whole;
  ASSERT_THAT(Call(&v1::SweepService::Stub::GetResults, req, &whole), IsOk());
  ASSERT_EQ(whole.groups_size(), 5);
  EXPECT_TRUE(whole.next_page_token().empty());

  req.set_page_size(2);
  std::vector<std::string> seeds;
  int pages = 0;
  do {  // at most 5 pages of 2: the loop is bounded by the test's assertion below
    v1::GetResultsResponse page;
    ASSERT_THAT(Call(&v1::SweepService::Stub::GetResults, req, &page), IsOk());
    ASSERT_LE(page.groups_size(), 2);
    for (const auto& g : page.groups()) seeds.push_back(g.key().at("seed"));
    req.set_page_token(page.next_page_token());
    ASSERT_LE(++pages, 5);
  } while (!req.page_token().empty());
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seeds, (std::vector<std::string>{"0", "1", "2", "3", "4"}));
}

TEST_F(GroupPagingTest, APageTokenStaysValidWhileResultsArrive) {
  // Seeds 0-2 succeeded; the first page holds 0 and 1. Seeds 3-5 then succeed: the
  // listing goes on after seed 1, with no group twice and none skipped.
  const int64_t sweep = SucceededSweep(6, 3);
  v1::GetResultsRequest req;
  req.mutable_query()->set_sweep_id(sweep);
  req.mutable_query()->add_group_by("seed");
  req.set_page_size(2);
  v1::GetResultsResponse first;
  ASSERT_THAT(Call(&v1::SweepService::Stub::GetResults, req, &first), IsOk());
  ASSERT_EQ(first.groups_size(), 2);
  ASSERT_FALSE(first.next_page_token().empty());
  SucceedNext(3);
  std::vector<std::string> seeds = {first.groups(0).key().at("seed"),
                                    first.groups(1).key().at("seed")};
  req.set_page_token(first.next_page_token());
  for (int page = 0; page < 4 && !req.page_token().empty(); ++page) {
    v1::GetResultsResponse resp;
    ASSERT_THAT(Call(&v1::SweepService::Stub::GetResults, req, &resp), IsOk());
    for (const auto& g : resp.groups()) seeds.push_back(g.key().at("seed"));
    req.set_page_token(resp.next_page_token());
  }
  EXPECT_TRUE(req.page_token().empty());
  EXPECT_EQ(seeds, (std::vector<std::string>{"0", "1", "2", "3", "4", "5"}));
}

TEST_F(GroupPagingTest, GroupsArrivingBeforeThePageTokenAreNeverSentTwice) {
  // Jobs run in the order seed 2, 3, 4, 5, 0, 1. After the page {2, 3}, seeds 0 and 1
  // succeed: they sort before the token, so the rest of the listing is {4, 5}, and no
  // group comes twice (an offset would send 2 and 3 again).
  auto submitted = Submit("r",
                          "name: order\nbase: {model: krr, d: 4, N: 8, eval_tasks: 10}\n"
                          "grid: {seed: [2, 3, 4, 5, 0, 1]}\n");
  ASSERT_THAT(submitted, IsOk());
  ASSERT_THAT(Register("w"), IsOk());
  SucceedNext(4);
  v1::GetResultsRequest req;
  req.mutable_query()->set_sweep_id(submitted->sweep_id());
  req.mutable_query()->add_group_by("seed");
  req.set_page_size(2);
  std::vector<std::string> seeds;
  for (int page = 0; page < 4; ++page) {
    v1::GetResultsResponse resp;
    ASSERT_THAT(Call(&v1::SweepService::Stub::GetResults, req, &resp), IsOk());
    for (const auto& g : resp.groups()) seeds.push_back(g.key().at("seed"));
    if (page == 0) SucceedNext(2);
    req.set_page_token(resp.next_page_token());
    if (req.page_token().empty()) break;
  }
  EXPECT_TRUE(req.page_token().empty());
  EXPECT_EQ(seeds, (std::vector<std::string>{"2", "3", "4", "5"}));
}

TEST_F(GroupPagingTest, CurvePagesJoinIntoTheWhole) {
  const int64_t sweep = SucceededSweep(3);
  v1::GetCurvesRequest req;
  req.mutable_query()->set_sweep_id(sweep);
  req.mutable_query()->add_group_by("seed");
  req.set_page_size(1);
  std::vector<std::string> seeds;
  for (int page = 0; page < 4; ++page) {
    v1::GetCurvesResponse resp;
    ASSERT_THAT(Call(&v1::SweepService::Stub::GetCurves, req, &resp), IsOk());
    for (const auto& g : resp.groups()) {
      seeds.push_back(g.key().at("seed"));
      EXPECT_EQ(g.points_size(), 4);
    }
    req.set_page_token(resp.next_page_token());
    if (req.page_token().empty()) break;
  }
  EXPECT_TRUE(req.page_token().empty());
  EXPECT_EQ(seeds, (std::vector<std::string>{"0", "1", "2"}));
}

TEST_F(GroupPagingTest, ABadPageTokenOrSizeIsInvalidArgumentNamingTheField) {
  const int64_t sweep = SucceededSweep(1);
  for (const std::string token : {"not-a-token", "g3:abc", "g1:a", "g1:a1:b1:a1:b", "g9999:x"}) {
    v1::GetResultsRequest results;
    results.mutable_query()->set_sweep_id(sweep);
    results.set_page_token(token);
    v1::GetResultsResponse r;
    EXPECT_THAT(Call(&v1::SweepService::Stub::GetResults, results, &r),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_token")))
        << token;
    v1::GetCurvesRequest curves;
    curves.mutable_query()->set_sweep_id(sweep);
    curves.set_page_token(token);
    v1::GetCurvesResponse c;
    EXPECT_THAT(Call(&v1::SweepService::Stub::GetCurves, curves, &c),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_token")))
        << token;
  }
  v1::ListSweepsRequest list;
  list.set_page_token("x");
  v1::ListSweepsResponse l;
  EXPECT_THAT(Call(&v1::SweepService::Stub::ListSweeps, list, &l),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_token")));
  list.set_page_token("");
  list.set_page_size(limits::kMaxPageSize + 1);
  EXPECT_THAT(Call(&v1::SweepService::Stub::ListSweeps, list, &l),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_size: 10001")));
}

TEST(GroupPageTokenTest, RoundTripsAnyKeyAndNeverReadsAsTheStart) {
  const GroupKey key = {{"link", "\"h:2\""}, {"d", "16"}, {"", ""}};
  auto parsed = ParseGroupPageToken(GroupPageToken(key));
  ASSERT_THAT(parsed, IsOk());
  ASSERT_TRUE(parsed->has_value());
  EXPECT_EQ(**parsed, key);
  EXPECT_FALSE(GroupPageToken({}).empty());
}

TEST_F(GroupPagingTest, TheCliReturnsResultsAndCurvesLargerThanOnePageWhole) {
  const int jobs = limits::kDefaultPageSize + 100;
  const int64_t sweep = SucceededSweep(jobs);
  // Global flags first, then the command.
  std::vector<std::string> results = Remote();
  const size_t command = results.size();
  for (const std::string& word :
       {std::string("results"), std::to_string(sweep), std::string("--group-by"),
        std::string("seed"), std::string("--format"), std::string("csv")}) {
    results.push_back(word);
  }
  client::CliRun r = client::RunSweepCli(results);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Lines(r.out), static_cast<size_t>(jobs) + 1);  // header + one row per seed
  std::set<std::string> rows;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) rows.insert(line);
  EXPECT_EQ(rows.size(), static_cast<size_t>(jobs) + 1);  // no group twice

  std::vector<std::string> curves = results;
  curves[command] = "curves";
  client::CliRun c = client::RunSweepCli(curves);
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_EQ(Lines(c.out), static_cast<size_t>(jobs) * 4 + 1);  // 4 points per seed
}

TEST_F(GroupPagingTest, TheCliListsMoreSweepsThanOnePage) {
  const int sweeps = limits::kDefaultPageSize + 5;
  for (int i = 0; i < sweeps; ++i) {
    ASSERT_THAT(Submit("s" + std::to_string(i), OneJob("s" + std::to_string(i))), IsOk());
  }
  std::vector<std::string> status = Remote();
  status.push_back("status");
  client::CliRun r = client::RunSweepCli(status);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Lines(r.out), static_cast<size_t>(sweeps));
  EXPECT_THAT(r.out, HasSubstr("s1004"));
}

}  // namespace
}  // namespace sweep::server
