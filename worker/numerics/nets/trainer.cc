#include "worker/numerics/nets/trainer.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "worker/numerics/nets/adam.h"
#include "worker/numerics/nets/data_parallel.h"

namespace sweep::numerics::nets {
namespace {

constexpr int kLossEvery = 50;

int Grow(double start, double frac, int full) {
  const int lo = std::clamp(int(std::ceil(start * full)), 1, full);
  return std::clamp(lo + int(std::floor(frac * (full - lo))), lo, full);
}

std::string DivergenceMessage(int step, double loss) {
  const char* what = std::isnan(loss) ? "nan" : (loss > 0 ? "inf" : "-inf");
  return absl::StrCat("diverged at step ", step, ": loss ", what);
}

}  // namespace

TrainOptions TrainOptionsFromConfig(const JobConfig& c) {
  TrainOptions o;
  o.steps = c.steps, o.batch = c.batch, o.lr = c.lr, o.clip = c.clip, o.warmup = c.warmup;
  o.cosine = c.schedule == Schedule::kCosine;
  o.format = c.format;
  o.d = c.d, o.N = c.N;
  o.curriculum = c.curriculum;
  o.curriculum_start = c.curriculum_start;
  o.curriculum_ramp = c.curriculum_ramp;
  o.threads = c.threads;
  return o;
}

CurriculumStage CurriculumAt(const TrainOptions& o, int step) {
  if (!o.curriculum) return {o.d, o.N};
  const double ramp_steps = o.curriculum_ramp * o.steps;
  const double frac = ramp_steps <= 0 ? 1.0 : std::min(1.0, step / ramp_steps);
  return {Grow(o.curriculum_start, frac, o.d), Grow(o.curriculum_start, frac, o.N)};
}

namespace {

// Buffers reused across steps: no allocation once the first step has sized them. Two
// prompt batches: a step trains on one while the next step's prompts are drawn into the
// other (DataParallelStep::Extras).
struct StepState {
  PromptBatch prompts[2];
  int current = 0;
};

// Forward, loss, backward (in micro-batches on the job's threads), clipping and the Adam
// update of one step on the current prompts; the next step's prompts (if `draw_next`)
// are drawn meanwhile, in the same order of draws as one batch per step at its top.
// Returns an empty string, or the divergence message (the update is then skipped).
template <typename T>
std::string Step(SequenceModel<T>& model, DataParallelStep<T>& pass, Adam<T>& adam,
                 const TrainOptions& o, int step, const BatchSource& source, bool draw_next,
                 StepState& st, double& loss) {
  model.params().ZeroGrad();
  std::string divergence;
  typename DataParallelStep<T>::Extras extras;
  extras.update = [&](double step_loss) {
    if (!std::isfinite(step_loss)) {
      divergence = DivergenceMessage(step, step_loss);
      return;
    }
    const double norm = ClipGradNorm(model.params(), o.clip);
    if (!std::isfinite(norm)) {
      divergence = absl::StrCat("diverged at step ", step, ": gradient norm ",
                                std::isnan(norm) ? "nan" : "inf");
      return;
    }
    adam.Step(ScheduledLr(o.lr, step, o.steps, o.warmup, o.cosine));
  };
  if (draw_next) {
    extras.next = [&] { source(CurriculumAt(o, step + 1), o.batch, st.prompts[1 - st.current]); };
  }
  loss = pass.Run(st.prompts[st.current], o.format, o.d, extras);
  st.current = 1 - st.current;
  return divergence;
}

}  // namespace

template <typename T>
absl::StatusOr<TrainOutcome> Train(SequenceModel<T>& model, const TrainOptions& o,
                                   const BatchSource& source, const RunHooks& hooks) {
  Adam<T> adam(model.params());
  DataParallelStep<T> pass(model, o.threads, o.batch);  // the job's threads live here
  TrainOutcome out;
  StepState st;
  double loss_sum = 0;
  int loss_count = 0;
  for (int step = 0; step < o.steps; ++step) {
    if (hooks.stop.stop_requested()) {
      return absl::CancelledError(absl::StrCat("training cancelled at step ", step));
    }
    if (step == 0) source(CurriculumAt(o, 0), o.batch, st.prompts[st.current]);
    double loss = 0;
    out.divergence = Step(model, pass, adam, o, step, source, step + 1 < o.steps, st, loss);
    if (!out.divergence.empty()) break;
    out.steps_done = step + 1;
    loss_sum += loss, ++loss_count;
    if (out.steps_done % kLossEvery == 0 || out.steps_done == o.steps) {
      out.loss_curve.push_back({out.steps_done, loss_sum / loss_count});
      loss_sum = 0, loss_count = 0;
    }
    if (hooks.on_progress && (out.steps_done % 10 == 0 || out.steps_done == o.steps)) {
      hooks.on_progress(out.steps_done, o.steps);
    }
  }
  return out;
}

template absl::StatusOr<TrainOutcome> Train(SequenceModel<float>&, const TrainOptions&,
                                            const BatchSource&, const RunHooks&);
template absl::StatusOr<TrainOutcome> Train(SequenceModel<double>&, const TrainOptions&,
                                            const BatchSource&, const RunHooks&);

}  // namespace sweep::numerics::nets
