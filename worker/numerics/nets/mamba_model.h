// `mamba` (docs/science.md section 3): tokens -> W_in t + b_in, then L residual blocks
// h <- h + Mixer(RMSNorm(h)), final RMSNorm, scalar readout w^T h + b.
// Tensor names: "in_proj.weight/bias", "layers.<l>.norm.weight", "layers.<l>.mixer.*",
// "norm_f.weight", "readout.weight/bias".
#pragma once

#include <memory>
#include <random>
#include <vector>

#include "worker/numerics/nets/linear.h"
#include "worker/numerics/nets/mamba_mixer.h"
#include "worker/numerics/nets/norms.h"
#include "worker/numerics/nets/sequence_model.h"

namespace sweep::numerics::nets {

template <typename T>
class MambaModel final : public SequenceModel<T> {
 public:
  MambaModel(const ModelShape& shape, std::mt19937_64& rng);
  void Forward(const Mat<T>& tokens, SeqShape seq, RowVec<T>& pred) override;
  void Backward(const RowVec<T>& dpred) override;

 private:
  Linear<T> in_proj_, readout_;
  std::vector<Norm<T>> norms_;
  MixerGradBuffers<T> mixer_grads_;  // the backward buffers all mixers share
  std::vector<std::unique_ptr<MambaMixer<T>>> mixers_;
  Norm<T> norm_f_;
  Mat<T> tokens_, hf_;
  // Per-step temporaries kept as members: allocating them per call made glibc map and
  // the kernel fault in fresh pages every micro-batch.
  // Each mixer's input (the normed h) is written into the mixer (MambaMixer::input()),
  // which keeps it for its backward pass: no copy.
  Mat<T> h_, m_, out_, dout_, dhf_, dh_, dhn_, dx_;
};

extern template class MambaModel<float>;
extern template class MambaModel<double>;

}  // namespace sweep::numerics::nets
