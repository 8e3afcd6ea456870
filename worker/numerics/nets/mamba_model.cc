#include "worker/numerics/nets/mamba_model.h"

#include <cmath>
#include <string>

#include "worker/numerics/nets/init.h"

namespace sweep::numerics::nets {

// Read-in and readout use PyTorch's Linear default U(+-1/sqrt(fan_in)) with zero biases
// (as Garg et al.'s _read_in/_read_out); the blocks follow mamba_mixer.cc.
template <typename T>
MambaModel<T>::MambaModel(const ModelShape& shape, std::mt19937_64& rng) : SequenceModel<T>(shape) {
  ParamSet<T>& p = this->params_;
  in_proj_ = Linear<T>(p, "in_proj.weight", "in_proj.bias", shape.d_in, shape.D);
  FillUniform(in_proj_.weight(), 1.0 / std::sqrt(shape.d_in), rng);
  for (int l = 0; l < shape.L; ++l) {
    const std::string prefix = "layers." + std::to_string(l) + ".";
    norms_.emplace_back(p, prefix + "norm", shape.D, Norm<T>::Kind::kRms);
    mixers_.push_back(
        std::make_unique<MambaMixer<T>>(p, prefix + "mixer.", shape.mixer, shape.L, rng,
                                        &mixer_grads_));
  }
  norm_f_ = Norm<T>(p, "norm_f", shape.D, Norm<T>::Kind::kRms);
  readout_ = Linear<T>(p, "readout.weight", "readout.bias", shape.D, 1);
  FillUniform(readout_.weight(), 1.0 / std::sqrt(shape.D), rng);
}

template <typename T>
void MambaModel<T>::Forward(const Mat<T>& tokens, SeqShape seq, RowVec<T>& pred) {
  tokens_ = tokens;
  in_proj_.Forward(tokens, h_);
  for (size_t l = 0; l < mixers_.size(); ++l) {
    Mat<T>& hn = mixers_[l]->input();
    norms_[l].Forward(h_, hn);
    mixers_[l]->Forward(hn, seq, m_);
    h_ += m_;
  }
  norm_f_.Forward(h_, hf_);
  readout_.Forward(hf_, out_);
  pred = out_.row(0);
}

template <typename T>
void MambaModel<T>::Backward(const RowVec<T>& dpred) {
  dout_ = dpred;
  readout_.Backward(hf_, dout_, &dhf_);
  norm_f_.Backward(dhf_, dh_);
  for (size_t l = mixers_.size(); l-- > 0;) {
    mixers_[l]->Backward(dh_, dhn_);
    norms_[l].Backward(dhn_, dx_);
    dh_ += dx_;  // residual: the identity path plus the mixer path
  }
  in_proj_.Backward(tokens_, dh_, nullptr);
}

template class MambaModel<float>;
template class MambaModel<double>;

}  // namespace sweep::numerics::nets
