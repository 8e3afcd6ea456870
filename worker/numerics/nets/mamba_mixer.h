// The Mamba mixer of docs/science.md section 3, on a batch of sequences U (D, cols):
//   [a; z] = W_xz u;  a <- SiLU(conv(a));  Delta = softplus(W_dt a + b_dt);
//   B = W_B a;  C = W_C a;  y = scan(a, Delta, B, C);  out = W_out (y (.) SiLU(z)).
// With selective = false, Delta = softplus(b_dt), B and C are learned vectors that do
// not depend on the input (the LTI ablation). conv = 0 turns the convolution off.
// Tensor names: "<prefix>W_xz", "conv_w", "conv_b", "W_dt", "b_dt", "W_B", "W_C"
// (or "B", "C" when not selective), "A_log", "D", "W_out" (docs/checkpoints.md).
#pragma once

#include <random>
#include <string>

#include "worker/numerics/nets/conv1d.h"
#include "worker/numerics/nets/linear.h"
#include "worker/numerics/nets/selective_scan.h"
#include "worker/numerics/nets/tensor.h"

namespace sweep::numerics::nets {

struct MixerShape {
  int D = 64;    // model width
  int E = 128;   // inner channels (expand * D)
  int n = 16;    // state size
  int conv = 4;  // conv kernel, 0 = off
  bool selective = true;
};

// The buffers of one mixer's backward pass, which only live during it. The layers of a
// model run their backward passes one after another, so they can share one set
// (MambaModel does): one layer's gradients in cache instead of L layers' worth.
template <typename T>
struct MixerGradBuffers {
  // dyg: the gradient of y (.) SiLU(z), then in place that of y; dxz: [da_pre; dz];
  // da: the gradient of a, then in place that of the conv's output; ddbc: the gradient
  // of the stacked [Delta_pre; B; C]; gW: that of the stacked weights.
  Mat<T> dyg, dxz, da, ddbc, gW;
};

template <typename T>
class MambaMixer {
 public:
  // Creates and initialises the parameters (see docs/checkpoints.md for the scheme).
  // `shared` (may be null: the mixer then owns its own) holds the backward pass's
  // buffers; it must outlive the mixer, and mixers sharing it must not run at once.
  MambaMixer(ParamSet<T>& params, const std::string& prefix, const MixerShape& shape,
             int num_layers, std::mt19937_64& rng, MixerGradBuffers<T>* shared = nullptr);
  MambaMixer(const MambaMixer&) = delete;
  MambaMixer& operator=(const MambaMixer&) = delete;

  // U may be input() itself (written there by the caller): then it is not copied.
  void Forward(const Mat<T>& U, SeqShape seq, Mat<T>& out);
  Mat<T>& input() { return U_; }
  // Uses the activations of the last Forward; accumulates parameter gradients.
  void Backward(const Mat<T>& dout, Mat<T>& dU);

 private:
  void ComputeDeltaBC();
  void BackwardDeltaBC();

  MixerShape shape_;
  SeqShape seq_;
  Linear<T> W_xz_, W_dt_, W_B_, W_C_, W_out_;
  CausalConv1d<T> conv_;
  SelectiveScan<T> scan_;
  Param<T>* b_dt_ = nullptr;
  Param<T>* B_vec_ = nullptr;  // non-selective B (n)
  Param<T>* C_vec_ = nullptr;  // non-selective C (n)
  // [W_dt; W_B; W_C] stacked (E + 2n, E), copied from the three parameters at each
  // Forward: Delta, B and C come from one GEMM over a (one packing of a instead of
  // three), and the backward pass's two products are one each too.
  Mat<T> W_dbc_;
  // Activations kept for Backward, all (rows, cols). xz_ is [a_pre; z] (2E rows): the
  // conv and the gate read its blocks in place. dbc_ is [Delta; B; C] (E + 2n rows):
  // the GEMM's output with softplus applied in place to the first E rows, which the scan
  // reads as blocks. SiLU(z) is not kept: z sig_z_ gives the same floats again.
  Mat<T> U_, xz_, a_conv_, a_, dbc_, sig_, y_, yg_;
  Mat<T> sig_a_, sig_z_;  // sigmoid(x) of the two SiLUs (activations.h: SiluForwardKeep)
  // Backward's buffers: members (a step allocates and page-faults nothing), shared
  // between the layers of a model.
  MixerGradBuffers<T> own_grads_;
  MixerGradBuffers<T>* grads_ = &own_grads_;
};

extern template class MambaMixer<float>;
extern template class MambaMixer<double>;

}  // namespace sweep::numerics::nets
