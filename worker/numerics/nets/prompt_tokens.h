// Prompt formats of docs/science.md section 2: turns a batch of prompts into model tokens and
// reads the predictions (and the training loss) back at the right tokens.
//   interleaved: x_1, y_1, ..., x_N, y_N, x_{N+1}; x token [x; 0], y token [0_d; y];
//                T = 2N + 1; the prediction at x token j (j = 0..N, 0-based) is the
//                prediction of y_j with j context examples.
//   paired:      token j = [x_j; y_j] for j < N, query [x_N; 0]; T = N + 1; the
//                prediction is read at the query only.
#pragma once

#include <Eigen/Core>

#include "common/job_config.h"
#include "worker/numerics/nets/tensor.h"
#include "worker/numerics/task.h"

namespace sweep::numerics::nets {

// Prompts are the shared task's PromptBatch (worker/numerics/task.h): example j of
// prompt p is column p * (N + 1) + j, j = N is the query.
using ::sweep::PromptFormat;  // the job key `format` (common/job_config.h)

// Tokens (d_model + 1, count * T) for `prompts`; returns the sequence shape. The label
// channel is row d_model; prompts with fewer dims (prompts.d < d_model, a curriculum
// stage) leave the inactive x rows at zero.
template <typename T>
SeqShape BuildTokens(const PromptBatch& prompts, PromptFormat format, int d_model, Mat<T>& tokens);

// Number of predictions read per prompt: N + 1 (interleaved) or 1 (paired).
int ReadsPerPrompt(const PromptBatch& prompts, PromptFormat format);

// Predictions (ReadsPerPrompt, count): row j of an interleaved prompt is the prediction
// with j context examples; a paired prompt has one row (N examples).
template <typename T>
Eigen::MatrixXd ReadPredictions(const RowVec<T>& pred, const PromptBatch& prompts,
                                PromptFormat format);

// The training loss: mean squared error over every read position of every prompt
// (interleaved: all x positions, so every context length 0..N is trained). Writes
// dL/dpred (zero at tokens that are not read). Accumulates in double.
// `mean_over` > 0 divides by that many prompts instead of prompts.count: the loss of one
// micro-batch as its share of a whole batch's mean (trainer.cc), so that the shares of a
// batch add up to its mean loss and their gradients to the batch's gradient.
template <typename T>
double SquaredLoss(const RowVec<T>& pred, const PromptBatch& prompts, PromptFormat format,
                   RowVec<T>& dpred, int mean_over = 0);

}  // namespace sweep::numerics::nets
