#include "worker/numerics/nets/selective_scan.h"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "worker/numerics/nets/fast_exp.h"

namespace sweep::numerics::nets {
namespace {

// One state column k of the reverse step at time t, fused into a single pass over e:
//   ds_k += dy C_k               (y_t = s_t C_t)
//   dC_k  = <s_k, dy>,  dB_k = <ds_k, u>,  du += ds_k B_k      (s_t = ... + u_t B_t^T)
// and, unless t is the first step (HasPrev false: s_{-1} = 0, nothing flows back),
//   m = ds_k (.) s_prev_k (.) exp(Delta A_k)  -> ddelta += m A_k, gA_k += m Delta,
//   ds_k <- ds_k (.) exp(Delta A_k)          (carried one step back).
// The two dot products keep kLanes partial sums, so GCC vectorises the loop over e
// without reassociating (no -ffast-math); __restrict removes its aliasing checks. Every
// a * b + c of the scan is an explicit std::fma: one instruction and one rounding, and
// not left to GCC, which contracts a * b + c where it sees fit (-ffp-contract=fast is
// its default for C++; docs/performance.md); results version 4 (docs/science.md
// section 5).
constexpr int kLanes = 8;
// The chunked float backward keeps a chunk's per-column state on the stack up to this n
// (the default n is 16; `n` goes up to 1024, docs/sweep-format.md): larger n takes the
// generic path.
constexpr int kMaxChunkStates = 64;

template <bool HasPrev, typename T>
void ReverseColumn(int E, const T* __restrict dy, T Ck, T Bk, const T* __restrict s,
                   const T* __restrict u, const T* __restrict s_prev, const T* __restrict decay,
                   const T* __restrict A, const T* __restrict delta, T* __restrict ds,
                   T* __restrict du, T* __restrict ddelta, T* __restrict gA, T& dC, T& dB) {
  T acc_c[kLanes] = {}, acc_b[kLanes] = {};
  int e0 = 0;
  for (; e0 + kLanes <= E; e0 += kLanes) {
    for (int j = 0; j < kLanes; ++j) {
      const int e = e0 + j;
      const T d = std::fma(dy[e], Ck, ds[e]);
      acc_c[j] = std::fma(s[e], dy[e], acc_c[j]);
      acc_b[j] = std::fma(d, u[e], acc_b[j]);
      du[e] = std::fma(d, Bk, du[e]);
      if constexpr (HasPrev) {
        const T m = d * s_prev[e] * decay[e];
        ddelta[e] = std::fma(m, A[e], ddelta[e]);
        gA[e] = std::fma(m, delta[e], gA[e]);
        ds[e] = d * decay[e];
      }
    }
  }
  T c = 0, b = 0;
  for (int j = 0; j < kLanes; ++j) c += acc_c[j], b += acc_b[j];
  for (int e = e0; e < E; ++e) {
    const T d = std::fma(dy[e], Ck, ds[e]);
    c = std::fma(s[e], dy[e], c);
    b = std::fma(d, u[e], b);
    du[e] = std::fma(d, Bk, du[e]);
    if constexpr (HasPrev) {
      const T m = d * s_prev[e] * decay[e];
      ddelta[e] = std::fma(m, A[e], ddelta[e]);
      gA[e] = std::fma(m, delta[e], gA[e]);
      ds[e] = d * decay[e];
    }
  }
  dC = c, dB = b;
}

// One state column of the recurrence, s_out = decay (.) s_prev + u B_k (recompute pass,
// separate buffers) ...
template <typename T>
void StateColumn(int E, const T* __restrict decay, const T* __restrict u, T Bk,
                 const T* __restrict s_prev, T* __restrict s_out) {
  for (int e = 0; e < E; ++e) s_out[e] = std::fma(decay[e], s_prev[e], u[e] * Bk);
}

// ... and in place with the readout y += C_k s (forward pass).
template <typename T>
void StateColumnReadout(int E, const T* __restrict decay, const T* __restrict u, T Bk, T Ck,
                        T* __restrict s, T* __restrict y) {
  for (int e = 0; e < E; ++e) {
    s[e] = std::fma(decay[e], s[e], u[e] * Bk);
    y[e] = std::fma(Ck, s[e], y[e]);
  }
}

// The float forms fused with the decay: exp(Delta A_k) = 2^(Delta A2_k), A2 = A log2 e,
// is computed in the loop that uses it (Exp2NonPositiveOne, fast_exp.h), and neither its
// argument nor the forward pass's decay goes through memory. Nearly half of the forward
// scan's time was the stores and reloads of those two (E, n) blocks. The forward and
// recompute passes run the same operations: the same decays and states.
inline void StateColumnReadoutFused(int E, const float* __restrict A2, const float* __restrict dl,
                                    const float* __restrict u, float Bk, float Ck,
                                    float* __restrict s, float* __restrict y) {
  for (int e = 0; e < E; ++e) {
    const float decay = Exp2NonPositiveOne(A2[e] * dl[e]);
    s[e] = std::fma(decay, s[e], u[e] * Bk);
    y[e] = std::fma(Ck, s[e], y[e]);
  }
}

// The whole forward step of one token for float, channels in chunks of kLanes: for each
// chunk, the loop over the state columns keeps y, u and Delta in registers instead of
// reloading and storing them once per column (StateColumnReadoutFused did). Per channel
// the operations and their order are those of StateColumnReadoutFused: the same bits.
inline void ForwardStep(int E, int n, const float* __restrict A2, const float* __restrict dl,
                        const float* __restrict u, const float* __restrict Bt,
                        const float* __restrict Ct, float* __restrict s, float* __restrict y) {
  int e0 = 0;
  for (; e0 + kLanes <= E; e0 += kLanes) {
    float yv[kLanes], dv[kLanes], uv[kLanes];
    for (int j = 0; j < kLanes; ++j) yv[j] = y[e0 + j], dv[j] = dl[e0 + j], uv[j] = u[e0 + j];
    for (int k = 0; k < n; ++k) {
      const float* Ak = A2 + k * E + e0;
      float* sk = s + k * E + e0;
      const float Bk = Bt[k], Ck = Ct[k];
      for (int j = 0; j < kLanes; ++j) {
        const float decay = Exp2NonPositiveOne(Ak[j] * dv[j]);
        sk[j] = std::fma(decay, sk[j], uv[j] * Bk);
        yv[j] = std::fma(Ck, sk[j], yv[j]);
      }
    }
    for (int j = 0; j < kLanes; ++j) y[e0 + j] = yv[j];
  }
  if (e0 < E) {
    for (int k = 0; k < n; ++k) {
      const int off = k * E + e0;
      StateColumnReadoutFused(E - e0, A2 + off, dl + e0, u + e0, Bt[k], Ct[k], s + off, y + e0);
    }
  }
}

// Recompute pass: keeps the decay (the reverse pass needs it) and the new state.
inline void StateColumnFused(int E, const float* __restrict A2, const float* __restrict dl,
                             const float* __restrict u, float Bk, const float* __restrict s_prev,
                             float* __restrict decay, float* __restrict s_out) {
  for (int e = 0; e < E; ++e) {
    const float dA = Exp2NonPositiveOne(A2[e] * dl[e]);
    decay[e] = dA;
    s_out[e] = std::fma(dA, s_prev[e], u[e] * Bk);
  }
}

// The float backward pass of one sequence for one chunk of kLanes channels, all n state
// columns (SelectiveScan<float>::Backward). Channels do not interact in the scan, so a
// chunk replays its own states forward and then runs the reverse step with everything
// that is per channel in registers: du, ddelta and Delta, a, dy of the step, the D
// gradient across steps. Its states and decays ([t][k][lane], S and Dc) take 2 T n
// kLanes floats (83 KB at the default shape, in L2). dC and dB of (t, k) are sums over
// all channels: each chunk adds its lanes into acc_c / acc_b ([t][k][lane], chunk after
// chunk), reduced in lane order once every chunk has run. Per (t, k, channel) the
// operations are those of the generic path above with its recompute and reverse step.
struct ChunkArgs {
  int T, n, E, e0;
  const float *A, *A2, *Dw;                   // (E, n) col-major; (E)
  const float *a, *delta, *B, *C, *dy;        // column t of the sequence at a + t * rows,
  long ld_delta, ld_B, ld_C;                  // or at x + t * ld_x for these three
  float *da, *ddelta, *gA, *Dg;               // outputs (gA (E, n), Dg (E) accumulate)
  long ld_ddelta;                             // ddelta's column t at ddelta + t * ld_ddelta
  const float* scale;                         // null, or ddelta's factor (E, cols)
  float *S, *Dc, *acc_c, *acc_b;              // scratch [t][k][lane]
};

// One step of the replay for a chunk: states st and decays dct of every column ([k][lane])
// from the previous step's states sp (null at t = 0: s_{-1} = 0, and fma(decay, 0, x) is
// what the forward pass computes there too).
template <bool HasPrev>
inline void ReplayStep(int n, const float (*__restrict A2c)[kLanes], const float* __restrict dl,
                       const float* __restrict u, const float* __restrict Bt,
                       const float* __restrict sp, float* __restrict st,
                       float* __restrict dct) {
  for (int k = 0; k < n; ++k) {
    const float Bk = Bt[k];
    for (int j = 0; j < kLanes; ++j) {
      const float decay = Exp2NonPositiveOne(A2c[k][j] * dl[j]);
      dct[k * kLanes + j] = decay;
      st[k * kLanes + j] = std::fma(decay, HasPrev ? sp[k * kLanes + j] : 0.0f, u[j] * Bk);
    }
  }
}

// One reverse step for a chunk, every column: the operations of ReverseColumn per channel.
template <bool HasPrev>
inline void ReverseStep(int n, const float* __restrict dy, const float* __restrict u,
                        const float* __restrict dl, const float* __restrict Bt,
                        const float* __restrict Ct, const float* __restrict st,
                        const float* __restrict sp, const float* __restrict dct,
                        const float (*__restrict Ac)[kLanes], float (*__restrict ds)[kLanes],
                        float (*__restrict gAc)[kLanes], float* __restrict ac,
                        float* __restrict ab, float* __restrict du, float* __restrict dd) {
  for (int k = 0; k < n; ++k) {
    const float Bk = Bt[k], Ck = Ct[k];
    const int o = k * kLanes;
    for (int j = 0; j < kLanes; ++j) {
      const float d = std::fma(dy[j], Ck, ds[k][j]);
      ac[o + j] = std::fma(st[o + j], dy[j], ac[o + j]);
      ab[o + j] = std::fma(d, u[j], ab[o + j]);
      du[j] = std::fma(d, Bk, du[j]);
      if constexpr (HasPrev) {
        const float m = d * sp[o + j] * dct[o + j];
        dd[j] = std::fma(m, Ac[k][j], dd[j]);
        gAc[k][j] = std::fma(m, dl[j], gAc[k][j]);
        ds[k][j] = d * dct[o + j];
      }
    }
  }
}

// The end of a reverse step for a chunk: the D gradient, ddelta (times `scale` unless
// null) and da of step t. A function of its own so that every pointer is __restrict: with
// the outputs as plain pointers into the caller's matrices the compiler ran this as
// scalar code (a fifth of BackwardChunk's time).
inline void StepOutputs(const float* __restrict dy, const float* __restrict a,
                        const float* __restrict dl, const float* __restrict du,
                        const float* __restrict dd, const float* __restrict Dw,
                        const float* __restrict scale, float* __restrict Dg,
                        float* __restrict ddelta, float* __restrict da) {
  for (int j = 0; j < kLanes; ++j) {
    Dg[j] = std::fma(dy[j], a[j], Dg[j]);
    da[j] = std::fma(du[j], dl[j], dy[j] * Dw[j]);
  }
  if (scale != nullptr) {
    for (int j = 0; j < kLanes; ++j) ddelta[j] = scale[j] * std::fma(du[j], a[j], dd[j]);
  } else {
    for (int j = 0; j < kLanes; ++j) ddelta[j] = std::fma(du[j], a[j], dd[j]);  // u = Delta a
  }
}

inline void BackwardChunk(const ChunkArgs& g) {
  constexpr int L = kLanes;
  const int T = g.T, n = g.n, E = g.E, e0 = g.e0;
  alignas(32) float A2c[kMaxChunkStates][L], Ac[kMaxChunkStates][L];
  alignas(32) float gAc[kMaxChunkStates][L], ds[kMaxChunkStates][L];
  for (int k = 0; k < n; ++k) {
    for (int j = 0; j < L; ++j) {
      A2c[k][j] = g.A2[k * E + e0 + j], Ac[k][j] = g.A[k * E + e0 + j];
      gAc[k][j] = g.gA[k * E + e0 + j], ds[k][j] = 0.0f;
    }
  }
  const long nL = long(n) * L;
  // Replay: s_t = exp(Delta_t A) s_{t-1} + Delta_t a_t B_t, as the forward pass computes it.
  for (int t = 0; t < T; ++t) {
    const float* dl = g.delta + t * g.ld_delta + e0;
    const float* a = g.a + long(t) * E + e0;
    alignas(32) float u[L];
    for (int j = 0; j < L; ++j) u[j] = dl[j] * a[j];
    float* st = g.S + t * nL;
    if (t > 0) {
      ReplayStep<true>(n, A2c, dl, u, g.B + t * g.ld_B, st - nL, st, g.Dc + t * nL);
    } else {
      ReplayStep<false>(n, A2c, dl, u, g.B + t * g.ld_B, nullptr, st, g.Dc + t * nL);
    }
  }
  alignas(32) float Dg[L], Dw[L];
  for (int j = 0; j < L; ++j) Dg[j] = g.Dg[e0 + j], Dw[j] = g.Dw[e0 + j];
  for (int t = T - 1; t >= 0; --t) {
    const float* dl = g.delta + t * g.ld_delta + e0;
    const float* a = g.a + long(t) * E + e0;
    const float* dyt = g.dy + long(t) * E + e0;
    const float* Bt = g.B + t * g.ld_B;
    const float* Ct = g.C + t * g.ld_C;
    alignas(32) float u[L], du[L] = {}, dd[L] = {}, dy[L];
    for (int j = 0; j < L; ++j) u[j] = dl[j] * a[j], dy[j] = dyt[j];
    const float* st = g.S + t * nL;
    if (t > 0) {
      ReverseStep<true>(n, dy, u, dl, Bt, Ct, st, st - nL,
                        g.Dc + t * nL, Ac, ds, gAc, g.acc_c + t * nL, g.acc_b + t * nL, du, dd);
    } else {  // s_{-1} = 0: nothing flows further back
      ReverseStep<false>(n, dy, u, dl, Bt, Ct, st, nullptr,
                         nullptr, Ac, ds, gAc, g.acc_c + t * nL, g.acc_b + t * nL, du, dd);
    }
    StepOutputs(dy, a, dl, du, dd, Dw, g.scale == nullptr ? nullptr : g.scale + long(t) * E + e0,
                Dg, g.ddelta + t * g.ld_ddelta + e0, g.da + long(t) * E + e0);
  }
  for (int k = 0; k < n; ++k) {
    for (int j = 0; j < L; ++j) g.gA[k * E + e0 + j] = gAc[k][j];
  }
  for (int j = 0; j < L; ++j) g.Dg[e0 + j] = Dg[j];
}

}  // namespace

template <typename T>
SelectiveScan<T>::SelectiveScan(ParamSet<T>& params, const std::string& prefix, int E, int n)
    : E_(E), n_(n) {
  A_log_ = params.Add(prefix + "A_log", E, n);
  for (int k = 0; k < n; ++k) A_log_->w.col(k).setConstant(std::log(T(k + 1)));
  D_ = params.Add(prefix + "D", E, 1);
  D_->w.setOnes();
}

template <typename T>
void SelectiveScan<T>::Forward(ConstCols<T> a, ConstCols<T> delta, ConstCols<T> B,
                               ConstCols<T> C, SeqShape shape, Mat<T>& y) {
  a_ = ViewOf(a), delta_ = ViewOf(delta), B_ = ViewOf(B), C_ = ViewOf(C), shape_ = shape;
  A_ = -A_log_->w.array().exp();
  if constexpr (std::is_same_v<T, float>) A2_ = A_ * T(1.44269504088896341);  // log2 e
  y.resize(E_, a.cols());
  Mat<T> s(E_, n_), decay(E_, n_);
  Vec<T> u(E_);
  for (int b = 0; b < shape.batch; ++b) {
    s.setZero();
    for (int t = b * shape.T; t < (b + 1) * shape.T; ++t) {
      u.array() = delta.col(t).array() * a.col(t).array();
      T* yt = y.col(t).data();
      y.col(t).array() = D_->w.col(0).array() * a.col(t).array();
      if constexpr (std::is_same_v<T, float>) {
        ForwardStep(E_, n_, A2_.data(), delta.col(t).data(), u.data(), B.col(t).data(),
                    C.col(t).data(), s.data(), yt);
      } else {
        DecayBlock(delta.col(t), decay);
        for (int k = 0; k < n_; ++k) {
          const int off = k * E_;
          StateColumnReadout(E_, decay.data() + off, u.data(), B(k, t), C(k, t), s.data() + off,
                             yt);
        }
      }
    }
  }
}

// decay = exp(Delta_t A), (E, n), for double (gradient checks, dtype float64): Eigen's
// exp column by column (Eigen vectorises exp on a column expression, but falls back to
// scalar on the broadcast form of a block). float computes its decays inside the fused
// loops above.
template <typename T>
template <typename Out>
void SelectiveScan<T>::DecayBlock(const Eigen::Ref<const Vec<T>>& delta_t, Out& decay) const {
  for (int k = 0; k < n_; ++k) {
    decay.col(k).array() = (A_.col(k).array() * delta_t.array()).exp();
  }
}

// Replays the forward recurrence of one sequence for the state columns [k0, k0 + g),
// keeping s_t and exp(Delta_t A) of those columns (rows k0 E .. (k0 + g) E of states_ and
// decay_: the same addresses whatever g is, so Eigen's double exp peels the same elements).
template <typename T>
void SelectiveScan<T>::RecomputeStates(int col0, int T_len, int k0, int g) {
  const auto delta = delta_.map();
  const auto B = B_.map();
  const Vec<T> zero = Vec<T>::Zero(E_);
  for (int t = 0; t < T_len; ++t) {
    const int c = col0 + t;
    Eigen::Map<Mat<T>> dA(decay_.col(t).data(), E_, n_);
    const T* u = u_seq_.col(t).data();
    for (int k = k0; k < k0 + g; ++k) {
      const int off = k * E_;
      const T* prev = t > 0 ? states_.col(t - 1).data() + off : zero.data();
      if constexpr (std::is_same_v<T, float>) {
        StateColumnFused(E_, A2_.data() + off, delta.col(c).data(), u, B(k, c), prev,
                         dA.data() + off, states_.col(t).data() + off);
      } else {
        dA.col(k).array() = (A_.col(k).array() * delta.col(c).array()).exp();
        StateColumn(E_, dA.data() + off, u, B(k, c), prev, states_.col(t).data() + off);
      }
    }
  }
}

// Reverse-time pass over one sequence for the state columns [k0, k0 + g): per step, one
// fused pass per state column (ReverseColumn) instead of separate mat-vecs over the
// (E, n) block, so the block is read once per step and no small GEMV runs. du and ddelta
// of step t collect the columns' terms in column order, group after group: the same
// order of additions as one pass over all columns.
template <typename T>
void SelectiveScan<T>::BackwardSequence(const Mat<T>& dy, int col0, int T_len, int k0, int g,
                                        Cols<T>& ddelta, Cols<T>& dB, Cols<T>& dC) {
  const auto delta = delta_.map();
  const auto B = B_.map();
  const auto C = C_.map();
  ds_.setZero(E_ * n_);
  for (int t = T_len - 1; t >= 0; --t) {
    const int c = col0 + t;
    const T* dyt = dy.col(c).data();
    const T* dl = delta.col(c).data();
    const T* u = u_seq_.col(t).data();
    T* du = du_seq_.col(t).data();
    T* dd = ddelta.col(c).data();
    const T* st = states_.col(t).data();
    const T* sp = t > 0 ? states_.col(t - 1).data() : nullptr;
    const T* dA = decay_.col(t).data();
    for (int k = k0; k < k0 + g; ++k) {
      const int off = k * E_;
      if (sp != nullptr) {
        ReverseColumn<true, T>(E_, dyt, C(k, c), B(k, c), st + off, u, sp + off, dA + off,
                               A_.data() + off, dl, ds_.data() + off, du, dd, gA_.data() + off,
                               dC(k, c), dB(k, c));
      } else {
        ReverseColumn<false, T>(E_, dyt, C(k, c), B(k, c), st + off, u, nullptr, nullptr,
                                nullptr, nullptr, ds_.data() + off, du, nullptr, nullptr,
                                dC(k, c), dB(k, c));
      }
    }
  }
}

// Per sequence: the state columns in groups whose states and decays (2 T E g scalars) fit
// kGroupBytes, each group recomputed and then reversed while it is still in L2. A whole
// sequence's states and decays (1.3 MB at the default shape) did not fit the 1 MB L2, and
// the reverse pass waited on their loads (docs/performance.md).
template <typename T>
void SelectiveScan<T>::Backward(const Mat<T>& dy, Mat<T>& da, Mat<T>& ddelta, Mat<T>& dB,
                                Mat<T>& dC) {
  const Eigen::Index cols = a_.cols;
  ddelta.resize(E_, cols);
  dB.resize(n_, cols);
  dC.resize(n_, cols);
  BackwardInto(dy, da, ddelta, dB, dC, nullptr);
}

template <typename T>
void SelectiveScan<T>::BackwardInto(const Mat<T>& dy, Mat<T>& da, Cols<T> ddelta, Cols<T> dB,
                                    Cols<T> dC, const Mat<T>* ddelta_scale,
                                    const SequenceHook* before_sequence) {
  constexpr double kGroupBytes = 384 * 1024;
  const auto a = a_.map();
  const auto delta = delta_.map();
  const int cols = int(a.cols()), T_len = shape_.T;
  if constexpr (std::is_same_v<T, float>) {
    if (E_ % kLanes == 0 && n_ <= kMaxChunkStates && a_.stride == E_) {
      BackwardChunked(dy, da, ddelta, dB, dC, ddelta_scale, before_sequence);
      return;
    }
  }
  da.resize(E_, cols);
  ddelta.setZero();
  states_.resize(E_ * n_, T_len);
  decay_.resize(E_ * n_, T_len);
  u_seq_.resize(E_, T_len);
  du_seq_.resize(E_, T_len);
  gA_.setZero(E_, n_);
  const double per_column = 2.0 * T_len * E_ * sizeof(T);
  const int group = std::clamp(static_cast<int>(kGroupBytes / per_column), 1, n_);
  for (int b = 0; b < shape_.batch; ++b) {
    const int col0 = b * T_len;
    if (before_sequence != nullptr) (*before_sequence)(col0, T_len);
    u_seq_.array() = delta.middleCols(col0, T_len).array() * a.middleCols(col0, T_len).array();
    du_seq_.setZero();
    for (int k0 = 0; k0 < n_; k0 += group) {
      const int g = std::min(group, n_ - k0);
      RecomputeStates(col0, T_len, k0, g);
      BackwardSequence(dy, col0, T_len, k0, g, ddelta, dB, dC);
    }
    for (int t = T_len - 1; t >= 0; --t) {
      const int c = col0 + t;
      D_->g.col(0).array() += dy.col(c).array() * a.col(c).array();
      ddelta.col(c).array() += du_seq_.col(t).array() * a.col(c).array();
      da.col(c).array() =
          dy.col(c).array() * D_->w.col(0).array() + du_seq_.col(t).array() * delta.col(c).array();
    }
  }
  if (ddelta_scale != nullptr) ddelta.array() = ddelta_scale->array() * ddelta.array();
  // A = -exp(A_log): dA/dA_log = A.
  A_log_->g.array() += gA_.array() * A_.array();
}

// float with E a multiple of kLanes: per sequence, BackwardChunk on every chunk of
// channels, then dC and dB of every step from the chunks' lane sums.
template <typename T>
void SelectiveScan<T>::BackwardChunked(const Mat<T>& dy, Mat<T>& da, Cols<T>& ddelta,
                                       Cols<T>& dB, Cols<T>& dC, const Mat<T>* ddelta_scale,
                                       const SequenceHook* before_sequence) {
  if constexpr (std::is_same_v<T, float>) {
    const int cols = int(a_.cols), T_len = shape_.T;
    da.resize(E_, cols);
    gA_.setZero(E_, n_);
    const long scratch = long(T_len) * n_ * kLanes;
    chunk_.resize(4 * scratch);
    float* S = chunk_.data();
    for (int b = 0; b < shape_.batch; ++b) {
      const long col0 = long(b) * T_len;
      if (before_sequence != nullptr) (*before_sequence)(int(col0), T_len);
      std::fill(S + 2 * scratch, S + 4 * scratch, 0.0f);
      for (int e0 = 0; e0 < E_; e0 += kLanes) {
        ChunkArgs g{T_len, n_, E_, e0, A_.data(), A2_.data(), D_->w.data(),
                    a_.col(col0), delta_.col(col0), B_.col(col0), C_.col(col0),
                    dy.data() + col0 * E_, delta_.stride, B_.stride, C_.stride,
                    da.data() + col0 * E_, ddelta.data() + col0 * ddelta.outerStride(),
                    gA_.data(), D_->g.data(), long(ddelta.outerStride()),
                    ddelta_scale == nullptr ? nullptr : ddelta_scale->data() + col0 * E_,
                    S, S + scratch, S + 2 * scratch, S + 3 * scratch};
        BackwardChunk(g);
      }
      const float* acc_c = S + 2 * scratch;
      const float* acc_b = S + 3 * scratch;
      for (int t = 0; t < T_len; ++t) {
        for (int k = 0; k < n_; ++k) {
          const long at = (long(t) * n_ + k) * kLanes;
          float c = 0, bsum = 0;
          for (int j = 0; j < kLanes; ++j) c += acc_c[at + j], bsum += acc_b[at + j];
          dC(k, col0 + t) = c;
          dB(k, col0 + t) = bsum;
        }
      }
    }
    A_log_->g.array() += gA_.array() * A_.array();
  }
}

template class SelectiveScan<float>;
template class SelectiveScan<double>;

}  // namespace sweep::numerics::nets
