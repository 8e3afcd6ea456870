// `sweep predict` (see predict.h): load, run, print.
#include "client/predict.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "client/format_internal.h"
#include "common/job_keys.h"
#include "common/status.h"
#include "worker/numerics/nets/checkpoint.h"
#include "worker/numerics/nets/trained_model.h"

namespace sweep::client {
namespace {

using internal::Json;

// One vector of predictions per prompt (or per sequence).
absl::StatusOr<std::vector<Eigen::VectorXd>> RunModel(numerics::nets::TrainedModel& model,
                                                      const PredictInput& in) {
  if (in.raw_tokens) {
    absl::StatusOr<std::vector<Eigen::VectorXd>> r =
        numerics::nets::PredictTokens(model, in.sequences);
    if (!r.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("sequences: ", std::string(r.status().message())));
    }
    return r;
  }
  std::vector<Eigen::VectorXd> out;
  for (size_t i = 0; i < in.prompts.size(); ++i) {
    absl::StatusOr<Eigen::MatrixXd> p = numerics::nets::Predict(model, in.prompts[i]);
    if (!p.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("prompts[", i, "]: ", std::string(p.status().message())));
    }
    out.push_back(p->col(0));
  }
  return out;
}

std::string Render(const numerics::nets::TrainedModel& model, const PredictInput& in,
                   const std::vector<Eigen::VectorXd>& preds, Format format) {
  const bool raw = in.raw_tokens;
  const bool interleaved = model.format() == numerics::nets::PromptFormat::kInterleaved;
  if (format == Format::kJson) {
    Json all = Json::array();
    for (const Eigen::VectorXd& v : preds) {
      Json row = Json::array();
      for (Eigen::Index i = 0; i < v.size(); ++i) row.push_back(internal::JsonDouble(v(i)));
      all.push_back(std::move(row));
    }
    Json out = {{"model", EnumName(model.config().model)},
                {"prompt_format", EnumName(model.format())},
                {"predictions", std::move(all)}};
    return out.dump(2) + "\n";
  }
  const int digits = format == Format::kCsv ? 17 : 6;
  internal::Rows rows;
  for (size_t p = 0; p < preds.size(); ++p) {
    for (Eigen::Index i = 0; i < preds[p].size(); ++i) {
      // Paired prompts have one prediction, made with all N context examples.
      const Eigen::Index n = (raw || interleaved) ? i : in.prompts[p].N;
      rows.push_back({std::to_string(p), std::to_string(n), FormatDouble(preds[p](i), digits)});
    }
  }
  const std::vector<std::string> header =
      raw ? std::vector<std::string>{"sequence", "t", "prediction"}
          : std::vector<std::string>{"prompt", "n", "prediction"};
  return internal::Render(format, header, rows);
}

}  // namespace

absl::StatusOr<std::string> ReadBinaryFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat(path, ": read failed"));
  return ss.str();
}

absl::Status CmdPredict(const std::string& checkpoint_file, const std::string& prompts_file,
                        Format format, std::ostream& out) {
  SWEEP_ASSIGN_OR_RETURN(const std::string bytes, ReadBinaryFile(checkpoint_file));
  absl::StatusOr<numerics::nets::TrainedModel> model = numerics::nets::LoadCheckpoint(bytes);
  if (!model.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(checkpoint_file, ": ", std::string(model.status().message())));
  }
  SWEEP_ASSIGN_OR_RETURN(const std::string text, ReadBinaryFile(prompts_file));
  absl::StatusOr<PredictInput> in = ParsePredictInput(text);
  if (!in.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(prompts_file, ": ", std::string(in.status().message())));
  }
  numerics::nets::FixGemmBlocking();  // the same floats as the workers' evaluation
  SWEEP_ASSIGN_OR_RETURN(const std::vector<Eigen::VectorXd> preds, RunModel(*model, *in));
  out << Render(*model, *in, preds, format);
  return absl::OkStatus();
}

}  // namespace sweep::client
