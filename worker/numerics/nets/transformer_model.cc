#include "worker/numerics/nets/transformer_model.h"

#include <cmath>
#include <string>

#include "worker/numerics/nets/activations.h"
#include "worker/numerics/nets/init.h"

namespace sweep::numerics::nets {

// GPT-2 init inside the stack: weights N(0, 0.02^2), the residual output projections
// (W_o, W_2) N(0, (0.02/sqrt(2L))^2), biases 0, LayerNorm gains 1, positions
// N(0, 0.01^2). Read-in and readout as Garg et al.: U(+-1/sqrt(fan_in)), zero bias.
template <typename T>
TransformerModel<T>::TransformerModel(const ModelShape& shape, std::mt19937_64& rng)
    : SequenceModel<T>(shape) {
  ParamSet<T>& p = this->params_;
  const int D = shape.D;
  in_proj_ = Linear<T>(p, "in_proj.weight", "in_proj.bias", shape.d_in, D);
  FillUniform(in_proj_.weight(), 1.0 / std::sqrt(shape.d_in), rng);
  pos_emb_ = p.Add("pos_emb", D, shape.max_T);
  FillNormal(pos_emb_, 0.01, rng);
  blocks_.resize(shape.L);
  for (int l = 0; l < shape.L; ++l) {
    const std::string prefix = "layers." + std::to_string(l) + ".";
    Block& b = blocks_[l];
    b.ln1 = Norm<T>(p, prefix + "ln1", D, Norm<T>::Kind::kLayer);
    b.attn = std::make_unique<CausalSelfAttention<T>>(p, prefix + "attn.", D, shape.H,
                                                      shape.softmax, shape.L, rng);
    b.ln2 = Norm<T>(p, prefix + "ln2", D, Norm<T>::Kind::kLayer);
    b.W_1 = Linear<T>(p, prefix + "mlp.W_1", prefix + "mlp.b_1", D, 4 * D);
    FillNormal(b.W_1.weight(), 0.02, rng);
    b.W_2 = Linear<T>(p, prefix + "mlp.W_2", prefix + "mlp.b_2", 4 * D, D);
    FillNormal(b.W_2.weight(), 0.02 / std::sqrt(2.0 * shape.L), rng);
  }
  ln_f_ = Norm<T>(p, "ln_f", D, Norm<T>::Kind::kLayer);
  readout_ = Linear<T>(p, "readout.weight", "readout.bias", D, 1);
  FillUniform(readout_.weight(), 1.0 / std::sqrt(D), rng);
}

template <typename T>
void TransformerModel<T>::Forward(const Mat<T>& tokens, SeqShape seq, RowVec<T>& pred) {
  seq_ = seq;
  tokens_ = tokens;
  Mat<T>& h = h_;
  Mat<T>& x = x_;
  Mat<T>& y = y_;
  in_proj_.Forward(tokens, h);
  for (int b = 0; b < seq.batch; ++b) h.middleCols(b * seq.T, seq.T) += pos_emb_->w.leftCols(seq.T);
  for (Block& blk : blocks_) {
    blk.ln1.Forward(h, x);
    blk.attn->Forward(x, seq, y);
    h += y;
    blk.ln2.Forward(h, blk.ln2_out);
    blk.W_1.Forward(blk.ln2_out, blk.pre_gelu);
    GeluForward(blk.pre_gelu, blk.post_gelu);
    blk.W_2.Forward(blk.post_gelu, y);
    h += y;
  }
  ln_f_.Forward(h, hf_);
  readout_.Forward(hf_, out_);
  pred = out_.row(0);
}

template <typename T>
void TransformerModel<T>::Backward(const RowVec<T>& dpred) {
  dout_ = dpred;
  // Each buffer keeps one shape (D or 4D rows), so none is reallocated within a step.
  Mat<T>& dh = dh_;
  readout_.Backward(hf_, dout_, &dhf_);
  ln_f_.Backward(dhf_, dh);
  for (size_t l = blocks_.size(); l-- > 0;) {
    Block& blk = blocks_[l];
    blk.W_2.Backward(blk.post_gelu, dh, &dpost_);          // 4D rows
    GeluBackward(blk.pre_gelu, dpost_, dpre_, gelu_th_);  // 4D rows
    blk.W_1.Backward(blk.ln2_out, dpre_, &dD_);            // D rows
    blk.ln2.Backward(dD_, dx_);
    dh += dx_;
    blk.attn->Backward(dh, dD_);
    blk.ln1.Backward(dD_, dx_);
    dh += dx_;
  }
  for (int b = 0; b < seq_.batch; ++b) {
    pos_emb_->g.leftCols(seq_.T) += dh.middleCols(b * seq_.T, seq_.T);
  }
  in_proj_.Backward(tokens_, dh, nullptr);
}

template class TransformerModel<float>;
template class TransformerModel<double>;

}  // namespace sweep::numerics::nets
