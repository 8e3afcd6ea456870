// `sweep predict FILE.safetensors PROMPTS.json`: loads a checkpoint and prints the
// model's predictions for prompts read from a JSON file (docs/checkpoints.md, "Using
// checkpoints"). Local only: no coordinator, no database. Two input forms:
//   {"prompts": [{"x": [[x_1], ..., [x_N]], "y": [y_1, ..., y_N], "query": [x_q]}, ...]}
//     prompts in the task's terms (N >= 0 context examples, each x of the same length
//     d_p <= the model's d); the model's prompt format builds the tokens. Interleaved
//     models predict at every x token: the prediction with n = 0..N context examples
//     (the last is the query's); paired models predict the query only.
//   {"sequences": [[[t_1], ..., [t_T]], ...]}
//     raw tokens of length d + 1 (docs/science.md section 2 layout); one prediction per token.
// Output (stdout): table/csv columns prompt,n,prediction (sequence,t,prediction for raw
// tokens); json {"model":..,"prompt_format":..,"predictions":[[..], ..]} with 17
// significant digits (doubles round-trip) and NaN/inf as strings.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "absl/status/statusor.h"
#include "client/format.h"
#include "worker/numerics/task.h"

namespace sweep::client {

struct PredictInput {
  bool raw_tokens = false;
  std::vector<numerics::PromptBatch> prompts;  // one prompt each (count 1): N may vary
  std::vector<Eigen::MatrixXd> sequences;      // (d + 1, T) each, for raw tokens
};

// INVALID_ARGUMENT naming the field ("prompts[1].y: 3 values, x has 4 rows") for
// malformed input.
absl::StatusOr<PredictInput> ParsePredictInput(const std::string& json_text);

// Reads both files, runs the model, writes the predictions to `out`.
absl::Status CmdPredict(const std::string& checkpoint_file, const std::string& prompts_file,
                        Format format, std::ostream& out);

// The whole file, bytes as they are. NOT_FOUND / PERMISSION_DENIED naming the path.
absl::StatusOr<std::string> ReadBinaryFile(const std::string& path);

}  // namespace sweep::client
