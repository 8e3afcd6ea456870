// `transformer` (docs/science.md section 3): GPT-2-style pre-LN decoder. Tokens ->
// W_in t + b_in + pos_emb[:, t], then L blocks
//   h <- h + Attn(LN1(h));  h <- h + W_2 GELU(W_1 LN2(h) + b_1) + b_2   (MLP width 4D)
// final LayerNorm, scalar readout. Tensor names: "in_proj.weight/bias", "pos_emb",
// "layers.<l>.ln1.weight/bias", "layers.<l>.attn.{W_qkv,b_qkv,W_o,b_o}",
// "layers.<l>.ln2.weight/bias", "layers.<l>.mlp.{W_1,b_1,W_2,b_2}", "ln_f.weight/bias",
// "readout.weight/bias".
#pragma once

#include <memory>
#include <random>
#include <vector>

#include "worker/numerics/nets/attention.h"
#include "worker/numerics/nets/linear.h"
#include "worker/numerics/nets/norms.h"
#include "worker/numerics/nets/sequence_model.h"

namespace sweep::numerics::nets {

template <typename T>
class TransformerModel final : public SequenceModel<T> {
 public:
  TransformerModel(const ModelShape& shape, std::mt19937_64& rng);
  void Forward(const Mat<T>& tokens, SeqShape seq, RowVec<T>& pred) override;
  void Backward(const RowVec<T>& dpred) override;

 private:
  struct Block {
    Norm<T> ln1, ln2;
    std::unique_ptr<CausalSelfAttention<T>> attn;
    Linear<T> W_1, W_2;
    Mat<T> ln2_out, pre_gelu, post_gelu;  // kept for Backward
  };
  Linear<T> in_proj_, readout_;
  Param<T>* pos_emb_ = nullptr;  // (D, max_T)
  std::vector<Block> blocks_;
  Norm<T> ln_f_;
  SeqShape seq_;
  Mat<T> tokens_, hf_;
  // Scratch of Forward and Backward, kept so that a step allocates nothing: at the
  // default shape each is 0.2-0.7 MB, which malloc would map and unmap (and the kernel
  // fault in again) on every call.
  Mat<T> h_, x_, y_, out_, dout_, dhf_, dh_, dD_, dx_, dpost_, dpre_;
  Eigen::Array<T, Eigen::Dynamic, Eigen::Dynamic> gelu_th_;
};

extern template class TransformerModel<float>;
extern template class TransformerModel<double>;

}  // namespace sweep::numerics::nets
