// `threads: k`: a job's metrics are the same floats for every k (the micro-batch partition
// and the order of every sum do not depend on k), the micro-batched step computes the
// whole batch's loss and gradient, and the pool runs every item once on its fixed thread.
#include <atomic>
#include <chrono>
#include <cmath>
#include <random>
#include <thread>
#include <vector>

#include "common/job_keys.h"
#include "common/link_expr.h"
#include "gtest/gtest.h"
#include "worker/numerics/nets/data_parallel.h"
#include "worker/numerics/nets/sequence_model_job.h"
#include "worker/numerics/task.h"
#include "worker/numerics/thread_pool.h"

namespace sweep::numerics::nets {
namespace {

JobConfig SmallJob(const std::string& model, int threads) {
  JobConfig c;
  c.model = ParseEnum<ModelKind>(model).value(), c.d = 4, c.r = 4, c.N = 10, c.link = "h2",
  c.tau = 0.1, c.seed = 3;
  c.format = PromptFormat::kInterleaved, c.eval_tasks = 60;
  for (int n = 0; n <= c.N; ++n) c.eval_lengths.push_back(n);
  // batch 20 = micro-batches of 8, 8 and 4: an uneven last one is covered too.
  c.steps = 60, c.batch = 20, c.lr = 3e-3, c.curriculum = true;
  c.L = 2, c.D = 16, c.n = 4, c.expand = 2, c.H = 2;
  c.threads = threads;
  return c;
}

class ThreadsTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ThreadsTest, MetricsAreBitIdenticalForOneTwoAndThreeThreads) {
  auto one = RunSequenceModelJob(SmallJob(GetParam(), 1), RunHooks{});
  ASSERT_TRUE(one.ok()) << one.status();
  ASSERT_EQ(one->divergence, "");
  one->train_seconds = one->eval_seconds = 0;
  for (int k : {2, 3}) {
    auto other = RunSequenceModelJob(SmallJob(GetParam(), k), RunHooks{});
    ASSERT_TRUE(other.ok()) << other.status();
    other->train_seconds = other->eval_seconds = 0;
    // Every field, the whole ICL curve and the loss curve compared as exact doubles.
    EXPECT_EQ(*other, *one) << "threads " << k;
    ASSERT_EQ(other->loss_curve.size(), one->loss_curve.size());
    for (size_t i = 0; i < one->loss_curve.size(); ++i) {
      EXPECT_EQ(other->loss_curve[i].loss, one->loss_curve[i].loss) << k << " " << i;
    }
  }
}

// The micro-batched step against one Forward/Backward over the whole batch, in float64:
// the same loss and gradient up to rounding (a wrong share weight or a lost micro-batch
// would be off by a factor).
TEST_P(ThreadsTest, MicroBatchesGiveTheWholeBatchLossAndGradient) {
  const int d = 3, N = 6, batch = 19;
  ModelShape shape;
  shape.model = ParseEnum<ModelKind>(GetParam()).value(), shape.d_in = d + 1,
  shape.max_T = 2 * N + 1, shape.L = 2;
  shape.D = 8, shape.H = 2, shape.mixer = MixerShape{8, 16, 4, 3, true};
  std::mt19937_64 rng(5);
  auto model = MakeModel<double>(shape, rng);
  TaskSpec spec;
  spec.d = d, spec.r = d, spec.link = ParseLink("h2").value(), spec.tau = 0.1;
  TaskSampler sampler(spec, 7);
  TaskRng draws = MakeTaskStream(8, Stream::kTrain);
  PromptBatch prompts;
  sampler.Sample(batch, N, draws, prompts);

  Mat<double> tokens;
  RowVec<double> pred, dpred;
  const SeqShape seq = BuildTokens(prompts, PromptFormat::kInterleaved, d, tokens);
  model->params().ZeroGrad();
  model->Forward(tokens, seq, pred);
  const double loss = SquaredLoss(pred, prompts, PromptFormat::kInterleaved, dpred);
  model->Backward(dpred);
  std::vector<Mat<double>> whole;
  for (const auto& p : model->params().all()) whole.push_back(p.g);

  DataParallelStep<double> step(*model, 2, batch);
  model->params().ZeroGrad();
  const double split = step.Run(prompts, PromptFormat::kInterleaved, d);
  EXPECT_NEAR(split, loss, 1e-12 * loss);
  size_t i = 0;
  for (const auto& p : model->params().all()) {
    const double scale = whole[i].cwiseAbs().maxCoeff() + 1e-300;
    EXPECT_LT((p.g - whole[i]).cwiseAbs().maxCoeff(), 1e-10 * scale) << p.name;
    ++i;
  }
}

INSTANTIATE_TEST_SUITE_P(Models, ThreadsTest, ::testing::Values("mamba", "transformer"));

TEST(ThreadPoolTest, RunsEveryItemOnceOnItsFixedThread) {
  for (int k : {1, 2, 3, 5}) {
    ThreadPool pool(k);
    EXPECT_EQ(pool.size(), k);
    std::vector<std::atomic<int>> runs(23);
    std::vector<int> thread_of(23, -1);
    for (int round = 0; round < 3; ++round) {  // the pool is reused across calls
      pool.ParallelFor(23, [&](int item, int thread) {
        runs[item].fetch_add(1);
        thread_of[item] = thread;
      });
    }
    for (int i = 0; i < 23; ++i) {
      EXPECT_EQ(runs[i].load(), 3) << "k " << k << " item " << i;
      EXPECT_EQ(thread_of[i], i % k) << "k " << k << " item " << i;
    }
  }
}

TEST(ThreadPoolTest, OrderedCommitRunsInItemOrder) {
  ThreadPool pool(3);
  OrderedCommit commit;
  std::vector<int> order;
  pool.ParallelFor(40, [&](int item, int) {
    // Later items finish their work first; the commits must still come in item order.
    volatile double sink = 0;
    for (int i = 0; i < (40 - item) * 2000; ++i) sink = sink + std::sqrt(double(i));
    commit.Offer(item, [&order, item] { order.push_back(item); });
  });
  commit.WaitFor(40);
  ASSERT_EQ(order.size(), 40u);
  for (int i = 0; i < 40; ++i) EXPECT_EQ(order[i], i);
}

// A thread whose micro-batch is done goes on with its next one while an earlier item is
// still running: thread 1 offers items 1 and 3 before item 0 is offered (with a commit
// that made it wait its turn, it would still be stuck at item 1). Commits keep item order.
TEST(ThreadPoolTest, OfferDoesNotWaitForEarlierItems) {
  ThreadPool pool(2);
  OrderedCommit commit;
  for (int round = 0; round < 2; ++round) {  // Reset makes it reusable per step
    commit.Reset();
    std::vector<int> order;
    std::atomic<int> offered_by_1{0};
    bool saw_both = false;
    pool.ParallelFor(4, [&](int item, int thread) {
      if (item == 0) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (offered_by_1.load() < 2 && std::chrono::steady_clock::now() < deadline) {
          std::this_thread::yield();
        }
        saw_both = offered_by_1.load() == 2;
      }
      commit.Offer(item, [&order, item] { order.push_back(item); });
      if (thread == 1) offered_by_1.fetch_add(1);
    });
    commit.WaitFor(4);
    EXPECT_TRUE(saw_both) << "round " << round;
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3})) << "round " << round;
  }
}

}  // namespace
}  // namespace sweep::numerics::nets
