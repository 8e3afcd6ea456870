// One training step's forward and backward pass on k threads with results that do not
// depend on k (the `threads` key, docs/science.md section 5).
//
// The batch is cut into micro-batches of kMicroBatch prompts, a partition fixed by the
// batch size alone. Each micro-batch runs forward and backward on a replica of the model
// (one replica per thread; its thread copies the weights from the model before its first
// micro-batch of the step, so the copies run in parallel), its
// loss is its share of the batch mean, and its gradient lands in the replica's own
// buffers. The replicas' gradients are then added into the model's, one micro-batch at a
// time in micro-batch order (OrderedCommit). Threads only decide who computes which
// micro-batch, so every float of the step is the same for k = 1, 2, 3, ...
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "worker/numerics/nets/prompt_tokens.h"
#include "worker/numerics/nets/sequence_model.h"
#include "worker/numerics/thread_pool.h"

namespace sweep::numerics::nets {

// Prompts per micro-batch. 8 prompts of the default interleaved task are 648 tokens: the
// GEMMs stay large enough for Eigen's kernels while one layer's activations (E = 128
// rows) stay in L2. Changing it changes results (the order of the gradient sums).
inline constexpr int kMicroBatch = 8;

template <typename T>
class DataParallelStep {
 public:
  // Builds min(threads, micro-batches of `batch`) replicas of `model` (same shape).
  DataParallelStep(SequenceModel<T>& model, int threads, int batch);
  DataParallelStep(const DataParallelStep&) = delete;
  DataParallelStep& operator=(const DataParallelStep&) = delete;

  // Work that a step does besides the forward and backward passes, run inside the
  // parallel part so that it is not serial: `update` (the loss, clipping and Adam) on
  // the calling thread as soon as every micro-batch's gradient is in the model, while
  // `next` (drawing the next step's prompts) runs on the pool's last thread after its
  // own micro-batches. With one thread: update, then next. Either may be empty. `next`
  // must not touch the model, `update` not what `next` writes.
  struct Extras {
    std::function<void(double loss)> update;
    std::function<void()> next;
  };

  // Forward and backward of the whole batch: returns the mean squared loss over every
  // read position (prompt_tokens.h) and ADDS its gradient into the model's parameters'
  // gradients (the caller zeroes them). d_model is the model's x width.
  double Run(const PromptBatch& prompts, PromptFormat format, int d_model,
             const Extras& extras = {});

  int threads() const { return pool_.size(); }

 private:
  struct Replica {
    std::unique_ptr<SequenceModel<T>> model;
    bool weights_current = false;  // copied from the model in this step (by its thread)
    PromptBatch prompts;
    Mat<T> tokens;
    RowVec<T> pred, dpred;
    // Gradients of finished micro-batches until committed (swapped with the model's, no
    // copy): two sets, used in turn. A thread's items are i, i + k, i + 2k, ..., so item
    // `item` uses set (item / k) % 2, which last held item - 2k.
    std::vector<Mat<T>> done[2];
  };
  void RunMicroBatch(int item, Replica& r, const PromptBatch& prompts, PromptFormat format,
                     int d_model);
  double LossSum() const;

  SequenceModel<T>& model_;
  ThreadPool pool_;
  OrderedCommit commit_;
  std::vector<Replica> replicas_;
  std::vector<double> losses_;  // per micro-batch share of the batch loss
};

extern template class DataParallelStep<float>;
extern template class DataParallelStep<double>;

}  // namespace sweep::numerics::nets
