#include "worker/numerics/nets/prompt_tokens.h"

#include "common/status.h"

namespace sweep::numerics::nets {
namespace {

int TokensPerPrompt(const PromptBatch& p, PromptFormat format) {
  return format == PromptFormat::kInterleaved ? 2 * p.N + 1 : p.N + 1;
}

// Token index (within its sequence) at which the prediction of example j is read.
int ReadToken(const PromptBatch& p, PromptFormat format, int j) {
  return format == PromptFormat::kInterleaved ? 2 * j : p.N;
}

// Index of the example whose label the r-th read of a prompt predicts.
int ReadExample(const PromptBatch& p, PromptFormat format, int r) {
  return format == PromptFormat::kInterleaved ? r : p.N;
}

}  // namespace

int ReadsPerPrompt(const PromptBatch& prompts, PromptFormat format) {
  return format == PromptFormat::kInterleaved ? prompts.N + 1 : 1;
}

template <typename T>
SeqShape BuildTokens(const PromptBatch& p, PromptFormat format, int d_model, Mat<T>& tokens) {
  SWEEP_CHECK(p.d <= d_model);
  const SeqShape seq{p.count, TokensPerPrompt(p, format)};
  tokens.setZero(d_model + 1, seq.cols());
  for (int b = 0; b < p.count; ++b) {
    const int ex0 = b * (p.N + 1);
    const int c0 = b * seq.T;
    for (int j = 0; j <= p.N; ++j) {
      const bool query = j == p.N;
      if (format == PromptFormat::kInterleaved) {
        tokens.col(c0 + 2 * j).head(p.d) = p.x.col(ex0 + j).cast<T>();
        if (!query) tokens(d_model, c0 + 2 * j + 1) = T(p.y[ex0 + j]);
      } else {
        tokens.col(c0 + j).head(p.d) = p.x.col(ex0 + j).cast<T>();
        if (!query) tokens(d_model, c0 + j) = T(p.y[ex0 + j]);
      }
    }
  }
  return seq;
}

template <typename T>
Eigen::MatrixXd ReadPredictions(const RowVec<T>& pred, const PromptBatch& p, PromptFormat format) {
  const int reads = ReadsPerPrompt(p, format);
  const int T_len = TokensPerPrompt(p, format);
  Eigen::MatrixXd out(reads, p.count);
  for (int b = 0; b < p.count; ++b) {
    for (int r = 0; r < reads; ++r) {
      out(r, b) = double(pred[b * T_len + ReadToken(p, format, ReadExample(p, format, r))]);
    }
  }
  return out;
}

template <typename T>
double SquaredLoss(const RowVec<T>& pred, const PromptBatch& p, PromptFormat format,
                   RowVec<T>& dpred, int mean_over) {
  const int reads = ReadsPerPrompt(p, format);
  const int T_len = TokensPerPrompt(p, format);
  const double inv = 1.0 / (double(reads) * (mean_over > 0 ? mean_over : p.count));
  dpred.setZero(pred.size());
  double loss = 0;
  for (int b = 0; b < p.count; ++b) {
    for (int r = 0; r < reads; ++r) {
      const int j = ReadExample(p, format, r);
      const int c = b * T_len + ReadToken(p, format, j);
      const double err = double(pred[c]) - p.y[b * (p.N + 1) + j];
      loss += err * err;
      dpred[c] = T(2 * err * inv);
    }
  }
  return loss * inv;
}

template SeqShape BuildTokens(const PromptBatch&, PromptFormat, int, Mat<float>&);
template SeqShape BuildTokens(const PromptBatch&, PromptFormat, int, Mat<double>&);
template Eigen::MatrixXd ReadPredictions(const RowVec<float>&, const PromptBatch&, PromptFormat);
template Eigen::MatrixXd ReadPredictions(const RowVec<double>&, const PromptBatch&, PromptFormat);
template double SquaredLoss(const RowVec<float>&, const PromptBatch&, PromptFormat, RowVec<float>&,
                            int);
template double SquaredLoss(const RowVec<double>&, const PromptBatch&, PromptFormat,
                            RowVec<double>&, int);

}  // namespace sweep::numerics::nets
