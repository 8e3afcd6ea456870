#include "worker/numerics/krr_job.h"

#include <chrono>
#include <vector>

#include "common/status.h"
#include "worker/numerics/eval.h"
#include "worker/numerics/thread_pool.h"

namespace sweep::numerics {

KrrOptions KrrOptionsFromConfig(const JobConfig& config, const LinkExpr& link) {
  KrrOptions options;
  options.kernel = config.kernel;
  if (config.kernel == KernelKind::kPoly) options.poly_degree = link.degree;
  return options;
}

absl::StatusOr<JobResult> RunKrrJob(const JobConfig& config, const RunHooks& hooks) {
  SWEEP_ASSIGN_OR_RETURN(TaskSampler sampler, TaskSampler::FromConfig(config));
  const KrrOptions options = KrrOptionsFromConfig(config, sampler.spec().link);
  const bool intrinsic = config.features == Features::kIntrinsic;
  // `threads`: the prompts of each eval chunk are split over the job's threads. Every
  // prompt is fitted on its own (one fitter and feature buffer per thread) and writes only
  // its own column of `pred`, so the predictions, and the metrics summed from them in
  // prompt order by Evaluate, are the same floats for every thread count.
  ThreadPool pool(config.threads);
  std::vector<KrrFitter> fitters(pool.size(), KrrFitter(options));
  std::vector<Eigen::MatrixXd> features(pool.size());  // (dim, N + 1) of one prompt
  auto predict = [&](const PromptBatch& prompts, const std::vector<int>& lengths,
                     Eigen::MatrixXd& pred) -> absl::Status {
    const int cols = prompts.N + 1;
    pool.ParallelFor(prompts.count, [&](int p, int thread) {
      KrrFitter& fitter = fitters[thread];
      Eigen::MatrixXd& f = features[thread];
      const auto x = prompts.x.middleCols(prompts.Col(p, 0), cols);
      if (intrinsic) {
        f.noalias() = sampler.U().transpose() * x;  // U^T x in R^r: the oracle
      } else {
        f = x;
      }
      const auto y = prompts.y.segment(prompts.Col(p, 0), cols);
      for (size_t i = 0; i < lengths.size(); ++i) {
        const int n = lengths[i];
        if (n == 0) {
          pred(i, p) = 0.0;  // no context: the best constant guess for E[y] = c_0 is unknown
          continue;
        }
        fitter.Fit(f.leftCols(n), y.head(n));
        pred(i, p) = fitter.Predict(f.col(prompts.N));
      }
    });
    return absl::OkStatus();
  };
  const auto start = std::chrono::steady_clock::now();
  SWEEP_ASSIGN_OR_RETURN(std::vector<EvalPoint> curve, Evaluate(config, sampler, predict, hooks));
  JobResult result;
  FillSummary(curve, config.eps, result);
  FillTaskFacts(sampler, result);
  result.eval_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace sweep::numerics
