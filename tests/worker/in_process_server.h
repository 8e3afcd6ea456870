// A fixture for worker tests: a real SweepServer (gRPC on 127.0.0.1:0, a file DB in a
// per-test temporary folder) to run Worker objects against, plus bounded waits on a
// sweep's progress.
#pragma once

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "gtest/gtest.h"
#include "rpc/channel.h"
#include "server/server_runner.h"
#include "tests/testing/status_matchers.h"

namespace sweep::worker {

class InProcessServerTest : public ::testing::Test {
 protected:
  // `lease_ttl` 0 keeps the coordinator's default.
  void StartServer(const std::string& prefix, std::chrono::milliseconds lease_ttl) {
    dir_ = std::filesystem::temp_directory_path() /
           (prefix + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    server::ServerOptions o;
    o.listen = "127.0.0.1:0";
    o.coordinator.db_path = db();
    if (lease_ttl.count() > 0) o.coordinator.lease_ttl = lease_ttl;
    o.coordinator.max_lease_wait = std::chrono::milliseconds(200);
    o.auth = server::ServerAuth::WithRandomTokens();
    auth_ = o.auth;
    auto s = server::SweepServer::Start(o, SystemClock::Get());
    ASSERT_THAT(s, sweep::testing::IsOk());
    server_ = *std::move(s);
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::string db() const { return (dir_ / "sweep.db").string(); }
  // What a worker and a client of this server send (docs/design.md section 6.5).
  rpc::ChannelAuth WorkerAuth() const {
    rpc::ChannelAuth a;
    a.token = auth_.worker_token;
    return a;
  }
  rpc::ChannelAuth ClientAuth() const {
    rpc::ChannelAuth a;
    a.token = auth_.client_token;
    return a;
  }

  int64_t Submit(std::vector<JobConfig> jobs) {
    NewSweep sweep{"req-" + std::to_string(++requests_), "t", "", std::move(jobs)};
    auto outcome = server_->coordinator().Submit(sweep);
    SWEEP_CHECK(outcome.ok());
    return outcome->sweep_id;
  }
  // Bounded wait (attempts x 20 ms) on a condition of the sweep's summary.
  bool WaitFor(int64_t sweep, const std::function<bool(const SweepSummary&)>& pred,
               int attempts = 500) {
    for (int i = 0; i < attempts; ++i) {
      auto s = server_->coordinator().GetSweep(sweep);
      if (s.ok() && pred(*s)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  std::filesystem::path dir_;
  std::unique_ptr<server::SweepServer> server_;
  server::ServerAuth auth_;
  int requests_ = 0;
};

}  // namespace sweep::worker
