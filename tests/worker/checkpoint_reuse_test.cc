// Checkpoint reuse end to end in-process (docs/checkpoints.md, "Using checkpoints"): a
// real coordinator (SweepServer on 127.0.0.1:0, temp DB) and a Worker with the built-in
// RunJob runner. A second sweep that differs only in eval_tasks must load the model the
// first one trained (no training steps), store `reused`, and give exactly the curve of
// training from scratch with the second config.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <mutex>
#include <thread>

#include "common/job_keys.h"
#include "common/status.h"
#include "server/server_runner.h"
#include "storage/reader.h"
#include "tests/testing/status_matchers.h"
#include "tests/worker/in_process_server.h"
#include "worker/numerics/run_job.h"
#include "worker/worker.h"

namespace sweep::worker {
namespace {

using numerics::ModelSource;
using sweep::testing::IsOk;
using ::testing::HasSubstr;

JobConfig TinyMamba(int eval_tasks) {
  absl::StatusOr<JobConfig> c = ResolveJobConfig({{"model", "mamba"},
                                                  {"d", 4},
                                                  {"r", 1},
                                                  {"N", 6},
                                                  {"steps", 20},
                                                  {"batch", 8},
                                                  {"D", 8},
                                                  {"L", 1},
                                                  {"eval_tasks", eval_tasks}});
  SWEEP_CHECK(c.ok());
  return *c;
}

// The built-in runner, recording per job whether it trained (progress against `steps`)
// and the model source RunJob announced.
class RecordingRunner final : public JobRunner {
 public:
  absl::StatusOr<JobResult> Run(const JobConfig& config, const numerics::RunHooks& hooks) override {
    numerics::RunHooks h = hooks;
    h.on_progress = [&, config](int64_t step, int64_t total) {
      // Training reports (step, steps); evaluation reports (done, eval_tasks).
      if (total == config.steps && step > 0) trained_steps += 1;
      if (hooks.on_progress) hooks.on_progress(step, total);
    };
    h.on_model_source = [&](ModelSource s) {
      std::lock_guard<std::mutex> lock(mu);
      sources.push_back(s);
      if (hooks.on_model_source) hooks.on_model_source(s);
    };
    return inner_->Run(config, h);
  }
  std::mutex mu;
  std::vector<ModelSource> sources;
  std::atomic<int> trained_steps{0};

 private:
  std::unique_ptr<JobRunner> inner_ = MakeRunJobRunner();
};

class CheckpointReuseTest : public InProcessServerTest {
 protected:
  void SetUp() override { StartServer("ckpt_reuse_test_", std::chrono::milliseconds(0)); }
  // Submits one job and waits (bounded) until a worker finished it; its job id, or -1.
  int64_t RunOne(const JobConfig& config) {
    const int64_t sweep = Submit({config});
    WaitFor(
        sweep, [](const auto& s) { return s.succeeded + s.failed == 1; }, 1500);
    auto jobs = server_->coordinator().ListJobs(sweep, JobState::kSucceeded);
    SWEEP_CHECK(jobs.ok());
    return jobs->empty() ? -1 : (*jobs)[0].job_id;
  }
  std::string CheckpointUse(int64_t job_id) {
    sqlite3* h = nullptr;
    std::string use;
    if (sqlite3_open_v2(db().c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
      sqlite3_stmt* st = nullptr;
      sqlite3_prepare_v2(h, "SELECT checkpoint_use FROM results WHERE job_id = ?1", -1, &st,
                         nullptr);
      sqlite3_bind_int64(st, 1, job_id);
      if (sqlite3_step(st) == SQLITE_ROW) {
        use = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
      }
      sqlite3_finalize(st);
    }
    sqlite3_close(h);
    return use;
  }
};

TEST_F(CheckpointReuseTest, SecondSweepWithOtherEvalTasksReusesTheTrainedModel) {
  auto runner = std::make_unique<RecordingRunner>();
  RecordingRunner* rec = runner.get();
  WorkerOptions o;
  o.coordinator = server_->address();
  o.auth = WorkerAuth();
  o.heartbeat = std::chrono::milliseconds(100);
  Worker worker(o, std::move(runner));
  std::jthread t([&] { EXPECT_THAT(worker.Run(), IsOk()); });

  const JobConfig first = TinyMamba(64), second = TinyMamba(128);
  ASSERT_EQ(TrainingHash(first), TrainingHash(second));
  const int64_t job1 = RunOne(first);
  ASSERT_GT(job1, 0);
  const int trained_after_first = rec->trained_steps.load();
  EXPECT_GT(trained_after_first, 0);
  const int64_t job2 = RunOne(second);
  ASSERT_GT(job2, 0);
  worker.Stop();
  t.join();

  EXPECT_EQ(rec->trained_steps.load(), trained_after_first);  // job 2 did not train
  EXPECT_THAT(rec->sources, ::testing::ElementsAre(ModelSource::kTrained, ModelSource::kReused));
  EXPECT_EQ(CheckpointUse(job1), "trained");
  EXPECT_EQ(CheckpointUse(job2), "reused");

  auto reader = storage::Reader::Open(db());
  ASSERT_THAT(reader, IsOk());
  auto stored = (*reader)->GetResult(job2);
  ASSERT_THAT(stored, IsOk());
  EXPECT_TRUE(stored->loss_curve.empty());
  EXPECT_EQ(stored->train_seconds, 0);
  // Training from scratch with the second config is deterministic: same model, so the
  // reused model's curve must match it exactly.
  auto scratch = numerics::RunJob(second, numerics::RunHooks{});
  ASSERT_THAT(scratch, IsOk());
  EXPECT_EQ(stored->curve, scratch->curve);
  auto first_result = (*reader)->GetResult(job1);
  ASSERT_THAT(first_result, IsOk());
  EXPECT_NE(first_result->curve, stored->curve);  // eval_tasks did change the evaluation
}

TEST(RunJobCheckpointTest, CallbackBytesReloadAndForeignCheckpointIsRejected) {
  const JobConfig config = TinyMamba(64);
  std::string bytes;
  numerics::RunHooks train;
  train.on_trained_checkpoint = [&](std::string b) { bytes = std::move(b); };
  auto trained = numerics::RunJob(config, train);
  ASSERT_THAT(trained, IsOk());
  ASSERT_FALSE(bytes.empty());

  numerics::RunHooks reuse;
  reuse.input_checkpoint = bytes;
  bool called = false;
  reuse.on_trained_checkpoint = [&](std::string) { called = true; };
  auto reused = numerics::RunJob(config, reuse);
  ASSERT_THAT(reused, IsOk());
  EXPECT_FALSE(called);  // nothing trained, nothing to store
  EXPECT_EQ(reused->curve, trained->curve);

  JobConfig other = config;
  other.lr = config.lr * 2;  // a training key: another model
  auto rejected = numerics::RunJob(other, reuse);
  EXPECT_EQ(rejected.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(rejected.status().message()), HasSubstr("training hash"));

  reuse.input_checkpoint = "not a checkpoint";
  EXPECT_EQ(numerics::RunJob(config, reuse).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(RunJobCheckpointTest, KrrIgnoresCheckpointHooks) {
  absl::StatusOr<JobConfig> krr = ResolveJobConfig({{"model", "krr"}, {"d", 4}, {"N", 8}});
  ASSERT_THAT(krr, IsOk());
  numerics::RunHooks hooks;
  hooks.input_checkpoint = "ignored";
  bool any = false;
  hooks.on_trained_checkpoint = [&](std::string) { any = true; };
  hooks.on_model_source = [&](ModelSource) { any = true; };
  auto plain = numerics::RunJob(*krr, numerics::RunHooks{});
  auto with = numerics::RunJob(*krr, hooks);
  ASSERT_THAT(with, IsOk());
  EXPECT_FALSE(any);
  EXPECT_EQ(with->curve, plain->curve);
}

}  // namespace
}  // namespace sweep::worker
