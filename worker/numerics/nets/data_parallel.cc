#include "worker/numerics/nets/data_parallel.h"

#include <algorithm>
#include <random>

namespace sweep::numerics::nets {
namespace {

int MicroBatches(int batch) { return (batch + kMicroBatch - 1) / kMicroBatch; }

// Prompts [first, first + count) of `in` (x and y; beta is not needed for training).
void SlicePrompts(const PromptBatch& in, int first, int count, PromptBatch& out) {
  const int per = in.N + 1;
  out.count = count, out.N = in.N, out.d = in.d;
  out.x = in.x.middleCols(first * per, count * per);
  out.y = in.y.segment(first * per, count * per);
}

}  // namespace

template <typename T>
DataParallelStep<T>::DataParallelStep(SequenceModel<T>& model, int threads, int batch)
    : model_(model), pool_(std::min(std::max(1, threads), std::max(1, MicroBatches(batch)))) {
  replicas_.resize(pool_.size());
  for (Replica& r : replicas_) {
    std::mt19937_64 unused(0);  // the weights are overwritten from the model every step
    r.model = MakeModel<T>(model.shape(), unused);
    for (auto& set : r.done) {
      for (const Param<T>& p : r.model->params().all()) {
        set.push_back(Mat<T>::Zero(p.g.rows(), p.g.cols()));
      }
    }
  }
}

template <typename T>
void DataParallelStep<T>::RunMicroBatch(int item, Replica& r, const PromptBatch& prompts,
                                        PromptFormat format, int d_model) {
  const int first = item * kMicroBatch;
  const int count = std::min(kMicroBatch, prompts.count - first);
  if (!r.weights_current) {  // the replica's thread copies its weights: not a serial step
    const auto& master = model_.params().all();
    auto& p = r.model->params().all();
    for (size_t i = 0; i < master.size(); ++i) p[i].w = master[i].w;
    r.weights_current = true;
  }
  SlicePrompts(prompts, first, count, r.prompts);
  const SeqShape seq = BuildTokens(r.prompts, format, d_model, r.tokens);
  r.model->params().ZeroGrad();
  r.model->Forward(r.tokens, seq, r.pred);
  losses_[item] = SquaredLoss(r.pred, r.prompts, format, r.dpred, prompts.count);
  r.model->Backward(r.dpred);
  const int k = pool_.size();
  const int before = item - 2 * k;  // the item that last used this set, this step
  if (before >= 0) commit_.WaitFor(before + 1);  // its gradient is in: the set is free
  std::vector<Mat<T>>& done = r.done[(item / k) % 2];
  auto& mine = r.model->params().all();
  for (size_t i = 0; i < mine.size(); ++i) done[i].swap(mine[i].g);
  commit_.Offer(item, [this, &done] {
    auto& total = model_.params().all();
    for (size_t i = 0; i < total.size(); ++i) total[i].g += done[i];
  });
}

template <typename T>
double DataParallelStep<T>::Run(const PromptBatch& prompts, PromptFormat format, int d_model,
                                const Extras& extras) {
  for (Replica& r : replicas_) r.weights_current = false;
  const int items = MicroBatches(prompts.count);
  losses_.assign(items, 0.0);
  commit_.Reset();
  const int k = pool_.size();  // <= items: every thread has a micro-batch
  pool_.ParallelFor(items, [&](int item, int thread) {
    RunMicroBatch(item, replicas_[thread], prompts, format, d_model);
    if (item + k < items) return;  // not this thread's last micro-batch
    if (thread == 0 && extras.update) {
      commit_.WaitFor(items);  // every gradient (and loss share) is in
      extras.update(LossSum());
    }
    if (thread == k - 1 && extras.next) extras.next();
  });
  return LossSum();
}

template <typename T>
double DataParallelStep<T>::LossSum() const {
  double loss = 0;
  for (double share : losses_) loss += share;  // micro-batch order, whatever k is
  return loss;
}

template class DataParallelStep<float>;
template class DataParallelStep<double>;

}  // namespace sweep::numerics::nets
