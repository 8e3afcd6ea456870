// Message sizes and paging against a real server (docs/limits.md): a sweep file just under
// the spec limit travels end to end through the clients' channel, one over it is refused
// naming the limit, and listings come in pages that the client follows to the end.
#include <set>
#include <string>

#include "client/rpc_backend.h"
#include "common/limits.h"
#include "gmock/gmock.h"
#include "server/paging.h"
#include "tests/server/service_fixture.h"

namespace sweep::server {
namespace {

using ::sweep::testing::IsOk;
using ::sweep::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

// A valid one-job sweep file padded with comment lines to `bytes` bytes.
std::string Padded(size_t bytes) {
  std::string text = "name: big\nbase: {model: krr, d: 4, N: 8, eval_tasks: 10}\n";
  const std::string line = "# " + std::string(1021, 'x') + "\n";  // 1024 bytes
  while (text.size() + line.size() <= bytes) text += line;
  text += std::string(bytes - text.size() - 1, '#') + "\n";
  return text;
}

TEST_F(ServiceTest, AFileJustUnderTheSpecLimitIsAcceptedEndToEnd) {
  const std::string text = Padded(limits::kMaxSpecBytes - 1024);
  ASSERT_EQ(text.size(), limits::kMaxSpecBytes - 1024);
  client::RpcBackend rpc(server_->address(), ClientAuth());
  auto reply = rpc.Submit("big-1", text, "big.yaml", false);
  ASSERT_THAT(reply, IsOk());
  EXPECT_EQ(reply->outcome.jobs_total, 1);
  EXPECT_EQ(reply->name, "big");
}

TEST_F(ServiceTest, AFileOverTheSpecLimitIsRefusedNamingTheLimitNotGrpcs) {
  client::RpcBackend rpc(server_->address(), ClientAuth());
  auto reply = rpc.Submit("big-2", Padded(limits::kMaxSpecBytes + 4096), "big.yaml", false);
  EXPECT_THAT(reply, StatusIs(absl::StatusCode::kInvalidArgument,
                              HasSubstr("exceeds the limit of 16777216")));
  EXPECT_THAT(std::string(reply.status().message()), Not(HasSubstr("larger than max")));
}

TEST_F(ServiceTest, ListJobsComesInPagesAndTheClientFollowsThem) {
  auto submitted =
      Submit("r1", "name: many\nbase: {model: krr, d: 4, N: 8, eval_tasks: 10}\nseeds: 2500\n");
  ASSERT_THAT(submitted, IsOk());
  v1::ListJobsRequest req;
  req.set_sweep_id(submitted->sweep_id());
  v1::ListJobsResponse first;
  ASSERT_THAT(Call(&v1::SweepService::Stub::ListJobs, req, &first), IsOk());
  EXPECT_EQ(first.jobs_size(), limits::kDefaultPageSize);
  EXPECT_FALSE(first.next_page_token().empty());

  req.set_page_size(limits::kMaxPageSize + 1);
  v1::ListJobsResponse refused;
  EXPECT_THAT(Call(&v1::SweepService::Stub::ListJobs, req, &refused),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_size: 10001")));
  req.set_page_size(0);
  req.set_page_token("not-a-token");
  EXPECT_THAT(Call(&v1::SweepService::Stub::ListJobs, req, &refused),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_token")));

  client::RpcBackend rpc(server_->address(), ClientAuth());
  auto all = rpc.ListJobs(submitted->sweep_id(), std::nullopt);
  ASSERT_THAT(all, IsOk());
  ASSERT_EQ(all->size(), 2500u);
  std::set<int64_t> ids;
  for (const JobRecord& j : *all) ids.insert(j.job_id);
  EXPECT_EQ(ids.size(), 2500u);
}

TEST_F(ServiceTest, ListWorkersComesInPagesAndTheClientFollowsThem) {
  for (int i = 0; i < 3; ++i) ASSERT_THAT(Register("w" + std::to_string(i)), IsOk());
  v1::ListWorkersRequest req;
  req.set_page_size(2);
  v1::ListWorkersResponse page;
  ASSERT_THAT(Call(&v1::SweepService::Stub::ListWorkers, req, &page), IsOk());
  ASSERT_EQ(page.workers_size(), 2);
  EXPECT_EQ(page.next_page_token(), "w1");
  req.set_page_token(page.next_page_token());
  ASSERT_THAT(Call(&v1::SweepService::Stub::ListWorkers, req, &page), IsOk());
  ASSERT_EQ(page.workers_size(), 1);
  EXPECT_EQ(page.workers(0).worker_id(), "w2");
  EXPECT_TRUE(page.next_page_token().empty());
}

TEST(FillPageTest, APageStopsAtTheByteBudgetWithAtLeastOneRecord) {
  // Records of 1.5 MiB each: one per page under the 2 MiB budget, never zero.
  std::vector<int64_t> ids = {1, 2, 3};
  v1::ListJobsResponse resp;
  const std::string big(3 << 19, 'c');
  auto to_proto = [&](int64_t id) {
    v1::JobRecord r;
    r.set_job_id(id);
    r.set_config_json(big);
    return r;
  };
  const std::string token = FillPage(
      ids, 1000, to_proto, [&] { return resp.add_jobs(); },
      [](int64_t id) { return std::to_string(id); });
  EXPECT_EQ(resp.jobs_size(), 1);
  EXPECT_EQ(token, "1");
  EXPECT_LE(resp.ByteSizeLong(), limits::kMaxPageBytes);
}

}  // namespace
}  // namespace sweep::server
