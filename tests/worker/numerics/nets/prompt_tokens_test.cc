// The prompt formats of docs/science.md section 2, token by token: interleaved x tokens [x; 0]
// and y tokens [0_d; y] with a read at every x token and the loss averaged over all of
// them; paired tokens [x; y] with the query [x; 0] and a read at the query only.
#include <gtest/gtest.h>

#include "worker/numerics/nets/prompt_tokens.h"

namespace sweep::numerics::nets {
namespace {

PromptBatch Prompts(int count, int N, int d) {
  PromptBatch p;
  p.count = count, p.N = N, p.d = d;
  p.x = Eigen::MatrixXd::Random(d, count * (N + 1));
  p.y = Eigen::VectorXd::Random(count * (N + 1));
  return p;
}

TEST(PromptTokensTest, InterleavedTokensAreXThenYWithTheQueryLast) {
  const int d = 3, N = 4;
  const PromptBatch p = Prompts(2, N, d);
  Mat<double> tokens;
  const SeqShape seq = BuildTokens(p, PromptFormat::kInterleaved, d, tokens);
  ASSERT_EQ(seq.T, 2 * N + 1);
  ASSERT_EQ(tokens.rows(), d + 1);
  for (int b = 0; b < 2; ++b) {
    for (int j = 0; j <= N; ++j) {
      const auto x_tok = tokens.col(b * seq.T + 2 * j);
      EXPECT_EQ(x_tok.head(d), p.x.col(p.Col(b, j))) << b << " " << j;
      EXPECT_EQ(x_tok(d), 0.0);  // [x; 0]: the label channel of an x token is empty
      if (j == N) continue;      // the query has no y token
      const auto y_tok = tokens.col(b * seq.T + 2 * j + 1);
      EXPECT_EQ(y_tok.head(d), Eigen::VectorXd::Zero(d));  // [0_d; y]
      EXPECT_EQ(y_tok(d), p.y(p.Col(b, j)));
    }
  }
}

TEST(PromptTokensTest, PairedTokensCarryTheLabelExceptTheQuery) {
  const int d = 3, N = 4;
  const PromptBatch p = Prompts(2, N, d);
  Mat<double> tokens;
  const SeqShape seq = BuildTokens(p, PromptFormat::kPaired, d, tokens);
  ASSERT_EQ(seq.T, N + 1);
  for (int b = 0; b < 2; ++b) {
    for (int j = 0; j <= N; ++j) {
      const auto tok = tokens.col(b * seq.T + j);
      EXPECT_EQ(tok.head(d), p.x.col(p.Col(b, j)));
      EXPECT_EQ(tok(d), j == N ? 0.0 : p.y(p.Col(b, j)));  // query [x; 0]
    }
  }
}

TEST(PromptTokensTest, InterleavedLossIsTheMeanOverEveryXToken) {
  const int d = 2, N = 3;
  const PromptBatch p = Prompts(2, N, d);
  const int T = 2 * N + 1;
  RowVec<double> pred = RowVec<double>::Random(2 * T), dpred;
  double expected = 0;
  for (int b = 0; b < 2; ++b) {
    for (int j = 0; j <= N; ++j) {
      const double err = pred(b * T + 2 * j) - p.y(p.Col(b, j));
      expected += err * err / (2.0 * (N + 1));
    }
  }
  EXPECT_NEAR(SquaredLoss(pred, p, PromptFormat::kInterleaved, dpred), expected, 1e-14);
  for (int c = 0; c < 2 * T; ++c) {
    if ((c % T) % 2 == 1) {
      EXPECT_EQ(dpred(c), 0.0) << "y token " << c << " is never read";
    }
  }
  const Eigen::MatrixXd read = ReadPredictions(pred, p, PromptFormat::kInterleaved);
  ASSERT_EQ(read.rows(), N + 1);  // n = 0..N context examples
  EXPECT_EQ(read(2, 1), pred(T + 4));
}

TEST(PromptTokensTest, PairedLossReadsTheQueryOnly) {
  const int d = 2, N = 3;
  const PromptBatch p = Prompts(2, N, d);
  const int T = N + 1;
  RowVec<double> pred = RowVec<double>::Random(2 * T), dpred;
  const double e0 = pred(N) - p.QueryY(0), e1 = pred(T + N) - p.QueryY(1);
  EXPECT_NEAR(SquaredLoss(pred, p, PromptFormat::kPaired, dpred), (e0 * e0 + e1 * e1) / 2, 1e-14);
  EXPECT_EQ(dpred.head(N), RowVec<double>::Zero(N));
  const Eigen::MatrixXd read = ReadPredictions(pred, p, PromptFormat::kPaired);
  ASSERT_EQ(read.rows(), 1);
  EXPECT_EQ(read(0, 1), pred(T + N));
}

}  // namespace
}  // namespace sweep::numerics::nets
