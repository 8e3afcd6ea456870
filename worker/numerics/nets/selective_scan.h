// The selective scan of Mamba (docs/science.md section 3), per channel e and state k:
//   s_t[e,k] = exp(Delta_t[e] A[e,k]) s_{t-1}[e,k] + Delta_t[e] B_t[k] a_t[e],  s_0 = 0
//   y_t[e]   = sum_k C_t[k] s_t[e,k] + Dskip[e] a_t[e],   A = -exp(A_log)
// Owns A_log (E, n) and the skip D (E). Inputs a, Delta (E, cols), B, C (n, cols).
//
// Memory: the forward pass keeps only its inputs. Backward recomputes the states of one
// sequence at a time into scratch buffers (T * E * n scalars each, reused: no allocation
// in the time loop), a group of state columns at a time so that the group's states and
// decays stay in L2 while the reverse pass reads them, so memory does not grow with
// batch * T * E * n. The state of one step is an (E, n) column-major block: the k loop
// walks contiguous E-long columns, which vectorise.
// float with E a multiple of 8 and n <= 64 (the defaults) takes BackwardChunked: per
// sequence and chunk of 8 channels, the replay and the reverse step of all n columns
// with the per-channel sums in registers (selective_scan.cc, BackwardChunk); the same
// floats as the column-group form.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "worker/numerics/nets/tensor.h"

namespace sweep::numerics::nets {

// The scan's inputs and outputs may be row blocks of larger matrices: the mixer keeps
// Delta, B and C as the rows of one (E + 2n, cols) matrix, the output of their stacked
// GEMM, and their gradients likewise (mamba_mixer.h). Columns are contiguous, spaced by
// an outer stride; binding a Mat or such a block makes no copy.
template <typename T>
using ConstCols = Eigen::Ref<const Mat<T>, 0, Eigen::OuterStride<>>;
template <typename T>
using Cols = Eigen::Ref<Mat<T>, 0, Eigen::OuterStride<>>;

template <typename T>
class SelectiveScan {
 public:
  SelectiveScan() = default;
  // A_log[e, k] = log(k + 1) (S4D-real init, docs/science.md section 3), D = 1.
  SelectiveScan(ParamSet<T>& params, const std::string& prefix, int E, int n);

  // Keeps pointers to a, delta, B and C for Backward: they must stay alive and unchanged
  // until then (a Mat or a row block of one, never a temporary expression).
  void Forward(ConstCols<T> a, ConstCols<T> delta, ConstCols<T> B, ConstCols<T> C,
               SeqShape shape, Mat<T>& y);
  // Uses the inputs of the last Forward. Overwrites da, ddelta, dB, dC (sized here);
  // accumulates the gradients of A_log and D.
  void Backward(const Mat<T>& dy, Mat<T>& da, Mat<T>& ddelta, Mat<T>& dB, Mat<T>& dC);
  // The same into caller-sized blocks (ddelta (E, cols), dB and dC (n, cols)), and with
  // ddelta_scale (E, cols) not null, ddelta multiplied by it elementwise as it is written:
  // the gradient of Delta's pre-activation when Delta = f(pre) and ddelta_scale = f'(pre),
  // with the floats of a separate product ddelta_scale (.) ddelta. With before_sequence
  // not null, before_sequence(col0, len) runs right before the scan reads the columns
  // [col0, col0 + len) of dy (one sequence), sequence after sequence: a caller that writes dy
  // there (the mixer) hands it over while it is still in cache.
  using SequenceHook = std::function<void(int col0, int len)>;
  void BackwardInto(const Mat<T>& dy, Mat<T>& da, Cols<T> ddelta, Cols<T> dB, Cols<T> dC,
                    const Mat<T>* ddelta_scale, const SequenceHook* before_sequence = nullptr);

 private:
  // An input of the last Forward: (rows, cols) columns spaced by `stride` scalars.
  struct View {
    const T* data = nullptr;
    Eigen::Index rows = 0, cols = 0, stride = 0;
    Eigen::Map<const Mat<T>, 0, Eigen::OuterStride<>> map() const {
      return {data, rows, cols, Eigen::OuterStride<>(stride)};
    }
    const T* col(Eigen::Index c) const { return data + c * stride; }
  };
  static View ViewOf(const ConstCols<T>& m) {
    return {m.data(), m.rows(), m.cols(), m.outerStride()};
  }

  void RecomputeStates(int col0, int T_len, int k0, int g);
  template <typename Out>
  void DecayBlock(const Eigen::Ref<const Vec<T>>& delta_t, Out& decay) const;
  void BackwardSequence(const Mat<T>& dy, int col0, int T_len, int k0, int g, Cols<T>& ddelta,
                        Cols<T>& dB, Cols<T>& dC);
  // float, E a multiple of 8: channel chunks (selective_scan.cc, BackwardChunk).
  void BackwardChunked(const Mat<T>& dy, Mat<T>& da, Cols<T>& ddelta, Cols<T>& dB, Cols<T>& dC,
                       const Mat<T>* ddelta_scale, const SequenceHook* before_sequence);

  Param<T>* A_log_ = nullptr;
  Param<T>* D_ = nullptr;
  int E_ = 0;
  int n_ = 0;
  SeqShape shape_;
  View a_, delta_, B_, C_;  // inputs of the last Forward, owned by the caller
  Mat<T> A_;            // (E, n) = -exp(A_log)
  Mat<T> A2_;           // (E, n) = A log2 e (float: the decays are 2^(Delta A2))
  Mat<T> states_;       // (E * n, T): s_t of one sequence
  Mat<T> decay_;        // (E * n, T): exp(Delta_t A) of one sequence
  Mat<T> gA_;           // (E, n) gradient wrt A
  Vec<T> ds_;           // (E * n): gradient wrt the state, carried backwards in time
  Mat<T> u_seq_, du_seq_;  // (E, T): Delta (.) a of one sequence and its gradient
  std::vector<T> chunk_;   // BackwardChunked: states, decays and the dC / dB lane sums
};

extern template class SelectiveScan<float>;
extern template class SelectiveScan<double>;

}  // namespace sweep::numerics::nets
